"""`CompiledFunction`: the cache of traced programs for one step function, and the life of
each program: traced (first call), checked against eager (second call), replayed (after),
or run eagerly for a stated reason."""
import functools
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from mytorch import grad_mode
from mytorch.jit import guards, program as program_module, state
from mytorch.jit.capture import Trace, capture
from mytorch.jit.program import Deopt, Program
from mytorch.jit import tracing
from mytorch.jit.tracing import TracedArray, _plain_of
from mytorch.tensor import Tensor

# Traces kept per signature, as torch.compile's cache size limit (8). A new one then
# replaces the least recently used, if that one was replayed at least REUSED times (a
# learning rate that changes once an epoch); otherwise the guards change too often for
# tracing to pay (a learning rate that changes at every step), and the signature runs
# eagerly.
CACHE_LIMIT = 8
REUSED = 8
# Failed value guards (a tensor value read into Python that changed) before a program is
# given up for eager.
DEOPT_LIMIT = 8
# Traces not kept because an optimizer made new state during them (its first step), before
# one is kept anyway (an optimizer whose state grows at every step).
UNSETTLED_LIMIT = 2


class CompileWarning(UserWarning):
    """A compiled function runs eagerly for a signature, and why."""


class _Entry:
    """One trace of the function: its program and guard, and how it has been used."""

    def __init__(self, signature: str, guard: guards.Guard, program: Optional[Program],
                 touched: List[Any], reason: str = "") -> None:
        self.signature, self.guard, self.program, self.touched = signature, guard, program, touched
        self.status = "eager" if program is None or reason else "traced"
        self.reason = reason
        self.calls = self.replays = self.fallbacks = 0
        self.last_call = 0  # the owner's call count when this entry last ran
        # For a call of Tensors only: how many, and `Guard.matcher`'s test of another call.
        self.arity = 0
        self.matches: Optional[Callable[..., bool]] = None

    def go_eager(self, reason: str, owner: "CompiledFunction") -> None:
        self.status, self.reason = "eager", reason
        owner._warn(self)


