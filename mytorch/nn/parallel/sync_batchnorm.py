"""SyncBatchNorm: batch normalisation with the statistics of the global batch, as
`torch.nn.SyncBatchNorm`.

Under DistributedDataParallel each rank sees only its share of a batch, so a BatchNorm1d
normalises with that share's mean and variance, and trains differently from the same
model on the whole batch. SyncBatchNorm sums the statistics over every rank (two small
all-reduces forward, one backward), so K ranks with B samples each compute exactly what
one process computes on the K * B samples.
"""
import sys
from typing import Callable, Optional, Tuple

import numpy as np

from mytorch.autograd_engine import ContextManager, Function
from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.module import Module
from mytorch.ops.common import float_data
from mytorch.tensor import Tensor

GroupSum = Callable[[np.ndarray], np.ndarray]  # an array -> its sum over every rank


class SyncBatchNormFunction(Function):
    """BatchNorm's training mode over the global batch: with sums S over every rank's
    values of a channel and n their count,
        mean = S(x) / n, var = S((x - mean)^2) / n, x_hat = (x - mean) / sqrt(var + eps),
        y = gamma * x_hat + beta,
        dx = gamma / sqrt(var + eps) * (dy - S(dy) / n - x_hat * S(dy * x_hat) / n),
    while dgamma = sum(dy * x_hat) and dbeta = sum(dy) stay this rank's own, as PyTorch's:
    DistributedDataParallel averages them with the other gradients. The running
    statistics are updated as BatchNorm's, with the global mean and unbiased variance.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, running_mean: Tensor, running_var: Tensor,
                weight: Tensor, bias: Tensor, momentum: float, eps: float,
                group_sum: GroupSum) -> Tensor:
        channels = weight.shape[0]
        if x.ndim not in (2, 3) or x.shape[1] != channels:
            raise ValueError(f"SyncBatchNorm: expected input of shape (N, {channels}) or "
                             f"(N, {channels}, L), got {x.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (channels,) if x.ndim == 2 else (channels, 1)
        data = float_data(x)
        totals = group_sum(np.append(data.sum(axis=axes), x.numel() // channels))
        count = int(totals[-1])
        if count < 2:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {count}")
        mean = totals[:-1] / count
        centered = data - mean.reshape(shape).astype(data.dtype, copy=False)
        var = group_sum((centered * centered).sum(axis=axes)) / count
        running_mean.data *= 1 - momentum
        running_mean.data += momentum * mean
        running_var.data *= 1 - momentum
        running_var.data += momentum * var * (count / (count - 1))
        inv_std = (1.0 / np.sqrt(var + eps)).reshape(shape).astype(data.dtype, copy=False)
        x_hat = centered * inv_std
        ctx.x_hat, ctx.inv_std, ctx.count, ctx.axes = x_hat, inv_std, count, axes
        ctx.group_sum, ctx.bias_dtype = group_sum, bias.dtype
        ctx.save_for_backward(weight)
        return Tensor(x_hat * weight.data.reshape(shape) + bias.data.reshape(shape))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        (weight,) = ctx.saved_tensors
        grad, x_hat, shape = grad_output.data, ctx.x_hat, ctx.inv_std.shape
        grad_gamma = (grad * x_hat).sum(axis=ctx.axes)
        grad_beta = grad.sum(axis=ctx.axes)
        # Every rank calls this sum, whichever gradients it needs: the ranks must match.
        sums = ctx.group_sum(np.concatenate([grad_beta, grad_gamma]))
        all_beta, all_gamma = np.split(sums, 2)
        grad_x = None
        if ctx.needs_input_grad[0]:
            scale = weight.data.reshape(shape) * ctx.inv_std
            grad_x = scale * (grad - all_beta.reshape(shape) / ctx.count
                              - x_hat * (all_gamma.reshape(shape) / ctx.count))
            grad_x = Tensor(grad_x.astype(x_hat.dtype, copy=False))
        grad_weight = Tensor(grad_gamma.astype(weight.dtype, copy=False)) if ctx.needs_input_grad[3] else None
        grad_bias = Tensor(grad_beta.astype(ctx.bias_dtype, copy=False)) if ctx.needs_input_grad[4] else None
        return grad_x, None, None, grad_weight, grad_bias, None, None, None


class SyncBatchNorm(BatchNorm1d):
    """BatchNorm1d whose training statistics are those of the batch over every rank.

    Inputs (N, C) or (N, C, L), as BatchNorm1d; the parameters, buffers and arguments are
    BatchNorm1d's. In eval mode, and in training outside a process group of more than
    one rank, it is exactly BatchNorm1d (no communication). Every rank must call it in
    the same order, as any collective.
    """

    def forward(self, x: Tensor) -> Tensor:
        group_sum = _group_sum() if self.is_train else None
        if group_sum is None:
            return super().forward(x)
        return SyncBatchNormFunction.apply(x, self.running_mean, self.running_var, self.gamma,
                                           self.beta, self.momentum, self.eps, group_sum)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """`module` with every BatchNorm1d in it replaced by a SyncBatchNorm that holds the
        same parameter and buffer tensors (an optimizer made before still trains them),
        as `torch.nn.SyncBatchNorm.convert_sync_batchnorm`. Returns the module, or its
        replacement if it is itself a BatchNorm1d."""
        if isinstance(module, BatchNorm1d) and not isinstance(module, cls):
            converted = cls(module.num_features, module.eps, module.momentum)
            for name in ("gamma", "beta", "running_mean", "running_var"):
                setattr(converted, name, getattr(module, name))
            converted.train(module.is_train)
            return converted
        for name, child in list(module._submodules.items()):
            replacement = cls.convert_sync_batchnorm(child)
            if replacement is not child:
                setattr(module, name, replacement)
        return module


def _group_sum() -> Optional[GroupSum]:
    """A function summing an array over every rank of the process group; None outside a
    group of more than one (mytorch.distributed never imported means none was made)."""
    distributed = sys.modules.get("mytorch.distributed")
    if distributed is None or not distributed.is_initialized() or distributed.get_world_size() < 2:
        return None

    def group_sum(array: np.ndarray) -> np.ndarray:
        total = Tensor(np.ascontiguousarray(array))
        distributed.all_reduce(total)
        return total.data

    return group_sum
