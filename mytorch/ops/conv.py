"""Convolutions over one or two spatial axes, as one (batched) matrix product each way.

The input's windows are read through a strided view (`common.unfold`) and copied once
into one (in_channels * kernel, positions) matrix per sample (im2col), which the weight,
laid out as an (out_channels, in_channels * kernel) matrix, multiplies in one `np.matmul`
call. The output comes out (B, out_channels, positions): already PyTorch's layout, so no
transpose follows. Backward multiplies the same way and folds the columns back onto the
input (`common.fold`). No Python loop runs over the batch, the channels or the positions.
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


def _swap_blocks(spatial: int) -> Tuple[int, ...]:
    """The axes that turn (B, C, *out, *kernel) into (B, C, *kernel, *out) and back."""
    return (0, 1) + tuple(range(2 + spatial, 2 + 2 * spatial)) + tuple(range(2, 2 + spatial))


class _Convolution(Function):
    """The math both convolutions share, for any number of spatial axes:

        y[b, o, *p] = bias[o] + sum_{c, *k} weight[o, c, *k] * x_pad[b, c, *(p * stride + k)]

    With X_b the (C * kernel, positions) matrix of sample b's input windows and W the weight
    as an (out, C * kernel) matrix: y_b = W @ X_b + bias, dX_b = W.T @ dy_b (folded back
    onto x), dW = sum_b dy_b @ X_b.T, dbias = dy summed over the batch and positions.
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
        # The windows (B, C, *out, *kernel) as one matrix per sample, (C * kernel, positions):
        # the one copy. Positions last keep each row of the copy reading contiguous input.
        windows = unfold(data, kernel, stride)
        columns = windows.transpose(_swap_blocks(spatial)).reshape(batch, w[0].size, -1)
        out = np.matmul(w.reshape(out_channels, -1), columns)  # (B, out, positions), batched
        if bias is not None:
            out += float_data(bias)[:, None]
        ctx.save_for_backward(weight)
        ctx.columns = columns if ctx.needs_input_grad[1] else None
        ctx.x_shape, ctx.x_dtype, ctx.padded_shape = x.shape, x.dtype, data.shape
        ctx.out_sizes, ctx.stride, ctx.padding = out_sizes, stride, padding
        ctx.bias_dtype = None if bias is None else bias.dtype
        return Tensor(out.reshape((batch, out_channels) + out_sizes))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        (weight,) = ctx.saved_tensors
        out_channels, spatial = weight.shape[0], len(ctx.stride)
        batch, channels = ctx.x_shape[:2]
        grad = grad_output.data.reshape(batch, out_channels, -1)  # (B, out, positions)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            w = float_data(weight).reshape(out_channels, -1)
            columns = np.matmul(w.T, grad).reshape(
                (batch, channels) + weight.shape[2:] + ctx.out_sizes)
            padded = fold(columns.transpose(_swap_blocks(spatial)), ctx.padded_shape, ctx.stride)
            crop = tuple(slice(p, p + size) for p, size in zip(ctx.padding, ctx.x_shape[2:]))
            grad_x = Tensor(padded[(slice(None), slice(None)) + crop].astype(ctx.x_dtype, copy=False))
        if ctx.needs_input_grad[1]:
            # One product per sample, then their sum: faster than one big product, which
            # would first copy the columns into (C * kernel, B * positions).
            per_sample = np.matmul(grad, ctx.columns.transpose(0, 2, 1))
            grad_weight = Tensor(per_sample.sum(axis=0).reshape(weight.shape)
                                 .astype(weight.dtype, copy=False))
        if ctx.needs_input_grad[2] and ctx.bias_dtype is not None:
            grad_bias = Tensor(grad.sum(axis=(0, 2)).astype(ctx.bias_dtype, copy=False))
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
