"""Module: the base class of layers, which registers parameters and submodules by assignment."""
from typing import Any, Dict, Iterator, Tuple

from mytorch import checks
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
        # Re-assigning a name replaces whatever it held before, in the same place.
        if isinstance(value, Tensor) and value.is_parameter:
            self._submodules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._submodules[name] = value
        else:
            self._parameters.pop(name, None)
            self._submodules.pop(name, None)
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
        for _, parameter in self.named_parameters():
            yield parameter

    def named_parameters(self) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, parameter) pairs in the order of `parameters()`, each parameter once."""
        seen = set()
        for module_name, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_name}.{name}" if module_name else name), parameter

    def named_modules(self) -> Iterator[Tuple[str, "Module"]]:
        """(dotted name, module) for this module ("") and every submodule, depth first,
        each once (as PyTorch's order: a module before its submodules, in assignment order)."""
        seen = set()
        stack = [("", self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, submodule)
                        for child, submodule in module._submodules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        """This module, then every submodule, depth first."""
        for _, module in self.named_modules():
            yield module

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (`is_train`) here and in every submodule."""
        mode = checks.boolean("train: mode", mode)
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
