"""Max and average pooling over one or two spatial axes, read through a strided view of
the input's windows (`common.unfold`); no Python loop over the batch, channels or windows."""
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
    window, and in a window with NaNs to the last NaN, as PyTorch routes them. An element that is the maximum of several overlapping
    windows gets the sum of their gradients."""

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes]) -> Tensor:
        windows, kernel, stride = _windows(op, spatial, x, kernel_size, stride)
        rows = windows.reshape(windows.shape[:2 + spatial] + (-1,))
        argmax = rows.argmax(axis=-1)  # the first maximum, PyTorch's choice on ties
        out = np.take_along_axis(rows, argmax[..., None], axis=-1)[..., 0]
        if np.isnan(out).any():  # argmax took the first NaN of a window; PyTorch takes the last
            nan = np.isnan(rows)
            last = rows.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            argmax = np.where(nan.any(axis=-1), last, argmax)
        ctx.argmax, ctx.kernel, ctx.stride, ctx.shape = argmax, kernel, stride, x.shape
        ctx.dtype = windows.dtype
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        spatial = len(ctx.kernel)
        argmax = ctx.argmax
        offsets = np.unravel_index(argmax, ctx.kernel)
        # Where each window's maximum sits in x: batch, channel, then o * stride + offset.
        index = [np.arange(size).reshape((-1,) + (1,) * (argmax.ndim - axis - 1))
                 for axis, size in enumerate(argmax.shape[:2])]
        for axis in range(spatial):
            positions = np.arange(argmax.shape[2 + axis]) * ctx.stride[axis]
            index.append(positions.reshape((-1,) + (1,) * (spatial - axis - 1)) + offsets[axis])
        flat = np.ravel_multi_index(np.broadcast_arrays(*index), ctx.shape)
        # bincount sums where overlapping windows share a maximum.
        grad = np.bincount(flat.ravel(), weights=grad_output.data.ravel(),
                           minlength=int(np.prod(ctx.shape)))
        return Tensor(grad.reshape(ctx.shape).astype(ctx.dtype, copy=False)), None, None


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
        share = grad_output.data / np.prod(ctx.kernel)
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
