"""Convolution layers and Flatten, the layers of the course's HW2 and its bonus."""
import math
import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor, get_default_dtype

# The handout's autograder star-imports this module.
__all__ = ["Conv1d", "Conv2d", "Flatten"]


class _ConvNd(Module):
    """The parameters and arguments both convolution layers share."""

    spatial = 0
    name = ""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: checks.Sizes,
                 stride: checks.Sizes = 1, padding: checks.Sizes = 0, bias: bool = True) -> None:
        super().__init__()
        name, spatial = self.name, self.spatial
        self.in_channel = checks.positive_int(f"{name}: in_channel", in_channel)
        self.out_channel = checks.positive_int(f"{name}: out_channel", out_channel)
        kernel = checks.sizes(f"{name}: kernel_size", kernel_size, spatial)
        strides = checks.sizes(f"{name}: stride", stride, spatial)
        paddings = checks.sizes(f"{name}: padding", padding, spatial, minimum=0)
        # The handout's Conv1d keeps plain ints; the 2-d layer keeps PyTorch's pairs.
        self.kernel_size, self.stride, self.padding = ((kernel[0], strides[0], paddings[0])
                                                       if spatial == 1 else (kernel, strides, paddings))
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        # and the bias is drawn from the same range.
        bound = 1 / math.sqrt(in_channel * math.prod(kernel))
        dtype = get_default_dtype()
        shape = (out_channel, in_channel) + kernel
        self.weight = Tensor(np.random.uniform(-bound, bound, shape).astype(dtype),
                             requires_grad=True, is_parameter=True)
        self.bias = None
        if checks.boolean(f"{name}: bias", bias):
            self.bias = Tensor(np.random.uniform(-bound, bound, out_channel).astype(dtype),
                               requires_grad=True, is_parameter=True)

    def extra_repr(self) -> str:
        return (f"{self.in_channel}, {self.out_channel}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")


class Conv1d(_ConvNd):
    """1-d convolution over x (B, in_channel, W), giving (B, out_channel, W_out) with
    W_out = (W + 2 * padding - kernel_size) // stride + 1.

    Args:
        in_channel, out_channel: channels of the input and the output.
        kernel_size, stride: positive ints; padding: zeros added at both ends (PyTorch's name).
        bias: whether to add a learnable bias.

    Parameters `weight` (out_channel, in_channel, kernel_size) and `bias` (out_channel,),
    initialised as PyTorch does: kaiming-uniform with a = sqrt(5), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channel * kernel_size, and the bias
    from the same range; drawn from `np.random` in the default float dtype.
    """

    spatial, name = 1, "Conv1d"

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding)


class Conv2d(_ConvNd):
    """2-d convolution over x (B, in_channel, H, W), giving (B, out_channel, H_out, W_out)
    with H_out = (H + 2 * padding_h - kernel_h) // stride_h + 1, likewise W_out.

    Args:
        in_channel, out_channel: channels of the input and the output.
        kernel_size, stride, padding: an int or an (h, w) pair, kept as pairs.
        bias: whether to add a learnable bias.

    Parameters `weight` (out_channel, in_channel, kernel_h, kernel_w) and `bias`
    (out_channel,), initialised as PyTorch does: kaiming-uniform with a = sqrt(5), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channel * kernel_h * kernel_w, and
    the bias from the same range; drawn from `np.random` in the default float dtype.
    """

    spatial, name = 2, "Conv2d"

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


class Flatten(Module):
    """(B, ...) -> (B, -1): keeps the batch axis and merges the rest, in C order."""

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape if isinstance(x, (Tensor, np.ndarray)) else None  # Reshape names a bad type
        if shape == ():
            raise ValueError("Flatten: expected an input with a batch axis, got a 0-d tensor")
        return F.Reshape.apply(x, (shape[0] if shape else 0, -1))
