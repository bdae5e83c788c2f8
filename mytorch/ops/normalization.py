"""Batch normalisation, fused with a hand-derived backward pass."""
from typing import Callable, Optional, Tuple

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

    `group_sum`, given (by SyncBatchNorm), sums an array over every rank of a process
    group: the batch statistics are then those of every rank's batch together, and so
    are the sums in dx, with n the count over every rank; dgamma and dbeta stay this
    rank's own, as PyTorch's SyncBatchNorm, for DistributedDataParallel to average.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, running_mean: Tensor, running_var: Tensor,
                weight: Tensor, bias: Tensor, training: bool, momentum: float, eps: float,
                group_sum: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> Tensor:
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
            sums = data.sum(axis=axes)
            if group_sum is not None:
                totals = group_sum(np.append(sums, count))
                sums, count = totals[:-1], int(totals[-1])
            if count < 2:
                raise ValueError(f"BatchNorm: expected more than 1 value per channel when "
                                 f"training, got input of shape {x.shape}"
                                 + (f" ({count} over all ranks)" if group_sum is not None else ""))
            # sum / count: ndarray.mean's Python wrapper costs more than these small reductions.
            mean = sums / count
            centered = data - mean.reshape(shape)
            squares = (centered * centered).sum(axis=axes)
            var = (squares if group_sum is None else group_sum(squares)) / count
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
        ctx.group_sum = group_sum
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
                sum_beta, sum_gamma = grad_beta, grad_gamma
                if ctx.group_sum is not None:
                    sum_beta, sum_gamma = np.split(ctx.group_sum(np.concatenate([grad_beta, grad_gamma])), 2)
                grad_x = scale * (grad - sum_beta.reshape(shape) / ctx.count
                                  - x_hat * (sum_gamma.reshape(shape) / ctx.count))
            grad_x = Tensor(grad_x.astype(x_hat.dtype, copy=False))
        grad_weight = Tensor(grad_gamma.astype(weight.dtype, copy=False)) if ctx.needs_input_grad[3] else None
        grad_bias = Tensor(grad_beta.astype(ctx.bias_dtype, copy=False)) if ctx.needs_input_grad[4] else None
        return grad_x, None, None, grad_weight, grad_bias, None, None, None, None
