"""Max, average and adaptive pooling over one or two spatial axes, as PyTorch computes them.

Max and average pooling read the input's windows through a strided view of the (padded)
input (`common.unfold`); adaptive pooling, whose windows vary in size, gathers its max
windows once and writes its averages as a product with a small averaging matrix per axis.
No Python loop runs over the batch, the channels or the windows: the loops below run over
a window's offsets (4 for a 2 x 2 window), each step one elementwise op over every window.
"""
from typing import Any, List, NamedTuple, Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import crop, disjoint, float_data, fold, offsets, pad, unfold
from mytorch.tensor import Tensor


class Windows(NamedTuple):
    """Where a pooling's windows lie, per spatial axis."""

    kernel: Tuple[int, ...]
    stride: Tuple[int, ...]
    dilation: Tuple[int, ...]
    padding: Tuple[Tuple[int, int], ...]  # (before, after): after reaches ceil_mode's last window
    out: Tuple[int, ...]


def windows(op: str, spatial: int, shape: Tuple[int, ...], kernel_size: checks.Sizes,
            stride: Optional[checks.Sizes], padding: checks.Sizes, dilation: checks.Sizes,
            ceil_mode: bool) -> Windows:
    """The windows of a pooling over an input of `shape`, its arguments checked by
    PyTorch's rules; stride defaults to the kernel size."""
    checks.spatial_input(op, spatial, shape)
    kernel = checks.sizes(f"{op}: kernel_size", kernel_size, spatial)
    stride = kernel if stride is None else checks.sizes(f"{op}: stride", stride, spatial)
    padding = checks.sizes(f"{op}: padding", padding, spatial, minimum=0)
    dilation = checks.sizes(f"{op}: dilation", dilation, spatial)
    checks.pool_padding(op, padding, kernel, dilation)
    ceil_mode = checks.boolean(f"{op}: ceil_mode", ceil_mode)
    out = checks.windows(op, shape, kernel, stride, padding, dilation, ceil_mode)
    pads = tuple((p, max(0, (o - 1) * s + d * (k - 1) + 1 - size - p))
                 for p, o, s, d, k, size in zip(padding, out, stride, dilation, kernel, shape[2:]))
    return Windows(kernel, stride, dilation, pads, out)


def _slices(view: np.ndarray, kernel: Tuple[int, ...]) -> List[np.ndarray]:
    """The views (B, C, *out) of `view` (B, C, *out, *kernel) at each kernel offset, in
    row-major order."""
    return [view[(Ellipsis,) + offset] for offset in offsets(kernel)]