class CompiledFunction:
    """A step function whose NumPy work is traced once per signature and replayed.

    Made by `mytorch.compile`; call it as the function. `explain()` tells what it did.
    """

    def __init__(self, fn: Callable, fullgraph: bool = False, disable: bool = False) -> None:
        self._fn = fn
        self._fullgraph = fullgraph
        self._disable = disable
        self._cache: Dict[Any, List[_Entry]] = {}
        self._retraces: List[str] = []
        self._calls = 0
        # Signature -> traces not kept because an optimizer made its state during them.
        self._unsettled: Dict[Any, int] = {}
        self._evicted = 0  # traces dropped for newer ones (see CACHE_LIMIT)
        self._last: Optional[_Entry] = None  # the entry that replayed last, if it has `matches`
        functools.update_wrapper(self, fn, updated=())

    def __repr__(self) -> str:
        return f"<mytorch.compile of {self._name()}>"

    def _name(self) -> str:
        return getattr(self._fn, "__qualname__", None) or getattr(self._fn, "__name__", repr(self._fn))

    # ------------------------------------------------------------------ calls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._disable or tracing.active() is not None:
            # Called while another compiled function traces: its work is that trace's.
            return self._fn(*args, **kwargs)
        last = self._last
        if last is not None and not kwargs and len(args) == last.arity and last.matches(*args):
            # The usual call of a training loop: the entry that replayed last still stands.
            return self._run(last, [arg.data for arg in args], args, args, kwargs)
        signature = guards.signature(args, kwargs)
        entries = self._cache.get(signature.key)
        if entries is not None:
            for entry in entries:
                if entry.guard.check():
                    return self._run(entry, signature.arrays, signature.tensors, args, kwargs)
        return self._trace(signature, args, kwargs, entries)

    def _run(self, entry: _Entry, arrays: List[np.ndarray], tensors: Sequence[Optional[Tensor]],
             args: tuple, kwargs: dict) -> Any:
        """Run `entry` for this call, whose flattened arguments are `arrays` (the replay's
        positional arguments) and `tensors` (the Tensors among them, None for arrays)."""
        entry.calls += 1
        self._calls += 1
        entry.last_call = self._calls
        if entry.status == "eager":
            return self._fn(*args, **kwargs)
        if entry.status == "traced":
            return self._check(entry, arrays, tensors, args, kwargs)
        result = entry.program.replay(*arrays, tensors)
        if type(result) is Deopt:
            entry.fallbacks += 1
            if entry.fallbacks >= DEOPT_LIMIT:
                entry.go_eager(f"{result.reason} in {entry.fallbacks} calls", self)
            return _detached(self._fn(*args, **kwargs))
        entry.replays += 1
        if entry.matches is not None:
            self._last = entry
        return result

    def _check(self, entry: _Entry, arrays: List[np.ndarray], tensors: Sequence[Optional[Tensor]],
               args: tuple, kwargs: dict) -> Any:
        """The program's first replay, checked bit for bit against eager from the same state."""
        program = entry.program
        snapshot = state.Snapshot(program, entry.touched, arrays, tensors)
        replayed = program.replay(*arrays, tensors)
        if type(replayed) is Deopt:
            entry.go_eager(f"{replayed.reason} between the first two calls", self)
            return self._fn(*args, **kwargs)
        seen_replay = state.observe(program, entry.touched, arrays, tensors, replayed)
        snapshot.restore()
        result = self._fn(*args, **kwargs)
        seen_eager = state.observe(program, entry.touched, arrays, tensors, result)
        different = state.difference(seen_replay, seen_eager)
        if different is not None:
            suspects = (f"arrays made outside the tracer's sight, such as a np.random.Generator's "
                        f"draws, first used at {'; '.join(program.untracked)}"
                        if program.untracked else "a Python value that changes between calls")
            entry.go_eager(f"its first replay differed from eager in {different} (does the step "
                           f"use {suspects}?)", self)
            return result
        entry.status = "replayed"
        entry.replays += 1
        return _detached(result)

    def _trace(self, signature: guards.Signature, args: tuple, kwargs: dict,
               entries: Optional[List[_Entry]]) -> Any:
        description = _describe(args, kwargs)
        if entries:
            # What changed since the trace that ran last for this signature.
            latest = max(entries, key=lambda entry: entry.last_call)
            self._retraces.append(f"{description}: {latest.guard.failed() or 'a guard'} changed")
        if entries is not None and len(entries) >= CACHE_LIMIT:
            oldest = min(entries, key=lambda entry: entry.last_call)
            if oldest.replays < REUSED:
                reason = (f"{CACHE_LIMIT} traces for one signature, replayed too little to pay "
                          f"for tracing (the last retrace: {self._retraces[-1]})")
                return self._eager_entry(signature, description, reason, args, kwargs)
            entries.remove(oldest)
            self._evicted += 1
            if oldest is self._last:
                self._last = None
        if grad_mode._anomaly_enabled:
            return self._eager_entry(signature, description, "anomaly mode (detect_anomaly) is on",
                                     args, kwargs)
        globals_ = guards.snapshot_globals(self._fn)
        trace = capture(self._fn, args, kwargs)
        try:
            _check_result(self._name(), trace.result)
            program = program_module.build(trace, trace.result)
            guard = guards.build(trace, globals_, program.optimizers)
            if program.reasons and self._fullgraph:
                raise RuntimeError(f"mytorch.compile({self._name()}, fullgraph=True): the step "
                                   f"cannot be traced: " + "; ".join(program.reasons))
        except Exception:
            state.undo(trace)
            _release(trace)
            raise
        if any(region.grew for region in trace.regions) and \
                self._unsettled.get(signature.key, 0) < UNSETTLED_LIMIT:
            # An optimizer made its state (a first step's buffers): the next call, with the
            # state made, traces a step that can be replayed as NumPy calls.
            self._unsettled[signature.key] = self._unsettled.get(signature.key, 0) + 1
            self._retraces.append(f"{description}: an optimizer made its state during the call")
            return _detached(_release(trace))
        touched = list(trace.touched.values())
        entry = _Entry(description, guard, program if not program.reasons else None, touched,
                       "; ".join(dict.fromkeys(program.reasons)))
        if entry.status != "eager":
            entry.arity, entry.matches = len(args), guard.matcher(signature, args, kwargs)
        self._cache.setdefault(signature.key, []).append(entry)
        entry.calls += 1
        self._calls += 1
        entry.last_call = self._calls
        result = _release(trace)
        if entry.status == "eager":
            self._warn(entry)
            return result
        return _detached(result)

    def _eager_entry(self, signature: guards.Signature, description: str, reason: str,
                     args: tuple, kwargs: dict) -> Any:
        entry = _Entry(description, guards.Guard(), None, [], reason)
        self._cache.setdefault(signature.key, []).append(entry)
        self._warn(entry)
        entry.calls += 1
        return self._fn(*args, **kwargs)

    def _warn(self, entry: _Entry) -> None:
        warnings.warn(f"mytorch.compile({self._name()}) runs eagerly for {entry.signature}: "
                      f"{entry.reason}", CompileWarning, stacklevel=4)

    # ------------------------------------------------------------ inspection

    def explain(self) -> "Explanation":
        """What the compiled function did: one line per trace, with its status (replayed,
        traced, or eager and why), the size of its program and how often it ran."""
        return Explanation(self._name(), [entry for entries in self._cache.values() for entry in entries],
                           list(self._retraces), sum(self._unsettled.values()), self._evicted)

    def reset(self) -> None:
        """Forget every trace: the next call traces again."""
        self._cache.clear()
        self._retraces.clear()
        self._unsettled.clear()
        self._evicted = 0


