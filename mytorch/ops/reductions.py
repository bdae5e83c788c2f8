"""Reductions over axes: sum, mean, max, min, var, std, logsumexp, the 2-norm and the product;
and the running sums and products along one axis (cumsum, cumprod).

`axis` is None (every axis), an int or a sequence of ints; negative axes count from
the end. A 0-d tensor has one axis (0 or -1), as in PyTorch, and reducing it changes
nothing. An axis out of range or given twice is a ValueError naming the op.
"""
import math
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data, unreduce
from mytorch.tensor import Tensor

Axis = Union[None, int, Sequence[int]]


def _reduction(ctx: ContextManager, op: str, a: Tensor, axis: Axis, keepdims: bool
               ) -> Optional[Tuple[int, ...]]:
    """The axes a reduction removes (None: all), after checking them and `keepdims`;
    keeps on ctx what every reduction's backward needs to expand its gradient."""
    axes = checks.axes(op, axis, a.shape)
    ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, checks.boolean(f"{op}: keepdims", keepdims)
    return axes


class Sum(Function):
    """b = a.sum(axis, keepdims)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = _reduction(ctx, "sum", a, axis, keepdims)
        return Tensor(np.asarray(a.data.sum(axis=axes, keepdims=keepdims)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = unreduce(grad_output.data, ctx.shape, ctx.axes, ctx.keepdims)
        return Tensor(grad.copy()), None, None  # a broadcast view is read-only: copy


class Mean(Function):
    """b = a.mean(axis, keepdims); each input element gets 1/count of the gradient.
    The mean over no elements is NaN, as in PyTorch."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = _reduction(ctx, "mean", a, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(np.add.reduce(float_data(a), axis=axes, keepdims=keepdims))
            ctx.count = _count(a.shape, axes)
            out = out / out.dtype.type(ctx.count)
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = unreduce(grad_output.data, ctx.shape, ctx.axes, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor(grad / grad.dtype.type(ctx.count)), None, None


def _count(shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]]) -> int:
    """How many elements of `shape` each output element of a reduction over `axes` takes in."""
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


def _extreme(ctx: ContextManager, op: str, a: Tensor, axis: Axis, keepdims: bool,
             reduce: Callable) -> Tensor:
    """Forward of Max and Min: reduce(a) over the axes, keeping a and the output for backward."""
    axes = _reduction(ctx, op, a, axis, keepdims)
    reduced = range(a.ndim) if axes is None else axes
    if any(a.shape[i] == 0 for i in reduced):
        raise ValueError(f"{op}: cannot reduce a tensor of shape {a.shape} over an axis with no "
                         f"elements ({'every axis' if axes is None else f'axes {axes}'})")
    out = Tensor(np.asarray(reduce(a.data, axis=axes, keepdims=keepdims)))
    ctx.save_for_backward(a, out)
    return out


