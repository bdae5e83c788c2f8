"""The functional face of the library, as `torch.nn.functional`.

It re-exports every op class from `mytorch.ops` (the handout's import path:
`from mytorch.nn.functional import Add` keeps working) and holds the lower-case
wrappers the modules call. The math lives in the ops.
"""
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.ops import *  # noqa: F401,F403  (the handout's names for the ops)
from mytorch.ops import (ELU, GELU, L1, NLL, MSE, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
                         AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, BatchNorm,
                         BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Conv1d, Conv2d,
                         CrossEntropy, Dropout, Embedding, GroupNorm, GRUCell, GRUSequence, Huber,
                         LayerNorm, LeakyReLU, Linear, LogSoftmax, LSTMCell, LSTMSequence, MaxPool1d,
                         MaxPool2d, Pad, ReLU, RNNCell, RNNSequence, Sigmoid, SiLU, Softmax,
                         Softplus, Squeeze, Tanh, Unsqueeze)
from mytorch.ops.pooling import adaptive_max_pool_indices, max_pool_indices
from mytorch.tensor import Tensor, cat, get_default_dtype


def _as_tensor(value: Any) -> Tensor:
    """`value` itself if it is a Tensor (keeping its graph), else a constant Tensor of it:
    an ndarray as it is, a list or number of floats in the default dtype (as
    `torch.tensor` makes it)."""
    if isinstance(value, Tensor) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    array = np.asarray(value)
    return Tensor(array.astype(get_default_dtype()) if array.dtype.kind == "f" else array)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise. `inplace` is accepted for PyTorch's sake (see `nn.ReLU`):
    the result is always a new tensor."""
    checks.boolean("relu: inplace", inplace)
    return ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x, as `torch.nn.functional.leaky_relu`."""
    checks.boolean("leaky_relu: inplace", inplace)
    return LeakyReLU.apply(x, negative_slope)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1), as `torch.nn.functional.elu`."""
    checks.boolean("elu: inplace", inplace)
    return ELU.apply(x, alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold, as
    `torch.nn.functional.softplus`."""
    return Softplus.apply(x, beta, threshold)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x), as `torch.nn.functional.silu`."""
    checks.boolean("silu: inplace", inplace)
    return SiLU.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, as `torch.nn.functional.linear`."""
    return Linear.apply(x, weight, bias)


