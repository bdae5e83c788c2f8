"""From a trace to a replay: what runs per call, where its outputs live, and the generated
Python function that runs it.

The analysis, in order:

1. Optimizer regions whose Python state changes per call become one "opaque" op that
   calls the optimizer's `step`; their inner ops are dropped.
2. *Dynamic* ops are those whose results can differ between calls: they read an argument,
   an external array, a random draw or another dynamic result, or write into an array.
   The rest are constants, computed once by the trace (np.arange for row indices, a
   seed gradient of ones); a guard on constants always holds and is dropped.
3. Dead ops are dropped: an op runs if it has an effect (writes an array that outlives the
   call, draws, guards, calls an optimizer, sets a `.grad`) or something that runs reads
   what it makes.
4. Value guards that read only arguments and arrays nothing has written yet move, with
   the ops they need, to the start (a loss's label checks), where failing costs nothing.
5. A copy of a temporary that dies at the copy (eager's copy of a small gradient, which
   it cannot know nobody else holds) becomes the temporary itself.
6. *Planning*: a temporary made by an op that takes `out=`, by np.empty/zeros/ones/full
   (a fill), or by a copy without `out=` (`np.copyto` instead) gets a buffer allocated
   once, of the traced layout; a buffer is reused by a later temporary of the same shape,
   dtype and order once every array that uses its memory (views included) is dead.
   Arrays that outlive the call (returned, stored as a `.grad`) are made afresh each call,
   as eager makes them, so a caller that keeps them never sees them overwritten.
7. *Hoisting*: a view (reshape, transpose, slice, as_strided, ...) of arrays whose objects
   are the same at every call (external arrays, constants, planned buffers) is made once.
8. Code generation: one Python function per program, with every constant, function and
   buffer bound in its closure, one statement per NumPy call (an `ndarray.sum` as the
   ufunc reduction it is, without its Python wrapper); no-ops such as
   `astype(copy=False)` of an array already of that dtype are left out.
"""
import collections
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import numpy as np

from mytorch.jit.capture import Trace, _same_leaf
from mytorch.jit.tracing import (ARG, EXTERNAL, RESULT, UNOWNED, Op, Ref, TracedArray, map_refs,
                                 same_value)
from mytorch.tensor import Tensor

_EFFECTS = ("draw", "opaque", "grad", "errstate", "guard")
# Creation functions whose array, when a temporary, is a planned buffer: (position of the
# fill value among the arguments, or the value itself; None for np.empty's any-content).
_CREATIONS = {np.empty: None, np.empty_like: None, np.zeros: ("value", 0),
              np.zeros_like: ("value", 0), np.ones: ("value", 1), np.ones_like: ("value", 1),
              np.full: ("argument", 1), np.full_like: ("argument", 1)}
# ndarray methods that are one ufunc reduction (numpy/_core/_methods.py).
_REDUCTIONS = {"sum": np.add.reduce, "prod": np.multiply.reduce, "max": np.maximum.reduce,
               "min": np.minimum.reduce}


class Deopt:
    """What a replay returns when a guard fails: the call must run eagerly instead.
    By then the replay has put back every array it changed (and the random state)."""

    __slots__ = ("index", "reason")

    def __init__(self, index: int, reason: str) -> None:
        self.index, self.reason = index, reason


class Program:
    """A replayable program, or the reasons it cannot be one.

    Attributes:
        reasons: why the trace cannot be replayed (empty if it can).
        replay: `replay(*argument_arrays, tensors)` -> the call's result, or a `Deopt`.
        source: the generated code, for inspection.
        written: every array that outlives the call and that the replay writes (arguments
            by position, external arrays by object): what a check must save and compare.
        grads: the tensors whose `.grad` the replay sets (fixed tensors, or argument positions).
        optimizers: the optimizers whose `step` the replay calls as is.
        draws, generators: whether it draws from NumPy's global state, and the Generators
            (`mytorch.Generator`, `generator=`) it draws from.
        untracked: where the program first used each plain array it holds by reference
            (made outside what the tracer sees: a global, a np.random.Generator's draw).
        recorded, replayed, buffers, buffer_bytes, planned, hoisted: sizes, for `explain`.
    """

    def __init__(self) -> None:
        self.reasons: List[str] = []
        self.replay: Optional[Callable] = None
        self.source = ""
        self.written: List[Tuple[str, Any]] = []
        self.grads: List[Tuple[str, Any]] = []
        self.optimizers: List[Any] = []
        self.draws = False
        self.generators: List[Any] = []  # the Generators the replay draws from
        self.untracked: List[str] = []  # where the replay's untracked plain arrays were first used
        self.recorded = self.replayed = self.buffers = self.buffer_bytes = self.hoisted = 0
        self.planned = 0  # temporaries that live in the buffers (more than buffers: reuse)


