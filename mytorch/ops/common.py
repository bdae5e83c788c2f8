"""Helpers the ops share: undoing broadcasting and reductions, and the float-input rule."""
from typing import Optional, Tuple

import numpy as np

from mytorch import tensor
from mytorch.tensor import Tensor


def unbroadcast(grad: np.ndarray, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting, and cast it to `dtype`.

    An input broadcast to the output's shape contributed to every position it was
    copied to, so its gradient is the sum over the leading axes it gained and over the
    axes where it had size 1.
    """
    if grad.shape != shape:
        leading = grad.ndim - len(shape)
        axes = tuple(range(leading)) + tuple(
            leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1)
        grad = grad.sum(axis=axes, keepdims=True).reshape(shape)
    # A comparison costs less than astype's call, and every binary op's backward is here.
    return grad if grad.dtype == dtype else grad.astype(dtype)


def broadcasting(ufunc: np.ufunc, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """ufunc(a, b) with NumPy broadcasting, failing with the op's name and both shapes."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None


def unreduce(grad: np.ndarray, shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]],
             keepdims: bool) -> np.ndarray:
    """Expand the gradient of a reduction over `axes` (None: all) back to the input's `shape`."""
    if axes is not None and not keepdims:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


def float_data(x: Tensor) -> np.ndarray:
    """x's values for an op defined on real numbers (exp, sigmoid, normalisation, ...).

    The library's rule for integer and bool input: it is promoted to the default float
    dtype, as PyTorch promotes it for such ops. Float input keeps its dtype.
    """
    data = x.data
    return data if data.dtype.kind == "f" else data.astype(tensor.get_default_dtype())


def unfold(x: np.ndarray, kernel: Tuple[int, ...], stride: Tuple[int, ...],
           writeable: bool = False) -> np.ndarray:
    """The windows of `x` (B, C, *spatial) as a view (B, C, *out, *kernel), no copy:

        view[b, c, *o, *k] = x[b, c, *(o * stride + k)],  out = (spatial - kernel) // stride + 1

    Convolution and pooling read their inputs through it (im2col without a Python loop).
    Read-only unless `writeable`: overlapping windows share elements, so a write through
    the view can land in several windows at once.
    """
    out = tuple((size - k) // s + 1 for size, k, s in zip(x.shape[2:], kernel, stride))
    steps = x.strides[2:]
    strides = x.strides[:2] + tuple(step * s for step, s in zip(steps, stride)) + steps
    return np.lib.stride_tricks.as_strided(x, x.shape[:2] + out + tuple(kernel), strides,
                                           writeable=writeable)


def fold(windows: np.ndarray, shape: Tuple[int, ...], stride: Tuple[int, ...]) -> np.ndarray:
    """The adjoint of `unfold`: a new array of `shape` (B, C, *spatial) in which each value
    of `windows` (B, C, *out, *kernel) is added where `unfold` read it from, so an element
    shared by overlapping windows gets the sum, and one no window covers gets 0.

    Windows that do not overlap (stride >= kernel, as in most pooling) are written in one
    assignment through the same strided view. Overlapping ones take one strided add per
    kernel offset (25 for a 5 x 5 kernel), never one per window or channel: for a fixed
    offset the windows' elements are distinct, so each add is a plain slice add.
    """
    spatial = len(stride)
    out, kernel = windows.shape[2:2 + spatial], windows.shape[2 + spatial:]
    x = np.zeros(shape, dtype=windows.dtype)
    if all(s >= k for s, k in zip(stride, kernel)):
        unfold(x, kernel, stride, writeable=True)[...] = windows
        return x
    for offset in np.ndindex(*kernel):
        target = tuple(slice(k, k + s * (o - 1) + 1, s) for k, s, o in zip(offset, stride, out))
        x[(slice(None), slice(None)) + target] += windows[(Ellipsis,) + offset]
    return x
