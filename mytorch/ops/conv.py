"""Convolutions over one or two spatial axes, as one matrix product each way (im2col).

The input's windows are read through a strided view (`common.unfold`), copied once into
rows of (in_channels * kernel) values and multiplied by the weight laid out as a matrix.
Backward multiplies the same way and folds the rows back (`common.fold`). No Python loop
runs over the batch, the channels or the output positions.
"""
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data, fold, unfold
from mytorch.tensor import Tensor


def get_conv1d_output_size(input_size: int, kernel_size: int, stride: int, padding: int = 0) -> int:
    """(input_size + 2 * padding - kernel_size) // stride + 1, as a Python int: the width of a
    Conv1d's output. Adds nothing to the graph."""
    input_size = checks.positive_int("get_conv1d_output_size: input_size", input_size)
    kernel_size = checks.positive_int("get_conv1d_output_size: kernel_size", kernel_size)
    stride = checks.positive_int("get_conv1d_output_size: stride", stride)
    padding = checks.non_negative_int("get_conv1d_output_size: padding", padding)
    (size,) = checks.windows("get_conv1d_output_size", (1, 1, input_size), (kernel_size,),
                             (stride,), (padding,))
    return size


class _Convolution(Function):
    """The math both convolutions share, for any number of spatial axes:

        y[b, o, *p] = bias[o] + sum_{c, *k} weight[o, c, *k] * x_pad[b, c, *(p * stride + k)]

    With X the (B * positions, C * kernel) matrix of input windows and W the weight as a
    (out, C * kernel) matrix: y = X @ W.T + bias, dX = dy @ W (folded back onto x),
    dW = dy.T @ X, dbias = dy summed over the batch and positions.
    """

    @staticmethod
    def convolve(ctx: ContextManager, op: str, spatial: int, x: Tensor, weight: Tensor,
                 bias: Optional[Tensor], stride: checks.Sizes, padding: checks.Sizes) -> Tensor:
        checks.conv_weight(op, spatial, x.shape, weight.shape, None if bias is None else bias.shape)
        stride = checks.sizes(f"{op}: stride", stride, spatial)
        padding = checks.sizes(f"{op}: padding", padding, spatial, minimum=0)
        kernel = weight.shape[2:]
        out_sizes = checks.windows(op, x.shape, kernel, stride, padding)
        data, w = float_data(x), float_data(weight)
        if any(padding):
            data = np.pad(data, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
        batch, out_channels = x.shape[0], weight.shape[0]
        # (B, C, *out, *kernel) -> rows (B * out positions, C * kernel): the one copy.
        windows = unfold(data, kernel, stride)
        axes = (0,) + tuple(range(2, 2 + spatial)) + (1,) + tuple(range(2 + spatial, 2 + 2 * spatial))
        rows = windows.transpose(axes).reshape(-1, w[0].size)
        out = rows @ w.reshape(out_channels, -1).T
        if bias is not None:
            out += float_data(bias)
        ctx.save_for_backward(weight)
        ctx.rows = rows if ctx.needs_input_grad[1] else None
        ctx.x_shape, ctx.x_dtype, ctx.padded_shape = x.shape, x.dtype, data.shape
        ctx.out_sizes, ctx.stride, ctx.padding = out_sizes, stride, padding
        ctx.bias_dtype = None if bias is None else bias.dtype
        # (B * positions, out) -> (B, out, *positions), contiguous as PyTorch's output is.
        out = out.reshape((batch,) + out_sizes + (out_channels,))
        return Tensor(np.ascontiguousarray(np.moveaxis(out, -1, 1)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        (weight,) = ctx.saved_tensors
        grad = grad_output.data
        out_channels, spatial = weight.shape[0], len(ctx.stride)
        grad_rows = np.moveaxis(grad, 1, -1).reshape(-1, out_channels)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            w = float_data(weight).reshape(out_channels, -1)
            windows = (grad_rows @ w).reshape(
                (ctx.x_shape[0],) + ctx.out_sizes + (ctx.x_shape[1],) + weight.shape[2:])
            axes = ((0, 1 + spatial) + tuple(range(1, 1 + spatial))
                    + tuple(range(2 + spatial, 2 + 2 * spatial)))
            padded = fold(windows.transpose(axes), ctx.padded_shape, ctx.stride)
            crop = tuple(slice(p, p + size) for p, size in zip(ctx.padding, ctx.x_shape[2:]))
            grad_x = Tensor(padded[(slice(None), slice(None)) + crop].astype(ctx.x_dtype, copy=False))
        if ctx.needs_input_grad[1]:
            grad_weight = Tensor((grad_rows.T @ ctx.rows).reshape(weight.shape)
                                 .astype(weight.dtype, copy=False))
        if ctx.needs_input_grad[2] and ctx.bias_dtype is not None:
            grad_bias = Tensor(grad_rows.sum(axis=0).astype(ctx.bias_dtype, copy=False))
        return grad_x, grad_weight, grad_bias, None, None


class Conv1d(_Convolution):
    """y[b, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x[b, c, p * stride + k - padding].

    Shapes: x (B, C_in, W); weight (C_out, C_in, K); bias (C_out,) or None; y (B, C_out,
    W_out) with W_out = (W + 2 * padding - K) // stride + 1. Backward returns gradients for
    x, weight and bias, and None for stride and padding.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                stride: checks.Sizes = 1, padding: checks.Sizes = 0) -> Tensor:
        return _Convolution.convolve(ctx, "Conv1d", 1, x, weight, bias, stride, padding)


class Conv2d(_Convolution):
    """y[b, o, i, j] = bias[o] + sum_{c, u, v} weight[o, c, u, v] * x_pad[b, c, i * s_h + u, j * s_w + v].

    Shapes: x (B, C_in, H, W); weight (C_out, C_in, K_h, K_w); bias (C_out,) or None; y (B,
    C_out, H_out, W_out) with H_out = (H + 2 * p_h - K_h) // s_h + 1, likewise W_out.
    stride and padding are an int or an (h, w) pair. Backward returns gradients for x,
    weight and bias, and None for stride and padding.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                stride: checks.Sizes = 1, padding: checks.Sizes = 0) -> Tensor:
        return _Convolution.convolve(ctx, "Conv2d", 2, x, weight, bias, stride, padding)
