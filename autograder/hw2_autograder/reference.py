"""Plain NumPy references for convolution and pooling, written for clarity: a Python loop
over the output positions, one window at a time. Homework 2 and its bonus compare
MyTorch against them, and check their gradients against central differences."""
from typing import Optional, Sequence, Tuple

import numpy as np

Grads = Tuple[np.ndarray, np.ndarray, np.ndarray]


def _window(position: Tuple[int, ...], stride: Sequence[int], kernel: Sequence[int]) -> tuple:
    """The index of the window at output `position`: every batch row and channel."""
    return (slice(None), slice(None)) + tuple(slice(p * s, p * s + k)
                                              for p, s, k in zip(position, stride, kernel))


def output_sizes(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int]) -> Tuple[int, ...]:
    return tuple((n - k) // s + 1 for n, k, s in zip(spatial, kernel, stride))


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: Sequence[int]
                 ) -> np.ndarray:
    """y[b, o, *p] = bias[o] + sum over c and the window of weight[o, c, *k] x[b, c, *(p s + k)]."""
    kernel = weight.shape[2:]
    sizes = output_sizes(x.shape[2:], kernel, stride)
    y = np.zeros((x.shape[0], weight.shape[0]) + sizes)
    axes = list(range(1, weight.ndim))
    for position in np.ndindex(*sizes):
        window = x[_window(position, stride, kernel)]                 # (B, C, *K)
        y[(slice(None), slice(None)) + position] = np.tensordot(window, weight, (axes, axes)) + bias
    return y


def conv_backward(x: np.ndarray, weight: np.ndarray, stride: Sequence[int], dy: np.ndarray
                  ) -> Grads:
    """dx, dweight, dbias of `conv_forward` for the upstream gradient dy: each output
    position sends dy[b, o, *p] * weight[o] back to its window and dy * window to the weight."""
    kernel = weight.shape[2:]
    dx, dweight = np.zeros_like(x), np.zeros_like(weight)
    for position in np.ndindex(*dy.shape[2:]):
        index = _window(position, stride, kernel)
        grad = dy[(slice(None), slice(None)) + position]              # (B, O)
        dx[index] += np.tensordot(grad, weight, (1, 0))
        dweight += np.tensordot(grad, x[index], (0, 0))
    return dx, dweight, dy.sum(axis=tuple(i for i in range(dy.ndim) if i != 1))


def pool_forward(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], mode: str
                 ) -> np.ndarray:
    """The maximum (mode 'max') or mean ('mean') of each window."""
    sizes = output_sizes(x.shape[2:], kernel, stride)
    y = np.zeros(x.shape[:2] + sizes)
    for position in np.ndindex(*sizes):
        window = x[_window(position, stride, kernel)].reshape(x.shape[:2] + (-1,))
        y[(slice(None), slice(None)) + position] = window.max(-1) if mode == "max" else window.mean(-1)
    return y


def pool_backward(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], mode: str,
                  dy: np.ndarray) -> np.ndarray:
    """dx of `pool_forward`: max pooling sends each window's gradient to its first maximum
    in row-major order (PyTorch's rule for ties); mean pooling shares it equally."""
    dx = np.zeros_like(x)
    rows, channels = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    for position in np.ndindex(*dy.shape[2:]):
        index = _window(position, stride, kernel)
        grad = dy[(slice(None), slice(None)) + position]
        if mode == "max":
            window = x[index].reshape(x.shape[:2] + (-1,))
            offsets = np.unravel_index(window.argmax(-1), tuple(kernel))
            where = (rows, channels) + tuple(p * s + o for p, s, o in zip(position, stride, offsets))
            dx[where] += grad
        else:
            dx[index] += grad.reshape(grad.shape + (1,) * len(kernel)) / np.prod(kernel)
    return dx


def as_tuple(value: Optional[object], count: int) -> Tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
