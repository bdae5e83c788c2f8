"""Argument checks: one rule per concept, used by every op, layer, optimizer and program.

Each check returns the value it accepted (normalised where that helps, e.g. an axis
made non-negative) and otherwise raises `ValueError` (`TypeError` for a value of
the wrong kind where PyTorch raises one) with a message that names the argument and
the value. Where PyTorch has a rule, it is PyTorch's: a learning rate of 0 is
allowed, a dropout probability may be 1.

    from mytorch import checks
    self.lr = checks.non_negative("lr", lr)
"""
import numbers
import os
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

Axis = Union[None, int, Sequence[int]]
Sizes = Union[int, Sequence[int]]  # a kernel size, stride or padding: one int, or one per axis
OutputSize = Union[None, int, Sequence[Optional[int]]]  # an adaptive pooling's output size

LOSS_REDUCTIONS = ("mean", "sum", "none")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
NUMERIC_KINDS = "biuf"  # dtype kinds a Tensor may hold: bool, signed and unsigned integers, floats
MAX_SEED = 2 ** 32 - 1  # NumPy's seeds are 32-bit


def _is_int(value: Any) -> bool:
    # bool is an int subclass, but Linear(True, 3) is surely a slip. A plain int first:
    # the abstract-class check costs a microsecond, and convolution and pooling check
    # several sizes per call.
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, bool))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(name: str, value: Any) -> int:
    """An integer, NumPy's included (not a bool)."""
    if not _is_int(value):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def number(name: str, value: Any) -> float:
    """A real number (NumPy's too, not a bool): a bound such as clamp's min."""
    if not _is_real(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return value


def positive_int(name: str, value: Any) -> int:
    """An integer > 0: sizes, channels, kernel sizes, strides, epochs, batch sizes."""
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(name: str, value: Any) -> int:
    """An integer >= 0: paddings, counts that may be zero."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def non_negative(name: str, value: Any) -> float:
    """A finite or infinite number >= 0 (NaN is not): learning rates, momentum, decay, eps."""
    if not _is_real(value) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return value


def positive(name: str, value: Any) -> float:
    """A number > 0 (NaN is not): BatchNorm's eps."""
    if not _is_real(value) or not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return value


def finite_positive(name: str, value: Any) -> float:
    """A finite number > 0: a learning rate typed on the command line, where inf is a slip."""
    if not _is_real(value) or not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def in_range(name: str, value: Any, low: float, high: float, *,
             include_high: bool = True) -> float:
    """A number in [low, high], or [low, high) with include_high=False."""
    inside = _is_real(value) and (low <= value <= high if include_high else low <= value < high)
    if not inside:
        bracket = "]" if include_high else ")"
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")
    return value


def rank(name: str, value: Any, world_size: int) -> int:
    """A process's rank among `world_size` processes: an integer in [0, world_size - 1]."""
    if not _is_int(value) or not 0 <= value < world_size:
        raise ValueError(f"{name} must be a rank in [0, {world_size - 1}], got {value!r}")
    return int(value)


def probability(name: str, value: Any) -> float:
    """A probability in [0, 1], as PyTorch's dropout `p`."""
    return in_range(name, value, 0, 1)


def one_of(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of the strings `choices`: reductions, nonlinearities, modes."""
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {expected}, got {value!r}")
    return value


def boolean(name: str, value: Any) -> bool:
    """True or False (NumPy's bool too), not a truthy stand-in such as 'eval' or 0."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _as_dtype(value: Any) -> Optional[np.dtype]:
    """`value` (a dtype, a scalar type such as np.float32, or a name) as an np.dtype, or None."""
    if value is None:  # np.dtype(None) would be float64
        return None
    try:
        return np.dtype(value)
    except TypeError:
        return None


def float_dtype(name: str, value: Any) -> np.dtype:
    """np.float32 or np.float64 (or their names): the float dtypes the library computes in."""
    dtype = _as_dtype(value)
    if dtype is None or dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {value!r}")
    return dtype


def numeric_dtype(name: str, value: Any) -> np.dtype:
    """A dtype a Tensor may hold: bool, integer or float."""
    dtype = _as_dtype(value)
    if dtype is None or dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{name} must be a bool, integer or float dtype, got {value!r}")
    return dtype


def module_name(owner: str, name: Any) -> str:
    """A submodule's name: a non-empty string without '.', which joins names in `state_dict`.

    TypeError for a non-string and KeyError otherwise, as PyTorch's `add_module`.
    """
    if not isinstance(name, str):
        raise TypeError(f"{owner}: a module name must be a string, got {name!r}")
    if not name or "." in name:
        raise KeyError(f"{owner}: a module name must be non-empty and without '.', got {name!r}")
    return name


def seed(value: Any, name: str = "seed") -> int:
    """A seed NumPy accepts: an integer in [0, 2**32 - 1]."""
    if not _is_int(value) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {value!r}")
    return int(value)


def output_file(name: str, value: Any, suffixes: Sequence[str]) -> Path:
    """A file a program may write: not a folder, with one of `suffixes` (e.g. '.png'),
    in a folder that exists and is writable, or can be made (its nearest existing
    ancestor is a writable folder). Checked before any work, so a long run never ends
    on a path it cannot write."""
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{name} must end in {', '.join(suffixes)}, got {str(value)!r}")
    if path.is_dir():
        raise ValueError(f"{name} must be a file, got the folder {str(value)!r}")
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: cannot write {str(value)!r}: {str(folder)!r} is not a "
                         "writable folder")
    return path


def reduction(op: str, value: Any) -> str:
    """A loss reduction: 'mean', 'sum' or 'none'."""
    return one_of(f"{op}: reduction", value, LOSS_REDUCTIONS)


def dim(op: str, value: Any, shape: Tuple[int, ...]) -> int:
    """An axis of a tensor of `shape`, made non-negative.

    A 0-d tensor counts as having one axis, as in PyTorch, so 0 and -1 are its axes.
    """
    size = max(len(shape), 1)
    integer(f"{op}: dim", value)
    if not -size <= value < size:
        raise ValueError(f"{op}: dim {value} is out of range for a tensor of shape {shape} "
                         f"(expected {-size} <= dim < {size})")
    return int(value) % size


def axes(op: str, axis: Axis, shape: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    """The axes a reduction over `axis` removes from `shape`, non-negative and sorted;
    None for every axis.

    A 0-d tensor has one axis (0 or -1), which reduces nothing. Raises ValueError,
    naming the op, the axis and the shape, for an axis out of range or given twice.
    """
    if axis is None:
        return None
    listed = (axis,) if _is_int(axis) else axis
    if isinstance(listed, (list, tuple)) and all(_is_int(a) for a in listed):
        normalised = []
        for a in listed:
            try:
                normalised.append(dim(op, a, shape))
            except ValueError:
                raise ValueError(f"{op}: axis {a} is out of range for a tensor of shape "
                                 f"{shape}") from None
        if len(set(normalised)) != len(normalised):
            raise ValueError(f"{op}: duplicate axis in {tuple(listed)} for a tensor of shape {shape}")
        return tuple(sorted(normalised)) if shape else None
    raise ValueError(f"{op}: axis must be None, an integer or a sequence of integers, got {axis!r}")


def permutation(op: str, dims: Sequence[Any], shape: Tuple[int, ...]) -> Tuple[int, ...]:
    """`dims` as a permutation of the axes of `shape`, each made non-negative."""
    if len(dims) != len(shape):
        raise ValueError(f"{op}: {tuple(dims)} has {len(dims)} axes for a tensor of shape "
                         f"{shape} ({len(shape)} axes)")
    normalised = tuple(dim(op, d, shape) for d in dims)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"{op}: duplicate axis in {tuple(dims)} for a tensor of shape {shape}")
    return normalised


# Each signed integer dtype's unsigned twin, of the same size (see `all_classes`).
_UNSIGNED = {np.dtype(code): np.dtype(code.upper()) for code in "bhilq"}


def all_classes(labels: np.ndarray, classes: int) -> bool:
    """Whether every one of the integer `labels` is in [0, classes), in one pass over them:
    read as unsigned, a negative label is larger than any class count. (The ufunc's own
    reduction: ndarray.max adds a Python wrapper on the hot path.)"""
    if not labels.size:
        return True
    unsigned = _UNSIGNED.get(labels.dtype)
    if unsigned is not None:
        return bool(np.maximum.reduce(labels.view(unsigned), axis=None) < classes)
    return bool(np.minimum.reduce(labels, axis=None) >= 0
                and np.maximum.reduce(labels, axis=None) < classes)


def class_indices(op: str, labels: np.ndarray, classes: int, name: str = "target") -> np.ndarray:
    """Integer class indices, each in [0, classes).

    Raises ValueError naming the first bad label and its position.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: {name} must hold integer class indices, got dtype {labels.dtype}")
    if not all_classes(labels, classes):
        position = np.argwhere((labels < 0) | (labels >= classes))[0]
        where = int(position[0]) if len(position) == 1 else tuple(int(p) for p in position)
        raise ValueError(f"{op}: {name} {labels[tuple(position)]} at index {where} is out of "
                         f"range for {classes} classes (expected 0 <= {name} < {classes})")
    return labels


# ------------------------------------------- sliding windows: convolution and pooling

def spatial_input(op: str, spatial: int, input_shape: Tuple[int, ...],
                  unbatched: bool = False) -> None:
    """An input (batch, channels, *spatial sizes) with `spatial` spatial axes, or with
    `unbatched` also one sample (channels, *spatial sizes), as PyTorch's layers take it."""
    if len(input_shape) == spatial + 2 or (unbatched and len(input_shape) == spatial + 1):
        return
    names = ", ".join(("D", "H", "W")[-spatial:]) if spatial <= 3 else "..."
    one = f" or {spatial + 1} (C, {names})" if unbatched else ""
    raise ValueError(f"{op}: expected an input of {spatial + 2} dimensions (B, C, {names}){one}, "
                     f"got shape {input_shape}")


def sizes(name: str, value: Any, count: int, minimum: int = 1) -> Tuple[int, ...]:
    """An integer or a sequence of `count` integers, each >= `minimum`, as a tuple of
    `count`: kernel sizes and strides (minimum 1), paddings (minimum 0), as PyTorch's
    `kernel_size=5` or `kernel_size=(5, 3)`."""
    values = (value,) * count if _is_int(value) else value
    if (not isinstance(values, (tuple, list)) or len(values) != count
            or not all(_is_int(v) and v >= minimum for v in values)):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be a {kind} integer or a sequence of {count} {kind} "
                         f"integers, got {value!r}")
    return tuple(int(v) for v in values)


def windows(op: str, input_shape: Tuple[int, ...], kernel: Tuple[int, ...],
            stride: Tuple[int, ...], padding: Tuple[Any, ...],
            dilation: Optional[Tuple[int, ...]] = None, ceil_mode: bool = False) -> Tuple[int, ...]:
    """The output's spatial sizes for windows sliding over an input (batch, channels,
    *spatial) with one spatial axis per kernel size, as PyTorch counts them. Per axis,
    with padding p (an int for both ends, or a (before, after) pair) and the window's
    extent e = dilation * (kernel - 1) + 1:

        (size + p_before + p_after - e) // stride + 1

    rounded up instead with `ceil_mode` (pooling), except that the last window must start
    inside the input or its leading padding. ValueError, naming the op and the shapes, for
    another number of axes or a window larger than the padded input."""
    spatial = len(kernel)
    spatial_input(op, spatial, input_shape)
    dilation = dilation or (1,) * spatial
    sizes_out = []
    for size, k, s, p, d in zip(input_shape[2:], kernel, stride, padding, dilation):
        before, after = (p, p) if _is_int(p) else p
        room = size + before + after - (d * (k - 1) + 1)
        if room < 0:
            dilated = f" with dilation {tuple(dilation)}" if any(d != 1 for d in dilation) else ""
            raise ValueError(f"{op}: kernel size {tuple(kernel)}{dilated} is larger than the "
                             f"input's spatial size {tuple(input_shape[2:])} (padding "
                             f"{tuple(padding)}; input of shape {tuple(input_shape)})")
        count = (-(-room // s) if ceil_mode else room // s) + 1
        if ceil_mode and (count - 1) * s >= size + before:
            count -= 1
        sizes_out.append(count)
    return tuple(sizes_out)


def conv_padding(op: str, value: Any, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                 dilation: Tuple[int, ...]) -> Tuple[Tuple[int, int], ...]:
    """A convolution's padding as one (before, after) pair per spatial axis: an int or one
    int per axis (both ends), 'valid' (none) or 'same' (the output as large as the input,
    stride 1 only; an odd total puts the extra zero after, as PyTorch does)."""
    spatial = len(kernel)
    if isinstance(value, str):
        one_of(f"{op}: padding", value, ("same", "valid"))
        if value == "valid":
            return ((0, 0),) * spatial
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride {tuple(stride)})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    return tuple((p, p) for p in sizes(f"{op}: padding", value, spatial, minimum=0))


def pool_padding(op: str, padding: Tuple[int, ...], kernel: Tuple[int, ...],
                 dilation: Tuple[int, ...]) -> Tuple[int, ...]:
    """A pooling's padding: at most half the window's extent on each axis, PyTorch's rule
    (so every window holds at least one element of the input)."""
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(padding, kernel, dilation)):
        raise ValueError(f"{op}: padding {tuple(padding)} must be at most half of the kernel "
                         f"size {tuple(kernel)} (with dilation {tuple(dilation)}) on each axis")
    return padding


def groups(op: str, value: Any, in_channels: int, out_channels: int) -> int:
    """A convolution's number of groups: a positive integer dividing both channel counts."""
    count = positive_int(f"{op}: groups", value)
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % count:
            raise ValueError(f"{op}: {name} ({channels}) must be divisible by groups ({count})")
    return count


def output_size(op: str, value: OutputSize, input_shape: Tuple[int, ...]) -> Tuple[int, ...]:
    """An adaptive pooling's output size for an input (batch, channels, *spatial) with no
    empty axis but the batch: an int, or one entry per spatial axis, each a positive int
    or None (the input's size there)."""
    spatial = len(input_shape) - 2
    if not all(input_shape[1:]):
        raise ValueError(f"{op}: expected an input with non-zero sizes except the batch's, got "
                         f"shape {input_shape}")
    entries = (value,) * spatial if value is None or _is_int(value) else value
    if (not isinstance(entries, (tuple, list)) or len(entries) != spatial
            or not all(e is None or (_is_int(e) and e > 0) for e in entries)):
        raise ValueError(f"{op}: output_size must be a positive integer or a sequence of {spatial} "
                         f"positive integers or None, got {value!r}")
    return tuple(size if e is None else int(e) for e, size in zip(entries, input_shape[2:]))


def conv_weight(op: str, spatial: int, input_shape: Tuple[int, ...], weight_shape: Tuple[int, ...],
                bias_shape: Optional[Tuple[int, ...]], groups: int = 1) -> None:
    """A convolution over `spatial` axes in `groups` groups: input (batch, in_channels,
    *spatial sizes), weight (out_channels, in_channels / groups, *kernel) with out_channels
    divisible by groups, bias (out_channels,) or None. ValueError naming the op and the
    shapes otherwise."""
    spatial_input(op, spatial, input_shape)
    if len(weight_shape) != spatial + 2:
        raise ValueError(f"{op}: expected a weight of {spatial + 2} dimensions (out_channels, "
                         f"in_channels, {', '.join(['kernel'] * spatial)}), got shape {weight_shape}")
    if weight_shape[1] * groups != input_shape[1]:
        per_group = f" ({weight_shape[1]} per group, groups={groups})" if groups > 1 else ""
        raise ValueError(f"{op}: the input has {input_shape[1]} channels (shape {input_shape}) "
                         f"but the weight of shape {weight_shape} expects "
                         f"{weight_shape[1] * groups}{per_group}")
    if weight_shape[0] % groups:
        raise ValueError(f"{op}: the weight's {weight_shape[0]} output channels (shape "
                         f"{weight_shape}) are not divisible by groups={groups}")
    if bias_shape is not None and bias_shape != weight_shape[:1]:
        raise ValueError(f"{op}: bias of shape {bias_shape} for a weight of shape {weight_shape} "
                         f"(expected ({weight_shape[0]},))")


def features(op: str, shape: Tuple[int, ...], size: int, ndims: Sequence[int],
             layout: str) -> Tuple[int, ...]:
    """The shape of an input whose last axis holds `size` features and whose number of
    axes is one of `ndims`; `layout` names the axes in the message, e.g. "(batch, 28)".

    Raises ValueError naming the op, the shape and the expected layout.
    """
    if len(shape) not in ndims or shape[-1] != size:
        raise ValueError(f"{op}: input of shape {shape} does not match its input size {size} "
                         f"(expected {layout})")
    return shape


# ------------------------------------------------------------------ layers and losses

def normalized_shape(op: str, value: Any) -> Tuple[int, ...]:
    """LayerNorm's `normalized_shape`: a positive integer or a sequence of them (the
    trailing sizes to normalise over), as a tuple."""
    values = (value,) if _is_int(value) else value
    if (not isinstance(values, (tuple, list)) or not values
            or not all(_is_int(v) and v > 0 for v in values)):
        raise ValueError(f"{op}: normalized_shape must be a positive integer or a non-empty "
                         f"sequence of positive integers, got {value!r}")
    return tuple(int(v) for v in values)


def loss_reduction(op: str, size_average: Any, reduce: Any, value: Any) -> str:
    """The reduction a loss is asked for: `value` ('mean', 'sum' or 'none'), or what
    PyTorch's deprecated `size_average` / `reduce` booleans give when either is set
    (reduce=False: 'none'; else size_average=False: 'sum'; else 'mean').

    A string in their place is a TypeError: PyTorch's positional order puts them (or a
    weight) before `reduction`, so `mse_loss(a, b, 'sum')` would not mean 'sum' there.
    """
    for name, legacy in (("size_average", size_average), ("reduce", reduce)):
        if isinstance(legacy, str):
            raise TypeError(f"{op}: got {legacy!r} for {name}; pass the reduction by keyword, "
                            f"reduction={legacy!r} (PyTorch's positional order puts {name} there)")
    if size_average is None and reduce is None:
        return reduction(op, value)
    if reduce is not None and not boolean(f"{op}: reduce", reduce):
        return "none"
    if size_average is not None and not boolean(f"{op}: size_average", size_average):
        return "sum"
    return "mean"