def build(trace: Trace, output: Any) -> Program:
    """Analyse `trace` and generate its replay. `output` is the call's result (a Tensor, a
    tuple or list of Tensors, or None)."""
    program = Program()
    planner = _Planner(trace, output, program)
    planner.run()
    return program


class _Planner:
    def __init__(self, trace: Trace, output: Any, program: Program) -> None:
        self.trace, self.tracer, self.program = trace, trace.tracer, program
        self.slots = self.tracer.slots
        self.output = output
        self.reasons = program.reasons
        self.reasons.extend(self.tracer.breaks)

    # ------------------------------------------------------------ overview

    def run(self) -> None:
        self.ops = self._cut_regions()
        self._check_random()
        self._check_tensors()
        self.result = self._result_template(self.output)
        self._effects()
        if self.reasons:
            return
        self.program.recorded = len(self.ops)
        self._dynamic()
        self._live()
        self._hoist_guards()
        self._check_guards()
        if self.reasons:
            return
        self._elide_copies()
        self._plan()
        self._hoist()
        self._generate()

    # --------------------------------------------------- regions and checks

    def _cut_regions(self) -> List[Op]:
        """The ops with each opaque optimizer region replaced by one op calling its step."""
        regions = sorted(self.trace.regions, key=lambda region: region.start)
        ops, inside, position = [], set(), 0
        for region in regions:
            ops.extend(self.tracer.ops[position:region.start])
            ops.append(Op("opaque", region.call, (), None, None, (), region.call.__qualname__))
            for op in self.tracer.ops[region.start:region.stop]:
                inside.update(op.outputs())
            position = region.stop
            self.program.optimizers.append(region.optimizer)
        ops.extend(self.tracer.ops[position:])
        if inside:
            for op in self.tracer.ops[position:]:
                if inside.intersection(op.reads()):
                    self.reasons.append(f"an array an optimizer step made is used after the step "
                                        f"at {op.where}")
                    break
        return ops

    def _check_random(self) -> None:
        """Every draw from NumPy's global generator went through mytorch.random.draw."""
        scratch = np.random.RandomState()
        scratch.set_state(self.trace.rng_start)
        try:
            for name, args, kwargs in self.tracer.draws:
                getattr(scratch, name)(*args, **kwargs)
        except Exception:  # a draw that cannot be repeated the same way
            self.reasons.append("a random draw could not be repeated")
            return
        expected, actual = scratch.get_state(), np.random.get_state()
        if not (expected[0] == actual[0] and np.array_equal(expected[1], actual[1])
                and tuple(expected[2:]) == tuple(actual[2:])):
            self.reasons.append("the call draws random numbers other than through "
                                "mytorch.random.draw (np.random called directly, or reseeded)")
        self.program.draws = bool(self.tracer.draws)
        self.program.generators = list(self.tracer.generators)

    def _check_tensors(self) -> None:
        for record in self.trace.touched.values():
            tensor = record.tensor
            if record.grad_fn is not None:
                self.reasons.append(f"a tensor of shape {tensor.shape} from outside the call is "
                                    "part of a graph (it has a grad_fn)")
            if tensor._hooks and not record.hooks:
                self.reasons.append(f"a tensor of shape {tensor.shape} has gradient hooks")

    # -------------------------------------------------------- what escapes

    def _tensor_value(self, tensor: Any, what: str) -> Any:
        """How the replay makes `tensor`: ("object", it) for a tensor that existed before the
        call, else ("new", id, slot ref) for one the call made from its data."""
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{what} must be a Tensor, got {type(tensor).__name__}")
        if id(tensor) not in self.trace.new_tensors:
            return ("object", tensor)
        if tensor.grad_fn is not None and what != "the result":
            self.reasons.append(f"{what} is a tensor with a graph")
        data = tensor.__dict__["data"]
        slot = self._slot_of_array(data)
        return ("new", id(tensor), Ref(slot), tensor)

    def _slot_of_array(self, data: np.ndarray) -> int:
        tracer = self.tracer
        if isinstance(data, TracedArray) and data._slot is not None \
                and tracer._wrapper.get(data._slot) is data:
            return data._slot
        slot = tracer._slot_of.get(id(data))
        if slot is None:
            slot = tracer._new_slot(UNOWNED, data, "the result").index
        return slot

    def _result_template(self, output: Any) -> Any:
        if output is None:
            return None
        if isinstance(output, (tuple, list)):
            return type(output)(self._result_template(item) for item in output)
        return self._tensor_value(output, "the result")

    def _effects(self) -> None:
        """Python effects: `.grad`s (only the last before each optimizer call and the end
        matters, and a first `.grad = None`, zero_grad's, where it was made), version
        counters and module attributes."""
        tracer, trace = self.tracer, self.trace
        kept: List[Op] = []
        pending: Dict[int, Op] = {}
        seen: Set[int] = set()
        for op in self.ops:
            if op.kind == "grad":
                index, value = op.args
                if value is not None:
                    value = self._tensor_value(value, "a .grad")
                elif index not in seen:
                    # Dropping the old gradient where eager drops it lets the memory it
                    # frees hold this call's gradients, as in eager (`_generate` keeps it
                    # after the guards, so a failed guard has no .grad to put back).
                    kept.append(Op("grad", None, (index, None), None, None, (), op.where))
                seen.add(index)
                pending[index] = Op("grad", None, (index, value), None, None, (), op.where)
                continue
            if op.kind == "opaque":
                kept.extend(pending.values())
                pending = {}
            kept.append(op)
        kept.extend(pending.values())
        self.ops = kept
        self.escaping: Set[int] = set()
        for op in self.ops:
            if op.kind == "grad" and op.args[1] is not None and op.args[1][0] == "new":
                self.escaping.add(op.args[1][2].slot)
        self._collect_escaping(self.result)
        # Version counters: what the call added, less what opaque optimizer calls add.
        self.versions = []
        for key, record in trace.touched.items():
            delta = record.tensor._version - record.version
            delta -= sum(region.versions.get(key, 0) for region in trace.regions)
            if delta:
                self.versions.append((record, delta))
        # Module attributes the call changed: set to their final value at the end.
        self.attributes = []
        modules = {id(module): module for module in trace.modules}
        for (key, name), entry in trace.module_entry.items():
            module = modules[key]
            final = module.__dict__.get(name, entry if name not in module.__dict__ else None)
            if name not in module.__dict__:
                self.reasons.append(f"the call deletes attribute {name!r} of a "
                                    f"{type(module).__name__}")
                continue
            if _same_leaf(entry, final):
                continue
            if isinstance(final, (np.ndarray, Tensor)) and (
                    isinstance(final, TracedArray) or id(final) in trace.new_tensors):
                self.reasons.append(f"the call stores a new array in attribute {name!r} of a "
                                    f"{type(module).__name__}")
                continue
            self.attributes.append((module, name, final))

    def _collect_escaping(self, template: Any) -> None:
        if isinstance(template, (tuple, list)) and (not template or template[0] not in ("object", "new")):
            for item in template:
                self._collect_escaping(item)
        elif isinstance(template, tuple) and template[0] == "new":
            self.escaping.add(template[2].slot)

    # ------------------------------------------------------------ analysis

    def _buffers(self, slot: int) -> Tuple[int, ...]:
        return self.slots[slot].buffers

    def _dynamic(self) -> None:
        slots = self.slots
        written: Set[int] = set()
        for op in self.ops:
            for slot in op.writes:
                written.update(self._buffers(slot))
        escaping_buffers = {b for slot in self.escaping for b in self._buffers(slot)}
        fixed_memory = written | escaping_buffers
        self.dynamic_slot = [slot.kind != RESULT for slot in slots]
        self.op_dynamic = []
        for op in self.ops:
            dynamic = (op.kind in ("draw", "opaque", "grad", "errstate") or bool(op.writes)
                       or any(self.dynamic_slot[s] for s in op.reads())
                       or any(b in fixed_memory for s in op.outputs() for b in self._buffers(s)))
            self.op_dynamic.append(dynamic)
            if dynamic:
                for s in op.outputs():
                    self.dynamic_slot[s] = True
        self.escaping_buffers = escaping_buffers
        self.observable = {slot.index for slot in slots if slot.kind != RESULT} | escaping_buffers

    def _live(self) -> None:
        used = set(self.escaping)
        needed = set(self.escaping_buffers)
        self.live = [False] * len(self.ops)
        for index in reversed(range(len(self.ops))):
            if not self.op_dynamic[index]:
                continue
            op = self.ops[index]
            written = {b for s in op.writes for b in self._buffers(s)}
            keep = (op.kind in _EFFECTS or bool(written & self.observable) or bool(written & needed)
                    or any(s in used for s in op.outputs()))
            if keep:
                self.live[index] = True
                touched = op.reads() + list(op.writes)
                used.update(touched)
                for s in touched:
                    needed.update(self._buffers(s))

    def _hoist_guards(self) -> None:
        """Move each value guard, with the ops it needs, to the start of the program when
        they only read arguments and constants nothing changes before the guard: a guard
        that fails there has nothing to put back (the label checks of a loss)."""
        producer: Dict[int, int] = {}
        written_before: Set[int] = set()  # buffers written by live ops so far
        moved: List[int] = []
        taken: Set[int] = set()
        self.in_errstate: Set[int] = set()  # ops inside np.errstate blocks: they stay there
        depth = 0
        for index, op in enumerate(self.ops):
            if op.kind == "errstate":
                depth += 1 if op.args is not None else -1
            elif depth:
                self.in_errstate.add(index)
            if not self.live[index]:
                continue
            if op.kind == "guard":
                group = self._guard_slice(index, producer, written_before)
                if group is not None:
                    moved.extend(i for i in group if i not in taken)
                    taken.update(group)
            for s in op.outputs():
                producer.setdefault(s, index)
            for s in op.writes:
                written_before.update(self._buffers(s))
        if not moved:
            return
        moved.sort()
        order = moved + [i for i in range(len(self.ops)) if i not in taken]
        self.ops = [self.ops[i] for i in order]
        self.live = [self.live[i] for i in order]
        self.op_dynamic = [self.op_dynamic[i] for i in order]

    def _guard_slice(self, guard: int, producer: Dict[int, int], written: Set[int]) -> Optional[Set[int]]:
        """The ops a guard needs, if all of them are pure and read only slots nothing has
        written so far (arguments, external arrays, constants); else None."""
        group, stack = {guard}, [guard]
        while stack:
            index = stack.pop()
            op = self.ops[index]
            if op.writes or op.kind not in ("call", "method", "guard") or index in self.in_errstate:
                return None
            for s in op.reads():
                if any(b in written for b in self._buffers(s)):
                    return None
                if self.slots[s].kind == RESULT and self.dynamic_slot[s]:
                    source = producer.get(s)
                    if source is None:
                        return None
                    if source not in group:
                        group.add(source)
                        stack.append(source)
        return group

    def _check_guards(self) -> None:
        """Guards must come before every optimizer call: a failed guard puts arrays back,
        which it cannot do for an optimizer's own state."""
        seen_opaque = None
        for index, op in enumerate(self.ops):
            if not self.live[index]:
                continue
            if op.kind == "opaque":
                seen_opaque = op
            elif op.kind == "guard" and seen_opaque is not None:
                self.reasons.append(f"a tensor value is read into Python at {op.where}, after "
                                    f"{seen_opaque.where}, whose Python state changes every call")
                return

    def _elide_copies(self) -> None:
        """A copy of a temporary that dies at the copy (eager copies a small gradient because
        it cannot know that nobody else holds it) becomes the temporary itself."""
        last_use: Dict[int, int] = {}
        for index, op in enumerate(self.ops):
            if self.live[index]:
                for s in op.reads() + list(op.writes) + op.outputs():
                    for b in self._buffers(s):
                        last_use[b] = index
        renames: Dict[int, int] = {}
        for index, op in enumerate(self.ops):
            if not self.live[index]:
                continue
            if renames:
                op.args, op.kwargs, op.out = (_rename(op.args, renames), _rename(op.kwargs, renames),
                                              _rename(op.out, renames))
            source = self._copied(op)
            if source is None or last_use.get(source) != index:
                continue
            renames[op.out.slot] = source
            self.live[index] = False
        if renames:
            self.escaping = {renames.get(s, s) for s in self.escaping}
            self.escaping_buffers = {b for s in self.escaping for b in self._buffers(s)}
            self.result = _rename(self.result, renames)

    def _copied(self, op: Op) -> Optional[int]:
        """The slot an op copies, when it makes a plain copy (same shape, dtype and layout) of
        a dynamic temporary with memory of its own, else None."""
        if op.kind not in ("call", "method") or op.writes or not isinstance(op.out, Ref):
            return None
        copies = (op.kind == "call" and op.fn in (np.array, np.copy) and not op.kwargs.keys() - {"dtype"}) \
            or (op.kind == "method" and op.fn in ("copy", "astype") and not op.kwargs.keys() - {"dtype", "order"})
        if not copies or not op.args or not isinstance(op.args[0], Ref):
            return None
        source, target = self.slots[op.args[0].slot], self.slots[op.out.slot]
        if (source.kind != RESULT or not source.owns_memory or not self.dynamic_slot[source.index]
                or source.index in self.escaping or source.scalar or not target.owns_memory
                or source.array.dtype != target.array.dtype or source.array.shape != target.array.shape
                or source.array.strides != target.array.strides):
            return None
        return source.index

    # ------------------------------------------------------------ planning

    def _plan(self) -> None:
        slots = self.slots
        last_use: Dict[int, int] = {}
        defined: Set[int] = {slot.index for slot in slots if slot.kind != RESULT}
        self.redefines: Set[int] = set()  # ops whose output slot already existed (identity)
        for index, op in enumerate(self.ops):
            if not self.live[index]:
                continue
            for s in op.reads() + list(op.writes) + op.outputs():
                for b in self._buffers(s):
                    last_use[b] = index
            for s in op.outputs():
                if s in defined:
                    self.redefines.add(index)
                defined.add(s)
        self.planned: Dict[int, np.ndarray] = {}
        self.planned_ops: Set[int] = set()
        pool: Dict[Tuple, List[np.ndarray]] = collections.defaultdict(list)
        release: Dict[int, List[Tuple[Tuple, np.ndarray]]] = collections.defaultdict(list)
        for index, op in enumerate(self.ops):
            if not self.live[index]:
                continue
            slot = self._plannable(index, op)
            if slot is not None:
                array = slots[slot].array
                order = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
                key = (array.shape, array.dtype.str, order)
                buffer = self._dying_input(index, op, array, last_use, release)
                if buffer is None and pool[key]:
                    buffer = pool[key].pop()
                if buffer is None:
                    buffer = np.empty(array.shape, array.dtype, order=order)
                    self.program.buffers += 1
                    self.program.buffer_bytes += buffer.nbytes
                self.planned[slot] = buffer
                self.planned_ops.add(index)
                self.program.planned += 1
                release[last_use.get(slot, index)].append((key, buffer))
            for key, buffer in release.pop(index, ()):
                pool[key].append(buffer)

    def _dying_input(self, index: int, op: Op, result: np.ndarray, last_use: Dict[int, int],
                     release: Dict[int, List[Tuple[Tuple, np.ndarray]]]) -> Optional[np.ndarray]:
        """For an elementwise ufunc, the buffer of an input that dies at this call and has
        the result's shape, dtype and strides: the result is written over it, in place, as
        hand-written NumPy would (`np.maximum(z, 0, out=z)`); NumPy computes a ufunc whose
        output is one of its inputs elementwise, correctly. The buffer's release moves to
        the result's last use."""
        if op.kind != "call" or not isinstance(op.fn, np.ufunc) or op.fn.signature is not None:
            return None
        for ref in op.args:
            if not isinstance(ref, Ref) or ref.slot not in self.planned:
                continue
            source = self.slots[ref.slot]
            buffer = self.planned[ref.slot]
            if (source.owns_memory and last_use.get(ref.slot) == index
                    and buffer.shape == result.shape and buffer.dtype == result.dtype
                    and buffer.strides == result.strides):
                for position, (_, released) in enumerate(release[index]):
                    if released is buffer:
                        del release[index][position]
                        return buffer
        return None

    def _plannable(self, index: int, op: Op) -> Optional[int]:
        if op.kind not in ("call", "method"):
            return None
        creation = op.kind == "call" and _is_creation(op.fn)
        if (not (op.supports_out or creation or self._copies(op)) or index in self.redefines
                or "out" in op.kwargs or "where" in op.kwargs or op.writes
                or not isinstance(op.out, Ref)):
            return None
        slot = self.slots[op.out.slot]
        array = slot.array
        if (not slot.owns_memory or slot.index in self.escaping or array.dtype.hasobject
                or not (array.flags.c_contiguous or array.flags.f_contiguous)):
            return None
        return slot.index

    def _copies(self, op: Op) -> bool:
        """Whether an op only copies one array (as a reshape that cannot be a view, astype,
        copy, np.array), so that `np.copyto` into a planned buffer gives the same array."""
        if not op.args or not isinstance(op.args[0], Ref) or op.out is None:
            return False
        if op.kind == "method":
            if op.fn not in ("reshape", "copy", "astype", "flatten", "ravel"):
                return False
            order = op.kwargs.get("order", "C" if op.fn != "astype" else "K")
            if order != "C" and op.fn != "astype" or set(op.kwargs) - {"order", "copy", "dtype"}:
                return False
        elif not (op.kind == "call" and op.fn in (np.array, np.copy, np.ascontiguousarray)
                  and not set(op.kwargs) - {"dtype"} and len(op.args) == 1):
            return False
        source = self.slots[op.args[0].slot].array
        result = self.slots[op.out.slot].array if isinstance(op.out, Ref) else None
        return (isinstance(result, np.ndarray) and result.size == source.size
                and not np.may_share_memory(result, source))

    def _hoist(self) -> None:
        """Views of arrays that are the same objects at every call are made once, now."""
        self.fixed: Dict[int, Any] = {}
        for slot in self.slots:
            if slot.kind in (EXTERNAL, UNOWNED) or (slot.kind == RESULT and not self.dynamic_slot[slot.index]):
                self.fixed[slot.index] = slot.array
        self.fixed.update(self.planned)
        self.hoisted: Set[int] = set()
        for index, op in enumerate(self.ops):
            if not self.live[index] or op.kind not in ("call", "method") or op.writes or index in self.redefines:
                continue
            outputs = op.outputs()
            if not outputs or any(self.slots[s].owns_memory or s in self.escaping or s in self.planned
                                  for s in outputs):
                continue
            if not all(s in self.fixed for s in op.reads()):
                continue
            value = self._evaluate(op)
            for s, array in zip(outputs, value if isinstance(op.out, (tuple, list)) else (value,)):
                self.fixed[s] = array
            self.hoisted.add(index)
        self.program.hoisted = len(self.hoisted)

    def _evaluate(self, op: Op) -> Any:
        args = _substitute(op.args, self.fixed)
        kwargs = _substitute(op.kwargs, self.fixed)
        if op.kind == "call":
            return op.fn(*args, **kwargs)
        if op.fn.startswith("."):
            return getattr(args[0], op.fn[1:])
        return getattr(args[0], op.fn)(*args[1:], **kwargs)

    # ------------------------------------------------------- code generation

    def _generate(self) -> None:
        code = _Code()
        self.code = code
        arguments = sorted({slot.owner for slot in self.slots if slot.kind == ARG})
        self.arguments = arguments
        count = (max(arguments) + 1) if arguments else 0
        code.line(f"def replay({''.join(f'a{i}, ' for i in range(count))}tensors):")
        code.indent += 1
        last_guard = max((i for i, op in enumerate(self.ops) if self.live[i] and op.kind == "guard"),
                         default=-1)
        saves: Dict[int, str] = {}  # buffer slot -> name of its saved copy
        rng_saved: Dict[int, str] = {}  # id(generator) -> the name its saved state has
        prologue: List[str] = []
        restores: List[str] = []
        replayed = 0
        new_tensors: Dict[int, str] = {}
        cleared: List[Tuple[int, Op]] = []  # `.grad = None`s before the last guard, put after it
        for index, op in enumerate(self.ops):
            if not self.live[index] or index in self.hoisted:
                continue
            if index < last_guard and op.kind == "grad" and op.args[1] is None:
                cleared.append((index, op))
                continue
            if index < last_guard:
                for slot in op.writes:
                    for b in self._buffers(slot):
                        if b in self.observable and b not in saves:
                            saves[b] = name = f"s{b}"
                            code.line(f"{name} = {self._name(b)}.copy()")
                            restores.append(f"{code.const(np.copyto)}({self._name(b)}, {name})")
                if op.kind == "draw" and id(op.fn.__self__) not in rng_saved:
                    # A draw before a guard: a failed guard puts its generator back.
                    name = f"rng{len(rng_saved)}"
                    rng_saved[id(op.fn.__self__)] = name
                    state = code.const(_generator_state(op.fn.__self__))
                    prologue.append(f"{name} = {state}.save()")
                    restores.append(f"{state}.restore({name})")
            replayed += self._statement(index, op, restores, new_tensors)
            if index == last_guard:
                for cleared_index, clear in cleared:
                    self._statement(cleared_index, clear, restores, new_tensors)
        self._epilogue(new_tensors)
        code.line("return " + self._result_expression(self.result, new_tensors))
        code.lines[1:1] = ["    " + line for line in prologue]
        self.program.replayed = replayed
        self.program.source = code.source()
        self.program.replay = code.compile()
        self.program.written = self._written()
        self.program.untracked = sorted({str(slot.owner) for slot in self.slots if slot.kind == UNOWNED
                                         and slot.index in self.fixed and slot.owner != "the result"})
        self.program.grads = [self._tensor_target(op.args[0]) for op in self.ops if op.kind == "grad"]

    def _written(self) -> List[Tuple[str, Any]]:
        found: Dict[int, Tuple[str, Any]] = {}
        for index, op in enumerate(self.ops):
            if not self.live[index]:
                continue
            for slot in op.writes:
                for b in self._buffers(slot):
                    source = self.slots[b]
                    if source.kind == ARG:
                        found[b] = ("argument", source.owner)
                    elif source.kind == EXTERNAL:
                        found[b] = ("array", source.array)
        return list(found.values())

    def _name(self, slot: int) -> str:
        """The expression for a slot's array at this point of the replay."""
        if slot in self.fixed:
            return self.code.const(self.fixed[slot])
        source = self.slots[slot]
        if source.kind == ARG:
            return f"a{source.owner}"
        return f"v{slot}"

    def _expression(self, template: Any) -> str:
        code = self.code
        if isinstance(template, Ref):
            return self._name(template.slot)
        if isinstance(template, tuple) and type(template) is tuple:
            inner = ", ".join(self._expression(item) for item in template)
            return f"({inner},)" if len(template) == 1 else f"({inner})"
        if isinstance(template, list):
            return "[" + ", ".join(self._expression(item) for item in template) + "]"
        if isinstance(template, dict) and all(isinstance(key, str) for key in template):
            return "{" + ", ".join(f"{key!r}: {self._expression(value)}"
                                   for key, value in template.items()) + "}"
        if isinstance(template, slice) and any(isinstance(part, Ref) for part in
                                               (template.start, template.stop, template.step)):
            return (f"slice({self._expression(template.start)}, {self._expression(template.stop)}, "
                    f"{self._expression(template.step)})")
        if template is None or template is Ellipsis or type(template) in (bool, int, str):
            return repr(template)
        return code.const(template)

    def _call(self, op: Op, extra: str = "") -> str:
        args = [self._expression(item) for item in op.args]
        kwargs = [f"{key}={self._out_expression(value) if key == 'out' else self._expression(value)}"
                  for key, value in op.kwargs.items()]
        if extra:
            kwargs.append(extra)
        if op.kind == "method" or (op.kind == "guard" and op.method):
            if op.fn.startswith("."):
                return f"{args[0]}{op.fn}"
            if op.fn == "__getitem__" and not kwargs:
                return f"{args[0]}[{args[1]}]"
            reduction = _REDUCTIONS.get(op.fn)
            if reduction is not None and op.kind == "method" and not self.slots[op.args[0].slot].scalar:
                # What ndarray.sum (max, min, prod) calls, without its Python wrapper; its
                # default axis is None where the ufunc's is 0.
                if len(args) == 1 and not any(item.startswith("axis=") for item in kwargs):
                    kwargs.insert(0, "axis=None")
                return f"{self.code.const(reduction)}({', '.join(args + kwargs)})"
            return f"{args[0]}.{op.fn}({', '.join(args[1:] + kwargs)})"
        return f"{self.code.const(op.fn)}({', '.join(args + kwargs)})"

    def _out_expression(self, value: Any) -> str:
        """A ufunc's `out` (NumPy hands it over as a tuple): one array needs no tuple."""
        if isinstance(value, tuple) and len(value) == 1 and isinstance(value[0], Ref):
            return self._expression(value[0])
        return self._expression(value)

    def _targets(self, template: Any) -> str:
        if isinstance(template, Ref):
            slot = template.slot
            return "_" if slot in self.fixed else self._name(slot)
        if isinstance(template, (tuple, list)):
            return "(" + ", ".join(self._targets(item) for item in template) + ",)"
        return "_"

    def _statement(self, index: int, op: Op, restores: List[str], new_tensors: Dict[int, str]) -> int:
        """Emit the statement(s) of one op; returns how many NumPy calls it adds."""
        code = self.code
        if op.kind in ("call", "method"):
            if index in self.redefines and not op.writes and all(
                    s in self.fixed or not self.slots[s].scalar for s in op.outputs()):
                # np.asarray or astype(copy=False) of an array that is already there (a NumPy
                # scalar, where eager has one, is converted as eager converts it)
                return 0
            if index in self.planned_ops and _is_creation(op.fn):
                fill = _CREATIONS[op.fn]
                if fill is not None:  # np.empty's buffer needs nothing: its content is any
                    value = fill[1] if fill[0] == "value" else self._expression(
                        op.args[fill[1]] if len(op.args) > fill[1] else op.kwargs["fill_value"])
                    code.line(f"{self._name(op.out.slot)}.fill({value})")
                return 1
            if index in self.planned_ops and not op.supports_out:  # a copy into the buffer
                source = self.slots[op.args[0].slot].array
                target = self.planned[op.out.slot]
                # The buffer seen in the source's shape: C order, as the copy was made.
                view = target.reshape(source.shape) if target.shape != source.shape else target
                code.line(f"{code.const(np.copyto)}({code.const(view)}, {self._expression(op.args[0])}, "
                          f"casting='unsafe')")
                return 1
            if index in self.planned_ops:
                code.line(self._call(op, f"out={self._name(op.out.slot)}"))
            elif op.out is None or all(s in self.fixed for s in op.outputs()):
                code.line(self._call(op))  # an in-place op on a buffer: nothing to rebind
            else:
                code.line(f"{self._targets(op.out)} = {self._call(op)}")
            return 1
        if op.kind == "setitem":
            target, index_value, value = (self._expression(item) for item in op.args)
            code.line(f"{target}[{index_value}] = {value}")
            return 1
        if op.kind == "draw":
            args = [self._expression(item) for item in op.args]
            args += [f"{key}={self._expression(value)}" for key, value in op.kwargs.items()]
            code.line(f"{self._targets(op.out)} = {code.const(op.fn)}({', '.join(args)})")
            return 1
        if op.kind == "guard":
            expected = op.expected
            computed = self._call(op)
            if type(expected) in (bool, int, str) or expected is None:
                test = f"{computed} != {self._expression(expected)}"
            else:
                test = f"not {code.const(same_value)}({computed}, {code.const(expected)})"
            code.line(f"if {test}:")
            code.indent += 1
            for line in restores:
                code.line(line)
            reason = f"a tensor value the step reads into Python ({_read_name(op)} at {op.where}) changed"
            code.line(f"return {code.const(Deopt(index, reason))}")
            code.indent -= 1
            return 1
        if op.kind == "errstate":
            if op.args is None:
                code.close_block()
            else:
                items = ", ".join(f"{key}={value!r}" for key, value in op.args.items())
                code.open_block(f"with {code.const(np.errstate)}({items}):")
            return 0
        if op.kind == "opaque":
            code.line(f"{code.const(op.fn)}()")
            return 1
        if op.kind == "grad":
            tensor_index, value = op.args
            code.line(f"{self._tensor_expression(tensor_index)}.grad = "
                      f"{self._value_expression(value, new_tensors)}")
            return 0
        raise AssertionError(f"unknown op kind {op.kind}")

    def _tensor_target(self, tensor_index: int) -> Tuple[str, Any]:
        tensor = self.tracer.tensors[tensor_index]
        record = self.trace.touched.get(id(tensor))
        if record is not None and record.argument is not None:
            return ("argument", record.argument)
        return ("tensor", tensor)

    def _tensor_expression(self, tensor_index: int) -> str:
        kind, value = self._tensor_target(tensor_index)
        if kind == "argument":
            return f"tensors[{value}]"
        return self.code.const(value)

    def _value_expression(self, value: Any, new_tensors: Dict[int, str]) -> str:
        if value is None:
            return "None"
        if value[0] == "object":
            return self.code.const(value[1])
        _, key, ref, tensor = value
        name = new_tensors.get(key)
        if name is None:
            name = new_tensors[key] = f"t{len(new_tensors)}"
            options = []
            if tensor._requires_grad:
                options.append("requires_grad=True")
            if tensor.is_parameter:
                options.append("is_parameter=True")
            self.code.line(f"{name} = {self.code.const(Tensor)}({', '.join([self._name(ref.slot)] + options)})")
        return name

    def _epilogue(self, new_tensors: Dict[int, str]) -> None:
        code = self.code
        for record, delta in self.versions:
            if record.argument is not None:
                code.line(f"tensors[{record.argument}]._counter().value += {delta}")
            else:
                counter = record.tensor._counter()
                code.line(f"{code.const(counter)}.value += {delta}")
        for module, name, value in self.attributes:
            code.line(f"{code.const(setattr)}({code.const(module)}, {name!r}, {code.const(value)})")

    def _result_expression(self, template: Any, new_tensors: Dict[int, str]) -> str:
        if template is None:
            return "None"
        if isinstance(template, (tuple, list)) and (not template or template[0] not in ("object", "new")):
            inner = ", ".join(self._result_expression(item, new_tensors) for item in template)
            if isinstance(template, list):
                return f"[{inner}]"
            return f"({inner},)" if len(template) == 1 else f"({inner})"
        if template[0] == "object":
            return self.code.const(template[1])
        key = template[1]
        if key in new_tensors:  # also stored as a .grad: the same object, as eager returns
            return new_tensors[key]
        return f"{code_const(self.code, Tensor)}({self._name(template[2].slot)})"


