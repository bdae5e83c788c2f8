"""Differentiable ops: one `Function` subclass per op, forward and backward side by side.

`forward` computes on `.data` and saves only what backward needs; `backward` returns
one gradient per forward argument (None where none is needed), each of exactly that
argument's shape and dtype. Lower-case wrappers (`relu`, `linear`, ...) are the
functional API the modules call.
"""
import math
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
from scipy.special import erf

from mytorch.autograd_engine import ContextManager, Function
from mytorch.tensor import Tensor

Axis = Union[None, int, Sequence[int]]


def unbroadcast(grad: np.ndarray, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting, and cast it to `dtype`.

    An input broadcast to the output's shape contributed to every position it was
    copied to, so its gradient is the sum over the leading axes it gained and over the
    axes where it had size 1.
    """
    if grad.shape != shape:
        leading = grad.ndim - len(shape)
        axes = tuple(range(leading)) + tuple(
            leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1)
        grad = grad.sum(axis=axes, keepdims=True).reshape(shape)
    return grad.astype(dtype, copy=False)


def _broadcasting(ufunc: np.ufunc, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """ufunc(a, b) with NumPy broadcasting, failing with the op's name and both shapes."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None


def _unreduce(grad: np.ndarray, shape: Tuple[int, ...], axis: Axis, keepdims: bool) -> np.ndarray:
    """Expand the gradient of a reduction over `axis` back to the input's `shape`."""
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str) -> None:
    """Reject a loss reduction other than 'mean', 'sum' or 'none', naming the op."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """The mean or sum of per-element `losses`, or `losses` themselves for 'none'."""
    if reduction == "mean":
        # Cheaper than .mean() on the hot path; the dtype is explicit because NumPy 1.x
        # promotes a float32 scalar divided by a Python int to float64.
        return np.asarray(losses.sum() / losses.size, dtype=losses.dtype)
    if reduction == "sum":
        return np.asarray(losses.sum())
    return losses


def _check_class_indices(op: str, name: str, scores: Tensor, labels: np.ndarray) -> None:
    """Check that `labels` are integer class indices (N,) in [0, C) for `scores` (N, C)."""
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}")
    if labels.ndim != 1 or labels.shape[0] != scores.shape[0]:
        raise ValueError(f"{op}: expected target of shape ({scores.shape[0]},) "
                         f"for {name} of shape {scores.shape}, got {labels.shape}")
    classes = scores.shape[1]
    # The ufuncs' own reductions: ndarray.min/max add a Python wrapper on the hot path.
    if labels.size and (np.minimum.reduce(labels) < 0 or np.maximum.reduce(labels) >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise ValueError(f"{op}: target {bad} is out of range for {classes} classes "
                         f"(expected 0 <= target < {classes})")


def _softmax_axis(op: str, x: Tensor, dim: int) -> int:
    """`dim` as a non-negative axis of `x`; a 0-d tensor counts as one axis of length 1."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise ValueError(f"{op}: dim must be an integer, got {dim!r}")
    ndim = max(x.ndim, 1)
    if not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of shape {x.shape}")
    return int(dim) % ndim


