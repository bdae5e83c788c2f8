"""Pooling layers: the maximum or the mean of each window, over fixed or adaptive windows.

Each keeps its arguments as given, as PyTorch's layers do (AvgPool1d makes them 1-tuples,
as PyTorch's), checks them when built, and takes a batch (B, C, *spatial) or one sample
(C, *spatial)."""
from typing import Any, Optional, Tuple

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _check_windows(name: str, spatial: int, kernel_size: checks.Sizes,
                   stride: Optional[checks.Sizes], padding: checks.Sizes,
                   dilation: checks.Sizes = 1) -> Tuple[Tuple[int, ...], ...]:
    """A pooling layer's window arguments, checked by the rules its op applies; returns
    the kernel size, stride (default: the kernel size) and padding as tuples."""
    kernel = checks.sizes(f"{name}: kernel_size", kernel_size, spatial)
    strides = kernel if stride is None else checks.sizes(f"{name}: stride", stride, spatial)
    paddings = checks.sizes(f"{name}: padding", padding, spatial, minimum=0)
    checks.pool_padding(name, paddings, kernel, checks.sizes(f"{name}: dilation", dilation, spatial))
    return kernel, strides, paddings


class _MaxPoolNd(Module):
    """MaxPool1d's and MaxPool2d's arguments, in PyTorch's order."""

    spatial = 0

    def __init__(self, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
                 padding: checks.Sizes = 0, dilation: checks.Sizes = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        _check_windows(name, self.spatial, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices = checks.boolean(f"{name}: return_indices", return_indices)
        self.ceil_mode = checks.boolean(f"{name}: ceil_mode", ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of x (B, C, W), as `torch.nn.MaxPool1d`: windows of
    kernel_size elements every `dilation`, every `stride` (default kernel_size), over x
    padded with -inf; ceil_mode rounds the output's size up. Ties send the gradient to the
    first maximum, as PyTorch does. With return_indices, forward returns (output, the
    maxima's indices along W)."""

    spatial = 1

    def forward(self, x: Tensor) -> Any:
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """The maximum of each window of x (B, C, H, W), as `torch.nn.MaxPool2d`; kernel_size,
    stride, padding and dilation are an int or an (h, w) pair. Ties send the gradient to
    the first maximum, as PyTorch does. With return_indices, forward returns (output, each
    maximum's flat index h * W + w in its plane)."""

    spatial = 2

    def forward(self, x: Tensor) -> Any:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool1d(Module):
    """The mean of each window of x (B, C, W), as `torch.nn.AvgPool1d`: stride defaults to
    kernel_size; padding adds zeros at both ends, which count in the mean unless
    count_include_pad is False; ceil_mode rounds the output's size up."""

    def __init__(self, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
                 padding: checks.Sizes = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _check_windows("AvgPool1d", 1, kernel_size,
                                                                     stride, padding)
        self.ceil_mode = checks.boolean("AvgPool1d: ceil_mode", ceil_mode)
        self.count_include_pad = checks.boolean("AvgPool1d: count_include_pad", count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each window of x (B, C, H, W), as `torch.nn.AvgPool2d`; kernel_size,
    stride and padding are an int or an (h, w) pair; divisor_override, if given, replaces
    the window's size as the divisor. Otherwise as AvgPool1d."""

    def __init__(self, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
                 padding: checks.Sizes = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: Optional[int] = None) -> None:
        super().__init__()
        _check_windows("AvgPool2d", 2, kernel_size, stride, padding)
        if divisor_override is not None:
            checks.positive_int("AvgPool2d: divisor_override", divisor_override)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.divisor_override = padding, divisor_override
        self.ceil_mode = checks.boolean("AvgPool2d: ceil_mode", ceil_mode)
        self.count_include_pad = checks.boolean("AvgPool2d: count_include_pad", count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    """An adaptive pooling's output size, checked and kept as given."""

    spatial = 0

    def __init__(self, output_size: checks.OutputSize) -> None:
        super().__init__()
        # Checked against a stand-in input of the right rank: the sizes are only known later.
        checks.output_size(type(self).__name__, output_size, (1, 1) + (1,) * self.spatial)
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """The mean of each of output_size windows of x (B, C, W), as
    `torch.nn.AdaptiveAvgPool1d`: window i covers floor(i * W / out) to ceil((i + 1) * W /
    out), so any W gives output_size values."""

    spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """The mean of each adaptive window of x (B, C, H, W), as `torch.nn.AdaptiveAvgPool2d`;
    output_size is an int or an (h, w) pair whose entries may be None (the input's size).
    Windows as AdaptiveAvgPool1d's, on each axis."""

    spatial = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    """An adaptive max pooling's output size and return_indices."""

    def __init__(self, output_size: checks.OutputSize, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = checks.boolean(f"{type(self).__name__}: return_indices", return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The maximum of each adaptive window of x (B, C, W), as `torch.nn.AdaptiveMaxPool1d`
    (windows as AdaptiveAvgPool1d's). With return_indices, forward returns (output, the
    maxima's indices along W)."""

    spatial = 1

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """The maximum of each adaptive window of x (B, C, H, W), as
    `torch.nn.AdaptiveMaxPool2d` (windows as AdaptiveAvgPool2d's). With return_indices,
    forward returns (output, each maximum's flat index h * W + w in its plane)."""

    spatial = 2

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)
