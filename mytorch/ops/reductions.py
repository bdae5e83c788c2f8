"""Reductions over axes: sum, mean, max and var.

`axis` is None (every axis), an int or a sequence of ints; negative axes count from
the end. A 0-d tensor has one axis (0 or -1), as in PyTorch, and reducing it changes
nothing. An axis out of range or given twice is a ValueError naming the op.
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data, unreduce
from mytorch.tensor import Tensor

Axis = Union[None, int, Sequence[int]]


class Sum(Function):
    """b = a.sum(axis, keepdims)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = checks.axes("sum", axis, a.shape)
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, checks.boolean("sum: keepdims", keepdims)
        return Tensor(np.asarray(a.data.sum(axis=axes, keepdims=keepdims)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = unreduce(grad_output.data, ctx.shape, ctx.axes, ctx.keepdims)
        return Tensor(grad.copy()), None, None


class Mean(Function):
    """b = a.mean(axis, keepdims); each input element gets 1/count of the gradient"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = checks.axes("mean", axis, a.shape)
        out = np.asarray(float_data(a).mean(axis=axes, keepdims=keepdims))
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, axes, checks.boolean("mean: keepdims", keepdims)
        ctx.count = a.numel() // max(out.size, 1)
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = unreduce(grad_output.data, ctx.shape, ctx.axes, ctx.keepdims)
        return Tensor(grad / grad.dtype.type(ctx.count)), None, None


class Max(Function):
    """b = a.max(axis, keepdims), as `torch.amax`: the gradient is split evenly between
    tied maxima"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = checks.axes("max", axis, a.shape)
        if a.numel() == 0:
            raise ValueError(f"max: cannot reduce a tensor of shape {a.shape}, which has no elements")
        out = Tensor(np.asarray(a.data.max(axis=axes, keepdims=keepdims)))
        ctx.axes, ctx.keepdims = axes, checks.boolean("max: keepdims", keepdims)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        a, out = ctx.saved_tensors
        axes, keepdims = ctx.axes, ctx.keepdims
        is_max = a.data == unreduce(out.data, a.shape, axes, keepdims)
        ties = unreduce(is_max.sum(axis=axes, keepdims=keepdims), a.shape, axes, keepdims)
        grad = unreduce(grad_output.data, a.shape, axes, keepdims) * is_max / ties
        return Tensor(grad.astype(a.dtype, copy=False)), None, None


class Var(Function):
    """b = sum((a - mean)**2, axis) / (n - correction), n the count per output element;
    db/da = 2 (a - mean) / (n - correction). As in PyTorch, n <= correction gives inf or nan."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axis: Axis = None, keepdims: bool = False,
                correction: float = 1) -> Tensor:
        axes = checks.axes("var", axis, a.shape)
        keepdims = checks.boolean("var: keepdims", keepdims)
        checks.non_negative("var: correction", correction)
        data = float_data(a)
        centered = data - data.mean(axis=axes, keepdims=True)
        count = data.size if axes is None else math.prod(a.shape[i] for i in axes)
        divisor = max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray((centered * centered).sum(axis=axes, keepdims=keepdims) / divisor)
        ctx.centered, ctx.divisor, ctx.axes, ctx.keepdims = centered, divisor, axes, keepdims
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None, None]:
        grad = unreduce(grad_output.data, ctx.centered.shape, ctx.axes, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor(grad * ctx.centered * 2 / ctx.divisor), None, None, None
