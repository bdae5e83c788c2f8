"""Ops that move elements without changing them: transpose, reshape, view, expand and indexing."""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import unbroadcast
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
                             f"({a.numel()} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.reshape(ctx.shape)), None


class View(Reshape):
    """b = a.view(shape): a.reshape(shape) that shares a's memory, as `torch.Tensor.view`.

    Where the elements are not laid out so that a reshape can share them (after a
    transpose, say), it is a ValueError, as PyTorch refuses too: use `reshape`, which copies.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        out = Reshape.forward(ctx, a, shape)
        if a.data.size and not np.may_share_memory(out.data, a.data):
            raise ValueError(f"view: a tensor of shape {a.shape} and strides {a.data.strides} "
                             f"cannot be viewed as shape {tuple(shape)} without copying; use "
                             ".reshape(...) instead")
        return out


class Expand(Function):
    """b = a broadcast to `shape` without copying, as `torch.Tensor.expand`: -1 keeps a's
    size, an axis of size 1 may grow, new axes go in front. da = db summed back to a's shape."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        shape = tuple(shape)
        new = len(shape) - a.ndim
        if new < 0:
            raise ValueError(f"expand: {shape} has fewer axes than the tensor's shape {a.shape}")
        target = []
        for index, size in enumerate(shape):
            checks.integer("expand: size", size)
            old = a.shape[index - new] if index >= new else None
            if size == -1 and old is not None:
                size = old
            if size < 0 or (old not in (None, 1, size)):
                raise ValueError(f"expand: cannot expand a tensor of shape {a.shape} to {shape} "
                                 f"(axis {index}: {shape[index]}); only axes of size 1 may grow, "
                                 "and -1 keeps an existing axis")
            target.append(size)
        ctx.shape, ctx.dtype = a.shape, a.dtype
        return Tensor(np.broadcast_to(a.data, tuple(target)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(unbroadcast(grad_output.data, ctx.shape, ctx.dtype)), None


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