class Explanation:
    """`CompiledFunction.explain()`'s answer, as `torch._dynamo.explain`'s: printable.

    Attributes:
        traces: how many traces are kept.
        discarded: how many more were made and not kept, because an optimizer made its
            state during them (its first step): the call after each traced again.
        evicted: how many kept traces were dropped for newer ones (CACHE_LIMIT).
        break_reasons: why each trace that runs eagerly does (graph breaks, failed checks).
        retraces: why each later trace was made (which guard changed).
        entries: one dict per trace: signature, status, reason, recorded and replayed NumPy
            calls, planned temporaries, buffers and their bytes, views made once, calls,
            replays and fallbacks, and the generated source.
    """

    def __init__(self, name: str, entries: List[_Entry], retraces: List[str], discarded: int,
                 evicted: int) -> None:
        self.name = name
        self.entries = [_entry_info(entry) for entry in entries]
        self.traces = len(entries)
        self.discarded, self.evicted = discarded, evicted
        self.break_reasons = [info["reason"] for info in self.entries if info["status"] == "eager"]
        self.retraces = retraces

    def __str__(self) -> str:
        lines = [f"mytorch.compile({self.name}): {self.traces} trace(s)"
                 + (f", {self.discarded} more not kept" if self.discarded else "")
                 + (f", {self.evicted} replaced by newer ones" if self.evicted else "")]
        for index, info in enumerate(self.entries, 1):
            head = f"  [{index}] {info['signature']}: {info['status']}"
            if info["status"] == "eager":
                lines.append(f"{head}: {info['reason']} ({info['calls']} call(s))")
                continue
            lines.append(f"{head}; {info['recorded']} NumPy calls recorded, {info['replayed']} "
                         f"replayed per call, {info['planned']} temporaries in {info['buffers']} "
                         f"buffers ({info['buffer_bytes']} bytes), {info['hoisted']} views made "
                         f"once; {info['calls']} call(s), {info['replays']} replay(s), "
                         f"{info['fallbacks']} fallback(s)")
        for reason in self.retraces:
            lines.append(f"  retraced: {reason}")
        return "\n".join(lines)

    __repr__ = __str__


def _entry_info(entry: _Entry) -> Dict[str, Any]:
    program = entry.program
    info = {"signature": entry.signature, "status": entry.status, "reason": entry.reason,
            "calls": entry.calls, "replays": entry.replays, "fallbacks": entry.fallbacks}
    for name in ("recorded", "replayed", "buffers", "buffer_bytes", "planned", "hoisted"):
        info[name] = getattr(program, name) if program is not None else 0
    info["source"] = program.source if program is not None else ""
    return info


