"""Recording the NumPy work of one eager call as a flat program.

While a step is traced, every array it touches is a `TracedArray`: an ndarray subclass
that computes the real result of each NumPy call made on it (through
`__array_ufunc__`, `__array_function__` and wrappers of the ndarray methods) and records
the call, with the program's slots in place of the arrays, in the active `Tracer`.

The tracer never stops the eager call: anything it cannot express (a tensor value read
into Python that it cannot guard, a hook, an unrecorded random draw, a NumPy path that
bypasses the dispatch protocols) is noted as a *break* with a one-line reason, and the
program is then not used. What it records:

- `Op`s: NumPy calls with argument templates (`Ref(slot)` where an array was), the slots
  they write in place, and where in the source they were made;
- value guards: a tensor value the step read into Python (`bool(x)`, `x.item()`, ...),
  with the value it had, so a replay can check it and fall back if it changed;
- random draws made through `mytorch.random.draw`, replayed from the global generator;
- Python effects on tensors that outlive the call (`.grad`, version counters);
- regions of optimizer steps whose Python state (Adam's step counts) changes per call,
  which are replayed by calling the optimizer's `step` itself.
"""
import functools
import os
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

_tracer: Optional["Tracer"] = None  # the active tracer, if a call is being traced

# Slot kinds: where a slot's array comes from.
ARG = "arg"            # an argument of the call, bound afresh at each replay
EXTERNAL = "external"  # an array held by a tensor or an optimizer, bound by identity
UNOWNED = "unowned"    # a plain array the step used that nothing we know owns
RESULT = "result"      # made by a recorded op (including creation and random draws)

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep


def active() -> Optional["Tracer"]:
    """The tracer recording the current call, or None."""
    return _tracer


class Ref:
    """The place of a program slot inside an argument template."""

    __slots__ = ("slot",)

    def __init__(self, slot: int) -> None:
        self.slot = slot

    def __repr__(self) -> str:
        return f"v{self.slot}"


class Slot:
    """One array of the program.

    Attributes:
        kind: ARG, EXTERNAL, UNOWNED or RESULT.
        array: the plain array it had while tracing (for EXTERNAL and UNOWNED, the
            very object the replay uses).
        buffers: the slots whose memory it uses: itself for memory of its own, the base's
            for a view (several when a view's origin is ambiguous).
        owner: for EXTERNAL and ARG, a description of where it lives ("tensor", position).
    """

    __slots__ = ("index", "kind", "array", "buffers", "owner", "scalar")

    def __init__(self, index: int, kind: str, array: np.ndarray, owner: Any = None) -> None:
        self.index, self.kind, self.array, self.owner = index, kind, array, owner
        self.buffers: Tuple[int, ...] = (index,)
        self.scalar = False  # eager gets a NumPy scalar here; the trace holds a 0-d array

    @property
    def owns_memory(self) -> bool:
        return self.buffers == (self.index,)


class Op:
    """One recorded step of the program.

    kind:
        "call": `out = fn(*args, **kwargs)`;
        "method": `out = args[0].<fn>(*args[1:], **kwargs)` (fn is the method's name);
        "setitem": `args[0][args[1]] = args[2]`;
        "guard": `fn(*args, **kwargs)` (or the method, with method set) must equal `expected`;
        "draw": a random draw, `out = fn(*args, **kwargs)`, fn a method of NumPy's global
            state or of a Generator;
        "errstate": enter (args = kwargs of np.errstate) or exit (args is None) NumPy's
            error-handling context;
        "opaque": `fn()` is called as is (an optimizer step with Python state);
        "grad": `tensors[args[0]].grad = args[1]` (a Python effect).
    """

    __slots__ = ("kind", "fn", "args", "kwargs", "out", "writes", "where", "expected",
                 "method", "supports_out")

    def __init__(self, kind: str, fn: Any, args: Any, kwargs: Optional[dict], out: Any,
                 writes: Tuple[int, ...], where: str, expected: Any = None,
                 method: bool = False, supports_out: bool = False) -> None:
        self.kind, self.fn, self.args, self.kwargs, self.out = kind, fn, args, kwargs or {}, out
        self.writes, self.where, self.expected = writes, where, expected
        self.method, self.supports_out = method, supports_out

    def reads(self) -> List[int]:
        """Every slot the op's arguments refer to."""
        found: List[int] = []
        _collect_refs(self.args, found)
        _collect_refs(self.kwargs, found)
        return found

    def outputs(self) -> List[int]:
        found: List[int] = []
        _collect_refs(self.out, found)
        return found

    def name(self) -> str:
        if self.kind in ("method", "guard") and isinstance(self.fn, str):
            return f"ndarray.{self.fn}"
        return getattr(self.fn, "__qualname__", None) or getattr(self.fn, "__name__", repr(self.fn))

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name()} {self.args!r} -> {self.out!r}>"


