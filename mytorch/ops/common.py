"""Helpers the ops share: undoing broadcasting and reductions, PyTorch's dtype promotion,
the float-input rule, and the sliding windows of convolution and pooling."""
import functools
import itertools
from typing import Dict, Iterator, Optional, Tuple

import numpy as np

from mytorch import tensor
from mytorch.tensor import Tensor

# The float dtypes BLAS computes in (see column_sums).
_BLAS_FLOATS = frozenset([np.dtype(np.float32), np.dtype(np.float64)])
# Read-only arrays of ones by (shape, dtype), for column_sums and row_sums; cleared when large.
_ONES: Dict[Tuple[Tuple[int, ...], np.dtype], np.ndarray] = {}


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


def column_sums(x: np.ndarray) -> np.ndarray:
    """x.sum(axis=0) of a 2-D array x (N, C): ones(N) @ x for float32 and float64, which
    BLAS computes 1.5x to 7x faster than NumPy's reduction over the leading axis (most for
    few columns: the gradient of a bias, a batch's mean per channel), to the same value
    up to rounding; NumPy's reduction for anything else."""
    if x.ndim == 2 and x.dtype in _BLAS_FLOATS:
        return np.matmul(_ones((x.shape[0],), x.dtype), x)
    return np.add.reduce(x, axis=0)


def row_sums(x: np.ndarray) -> np.ndarray:
    """x.sum(axis=1, keepdims=True) of a 2-D array x (N, C), as x @ ones(C, 1) for float32
    and float64 (see column_sums: NumPy's reduction over a few columns per row is slower
    still)."""
    if x.dtype in _BLAS_FLOATS:
        return np.matmul(x, _ones((x.shape[1], 1), x.dtype))
    return np.add.reduce(x, axis=1, keepdims=True)