def _check_dropout_p(p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be a number in [0, 1), got {p!r}")


# ---------------------------------------------------------------------- arithmetic

class Add(Function):
    """c = a + b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        return Tensor(_broadcasting(np.add, a, b, "Add"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        grad_b = Tensor(unbroadcast(grad, *ctx.b_meta)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Sub(Function):
    """c = a - b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        return Tensor(_broadcasting(np.subtract, a, b, "Sub"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        grad_b = Tensor(unbroadcast(-grad, *ctx.b_meta)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Mul(Function):
    """c = a * b (elementwise)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return Tensor(_broadcasting(np.multiply, a, b, "Mul"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        a, b = ctx.saved_tensors
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad * b.data, a.shape, a.dtype)) if ctx.needs_input_grad[0] else None
        grad_b = Tensor(unbroadcast(grad * a.data, b.shape, b.dtype)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """c = a / b; dc/da = 1/b, dc/db = -a/b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return Tensor(_broadcasting(np.true_divide, a, b, "Div"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        a, b = ctx.saved_tensors
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad / b.data, a.shape, a.dtype)) if ctx.needs_input_grad[0] else None
        # (a / b) / b, not a / b**2: the same rounding as PyTorch, which matters for b near 0,
        # where the gradient is huge and one ulp exceeds the handout's 1e-10 tolerance.
        grad_b = (Tensor(unbroadcast(-grad * (a.data / b.data / b.data), b.shape, b.dtype))
                  if ctx.needs_input_grad[1] else None)
        return grad_a, grad_b


class Neg(Function):
    """b = -a"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        return Tensor(-a.data)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(-grad_output.data)


class Pow(Function):
    """b = a ** p for a number p; db/da = p * a ** (p - 1)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, exponent: Union[int, float]) -> Tensor:
        if isinstance(exponent, Tensor) or not np.isscalar(exponent):
            raise TypeError(f"Pow: the exponent must be a number, got {type(exponent).__name__}")
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return Tensor(a.data ** exponent)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        grad = grad_output.data * ctx.exponent * a.data ** (ctx.exponent - 1)
        return Tensor(grad.astype(a.dtype, copy=False)), None


class MatMul(Function):
    """c = a @ b, with NumPy's rules for 1-D operands and broadcast batch axes"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"MatMul: shapes {a.shape} and {b.shape} are not aligned for a @ b")
        ctx.save_for_backward(a, b)
        return Tensor(_broadcasting(np.matmul, a, b, "MatMul"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        a, b = ctx.saved_tensors
        # Treat 1-D operands as a row (a) or a column (b) matrix, as matmul does.
        a2 = a.data[np.newaxis, :] if a.ndim == 1 else a.data
        b2 = b.data[:, np.newaxis] if b.ndim == 1 else b.data
        grad = grad_output.data
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = Tensor(unbroadcast(grad @ np.swapaxes(b2, -1, -2), a2.shape, a.dtype).reshape(a.shape))
        if ctx.needs_input_grad[1]:
            if b2.ndim == 2:
                # One matrix shared by every batch row: fold the batch axes into one sum.
                a_rows, grad_rows = a2.reshape(-1, a2.shape[-1]), grad.reshape(-1, grad.shape[-1])
                if b2.flags.f_contiguous and not b2.flags.c_contiguous:
                    # b is a transposed view, as W.T in `x @ W.T`: (grad.T @ a).T gives
                    # W.grad in W's own C layout, which keeps the optimizer's update fast.
                    grad_b2 = (grad_rows.T @ a_rows).T
                else:
                    grad_b2 = a_rows.T @ grad_rows
            else:
                grad_b2 = np.swapaxes(a2, -1, -2) @ grad
            grad_b = Tensor(unbroadcast(grad_b2, b2.shape, b.dtype).reshape(b.shape))
        return grad_a, grad_b


# ------------------------------------------------------------------------ shapes

class Transpose(Function):
    """b = a.transpose(axes); reverses the axes when `axes` is None"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axes: Optional[Sequence[int]] = None) -> Tensor:
        try:
            out = a.data.transpose(axes)
        except ValueError:
            raise ValueError(f"Transpose: axes {tuple(axes)} are not a permutation of the axes "
                             f"of a tensor of shape {a.shape}") from None
        ctx.inverse = None if axes is None else np.argsort([axis % a.ndim for axis in axes])
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.transpose(ctx.inverse)), None


class Reshape(Function):
    """b = a.reshape(shape)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        ctx.shape = a.shape
        try:
            return Tensor(a.data.reshape(shape))
        except ValueError:
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {a.shape} "
                             f"({a.size} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.reshape(ctx.shape)), None


class Index(Function):
    """b = a[index], basic or integer-array indexing; the gradient scatters back with
    accumulation, so an element picked twice gets both contributions"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        ctx.index, ctx.shape, ctx.dtype = index, a.shape, a.dtype
        return Tensor(np.array(a.data[index]))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.add.at(grad, ctx.index, grad_output.data)
        return Tensor(grad), None


# -------------------------------------------------------------------- reductions

class Sum(Function):
    """b = a.sum(axis, keepdims)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        return Tensor(np.asarray(a.data.sum(axis=axis, keepdims=keepdims)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = _unreduce(grad_output.data, ctx.shape, ctx.axis, ctx.keepdims)
        return Tensor(grad.copy()), None, None


class Mean(Function):
    """b = a.mean(axis, keepdims); each input element gets 1/count of the gradient"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        out = np.asarray(a.data.mean(axis=axis, keepdims=keepdims))
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        ctx.count = a.size // max(out.size, 1)
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = _unreduce(grad_output.data, ctx.shape, ctx.axis, ctx.keepdims)
        return Tensor(grad / ctx.count), None, None


class Max(Function):
    """b = a.max(axis, keepdims); the gradient is split evenly between tied maxima"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        out = np.asarray(a.data.max(axis=axis, keepdims=keepdims))
        ctx.save_for_backward(a)
        ctx.out, ctx.axis, ctx.keepdims = out, axis, keepdims
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        (a,) = ctx.saved_tensors
        is_max = a.data == _unreduce(ctx.out, a.shape, ctx.axis, ctx.keepdims)
        ties = _unreduce(is_max.sum(axis=ctx.axis, keepdims=ctx.keepdims), a.shape, ctx.axis, ctx.keepdims)
        grad = _unreduce(grad_output.data, a.shape, ctx.axis, ctx.keepdims) * is_max / ties
        return Tensor(grad.astype(a.dtype, copy=False)), None, None


# ------------------------------------------------------------------- elementwise

class Exp(Function):
    """b = exp(a); db/da = b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.out = np.exp(a.data)
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data * ctx.out)


class Log(Function):
    """b = log(a); db/da = 1/a"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.log(a.data))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(grad_output.data / a.data)


class ReLU(Function):
    """b = max(a, 0); db/da = 1 where a > 0, else 0"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.out = np.maximum(a.data, 0)
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data * (ctx.out > 0))