# ------------------------------------------------------------------ helpers

def _check_result(name: str, result: Any) -> None:
    """A step returns a Tensor, a tuple or list of Tensors, or None."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    if result is None or (items and all(isinstance(item, Tensor) for item in items)):
        return
    bad = next((item for item in items if not isinstance(item, Tensor)), result)
    raise TypeError(f"mytorch.compile({name}): the step returned {type(bad).__name__} "
                    f"{_short(bad)}; a compiled step returns a Tensor (or a tuple or list of "
                    "Tensors): return the loss itself and call .item() on the result")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _release(trace: Trace) -> Any:
    """After a trace: tensors the call made hold plain arrays again (their TracedArrays
    behave as plain ones, but a plain array is what eager would have given)."""
    for tensor in trace.new_tensors.values():
        data = tensor.__dict__.get("data")
        if isinstance(data, TracedArray):
            tensor.__dict__["data"] = _plain_of(data)
    result = trace.result
    trace.tracer.ops.clear()
    trace.tracer.slots.clear()
    trace.tracer._keep.clear()
    return result


def _detached(result: Any) -> Any:
    """The result without its graph, as a replay returns it."""
    if isinstance(result, Tensor):
        if result.grad_fn is None:
            return result
        return Tensor(_plain_of(result.data) if isinstance(result.data, TracedArray) else result.data)
    if isinstance(result, (tuple, list)):
        return type(result)(_detached(item) for item in result)
    return result


def _describe(args: tuple, kwargs: dict) -> str:
    parts = [_describe_value(value) for value in args]
    parts += [f"{name}={_describe_value(value)}" for name, value in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _describe_value(value: Any) -> str:
    if isinstance(value, Tensor):
        grad = ", requires_grad" if value.requires_grad else ""
        return f"Tensor {value.dtype} {tuple(value.shape)}{grad}"
    if isinstance(value, np.ndarray):
        return f"ndarray {value.dtype} {value.shape}"
    if isinstance(value, (tuple, list)):
        return type(value).__name__ + "(" + ", ".join(_describe_value(item) for item in value) + ")"
    return _short(value)


def compile(fn: Optional[Callable] = None, *, fullgraph: bool = False,
            disable: bool = False) -> Any:
    """Trace a training step once per signature and replay its NumPy work, as `torch.compile`.

        step = mytorch.compile(train_step)      # or @mytorch.compile above its def
        loss = step(x, y)

    The first call with a signature (the arguments' types, shapes, dtypes and
    `requires_grad`, grad mode and the default dtype) runs eagerly and records the NumPy
    calls it makes. The second call replays them and checks the result bit for bit against
    an eager run from the same state; later calls replay them only. A change the trace
    depended on (a module's training mode, a parameter or hyperparameter, the optimizer's
    learning rate, parameter groups or state) makes the next call trace again. What a
    trace cannot express (a tensor value read into Python that changes, a hook, anomaly
    mode, a random draw outside `mytorch.random.draw`) makes that signature run eagerly,
    with a `CompileWarning` giving the reason; `explain()` lists them.

    Args:
        fn: the step: it takes arrays or tensors (and Python values), runs forward,
            backward and the optimizer, and returns a Tensor (the loss), a tuple or list of
            Tensors, or None.
        fullgraph: raise a RuntimeError, leaving every tensor and optimizer as before the
            call, instead of running eagerly when the step cannot be traced.
        disable: call `fn` itself, untraced.

    Returns:
        A `CompiledFunction` (or, without `fn`, a decorator that makes one). Its results are
        tensors without a graph (`grad_fn` None).
    """
    if fn is None:
        return functools.partial(compile, fullgraph=fullgraph, disable=disable)
    if not callable(fn):
        raise TypeError(f"mytorch.compile: expected a callable (a training step), got "
                        f"{type(fn).__name__} {_short(fn)}")
    if not isinstance(fullgraph, bool) or not isinstance(disable, bool):
        raise TypeError(f"mytorch.compile: fullgraph and disable must be True or False, got "
                        f"{fullgraph!r} and {disable!r}")
    return CompiledFunction(fn, fullgraph=fullgraph, disable=disable)
