"""The functional face of the library, as `torch.nn.functional`.

It re-exports every op class from `mytorch.ops` (the handout's import path:
`from mytorch.nn.functional import Add` keeps working) and holds the lower-case
wrappers the modules call. The math lives in the ops.
"""
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.ops import *  # noqa: F401,F403  (the handout's names for the ops)
from mytorch.ops import (GELU, NLL, MSE, AvgPool1d, AvgPool2d, BatchNorm, Conv1d, Conv2d,
                         CrossEntropy, Dropout, GRUCell, GRUSequence, Linear, LogSoftmax,
                         LSTMCell, LSTMSequence, MaxPool1d, MaxPool2d, ReLU, RNNCell, RNNSequence,
                         Sigmoid, Softmax, Tanh)
from mytorch.tensor import Tensor, cat


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


def conv1d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: checks.Sizes = 1,
           padding: checks.Sizes = 0) -> Tensor:
    """1-d convolution (cross-correlation, as PyTorch's) of x (B, C_in, W) with weight
    (C_out, C_in, K), as `torch.nn.functional.conv1d`; output (B, C_out, W_out)."""
    return Conv1d.apply(x, weight, bias, stride, padding)


def conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: checks.Sizes = 1,
           padding: checks.Sizes = 0) -> Tensor:
    """2-d convolution of x (B, C_in, H, W) with weight (C_out, C_in, K_h, K_w), as
    `torch.nn.functional.conv2d`; stride and padding are an int or an (h, w) pair."""
    return Conv2d.apply(x, weight, bias, stride, padding)


def max_pool1d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None) -> Tensor:
    """The maximum of each window of x (B, C, W); stride defaults to kernel_size."""
    return MaxPool1d.apply(x, kernel_size, stride)


def max_pool2d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None) -> Tensor:
    """The maximum of each window of x (B, C, H, W); stride defaults to kernel_size."""
    return MaxPool2d.apply(x, kernel_size, stride)


def avg_pool1d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None) -> Tensor:
    """The mean of each window of x (B, C, W); stride defaults to kernel_size."""
    return AvgPool1d.apply(x, kernel_size, stride)


def avg_pool2d(x: Tensor, kernel_size: checks.Sizes, stride: Optional[checks.Sizes] = None) -> Tensor:
    """The mean of each window of x (B, C, H, W); stride defaults to kernel_size."""
    return AvgPool2d.apply(x, kernel_size, stride)


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