def _collect_refs(template: Any, found: List[int]) -> None:
    if isinstance(template, Ref):
        found.append(template.slot)
    elif isinstance(template, (tuple, list)):
        for item in template:
            _collect_refs(item, found)
    elif isinstance(template, dict):
        for item in template.values():
            _collect_refs(item, found)
    elif isinstance(template, slice):
        _collect_refs((template.start, template.stop, template.step), found)


_LIBRARY = os.path.dirname(_HERE.rstrip(os.sep)) + os.sep


def map_refs(template: Any, change: Callable[[Ref], Any]) -> Any:
    """`template` (tuples, lists, dicts and slices, at any depth) with each Ref replaced by
    `change(ref)`."""
    if isinstance(template, Ref):
        return change(template)
    if isinstance(template, tuple) and type(template) is tuple:
        return tuple([map_refs(item, change) for item in template])
    if isinstance(template, list):
        return [map_refs(item, change) for item in template]
    if isinstance(template, dict):
        return {key: map_refs(value, change) for key, value in template.items()}
    if isinstance(template, slice):
        return slice(*[map_refs(part, change) for part in (template.start, template.stop, template.step)])
    return template


def where_called() -> str:
    """'file:line' of the innermost frame outside this package and NumPy (the line of the
    step, or of the library, that made the current call) and, when that is in the library,
    ', called from file:line' of the step's own line."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith((_HERE, _NUMPY)):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    where = f"{_short(frame.f_code.co_filename)}:{frame.f_lineno}"
    caller = frame
    while caller is not None and caller.f_code.co_filename.startswith((_LIBRARY, _NUMPY)):
        caller = caller.f_back
    if caller is not None and caller is not frame:
        where += f", called from {_short(caller.f_code.co_filename)}:{caller.f_lineno}"
    return where


@functools.lru_cache(maxsize=256)
def _short(filename: str) -> str:
    """A file name relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


# ------------------------------------------------------------------ the traced array

class TracedArray(np.ndarray):
    """An ndarray whose NumPy calls the active tracer records.

    Each one stands for a slot of the program and wraps a plain array, `_plain`, with
    the same memory. When no tracer is active (an array left in a graph after its trace
    ended) it behaves as a plain ndarray.
    """

    __slots__ = ("_slot", "_plain")

    def __array_finalize__(self, obj: Any) -> None:
        # Arrays NumPy makes by itself (from a C method we do not wrap) start untracked.
        self._slot = None
        self._plain = None

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        tracer = _tracer
        if tracer is None:
            return getattr(ufunc, method)(*_untraced(inputs), **_untraced(kwargs))
        return tracer.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable, types: Any, args: tuple, kwargs: dict) -> Any:
        tracer = _tracer
        if tracer is None:
            return func(*_untraced(args), **_untraced(kwargs))
        return tracer.function(func, args, kwargs)

    @property
    def base(self) -> Any:
        """The base eager code would see: the traced array this one is a view of, or None
        for an array with memory of its own."""
        tracer = _tracer
        plain = _plain_of(self)
        if tracer is None:
            return plain.base
        return tracer.logical_base(plain)

    def __iter__(self) -> Iterator[Any]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for index in range(len(self)):
            yield self[index]

    def __reduce__(self) -> Any:
        return _plain_of(self).__reduce__()


def _plain_of(array: np.ndarray) -> np.ndarray:
    """The plain ndarray with `array`'s memory."""
    plain = array._plain if isinstance(array, TracedArray) else None
    return plain if plain is not None else np.ndarray.view(array, np.ndarray)