def batch_norm(x: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over axis 1 of x (N, C, ...), as `torch.nn.functional.batch_norm`:
    batch statistics when training (updating the running ones in place, if given), the
    running statistics otherwise."""
    return BatchNorm.apply(x, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(x: Tensor, normalized_shape: Union[int, Sequence[int]], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing axes `normalized_shape`, then scale and shift, as
    `torch.nn.functional.layer_norm`."""
    return LayerNorm.apply(x, normalized_shape, weight, bias, eps)


def group_norm(x: Tensor, num_groups: int, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of consecutive channels of x (N, C, *) per sample, then scale
    and shift per channel, as `torch.nn.functional.group_norm`."""
    return GroupNorm.apply(x, num_groups, weight, bias, eps)


def cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(input) and the target, as `torch.nn.functional.cross_entropy`.

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...).
        target: class indices (N,), () or (N, d1, ...); or class probabilities (soft or
            one-hot labels) of the input's shape. A Tensor, an array or a list.
        weight: a constant rescaling weight per class (C,).
        size_average, reduce: PyTorch's deprecated form of `reduction`.
        ignore_index: a class index whose samples count 0 (and are left out of the mean).
        reduction: 'mean' (weighted by `weight` for indices; over the samples for
            probabilities), 'sum' or 'none' (the per-sample losses).
        label_smoothing: s in [0, 1]: the target becomes (1 - s) target + s / C.
    Returns:
        A 0-d Tensor, or the per-sample losses for reduction='none'.
    """
    if size_average is not None or reduce is not None:
        reduction = checks.loss_reduction("cross_entropy", size_average, reduce, reduction)
    if weight is None and ignore_index == -100 and label_smoothing == 0.0:
        # The plain case on every training step: apply's cost grows with its arguments.
        return CrossEntropy.apply(input, _as_tensor(target), reduction)
    return CrossEntropy.apply(input, _as_tensor(target), reduction, _as_weight("cross_entropy", weight),
                              ignore_index, label_smoothing)


def nll_loss(input: Tensor, target: Any, weight: Optional[Tensor] = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -weight[y] input[y], as `torch.nn.functional.nll_loss`.

    Args:
        input: log-probabilities (N, C), (C,) or (N, C, d1, ...), e.g. `log_softmax(x, dim=1)`.
        target: class indices (N,), () or (N, d1, ...), a Tensor, an array or a list.
        weight, size_average, ignore_index, reduce, reduction: as for `cross_entropy`.
    """
    reduction = checks.loss_reduction("nll_loss", size_average, reduce, reduction)
    return NLL.apply(input, _as_tensor(target), reduction, _as_weight("nll_loss", weight), ignore_index)


def binary_cross_entropy(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                         size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-weight (y log x + (1 - y) log(1 - x)) for probabilities x, as
    `torch.nn.functional.binary_cross_entropy`; target y of x's shape, weight broadcasting to it."""
    reduction = checks.loss_reduction("binary_cross_entropy", size_average, reduce, reduction)
    return BinaryCrossEntropy.apply(input, _as_tensor(target), _as_weight("binary_cross_entropy", weight),
                                    reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Optional[Tensor] = None,
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits, as
    `torch.nn.functional.binary_cross_entropy_with_logits`; `pos_weight` weighs the positive
    term, one per class (broadcast along the last axis)."""
    op = "binary_cross_entropy_with_logits"
    reduction = checks.loss_reduction(op, size_average, reduce, reduction)
    return BinaryCrossEntropyWithLogits.apply(input, _as_tensor(target), _as_weight(op, weight),
                                              _as_weight(op, pos_weight, "pos_weight"), reduction)


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Squared error between same-shaped tensors, averaged over all elements for 'mean', as
    `torch.nn.functional.mse_loss`. A list target is made in the default dtype."""
    reduction = checks.loss_reduction("mse_loss", size_average, reduce, reduction)
    return MSE.apply(input, _as_tensor(target), reduction)


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Absolute error |input - target| between same-shaped tensors, as `torch.nn.functional.l1_loss`."""
    reduction = checks.loss_reduction("l1_loss", size_average, reduce, reduction)
    return L1.apply(input, _as_tensor(target), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: d**2 / 2 where |d| <= delta, else delta (|d| - delta / 2), d = input - target,
    as `torch.nn.functional.huber_loss`."""
    return Huber.apply(input, _as_tensor(target), checks.reduction("huber_loss", reduction), delta)


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: d**2 / (2 beta) where |d| < beta, else |d| - beta / 2, as
    `torch.nn.functional.smooth_l1_loss`; beta = 0 is the L1 loss. It is huber_loss(delta=beta) / beta."""
    reduction = checks.loss_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if checks.non_negative("smooth_l1_loss: beta", beta) == 0:
        return L1.apply(input, _as_tensor(target), reduction)
    return Huber.apply(input, _as_tensor(target), reduction, beta) / beta


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """out[..., c] = 1 where tensor[...] == c, else 0: an int64 Tensor (*S, num_classes) for
    class indices of shape S, as `torch.nn.functional.one_hot` (num_classes=-1: max + 1)."""
    labels = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got dtype {labels.dtype}")
    checks.integer("one_hot: num_classes", num_classes)
    if num_classes == -1:
        if not labels.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    elif num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be -1 or a positive integer, got {num_classes}")
    checks.class_indices("one_hot", labels, num_classes, name="class value")
    return Tensor((labels[..., np.newaxis] == np.arange(num_classes)).astype(np.int64))


def embedding(input: Any, weight: Tensor, padding_idx: Optional[int] = None) -> Tensor:
    """weight[input]: rows of the table `weight` (V, D) for integer ids of any shape S, as
    `torch.nn.functional.embedding`; output (*S, D). The row `padding_idx` gets no gradient."""
    ids = input.data if isinstance(input, Tensor) else np.asarray(input)
    if padding_idx is not None:
        padding_idx = checks.integer("embedding: padding_idx", padding_idx) % max(weight.shape[0], 1)
    return Embedding.apply(weight, ids, padding_idx)


def _as_weight(op: str, weight: Any, name: str = "weight") -> Optional[Tensor]:
    """A loss's optional weight as a Tensor; a string there is the old positional reduction."""
    if isinstance(weight, str):
        raise TypeError(f"{op}: got {weight!r} for {name}; pass the reduction by keyword, "
                        f"reduction={weight!r} (PyTorch's positional order puts {name} there)")
    return _as_tensor(weight)


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


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p).

    Args:
        x: the input.
        p: drop probability, in [0, 1].
        training: when False (or p == 0), return `x` itself.
        inplace: accepted for PyTorch's sake (see `nn.ReLU`): the result is a new tensor.
    Returns:
        A Tensor of x's shape. The mask comes from `np.random`, so `np.random.seed`
        reproduces it.
    """
    checks.probability("dropout: p", p)
    checks.boolean("dropout: inplace", inplace)
    if not training or p == 0:
        return x
    return Dropout.apply(x, p, True)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """`input` with `value` (0 by default) added around its last axes, as
    `torch.nn.functional.pad`: `pad` = (left, right) for the last axis, then (top, bottom)
    for the one before, ...; negative amounts crop. Only mode 'constant' is written."""
    checks.one_of("pad: mode", mode, ("constant",))
    return Pad.apply(input, pad, 0.0 if value is None else value)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps), as `torch.nn.functional.normalize` (p = 2,
    1 or inf, as `Tensor.norm`)."""
    input = tensor_input("normalize", "input", input)
    return input / input.norm(p, dim, keepdim=True).clamp(min=checks.non_negative("normalize: eps", eps))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2, dim) / (||x1|| ||x2||) along `dim`, with broadcasting, as
    `torch.nn.functional.cosine_similarity`: as PyTorch computes it, each input is divided
    by its 2-norm (at least `eps`) before the product is summed."""
    x1, x2 = tensor_input("cosine_similarity", "x1", x1), tensor_input("cosine_similarity", "x2", x2)
    eps = checks.non_negative("cosine_similarity: eps", eps)
    return (normalize(x1, 2.0, dim, eps) * normalize(x2, 2.0, dim, eps)).sum(dim)


def _channel_dropout(op: str, spatial: int, x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout of whole channels: every element of one (sample, channel) pair is kept or
    dropped together, the spatial axes (the last `spatial`) sharing one draw."""
    checks.probability(f"{op}: p", p)
    x = tensor_input(op, "input", x)
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{op}: expected input of {spatial + 1} or {spatial + 2} dimensions "
                         f"((N,) C and {spatial} spatial), got shape {x.shape}")
    if not checks.boolean(f"{op}: training", training) or p == 0:
        return x
    return Dropout.apply(x, p, True, spatial)


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p, scaling the
    rest by 1/(1-p), as `torch.nn.functional.dropout1d` (`inplace` as in `dropout`)."""
    checks.boolean("dropout1d: inplace", inplace)
    return _channel_dropout("dropout1d", 1, x, p, training)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p, scaling
    the rest by 1/(1-p), as `torch.nn.functional.dropout2d` (`inplace` as in `dropout`)."""
    checks.boolean("dropout2d: inplace", inplace)
    return _channel_dropout("dropout2d", 2, x, p, training)


def dropout3d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input, as
    `torch.nn.functional.dropout3d` (`inplace` as in `dropout`)."""
    checks.boolean("dropout3d: inplace", inplace)
    return _channel_dropout("dropout3d", 3, x, p, training)


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


# ------------------------------------------------------------- recurrent networks

# PyTorch's names for the kinds of recurrent layer (`torch.nn.RNNBase.mode`).
RECURRENT_MODES = ("RNN_TANH", "RNN_RELU", "GRU", "LSTM")
States = Tuple[Optional[Tensor], ...]  # (h,), or (h, c) for the LSTM; None: zeros


def recurrent_step(mode: str, input: Tensor, states: States,
                   weights: Sequence[Optional[Tensor]]) -> Tuple[Tensor, ...]:
    """One step of a recurrent cell, as PyTorch's `_VF.rnn_tanh_cell`, `gru_cell` and `lstm_cell`.

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM'.
        input: (B, I).
        states: (h,) or, for the LSTM, (h, c); each (B, H), or None for zeros.
        weights: (weight_ih, weight_hh, bias_ih, bias_hh), the gates stacked as PyTorch's;
            biases may be None.
    Returns:
        The next states, (h',) or (h', c').
    """
    checks.one_of("recurrent_step: mode", mode, RECURRENT_MODES)
    shape = (input.shape[0], weights[1].shape[-1])
    states = tuple(Tensor(np.zeros(shape, input.dtype)) if s is None else s for s in states)
    if mode == "LSTM":
        hidden = shape[1]
        new = LSTMCell.apply(input, cat(list(states), 1), *weights)
        return new[:, :hidden], new[:, hidden:]
    if mode == "GRU":
        return (GRUCell.apply(input, states[0], *weights),)
    return (RNNCell.apply(input, states[0], *weights, mode[4:].lower()),)


def recurrent_sequence(mode: str, input: Tensor, batch_sizes: Any, states: States,
                       weights: Sequence[Optional[Tensor]], reverse: bool = False,
                       sorted_indices: Any = None) -> Tuple[Tensor, Tuple[Tensor, ...]]:
    """One direction of one recurrent layer over a packed batch, as one op (one graph
    node), as PyTorch's `_VF.rnn_tanh` / `gru` / `lstm` run each layer.

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM'.
        input: the packed rows (N, I) (a padded batch (T, B, I) reshaped to (T * B, I)
            is packed with batch_sizes all B).
        batch_sizes: how many sequences run at each step (non-increasing).
        states: the initial (h,) or (h, c), each (B, H) or None for zeros, in the order
            of `sorted_indices`' original sequences.
        weights: (weight_ih, weight_hh, bias_ih, bias_hh); biases may be None.
        reverse: run each sequence from its last step to its first.
        sorted_indices: sorted_indices[j] is the original index of the j-th longest
            sequence; None for the identity.
    Returns:
        (the hidden state of every row (N, H), the final states (h_n,) or (h_n, c_n),
        each (B, H) in the original order).
    """
    checks.one_of("recurrent_sequence: mode", mode, RECURRENT_MODES)
    if mode == "LSTM":
        out = LSTMSequence.apply(input, *states, *weights, batch_sizes, reverse, sorted_indices)
    elif mode == "GRU":
        out = GRUSequence.apply(input, *states, *weights, batch_sizes, reverse, sorted_indices)
    else:
        out = RNNSequence.apply(input, *states, *weights, batch_sizes, mode[4:].lower(), reverse,
                                sorted_indices)
    rows, batch = input.shape[0], (out.shape[0] - input.shape[0]) // len(states)
    return out[:rows], tuple(out[rows + k * batch:rows + (k + 1) * batch] for k in range(len(states)))
