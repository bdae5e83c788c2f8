"""Module: the base class of layers, which registers parameters, buffers and submodules."""
from collections import namedtuple
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.tensor import Tensor

# What `load_state_dict` returns, as in PyTorch: the keys it did not find, and those it did not use.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models.

    Assigning a parameter (an `nn.Parameter`, or a Tensor with `is_parameter=True`) or a
    Module to an attribute registers it, so `parameters()` and `modules()` find it.
    `register_buffer` registers state that is not trained, such as BatchNorm's running
    statistics: it is saved by `state_dict()` and converted by `to()`, but has no
    gradient. Subclasses call `super().__init__()` first and define `forward`.

    Attributes:
        is_train: True in training mode (the default), False after `eval()`.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_submodules", {})
        self.is_train = True

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"cannot assign attribute {name!r} before Module.__init__() "
                               f"is called: call super().__init__() first in "
                               f"{type(self).__name__}.__init__")
        if isinstance(value, Tensor) and value.is_parameter:
            home = self._parameters
        elif isinstance(value, Module):
            home = self._submodules
        elif name in self._buffers and (value is None or isinstance(value, Tensor)):
            home = self._buffers  # assigning to a buffer's name keeps it a buffer, as in PyTorch
        else:
            home = None
        # Re-assigning a name replaces whatever it held before, in the same place.
        for registry in (self._parameters, self._buffers, self._submodules):
            if registry is not home:
                registry.pop(name, None)
        if home is not None:
            home[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._submodules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    # ---------------------------------------------------------------- registration

    def add_parameter(self, name: str, value: Tensor) -> None:
        """Register `value` as a parameter under `name` (as assignment does)."""
        if not (isinstance(value, Tensor) and value.is_parameter):
            raise TypeError(f"add_parameter: {name!r} must be a Tensor with is_parameter=True, "
                            f"got {value!r}")
        setattr(self, name, value)

    def add_module(self, name: str, value: "Module") -> None:
        """Register `value` as a submodule under `name` (as assignment does).

        Raises:
            TypeError: `value` is not a Module, or `name` is not a string.
            KeyError: `name` is empty, contains '.', or is another attribute (a method,
                a parameter), as in PyTorch.
        """
        owner = f"{type(self).__name__}.add_module"
        checks.module_name(owner, name)
        if not isinstance(value, Module):
            raise TypeError(f"{owner}: {name!r} must be a Module, got {type(value).__name__}")
        self._check_free(owner, name, self._submodules)
        setattr(self, name, value)

    def register_buffer(self, name: str, tensor: Optional[Tensor]) -> None:
        """Register `tensor` as a buffer: state that `state_dict()` saves and `to()`
        converts but that is not a parameter (BatchNorm's running statistics).

        Assigning a Tensor (or None) to the name later replaces the buffer.
        """
        owner = f"{type(self).__name__}.register_buffer"
        checks.module_name(owner, name)
        if tensor is not None and (not isinstance(tensor, Tensor) or tensor.is_parameter):
            raise TypeError(f"{owner}: {name!r} must be a Tensor that is not a parameter, or None, "
                            f"got {tensor!r}")
        self._check_free(owner, name, self._buffers)
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def _check_free(self, owner: str, name: str, registry: Dict[str, Any]) -> None:
        """`name` must not already be an attribute of another kind (which it would hide)."""
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"{owner}: attribute {name!r} already exists")

    # ------------------------------------------------------------------- traversal

    def parameters(self) -> Iterator[Tensor]:
        """Every parameter once: this module's own in assignment order, then its submodules'."""
        for _, parameter in self.named_parameters():
            yield parameter

    def named_parameters(self) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, parameter) pairs in the order of `parameters()`, each parameter once."""
        return self._named_tensors("_parameters")

    def buffers(self) -> Iterator[Tensor]:
        """Every buffer once, in the order of `named_buffers()`."""
        for _, buffer in self.named_buffers():
            yield buffer

    def named_buffers(self) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, e.g. ("1.running_mean", ...), each buffer once."""
        return self._named_tensors("_buffers")

    def _named_tensors(self, registry: str) -> Iterator[Tuple[str, Tensor]]:
        seen = set()
        for module_name, module in self.named_modules():
            for name, value in getattr(module, registry).items():
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def children(self) -> Iterator["Module"]:
        """The direct submodules, in assignment order, each once."""
        for _, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for each direct submodule, each once."""
        seen = set()
        for name, module in self._submodules.items():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

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

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call `fn` on every submodule and then on this module (as PyTorch: children
        first), e.g. to initialise weights. Returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------------- modes

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (`is_train`) here and in every submodule."""
        mode = checks.boolean("train: mode", mode)
        for module in self.modules():
            module.is_train = mode
        return self

    def eval(self) -> "Module":
        """Set evaluation mode: BatchNorm uses its running statistics, Dropout does nothing."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set `requires_grad` of every parameter (False freezes them). Returns self."""
        requires_grad = checks.boolean("requires_grad_: requires_grad", requires_grad)
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for parameter in self.parameters():
            parameter.grad = None

    def to(self, dtype: Any) -> "Module":
        """Convert every float parameter, its gradient and every float buffer to `dtype`
        (np.float32 or np.float64), in place, as `torch.nn.Module.to`. Returns self.

        The parameters stay the same Tensor objects, so an optimizer built before keeps
        working; it converts its own state to match on its next step.
        """
        dtype = checks.float_dtype("to: dtype", dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                tensor._counter().value += 1  # a pending backward must not use the old values
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(dtype))
        return self

    def float(self) -> "Module":
        """`self.to(np.float32)`."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """`self.to(np.float64)`."""
        return self.to(np.float64)

    # ------------------------------------------------------------------ checkpoints

    def _state_tensors(self) -> Dict[str, Tensor]:
        """Parameters and buffers by dotted name, in PyTorch's `state_dict` order: each
        module's parameters, then its buffers, then its submodules'."""
        state = {}
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        state[prefix + name] = value
        return state

    def state_dict(self) -> Dict[str, np.ndarray]:
        """Copies of the parameters' and buffers' arrays by dotted name, e.g.
        {"0.weight": ..., "1.running_mean": ...}: a snapshot, unaffected by later training."""
        return {name: tensor.data.copy() for name, tensor in self._state_tensors().items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or Tensors) from `state_dict` into the parameters and buffers of the same names.

        Every array must have its tensor's shape and dtype (convert the model with
        `float()`/`double()` first to load another dtype). With strict=True (the
        default) the keys must match exactly. Nothing changes unless everything fits.

        Returns:
            (missing_keys, unexpected_keys), as PyTorch, for strict=False.
        Raises:
            RuntimeError: naming every key that is missing, unexpected, or of the wrong
                shape (both shapes) or dtype.
            TypeError: `state_dict` is not a mapping.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of arrays, got {type(state_dict).__name__}")
        strict = checks.boolean("load_state_dict: strict", strict)
        own = self._state_tensors()
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        errors = []
        if strict and unexpected:
            errors.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
        if strict and missing:
            errors.append("missing key(s): " + ", ".join(map(repr, missing)))
        updates = []
        for name, tensor in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = value.data if isinstance(value, Tensor) else value
            if not isinstance(array, np.ndarray):
                errors.append(f"{name!r} must be an array or a Tensor, got {type(value).__name__}")
            elif array.shape != tensor.shape:
                errors.append(f"size mismatch for {name!r}: the checkpoint has shape {array.shape}, "
                              f"the model has shape {tensor.shape}")
            elif array.dtype != tensor.dtype:
                errors.append(f"dtype mismatch for {name!r}: the checkpoint has {array.dtype}, the "
                              f"model has {tensor.dtype}; convert the model first (.float() or .double())")
            else:
                updates.append((tensor, array))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               "(nothing was loaded):\n  " + "\n  ".join(errors))
        for tensor, array in updates:
            np.copyto(tensor.data, array)
            tensor._counter().value += 1
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------ call

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