class Sigmoid(Function):
    """b = 1 / (1 + exp(-a)); db/da = b (1 - b)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        # exp(-|a|) <= 1 never overflows; for a < 0, sigmoid(a) = e^a / (1 + e^a).
        e = np.exp(-np.abs(a.data))
        out = 1 / (1 + e)
        ctx.out = np.where(a.data >= 0, out, e * out)
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data * ctx.out * (1 - ctx.out))


class Tanh(Function):
    """b = tanh(a); db/da = 1 - b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.out = np.tanh(a.data)
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data * (1 - ctx.out * ctx.out))


# Python floats, not NumPy scalars, so float32 inputs stay float32.
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715  # the tanh approximation's cubic coefficient


class GELU(Function):
    """b = a Phi(a), Phi the standard normal CDF; db/da = Phi(a) + a phi(a).

    approximate='tanh': b = a/2 (1 + t), t = tanh(k (a + 0.044715 a**3)), k = sqrt(2/pi);
    db/da = (1 + t)/2 + a/2 (1 - t**2) k (1 + 3 * 0.044715 a**2).
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, approximate: str = "none") -> Tensor:
        x = a.data
        if approximate == "none":
            ctx.cdf = 0.5 * (1 + erf(x * _SQRT1_2))
            out = x * ctx.cdf
        elif approximate == "tanh":
            ctx.tanh = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            out = 0.5 * x * (1 + ctx.tanh)
        else:
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.save_for_backward(a)
        ctx.approximate = approximate
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        x = ctx.saved_tensors[0].data
        if ctx.approximate == "none":
            pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
            local = ctx.cdf + x * pdf
        else:
            t = ctx.tanh
            local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return Tensor(grad_output.data * local), None


class Dropout(Function):
    """b = a * mask / (1 - p), mask_i ~ Bernoulli(1 - p) from np.random; db/da = mask / (1 - p)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, p: float) -> Tensor:
        _check_dropout_p(p)
        keep = np.asarray(np.random.random_sample(a.shape) >= p)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
        ctx.mask = (keep / (1 - p)).astype(dtype, copy=False)
        return Tensor(a.data * ctx.mask)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data * ctx.mask), None


