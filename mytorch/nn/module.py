"""Module: the base class of layers, which registers parameters, buffers and submodules."""
import functools
import inspect
import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Set, Tuple

import numpy as np

from mytorch import checks
from mytorch.devices import as_device, device
from mytorch.hooks import RemovableHandle
from mytorch.nn.parameter import zero_grads
from mytorch.tensor import Tensor

# What `load_state_dict` returns, as in PyTorch: the keys it did not find, and those it did not use.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_hook_keys = itertools.count()  # a forward hook's key in its module's registry, for its handle


class Module:
    """Base class of layers and models, as `torch.nn.Module`.

    Assigning a parameter (an `nn.Parameter`, or the handout's Tensor with
    `is_parameter=True`) or a Module to an attribute registers it, so `parameters()` and
    `modules()` find it. `register_buffer` registers state that is not trained, such as
    BatchNorm's running statistics: `state_dict()` saves it (unless persistent=False)
    and `to()` converts it, but it has no gradient. Subclasses call `super().__init__()`
    first and define `forward`.

    Attributes:
        training: True in training mode (the default), False after `eval()`.
        is_train: the handout's name for `training` (the same flag).
    """

    training: bool
    # (forward pre-hooks, forward hooks) by key, made when the first hook is registered.
    _forward_hooks: Optional[Tuple[Dict[int, Callable], Dict[int, Callable]]] = None

    def __init__(self) -> None:
        # PyTorch's registries, by name in registration order.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    @property
    def is_train(self) -> bool:
        return self.training

    @is_train.setter
    def is_train(self, mode: bool) -> None:
        self.training = mode

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"cannot assign attribute {name!r} before Module.__init__() "
                               f"is called: call super().__init__() first in "
                               f"{type(self).__name__}.__init__")
        if isinstance(value, Tensor) and value.is_parameter:
            home = self._parameters
        elif isinstance(value, Module):
            home = self._modules
        elif name in self._parameters and value is not None:
            raise TypeError(f"cannot assign {_kind(value)} as parameter {name!r} of "
                            f"{type(self).__name__} (an nn.Parameter or None expected)")
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {_kind(value)} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None expected)")
            home = self._buffers  # assigning to a buffer's name keeps it a buffer, as in PyTorch
        else:
            home = None
        # Re-assigning a name replaces whatever it held before, in the same place.
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not home:
                registry.pop(name, None)
        if home is not self._buffers:
            self._non_persistent_buffers_set.discard(name)
        if home is not None:
            home[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        object.__delattr__(self, name)

    # ---------------------------------------------------------------- registration

    def register_parameter(self, name: str, param: Optional[Tensor]) -> None:
        """Register `param` (an `nn.Parameter`, or None) under `name`, as assignment does.

        Raises:
            TypeError: `param` is not a parameter, or `name` is not a string.
            KeyError: `name` is empty, contains '.', or is another attribute.
        """
        owner = f"{type(self).__name__}.register_parameter"
        checks.module_name(owner, name)
        if param is not None and not (isinstance(param, Tensor) and param.is_parameter):
            raise TypeError(f"{owner}: {name!r} must be an nn.Parameter (or a Tensor with "
                            f"is_parameter=True) or None, got {_kind(param)}")
        self._check_free(owner, name, self._parameters)
        if param is None:
            self.__dict__.pop(name, None)
            self._parameters[name] = None  # kept, as PyTorch keeps it, so assigning later works
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    add_parameter = register_parameter  # the name this library used first

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register `module` as a submodule under `name` (as assignment does).

        Raises:
            TypeError: `module` is not a Module, or `name` is not a string.
            KeyError: `name` is empty, contains '.', or is another attribute (a method,
                a parameter), as in PyTorch.
        """
        owner = f"{type(self).__name__}.add_module"
        checks.module_name(owner, name)
        if not isinstance(module, Module):
            raise TypeError(f"{owner}: {name!r} must be a Module, got {_kind(module)}")
        self._check_free(owner, name, self._modules)
        setattr(self, name, module)

    register_module = add_module

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        """Register `tensor` as a buffer: state that `to()` converts but that is not a
        parameter (BatchNorm's running statistics). `state_dict()` saves it unless
        `persistent` is False.

        Assigning a Tensor (or None) to the name later replaces the buffer.
        """
        owner = f"{type(self).__name__}.register_buffer"
        checks.module_name(owner, name)
        if tensor is not None and (not isinstance(tensor, Tensor) or tensor.is_parameter):
            raise TypeError(f"{owner}: {name!r} must be a Tensor that is not a parameter, or None, "
                            f"got {tensor!r}")
        persistent = checks.boolean(f"{owner}: persistent", persistent)
        self._check_free(owner, name, self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def _check_free(self, owner: str, name: str, registry: Dict[str, Any]) -> None:
        """`name` must not already be an attribute of another kind (which it would hide)."""
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"{owner}: attribute {name!r} already exists")

    # ------------------------------------------------------------------- traversal

    def named_modules(self, memo: Optional[Set["Module"]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, "Module"]]:
        """(dotted name, module) for this module (`prefix`, "" by default) and every
        submodule, as PyTorch orders them: a module before its submodules, in assignment
        order. A module reached twice is yielded once unless `remove_duplicate` is False."""
        seen = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if module in seen:
                    continue
                seen.add(module)
            yield name, module
            children = [(f"{name}.{child}" if name else child, submodule)
                        for child, submodule in module._modules.items() if submodule is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        """This module, then every submodule, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for each direct submodule, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator["Module"]:
        """The direct submodules, in assignment order, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, tensor) from each module's `registry`, each tensor once (a tied
        weight under its first name) unless `remove_duplicate` is False."""
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        seen = set()
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or value in seen:
                    continue
                if remove_duplicate:
                    seen.add(value)
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, parameter) pairs: this module's own in assignment order, then its
        submodules'; a parameter shared by two modules (tied weights) once, under its
        first name."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every parameter once, in the order of `named_parameters()`."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, e.g. ("1.running_mean", ...), each buffer once."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer once, in the order of `named_buffers()`."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> "Module":
        """The submodule at the dotted path `target` ("" is this module), e.g. "encoder.0".

        Raises:
            AttributeError: naming the part of the path that is not a submodule.
        """
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = module._modules[part]
        return module

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call `fn` on every submodule and then on this module (as PyTorch: children
        first), e.g. to initialise weights. Returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------------- modes

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (`training`) here and, through their own `train`, in every
        submodule. Returns self."""
        mode = checks.boolean("train: mode", mode)
        self.training = mode
        for module in self.children():
            module.train(mode)
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

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set `.grad` to None (PyTorch's default), or
        fill it with zeros where it exists when `set_to_none` is False."""
        zero_grads(self.parameters(), set_to_none, f"{type(self).__name__}.zero_grad")

    # ------------------------------------------------------------ dtype and device

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Move and/or convert, in place, as `torch.nn.Module.to`. Returns self.

        `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(tensor)` (its dtype) and the
        keywords `device=`, `dtype=`, `non_blocking=` (ignored). The device must be the
        CPU ("cpu", `mytorch.device("cpu")` or None): "cuda" is a RuntimeError. A dtype
        (float32 or float64) converts every float parameter, its gradient and every
        float buffer; integer buffers (BatchNorm's `num_batches_tracked`) stay.

        The parameters stay the same Tensor objects, so an optimizer built before keeps
        working; it converts its own state to match on its next step.
        """
        dtype = _to_dtype(type(self).__name__, args, kwargs)
        if dtype is None:
            return self
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                tensor._counter().value += 1  # a pending backward must not use the old values
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(dtype))
        return self

    def cpu(self) -> "Module":
        """Self: everything is on the CPU already."""
        return self

    def cuda(self, device: Any = None) -> "Module":
        """A RuntimeError: MyTorch has no GPU backend."""
        as_device(f"{type(self).__name__}.cuda", "cuda" if device is None else _cuda_name(device))
        return self  # not reached: only the CPU exists

    def float(self) -> "Module":
        """`self.to(float32)`."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """`self.to(float64)`."""
        return self.to(np.float64)

    # ------------------------------------------------------------------ checkpoints

    def _state_tensors(self) -> Dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, in PyTorch's `state_dict`
        order: each module's parameters, then its buffers, then its submodules'. A
        shared tensor or module appears under each of its names, as in PyTorch."""
        state = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{module_name}." if module_name else ""
            for name, value in module._parameters.items():
                if value is not None:
                    state[prefix + name] = value
            for name, value in module._buffers.items():
                if value is not None and name not in module._non_persistent_buffers_set:
                    state[prefix + name] = value
        return state

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> Dict[str, Tensor]:
        """The parameters and persistent buffers by dotted name, e.g. {"0.weight": ...,
        "1.running_mean": ...}, as `torch.nn.Module.state_dict`.

        The values are detached Tensors sharing memory with the model (the parameters
        themselves with keep_vars=True), as in PyTorch: later training changes them. Save
        them with `mytorch.save`, or `copy.deepcopy` the dict to keep a snapshot.
        """
        keep_vars = checks.boolean("state_dict: keep_vars", keep_vars)
        return OrderedDict((prefix + name, tensor if keep_vars else tensor.detach())
                           for name, tensor in self._state_tensors().items())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy Tensors (or arrays) from `state_dict` into the parameters and buffers of
        the same names, as `torch.nn.Module.load_state_dict`.

        Every value must have its tensor's shape; its dtype is converted to the
        tensor's, as PyTorch's copy does. With strict=True (the default) the keys must
        match exactly. Nothing changes unless everything fits.

        Returns:
            (missing_keys, unexpected_keys), as PyTorch, for strict=False.
        Raises:
            RuntimeError: naming every key that is missing, unexpected, or of the wrong
                shape (both shapes).
            TypeError: `state_dict` is not a mapping.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of Tensors, got {type(state_dict).__name__}")
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
                errors.append(f"{name!r} must be a Tensor or an array, got {type(value).__name__}")
            elif array.shape != tensor.shape:
                errors.append(f"size mismatch for {name!r}: the checkpoint has shape {array.shape}, "
                              f"the model has shape {tensor.shape}")
            else:
                updates.append((tensor, array))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               "(nothing was loaded):\n  " + "\n  ".join(errors))
        for tensor, array in updates:
            np.copyto(tensor.data, array, casting="unsafe")
            tensor._counter().value += 1
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------ call

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`forward(*args, **kwargs)`, with the forward hooks around it (see
        `register_forward_hook`)."""
        if self._forward_hooks is None:  # no hook was ever registered: the usual case, kept fast
            return self.forward(*args, **kwargs)
        pre_hooks, hooks = self._forward_hooks
        for hook in list(pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable[["Module", Tuple[Any, ...]], Any]
                                  ) -> RemovableHandle:
        """Call `hook(module, args)` before every forward, as PyTorch does: it may return
        new positional arguments (a tuple, or one value) for forward, or None to keep them.

        Returns:
            A handle whose `remove()` unregisters the hook.
        """
        return self._add_hook("register_forward_pre_hook", 0, hook)

    def register_forward_hook(self, hook: Callable[["Module", Tuple[Any, ...], Any], Any]
                              ) -> RemovableHandle:
        """Call `hook(module, args, output)` after every forward, as PyTorch does (to keep
        activations, say): it may return a new output, or None to keep the output.

        Returns:
            A handle whose `remove()` unregisters the hook.
        """
        return self._add_hook("register_forward_hook", 1, hook)

    def _add_hook(self, method: str, which: int, hook: Callable[..., Any]) -> RemovableHandle:
        """Register `hook` in the forward pre-hooks (`which` 0) or forward hooks (1)."""
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.{method}: the hook must be callable, got "
                            f"{type(hook).__name__}")
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"cannot register a hook before Module.__init__() is called: "
                               f"call super().__init__() first in {type(self).__name__}.__init__")
        if self._forward_hooks is None:
            object.__setattr__(self, "_forward_hooks", (OrderedDict(), OrderedDict()))
        hooks = self._forward_hooks[which]
        key = next(_hook_keys)
        hooks[key] = hook
        return RemovableHandle(hooks, key)

    def extra_repr(self) -> str:
        """The arguments shown in this module's repr, e.g. `in_features=784, out_features=20`."""
        return ""

    def _child_lines(self) -> list:
        """One "(name): repr" entry per submodule, for `__repr__`."""
        return [f"({name}): " + _indent(repr(module)) for name, module in self._modules.items()]

    def __repr__(self) -> str:
        """PyTorch's tree: `Name(extra)` for a leaf, else the extra lines and one
        "(name): ..." line per submodule, indented by two spaces."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(extra_lines + child_lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def factory_keywords(cls: type) -> type:
    """Give a layer class PyTorch's factory keywords, `Layer(..., device=None, dtype=None)`:
    the device must be the CPU ("cpu", a `mytorch.device` or None), and a float dtype
    makes the new layer's parameters and float buffers that dtype, as `layer.to(dtype)`
    would. Both are checked before the layer is built."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self: Module, *args: Any, device: Any = None, dtype: Any = None, **kwargs: Any) -> None:
        name = type(self).__name__
        as_device(f"{name}: device", device)
        dtype = None if dtype is None else checks.float_dtype(f"{name}: dtype", dtype)
        init(self, *args, **kwargs)
        if dtype is not None:
            self.to(dtype)

    signature = inspect.signature(init)
    parameters = list(signature.parameters.values())
    at = len(parameters) - (parameters[-1].kind == inspect.Parameter.VAR_KEYWORD)  # before **kwargs
    parameters[at:at] = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
                         for name in ("device", "dtype") if name not in signature.parameters]
    __init__.__signature__ = signature.replace(parameters=parameters)
    cls.__init__ = __init__
    return cls


