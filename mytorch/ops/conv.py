"""Convolutions over one or two spatial axes, as one (batched) matrix product each way.

The input's windows are read through one strided view (`common.unfold`) and copied once
into a matrix of columns (im2col), which the weight, laid out as a (groups, out_channels /
groups, in_channels / groups * kernel) stack of matrices, multiplies in one `np.matmul`
call. Backward multiplies the same way and folds the columns back onto the input
(`common.fold`, one slice add per kernel offset). No Python loop runs over the batch, the
channels or the positions.

The columns come in one of two layouts; the layer's input and output stay (B, C, *spatial)
either way, as PyTorch's:

- per sample: (B, C * kernel, positions), one product per sample. The output comes out in
  PyTorch's layout, and the weight's gradient is a sum of per-sample products, which
  OpenBLAS runs faster than one long product.
- batch-last: the input copied to (C, *spatial, B), columns (C * kernel, positions * B).
  The fold's slice adds then run over rows of out_width * B contiguous elements instead
  of out_width: for the MNIST example's second convolution (out_width 8) the input's
  gradient takes about half the time, at the price of transposing the input and output.

`_batch_last` picks the faster for each call from a cost model measured at batch 1-256
(bench/cnn.py's notes): only a convolution whose input gradient is needed folds, and a
fold pays about 7 transposed elements' worth per row it adds.
"""
import math
from typing import Optional, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import crop, float_data, fold, pad, unfold
from mytorch.tensor import Tensor

Padding = Union[str, checks.Sizes]  # an int, one int per spatial axis, 'same' or 'valid'

# One slice-add row of the per-sample fold costs about as much as transposing this many
# elements between (B, C, ...) and (C, ..., B) (measured with OpenBLAS on one thread).
ROW_COST = 7


def get_conv1d_output_size(input_size: int, kernel_size: int, stride: int, padding: int = 0,
                           dilation: int = 1) -> int:
    """(input_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1, as a
    Python int: the width of a Conv1d's output. Adds nothing to the graph."""
    name = "get_conv1d_output_size"
    input_size = checks.positive_int(f"{name}: input_size", input_size)
    kernel_size = checks.positive_int(f"{name}: kernel_size", kernel_size)
    stride = checks.positive_int(f"{name}: stride", stride)
    padding = checks.non_negative_int(f"{name}: padding", padding)
    dilation = checks.positive_int(f"{name}: dilation", dilation)
    (size,) = checks.windows(name, (1, 1, input_size), (kernel_size,), (stride,), (padding,),
                             (dilation,))
    return size


def _batch_last(kernel: Tuple[int, ...], channels: int, out_channels: int,
                padded: Tuple[int, ...], out_sizes: Tuple[int, ...]) -> bool:
    """Whether batch-last columns make this convolution faster, given that its input
    gradient is needed: the per-sample fold adds prod(kernel) * channels rows of
    out_width elements per output row, and batch-last instead transposes the input and the
    output, forward and backward."""
    rows = math.prod(kernel) * channels * math.prod(out_sizes[:-1])
    moved = channels * math.prod(padded) + out_channels * math.prod(out_sizes)
    return ROW_COST * rows > 2 * moved


def _batch_to_end(array: np.ndarray) -> np.ndarray:
    """(B, C, *spatial) viewed as (C, *spatial, B) (np.moveaxis, without its overhead)."""
    return array.transpose(tuple(range(1, array.ndim)) + (0,))


def _batch_to_front(array: np.ndarray) -> np.ndarray:
    """(C, *spatial, B) viewed as (B, C, *spatial)."""
    return array.transpose((array.ndim - 1,) + tuple(range(array.ndim - 1)))


def _swap_blocks(lead: int, spatial: int, trail: int = 0) -> Tuple[int, ...]:
    """The axes that turn (*lead, *out, *kernel, *trail) into (*lead, *kernel, *out, *trail)
    and back."""
    return (tuple(range(lead)) + tuple(range(lead + spatial, lead + 2 * spatial))
            + tuple(range(lead, lead + spatial)) + tuple(range(lead + 2 * spatial, lead + 2 * spatial + trail)))


