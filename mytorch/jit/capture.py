"""Running one call of a step eagerly while the tracer records it.

`capture(fn, args)` installs, for the duration of the call only, the hooks through which
the tracer sees everything the step does:

- on `Tensor`, class-level `data` and `grad` properties: the first time the step reads an
  existing tensor's data it gets a TracedArray of the same memory (restored afterwards),
  and every `.grad` assignment is recorded as a Python effect;
- on `Module`, `__call__` and `__setattr__`: which modules ran, and the values their
  attributes had when the call began;
- on every `Optimizer` class, `step` and `zero_grad`: its state arrays are traced while
  it steps, and a step that changes Python-level state (Adam's step counts) becomes a
  region the replay runs by calling `step` itself;
- NumPy's creation and conversion functions (`np.zeros`, `np.asarray`, ...),
  `np.lib.stride_tricks.as_strided`, `np.errstate` and the optimizers' in-place kernels
  (`Optimizer._add_scaled`'s BLAS axpy), which do not dispatch through
  `__array_function__`; `mytorch.random`'s draw observer; `Tensor.register_hook` and
  `detect_anomaly`, which cannot be replayed.

Tracing is not thread-safe: the hooks are process-wide while they are installed.
"""
import contextlib
import sys
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

import numpy as np

from mytorch import grad_mode
from mytorch import random as mytorch_random
from mytorch.jit import tracing
from mytorch.jit.tracing import ARG, EXTERNAL, TracedArray, Tracer, where_called
from mytorch.nn.module import Module
from mytorch.optim.optimizer import Optimizer
from mytorch.tensor import Tensor

_CREATION = ("zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
             "full_like", "arange", "eye", "identity", "array", "asarray", "asanyarray",
             "ascontiguousarray", "asfortranarray", "linspace", "frombuffer", "fromiter")
_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic, np.dtype)


class Touched:
    """What the call did to a tensor that existed before it (a parameter, a buffer, an
    argument, a gradient).

    Attributes:
        tensor: the tensor.
        argument: its position among the call's arguments, or None.
        data: its array when the call first read it (None if it never did).
        grad: its `.grad` when the call began, if the call read it before setting it.
        grad_read: whether the call read that entry `.grad`.
        version: its version when first touched.
        requires_grad, hooks: as they were then.
    """

    __slots__ = ("tensor", "argument", "data", "grad", "grad_read", "grad_set", "version",
                 "requires_grad", "hooks", "grad_fn")

    def __init__(self, tensor: Tensor, argument: Optional[int]) -> None:
        self.tensor, self.argument = tensor, argument
        self.data: Optional[np.ndarray] = None
        self.grad = tensor.__dict__.get("grad")
        self.grad_read = self.grad_set = False
        self.version = tensor._version
        self.requires_grad = tensor._requires_grad
        self.hooks = bool(tensor._hooks)
        self.grad_fn = tensor.grad_fn


class Region(NamedTuple):
    """Ops [start, stop) of an optimizer step replayed by calling `call()`."""

    start: int
    stop: int
    call: Callable[[], Any]
    optimizer: Optimizer
    before: Dict[Tuple, Any]  # the optimizer's state leaves when the step began
    containers: List[Tuple[Any, Any]]  # its lists and dicts then (see `containers`)
    versions: Dict[int, int]  # id(tensor) -> how much the step bumped its version
    grew: bool  # the step made new state (a first step's), rather than changing state


class Trace(NamedTuple):
    """One traced call: the program and everything needed to guard and replay it."""

    tracer: Tracer
    result: Any
    touched: Dict[int, Touched]  # id(tensor) -> Touched, for tensors that existed before
    new_tensors: Dict[int, Tensor]  # id -> tensor made during the call
    modules: List[Module]  # the modules called, in order
    module_entry: Dict[Tuple[int, str], Any]  # (id(module), attribute) -> value at entry
    optimizers: List[Tuple[Optimizer, Dict]]  # (optimizer, attributes at entry), traced ones
    regions: List[Region]
    rng_start: Any
    reads: Dict[Tuple[int, str], Tuple[Any, Any]]  # (id(object), name) -> (object, value read)
    new_objects: Dict[int, Any]  # id -> module or optimizer made during the call


