"""Per-sample normalisation layers: LayerNorm and GroupNorm (BatchNorm is in batchnorm.py)."""
from typing import Sequence, Union

import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module, factory_keywords
from mytorch.nn.parameter import Parameter
from mytorch.tensor import Tensor, get_default_dtype


def _affine(module: Module, shape: tuple, weight: bool, bias: bool) -> None:
    """Register `weight` (ones) and `bias` (zeros) of `shape`, or None where not wanted."""
    dtype = get_default_dtype()
    for name, wanted, fill in (("weight", weight, np.ones), ("bias", bias, np.zeros)):
        module.register_parameter(name, Parameter(fill(shape, dtype)) if wanted else None)


@factory_keywords
class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last axes, as
    `torch.nn.LayerNorm`: each sample (each position of a sequence) is normalised on its
    own, with the biased variance, the same in training and eval mode.

    Args:
        normalized_shape: the trailing sizes to normalise over (an int: the last axis).
        eps: added to the variance, > 0.
        elementwise_affine: learn `weight` (ones) and `bias` (zeros) of normalized_shape.
        bias: learn the bias too (with elementwise_affine).
    """

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        self.normalized_shape = checks.normalized_shape("LayerNorm", normalized_shape)
        self.eps = checks.positive("LayerNorm: eps", eps)
        self.elementwise_affine = checks.boolean("LayerNorm: elementwise_affine", elementwise_affine)
        self.has_bias = self.elementwise_affine and checks.boolean("LayerNorm: bias", bias)
        _affine(self, self.normalized_shape, self.elementwise_affine, self.has_bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.has_bias}")


@factory_keywords
class GroupNorm(Module):
    """Group normalisation of x (N, C, *), as `torch.nn.GroupNorm`: the C channels form
    `num_groups` groups of consecutive channels, and each sample's group is normalised
    over its channels and positions; then a per-channel `weight` and `bias`.

    Args:
        num_groups: the number of groups; it must divide num_channels.
        num_channels: C.
        eps: added to the variance, > 0.
        affine: learn the per-channel `weight` (ones) and `bias` (zeros).
        bias: learn the bias too (with affine).
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_groups = checks.positive_int("GroupNorm: num_groups", num_groups)
        self.num_channels = checks.positive_int("GroupNorm: num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.eps = checks.positive("GroupNorm: eps", eps)
        self.affine = checks.boolean("GroupNorm: affine", affine)
        self.has_bias = self.affine and checks.boolean("GroupNorm: bias", bias)
        _affine(self, (self.num_channels,), self.affine, self.has_bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input (N, {self.num_channels}, *), got {x.shape}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.has_bias}"
