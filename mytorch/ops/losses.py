"""Losses: cross-entropy (fused with log-softmax), negative log-likelihood and squared error.

Each reduces the per-sample losses by `reduction`: 'mean', 'sum' or 'none'.
"""
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data
from mytorch.tensor import Tensor


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """The mean or sum of per-element `losses`, or `losses` themselves for 'none'."""
    if reduction == "mean":
        # Cheaper than .mean() on the hot path; the dtype is explicit because NumPy 1.x
        # promotes a float32 scalar divided by a Python int to float64.
        return np.asarray(losses.sum() / losses.size, dtype=losses.dtype)
    if reduction == "sum":
        return np.asarray(losses.sum())
    return losses


def _check_scores(op: str, name: str, scores: Tensor) -> None:
    if scores.ndim != 2:
        raise ValueError(f"{op}: expected {name} of shape (N, C), got {scores.shape}")


def _check_labels(op: str, name: str, scores: Tensor, labels: np.ndarray) -> None:
    """`labels` must be integer class indices (N,) in [0, C) for `scores` (N, C)."""
    if labels.ndim != 1 or labels.shape[0] != scores.shape[0]:
        raise ValueError(f"{op}: expected target of shape ({scores.shape[0]},) "
                         f"for {name} of shape {scores.shape}, got {labels.shape}")
    checks.class_indices(op, labels, scores.shape[1])


class CrossEntropy(Function):
    """loss_i = logsumexp(x_i) - x_i[target_i], or -sum_c p_ic log_softmax(x_i)_c for class
    probabilities p (N, C); reduced by `reduction` ('mean' divides by N).
    dloss/dx_i = softmax(x_i) - onehot_i, or softmax(x_i) sum_c p_ic - p_i; dloss/dp = -log_softmax(x).

    The log-sum-exp subtracts each row's max first, so logits of +-1000 stay finite.
    """

    @staticmethod
    def forward(ctx: ContextManager, logits: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        checks.reduction("cross_entropy", reduction)
        _check_scores("cross_entropy", "logits", logits)
        labels = target.data
        probabilities = labels.ndim == 2
        if probabilities:
            if labels.shape != logits.shape:
                raise ValueError(f"cross_entropy: expected class probabilities of shape {logits.shape} "
                                 f"(the logits' shape) or class indices of shape "
                                 f"({logits.shape[0]},), got {labels.shape}")
        else:
            _check_labels("cross_entropy", "logits", logits, labels)
        x = float_data(logits)
        shifted = x - x.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ctx.log_probs, ctx.reduction = log_probs, reduction
        if probabilities:
            probs = labels.astype(log_probs.dtype, copy=False)
            ctx.probs, ctx.target_dtype = probs, labels.dtype
            losses = -(probs * log_probs).sum(axis=1)
        else:
            rows = np.arange(labels.shape[0])
            ctx.probs, ctx.rows, ctx.labels = None, rows, labels
            losses = -log_probs[rows, labels]
        return Tensor(_reduce(losses, reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        log_probs, probs = ctx.log_probs, ctx.probs
        scale = grad_output.data
        if ctx.reduction == "mean":
            scale = scale / log_probs.shape[0]
        elif ctx.reduction == "none":
            scale = scale[:, np.newaxis]
        if probs is None:
            grad = np.exp(log_probs)
            grad[ctx.rows, ctx.labels] -= 1
            grad *= scale
            return Tensor(grad), None, None
        grad_logits = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_logits = Tensor((np.exp(log_probs) * probs.sum(axis=1, keepdims=True) - probs) * scale)
        if ctx.needs_input_grad[1]:
            grad_target = Tensor((-log_probs * scale).astype(ctx.target_dtype, copy=False))
        return grad_logits, grad_target, None


class NLL(Function):
    """loss_i = -x[i, target_i] for log-probabilities x (N, C), reduced by `reduction`;
    dloss/dx[i, target_i] = -1 (over N for 'mean'), 0 elsewhere"""

    @staticmethod
    def forward(ctx: ContextManager, log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        checks.reduction("nll_loss", reduction)
        _check_scores("nll_loss", "input", log_probs)
        labels = target.data
        _check_labels("nll_loss", "input", log_probs, labels)
        rows = np.arange(labels.shape[0])
        x = float_data(log_probs)
        ctx.rows, ctx.labels, ctx.reduction = rows, labels, reduction
        ctx.shape, ctx.dtype = log_probs.shape, log_probs.dtype
        return Tensor(_reduce(-x[rows, labels], reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        scale = grad_output.data
        if ctx.reduction == "mean":
            scale = scale / ctx.shape[0]
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        grad[ctx.rows, ctx.labels] = -scale
        return Tensor(grad), None, None


class MSE(Function):
    """loss = reduce((a - b)**2) over all elements; da = 2 (a - b) g (over a.size for 'mean'), db = -da"""

    @staticmethod
    def forward(ctx: ContextManager, predicted: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        checks.reduction("mse_loss", reduction)
        if predicted.shape != target.shape:
            raise ValueError(f"mse_loss: predicted of shape {predicted.shape} and target of shape "
                             f"{target.shape} differ; they must have the same shape")
        diff = float_data(predicted) - float_data(target)
        ctx.diff, ctx.reduction = diff, reduction
        ctx.dtypes = predicted.dtype, target.dtype
        return Tensor(_reduce(diff * diff, reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        scale = 2 * grad_output.data
        if ctx.reduction == "mean":
            scale = scale / ctx.diff.size
        grad = ctx.diff * scale
        grad_predicted = Tensor(grad.astype(ctx.dtypes[0], copy=False)) if ctx.needs_input_grad[0] else None
        grad_target = Tensor((-grad).astype(ctx.dtypes[1], copy=False)) if ctx.needs_input_grad[1] else None
        return grad_predicted, grad_target, None