def _ones(shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only array of ones, made once per shape and dtype. (Filled in place, not made
    by np.ones, which a `mytorch.compile` trace records: the cache would keep the trace's
    array. To the trace it is an array it did not make, read as a constant.)"""
    key = (shape, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) >= 64:  # many batch sizes: start again rather than grow
            _ONES.clear()
        ones = _ONES[key] = np.ndarray(shape, dtype)
        ones.fill(1)
        ones.flags.writeable = False
    return ones


def _promote_pair(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's `promote_types`: bool gives way to anything, an integer to any float
    (int64 with float32 is float32, where NumPy makes float64); otherwise NumPy's table,
    which agrees with PyTorch's within floats and within integers."""
    if a == b or b.kind == "b" or (a.kind == "f" and b.kind != "f"):
        return a
    if a.kind == "b" or (b.kind == "f" and a.kind != "f"):
        return b
    return np.promote_types(a, b)


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype PyTorch computes `arrays` in: tensors with dimensions decide, unless a
    0-d one is of a higher category (bool < integer < float), as in PyTorch's
    `torch.result_type` (`x32 * tensor(2.0)` stays float32; an integer tensor with a
    float 0-d one takes the float's dtype)."""
    dims = [array.dtype for array in arrays if array.ndim]
    zeros = [array.dtype for array in arrays if not array.ndim]
    dim = functools.reduce(_promote_pair, dims) if dims else None
    zero = functools.reduce(_promote_pair, zeros) if zeros else None
    if dim is None or zero is None:
        return zero if dim is None else dim
    if dim.kind == "f" or (dim.kind != "b" and zero.kind != "f"):
        return dim
    return _promote_pair(dim, zero)


def promoted(*tensors: Tensor) -> Tuple[np.ndarray, ...]:
    """The tensors' arrays, converted to their `result_dtype` where they differ from it."""
    arrays = [t.data for t in tensors]
    first = arrays[0].dtype
    if all([array.dtype == first for array in arrays]):
        return tuple(arrays)
    dtype = result_dtype(*arrays)
    return tuple(array if array.dtype == dtype else array.astype(dtype) for array in arrays)


def broadcasting(ufunc: np.ufunc, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """ufunc(a, b) with NumPy broadcasting in PyTorch's result dtype (`result_dtype`),
    failing with the op's name and both shapes."""
    x, y = a.data, b.data
    try:
        if x.dtype != y.dtype:
            x, y = promoted(a, b)
        return ufunc(x, y)
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
           dilation: Optional[Tuple[int, ...]] = None, axis: int = 2,
           writeable: bool = False) -> np.ndarray:
    """The windows of `x` over its spatial axes x.shape[axis:axis + len(kernel)], as a view
    with the output positions and then the kernel offsets in their place, no copy. For the
    usual (B, C, *spatial) and axis 2, the view is (B, C, *out, *kernel):

        view[b, c, *o, *k] = x[b, c, *(o * stride + k * dilation)]
        out = (spatial - dilation * (kernel - 1) - 1) // stride + 1

    Axes after the spatial ones stay last (the batch in the batch-last layout (C, *spatial,
    B)). Convolution and pooling read their inputs through it (im2col without a Python
    loop). Read-only unless `writeable`: overlapping windows share elements, so a write
    through the view can land in several windows at once.
    """
    spatial = len(kernel)
    dilation = dilation or (1,) * spatial
    end = axis + spatial
    out = tuple((size - d * (k - 1) - 1) // s + 1
                for size, k, s, d in zip(x.shape[axis:end], kernel, stride, dilation))
    steps = x.strides[axis:end]
    strides = (x.strides[:axis] + tuple(step * s for step, s in zip(steps, stride))
               + tuple(step * d for step, d in zip(steps, dilation)) + x.strides[end:])
    shape = x.shape[:axis] + out + tuple(kernel) + x.shape[end:]
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)


def fold(windows: np.ndarray, shape: Tuple[int, ...], stride: Tuple[int, ...],
         dilation: Optional[Tuple[int, ...]] = None, axis: int = 2) -> np.ndarray:
    """The adjoint of `unfold`: an array of `shape` in which each value of `windows` (laid
    out as `unfold` returns them) is added where `unfold` read it from, so an element shared
    by overlapping windows gets the sum, and one no window covers gets 0.

    Windows that share no element (stride >= the window's extent on every axis, as in most
    pooling) are written in one assignment through the same strided view. Overlapping ones
    take one strided add per kernel offset (25 for a 5 x 5 kernel), never one per window or
    channel: for a fixed offset the windows' elements are distinct, so each add is a plain
    slice add (`np.add.at` would be about 4x slower).
    """
    spatial = len(stride)
    dilation = dilation or (1,) * spatial
    end = axis + spatial
    sizes, kernel = windows.shape[axis:end], windows.shape[end:end + spatial]
    x = np.zeros(shape, dtype=windows.dtype)
    if disjoint(kernel, stride, dilation):
        unfold(x, kernel, stride, dilation, axis, writeable=True)[...] = windows
        return x
    lead = (slice(None),) * axis
    for offset in offsets(kernel):
        target = tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                       for k, d, s, o in zip(offset, dilation, stride, sizes))
        x[lead + target] += windows[lead + (slice(None),) * spatial + offset]
    return x


def offsets(kernel: Tuple[int, ...]) -> Iterator[Tuple[int, ...]]:
    """A window's offsets in row-major order (np.ndindex's, at a fraction of its cost)."""
    return itertools.product(*[range(k) for k in kernel])


def disjoint(kernel: Tuple[int, ...], stride: Tuple[int, ...],
             dilation: Optional[Tuple[int, ...]] = None) -> bool:
    """Whether windows of `kernel` placed every `stride` share no element: on every axis the
    stride spans the window's extent, or the window is one element wide."""
    dilation = dilation or (1,) * len(kernel)
    return all(k == 1 or s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def pad(x: np.ndarray, padding: Tuple[Tuple[int, int], ...], value: float = 0.0,
        axis: int = 2) -> np.ndarray:
    """x with the spatial axes from `axis` on padded by (before, after) elements of
    `value`; x itself when there is no padding. One allocation and one copy (np.pad's
    general machinery costs more on these small arrays)."""
    if not any(before or after for before, after in padding):
        return x
    end = axis + len(padding)
    shape = (x.shape[:axis] + tuple(size + before + after for size, (before, after)
                                     in zip(x.shape[axis:end], padding)) + x.shape[end:])
    out = np.full(shape, value, dtype=x.dtype)
    out[crop(padding, x.shape[axis:end], axis)] = x
    return out


def crop(padding: Tuple[Tuple[int, int], ...], sizes: Tuple[int, ...],
         axis: int = 2) -> Tuple[slice, ...]:
    """The index that takes the unpadded part (spatial `sizes`) out of a padded array."""
    return (slice(None),) * axis + tuple(slice(before, before + size)
                                         for (before, _), size in zip(padding, sizes))