def _first_max(slices: List[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """The windows' maximum and which offset holds it, from `slices`, the windows' values
    at each offset (`_slices`): the first maximum in row-major order, and in a window with
    NaNs (whose maximum is NaN) the last NaN, as PyTorch's CPU kernels route them.

    One elementwise op per offset over all windows at once: faster than an argmax over a
    copy of the windows, whose rows of 4 are too short for NumPy's reductions.
    """
    out = slices[0].copy() if len(slices) == 1 else np.maximum(slices[0], slices[1])
    for values in slices[2:]:
        np.maximum(out, values, out=out)  # NaN wins, as in PyTorch
    # The first maximum's offset, from the last offsets back (Horner's rule): counting from
    # offset k it is 0 where offset k holds the maximum, else 1 + the count from k + 1.
    argmax = np.zeros(out.shape, dtype=np.min_scalar_type(len(slices) - 1))
    for values in reversed(slices[:-1]):
        argmax += 1
        argmax *= values != out
    if out.size and np.isnan(np.minimum.reduce(out, axis=None)):
        nan = np.isnan(out)  # no value equals NaN: point those windows at their last NaN
        for index, values in enumerate(slices):
            np.copyto(argmax, index, where=nan & np.isnan(values), casting="unsafe")
    return out, argmax


def _scan_max(op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
              stride: Optional[checks.Sizes], padding: checks.Sizes, dilation: checks.Sizes,
              ceil_mode: bool) -> Tuple[np.ndarray, np.ndarray, Windows]:
    """Max pooling's output, the offset of each window's maximum, and the windows."""
    geometry = windows(op, spatial, x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    padded = pad(float_data(x), geometry.padding, -np.inf)
    slices = _slices(unfold(padded, geometry.kernel, geometry.stride, geometry.dilation),
                      geometry.kernel)
    out, argmax = _first_max(slices)
    if any(before or after for before, after in geometry.padding):
        # A window whose input elements are all -inf ties with its padding: PyTorch points
        # it at its first element inside the input.
        lost = np.isneginf(out)
        if lost.any():
            for index, inside in reversed(list(enumerate(_inside(geometry, x.shape[2:])))):
                np.copyto(argmax, index, where=lost & inside, casting="unsafe")
    return out, argmax, geometry


def _positions(geometry: Windows, axis: int, offset: np.ndarray) -> np.ndarray:
    """The input positions along spatial `axis` of each window's element at `offset`
    (along that axis), shaped to broadcast over the output's spatial axes."""
    spatial = len(geometry.kernel)
    starts = np.arange(geometry.out[axis]) * geometry.stride[axis] - geometry.padding[axis][0]
    return starts.reshape((-1,) + (1,) * (spatial - 1 - axis)) + offset * geometry.dilation[axis]


def _inside(geometry: Windows, sizes: Tuple[int, ...]) -> List[np.ndarray]:
    """Per kernel offset, which windows' element at that offset lies inside the input
    (not in its padding), broadcastable over the output's spatial axes."""
    masks = []
    for offset in offsets(geometry.kernel):
        inside = np.ones((1,) * len(sizes), dtype=bool)
        for axis, (k, size) in enumerate(zip(offset, sizes)):
            position = _positions(geometry, axis, np.int64(k))
            inside = inside & (position >= 0) & (position < size)
        masks.append(inside)
    return masks


def _flat_indices(geometry: Windows, argmax: np.ndarray, sizes: Tuple[int, ...]) -> np.ndarray:
    """The maxima's positions as PyTorch's `return_indices` gives them: flat (row-major)
    indices into each input plane of spatial `sizes`, as int64."""
    flat = np.zeros(argmax.shape, dtype=np.int64)
    for axis, offset in enumerate(np.unravel_index(argmax, geometry.kernel)):
        flat = flat * sizes[axis] + _positions(geometry, axis, offset)
    return flat


def max_pool_indices(op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
                     stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                     dilation: checks.Sizes = 1, ceil_mode: bool = False) -> Tensor:
    """Where max pooling finds each maximum, as PyTorch's `return_indices`: an int64
    Tensor of the output's shape holding flat indices into each (B, C) plane of x."""
    _, argmax, geometry = _scan_max(op, spatial, x, kernel_size, stride, padding, dilation,
                                    ceil_mode)
    return Tensor(_flat_indices(geometry, argmax, x.shape[2:]))


class _MaxPool(Function):
    """y[b, c, *p] = max over the window at p * stride - padding (elements every
    `dilation`) of x[b, c], the padding counting as -inf. The gradient goes whole to the
    window's maximum, chosen as `_first_max` chooses it; an element that is the maximum
    of several overlapping windows gets the sum of their gradients.
    """

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes], padding: checks.Sizes, dilation: checks.Sizes,
             ceil_mode: bool) -> Tensor:
        out, argmax, geometry = _scan_max(op, spatial, x, kernel_size, stride, padding,
                                          dilation, ceil_mode)
        ctx.argmax, ctx.geometry, ctx.shape = argmax, geometry, x.shape
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        geometry, grad_windows = ctx.geometry, grad_output.data
        sizes = ctx.shape[2:]
        padded_sizes = tuple(size + before + after
                             for size, (before, after) in zip(sizes, geometry.padding))
        apart = disjoint(geometry.kernel, geometry.stride, geometry.dilation)
        # Windows that tile the input exactly write every element: nothing to zero first.
        # (Disjoint windows with stride == kernel are undilated wherever the kernel is wider
        # than 1, so the stride and the count decide it.)
        tiled = apart and all(s == k and o * s == size for k, s, o, size
                              in zip(geometry.kernel, geometry.stride, geometry.out, padded_sizes))
        grad = (np.empty if tiled else np.zeros)(ctx.shape[:2] + padded_sizes, dtype=grad_windows.dtype)
        targets = _slices(unfold(grad, geometry.kernel, geometry.stride, geometry.dilation,
                                  writeable=True), geometry.kernel)
        for index, target in enumerate(targets):
            if apart:  # each element in one window at most: write in place
                np.multiply(ctx.argmax == index, grad_windows, out=target)
            else:  # the adds sum overlapping windows; within one offset the targets are distinct
                target += (ctx.argmax == index) * grad_windows
        if padded_sizes != sizes:
            grad = np.ascontiguousarray(grad[crop(geometry.padding, sizes)])
        return Tensor(grad), None, None, None, None, None


class MaxPool1d(_MaxPool):
    """y[b, c, p] = max_k x[b, c, p * stride + k * dilation - padding] over k < kernel_size;
    x (B, C, W), y (B, C, W_out) with W_out = (W + 2 * padding - dilation * (kernel_size -
    1) - 1) // stride + 1, rounded up under ceil_mode; stride defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                dilation: checks.Sizes = 1, ceil_mode: bool = False) -> Tensor:
        return _MaxPool.pool(ctx, "MaxPool1d", 1, x, kernel_size, stride, padding, dilation,
                             ceil_mode)


class MaxPool2d(_MaxPool):
    """y[b, c, i, j] = max_{u, v} x_pad[b, c, i * s_h + u * d_h, j * s_w + v * d_w] over a
    (K_h, K_w) window, the padding counting as -inf; kernel_size, stride, padding and
    dilation are an int or an (h, w) pair; stride defaults to kernel_size."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                dilation: checks.Sizes = 1, ceil_mode: bool = False) -> Tensor:
        return _MaxPool.pool(ctx, "MaxPool2d", 2, x, kernel_size, stride, padding, dilation,
                             ceil_mode)


def _divisor(geometry: Windows, sizes: Tuple[int, ...], count_include_pad: bool,
             dtype: np.dtype) -> Any:
    """What average pooling divides each window's sum by, as PyTorch: the window's size,
    less the part past the padding (ceil_mode's last window), less the padding too unless
    `count_include_pad`. A Python int where every window has the same, else an array over
    the output's spatial axes in the data's dtype."""
    divisor: Any = 1
    for axis, (k, size, (before, _)) in enumerate(zip(geometry.kernel, sizes, geometry.padding)):
        start = _positions(geometry, axis, np.int64(0))
        end = np.minimum(start + k, size + before)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        divisor = divisor * (end - start)
    if np.all(divisor == divisor.flat[0]):
        return int(divisor.flat[0])
    return divisor.astype(dtype)


class _AvgPool(Function):
    """y[b, c, *p] = (sum over the window at p * stride - padding of x[b, c]) / divisor,
    the padding counting as 0; the divisor is the window's size (`_divisor`) or
    divisor_override. Each element of a window gets dy / divisor, summed over the windows
    it belongs to."""

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, kernel_size: checks.Sizes,
             stride: Optional[checks.Sizes], padding: checks.Sizes, ceil_mode: bool,
             count_include_pad: bool, divisor_override: Optional[int]) -> Tensor:
        geometry = windows(op, spatial, x.shape, kernel_size, stride, padding, 1, ceil_mode)
        count_include_pad = checks.boolean(f"{op}: count_include_pad", count_include_pad)
        data = float_data(x)
        if divisor_override is None:
            divisor = _divisor(geometry, x.shape[2:], count_include_pad, data.dtype)
        else:
            divisor = checks.positive_int(f"{op}: divisor_override", divisor_override)
        slices = _slices(unfold(pad(data, geometry.padding), geometry.kernel, geometry.stride),
                          geometry.kernel)
        total = slices[0].copy() if len(slices) == 1 else slices[0] + slices[1]
        for values in slices[2:]:
            total += values
        total /= divisor
        ctx.geometry, ctx.shape, ctx.dtype, ctx.divisor = geometry, x.shape, data.dtype, divisor
        return Tensor(total)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        geometry, sizes = ctx.geometry, ctx.shape[2:]
        share = grad_output.data / ctx.divisor
        spread = np.broadcast_to(share.reshape(share.shape + (1,) * len(sizes)),
                                 share.shape + geometry.kernel)
        padded_sizes = tuple(size + before + after
                             for size, (before, after) in zip(sizes, geometry.padding))
        grad = fold(spread, ctx.shape[:2] + padded_sizes, geometry.stride)
        if padded_sizes != sizes:
            grad = np.ascontiguousarray(grad[crop(geometry.padding, sizes)])
        return (Tensor(grad.astype(ctx.dtype, copy=False)),) + (None,) * 6


