"""PyTorch's `torch.autograd` face: the names a PyTorch user reaches for, in one place.

    from mytorch import autograd
    with autograd.detect_anomaly():
        loss.backward()       # a NaN or inf gradient raises, naming the op and its forward call

The machinery lives in `mytorch.autograd_engine` (the handout's module); this module
re-exports it.
"""
from typing import Any, Sequence, Union

from mytorch.autograd_engine import Function, detect_anomaly, enable_grad, is_anomaly_enabled, no_grad
from mytorch.gradcheck import gradcheck
from mytorch.tensor import Tensor

__all__ = ["Function", "backward", "no_grad", "enable_grad", "detect_anomaly",
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
