"""Batch normalisation: BatchNorm1d and BatchNorm2d normalise each channel with batch
statistics while training and running statistics in eval mode."""
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module, factory_keywords
from mytorch.nn.parameter import Parameter
from mytorch.tensor import Tensor, get_default_dtype


class _BatchNorm(Module):
    """y = weight * (x - mean) / sqrt(var + eps) + bias per channel (axis 1), as PyTorch's
    batch normalisation layers.

    Training mode uses the batch's mean and biased variance and updates the running
    statistics with the unbiased variance: `running = (1 - momentum) * running +
    momentum * batch_statistic` (momentum=None: the cumulative average, momentum =
    1 / num_batches_tracked). Eval mode normalises with the running statistics.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability, > 0.
        momentum: weight of the newest batch in the running statistics, in [0, 1], or None.
        affine: learn a per-channel `weight` (ones) and `bias` (zeros).
        bias: learn the bias too (with affine).
        track_running_stats: keep `running_mean`, `running_var` and `num_batches_tracked`
            (buffers, saved by `state_dict()`); without them eval mode uses batch statistics too.

    Attributes:
        weight, bias: the parameters (C,), or None without affine; `gamma` and `beta`
            are the handout's names for the same two tensors.
    """

    _input_dims: Tuple[int, ...] = ()  # the numbers of input dimensions this layer accepts
    _layout = ""  # the input's axes, for messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = checks.positive_int(f"{name}: num_features", num_features)
        self.eps = checks.positive(f"{name}: eps", eps)
        self.momentum = None if momentum is None else checks.in_range(f"{name}: momentum", momentum, 0, 1)
        self.affine = checks.boolean(f"{name}: affine", affine)
        self.has_bias = self.affine and checks.boolean(f"{name}: bias", bias)
        self.track_running_stats = checks.boolean(f"{name}: track_running_stats", track_running_stats)
        dtype = get_default_dtype()
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype)) if self.affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dtype)) if self.has_bias else None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    # The handout's names (Fall 2020: `BatchNorm1d.gamma`, `.beta`) for PyTorch's weight and bias.
    @property
    def gamma(self) -> Optional[Tensor]:
        return self.weight

    @gamma.setter
    def gamma(self, value: Optional[Tensor]) -> None:
        self.weight = value

    @property
    def beta(self) -> Optional[Tensor]:
        return self.bias

    @beta.setter
    def beta(self, value: Optional[Tensor]) -> None:
        self.bias = value

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1), (self.num_batches_tracked, 0)):
                buffer.data[...] = value
                buffer._counter().value += 1

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, *self._arguments(x), self.eps)

    def _arguments(self, x: Tensor) -> Tuple[Optional[Tensor], Optional[Tensor], Optional[Tensor],
                                             Optional[Tensor], bool, float]:
        """Check `x`, count the batch, and return batch_norm's (running_mean, running_var,
        weight, bias, training, momentum) for it."""
        shape = getattr(x, "shape", None)  # anything but a Tensor or an array: the op's TypeError
        if shape is not None and (len(shape) not in self._input_dims or shape[1] != self.num_features):
            layout = self._layout.format(C=self.num_features)
            raise ValueError(f"{type(self).__name__}: expected input {layout}, got {shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.data)
        # Batch statistics while training, or always when no running statistics are kept.
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return (self.running_mean if keep else None, self.running_var if keep else None,
                self.weight, self.bias, use_batch, momentum)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.has_bias}, track_running_stats={self.track_running_stats}")


@factory_keywords
class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, over N (and L), as
    `torch.nn.BatchNorm1d`; arguments as `_BatchNorm`'s. The Fall 2020 handout's layer:
    its `gamma` and `beta` are `weight` and `bias`."""

    _input_dims = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


@factory_keywords
class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over N, H and W, as `torch.nn.BatchNorm2d`;
    arguments as `_BatchNorm`'s."""

    _input_dims = (4,)
    _layout = "(N, {C}, H, W)"