# ----------------------------------------------------------------------- softmax

class Softmax(Function):
    """s = exp(a) / sum(exp(a), dim); da = s * (g - sum(g * s, dim))

    The max along `dim` is subtracted first, so large inputs do not overflow.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int = -1) -> Tensor:
        axis = _softmax_axis("softmax", a, dim)
        data = np.atleast_1d(a.data)  # a 0-d tensor is one class of probability 1
        e = np.exp(data - data.max(axis=axis, keepdims=True))
        ctx.out = (e / e.sum(axis=axis, keepdims=True)).reshape(a.shape)
        ctx.axis = axis
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        s, grad = np.atleast_1d(ctx.out), np.atleast_1d(grad_output.data)
        grad_a = s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))
        return Tensor(grad_a.reshape(ctx.out.shape)), None


class LogSoftmax(Function):
    """b = a - logsumexp(a, dim); da = g - softmax(a) * sum(g, dim)

    The max along `dim` is subtracted first, so large inputs stay finite.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int = -1) -> Tensor:
        axis = _softmax_axis("log_softmax", a, dim)
        data = np.atleast_1d(a.data)
        shifted = data - data.max(axis=axis, keepdims=True)
        ctx.out = (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).reshape(a.shape)
        ctx.axis = axis
        return Tensor(ctx.out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        out, grad = np.atleast_1d(ctx.out), np.atleast_1d(grad_output.data)
        grad_a = grad - np.exp(out) * grad.sum(axis=ctx.axis, keepdims=True)
        return Tensor(grad_a.reshape(ctx.out.shape)), None


# ------------------------------------------------------ fused layers (hot path)

class Linear(Function):
    """y = x @ W.T + b; dx = dy @ W, dW = dy.T @ x, db = dy summed over the batch"""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
        if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"Linear: input of shape {x.shape} does not match weight of shape "
                             f"{weight.shape} (expected input (..., {weight.shape[-1]}))")
        if bias is not None and bias.shape != weight.shape[:1]:
            raise ValueError(f"Linear: bias of shape {bias.shape} for weight of shape {weight.shape}")
        ctx.save_for_backward(x, weight)
        out = x.data @ weight.data.T
        if bias is not None:
            out += bias.data
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        x, weight = ctx.saved_tensors
        grad = grad_output.data
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = Tensor(unbroadcast(grad @ weight.data, x.shape, x.dtype))
        # Flatten any leading axes into one batch axis.
        grad_rows = grad.reshape(-1, grad.shape[-1])
        if ctx.needs_input_grad[1]:
            # (out, in), C-contiguous like the weight itself.
            grad_weight = Tensor((grad_rows.T @ x.data.reshape(-1, x.shape[-1])).astype(weight.dtype, copy=False))
        if ctx.needs_input_grad[2]:
            grad_bias = Tensor(grad_rows.sum(axis=0).astype(weight.dtype, copy=False))
        return grad_x, grad_weight, grad_bias


class BatchNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel (axis 1).

    Training mode normalises with the batch mean and biased variance and updates the
    running statistics in place (outside the graph) with the unbiased variance:
    running = (1 - momentum) * running + momentum * batch_statistic. Eval mode uses the
    running statistics. With x_hat the normalised input and n values per channel:
        dgamma = sum(dy * x_hat), dbeta = sum(dy),
        dx = gamma / sqrt(var + eps) * (dy - dbeta / n - x_hat * dgamma / n)   (training)
        dx = gamma / sqrt(var + eps) * dy                                     (eval)
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, running_mean: Tensor, running_var: Tensor,
                weight: Tensor, bias: Tensor, training: bool, momentum: float, eps: float) -> Tensor:
        channels = weight.shape[0]
        if x.ndim not in (2, 3) or x.shape[1] != channels:
            raise ValueError(f"BatchNorm: expected input of shape (N, {channels}) or "
                             f"(N, {channels}, L), got {x.shape}")
        # Reduce over every axis but the channels; parameters broadcast along them.
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (channels,) if x.ndim == 2 else (channels, 1)
        data = x.data
        if training:
            count = x.size // channels
            if count < 2:
                raise ValueError(f"BatchNorm: expected more than 1 value per channel when "
                                 f"training, got input of shape {x.shape}")
            # sum / count: ndarray.mean's Python wrapper costs more than these small reductions.
            mean = data.sum(axis=axes) / count
            centered = data - mean.reshape(shape)
            var = (centered * centered).sum(axis=axes) / count
            running_mean.data = ((1 - momentum) * running_mean.data + momentum * mean).astype(x.dtype, copy=False)
            running_var.data = ((1 - momentum) * running_var.data
                                + momentum * var * (count / (count - 1))).astype(x.dtype, copy=False)
        else:
            count = None
            mean, var = running_mean.data.astype(x.dtype, copy=False), running_var.data.astype(x.dtype, copy=False)
            centered = data - mean.reshape(shape)
        inv_std = (1.0 / np.sqrt(var + eps)).reshape(shape)
        x_hat = centered * inv_std
        ctx.x_hat, ctx.inv_std, ctx.count, ctx.axes = x_hat, inv_std, count, axes
        ctx.save_for_backward(weight)
        out = x_hat * weight.data.reshape(shape) + bias.data.reshape(shape)
        return Tensor(out.astype(x.dtype, copy=False))  # the input's dtype, like the statistics

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        (weight,) = ctx.saved_tensors
        grad, x_hat, axes = grad_output.data, ctx.x_hat, ctx.axes
        grad_gamma = (grad * x_hat).sum(axis=axes)
        grad_beta = grad.sum(axis=axes)
        grad_x = None
        if ctx.needs_input_grad[0]:
            scale = weight.data.reshape(ctx.inv_std.shape) * ctx.inv_std
            if ctx.count is None:
                grad_x = scale * grad
            else:
                shape = ctx.inv_std.shape
                grad_x = scale * (grad - grad_beta.reshape(shape) / ctx.count
                                  - x_hat * (grad_gamma.reshape(shape) / ctx.count))
            grad_x = Tensor(grad_x.astype(x_hat.dtype, copy=False))
        grad_weight = Tensor(grad_gamma.astype(weight.dtype, copy=False)) if ctx.needs_input_grad[3] else None
        grad_bias = Tensor(grad_beta.astype(weight.dtype, copy=False)) if ctx.needs_input_grad[4] else None
        return grad_x, None, None, grad_weight, grad_bias, None, None, None


