"""SyncBatchNorm: batch normalisation with the statistics of the global batch, as
`torch.nn.SyncBatchNorm`.

Under DistributedDataParallel each rank sees only its share of a batch, so a BatchNorm1d
normalises with that share's mean and variance, and trains differently from the same
model on the whole batch. SyncBatchNorm sums the statistics over every rank (two small
all-reduces forward, one backward, through the `group_sum` of the BatchNorm op), so K
ranks with B samples each compute exactly what one process computes on the K * B samples.
"""
import sys
from typing import Callable, Optional

import numpy as np

from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.module import Module, factory_keywords
from mytorch.ops.normalization import BatchNorm
from mytorch.tensor import Tensor

GroupSum = Callable[[np.ndarray], np.ndarray]  # an array -> its sum over every rank


@factory_keywords
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
        return BatchNorm.apply(x, *self._arguments(x), self.eps, group_sum)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """`module` with every BatchNorm1d in it replaced by a SyncBatchNorm that holds the
        same parameter and buffer tensors (an optimizer made before still trains them),
        as `torch.nn.SyncBatchNorm.convert_sync_batchnorm`. Returns the module, or its
        replacement if it is itself a BatchNorm1d."""
        if isinstance(module, BatchNorm1d) and not isinstance(module, cls):
            converted = cls(module.num_features, module.eps, module.momentum)
            for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
                setattr(converted, name, getattr(module, name))
            converted.train(module.is_train)
            return converted
        for name, child in list(module._modules.items()):
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
