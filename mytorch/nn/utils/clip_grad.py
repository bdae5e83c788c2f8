"""Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`: called
between `loss.backward()` and `optimizer.step()`, they scale or cut the parameters'
`.grad` in place."""
import math
from typing import Iterable, List, Union

import numpy as np

from mytorch import checks
from mytorch.tensor import Tensor

Parameters = Union[Tensor, Iterable[Tensor]]


def _gradients(op: str, parameters: Parameters) -> List[Tensor]:
    """The `.grad` of each parameter that has one (a single tensor counts as one parameter)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, Tensor):
            raise TypeError(f"{op}: parameters must be Tensors, got {type(parameter).__name__} "
                            f"at position {index}")
        if parameter.grad is not None:
            grads.append(parameter.grad)
    return grads


def clip_grad_norm_(parameters: Parameters, max_norm: float, norm_type: Union[float, str] = 2.0,
                    error_if_nonfinite: bool = False, foreach: object = None) -> Tensor:
    """Scale the gradients so that their total norm (all of them as one vector) is at most
    `max_norm`: each `.grad` is multiplied by min(1, max_norm / (total + 1e-6)), as PyTorch
    does (so a norm below max_norm changes nothing).

    Args:
        parameters: a tensor or an iterable of tensors; those without `.grad` are skipped.
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm (2 by default; `inf` or "inf" for the largest |g|).
        error_if_nonfinite: raise instead of scaling when the total is nan or inf.
        foreach: accepted for PyTorch's sake (NumPy has one implementation).
    Returns:
        The total norm before clipping, a 0-d tensor (0 when no parameter has a gradient).
    Raises:
        RuntimeError: the total norm is nan or inf and `error_if_nonfinite` (no gradient changes).
        ValueError / TypeError: a bad max_norm, norm_type or parameter, naming it.
    """
    max_norm = checks.number("clip_grad_norm_: max_norm", max_norm)
    norm_type = math.inf if norm_type in ("inf", math.inf) else checks.positive(
        "clip_grad_norm_: norm_type", norm_type)
    checks.boolean("clip_grad_norm_: error_if_nonfinite", error_if_nonfinite)
    grads = _gradients("clip_grad_norm_", parameters)
    if not grads:
        return Tensor(np.zeros(()))
    if norm_type == math.inf:
        total = max(np.abs(g.data).max(initial=0) for g in grads)
    else:
        total = sum((np.abs(g.data) ** norm_type).sum() for g in grads) ** (1 / norm_type)
    total = np.asarray(total, dtype=grads[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
                           f"is {total}, so they cannot be clipped; set error_if_nonfinite=False "
                           "to scale them anyway")
    coefficient = min(max_norm / (float(total) + 1e-6), 1.0)
    for grad in grads:
        grad.mul_(coefficient)
    return Tensor(total)


def clip_grad_value_(parameters: Parameters, clip_value: float, foreach: object = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place, as
    `torch.nn.utils.clip_grad_value_`.

    Raises:
        ValueError: a clip_value that is not a non-negative number.
    """
    clip_value = checks.non_negative("clip_grad_value_: clip_value", clip_value)
    for grad in _gradients("clip_grad_value_", parameters):
        grad.clamp_(-clip_value, clip_value)