class CrossEntropy(Function):
    """loss_i = logsumexp(x_i) - x_i[target_i], or -sum_c p_ic log_softmax(x_i)_c for class
    probabilities p (N, C); reduced by `reduction` ('mean' divides by N).
    dloss/dx_i = softmax(x_i) - onehot_i, or softmax(x_i) sum_c p_ic - p_i; dloss/dp = -log_softmax(x).

    The log-sum-exp subtracts each row's max first, so logits of +-1000 stay finite.
    """

    @staticmethod
    def forward(ctx: ContextManager, logits: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        _check_reduction("cross_entropy", reduction)
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {logits.shape}")
        labels = target.data
        probabilities = labels.ndim == 2
        if probabilities:
            if labels.shape != logits.shape:
                raise ValueError(f"cross_entropy: expected class probabilities of shape {logits.shape} "
                                 f"(the logits' shape) or class indices of shape "
                                 f"({logits.shape[0]},), got {labels.shape}")
        else:
            _check_class_indices("cross_entropy", "logits", logits, labels)
        shifted = logits.data - logits.data.max(axis=1, keepdims=True)
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


# ------------------------------------------------------------------------ losses

class NLL(Function):
    """loss_i = -x[i, target_i] for log-probabilities x (N, C), reduced by `reduction`;
    dloss/dx[i, target_i] = -1 (over N for 'mean'), 0 elsewhere"""

    @staticmethod
    def forward(ctx: ContextManager, log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        _check_reduction("nll_loss", reduction)
        if log_probs.ndim != 2:
            raise ValueError(f"nll_loss: expected input of shape (N, C), got {log_probs.shape}")
        labels = target.data
        _check_class_indices("nll_loss", "input", log_probs, labels)
        rows = np.arange(labels.shape[0])
        ctx.rows, ctx.labels, ctx.reduction = rows, labels, reduction
        ctx.shape, ctx.dtype = log_probs.shape, log_probs.dtype
        return Tensor(_reduce(-log_probs.data[rows, labels], reduction))

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
        _check_reduction("mse_loss", reduction)
        if predicted.shape != target.shape:
            raise ValueError(f"mse_loss: predicted of shape {predicted.shape} and target of shape "
                             f"{target.shape} differ; they must have the same shape")
        diff = predicted.data - target.data
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


# ------------------------------------------------------------- functional API

def _as_tensor(value: Any) -> Tensor:
    """`value` itself if it is a Tensor (keeping its graph), else a constant Tensor of it."""
    return value if isinstance(value, Tensor) else Tensor(value)


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return ReLU.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, as `torch.nn.functional.linear`."""
    return Linear.apply(x, weight, bias)


def batch_norm(x: Tensor, running_mean: Tensor, running_var: Tensor, weight: Tensor,
               bias: Tensor, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over axis 1, as `torch.nn.functional.batch_norm`."""
    return BatchNorm.apply(x, running_mean, running_var, weight, bias, training, momentum, eps)


def cross_entropy(predicted: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy between softmax(predicted) and the target, as `torch.nn.functional.cross_entropy`.

    Args:
        predicted: logits of shape (N, C).
        target: integer class indices of shape (N,), or class probabilities (one-hot
            or soft labels) of shape (N, C); a Tensor or an array.
        reduction: 'mean' (over the batch, also for probabilities), 'sum' or 'none'.
    Returns:
        A 0-d Tensor, or the per-sample losses (N,) for reduction='none'.
    """
    return CrossEntropy.apply(predicted, _as_tensor(target), reduction)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, without overflow for large |x|."""
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return Tanh.apply(x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with the exact normal CDF, or its tanh approximation for approximate='tanh'."""
    return GELU.apply(x, approximate)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x), dim), computed stably."""
    return Softmax.apply(x, dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x - logsumexp(x, dim), computed stably."""
    return LogSoftmax.apply(x, dim)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    Args:
        x: the input.
        p: drop probability, in [0, 1).
        training: when False (or p == 0), return `x` itself.
    Returns:
        A Tensor of x's shape. The mask comes from `np.random`, so `np.random.seed`
        reproduces it.
    """
    _check_dropout_p(p)
    if not training or p == 0:
        return x
    return Dropout.apply(x, p)


def mse_loss(predicted: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error between same-shaped tensors, averaged over all elements for 'mean'.

    Args:
        predicted: any shape.
        target: the same shape, a Tensor or an array.
        reduction: 'mean', 'sum' or 'none' (elementwise squared errors).
    """
    return MSE.apply(predicted, _as_tensor(target), reduction)


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -log_probs[i, target_i], as `torch.nn.functional.nll_loss`.

    Args:
        log_probs: log-probabilities of shape (N, C), e.g. from `log_softmax(x, dim=1)`.
        target: integer class indices of shape (N,), a Tensor or an array.
        reduction: 'mean' (over the batch), 'sum' or 'none' (shape (N,)).
    """
    return NLL.apply(log_probs, _as_tensor(target), reduction)
