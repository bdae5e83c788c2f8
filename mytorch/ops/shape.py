"""Ops that move elements without changing them: transpose, reshape and indexing."""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.tensor import Tensor


class Transpose(Function):
    """b = a.transpose(axes); reverses the axes when `axes` is None"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axes: Optional[Sequence[int]] = None) -> Tensor:
        if axes is not None:
            axes = checks.permutation("Transpose", axes, a.shape)
        ctx.inverse = None if axes is None else tuple(np.argsort(axes))
        return Tensor(a.data.transpose(axes))

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
        except (ValueError, TypeError):
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
        try:
            out = np.array(a.data[index])
        except IndexError as exc:
            raise IndexError(f"Index: {exc} (indexing a tensor of shape {a.shape})") from None
        ctx.index, ctx.shape, ctx.dtype = index, a.shape, a.dtype
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.add.at(grad, ctx.index, grad_output.data)
        return Tensor(grad), None
