"""Max and average pooling over one or two spatial axes, read through a strided view of
the input's windows (`common.unfold`); no Python loop over the batch, channels or windows."""
import math
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data, fold, unfold
from mytorch.tensor import Tensor


def _windows(op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes]) -> Tuple[np.ndarray, Tuple[int, ...], Tuple[int, ...]]:
    """(the view (B, C, *out, *kernel) of x's windows, kernel, stride); stride defaults to
    the kernel size, as in PyTorch."""
    checks.spatial_input(op, spatial, x.shape)
    kernel = checks.sizes(f"{op}: kernel_size", kernel_size, spatial)
    stride = kernel if stride is None else checks.sizes(f"{op}: stride", stride, spatial)
    checks.windows(op, x.shape, kernel, stride, (0,) * spatial)
    return unfold(float_data(x), kernel, stride), kernel, stride


class _MaxPool(Function):
    """y[b, c, *p] = max over the window at p * stride of x[b, c]. The gradient goes whole
    to the window's maximum; on a tie, to the first maximum in row-major order within the
    window, and in a window with NaNs to the last NaN, as PyTorch routes them. An element
    that is the maximum of several overlapping windows gets the sum of their gradients.

    Both directions loop over the kernel's offsets (4 for 2 x 2), each step one
    elementwise op over every window at once: faster than an argmax over a copy of the
    windows, whose rows of 4 are too short for NumPy's reductions.
    """

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes]) -> Tensor:
        windows, kernel, stride = _windows(op, spatial, x, kernel_size, stride)
        offsets = [windows[(Ellipsis,) + offset] for offset in np.ndindex(*kernel)]
        out = offsets[0].copy()
        for values in offsets[1:]:
            np.maximum(out, values, out=out)  # NaN wins, as in PyTorch
        # Which offset holds the maximum: the first one, going backwards so earlier win.
        index_type = np.min_scalar_type(len(offsets) - 1)
        argmax = np.full(out.shape, len(offsets) - 1, dtype=index_type)
        for index in range(len(offsets) - 2, -1, -1):
            argmax = np.where(offsets[index] == out, index_type.type(index), argmax)
        nan = np.isnan(out)
        if nan.any():  # no value equals NaN: point those windows at their last NaN
            for index, values in enumerate(offsets):
                argmax = np.where(nan & np.isnan(values), index_type.type(index), argmax)
        ctx.argmax, ctx.kernel, ctx.stride, ctx.shape = argmax, kernel, stride, x.shape
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad_windows = grad_output.data
        grad = np.zeros(ctx.shape, dtype=grad_windows.dtype)
        # One add per kernel offset through a writeable view of the windows: within one
        # offset the windows' elements are distinct, and the adds sum overlapping windows.
        view = unfold(grad, ctx.kernel, ctx.stride, writeable=True)
        for index, offset in enumerate(np.ndindex(*ctx.kernel)):
            view[(Ellipsis,) + offset] += (ctx.argmax == index) * grad_windows
        return Tensor(grad), None, None


class MaxPool1d(_MaxPool):
    """y[b, c, p] = max_{k < kernel_size} x[b, c, p * stride + k]; x (B, C, W), y (B, C,
    (W - kernel_size) // stride + 1); stride defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None) -> Tensor:
        return _MaxPool.pool(ctx, "MaxPool1d", 1, x, kernel_size, stride)


class MaxPool2d(_MaxPool):
    """y[b, c, i, j] = max_{u, v} x[b, c, i * s_h + u, j * s_w + v] over a (K_h, K_w) window;
    kernel_size and stride are an int or an (h, w) pair; stride defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None) -> Tensor:
        return _MaxPool.pool(ctx, "MaxPool2d", 2, x, kernel_size, stride)


class _AvgPool(Function):
    """y[b, c, *p] = mean over the window at p * stride of x[b, c]; each element of a
    window gets dy / (window size), summed over the windows it belongs to."""

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes]) -> Tensor:
        windows, kernel, stride = _windows(op, spatial, x, kernel_size, stride)
        ctx.kernel, ctx.stride, ctx.shape, ctx.dtype = kernel, stride, x.shape, windows.dtype
        return Tensor(windows.mean(axis=tuple(range(-spatial, 0))))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        share = grad_output.data / math.prod(ctx.kernel)  # a Python int keeps float32
        windows = np.broadcast_to(share.reshape(share.shape + (1,) * len(ctx.kernel)),
                                  share.shape + ctx.kernel)
        grad = fold(windows, ctx.shape, ctx.stride)
        return Tensor(grad.astype(ctx.dtype, copy=False)), None, None


class AvgPool1d(_AvgPool):
    """y[b, c, p] = mean_{k < kernel_size} x[b, c, p * stride + k]; x (B, C, W); stride
    defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None) -> Tensor:
        return _AvgPool.pool(ctx, "AvgPool1d", 1, x, kernel_size, stride)


class AvgPool2d(_AvgPool):
    """y[b, c, i, j] = mean_{u, v} x[b, c, i * s_h + u, j * s_w + v] over a (K_h, K_w) window;
    kernel_size and stride are an int or an (h, w) pair; stride defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None) -> Tensor:
        return _AvgPool.pool(ctx, "AvgPool2d", 2, x, kernel_size, stride)
