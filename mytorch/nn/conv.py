"""Convolution layers, Flatten and Unflatten: the layers of the course's HW2 and its bonus."""
import math
from typing import Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module, factory_keywords
from mytorch.tensor import Tensor, get_default_dtype

# The handout's autograder star-imports this module.
__all__ = ["Conv1d", "Conv2d", "Flatten", "Unflatten"]


class _ConvNd(Module):
    """The parameters and arguments both convolution layers share, in PyTorch's order."""

    spatial = 0
    name = ""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: checks.Sizes,
                 stride: checks.Sizes = 1, padding: Union[str, checks.Sizes] = 0,
                 dilation: checks.Sizes = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        name, spatial = self.name, self.spatial
        self.in_channels = checks.positive_int(f"{name}: in_channels", in_channels)
        self.out_channels = checks.positive_int(f"{name}: out_channels", out_channels)
        self.groups = checks.groups(name, groups, in_channels, out_channels)
        kernel = checks.sizes(f"{name}: kernel_size", kernel_size, spatial)
        strides = checks.sizes(f"{name}: stride", stride, spatial)
        dilations = checks.sizes(f"{name}: dilation", dilation, spatial)
        checks.conv_padding(name, padding, kernel, strides, dilations)
        self.padding_mode = checks.one_of(f"{name}: padding_mode", padding_mode, ("zeros",))
        paddings = padding if isinstance(padding, str) else checks.sizes(
            f"{name}: padding", padding, spatial, minimum=0)
        if spatial == 1:  # the handout's Conv1d keeps plain ints (PyTorch's, 1-tuples)
            self.kernel_size, self.stride, self.dilation = kernel[0], strides[0], dilations[0]
            self.padding = paddings if isinstance(paddings, str) else paddings[0]
        else:  # PyTorch's pairs
            self.kernel_size, self.stride, self.padding, self.dilation = (kernel, strides, paddings,
                                                                          dilations)
        dtype = get_default_dtype()
        shape = (out_channels, in_channels // self.groups) + kernel
        self.weight = Tensor(np.empty(shape, dtype), requires_grad=True, is_parameter=True)
        self.bias = None
        if checks.boolean(f"{name}: bias", bias):
            self.bias = Tensor(np.empty(out_channels, dtype), requires_grad=True, is_parameter=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and then the bias afresh from `np.random`, as PyTorch initialises
        them: kaiming_uniform_ with a = sqrt(5), which is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        with fan_in = in_channels / groups * prod(kernel_size), and the bias from the same
        range."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(math.prod(self.weight.shape[1:]))
            init.uniform_(self.bias, -bound, bound)

    @property
    def in_channel(self) -> int:
        """The handout's name for in_channels."""
        return self.in_channels

    @property
    def out_channel(self) -> int:
        """The handout's name for out_channels."""
        return self.out_channels

    def extra_repr(self) -> str:
        """PyTorch's: the channels, kernel and stride, then the arguments not at their default."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        unpadded = 0 if self.spatial == 1 else (0,) * self.spatial
        undilated = 1 if self.spatial == 1 else (1,) * self.spatial
        for label, value, default in (("padding", self.padding, unpadded),
                                      ("dilation", self.dilation, undilated),
                                      ("groups", self.groups, 1)):
            if value != default:
                text += f", {label}={value}"
        return text + ("" if self.bias is not None else ", bias=False")


@factory_keywords
class Conv1d(_ConvNd):
    """1-d convolution over x (B, in_channels, W) (or one sample (in_channels, W)), giving
    (B, out_channels, W_out) with W_out = (W + 2 * padding - dilation * (kernel_size - 1) -
    1) // stride + 1, as `torch.nn.Conv1d`.

    Args:
        in_channels, out_channels: channels of the input and the output (the handout's
            `in_channel` and `out_channel` name them too).
        kernel_size, stride, dilation: positive ints (kept as ints, as the handout's layer).
        padding: zeros added at both ends: an int, 'valid' (none) or 'same' (W_out = W,
            stride 1 only).
        groups: in_channels and out_channels are split into this many groups, each
            output channel seeing only its group's inputs.
        bias: whether to add a learnable bias.
        padding_mode: 'zeros' only.

    Parameters `weight` (out_channels, in_channels / groups, kernel_size) and `bias`
    (out_channels,), initialised as PyTorch does: kaiming-uniform with a = sqrt(5), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kernel_size,
    and the bias from the same range; drawn from `np.random` in the default float dtype.
    """

    spatial, name = 1, "Conv1d"

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


@factory_keywords
class Conv2d(_ConvNd):
    """2-d convolution over x (B, in_channels, H, W) (or one sample (in_channels, H, W)),
    giving (B, out_channels, H_out, W_out) with H_out = (H + 2 * padding_h - dilation_h *
    (kernel_h - 1) - 1) // stride_h + 1, likewise W_out, as `torch.nn.Conv2d`.

    Args:
        in_channels, out_channels: channels of the input and the output (the handout's
            `in_channel` and `out_channel` name them too).
        kernel_size, stride, dilation: an int or an (h, w) pair, kept as pairs.
        padding: an int or an (h, w) pair, kept as a pair, or 'valid' or 'same' (stride 1
            only; an odd total puts the extra row or column after, as PyTorch).
        groups: in_channels and out_channels are split into this many groups, each
            output channel seeing only its group's inputs.
        bias: whether to add a learnable bias.
        padding_mode: 'zeros' only.

    Parameters `weight` (out_channels, in_channels / groups, kernel_h, kernel_w) and
    `bias` (out_channels,), initialised as PyTorch does: kaiming-uniform with a = sqrt(5),
    which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups *
    kernel_h * kernel_w, and the bias from the same range; drawn from `np.random` in the
    default float dtype.
    """

    spatial, name = 2, "Conv2d"

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Flatten(Module):
    """(B, ...) -> (B, -1): keeps the batch axis and merges the rest, in C order.

    Args:
        start_dim, end_dim: the axes merged, as `torch.nn.Flatten` (by default 1 to the
            last, the handout's layer, which also takes a 1-d input as (B, 1)).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = checks.integer("Flatten: start_dim", start_dim)
        self.end_dim = checks.integer("Flatten: end_dim", end_dim)

    def forward(self, x: Tensor) -> Tensor:
        if (self.start_dim, self.end_dim) != (1, -1):
            return tensor_input("Flatten", "input", x).flatten(self.start_dim, self.end_dim)
        shape = x.shape if isinstance(x, (Tensor, np.ndarray)) else None  # Reshape names a bad type
        if shape == ():
            raise ValueError("Flatten: expected an input with a batch axis, got a 0-d tensor")
        return F.Reshape.apply(x, (shape[0] if shape else 0, -1))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis `dim` into axes of `unflattened_size`, as `torch.nn.Unflatten`: the
    inverse of Flatten (`Unflatten(1, (C, H, W))` turns (B, C*H*W) into (B, C, H, W)).

    Args:
        dim: the axis to split.
        unflattened_size: the new axes' sizes (one may be -1), whose product is its size.
    """

    def __init__(self, dim: int, unflattened_size: Union[tuple, list]) -> None:
        super().__init__()
        self.dim = checks.integer("Unflatten: dim", dim)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple or list of "
                            f"sizes, got {unflattened_size!r}")
        self.unflattened_size = tuple(checks.integer("Unflatten: size", size)
                                      for size in unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        return tensor_input("Unflatten", "input", x).unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