def code_const(code: "_Code", value: Any) -> str:
    return code.const(value)


class _generator_state:
    """Saving and restoring a generator's state: NumPy's global one or a Generator's."""

    __slots__ = ("generator",)

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def save(self) -> Any:
        generator = self.generator
        return generator.get_state() if isinstance(generator, np.random.RandomState) \
            else generator.bit_generator.state

    def restore(self, state: Any) -> None:
        generator = self.generator
        if isinstance(generator, np.random.RandomState):
            generator.set_state(state)
        else:
            generator.bit_generator.state = state


def _is_creation(fn: Any) -> bool:
    try:
        return fn in _CREATIONS
    except TypeError:  # an unhashable callable
        return False


def _read_name(op: Op) -> str:
    """How a guarded value was read, as the step wrote it: `.item()`, `bool()`, ..."""
    if not op.method:
        return f"np.{getattr(op.fn, '__name__', op.fn)}"
    names = {"__bool__": "bool()", "__int__": "int()", "__float__": "float()",
             "__complex__": "complex()", "__index__": "use as an index", "__contains__": "`in`",
             "__repr__": "repr()", "__str__": "str()", "__format__": "format()"}
    return names.get(op.fn, f".{op.fn}()")


def _rename(template: Any, renames: Dict[int, int]) -> Any:
    """`template` with each Ref to a renamed slot pointing at its new slot."""
    return map_refs(template, lambda ref: Ref(renames[ref.slot]) if ref.slot in renames else ref)


