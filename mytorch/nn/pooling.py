"""Pooling layers: the maximum or the mean of each window."""
from typing import Optional

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]


class _Pool(Module):
    """kernel_size and stride (default: kernel_size), checked and kept as given, as PyTorch keeps them."""

    spatial = 0

    def __init__(self, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None) -> None:
        super().__init__()
        name = type(self).__name__
        checks.sizes(f"{name}: kernel_size", kernel_size, self.spatial)
        if stride is not None:
            checks.sizes(f"{name}: stride", stride, self.spatial)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool1d(_Pool):
    """The maximum of each window of x (B, C, W); ties send the gradient to the first maximum."""

    spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool1d(x, self.kernel_size, self.stride)


class MaxPool2d(_Pool):
    """The maximum of each (kernel_size) window of x (B, C, H, W); kernel_size and stride are
    an int or an (h, w) pair. Ties send the gradient to the first maximum, as PyTorch does."""

    spatial = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)


class AvgPool1d(_Pool):
    """The mean of each window of x (B, C, W)."""

    spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(x, self.kernel_size, self.stride)


class AvgPool2d(_Pool):
    """The mean of each (kernel_size) window of x (B, C, H, W); kernel_size and stride are an
    int or an (h, w) pair."""

    spatial = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride)
