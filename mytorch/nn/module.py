"""Module: the base class of layers, which registers parameters and submodules by assignment."""
from typing import Any, Dict, Iterator

from mytorch.tensor import Tensor


class Module:
    """Base class of layers and models.

    Assigning a parameter Tensor (`is_parameter=True`) or a Module to an attribute
    registers it, so `parameters()` finds it. Subclasses call `super().__init__()`
    first and define `forward`.

    Attributes:
        is_train: True in training mode (the default), False after `eval()`.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_submodules", {})
        self.is_train = True

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"cannot assign attribute {name!r} before Module.__init__() "
                               f"is called: call super().__init__() first in "
                               f"{type(self).__name__}.__init__")
        # Re-assigning a name replaces whatever it held before.
        self._parameters.pop(name, None)
        self._submodules.pop(name, None)
        if isinstance(value, Tensor) and value.is_parameter:
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._submodules[name] = value
        object.__setattr__(self, name, value)

    def add_parameter(self, name: str, value: Tensor) -> None:
        """Register `value` as a parameter under `name` (as assignment does)."""
        if not (isinstance(value, Tensor) and value.is_parameter):
            raise TypeError(f"add_parameter: {name!r} must be a Tensor with is_parameter=True, "
                            f"got {value!r}")
        setattr(self, name, value)

    def add_module(self, name: str, value: "Module") -> None:
        """Register `value` as a submodule under `name` (as assignment does)."""
        if not isinstance(value, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(value).__name__}")
        setattr(self, name, value)

    def parameters(self) -> Iterator[Tensor]:
        """Every parameter once: this module's own in assignment order, then its submodules'."""
        seen = set()
        for module in self.modules():
            for parameter in module._parameters.values():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield parameter

    def named_parameters(self, prefix: str = "") -> Iterator[tuple]:
        """(dotted name, parameter) pairs in the order of `parameters()`."""
        seen = set()
        for name, parameter in self._parameters.items():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield prefix + name, parameter
        for name, module in self._submodules.items():
            for child_name, parameter in module.named_parameters(f"{prefix}{name}."):
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield child_name, parameter

    def modules(self) -> Iterator["Module"]:
        """This module, then every submodule, depth first."""
        stack = [self]
        while stack:
            module = stack.pop()
            yield module
            stack.extend(reversed(list(module._submodules.values())))

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (`is_train`) here and in every submodule."""
        for module in self.modules():
            module.is_train = mode
        return self

    def eval(self) -> "Module":
        """Set evaluation mode: BatchNorm uses its running statistics, Dropout does nothing."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for parameter in self.parameters():
            parameter.grad = None

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def extra_repr(self) -> str:
        """The arguments shown in this module's repr, e.g. `in_features=784, out_features=20`."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in self._submodules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        body = "\n  ".join(([self.extra_repr()] if self.extra_repr() else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def state_dict(self) -> Dict[str, Any]:
        """Copies of the parameters' arrays by dotted name."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}