def _substitute(template: Any, values: Dict[int, Any]) -> Any:
    """`template` with each Ref replaced by its slot's value."""
    return map_refs(template, lambda ref: values[ref.slot])


class _Code:
    """Lines of generated Python and the objects its closure binds."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.indent = 0
        self.constants: List[Any] = []
        self._names: Dict[Any, str] = {}
        self._opened: List[int] = []

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def open_block(self, header: str) -> None:
        self.line(header)
        self.indent += 1
        self._opened.append(len(self.lines))

    def close_block(self) -> None:
        if self._opened.pop() == len(self.lines):
            self.line("pass")
        self.indent -= 1

    def const(self, value: Any) -> str:
        """The closure name bound to `value` (one per object)."""
        try:
            key = ("v", type(value), value) if isinstance(value, (float, complex, np.generic)) and \
                not isinstance(value, np.ndarray) else ("id", id(value))
            hash(key)
        except TypeError:
            key = ("id", id(value))
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"k{len(self.constants)}"
            self.constants.append(value)
        return name

    def source(self) -> str:
        names = ", ".join(f"k{i}" for i in range(len(self.constants)))
        return f"def make({names}):\n" + "\n".join("    " + line for line in self.lines) + \
            "\n    return replay\n"

    def compile(self) -> Callable:
        namespace: Dict[str, Any] = {}
        exec(compile(self.source(), "<mytorch.compile replay>", "exec"), namespace)
        return namespace["make"](*self.constants)