class AvgPool1d(_AvgPool):
    """y[b, c, p] = sum_{k < kernel_size} x_pad[b, c, p * stride + k] / divisor; x (B, C,
    W); stride defaults to kernel_size; the divisor is kernel_size, or the window's part
    inside the input when count_include_pad is False."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
        return _AvgPool.pool(ctx, "AvgPool1d", 1, x, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, None)


class AvgPool2d(_AvgPool):
    """y[b, c, i, j] = sum_{u, v} x_pad[b, c, i * s_h + u, j * s_w + v] / divisor over a
    (K_h, K_w) window; kernel_size, stride and padding are an int or an (h, w) pair; stride
    defaults to kernel_size; the divisor is divisor_override if given, else as AvgPool1d's."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, kernel_size: checks.Sizes,
                stride: Optional[checks.Sizes] = None, padding: checks.Sizes = 0,
                ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: Optional[int] = None) -> Tensor:
        return _AvgPool.pool(ctx, "AvgPool2d", 2, x, kernel_size, stride, padding, ceil_mode,
                             count_include_pad, divisor_override)


# ------------------------------------------------------------------------- adaptive pooling

def adaptive_bounds(size: int, out: int) -> Tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows along an axis of `size` cut into `out`: window i covers
    [floor(i * size / out), ceil((i + 1) * size / out))."""
    index = np.arange(out)
    return index * size // out, -(-(index + 1) * size // out)


class _AdaptiveAvgPool(Function):
    """y[b, c, *i] = mean of x[b, c] over the adaptive window i (`adaptive_bounds`) on each
    axis. The mean along an axis is a product with an (out, size) matrix A holding 1 /
    (window size) inside each window, so y = A_h @ x @ A_w.T and dx = A_h.T @ dy @ A_w."""

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        checks.spatial_input(op, spatial, x.shape)
        out_sizes = checks.output_size(op, output_size, x.shape)
        data = float_data(x)
        matrices = []
        for size, out in zip(x.shape[2:], out_sizes):
            start, end = adaptive_bounds(size, out)
            position = np.arange(size)
            inside = (position >= start[:, None]) & (position < end[:, None])
            matrices.append((inside / (end - start)[:, None]).astype(data.dtype))
        result = data @ matrices[-1].T
        if spatial == 2:
            result = matrices[0] @ result
        ctx.matrices = matrices
        return Tensor(result)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        matrices = ctx.matrices
        grad = grad_output.data @ matrices[-1]
        if len(matrices) == 2:
            grad = matrices[0].T @ grad
        return Tensor(grad), None


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """y[b, c, i] = mean of x[b, c, floor(i * W / out) : ceil((i + 1) * W / out)]; x (B, C,
    W), output_size an int (or None: W)."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        return _AdaptiveAvgPool.pool(ctx, "AdaptiveAvgPool1d", 1, x, output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """y[b, c, i, j] = mean of x[b, c] over rows floor(i * H / out_h) : ceil((i + 1) * H /
    out_h) and likewise columns; output_size an int or an (h, w) pair whose entries may be
    None (the input's size)."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        return _AdaptiveAvgPool.pool(ctx, "AdaptiveAvgPool2d", 2, x, output_size)


def _scan_adaptive_max(op: str, spatial: int, x: Tensor,
                       output_size: checks.OutputSize) -> Tuple[np.ndarray, np.ndarray]:
    """Adaptive max pooling's output and the flat per-plane index of each window's maximum
    (chosen as `_first_max` chooses it)."""
    checks.spatial_input(op, spatial, x.shape)
    out_sizes = checks.output_size(op, output_size, x.shape)
    # Each axis's windows as (out, longest) input positions, the shorter ones repeating
    # their last position: a repeat never changes the maximum, nor its first occurrence.
    positions = []
    for size, out in zip(x.shape[2:], out_sizes):
        start, end = adaptive_bounds(size, out)
        longest = int((end - start).max())
        positions.append(np.minimum(start[:, None] + np.arange(longest), end[:, None] - 1))
    index = []
    for axis, grid in enumerate(positions):
        shape = [1] * (2 * spatial)
        shape[axis], shape[spatial + axis] = grid.shape
        index.append(grid.reshape(shape))
    gathered = float_data(x)[(slice(None), slice(None)) + tuple(index)]  # (B, C, *out, *longest)
    kernel = tuple(grid.shape[1] for grid in positions)
    out, argmax = _first_max(_slices(gathered, kernel))
    flat = np.zeros(argmax.shape, dtype=np.int64)
    for axis, offset in enumerate(np.unravel_index(argmax, kernel)):
        rows = np.arange(out_sizes[axis]).reshape((-1,) + (1,) * (spatial - 1 - axis))
        flat = flat * x.shape[2 + axis] + positions[axis][rows, offset]
    return out, flat


def adaptive_max_pool_indices(op: str, spatial: int, x: Tensor, output_size: checks.OutputSize) -> Tensor:
    """Where adaptive max pooling finds each maximum: flat indices into each (B, C) plane
    of x, an int64 Tensor of the output's shape, as PyTorch's `return_indices`."""
    return Tensor(_scan_adaptive_max(op, spatial, x, output_size)[1])


class _AdaptiveMaxPool(Function):
    """y[b, c, *i] = max of x[b, c] over the adaptive window i (`adaptive_bounds`). The
    gradient goes whole to the window's maximum; windows may overlap, so an element gets
    the sum over the windows whose maximum it is."""

    @staticmethod
    def pool(ctx: ContextManager, op: str, spatial: int, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        out, ctx.flat = _scan_adaptive_max(op, spatial, x, output_size)
        ctx.shape = x.shape
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        shape, grad = ctx.shape, grad_output.data
        planes, plane = shape[0] * shape[1], int(np.prod(shape[2:]))
        targets = ctx.flat + (np.arange(planes) * plane).reshape(shape[:2] + (1,) * (len(shape) - 2))
        # One scatter-add over all planes (bincount: np.add.at is several times slower).
        summed = np.bincount(targets.ravel(), weights=grad.ravel(), minlength=planes * plane)
        return Tensor(summed.reshape(shape).astype(grad.dtype, copy=False)), None


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """y[b, c, i] = max of x[b, c, floor(i * W / out) : ceil((i + 1) * W / out)]; x (B, C, W),
    output_size an int (or None: W)."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        return _AdaptiveMaxPool.pool(ctx, "AdaptiveMaxPool1d", 1, x, output_size)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """y[b, c, i, j] = max of x[b, c] over rows floor(i * H / out_h) : ceil((i + 1) * H /
    out_h) and likewise columns; output_size an int or an (h, w) pair whose entries may be
    None (the input's size)."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, output_size: checks.OutputSize) -> Tensor:
        return _AdaptiveMaxPool.pool(ctx, "AdaptiveMaxPool2d", 2, x, output_size)