def _indent(text: str) -> str:
    """Every line of `text` but the first indented by two spaces (PyTorch's _addindent)."""
    return text.replace("\n", "\n  ")


def _kind(value: Any) -> str:
    return "a Tensor that is not a parameter" if isinstance(value, Tensor) else type(value).__name__


def _cuda_name(index: Any) -> Any:
    return f"cuda:{index}" if isinstance(index, int) and not isinstance(index, bool) else index


def _is_device_name(name: str) -> bool:
    try:
        device(name)
    except RuntimeError:  # not a device string (torch.device raises the same)
        return False
    return True


def _to_dtype(owner: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Optional[np.dtype]:
    """The float dtype that `Module.to(*args, **kwargs)` asks for (None: keep), having
    checked that any device it names is the CPU."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy"}
    if unknown or len(args) > 2:
        raise TypeError(f"{owner}.to: expected to(device), to(dtype), to(device, dtype) or "
                        f"to(tensor), got {len(args)} positional argument(s) and keywords "
                        f"{sorted(kwargs)}")
    target_device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, device) or (isinstance(arg, str) and _is_device_name(arg)):
            target_device = arg
        else:
            dtype = arg  # a dtype, or its name ("float32") as this library has long taken
    as_device(f"{owner}.to", target_device)
    if dtype is None:
        return None
    return checks.float_dtype(f"{owner}.to: dtype", dtype)