def _untraced(template: Any) -> Any:
    """`template` with every TracedArray (in tuples, lists and dicts) made plain."""
    if isinstance(template, TracedArray):
        return _plain_of(template)
    if isinstance(template, tuple):
        return tuple([_untraced(item) for item in template])
    if isinstance(template, list):
        return [_untraced(item) for item in template]
    if isinstance(template, dict):
        return {key: _untraced(value) for key, value in template.items()}
    return template


# How each ndarray method is treated (the rest of the public ones are recorded as pure).
_WRITES_SELF = {"fill", "sort", "partition", "put", "setfield", "__setitem__"}
_READS_VALUE = {"item", "tolist", "__bool__", "__int__", "__float__", "__index__", "__complex__",
                "__contains__", "tobytes", "__repr__", "__str__", "__format__"}
_UNTRACEABLE = {"dump", "dumps", "tofile", "resize", "byteswap", "__dlpack__", "__setstate__",
                "__reduce_ex__", "__getstate__"}
_DATA_DEPENDENT_SHAPE = {"nonzero", "compress"}
_NOT_WRAPPED = {"__array_finalize__", "__array_function__", "__array_ufunc__", "__array_wrap__",
                "__array_priority__", "__array_interface__", "__array_struct__", "__class__",
                "__class_getitem__", "__delattr__", "__dir__", "__doc__", "__getattribute__",
                "__hash__", "__init__", "__init_subclass__", "__new__", "__setattr__",
                "__sizeof__", "__subclasshook__", "__len__", "__iter__", "__reduce__",
                "__dlpack_device__", "__delitem__", "base", "dtype", "flags", "itemsize",
                "nbytes", "ndim", "shape", "size", "strides", "device"}
_VIEW_PROPERTIES = {"T", "mT", "real", "imag"}
_LEAKING_PROPERTIES = {"data", "flat", "ctypes"}
# Number protocol slots: ndarray turns them into ufunc calls, which __array_ufunc__ sees.
_ARITHMETIC = {name for name in dir(np.ndarray)
               if name.startswith("__") and name[2:-2].lstrip("ri") in {
                   "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow",
                   "lshift", "rshift", "and", "or", "xor", "neg", "pos", "abs", "invert",
                   "lt", "le", "eq", "ne", "gt", "ge"}}