class _Convolution(Function):
    """The math both convolutions share, for any number of spatial axes, with the input
    padded and the channels split into `groups` groups (g(c) is channel c's group):

        y[b, o, *p] = bias[o] + sum_{c in g(o), *k} weight[o, c, *k] * x_pad[b, c, *(p * stride + k * dilation)]

    With X the columns of the input's windows (one row per input channel of a group and
    kernel offset) and W_g group g's weight as an (out / groups, in / groups * kernel)
    matrix: y_g = W_g @ X_g + bias, dX_g = W_g.T @ dy_g (folded back onto x), dW_g = dy_g @
    X_g.T, dbias = dy summed over the batch and positions.
    """

    @staticmethod
    def convolve(ctx: ContextManager, op: str, spatial: int, x: Tensor, weight: Tensor,
                 bias: Optional[Tensor], stride: checks.Sizes, padding: Padding,
                 dilation: checks.Sizes, groups: int) -> Tensor:
        groups = checks.positive_int(f"{op}: groups", groups)
        checks.conv_weight(op, spatial, x.shape, weight.shape,
                           None if bias is None else bias.shape, groups)
        stride = checks.sizes(f"{op}: stride", stride, spatial)
        dilation = checks.sizes(f"{op}: dilation", dilation, spatial)
        kernel = weight.shape[2:]
        pads = checks.conv_padding(op, padding, kernel, stride, dilation)
        out_sizes = checks.windows(op, x.shape, kernel, stride, pads, dilation)
        data, w = float_data(x), float_data(weight)
        batch, channels = x.shape[:2]
        out_channels = weight.shape[0]
        padded = tuple(size + before + after for size, (before, after) in zip(x.shape[2:], pads))
        positions = math.prod(out_sizes)
        batch_last = ctx.needs_input_grad[0] and _batch_last(kernel, channels, out_channels,
                                                            padded, out_sizes)
        # The one copy of the windows, positions last so each row of it reads contiguous input.
        if batch_last:
            # (C, *padded, B), copied first: the columns read from a transposed view run 2-4x slower.
            buffer = np.ascontiguousarray(pad(_batch_to_end(data), pads, axis=1))
            windows = unfold(buffer, kernel, stride, dilation, axis=1)  # (C, *out, *kernel, B)
            columns = windows.transpose(_swap_blocks(1, spatial, 1)).reshape(groups, w[0].size,
                                                                              positions * batch)
        else:
            windows = unfold(pad(data, pads), kernel, stride, dilation)  # (B, C, *out, *kernel)
            columns = windows.transpose(_swap_blocks(2, spatial)).reshape(batch, groups, w[0].size,
                                                                          positions)
        out = np.matmul(w.reshape(groups, out_channels // groups, -1), columns)
        shape = (batch, out_channels) + out_sizes
        bias_data = None if bias is None else float_data(bias).reshape((-1,) + (1,) * spatial)
        if batch_last:
            # (out, *out_sizes, B) to PyTorch's layout, adding the bias in the same pass.
            moved = _batch_to_front(out.reshape((out_channels,) + out_sizes + (batch,)))
            result = np.empty(shape, dtype=out.dtype)
            if bias_data is None:
                np.copyto(result, moved)
            else:
                np.add(moved, bias_data, out=result)
        else:
            result = out.reshape(shape)
            if bias_data is not None:
                result += bias_data
        ctx.save_for_backward(weight)
        ctx.columns = columns if ctx.needs_input_grad[1] else None
        ctx.batch_last, ctx.groups, ctx.x_shape, ctx.x_dtype = batch_last, groups, x.shape, x.dtype
        ctx.pads, ctx.stride, ctx.dilation, ctx.padded = pads, stride, dilation, padded
        ctx.bias_dtype = None if bias is None else bias.dtype
        return Tensor(result)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        (weight,) = ctx.saved_tensors
        groups, batch_last, spatial = ctx.groups, ctx.batch_last, len(ctx.stride)
        batch, channels = ctx.x_shape[:2]
        out_channels, kernel = weight.shape[0], weight.shape[2:]
        out_sizes = grad_output.shape[2:]
        positions = math.prod(out_sizes)
        if batch_last:  # (groups, out / groups, positions * B)
            grad = np.ascontiguousarray(_batch_to_end(grad_output.data)).reshape(
                groups, out_channels // groups, positions * batch)
        else:  # (B, groups, out / groups, positions)
            grad = grad_output.data.reshape(batch, groups, out_channels // groups, positions)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            w = float_data(weight).reshape(groups, out_channels // groups, -1)
            columns = np.matmul(w.transpose(0, 2, 1), grad)
            if batch_last:
                columns = columns.reshape((channels,) + kernel + out_sizes + (batch,))
                padded = fold(columns.transpose(_swap_blocks(1, spatial, 1)),
                              (channels,) + ctx.padded + (batch,), ctx.stride, ctx.dilation, axis=1)
                cropped = _batch_to_front(padded[crop(ctx.pads, ctx.x_shape[2:], axis=1)])
            else:
                columns = columns.reshape((batch, channels) + kernel + out_sizes)
                padded = fold(columns.transpose(_swap_blocks(2, spatial)),
                              (batch, channels) + ctx.padded, ctx.stride, ctx.dilation)
                cropped = padded[crop(ctx.pads, ctx.x_shape[2:])]
            grad_x = Tensor(np.ascontiguousarray(cropped, dtype=ctx.x_dtype))
        if ctx.needs_input_grad[1]:
            # dW.T = X @ dy.T: OpenBLAS runs this orientation up to 1.7x faster than dy @ X.T
            # when the positions (the inner dimension) are many. Per sample: one product
            # each, then their sum, faster than one product over all the batch's positions.
            product = np.matmul(ctx.columns, grad.swapaxes(-1, -2))
            if not batch_last:
                product = product.sum(axis=0)
            grad_weight = Tensor(np.ascontiguousarray(product.swapaxes(-1, -2), dtype=weight.dtype)
                                 .reshape(weight.shape))
        if ctx.needs_input_grad[2] and ctx.bias_dtype is not None:
            summed = grad.sum(axis=-1) if batch_last else grad.sum(axis=(0, 3))
            grad_bias = Tensor(summed.reshape(out_channels).astype(ctx.bias_dtype, copy=False))
        return grad_x, grad_weight, grad_bias, None, None, None, None


class Conv1d(_Convolution):
    """y[b, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x[b, c, p * stride + k * dilation - padding],
    c running over o's group of input channels.

    Shapes: x (B, C_in, W); weight (C_out, C_in / groups, K); bias (C_out,) or None; y (B,
    C_out, W_out) with W_out = (W + 2 * padding - dilation * (K - 1) - 1) // stride + 1.
    padding is an int, 'valid' (0) or 'same' (W_out = W, stride 1 only). Backward returns
    gradients for x, weight and bias, and None for the other arguments.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                stride: checks.Sizes = 1, padding: Padding = 0, dilation: checks.Sizes = 1,
                groups: int = 1) -> Tensor:
        return _Convolution.convolve(ctx, "Conv1d", 1, x, weight, bias, stride, padding,
                                     dilation, groups)


class Conv2d(_Convolution):
    """y[b, o, i, j] = bias[o] + sum_{c, u, v} weight[o, c, u, v] * x_pad[b, c, i * s_h + u * d_h, j * s_w + v * d_w],
    c running over o's group of input channels.

    Shapes: x (B, C_in, H, W); weight (C_out, C_in / groups, K_h, K_w); bias (C_out,) or
    None; y (B, C_out, H_out, W_out) with H_out = (H + 2 * p_h - d_h * (K_h - 1) - 1) // s_h
    + 1, likewise W_out. stride, padding and dilation are an int or an (h, w) pair; padding
    may also be 'valid' or 'same' (stride 1 only; an odd total padding puts the extra row or
    column after, as PyTorch). Backward returns gradients for x, weight and bias, and None
    for the other arguments.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                stride: checks.Sizes = 1, padding: Padding = 0, dilation: checks.Sizes = 1,
                groups: int = 1) -> Tensor:
        return _Convolution.convolve(ctx, "Conv2d", 2, x, weight, bias, stride, padding,
                                     dilation, groups)