class _Capture:
    """The hooks' shared state while one call is traced."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.touched: Dict[int, Touched] = {}
        self.new_tensors: Dict[int, Tensor] = {}
        self.adopted: List[Tuple[Tensor, np.ndarray]] = []  # (tensor, its plain data), to restore
        self.modules: Dict[int, Module] = {}
        self.module_entry: Dict[Tuple[int, str], Any] = {}
        self.optimizers: Dict[int, Tuple[Optimizer, Dict]] = {}
        self.regions: List[Region] = []
        self.stepping = 0  # depth of optimizer.step calls
        # Attributes of modules and optimizers the call read before setting them: what
        # their guards check.
        self.reads: Dict[Tuple[int, str], Tuple[Any, Any]] = {}
        self.assigned: set = set()  # (id(object), name) set during the call
        self.new_objects: Dict[int, Any] = {}  # modules and optimizers made during the call

    def touch(self, tensor: Tensor, argument: Optional[int] = None) -> Touched:
        record = self.touched.get(id(tensor))
        if record is None:
            record = self.touched[id(tensor)] = Touched(tensor, argument)
            if record.hooks:
                self.tracer.breaks.append(f"a tensor of shape {tensor.shape} has gradient hooks "
                                          "(register_hook), which are not traced")
        return record

    def adopt(self, tensor: Tensor, argument: Optional[int] = None) -> Any:
        """The tensor's data as a TracedArray: an argument's, or an external array."""
        record = self.touch(tensor, argument)
        data = tensor.__dict__["data"]
        if isinstance(data, np.ndarray) and record.data is None:
            kind, owner = (ARG, argument) if argument is not None else (EXTERNAL, tensor)
            record.data = data
            traced = self.tracer.source(data, kind, owner)
            tensor.__dict__["data"] = traced
            self.adopted.append((tensor, data))
            return traced
        return data


# ------------------------------------------------------------------ the hooks

def _tensor_properties(capture: _Capture) -> Dict[str, property]:
    def get_data(tensor: Tensor) -> Any:
        data = tensor.__dict__["data"]
        if id(tensor) in capture.new_tensors or (isinstance(data, TracedArray)
                                                 and capture.tracer.owns(data)):
            return data
        return capture.adopt(tensor)

    def set_data(tensor: Tensor, value: Any) -> None:
        state = tensor.__dict__
        if "data" not in state:
            capture.new_tensors[id(tensor)] = tensor
        elif id(tensor) not in capture.new_tensors and value is not state["data"]:
            capture.tracer.breaks.append(f"the call replaces the data of an existing tensor of "
                                         f"shape {tensor.shape} at {where_called()}")
        state["data"] = value

    def get_grad(tensor: Tensor) -> Any:
        value = tensor.__dict__.get("grad")
        if id(tensor) not in capture.new_tensors:
            record = capture.touch(tensor)
            if not record.grad_set:
                record.grad_read = True
        return value

    def set_grad(tensor: Tensor, value: Any) -> None:
        if id(tensor) not in capture.new_tensors:
            capture.touch(tensor).grad_set = True
            capture.tracer.set_grad(tensor, value)
        tensor.__dict__["grad"] = value

    return {"data": property(get_data, set_data), "grad": property(get_grad, set_grad)}


def _constructing(capture: _Capture, init: Callable) -> Callable:
    """An __init__ that notes the object as made during the call: it has no state from
    before the call to guard."""
    def traced_init(owner: Any, *args: Any, **kwargs: Any) -> None:
        capture.new_objects[id(owner)] = owner
        init(owner, *args, **kwargs)
    return traced_init


def _module_hooks(capture: _Capture, call: Callable, setattr_: Callable) -> Dict[str, Callable]:
    def traced_call(module: Module, *args: Any, **kwargs: Any) -> Any:
        capture.modules.setdefault(id(module), module)
        return call(module, *args, **kwargs)

    def traced_setattr(module: Module, name: str, value: Any) -> None:
        key = (id(module), name)
        capture.assigned.add(key)
        if key not in capture.module_entry:
            capture.module_entry[key] = module.__dict__.get(name, _MISSING)
            capture.modules.setdefault(id(module), module)
        setattr_(module, name, value)

    return {"__call__": traced_call, "__setattr__": traced_setattr,
            "__getattribute__": _reading(capture), "__init__": _constructing(capture, Module.__init__)}


def _reading(capture: _Capture) -> Callable:
    """A __getattribute__ that notes each instance attribute read before the call set it."""
    def getattribute(owner: Any, name: str) -> Any:
        value = object.__getattribute__(owner, name)
        state = object.__getattribute__(owner, "__dict__")
        key = (id(owner), name)
        if name in state and key not in capture.reads and key not in capture.assigned \
                and state[name] is value:
            capture.reads[key] = (owner, value)
        return value
    return getattribute


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _optimizer_classes() -> List[type]:
    classes, stack = [], [Optimizer]
    while stack:
        cls = stack.pop()
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    return classes


def _optimizer_hooks(capture: _Capture, cls: type) -> Dict[str, Callable]:
    hooks = {}
    original_step = cls.__dict__.get("step")
    original_zero = cls.__dict__.get("zero_grad")
    if original_step is not None:
        def traced_step(optimizer: Optimizer, *args: Any, **kwargs: Any) -> Any:
            if capture.stepping:
                return original_step(optimizer, *args, **kwargs)
            return _traced_step(capture, optimizer, original_step, args, kwargs)
        hooks["step"] = traced_step
    if cls is Optimizer:
        hooks["__getattribute__"] = _reading(capture)
        hooks["__setattr__"] = _assigning(capture, Optimizer.__setattr__)
        hooks["__init__"] = _constructing(capture, Optimizer.__init__)
    if original_zero is not None:
        def traced_zero_grad(optimizer: Optimizer, *args: Any, **kwargs: Any) -> Any:
            _discover(capture, optimizer)
            return original_zero(optimizer, *args, **kwargs)
        hooks["zero_grad"] = traced_zero_grad
    return hooks


def _assigning(capture: _Capture, setattr_: Callable) -> Callable:
    """A __setattr__ that notes the assignment (a later read is not the entry value's)."""
    def assigning(owner: Any, name: str, value: Any) -> None:
        capture.assigned.add((id(owner), name))
        setattr_(owner, name, value)
    return assigning


def _discover(capture: _Capture, optimizer: Optimizer) -> None:
    if id(optimizer) not in capture.optimizers:
        capture.optimizers[id(optimizer)] = (optimizer, _leaves(vars(optimizer)))


def _leaves(container: Any, path: Tuple = ()) -> Dict[Tuple, Any]:
    """path -> value of every leaf inside an object's attributes (lists, tuples and dicts
    are walked; tensors, arrays, modules and anything else are leaves)."""
    found: Dict[Tuple, Any] = {}
    items = (container.items() if isinstance(container, dict)
             else enumerate(container) if isinstance(container, (list, tuple)) else ())
    found[path] = ("container", type(container), len(container)) if path else None
    for key, value in items:
        if isinstance(value, (dict, list, tuple)):
            found.update(_leaves(value, path + (key,)))
        else:
            found[path + (key,)] = value
    return found


def containers(root: Any) -> List[Tuple[Any, Any]]:
    """(container, shallow copy) of `root` and of every list and dict inside it, through
    lists and dicts: what `restore_containers` puts back (keys added since removed)."""
    found, stack, seen = [], [root], set()
    while stack:
        container = stack.pop()
        if id(container) in seen:
            continue
        seen.add(id(container))
        items = list(container.values()) if isinstance(container, dict) else container
        found.append((container, dict(container) if isinstance(container, dict) else list(container)))
        stack.extend(item for item in items if isinstance(item, (dict, list)))
    return found


def restore_containers(saved: List[Tuple[Any, Any]]) -> None:
    for container, copy in saved:
        if isinstance(container, dict):
            container.clear()
            container.update(copy)
        else:
            container[:] = copy


def _at(root: Any, path: Tuple) -> Any:
    for key in path:
        root = root[key]
    return root


def _set_at(root: Any, path: Tuple, value: Any) -> None:
    _at(root, path[:-1])[path[-1]] = value


def _traced_step(capture: _Capture, optimizer: Optimizer, step: Callable, args: tuple,
                 kwargs: dict) -> Any:
    """Run an optimizer step with its state arrays traced; if it changes Python-level state,
    mark its ops as a region the replay runs by calling the step."""
    tracer = capture.tracer
    _discover(capture, optimizer)
    state = vars(optimizer)
    before = _leaves(state)
    saved_containers = containers(state)
    swapped = []
    for path, value in before.items():
        if isinstance(value, np.ndarray) and path and not isinstance(_at(state, path[:-1]), tuple):
            traced = tracer.source(value, EXTERNAL, (optimizer, path))
            _set_at(state, path, traced)
            swapped.append((path, value, traced))
    start, breaks = len(tracer.ops), len(tracer.breaks)
    versions = {key: record.tensor._version for key, record in capture.touched.items()}
    capture.stepping += 1
    try:
        result = step(optimizer, *args, **kwargs)
    finally:
        capture.stepping -= 1
        for path, value, traced in swapped:
            if _at(state, path) is traced:
                _set_at(state, path, value)
            else:
                tracer.breaks.append(f"{type(optimizer).__name__}.step replaced its state "
                                     f"{_describe_path(path)}")
    after = _leaves(state)
    changed = [path for path, value in before.items()
               if not isinstance(value, (np.ndarray, TracedArray))
               and (path not in after or not _same_leaf(value, after[path]))]
    if changed or set(after) != set(before):
        if any(isinstance(a, (np.ndarray, Tensor)) for a in _flatten(args, kwargs)):
            tracer.breaks.append(f"{type(optimizer).__name__}.step takes arrays as arguments")
        bumped = {key: record.tensor._version - versions.get(key, record.version)
                  for key, record in capture.touched.items()}
        call = _bound(step, optimizer, args, kwargs)
        # The replay calls the step itself: what its own ops could not express is moot.
        del tracer.breaks[breaks:]
        grew = bool(set(after) - set(before))
        capture.regions.append(Region(start, len(tracer.ops), call, optimizer, before,
                                      saved_containers, bumped, grew))
    return result


def _bound(step: Callable, optimizer: Optimizer, args: tuple, kwargs: dict) -> Callable[[], Any]:
    def call() -> Any:
        return step(optimizer, *args, **kwargs)
    call.__qualname__ = f"{type(optimizer).__name__}.step"
    return call


def _flatten(*items: Any) -> Iterator[Any]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(*item)
        elif isinstance(item, dict):
            yield from _flatten(*item.values())
        else:
            yield item


def _same_leaf(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple) and a[:1] == b[:1] == ("container",):
        return a == b
    if isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
        return type(a) is type(b) and (a == b or (a != a and b != b))
    return a is b


def _describe_path(path: Tuple) -> str:
    return "".join(f"[{key!r}]" if not isinstance(key, str) or i else key
                   for i, key in enumerate(path))


class _ErrState(contextlib.ContextDecorator):
    """np.errstate while tracing: the real context, whose entry and exit are recorded. A
    decorator too, as np.errstate is (numpy.ma, imported lazily by SciPy during a first
    traced optimizer step, applies it to its methods at import)."""

    def __init__(self, original: type, **kwargs: Any) -> None:
        self.original, self.kwargs = original, kwargs
        self.context = original(**kwargs)

    def _recreate_cm(self) -> "_ErrState":
        # Each call of a decorated function enters a context of its own: NumPy's cannot be
        # entered twice.
        return _ErrState(self.original, **self.kwargs)

    def __enter__(self) -> Any:
        tracer = tracing.active()
        if tracer is not None:
            tracer.errstate(self.kwargs)
        return self.context.__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        tracer = tracing.active()
        if tracer is not None:
            tracer.errstate(None)
        return self.context.__exit__(*exc_info)


def _from_numpy_or_here(depth: int = 2) -> bool:
    """Whether the caller `depth` frames up is NumPy itself or this package: their own
    calls of the patched functions are not the step's."""
    filename = sys._getframe(depth).f_code.co_filename
    return filename.startswith(tracing._NUMPY) or filename.startswith(tracing._HERE)


def _creation(original: Callable) -> Callable:
    def created(*args: Any, **kwargs: Any) -> Any:
        tracer = tracing.active()
        if tracer is None or tracer.paused or _from_numpy_or_here():
            return original(*args, **kwargs)
        return tracer.create(original, args, kwargs)
    created.__name__ = original.__name__
    created.__doc__ = original.__doc__
    return created


def _unsupported(what: str, original: Callable) -> Callable:
    def call(*args: Any, **kwargs: Any) -> Any:
        tracer = tracing.active()
        if tracer is not None:
            tracer.breaks.append(f"{what} at {where_called()}")
        return original(*args, **kwargs)
    return call


@contextlib.contextmanager
def _patched(patches: List[Tuple[Any, str, Any]]) -> Iterator[None]:
    """Set each (owner, name, value) for the block; restore every one afterwards."""
    missing = object()
    saved = [(owner, name, owner.__dict__.get(name, missing) if isinstance(owner, type)
              else getattr(owner, name, missing)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in reversed(saved):
            if value is missing:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


def _patches(capture: _Capture) -> List[Tuple[Any, str, Any]]:
    patches: List[Tuple[Any, str, Any]] = [
        (Tensor, name, prop) for name, prop in _tensor_properties(capture).items()]
    patches += [(Module, name, hook) for name, hook in
                _module_hooks(capture, Module.__call__, Module.__setattr__).items()]
    for cls in _optimizer_classes():
        patches += [(cls, name, hook) for name, hook in _optimizer_hooks(capture, cls).items()]
    patches += [(np, name, _creation(getattr(np, name))) for name in _CREATION if hasattr(np, name)]
    stride_tricks = np.lib.stride_tricks
    patches.append((stride_tricks, "as_strided", _as_strided(stride_tricks.as_strided)))
    patches.append((Optimizer, "_add_scaled", staticmethod(_add_scaled(Optimizer._add_scaled))))
    original_errstate = np.errstate
    patches.append((np, "errstate", lambda **kwargs: _ErrState(original_errstate, **kwargs)))
    patches.append((mytorch_random, "_observer", capture.tracer.draw))
    patches.append((Tensor, "register_hook", _unsupported(
        "a gradient hook is registered (register_hook)", Tensor.register_hook)))
    patches.append((grad_mode.detect_anomaly, "__enter__", _unsupported(
        "anomaly mode (detect_anomaly) is entered", grad_mode.detect_anomaly.__enter__)))
    return patches


def _as_strided(original: Callable) -> Callable:
    def as_strided(x: Any, shape: Any = None, strides: Any = None, subok: bool = False,
                   writeable: bool = True) -> Any:
        tracer = tracing.active()
        if tracer is None or not isinstance(x, TracedArray) or _from_numpy_or_here():
            return original(x, shape, strides, subok, writeable)
        return tracer.create(original, (x, shape, strides, subok, writeable), {})
    return as_strided


def _add_scaled(original: Callable) -> Callable:
    """`Optimizer._add_scaled`, whose kernel (BLAS's axpy, which NumPy's dispatch does not
    see, or NumPy's) writes its first argument in place: recorded as one call of the
    kernel it chose, an op that writes that argument."""
    def add_scaled(target: Any, alpha: Any, update: Any) -> Any:
        tracer = tracing.active()
        if tracer is None or not any(isinstance(arg, TracedArray) for arg in (target, alpha, update)):
            return original(target, alpha, update)
        # Chosen from the plain arrays: what it reads is layout, not values to guard.
        kernel = Optimizer._add_scaled_kernel(tracing._untraced(target), tracing._untraced(update))
        return tracer.function(kernel, (target, alpha, update), {})
    return add_scaled


# ------------------------------------------------------------------ capture

def capture(fn: Callable, args: tuple, kwargs: dict) -> Trace:
    """Call `fn(*args, **kwargs)` eagerly under a new tracer; the arrays and tensors among
    the arguments (at any depth of tuples, lists and dicts) become the program's ARG slots,
    numbered in that order."""
    tracer = Tracer()
    capture_state = _Capture(tracer)
    rng_start = np.random.get_state()
    tracing.start(tracer)
    try:
        with _patched(_patches(capture_state)):
            counter = iter(range(1 << 30))
            traced_args = _bind_arguments(capture_state, args, counter)
            traced_kwargs = _bind_arguments(capture_state, kwargs, counter)
            try:
                result = fn(*traced_args, **traced_kwargs)
            except BaseException:
                # The step raised, as it would have eagerly: the tensors it made (a .grad set
                # before the error) hold plain arrays, as eager's would.
                for tensor in capture_state.new_tensors.values():
                    data = tensor.__dict__.get("data")
                    if isinstance(data, TracedArray):
                        tensor.__dict__["data"] = tracing._plain_of(data)
                raise
            finally:
                for tensor, data in capture_state.adopted:
                    tensor.__dict__["data"] = data
    finally:
        tracing.stop()
    new = capture_state.new_objects
    optimizers = [entry for key, entry in capture_state.optimizers.items() if key not in new]
    modules = [module for key, module in capture_state.modules.items() if key not in new]
    module_entry = {key: value for key, value in capture_state.module_entry.items() if key[0] not in new}
    reads = {key: value for key, value in capture_state.reads.items() if key[0] not in new}
    return Trace(tracer, result, capture_state.touched, capture_state.new_tensors, modules,
                 module_entry, optimizers, capture_state.regions, rng_start, reads, dict(new))


def _bind_arguments(capture_state: _Capture, value: Any, counter: Iterator[int]) -> Any:
    if isinstance(value, Tensor):
        capture_state.adopt(value, next(counter))
        return value
    if isinstance(value, np.ndarray):
        return capture_state.tracer.source(value, ARG, next(counter))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_bind_arguments(capture_state, item, counter) for item in value])
    if isinstance(value, (tuple, list)):
        return type(value)([_bind_arguments(capture_state, item, counter) for item in value])
    if isinstance(value, dict):
        return {key: _bind_arguments(capture_state, item, counter) for key, item in value.items()}
    return value
