"""The functional face of the library, as `torch.nn.functional`.

It re-exports every op class from `mytorch.ops` (the handout's import path:
`from mytorch.nn.functional import Add` keeps working) and holds the lower-case
wrappers the modules call. The math lives in the ops.
"""
from typing import Any, Callable, Optional, Tuple, Union

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.ops import *  # noqa: F401,F403  (the handout's names for the ops)
from mytorch.ops import (GELU, NLL, MSE, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,
                         AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, BatchNorm, Conv1d, Conv2d,
                         CrossEntropy, Dropout, Linear, LogSoftmax, MaxPool1d, MaxPool2d, ReLU,
                         Sigmoid, Softmax, Squeeze, Tanh, Unsqueeze)
from mytorch.ops.pooling import adaptive_max_pool_indices, max_pool_indices
from mytorch.tensor import Tensor


def _as_tensor(value: Any) -> Tensor:
    """`value` itself if it is a Tensor (keeping its graph), else a constant Tensor of it."""
    return value if isinstance(value, Tensor) else Tensor(value)


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return ReLU.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, as `torch.nn.functional.linear`."""
    return Linear.apply(x, weight, bias)


def batch_norm(x: Tensor, running_mean: Tensor, running_var: Tensor, weight: Tensor,
               bias: Tensor, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over axis 1, as `torch.nn.functional.batch_norm`."""
    return BatchNorm.apply(x, running_mean, running_var, weight, bias, training, momentum, eps)