def _split_among_ties(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
    """Backward of Max and Min: the gradient goes to the elements equal to the result,
    split evenly between ties, as `torch.amax` does."""
    a, out = ctx.saved_tensors
    axes, keepdims = ctx.axes, ctx.keepdims
    is_extreme = a.data == unreduce(out.data, a.shape, axes, keepdims)
    ties = unreduce(is_extreme.sum(axis=axes, keepdims=keepdims), a.shape, axes, keepdims)
    grad = unreduce(grad_output.data, a.shape, axes, keepdims) * is_extreme / ties
    return Tensor(grad.astype(a.dtype, copy=False)), None, None


class Max(Function):
    """b = a.max(axis, keepdims), as `torch.amax`: the gradient is split evenly between
    tied maxima. Reducing over an axis of size 0 is a ValueError naming the op."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _extreme(ctx, "max", a, axis, keepdims, np.max)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        return _split_among_ties(ctx, grad_output)


class Min(Function):
    """b = a.min(axis, keepdims), as `torch.amin`: the gradient is split evenly between
    tied minima."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return _extreme(ctx, "min", a, axis, keepdims, np.min)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        return _split_among_ties(ctx, grad_output)


def _variance(ctx: ContextManager, op: str, a: Tensor, axis: Axis, keepdims: bool,
              correction: float) -> np.ndarray:
    """Forward of Var and Std: sum((a - mean)**2) / max(n - correction, 0), n the count per
    output element, as PyTorch computes it (n <= correction gives inf, or nan for 0 / 0).
    Keeps the centered input and n - correction for backward."""
    axes = _reduction(ctx, op, a, axis, keepdims)
    checks.non_negative(f"{op}: correction", correction)
    data = float_data(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        count = _count(a.shape, axes)
        if count:
            # Shifted by each slice's first element: a constant slice then centers to exact
            # zeros, so its variance is 0 as in PyTorch (sum / n can miss the value by an
            # ulp, and Std's gradient would be a finite number instead of PyTorch's 0).
            first = data[tuple(slice(0, 1) if axes is None or i in axes else slice(None)
                               for i in range(data.ndim))]
            data = data - np.where(np.isfinite(first), first, 0)
        centered = data - np.add.reduce(data, axis=axes, keepdims=True) / data.dtype.type(count)
        ctx.dof = count - correction
        ctx.centered = centered
        return np.asarray((centered * centered).sum(axis=axes, keepdims=keepdims) / max(ctx.dof, 0))


def _variance_backward(ctx: ContextManager, grad_output: np.ndarray) -> Tensor:
    """d var / da = 2 (a - mean) / (n - correction), PyTorch's formula, edge cases
    included: over every axis with n <= correction it is inf, or nan where a equals the
    mean; over some axes n - correction is used as it is, even if 0 or negative."""
    grad = unreduce(grad_output, ctx.centered.shape, ctx.axes, ctx.keepdims)
    centered = ctx.centered
    with np.errstate(divide="ignore", invalid="ignore"):
        if ctx.axes is None and ctx.dof <= 0:
            local = np.where(centered == 0, np.nan, np.inf).astype(centered.dtype)
            return Tensor(grad * local)
        scale = np.divide(2, ctx.dof, dtype=centered.dtype) if ctx.dof else centered.dtype.type(np.inf)
        return Tensor(scale * grad * centered)


class Var(Function):
    """b = sum((a - mean)**2, axis) / (n - correction), n the count per output element;
    db/da = 2 (a - mean) / (n - correction). As in PyTorch, n <= correction gives inf or nan."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False,
                correction: float = 1) -> Tensor:
        return Tensor(_variance(ctx, "var", a, axis, keepdims, correction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None, None]:
        return _variance_backward(ctx, grad_output.data), None, None, None


class Std(Function):
    """b = sqrt(var(a, axis, correction)); db/da = d var/da / (2 b), taken as 0 where b = 0
    (a constant slice), as PyTorch does, instead of 0 / 0."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False,
                correction: float = 1) -> Tensor:
        out = Tensor(np.sqrt(_variance(ctx, "std", a, axis, keepdims, correction)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None, None]:
        std = ctx.saved_tensors[0].data
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_var = np.where(std == 0, 0, grad_output.data / (2 * std)).astype(std.dtype)
        return _variance_backward(ctx, grad_var), None, None, None


class LogSumExp(Function):
    """b = log(sum(exp(a), axis)), computed with the max subtracted so it never overflows;
    db/da = exp(a - b)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = _reduction(ctx, "logsumexp", a, axis, keepdims)
        data = float_data(a)
        with np.errstate(divide="ignore"):
            if data.size == 0:  # log(0): -inf, as in PyTorch
                summed = np.log(np.exp(data).sum(axis=axes, keepdims=True))
            else:
                # An all -inf (or +inf) slice has max +-inf: shift it by 0, not by inf.
                top = np.max(data, axis=axes, keepdims=True)
                top = np.where(np.isfinite(top), top, 0)
                summed = np.log(np.exp(data - top).sum(axis=axes, keepdims=True)) + top
        out = Tensor(summed if keepdims else np.squeeze(summed, axis=axes))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        a, out = ctx.saved_tensors
        expanded = unreduce(out.data, a.shape, ctx.axes, ctx.keepdims)
        grad = unreduce(grad_output.data, a.shape, ctx.axes, ctx.keepdims)
        with np.errstate(invalid="ignore"):
            return Tensor(grad * np.exp(a.data - expanded)), None, None


class Norm(Function):
    """b = sqrt(sum(a**2, axis)), the 2-norm; db/da = a / b, taken as 0 where b = 0, as
    PyTorch does (the norm of a zero vector has a subgradient 0 there)."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = _reduction(ctx, "norm", a, axis, keepdims)
        data = float_data(a)
        out = Tensor(np.asarray(np.sqrt((data * data).sum(axis=axes, keepdims=keepdims))))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        a, out = ctx.saved_tensors
        norm = unreduce(out.data, a.shape, ctx.axes, ctx.keepdims)
        grad = unreduce(grad_output.data, a.shape, ctx.axes, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor(np.where(norm == 0, 0, grad * a.data / norm).astype(a.dtype)), None, None


def _exclusive_products(x: np.ndarray, axis: int, suffix: bool = False) -> np.ndarray:
    """p_i = the product of x_j for j < i along `axis` (for j > i with `suffix`), 1 for
    none: computed without dividing, so zeros in x are exact."""
    if suffix:
        return np.flip(_exclusive_products(np.flip(x, axis), axis), axis)
    shifted = np.ones_like(x)
    if x.shape[axis] > 1:
        inner = [slice(None)] * x.ndim
        inner[axis] = slice(1, None)
        head = [slice(None)] * x.ndim
        head[axis] = slice(0, -1)
        shifted[tuple(inner)] = np.cumprod(x[tuple(head)], axis=axis)
    return shifted


class Prod(Function):
    """b = the product of a's elements along `axis` (every element for None), as
    `torch.prod`; da_i = db * prod_{j != i} a_j, computed without dividing, so it is
    exact where a holds zeros."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Optional[int] = None,
                keepdims: bool = False) -> Tensor:
        if axis is not None:
            checks.integer("prod: dim", axis)
        axes = _reduction(ctx, "prod", a, axis, keepdims)
        ctx.save_for_backward(a)
        return Tensor(np.asarray(np.prod(a.data, axis=axes, keepdims=keepdims)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        (a,) = ctx.saved_tensors
        x = a.data.reshape(-1) if ctx.axes is None else a.data
        axis = 0 if ctx.axes is None else ctx.axes[0]
        others = _exclusive_products(x, axis) * _exclusive_products(x, axis, suffix=True)
        grad = unreduce(grad_output.data, a.shape, ctx.axes, ctx.keepdims)
        return Tensor((grad * others.reshape(a.shape)).astype(a.dtype, copy=False)), None, None


def _scan_axis(op: str, a: Tensor, dim: int) -> Tuple[np.ndarray, int]:
    """a's data with at least one axis (a 0-d tensor has one, as in PyTorch), and `dim` checked."""
    return np.atleast_1d(a.data), checks.dim(op, dim, a.shape)


class Cumsum(Function):
    """b_i = sum_{j <= i} a_j along `dim`, as `torch.cumsum`; da_j = sum_{i >= j} db_i"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int) -> Tensor:
        data, ctx.axis = _scan_axis("cumsum", a, dim)
        ctx.shape = a.shape
        return Tensor(np.cumsum(data, axis=ctx.axis).reshape(a.shape))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        grad = np.flip(np.cumsum(np.flip(np.atleast_1d(grad_output.data), ctx.axis), ctx.axis), ctx.axis)
        return Tensor(grad.reshape(ctx.shape)), None


class Cumprod(Function):
    """b_i = prod_{j <= i} a_j along `dim`, as `torch.cumprod`.

    da_j = sum_{i >= j} db_i prod_{k <= i, k != j} a_k = p_j s_j, with p_j the product of
    the a_k before j and s_j = db_j + a_{j+1} s_{j+1} (one pass from the end), so no
    division: exact where a holds zeros.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int) -> Tensor:
        data, ctx.axis = _scan_axis("cumprod", a, dim)
        ctx.save_for_backward(a)
        return Tensor(np.cumprod(data, axis=ctx.axis).reshape(a.shape))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        (a,) = ctx.saved_tensors
        x = np.moveaxis(np.atleast_1d(a.data), ctx.axis, 0)
        grad = np.moveaxis(np.atleast_1d(grad_output.data), ctx.axis, 0)
        running = np.empty_like(grad)
        for i in reversed(range(len(grad))):
            running[i] = grad[i] if i == len(grad) - 1 else grad[i] + x[i + 1] * running[i + 1]
        result = _exclusive_products(x, 0) * running
        return Tensor(np.moveaxis(result, 0, ctx.axis).reshape(a.shape).astype(a.dtype, copy=False)), None
