"""Batch normalisation, fused with a hand-derived backward pass."""
from typing import Optional, Tuple

import numpy as np

from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data
from mytorch.tensor import Tensor


class BatchNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel (axis 1).

    Training mode normalises with the batch mean and biased variance and updates the
    running statistics in place (outside the graph, in their own dtype) with the
    unbiased variance: running = (1 - momentum) * running + momentum * batch_statistic.
    Eval mode uses the running statistics. With x_hat the normalised input and n values
    per channel:
        dgamma = sum(dy * x_hat), dbeta = sum(dy),
        dx = gamma / sqrt(var + eps) * (dy - dbeta / n - x_hat * dgamma / n)   (training)
        dx = gamma / sqrt(var + eps) * dy                                     (eval)
    Integer input is promoted to the default float dtype.
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
        data = float_data(x)
        if training:
            count = x.numel() // channels
            if count < 2:
                raise ValueError(f"BatchNorm: expected more than 1 value per channel when "
                                 f"training, got input of shape {x.shape}")
            # sum / count: ndarray.mean's Python wrapper costs more than these small reductions.
            mean = data.sum(axis=axes) / count
            centered = data - mean.reshape(shape)
            var = (centered * centered).sum(axis=axes) / count
            running_mean.data *= 1 - momentum
            running_mean.data += momentum * mean
            running_var.data *= 1 - momentum
            running_var.data += momentum * var * (count / (count - 1))
        else:
            count = None
            mean = running_mean.data.astype(data.dtype, copy=False)
            var = running_var.data.astype(data.dtype, copy=False)
            centered = data - mean.reshape(shape)
        inv_std = (1.0 / np.sqrt(var + eps)).reshape(shape)
        x_hat = centered * inv_std
        ctx.x_hat, ctx.inv_std, ctx.count, ctx.axes = x_hat, inv_std, count, axes
        ctx.save_for_backward(weight)
        ctx.bias_dtype = bias.dtype
        out = x_hat * weight.data.reshape(shape) + bias.data.reshape(shape)
        return Tensor(out.astype(data.dtype, copy=False))

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
        grad_bias = Tensor(grad_beta.astype(ctx.bias_dtype, copy=False)) if ctx.needs_input_grad[4] else None
        return grad_x, None, None, grad_weight, grad_bias, None, None, None