def cross_entropy(predicted: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy between softmax(predicted) and the target, as `torch.nn.functional.cross_entropy`.

    Args:
        predicted: logits of shape (N, C).
        target: integer class indices of shape (N,), or class probabilities (one-hot
            or soft labels) of shape (N, C); a Tensor, an array or a list.
        reduction: 'mean' (over the batch, also for probabilities), 'sum' or 'none'.
    Returns:
        A 0-d Tensor, or the per-sample losses (N,) for reduction='none'.
    """
    return CrossEntropy.apply(predicted, _as_tensor(target), reduction)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, without overflow for large |x|."""
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return Tanh.apply(x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with the exact normal CDF, or its tanh approximation for approximate='tanh'."""
    return GELU.apply(x, approximate)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x), dim), computed stably."""
    return Softmax.apply(x, dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x - logsumexp(x, dim), computed stably."""
    return LogSoftmax.apply(x, dim)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    Args:
        x: the input.
        p: drop probability, in [0, 1].
        training: when False (or p == 0), return `x` itself.
    Returns:
        A Tensor of x's shape. The mask comes from `np.random`, so `np.random.seed`
        reproduces it.
    """
    checks.probability("dropout: p", p)
    if not training or p == 0:
        return x
    return Dropout.apply(x, p, True)


def mse_loss(predicted: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error between same-shaped tensors, averaged over all elements for 'mean'.

    Args:
        predicted: any shape.
        target: the same shape, a Tensor, an array or a list.
        reduction: 'mean', 'sum' or 'none' (elementwise squared errors).
    """
    return MSE.apply(predicted, _as_tensor(target), reduction)


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -log_probs[i, target_i], as `torch.nn.functional.nll_loss`.

    Args:
        log_probs: log-probabilities of shape (N, C), e.g. from `log_softmax(x, dim=1)`.
        target: integer class indices of shape (N,), a Tensor, an array or a list.
        reduction: 'mean' (over the batch), 'sum' or 'none' (shape (N,)).
    """
    return NLL.apply(log_probs, _as_tensor(target), reduction)


# ------------------------------------------------------------- convolutional networks
#
# As PyTorch's, these take a batch (B, C, *spatial) or one unbatched sample (C, *spatial).


def _per_sample(op: str, spatial: int, x: Any, run: Callable[[Tensor], Any]) -> Any:
    """run(x), for an unbatched x (C, *spatial) on a batch of one and its result(s)
    without that batch axis, as PyTorch takes one sample."""
    x = tensor_input(op, "x", x)
    checks.spatial_input(op, spatial, x.shape, unbatched=True)
    if x.ndim != spatial + 1:
        return run(x)
    result = run(Unsqueeze.apply(x, 0))
    if isinstance(result, tuple):
        return tuple(Squeeze.apply(part, 0) for part in result)
    return Squeeze.apply(result, 0)


def conv1d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: checks.Sizes = 1,
           padding: Union[str, checks.Sizes] = 0, dilation: checks.Sizes = 1,
           groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation, as PyTorch's) of x (B, C_in, W) with weight
    (C_out, C_in / groups, K), as `torch.nn.functional.conv1d`; output (B, C_out, W_out).
    padding is an int, 'valid' or 'same'."""
    return _per_sample("Conv1d", 1, x,
                       lambda x: Conv1d.apply(x, weight, bias, stride, padding, dilation, groups))


def conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: checks.Sizes = 1,
           padding: Union[str, checks.Sizes] = 0, dilation: checks.Sizes = 1,
           groups: int = 1) -> Tensor:
    """2-d convolution of x (B, C_in, H, W) with weight (C_out, C_in / groups, K_h, K_w), as
    `torch.nn.functional.conv2d`; stride, padding and dilation are an int or an (h, w)
    pair, and padding may also be 'valid' or 'same'."""
    return _per_sample("Conv2d", 2, x,
                       lambda x: Conv2d.apply(x, weight, bias, stride, padding, dilation, groups))


def _max_pool(op: type, spatial: int, x: Tensor, kernel_size: checks.Sizes,
              stride: Optional[checks.Sizes], padding: checks.Sizes, dilation: checks.Sizes,
              ceil_mode: bool, return_indices: bool) -> Any:
    """Max pooling by `op`, and with return_indices also where each maximum lies."""
    def run(x: Tensor) -> Any:
        out = op.apply(x, kernel_size, stride, padding, dilation, ceil_mode)
        if not checks.boolean(f"{op.__name__}: return_indices", return_indices):
            return out
        # The op has one output: a second scan finds the indices.
        return out, max_pool_indices(op.__name__, spatial, x, kernel_size, stride, padding,
                                     dilation, ceil_mode)
    return _per_sample(op.__name__, spatial, x, run)


def max_pool1d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
               padding: checks.Sizes = 0, dilation: checks.Sizes = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The maximum of each window of x (B, C, W), as `torch.nn.functional.max_pool1d`:
    stride defaults to kernel_size, padding counts as -inf, and return_indices also gives
    each maximum's index along W."""
    return _max_pool(MaxPool1d, 1, x, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
               padding: checks.Sizes = 0, dilation: checks.Sizes = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The maximum of each window of x (B, C, H, W), as `torch.nn.functional.max_pool2d`:
    stride defaults to kernel_size, padding counts as -inf, and return_indices also gives
    each maximum's flat index h * W + w in its plane."""
    return _max_pool(MaxPool2d, 2, x, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d_with_indices(x: Tensor, kernel_size: checks.Sizes,
                            stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                            dilation: checks.Sizes = 1, ceil_mode: bool = False) -> Tuple[Tensor, Tensor]:
    """max_pool1d(..., return_indices=True)."""
    return max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(x: Tensor, kernel_size: checks.Sizes,
                            stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                            dilation: checks.Sizes = 1, ceil_mode: bool = False) -> Tuple[Tensor, Tensor]:
    """max_pool2d(..., return_indices=True)."""
    return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
               padding: checks.Sizes = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window of x (B, C, W), as `torch.nn.functional.avg_pool1d`; stride
    defaults to kernel_size; count_include_pad=False leaves the padding out of the mean."""
    return _per_sample("AvgPool1d", 1, x, lambda x: AvgPool1d.apply(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad))


def avg_pool2d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None,
               padding: checks.Sizes = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """The mean of each window of x (B, C, H, W), as `torch.nn.functional.avg_pool2d`;
    divisor_override, if given, replaces the window's size as the divisor."""
    return _per_sample("AvgPool2d", 2, x, lambda x: AvgPool2d.apply(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override))


def adaptive_avg_pool1d(x: Tensor, output_size: checks.OutputSize) -> Tensor:
    """The mean of each of output_size adaptive windows of x (B, C, W): window i covers
    floor(i * W / out) to ceil((i + 1) * W / out), as `torch.nn.functional.adaptive_avg_pool1d`."""
    return _per_sample("AdaptiveAvgPool1d", 1, x, lambda x: AdaptiveAvgPool1d.apply(x, output_size))


def adaptive_avg_pool2d(x: Tensor, output_size: checks.OutputSize) -> Tensor:
    """The mean of each adaptive window of x (B, C, H, W), as
    `torch.nn.functional.adaptive_avg_pool2d`; output_size is an int or an (h, w) pair
    whose entries may be None (the input's size)."""
    return _per_sample("AdaptiveAvgPool2d", 2, x, lambda x: AdaptiveAvgPool2d.apply(x, output_size))


def _adaptive_max_pool(op: type, spatial: int, x: Tensor, output_size: checks.OutputSize,
                       return_indices: bool) -> Any:
    """Adaptive max pooling by `op`, and with return_indices also where each maximum lies."""
    def run(x: Tensor) -> Any:
        out = op.apply(x, output_size)
        if not checks.boolean(f"{op.__name__}: return_indices", return_indices):
            return out
        return out, adaptive_max_pool_indices(op.__name__, spatial, x, output_size)
    return _per_sample(op.__name__, spatial, x, run)


def adaptive_max_pool1d(x: Tensor, output_size: checks.OutputSize,
                        return_indices: bool = False) -> Any:
    """The maximum of each adaptive window of x (B, C, W), as
    `torch.nn.functional.adaptive_max_pool1d`; return_indices also gives their indices."""
    return _adaptive_max_pool(AdaptiveMaxPool1d, 1, x, output_size, return_indices)


def adaptive_max_pool2d(x: Tensor, output_size: checks.OutputSize,
                        return_indices: bool = False) -> Any:
    """The maximum of each adaptive window of x (B, C, H, W), as
    `torch.nn.functional.adaptive_max_pool2d`; return_indices also gives each maximum's
    flat index h * W + w in its plane."""
    return _adaptive_max_pool(AdaptiveMaxPool2d, 2, x, output_size, return_indices)


def adaptive_max_pool1d_with_indices(x: Tensor, output_size: checks.OutputSize) -> Tuple[Tensor, Tensor]:
    """adaptive_max_pool1d(..., return_indices=True)."""
    return adaptive_max_pool1d(x, output_size, True)


def adaptive_max_pool2d_with_indices(x: Tensor, output_size: checks.OutputSize) -> Tuple[Tensor, Tensor]:
    """adaptive_max_pool2d(..., return_indices=True)."""
    return adaptive_max_pool2d(x, output_size, True)
