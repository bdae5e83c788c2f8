"""Saving and restoring what a call changes: to check a replay against eager from the same
state, and to undo a traced call that ends in an error of ours."""
from typing import Any, List, Optional, Tuple

import numpy as np

from mytorch.jit.capture import _MISSING, Trace, _leaves, containers, restore_containers
from mytorch.jit.program import Program
from mytorch.tensor import Tensor


def undo(trace: Trace) -> None:
    """Put back everything the traced call changed that the tracer saw: arrays it wrote
    (arguments' and external ones), `.grad`s, version counters, module attributes, the
    optimizers' Python state and the random state."""
    tracer = trace.tracer
    for slot, values in tracer.preimages.items():
        np.copyto(tracer.slots[slot].array, values)
    for record in trace.touched.values():
        if record.grad_set:
            record.tensor.__dict__["grad"] = record.grad
        if record.tensor._version_counter is not None:
            record.tensor._version_counter.value = record.version
    modules = {id(module): module for module in trace.modules}
    for (key, name), entry in trace.module_entry.items():
        module = modules[key]
        if entry is _MISSING:
            module.__dict__.pop(name, None)
        else:
            object.__setattr__(module, name, entry)
    for region in reversed(trace.regions):
        restore_containers(region.containers)
    np.random.set_state(trace.rng_start)


class Snapshot:
    """What a replay of `program` may change, saved before it runs, so that the same call
    can then run eagerly from the same state."""

    def __init__(self, program: Program, touched: List[Any], arrays: List[np.ndarray],
                 tensors: List[Any]) -> None:
        self.arrays: List[Tuple[np.ndarray, np.ndarray]] = []
        for kind, value in program.written:
            array = arrays[value] if kind == "argument" else value
            self.arrays.append((array, array.copy()))
        self.grads = [(tensor, tensor.grad) for tensor in _tensors(program.grads, tensors)]
        # Every touched tensor's version: an optimizer's own step bumps its parameters'.
        self.counters = [(tensor, tensor._version) for tensor in _tensors(
            [("tensor", record.tensor) if record.argument is None else ("argument", record.argument)
             for record in touched], tensors)]
        self.optimizers = []
        for optimizer in program.optimizers:
            # The optimizer's lists and dicts, and a copy of every array in them and of every
            # tensor's (parameters', state buffers'), to put back in place.
            leaves = _leaves(vars(optimizer)).values()
            arrays = [(value, value.copy()) for value in leaves if isinstance(value, np.ndarray)]
            arrays += [(value.data, value.data.copy()) for value in leaves if isinstance(value, Tensor)]
            self.optimizers.append((containers(vars(optimizer)), arrays))
        self.rng = np.random.get_state() if program.draws else None
        self.generators = [(generator, generator.bit_generator.state) for generator in program.generators]

    def restore(self) -> None:
        for array, copy in self.arrays:
            np.copyto(array, copy)
        for tensor, grad in self.grads:
            tensor.grad = grad
        for tensor, version in self.counters:
            tensor._counter().value = version
        for saved, arrays in self.optimizers:
            restore_containers(saved)
            for array, copy in arrays:
                np.copyto(array, copy)
        if self.rng is not None:
            np.random.set_state(self.rng)
        for generator, saved in self.generators:
            generator.bit_generator.state = saved


def _tensors(targets: List[Tuple[str, Any]], tensors: List[Any]) -> List[Tensor]:
    found, seen = [], set()
    for kind, value in targets:
        tensor = tensors[value] if kind == "argument" else value
        if tensor is not None and id(tensor) not in seen:
            seen.add(id(tensor))
            found.append(tensor)
    return found


def observe(program: Program, touched: List[Any], arrays: List[np.ndarray], tensors: List[Any],
            result: Any) -> List[Tuple[str, Any]]:
    """What a call left behind, to compare a replay with eager: the arrays the program
    writes, every touched tensor's data and `.grad`, version counters, the optimizers' state,
    the random state and the result."""
    seen: List[Tuple[str, Any]] = []
    for kind, value in program.written:
        array = arrays[value] if kind == "argument" else value
        seen.append((f"an array the step updates, of shape {array.shape}", array.copy()))
    for record in touched:
        tensor = record.tensor if record.argument is None else tensors[record.argument]
        if tensor is None:
            continue
        label = f"a tensor of shape {tensor.shape}"
        seen.append((f"{label}: data", np.array(tensor.data)))
        grad = tensor.grad
        seen.append((f"{label}: .grad", None if grad is None else np.array(grad.data)))
        seen.append((f"{label}: version", tensor._version))
    for optimizer in program.optimizers:
        for path, value in _leaves(vars(optimizer)).items():
            if isinstance(value, np.ndarray):
                value = value.copy()
            elif isinstance(value, Tensor):
                value = value.data.copy()
            seen.append((f"optimizer state {path}", value))
    state = np.random.get_state()
    seen.append(("the random state", (state[1].copy(), state[2:])))
    for generator in program.generators:
        seen.append(("a Generator's state", repr(generator.bit_generator.state)))
    seen.append(("the result", _result_arrays(result)))
    return seen


def _result_arrays(result: Any) -> Any:
    if isinstance(result, Tensor):
        return np.array(result.data)
    if isinstance(result, (tuple, list)):
        return [_result_arrays(item) for item in result]
    return result


def difference(first: List[Tuple[str, Any]], second: List[Tuple[str, Any]]) -> Optional[str]:
    """The label of the first item that differs, bit for bit, or None."""
    if len(first) != len(second):
        return "what the call changed"
    for (label, a), (_, b) in zip(first, second):
        if not _same(a, b):
            return label
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and a.dtype == b.dtype and \
            np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    return type(a) is type(b) and a == b