def _method(name: str) -> Callable:
    base = getattr(np.ndarray, name)

    def method(self: TracedArray, *args: Any, **kwargs: Any) -> Any:
        tracer = _tracer
        if tracer is None:
            return base(_plain_of(self), *_untraced(args), **_untraced(kwargs))
        return tracer.method(name, self, args, kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = base.__doc__
    return method


def _property(name: str, leaking: bool) -> property:
    descriptor = getattr(np.ndarray, name)

    def getter(self: TracedArray) -> Any:
        tracer = _tracer
        if tracer is None:
            return descriptor.__get__(_plain_of(self))
        if leaking:
            tracer.breaks.append(f"ndarray.{name} exposes an array's memory to Python at "
                                 f"{where_called()}")
            return descriptor.__get__(_plain_of(self))
        return tracer.method(name, self, (), {}, attribute=True)

    def setter(self: TracedArray, value: Any) -> None:
        tracer = _tracer
        if tracer is not None:
            tracer.breaks.append(f"setting ndarray.{name} at {where_called()}")
        descriptor.__set__(_plain_of(self), _untraced(value))

    return property(getter, setter)


def _metadata_setter(name: str) -> property:
    """`shape`, `dtype` and `strides` read as usual; setting them in place is not traced."""
    descriptor = getattr(np.ndarray, name)

    def setter(self: TracedArray, value: Any) -> None:
        tracer = _tracer
        if tracer is not None:
            tracer.breaks.append(f"setting ndarray.{name} in place at {where_called()}")
        descriptor.__set__(_plain_of(self), value)
        descriptor.__set__(self, value)

    return property(lambda self: descriptor.__get__(_plain_of(self)), setter)


for _name in dir(np.ndarray):
    if _name in _NOT_WRAPPED or _name in _ARITHMETIC or _name in TracedArray.__dict__:
        continue
    if _name in _VIEW_PROPERTIES or _name in _LEAKING_PROPERTIES:
        setattr(TracedArray, _name, _property(_name, _name in _LEAKING_PROPERTIES))
    elif callable(getattr(np.ndarray, _name)):
        setattr(TracedArray, _name, _method(_name))
for _name in ("shape", "dtype", "strides"):
    setattr(TracedArray, _name, _metadata_setter(_name))
del _name


# ------------------------------------------------------------------ NumPy functions

# Functions that answer from metadata alone: not recorded and not guarded.
_METADATA_FUNCTIONS = {"shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj",
                       "isfortran", "min_scalar_type", "can_cast", "broadcast_shapes"}
# Their result's shape depends on the values of their input.
_SHAPE_FROM_VALUES = {"nonzero", "argwhere", "flatnonzero", "unique", "unique_values",
                      "unique_counts", "unique_inverse", "unique_all", "extract", "trim_zeros",
                      "setdiff1d", "intersect1d", "union1d", "setxor1d", "bincount"}
# The argument (by position) each of these writes in place.
_WRITES_ARGUMENT = {"copyto": 0, "put": 0, "place": 0, "putmask": 0, "fill_diagonal": 0,
                    "put_along_axis": 0,
                    # Optimizer._add_scaled's kernels
                    "_blas_add_scaled": 0, "_numpy_add_scaled": 0}


class Tracer:
    """Records the NumPy work of one call. See the module docstring.

    Attributes:
        ops: the program, in the order the eager call made the calls.
        slots: one `Slot` per array.
        breaks: reasons the program cannot stand for the call; empty if it can.
        tensors: the tensor objects the program's Python effects refer to.
    """

    def __init__(self) -> None:
        self.ops: List[Op] = []
        self.slots: List[Slot] = []
        self.breaks: List[str] = []
        self._slot_of: Dict[int, int] = {}  # id(plain array) -> slot
        self._wrapper: Dict[int, TracedArray] = {}  # slot -> its TracedArray
        self._keep: List[Any] = []  # everything whose id() we use stays alive
        self.draws: List[Tuple[str, tuple, dict]] = []  # (method, args, kwargs) of each global draw
        self.generators: List[Any] = []  # the Generators drawn from
        self.tensors: List[Any] = []  # tensors named by "grad" effects, by index
        self._tensor_index: Dict[int, int] = {}
        self._unowned_copies: Dict[int, np.ndarray] = {}  # unowned slot -> its values at first use
        self.preimages: Dict[int, np.ndarray] = {}  # argument or external slot -> values before
        # Slots and buffers whose values can differ between calls (they come from the call's
        # data, however indirectly); the rest are constants the trace computed.
        self._varying: set = set()
        # Buffers made by np.empty that no recorded op has written yet: reading one means
        # something the tracer cannot see filled it (NumPy's own C code, a Generator's draw).
        self._unfilled: Dict[int, str] = {}
        self.paused = False  # set while the tracer itself calls into NumPy's C code

    # -------------------------------------------------------------- slots

    def _new_slot(self, kind: str, plain: np.ndarray, owner: Any = None) -> Slot:
        slot = Slot(len(self.slots), kind, plain, owner)
        self.slots.append(slot)
        self._slot_of[id(plain)] = slot.index
        self._keep.append(plain)
        if kind != RESULT:
            self._varying.add(slot.index)
        return slot

    def varies(self, template: Any) -> bool:
        """Whether any slot in `template` can hold other values at another call."""
        found: List[int] = []
        _collect_refs(template, found)
        return any(slot in self._varying or any(b in self._varying for b in self.slots[slot].buffers)
                   for slot in found)

    def owns(self, array: TracedArray) -> bool:
        """Whether `array` is one of this trace's TracedArrays."""
        slot = array._slot
        return slot is not None and self._wrapper.get(slot) is array

    def _wrap(self, slot: Slot) -> TracedArray:
        traced = np.ndarray.view(slot.array, TracedArray)
        traced._slot, traced._plain = slot.index, slot.array
        self._wrapper[slot.index] = traced
        self._keep.append(traced)
        return traced

    def source(self, array: np.ndarray, kind: str, owner: Any) -> TracedArray:
        """A TracedArray for an array that exists before the call uses it: an argument's
        or an external one's (a tensor's data, an optimizer's state)."""
        plain = _plain_of(array)
        if id(plain) in self._slot_of:
            return self._wrapper[self._slot_of[id(plain)]]
        return self._wrap(self._new_slot(kind, plain, owner))

    def logical_base(self, plain: np.ndarray) -> Any:
        """The base eager code would see for `plain`'s traced array."""
        base = plain.base
        if base is None:
            return None
        slot = self._slot_of.get(id(base))
        if slot is None:
            return base
        return self._wrapper.get(slot, self.slots[slot].array)

    # ------------------------------------------------------------ unwrapping

    def _unwrap(self, template: Any, writes: Optional[List[int]] = None,
                written: bool = False) -> Tuple[Any, Any]:
        """(the arguments with plain arrays, the template with Refs), registering arrays
        the tracer has not seen as unowned slots."""
        if isinstance(template, TracedArray):
            slot = template._slot
            if not self.owns(template):
                if template._plain is not None:  # left over from a finished trace: plain now
                    return self._unwrap(template._plain, writes, written)
                self.breaks.append(f"an array made by a NumPy call the tracer cannot see is "
                                   f"used at {where_called()}")
                return _plain_of(template), None
            if written:
                self._save_preimage(slot)
                if writes is not None:
                    writes.append(slot)
            return template._plain, Ref(slot)
        if isinstance(template, np.ndarray):
            slot = self._plain_slot(template)
            if written:
                self._check_written(slot)
                if writes is not None:
                    writes.append(slot)
            return template, Ref(slot)
        if isinstance(template, (tuple, list)):
            pairs = [self._unwrap(item, writes, written) for item in template]
            kind = type(template) if type(template) in (tuple, list) else tuple
            return kind([p for p, _ in pairs]), kind([r for _, r in pairs])
        if isinstance(template, dict):
            pairs = {key: self._unwrap(value, writes, written) for key, value in template.items()}
            return ({key: p for key, (p, _) in pairs.items()},
                    {key: r for key, (_, r) in pairs.items()})
        if isinstance(template, slice) and any(isinstance(part, np.ndarray) for part in
                                               (template.start, template.stop, template.step)):
            (start, stop, step), (r1, r2, r3) = self._unwrap((template.start, template.stop,
                                                             template.step))
            return slice(start, stop, step), slice(r1, r2, r3)
        return template, template

    def _plain_slot(self, array: np.ndarray) -> int:
        """The slot of a plain ndarray an op was given: registered on first sight."""
        slot = self._slot_of.get(id(array))
        if slot is not None:
            if self.slots[slot].kind == UNOWNED:
                first = self._unowned_copies.get(slot)
                if first is not None and not _same_bits(first, array):
                    self.breaks.append(f"an array the tracer does not track changed during the "
                                       f"call before its use at {where_called()}")
            return slot
        if self._overlaps_traced(array):
            self.breaks.append(f"a plain view of a traced array (from np.asarray, "
                               f"ndarray.view or the buffer protocol) is used at {where_called()}")
        slot = self._new_slot(UNOWNED, array, where_called()).index
        self._unowned_copies[slot] = array.copy()
        return slot

    def _overlaps_traced(self, array: np.ndarray) -> bool:
        return any(slot.kind != UNOWNED and slot.owns_memory
                   and np.may_share_memory(array, slot.array) for slot in self.slots)

    # ------------------------------------------------------------ recording

    def _record(self, kind: str, fn: Any, args: Any, kwargs: dict, result: Any,
                inputs: Sequence[np.ndarray], writes: List[int], method: bool = False,
                supports_out: bool = False) -> Any:
        """Add an op whose plain `result` is known; returns the result for the caller,
        with new arrays as TracedArrays."""
        out_template, traced_result = self._outputs(result, inputs)
        op = Op(kind, fn, args, kwargs, out_template, tuple(writes), where_called(),
                method=method, supports_out=supports_out)
        self.ops.append(op)
        if self._unfilled:
            self._check_filled(op)
        if kind == "draw" or self.varies(args) or self.varies(kwargs):
            for slot in op.outputs() + list(writes):
                self._varying.add(slot)
                self._varying.update(self.slots[slot].buffers)
        return traced_result

    def _outputs(self, result: Any, inputs: Sequence[np.ndarray]) -> Tuple[Any, Any]:
        if isinstance(result, np.ndarray):
            slot = self._slot_of.get(id(result))
            if slot is not None:  # an array the op was given, returned as is
                return Ref(slot), self._wrapper.get(slot, result)
            new = self._new_slot(RESULT, result)
            new.buffers = self._memory_of(result, inputs, new.index)
            return Ref(new.index), self._wrap(new)
        if isinstance(result, np.generic):
            ref, traced = self._outputs(np.asarray(result), inputs)
            self.slots[ref.slot].scalar = True
            return ref, traced
        if isinstance(result, (tuple, list)) and any(isinstance(item, (np.ndarray, np.generic))
                                                     for item in result):
            pairs = [self._outputs(item, inputs) for item in result]
            kind = tuple if isinstance(result, tuple) else list
            return kind([r for r, _ in pairs]), kind([t for _, t in pairs])
        return None, result

    def _memory_of(self, result: np.ndarray, inputs: Sequence[np.ndarray], index: int) -> Tuple[int, ...]:
        """The buffers whose memory a new result uses: its own, or those of the inputs it views."""
        if result.base is None:
            return (index,)
        slot = self._slot_of.get(id(result.base))
        if slot is not None:
            return self.slots[slot].buffers
        shared = []
        for array in inputs:
            slot = self._slot_of.get(id(array))
            if slot is not None and np.may_share_memory(result, array):
                shared.extend(self.slots[slot].buffers)
        return tuple(dict.fromkeys(shared)) or (index,)

    def ufunc(self, ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
        writes: List[int] = []
        if method == "at":  # ufunc.at(a, indices, b) changes a in place
            first, first_ref = self._unwrap(inputs[0], writes, written=True)
            rest, rest_refs = self._unwrap(inputs[1:])
            plain_inputs, input_refs = (first,) + rest, (first_ref,) + rest_refs
        else:
            plain_inputs, input_refs = self._unwrap(inputs)
        out = kwargs.get("out")
        plain_kwargs, kwarg_refs = self._unwrap({k: v for k, v in kwargs.items() if k != "out"})
        if out is not None:
            plain_out, out_refs = self._unwrap(out, writes, written=True)
            plain_kwargs["out"], kwarg_refs["out"] = plain_out, out_refs
        result = getattr(ufunc, method)(*plain_inputs, **plain_kwargs)
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        arrays = [a for a in plain_inputs if isinstance(a, np.ndarray)]
        return self._record("call", fn, input_refs, kwarg_refs, result, arrays, writes,
                            supports_out=method in ("__call__", "reduce", "accumulate", "outer"))

    def function(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        name = func.__name__
        plain_args, arg_refs = self._unwrap(args)
        plain_kwargs, kwarg_refs = self._unwrap(kwargs)
        if name in _METADATA_FUNCTIONS:
            return func(*plain_args, **plain_kwargs)
        values = (arg_refs[:1] if name != "repeat" else arg_refs[1:2]) if arg_refs else ()
        if (name in _SHAPE_FROM_VALUES or (name == "where" and len(args) == 1)
                or name in ("compress", "repeat")) and self.varies(values):
            self.breaks.append(f"np.{name} makes an array whose shape depends on values that "
                               f"change between calls, at {where_called()}")
        writes: List[int] = []
        position = _WRITES_ARGUMENT.get(name)
        if position is not None and position < len(arg_refs) and isinstance(arg_refs[position], Ref):
            writes.append(arg_refs[position].slot)
            self._check_written(arg_refs[position].slot)
            self._save_preimage(arg_refs[position].slot)
        if isinstance(kwarg_refs.get("out"), (Ref, tuple)):
            _collect_refs(kwarg_refs["out"], writes)
            for slot in writes:
                self._check_written(slot)
                self._save_preimage(slot)
        result = func(*plain_args, **plain_kwargs)
        arrays = [a for a in _flat_arrays(plain_args)]
        if not _is_array_result(result):
            return self.guard(func, arg_refs, kwarg_refs, result)
        return self._record("call", func, arg_refs, kwarg_refs, result, arrays, writes,
                            supports_out="out" in kwargs)

    def method(self, name: str, array: TracedArray, args: tuple, kwargs: dict,
               attribute: bool = False) -> Any:
        """An ndarray method (or view property, with attribute=True) called on a traced array."""
        writes: List[int] = []
        plain_self, self_ref = self._unwrap(array, writes, written=name in _WRITES_SELF)
        plain_args, arg_refs = self._unwrap(args)
        plain_kwargs, kwarg_refs = self._unwrap({k: v for k, v in kwargs.items() if k != "out"})
        if "out" in kwargs:
            plain_kwargs["out"], kwarg_refs["out"] = self._unwrap(kwargs["out"], writes, written=True)
        if name in _UNTRACEABLE:
            self.breaks.append(f"ndarray.{name} is not traced ({where_called()})")
        if name in _DATA_DEPENDENT_SHAPE and self.varies((self_ref,) + tuple(arg_refs)):
            self.breaks.append(f"ndarray.{name} makes an array whose shape depends on values that "
                               f"change between calls, at {where_called()}")
        if attribute:
            result = getattr(plain_self, name)
        else:
            result = getattr(np.ndarray, name)(plain_self, *plain_args, **plain_kwargs)
        if name == "__getitem__" and _is_advanced_bool(plain_args[0]) and self.varies(arg_refs):
            self.breaks.append(f"indexing with a boolean mask that changes between calls makes an "
                               f"array whose shape changes, at {where_called()}")
        if name in _READS_VALUE:
            return self.guard(name, (self_ref,) + tuple(arg_refs), kwarg_refs, result, method=True)
        arrays = [plain_self] + [a for a in _flat_arrays(plain_args)]
        if name == "__setitem__":
            return self._record("setitem", None, (self_ref,) + tuple(arg_refs), {}, None,
                                arrays, writes)
        kind = "method"
        fn: Any = name
        if attribute:
            fn = "." + name  # an attribute: codegen reads it, calls nothing
        return self._record(kind, fn, (self_ref,) + tuple(arg_refs), kwarg_refs, result, arrays,
                            writes, method=True, supports_out=name in _METHODS_WITH_OUT)

    def _check_filled(self, op: Op) -> None:
        """Break on a read of an np.empty array no recorded op has written (something the
        tracer cannot see filled it); a view of it is not a read, a write fills it."""
        writes = set(op.writes)
        outputs = {b for s in op.outputs() for b in self.slots[s].buffers}
        for slot in op.reads():
            for buffer in self.slots[slot].buffers:
                made = self._unfilled.get(buffer)
                if made is not None and slot not in writes and buffer not in outputs:
                    self.breaks.append(f"an array made by np.empty at {made} is read at "
                                       f"{op.where} before anything the tracer sees wrote it "
                                       "(C code filled it: a np.random.Generator's draw?)")
                    del self._unfilled[buffer]
        for slot in writes:
            for buffer in self.slots[slot].buffers:
                self._unfilled.pop(buffer, None)

    def _save_preimage(self, slot: int) -> None:
        """Keep the values an argument's or external array had before the call first wrote
        into it, so that the call can be undone."""
        for buffer in self.slots[slot].buffers:
            source = self.slots[buffer]
            if source.kind in (ARG, EXTERNAL) and buffer not in self.preimages:
                self.preimages[buffer] = source.array.copy()

    def _check_written(self, slot: int) -> None:
        if self.slots[slot].kind == UNOWNED:
            self.breaks.append(f"the call writes into a NumPy array that no tensor or optimizer "
                               f"holds at {where_called()}; keep state in tensors or buffers")

    def guard(self, fn: Any, args: Any, kwargs: Any, value: Any, method: bool = False) -> Any:
        """Record that the call read `value` into Python from traced arrays; a replay
        recomputes it and falls back to eager if it differs."""
        if not _is_guardable(value):
            self.breaks.append(f"a tensor value of type {type(value).__name__} is read into Python "
                               f"at {where_called()}")
        op = Op("guard", fn, args, kwargs, None, (), where_called(), expected=value, method=method)
        self.ops.append(op)
        if self._unfilled:
            self._check_filled(op)
        return value

    # ------------------------------------------------------- creation and draws

    def create(self, original: Callable, args: tuple, kwargs: dict) -> Any:
        """A NumPy creation or conversion function (np.zeros, np.asarray, ...)."""
        plain_args, arg_refs = self._unwrap(args)
        plain_kwargs, kwarg_refs = self._unwrap(kwargs)
        result = original(*plain_args, **plain_kwargs)
        if not isinstance(result, np.ndarray):
            return result
        arrays = list(_flat_arrays(plain_args)) + list(_flat_arrays(plain_kwargs))
        slot = self._slot_of.get(id(result))
        if slot is not None and self.slots[slot].kind == UNOWNED:
            return result  # np.asarray of an array nothing owns: that array itself
        traced = self._record("call", original, arg_refs, kwarg_refs, result, arrays, [])
        if original.__name__ in ("empty", "empty_like") and isinstance(traced, TracedArray):
            self._unfilled[traced._slot] = where_called()
        return traced

    def draw(self, source: Any, name: str, args: tuple, kwargs: dict) -> Any:
        """Make and record a draw through `mytorch.random.draw`: `source` is NumPy's global
        state (`np.random`) or a Generator, whose method `name` a replay calls again."""
        plain_args, arg_refs = self._unwrap(args)
        plain_kwargs, kwarg_refs = self._unwrap(kwargs)
        method = getattr(source, name)
        self.paused = True  # NumPy's generators make their output with np.empty, in C
        try:
            sample = method(*plain_args, **plain_kwargs)
        finally:
            self.paused = False
        if source is np.random:
            self.draws.append((name, plain_args, plain_kwargs))
        elif not any(source is seen for seen in self.generators):
            self.generators.append(source)
        if not isinstance(sample, (np.ndarray, np.generic)):
            self.breaks.append(f"a random draw ({name}) returned a Python {type(sample).__name__} "
                               f"at {where_called()}")
            return sample
        return self._record("draw", method, arg_refs, kwarg_refs, np.asarray(sample), [], [])

    # ---------------------------------------------------------- Python effects

    def tensor_index(self, tensor: Any) -> int:
        """The index of a tensor object in `tensors` (added on first use)."""
        index = self._tensor_index.get(id(tensor))
        if index is None:
            index = self._tensor_index[id(tensor)] = len(self.tensors)
            self.tensors.append(tensor)
        return index

    def set_grad(self, tensor: Any, value: Any) -> None:
        """Record `tensor.grad = value`: None, a tensor made in the call (by its data's
        slot) or an existing tensor object."""
        self.ops.append(Op("grad", None, (self.tensor_index(tensor), value), None, None, (),
                           where_called()))

    def errstate(self, kwargs: Optional[dict]) -> None:
        self.ops.append(Op("errstate", None, kwargs, None, None, (), where_called()))


_METHODS_WITH_OUT = {"all", "any", "argmax", "argmin", "choose", "clip", "cumprod", "cumsum", "dot",
                     "max", "mean", "min", "prod", "round", "std", "sum", "take", "trace", "var"}


def _flat_arrays(template: Any) -> Iterator[np.ndarray]:
    if isinstance(template, np.ndarray):
        yield template
    elif isinstance(template, (tuple, list)):
        for item in template:
            yield from _flat_arrays(item)
    elif isinstance(template, dict):
        for item in template.values():
            yield from _flat_arrays(item)


def _is_array_result(result: Any) -> bool:
    if isinstance(result, (np.ndarray, np.generic)) or result is None:
        return True
    return isinstance(result, (tuple, list)) and bool(result) and all(
        isinstance(item, (np.ndarray, np.generic)) for item in result)


def _is_guardable(value: Any) -> bool:
    """Whether a replay can compare a value read into Python with the traced one."""
    if isinstance(value, (bool, int, float, complex, str, bytes, np.generic)) or value is None:
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_guardable(item) for item in value)
    return False


def _is_advanced_bool(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(part, np.ndarray) and part.dtype == np.bool_ and part.ndim > 0
               for part in parts)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8))


def same_value(a: Any, b: Any) -> bool:
    """Whether two values read into Python are the same (NaN equals NaN)."""
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        return _same_bits(a, b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def start(tracer: Tracer) -> None:
    global _tracer
    if _tracer is not None:
        raise RuntimeError("mytorch.compile: a trace is already running")
    _tracer = tracer


def stop() -> None:
    global _tracer
    _tracer = None
