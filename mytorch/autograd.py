"""PyTorch's `torch.autograd` face: the names a PyTorch user reaches for, in one place.

    from mytorch import autograd
    with autograd.detect_anomaly():
        loss.backward()       # a NaN or inf gradient raises, naming the op and its forward call
    dx, dy = autograd.grad(loss, (x, y))   # the gradients, returned; no .grad changes

The machinery lives in `mytorch.autograd_engine` (the handout's module); this module
re-exports it and builds `grad` on the engine's backward pass.
"""
import weakref
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import autograd_engine
from mytorch.autograd_engine import Function, detect_anomaly, enable_grad, is_anomaly_enabled, no_grad
from mytorch.gradcheck import gradcheck
from mytorch.tensor import Tensor

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "detect_anomaly",
           "is_anomaly_enabled", "gradcheck"]


def backward(tensors: Union[Tensor, Sequence[Tensor]],
             grad_tensors: Union[None, Any, Sequence[Any]] = None) -> None:
    """Accumulate the gradients of `tensors` into the leaves' `.grad`, as `torch.autograd.backward`.

    Args:
        tensors: a tensor or a sequence of tensors to differentiate.
        grad_tensors: the gradient for each (None: ones, for a scalar loss), or one for a
            single tensor.
    """
    if isinstance(tensors, Tensor):
        tensors, grad_tensors = [tensors], [grad_tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    for tensor in tensors:  # all checked before the first backward changes any .grad
        if not isinstance(tensor, Tensor):
            raise TypeError(f"backward: expected Tensors, got {type(tensor).__name__}")
        if not tensor.requires_grad:
            raise RuntimeError(f"backward: a tensor of shape {tensor.shape} does not require grad")
    for tensor, gradient in zip(tensors, grad_tensors):
        tensor.backward(gradient)


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Union[None, Any, Sequence[Any]] = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: Optional[bool] = None,
         is_grads_batched: bool = False, materialize_grads: bool = False
         ) -> Tuple[Optional[Tensor], ...]:
    """The gradients of `outputs` with respect to `inputs`, returned, as `torch.autograd.grad`:
    for input j, the sum over outputs i of d(outputs[i] * grad_outputs[i]).sum() / d inputs[j].

    No leaf's `.grad` changes (they are put back as they were); as in PyTorch, a non-leaf
    that called `retain_grad()` accumulates its gradient, as in `backward`. The graph stays,
    as after every backward here (`retain_graph` is accepted and ignored). Hooks on the
    tensors the pass goes through run, as in `backward`.

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or a sequence of tensors (leaves or not) that require grad.
        grad_outputs: one gradient per output (None: ones, for a one-element output).
        allow_unused: return None for an input no output depends on, instead of raising.
        materialize_grads: return zeros instead of None for such an input (implies allow_unused).
        create_graph, is_grads_batched: not supported (the backward ops compute on arrays,
            outside the graph): True is a NotImplementedError.
    Returns:
        A tuple with one gradient (or None) per input.
    Raises:
        RuntimeError: an input or output that does not require grad, a non-scalar output
            without a gradient, or an unused input without allow_unused; nothing changes.
    """
    if create_graph or is_grads_batched:
        raise NotImplementedError("grad: create_graph=True and is_grads_batched=True are not supported: "
                                  "MyTorch's backward computes on arrays outside the graph, so "
                                  "gradients cannot be differentiated again")
    outputs, inputs = _tensors("grad", "outputs", outputs), _tensors("grad", "inputs", inputs)
    seeds = _seeds(outputs, grad_outputs)
    for index, value in enumerate(inputs):
        if not value.requires_grad:
            raise RuntimeError(f"grad: input {index} (shape {value.shape}) does not require grad")
    roots = [autograd_engine._graph_node(output) for output in outputs]
    # Every leaf the passes reach, whose .grad the engine would change: kept and put back.
    leaves = {node.variable for root in roots for node in autograd_engine._topological_order(root)
              if isinstance(node, autograd_engine.AccumulateGrad)}
    inner = list({id(value): value for value in inputs if not value.is_leaf}.values())
    kept = [(leaf, leaf.grad) for leaf in leaves] + [(value, value.grad) for value in inner]
    retained = [(value, value.grad_fn.retained) for value in inner]
    try:
        for value, _ in kept:
            value.grad = None
        for value in inner:  # as retain_grad() would, for this call only
            value.grad_fn.retained = weakref.ref(value)
        for output, seed in zip(outputs, seeds):
            output.backward(seed)
        results = [value.grad for value in inputs]
    finally:
        gradients = {id(value): value.grad for value in inner}
        for value, previous in kept:
            value.grad = previous
        for value, previous in retained:
            value.grad_fn.retained = previous
            # A non-leaf that retains its gradient accumulates this one too, as in PyTorch
            # (as does any other retaining tensor the passes went through).
            if previous is not None and gradients[id(value)] is not None:
                value.grad = (gradients[id(value)] if value.grad is None
                              else Tensor(value.grad.data + gradients[id(value)].data))
    unused = [index for index, result in enumerate(results) if result is None]
    if unused and materialize_grads:
        results = [Tensor(np.zeros_like(value.data)) if result is None else result
                   for value, result in zip(inputs, results)]
    elif unused and not allow_unused:
        raise RuntimeError(f"grad: input {unused[0]} (shape {inputs[unused[0]].shape}) was not used "
                           "to compute the outputs; pass allow_unused=True to get None for it")
    return tuple(results)


def _tensors(op: str, name: str, values: Union[Tensor, Sequence[Tensor]]) -> List[Tensor]:
    """A tensor or a sequence of tensors, as a list; TypeError naming anything else."""
    values = [values] if isinstance(values, Tensor) else list(values)
    for index, value in enumerate(values):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: {name} must be Tensors, got {type(value).__name__} at position {index}")
    return values


def _seeds(outputs: List[Tensor], grad_outputs: Union[None, Any, Sequence[Any]]) -> List[Any]:
    """The gradient to start from for each output: the given one, or ones for a one-element
    output (PyTorch refuses to guess one for a larger output)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for index, (output, seed) in enumerate(zip(outputs, grad_outputs)):
        if not output.requires_grad:
            raise RuntimeError(f"grad: output {index} (shape {output.shape}) does not require grad: "
                               "it is not the result of ops on tensors with requires_grad=True")
        if seed is None and output.numel() != 1:
            raise RuntimeError(f"grad: output {index} has shape {output.shape}; a gradient can be "
                               "implicitly created only for one-element outputs: pass grad_outputs")
    return grad_outputs
