"""The methods a Tensor gets from the ops: comparisons, shape changes, reductions, elementwise
math and dtype conversions, under PyTorch's names and with PyTorch's meaning
(`t.sum(dim=1)`, `t.view(2, -1)`, `t.max(1)` giving values and indices).

Where NumPy and PyTorch differ, PyTorch's keywords (`dim`, `keepdim`, `correction`,
`unbiased`) and positional order win; NumPy's keywords (`axis`, `keepdims`) keep
NumPy's meaning (`t.max(axis=1)` is the values only, as `ndarray.max`).

`Tensor` inherits them from `TensorMethods`; `tensor.py` keeps the data, the graph
attributes, the operators and the in-place updates. The ops are looked up as
`mytorch.ops` when a method runs, because the ops themselves import `Tensor`.
"""
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

import mytorch
from mytorch import checks, devices, return_types

if TYPE_CHECKING:
    from mytorch.tensor import Tensor

Axis = Union[None, int, Sequence[int]]  # an axis, several, or None for all

# PyTorch's legacy tensor type names, which `Tensor.type()` gives and takes.
TYPE_NAMES = {np.dtype(np.float32): "torch.FloatTensor", np.dtype(np.float64): "torch.DoubleTensor",
              np.dtype(np.float16): "torch.HalfTensor", np.dtype(np.int64): "torch.LongTensor",
              np.dtype(np.int32): "torch.IntTensor", np.dtype(np.int16): "torch.ShortTensor",
              np.dtype(np.int8): "torch.CharTensor", np.dtype(np.uint8): "torch.ByteTensor",
              np.dtype(np.bool_): "torch.BoolTensor"}
_TYPES_BY_NAME = {name: dtype for dtype, name in TYPE_NAMES.items()}


def shape_arg(shape: Tuple[Any, ...]) -> Tuple[int, ...]:
    """Accept both `f(2, 3)` and `f((2, 3))`, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


class TensorMethods:
    """PyTorch's Tensor methods, each a call of an op (mixed into `Tensor`)."""

    # ----------------------------------------------------------------- comparisons

    # Comparisons give bool tensors outside the graph, as in PyTorch. Defining __eq__
    # would make Tensor unhashable; tensors stay hashable by identity, so they can be
    # dict keys and set members as before.
    __hash__ = object.__hash__

    def _compare(self, ufunc: np.ufunc, symbol: str, other: Any) -> "Tensor":
        if not isinstance(other, (mytorch.tensor.Tensor, np.ndarray, numbers.Number, list, tuple)):
            return NotImplemented  # e.g. `t == None`: Python falls back to identity
        result = mytorch.ops.common.broadcasting(ufunc, self, self._operand(other), symbol)
        return mytorch.tensor.Tensor(result)

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(np.less, "<", other)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(np.less_equal, "<=", other)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(np.greater, ">", other)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(np.greater_equal, ">=", other)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.equal, "==", other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.not_equal, "!=", other)

    # PyTorch's method names for the comparisons.
    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    # Bitwise and logical ops: on bool tensors (masks) and integers, outside the graph.

    def _bitwise(self, ufunc: np.ufunc, symbol: str, other: Any) -> "Tensor":
        other = self._operand(other) if not isinstance(other, bool) else mytorch.tensor.Tensor(np.asarray(other))
        for value in (self, other):
            if value.dtype.kind not in "biu":
                raise TypeError(f"{symbol}: expects bool or integer tensors, got dtype {value.dtype}")
        return mytorch.tensor.Tensor(mytorch.ops.common.broadcasting(ufunc, self, other, symbol))

    def __and__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_and, "&", other)

    def __or__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_or, "|", other)

    def __xor__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_xor, "^", other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> "Tensor":
        """~t: logical not of a bool tensor, bitwise not of an integer one."""
        if self.dtype.kind not in "biu":
            raise TypeError(f"~: expects a bool or integer tensor, got dtype {self.dtype}")
        return mytorch.tensor.Tensor(np.invert(self.data))

    def logical_not(self) -> "Tensor":
        """Whether each element is zero: a bool tensor, as `torch.logical_not`."""
        return mytorch.tensor.Tensor(np.logical_not(self.data))

    def logical_and(self, other: Any) -> "Tensor":
        """Whether both are nonzero, with broadcasting: a bool tensor."""
        return mytorch.tensor.Tensor(mytorch.ops.common.broadcasting(
            np.logical_and, self, self._operand(other), "logical_and"))

    def logical_or(self, other: Any) -> "Tensor":
        """Whether either is nonzero, with broadcasting: a bool tensor."""
        return mytorch.tensor.Tensor(mytorch.ops.common.broadcasting(
            np.logical_or, self, self._operand(other), "logical_or"))

    def equal(self, other: "Tensor") -> bool:
        """Whether other has the same shape and the same values, as `torch.equal`."""
        other = _tensor_argument("equal", other)
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> "Tensor":
        """|self - other| <= atol + rtol * |other| elementwise, as `torch.isclose` (a bool tensor)."""
        other = self._operand(other)
        return mytorch.tensor.Tensor(np.isclose(self.data, other.data, rtol=rtol, atol=atol,
                                                equal_nan=checks.boolean("isclose: equal_nan", equal_nan)))

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """Whether `isclose` holds everywhere, as `torch.allclose`."""
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    # ---------------------------------------------------------------------- shapes

    def dim(self) -> int:
        """The number of axes, as `torch.Tensor.dim()`."""
        return self.ndim

    def nelement(self) -> int:
        """The number of elements (PyTorch's other name for `numel`)."""
        return self.numel()

    def reshape(self, *shape: int) -> "Tensor":
        """The same elements in `shape` (-1 for one inferred size); a view when the layout
        allows, else a copy, as `torch.reshape`."""
        return mytorch.ops.Reshape.apply(self, shape_arg(shape))

    def reshape_as(self, other: "Tensor") -> "Tensor":
        """`self.reshape(other.shape)`."""
        return self.reshape(_tensor_argument("reshape_as", other).shape)

    def view(self, *shape: int) -> "Tensor":
        """The same elements in `shape`, sharing memory, as `torch.Tensor.view`; an error
        where that needs a copy (after a transpose, say): use `reshape` there."""
        return mytorch.ops.View.apply(self, shape_arg(shape))

    def view_as(self, other: "Tensor") -> "Tensor":
        """`self.view(other.shape)`."""
        return self.view(_tensor_argument("view_as", other).shape)

    def transpose(self, dim0: Optional[int] = None, dim1: Optional[int] = None) -> "Tensor":
        """Swap axes dim0 and dim1 (a view), as `torch.Tensor.transpose`; with no arguments,
        reverse the axes (the handout's `transpose()`, same as `.T`)."""
        if dim0 is None and dim1 is None:
            return mytorch.ops.Transpose.apply(self)
        if dim0 is None or dim1 is None:
            raise ValueError(f"transpose: give both dims or neither, got dim0={dim0!r}, dim1={dim1!r}")
        first, second = checks.dim("transpose", dim0, self.shape), checks.dim("transpose", dim1, self.shape)
        axes = list(range(self.ndim))
        if axes:
            axes[first], axes[second] = axes[second], axes[first]
        return mytorch.ops.Transpose.apply(self, tuple(axes))

    def t(self) -> "Tensor":
        """The transpose of a matrix (a 0-d or 1-d tensor as it is), as `torch.Tensor.t`."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}; "
                             "use transpose(dim0, dim1)")
        return mytorch.ops.Transpose.apply(self)

    def permute(self, *dims: int) -> "Tensor":
        """Reorder the axes: output axis i is input axis dims[i], as `torch.Tensor.permute`."""
        return mytorch.ops.Transpose.apply(self, shape_arg(dims))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge axes start_dim..end_dim into one, as `torch.flatten` (a 0-d tensor gives shape (1,))."""
        if self.ndim == 0:
            return mytorch.ops.Reshape.apply(self, (1,))
        start, end = checks.dim("flatten", start_dim, self.shape), checks.dim("flatten", end_dim, self.shape)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                             f"tensor of shape {self.shape}")
        return mytorch.ops.Reshape.apply(self, self.shape[:start] + (-1,) + self.shape[end + 1:])

    def expand(self, *sizes: int) -> "Tensor":
        """Broadcast to `sizes` without copying, as `torch.Tensor.expand`: -1 keeps an axis,
        an axis of size 1 may grow, and new axes go in front."""
        return mytorch.ops.Expand.apply(self, shape_arg(sizes))

    def expand_as(self, other: "Tensor") -> "Tensor":
        """`self.expand(other.shape)`."""
        return self.expand(_tensor_argument("expand_as", other).shape)

    def unsqueeze(self, dim: int = 0) -> "Tensor":
        """A new axis of size 1 at `dim`, as `torch.Tensor.unsqueeze` (the handout's default: 0)."""
        return mytorch.ops.Unsqueeze.apply(self, dim)

    def squeeze(self, dim: Optional[int] = None) -> "Tensor":
        """Without its axes of size 1, or only axis `dim` if its size is 1, as `torch.Tensor.squeeze`."""
        return mytorch.ops.Squeeze.apply(self, dim)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """Elements start..start+length-1 along `dim` (a view), as `torch.Tensor.narrow`."""
        if not self.ndim:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        axis = checks.dim("narrow", dim, self.shape)
        size = self.shape[axis]
        start = checks.integer("narrow: start", start)
        length = checks.non_negative_int("narrow: length", length)
        if start < 0:
            start += size
        if not 0 <= start <= size - length:
            raise IndexError(f"narrow: start {start} and length {length} are out of range for "
                             f"dim {dim} of size {size}")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> "Tensor":
        """The slice at `index` along `dim`, without that axis (a view), as `torch.select`."""
        axis = checks.dim("select", dim, self.shape)
        return self[(slice(None),) * axis + (checks.integer("select: index", index),)]

    def unbind(self, dim: int = 0) -> Tuple["Tensor", ...]:
        """Every slice along `dim`, as `torch.unbind`."""
        axis = checks.dim("unbind", dim, self.shape)
        return tuple(self.select(axis, i) for i in range(self.shape[axis]))

    def split(self, split_size_or_sections: Union[int, Sequence[int]], dim: int = 0
              ) -> Tuple["Tensor", ...]:
        """Pieces along `dim` (views): of `split_size` each (the last may be smaller), or of
        the listed sizes, as `torch.split`."""
        axis = checks.dim("split", dim, self.shape)
        size = self.shape[axis]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [checks.non_negative_int("split: section", s) for s in split_size_or_sections]
            if sum(sizes) != size:
                raise ValueError(f"split: sections {list(sizes)} do not add up to the size "
                                 f"{size} of dim {dim}")
        else:
            step = checks.positive_int("split: split_size", split_size_or_sections)
            sizes = [min(step, size - start) for start in range(0, size, step)] or [0]
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(axis, int(start), length) for start, length in zip(starts, sizes))

    def chunk(self, chunks: int, dim: int = 0) -> Tuple["Tensor", ...]:
        """At most `chunks` pieces of equal size (the last may be smaller) along `dim`, as
        `torch.chunk`."""
        count = checks.positive_int("chunk: chunks", chunks)
        size = self.shape[checks.dim("chunk", dim, self.shape)]
        return self.split(max(math.ceil(size / count), 1), dim)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        """Axis `dim` split into axes of `sizes` (one may be -1), as `torch.Tensor.unflatten`."""
        axis = checks.dim("unflatten", dim, self.shape)
        if self.ndim == 0 or not isinstance(sizes, (tuple, list)) or not sizes:
            raise ValueError(f"unflatten: sizes must be a non-empty list or tuple of sizes for "
                             f"dim {dim} of a tensor of shape {self.shape}, got {sizes!r}")
        return self.reshape(self.shape[:axis] + tuple(sizes) + self.shape[axis + 1:])

    def repeat(self, *repeats: int) -> "Tensor":
        """The tensor tiled `repeats[i]` times along axis i (more repeats than axes add
        leading axes), as `torch.Tensor.repeat`."""
        return mytorch.ops.Repeat.apply(self, shape_arg(repeats))

    def flip(self, *dims: int) -> "Tensor":
        """The elements in reverse order along each of `dims` (a copy), as `torch.flip`."""
        return mytorch.ops.Flip.apply(self, shape_arg(dims))

    def tril(self, diagonal: int = 0) -> "Tensor":
        """The lower triangle of the last two axes (from the `diagonal`-th diagonal down),
        the rest 0, as `torch.tril`."""
        return mytorch.ops.Triangle.apply(self, diagonal, False)

    def triu(self, diagonal: int = 0) -> "Tensor":
        """The upper triangle of the last two axes (from the `diagonal`-th diagonal up),
        the rest 0, as `torch.triu`."""
        return mytorch.ops.Triangle.apply(self, diagonal, True)

    def index_select(self, dim: int, index: Any) -> "Tensor":
        """The slices at the 1-d (or 0-d) integer `index` along `dim`, as `torch.index_select`
        (a copy; the gradient adds up over repeated picks)."""
        axis = checks.dim("index_select", dim, self.shape)
        index = mytorch.autograd_engine.tensor_input("index_select", "index", index)
        if index.dtype.kind not in "iu" or index.ndim > 1:
            raise TypeError(f"index_select: index must be a 0-d or 1-d integer tensor, got dtype "
                            f"{index.dtype} and shape {index.shape}")
        if self.ndim == 0:  # one axis of size 1, as in PyTorch; the result stays 0-d
            if index.numel() != 1:
                raise IndexError(f"index_select: a 0-d tensor takes an index of one value, got "
                                 f"{index.numel()}")
            return self.reshape(1).index_select(0, index).reshape(())
        return self[(slice(None),) * axis + (index.data.reshape(-1),)]

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """Values picked along `dim` by `index`, as `torch.gather`."""
        return mytorch.ops.Gather.apply(self, dim, index)

    def scatter(self, dim: int, index: "Tensor", src: Any = None, *, value: Any = None) -> "Tensor":
        """A copy with `src`'s values (or the number `value`) written at `index` along
        `dim`, as `torch.scatter`: for dim 1, out[i, index[i, j]] = src[i, j]."""
        return mytorch.ops.Scatter.apply(self, dim, index, _scatter_source(src, value), False)

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """A copy with `src`'s values added at `index` along `dim` (repeated indices add
        up), as `torch.scatter_add`."""
        return mytorch.ops.Scatter.apply(self, dim, index, _tensor_argument("scatter_add", src), True)

    def scatter_(self, dim: int, index: "Tensor", src: Any = None, *, value: Any = None) -> "Tensor":
        """`scatter`, in place."""
        return self._assign("scatter_", lambda: self.scatter(dim, index, src, value=value), src)

    def scatter_add_(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """`scatter_add`, in place."""
        return self._assign("scatter_add_", lambda: self.scatter_add(dim, index, src), src)

    def _assign(self, op: str, compute: Callable[[], "Tensor"], *sources: Any) -> "Tensor":
        """Write `compute()`, the out-of-place result, into self: an in-place op, by the
        rules of `__setitem__` (outside a recorded graph only)."""
        if any([self._records_with(source) for source in sources]) or self._records_with(None):
            self._check_in_place(op)
            raise RuntimeError(f"{op}: writing a tensor that requires grad into another tensor "
                               f"in place is not supported; use the out-of-place {op[:-1]}")
        with mytorch.no_grad():
            result = compute()
        return self._update(op, lambda data, new, out: np.copyto(out, new, casting="same_kind"),
                            result)

    def clone(self) -> "Tensor":
        """A copy that stays in the graph (the gradient flows through), as `torch.clone`."""
        return mytorch.ops.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        """Self when its elements lie in C order, else a copy that does, as `torch.contiguous`."""
        return self if self.data.flags.c_contiguous else self.clone()

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: Axis = None, keepdim: Optional[bool] = None, *, dtype: Any = None,
            axis: Axis = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Sum over `dim` (every axis by default; `dim=()` too, as in PyTorch), as `torch.sum`;
        `dtype` converts first. NumPy's `axis`/`keepdims` work too."""
        source = self if dtype is None else self.to(dtype)
        return mytorch.ops.Sum.apply(source, *_reduction_args("sum", dim, keepdim, axis, keepdims))

    def mean(self, dim: Axis = None, keepdim: Optional[bool] = None, *, dtype: Any = None,
             axis: Axis = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Mean over `dim` (every axis by default), as `torch.mean`; NaN over no elements."""
        source = self if dtype is None else self.to(dtype)
        return mytorch.ops.Mean.apply(source, *_reduction_args("mean", dim, keepdim, axis, keepdims))

    def var(self, dim: Any = None, unbiased: Optional[bool] = None, keepdim: Optional[bool] = None,
            *, correction: Optional[float] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Variance over `dim`: sum((x - mean)**2) / (n - correction), as `torch.var`.

        PyTorch's positional order: `var(dim, unbiased, keepdim)`, and `var(unbiased)` for
        every axis. correction=1 (the unbiased estimate) by default; `unbiased=False` or
        `correction=0` divides by n. n <= correction gives inf, or nan for 0 / 0.
        """
        dim, unbiased = _unbiased_first("var", dim, unbiased)
        correction = _correction("var", correction, unbiased)
        return mytorch.ops.Var.apply(self, *_reduction_args("var", dim, keepdim, axis, keepdims), correction)

    def std(self, dim: Any = None, unbiased: Optional[bool] = None, keepdim: Optional[bool] = None,
            *, correction: Optional[float] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Standard deviation, sqrt(var(...)), with `var`'s arguments, as `torch.std`. Its
        gradient is 0 where it is 0 (a constant slice), as in PyTorch."""
        dim, unbiased = _unbiased_first("std", dim, unbiased)
        correction = _correction("std", correction, unbiased)
        return mytorch.ops.Std.apply(self, *_reduction_args("std", dim, keepdim, axis, keepdims), correction)

    def max(self, dim: Any = None, keepdim: Optional[bool] = None, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> Any:
        """PyTorch's three forms: `max()` the largest value; `max(dim, keepdim=False)` the
        named pair (values, indices) along dim, the gradient going to the index picked;
        `max(other)` the elementwise maximum. `max(axis=..., keepdims=...)` is NumPy's
        `ndarray.max` (values, as `amax`; the gradient split evenly between ties)."""
        return self._extreme("max", mytorch.ops.Max, np.argmax, return_types.max, dim, keepdim,
                             axis, keepdims)

    def min(self, dim: Any = None, keepdim: Optional[bool] = None, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> Any:
        """`max`'s three forms, for the smallest value."""
        return self._extreme("min", mytorch.ops.Min, np.argmin, return_types.min, dim, keepdim,
                             axis, keepdims)

    def _extreme(self, op: str, reduction: type, arg_function: Callable, result: type,
                 dim: Any, keepdim: Optional[bool], axis: Axis, keepdims: Optional[bool]) -> Any:
        if isinstance(dim, (mytorch.tensor.Tensor, np.ndarray)):
            if keepdim is not None or axis is not None or keepdims is not None:
                raise TypeError(f"{op}(other): takes no dim or keepdim")
            return self.maximum(dim) if op == "max" else self.minimum(dim)
        if dim is None:
            return reduction.apply(self, *_reduction_args(op, None, keepdim, axis, keepdims))
        if not checks._is_int(dim):
            raise TypeError(f"{op}: dim must be an integer (values and indices along one dim), "
                            f"got {dim!r}; use a{op}(dim=...) for the values over several dims")
        _, keep = _reduction_args(op, dim, keepdim, axis, keepdims)
        indices = self._arg_reduce(op, arg_function, dim, True)
        values = self.gather(dim, indices)
        if not keep:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return result(values, indices)

    def amax(self, dim: Axis = (), keepdim: bool = False) -> "Tensor":
        """The largest values over `dim` (every axis by default), as `torch.amax`; the
        gradient is split evenly between ties."""
        return mytorch.ops.Max.apply(self, *_reduction_args("amax", dim, keepdim, None, None))

    def amin(self, dim: Axis = (), keepdim: bool = False) -> "Tensor":
        """The smallest values over `dim`, as `torch.amin`."""
        return mytorch.ops.Min.apply(self, *_reduction_args("amin", dim, keepdim, None, None))

    def argmax(self, dim: Optional[int] = None, keepdim: Optional[bool] = None, *,
               axis: Optional[int] = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Index of the largest value along `dim` (of the flattened tensor by default),
        the first one on ties, as an int64 tensor outside the graph."""
        return self._arg_reduce("argmax", np.argmax, *_reduction_args("argmax", dim, keepdim, axis, keepdims))

    def argmin(self, dim: Optional[int] = None, keepdim: Optional[bool] = None, *,
               axis: Optional[int] = None, keepdims: Optional[bool] = None) -> "Tensor":
        """Index of the smallest value along `dim`, as `argmax`."""
        return self._arg_reduce("argmin", np.argmin, *_reduction_args("argmin", dim, keepdim, axis, keepdims))

    def _arg_reduce(self, op: str, function: Callable, axis: Optional[int], keepdims: bool) -> "Tensor":
        keepdims = checks.boolean(f"{op}: keepdim", keepdims)
        if axis is None:
            if self.data.size == 0:
                raise ValueError(f"{op}: cannot reduce a tensor of shape {self.shape}, which has "
                                 "no elements")
            index = np.asarray(function(self.data), dtype=np.int64)
            return mytorch.tensor.Tensor(index.reshape((1,) * self.ndim) if keepdims else index)
        axis = checks.dim(op, axis, self.shape)
        if self.ndim == 0:
            return mytorch.tensor.Tensor(np.zeros((), np.int64))
        if self.shape[axis] == 0:
            raise ValueError(f"{op}: cannot reduce dim {axis} of a tensor of shape {self.shape}, "
                             "which has no elements")
        index = function(self.data, axis=axis).astype(np.int64)
        return mytorch.tensor.Tensor(np.expand_dims(index, axis) if keepdims else index)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        """The indices that sort the values along `dim` (ties in their original order;
        NaN counts as the largest), as `torch.argsort`; an int64 tensor outside the graph."""
        axis = checks.dim("argsort", dim, self.shape)
        checks.boolean("argsort: stable", stable)
        data = np.atleast_1d(self.data)
        if checks.boolean("argsort: descending", descending):
            # Sorting the reversed values stably and reversing back keeps ties in order.
            reverse = data.shape[axis] - 1 - np.argsort(np.flip(data, axis), axis=axis, kind="stable")
            order = np.flip(reverse, axis)
        else:
            order = np.argsort(data, axis=axis, kind="stable")
        return mytorch.tensor.Tensor(order.astype(np.int64).reshape(self.shape))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """The named pair (values, indices) of the values sorted along `dim`, as `torch.sort`;
        the gradient of the values goes back to where each came from."""
        indices = self.argsort(dim, descending, stable)
        return return_types.sort(self.gather(dim, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """The named pair (values, indices) of the k largest (or smallest) values along
        `dim`, largest first, as `torch.topk`."""
        axis = checks.dim("topk", dim, self.shape)
        size = self.shape[axis] if self.ndim else 1
        count = checks.non_negative_int("topk: k", k)
        if count > size:
            raise ValueError(f"topk: k ({k}) is larger than the size {size} of dim {dim}")
        checks.boolean("topk: sorted", sorted)
        order = self.argsort(axis, descending=checks.boolean("topk: largest", largest))
        indices = order.narrow(axis, 0, count).clone() if self.ndim else order
        return return_types.topk(self.gather(axis, indices), indices)

    def prod(self, dim: Optional[int] = None, keepdim: bool = False, *, dtype: Any = None) -> "Tensor":
        """The product of the elements (along one `dim`), as `torch.prod`; integers give int64."""
        source = self if dtype is None else self.to(dtype)
        return mytorch.ops.Prod.apply(source, dim, checks.boolean("prod: keepdim", keepdim))

    def cumsum(self, dim: int, *, dtype: Any = None) -> "Tensor":
        """Running sums along `dim`, as `torch.cumsum`; integers give int64."""
        return mytorch.ops.Cumsum.apply(self if dtype is None else self.to(dtype), dim)

    def cumprod(self, dim: int, *, dtype: Any = None) -> "Tensor":
        """Running products along `dim`, as `torch.cumprod`; integers give int64."""
        return mytorch.ops.Cumprod.apply(self if dtype is None else self.to(dtype), dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> "Tensor":
        """How often each value 0, 1, ... occurs in this 1-d tensor of non-negative integers
        (int64), or the sums of `weights` per value (in the weights' float dtype), at least
        `minlength` of them, as `torch.bincount`. Outside the graph."""
        if self.ndim != 1 or self.dtype.kind not in "iu":
            raise TypeError(f"bincount: expects a 1-d integer tensor, got dtype {self.dtype} and "
                            f"shape {self.shape}")
        if self.data.size and self.data.min() < 0:
            raise ValueError(f"bincount: values must be non-negative, got {self.data.min()}")
        minlength = checks.non_negative_int("bincount: minlength", minlength)
        if weights is None:
            return mytorch.tensor.Tensor(np.bincount(self.data, minlength=minlength).astype(np.int64))
        weights = _tensor_argument("bincount", weights)
        if weights.shape != self.shape:
            raise ValueError(f"bincount: weights of shape {weights.shape} for input of shape {self.shape}")
        dtype = weights.dtype if weights.dtype.kind == "f" else np.dtype(np.float64)
        return mytorch.tensor.Tensor(np.bincount(self.data, weights.data, minlength).astype(dtype))

    def logsumexp(self, dim: Axis, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x), dim)), computed without overflow, as `torch.logsumexp`."""
        return mytorch.ops.LogSumExp.apply(self, *_reduction_args("logsumexp", dim, keepdim, None, None))

    def norm(self, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> "Tensor":
        """The p-norm over `dim` (every axis by default), as `torch.norm`: p = 2 (or "fro"),
        1, inf or -inf. The gradient of the 2-norm is 0 where the norm is 0."""
        axes, keepdim = _reduction_args("norm", dim, keepdim, None, None)
        if p in ("fro", 2):
            return mytorch.ops.Norm.apply(self, axes, keepdim)
        if p == 1:
            return self.abs().sum(axes, keepdim)
        if p in (math.inf, -math.inf):
            return (self.abs().amax if p > 0 else self.abs().amin)(() if axes is None else axes, keepdim)
        raise ValueError(f"norm: p must be 2, 'fro', 1, inf or -inf, got {p!r}")

    def all(self, dim: Axis = None, keepdim: bool = False) -> "Tensor":
        """Whether every element (along `dim`) is nonzero: a bool tensor, as `torch.all`."""
        return self._logical("all", np.all, dim, keepdim)

    def any(self, dim: Axis = None, keepdim: bool = False) -> "Tensor":
        """Whether some element (along `dim`) is nonzero: a bool tensor, as `torch.any`."""
        return self._logical("any", np.any, dim, keepdim)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the nonzero elements, as `torch.nonzero`: an int64 tensor of shape
        (count, ndim), one row per element in C order; with `as_tuple`, one 1-d tensor of
        indices per axis (a 0-d tensor counts as having one axis), ready for indexing."""
        if checks.boolean("nonzero: as_tuple", as_tuple):
            return tuple(mytorch.tensor.Tensor(index.astype(np.int64))
                         for index in np.nonzero(np.atleast_1d(self.data)))
        return mytorch.tensor.Tensor(np.argwhere(self.data).astype(np.int64))

    def isnan(self) -> "Tensor":
        """Whether each element is NaN: a bool tensor, as `torch.isnan`."""
        return mytorch.tensor.Tensor(np.isnan(self.data))

    def isinf(self) -> "Tensor":
        """Whether each element is +inf or -inf: a bool tensor, as `torch.isinf`."""
        return mytorch.tensor.Tensor(np.isinf(self.data))

    def isfinite(self) -> "Tensor":
        """Whether each element is neither NaN nor infinite: a bool tensor, as `torch.isfinite`."""
        return mytorch.tensor.Tensor(np.isfinite(self.data))

    def _logical(self, op: str, function: Callable, dim: Axis, keepdim: bool) -> "Tensor":
        axis, keepdim = _reduction_args(op, dim, keepdim, None, None)
        axes = checks.axes(op, axis, self.shape)
        result = function(self.data, axis=axes, keepdims=checks.boolean(f"{op}: keepdim", keepdim))
        return mytorch.tensor.Tensor(np.asarray(result))

    # ------------------------------------------------------------- elementwise math

    def sqrt(self) -> "Tensor":
        return mytorch.ops.Sqrt.apply(self)

    def rsqrt(self) -> "Tensor":
        """1 / sqrt(x)."""
        return mytorch.ops.Rsqrt.apply(self)

    def abs(self) -> "Tensor":
        return mytorch.ops.Abs.apply(self)

    def exp(self) -> "Tensor":
        return mytorch.ops.Exp.apply(self)

    def log(self) -> "Tensor":
        return mytorch.ops.Log.apply(self)

    def log1p(self) -> "Tensor":
        """log(1 + x), accurate for small x."""
        return mytorch.ops.Log1p.apply(self)

    def expm1(self) -> "Tensor":
        """exp(x) - 1, accurate for small x."""
        return mytorch.ops.Expm1.apply(self)

    def sin(self) -> "Tensor":
        return mytorch.ops.Sin.apply(self)

    def cos(self) -> "Tensor":
        return mytorch.ops.Cos.apply(self)

    def tan(self) -> "Tensor":
        return mytorch.ops.Tan.apply(self)

    def tanh(self) -> "Tensor":
        return mytorch.ops.Tanh.apply(self)

    def sigmoid(self) -> "Tensor":
        return mytorch.ops.Sigmoid.apply(self)

    def relu(self) -> "Tensor":
        return mytorch.ops.ReLU.apply(self)

    def neg(self) -> "Tensor":
        return mytorch.ops.Neg.apply(self)

    negative = neg

    def reciprocal(self) -> "Tensor":
        """1 / x."""
        return mytorch.ops.Reciprocal.apply(self)

    def square(self) -> "Tensor":
        """x ** 2."""
        return self ** 2

    def pow(self, exponent: Any) -> "Tensor":
        """self ** exponent, as `torch.pow`."""
        return self ** exponent

    def sign(self) -> "Tensor":
        """-1, 0 or 1 by the sign of each element (gradient 0)."""
        return mytorch.ops.Step.apply(self, "sign")

    def floor(self) -> "Tensor":
        return mytorch.ops.Step.apply(self, "floor")

    def ceil(self) -> "Tensor":
        return mytorch.ops.Step.apply(self, "ceil")

    def trunc(self) -> "Tensor":
        return mytorch.ops.Step.apply(self, "trunc")

    def round(self, decimals: int = 0) -> "Tensor":
        """Round half to even, to `decimals` places, as `torch.round` (gradient 0)."""
        return mytorch.ops.Step.apply(self, "round", decimals)

    def clamp(self, min: Any = None, max: Any = None) -> "Tensor":
        """Limit every element to [min, max], as `torch.clamp`: each bound a number, a
        tensor (broadcast with self; it gets a gradient too) or None."""
        for name, bound in (("min", min), ("max", max)):
            if not (bound is None or isinstance(bound, (mytorch.tensor.Tensor, np.ndarray))):
                checks.number(f"clamp: {name}", bound)
        return mytorch.ops.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_(self, min: Any = None, max: Any = None) -> "Tensor":
        """`clamp`, in place."""
        return self._assign("clamp_", lambda: self.clamp(min, max), min, max)

    def masked_fill_(self, mask: Any, value: Any) -> "Tensor":
        """`masked_fill`, in place."""
        return self._assign("masked_fill_", lambda: self.masked_fill(mask, value), value)

    def maximum(self, other: Any) -> "Tensor":
        """Elementwise larger of self and other, with broadcasting, as `torch.maximum`."""
        return mytorch.ops.Maximum.apply(self, self._operand(other))

    def minimum(self, other: Any) -> "Tensor":
        """Elementwise smaller of self and other, with broadcasting, as `torch.minimum`."""
        return mytorch.ops.Minimum.apply(self, self._operand(other))

    def where(self, condition: Any, other: Any) -> "Tensor":
        """self where `condition` is True, else other, as `torch.Tensor.where`."""
        return mytorch.tensor.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> "Tensor":
        """`value` where the bool `mask` is True, else self, as `torch.Tensor.masked_fill`."""
        return mytorch.tensor.where(mask, value, self)

    def softmax(self, dim: int) -> "Tensor":
        """exp(x) / sum(exp(x), dim), computed stably."""
        return mytorch.ops.Softmax.apply(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        """x - logsumexp(x, dim), computed stably."""
        return mytorch.ops.LogSoftmax.apply(self, dim)

    # ------------------------------------------------------------------ arithmetic

    def add(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        """self + alpha * other, as `torch.add`."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        """self - alpha * other, as `torch.sub`."""
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other: Any) -> "Tensor":
        """self * other, as `torch.mul`."""
        return self * other

    multiply = mul

    def div(self, other: Any, *, rounding_mode: Optional[str] = None) -> "Tensor":
        """self / other, as `torch.div`; rounding_mode "trunc" or "floor" rounds the
        quotient (integers stay integers; the rounded quotient has gradient 0)."""
        if rounding_mode is None:
            return self / other
        checks.one_of("div: rounding_mode", rounding_mode, ("trunc", "floor"))
        other = self._operand(other)
        if self.dtype.kind in "iub" and other.dtype.kind in "iub":
            quotient = np.floor_divide(self.data, other.data)
            if rounding_mode == "trunc":  # toward 0: one less where the signs differ and it is inexact
                inexact = (quotient * other.data != self.data) & ((self.data < 0) != (other.data < 0))
                quotient = quotient + inexact
            return mytorch.tensor.Tensor(quotient)
        return mytorch.ops.Step.apply(self / other, rounding_mode)

    divide = true_divide = div

    def remainder(self, other: Any) -> "Tensor":
        """self mod other with the sign of other (Python's %), as `torch.remainder`."""
        return self % other

    def matmul(self, other: Any) -> "Tensor":
        """self @ other, as `torch.matmul`."""
        return self @ other

    def mm(self, other: Any) -> "Tensor":
        """The product of two matrices, as `torch.mm`."""
        other = self._operand(other)
        if self.ndim != 2 or other.ndim != 2:
            raise ValueError(f"mm: expects two matrices, got shapes {self.shape} and {other.shape}")
        return self @ other

    def bmm(self, other: Any) -> "Tensor":
        """Batched matrix products of (b, n, m) and (b, m, p) tensors, as `torch.bmm`."""
        other = self._operand(other)
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise ValueError(f"bmm: expects two 3-d tensors with the same batch size, got shapes "
                             f"{self.shape} and {other.shape}")
        return self @ other

    def dot(self, other: Any) -> "Tensor":
        """The dot product of two 1-d tensors of the same length, as `torch.dot`."""
        other = self._operand(other)
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot: expects two 1-d tensors of the same size, got shapes "
                             f"{self.shape} and {other.shape}")
        return self @ other

    # ------------------------------------------------------- dtypes and devices
    # Last in the class: `float`, `int`, `bool` and `type` would shadow the built-ins
    # in any annotation written after them.

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> "Tensor":
        """`mytorch.tensor(data)` in this tensor's dtype (unless `dtype` is given)."""
        return mytorch.tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                              requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, **options: Any) -> "Tensor":
        """`mytorch.zeros(size)` in this tensor's dtype (unless `dtype` is given)."""
        return mytorch.zeros(*size, dtype=self.dtype if dtype is None else dtype, **options)

    def new_ones(self, *size: Any, dtype: Any = None, **options: Any) -> "Tensor":
        """`mytorch.ones(size)` in this tensor's dtype (unless `dtype` is given)."""
        return mytorch.ones(*size, dtype=self.dtype if dtype is None else dtype, **options)

    def new_empty(self, *size: Any, dtype: Any = None, **options: Any) -> "Tensor":
        """`mytorch.empty(size)` in this tensor's dtype (unless `dtype` is given)."""
        return mytorch.empty(*size, dtype=self.dtype if dtype is None else dtype, **options)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, **options: Any) -> "Tensor":
        """`mytorch.full(size, fill_value)` in this tensor's dtype (unless `dtype` is given)."""
        return mytorch.full(size, fill_value, dtype=self.dtype if dtype is None else dtype, **options)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """This tensor in another dtype or on a device, as `torch.Tensor.to`: `to(dtype)`,
        `to("cpu")`, `to(device, dtype)`, `to(other)` (other's dtype), or by keyword.

        Returns self when nothing changes (`copy=True` copies). A cast to a float dtype
        is recorded in the graph (the gradient is cast back); a cast to an integer or
        bool dtype is a constant, as gradients of integers mean nothing. A device other
        than the CPU is an error: MyTorch has no GPU backend.
        """
        dtype, copy = _conversion("to", args, kwargs)
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        if dtype.kind != "f" or self.dtype.kind != "f":
            return mytorch.tensor.Tensor(self.data.astype(dtype))
        return mytorch.ops.Cast.apply(self, dtype)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """With no argument, PyTorch's name of the tensor's type ("torch.FloatTensor"); with
        a dtype or such a name, `self.to(dtype)`."""
        if dtype is None:
            return TYPE_NAMES.get(self.dtype, f"numpy.{self.dtype.name}")
        if isinstance(dtype, str) and dtype in _TYPES_BY_NAME:
            dtype = _TYPES_BY_NAME[dtype]
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        """`self.to(other.dtype)`."""
        return self.to(_tensor_argument("type_as", other).dtype)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def double(self) -> "Tensor":
        """`self.to(mytorch.float64)`."""
        return self.to(np.float64)

    def half(self) -> "Tensor":
        """`self.to(mytorch.float16)`."""
        return self.to(np.float16)

    def long(self) -> "Tensor":
        """`self.to(mytorch.int64)`."""
        return self.to(np.int64)

    def short(self) -> "Tensor":
        """`self.to(mytorch.int16)`."""
        return self.to(np.int16)

    def float(self) -> "Tensor":
        """`self.to(mytorch.float32)`."""
        return self.to(np.float32)

    def int(self) -> "Tensor":
        """`self.to(mytorch.int32)`."""
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        """`self.to(mytorch.bool)`."""
        return self.to(np.bool_)


def _in_place(name: str) -> Callable[..., "Tensor"]:
    """The method `name_(*args)`: `name(*args)` written into the tensor (see `_assign`)."""

    def method(self: "Tensor", *args: Any, **kwargs: Any) -> "Tensor":
        return self._assign(f"{name}_", lambda: getattr(self, name)(*args, **kwargs), *args,
                            *kwargs.values())

    method.__name__ = method.__qualname__ = f"{name}_"
    method.__doc__ = f"`{name}`, in place."
    return method


# PyTorch's in-place forms of the elementwise methods (`x.relu_()`, `w.pow_(2)`): each
# computes out of place and writes the result into the tensor, by the in-place rules.
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "neg", "reciprocal",
              "sin", "cos", "floor", "ceil", "round", "trunc", "sign", "pow", "square"):
    setattr(TensorMethods, f"{_name}_", _in_place(_name))


def _tensor_argument(op: str, value: Any) -> "Tensor":
    """A Tensor argument of a method (an ndarray is taken as a constant), else a TypeError."""
    return mytorch.autograd_engine.tensor_input(op, "other", value)


def _scatter_source(src: Any, value: Any) -> Any:
    """The values `scatter` writes: `src` (a tensor or a number) or the keyword `value`."""
    if (src is None) == (value is None):
        raise TypeError(f"scatter: give src or value, one of them (got src={src!r}, value={value!r})")
    source = value if src is None else src
    if isinstance(source, np.ndarray):
        return mytorch.tensor.Tensor(source)
    if not isinstance(source, (mytorch.tensor.Tensor, numbers.Real)) or isinstance(source, bool):
        raise TypeError(f"scatter: src must be a Tensor or a number, got {type(source).__name__}")
    return source


def _reduction_args(op: str, dim: Axis, keepdim: Optional[bool], axis: Axis,
                    keepdims: Optional[bool]) -> Tuple[Axis, bool]:
    """(axis, keepdims) for a reduction op, from PyTorch's `dim`/`keepdim` or NumPy's
    `axis`/`keepdims`, each with its library's meaning: `dim=()` reduces every axis
    (PyTorch). `axis=()` would reduce none in NumPy and every one in PyTorch, so it is
    refused rather than read one way."""
    if axis is not None:
        if dim is not None:
            raise ValueError(f"{op}: give dim or axis, not both (got dim={dim!r}, axis={axis!r})")
        if isinstance(axis, (tuple, list)) and not axis:
            raise ValueError(f"{op}: axis=() reduces nothing in NumPy but every axis in PyTorch; "
                             "write dim=() (or no dim) for every axis")
        dim = axis
    elif isinstance(dim, (tuple, list)) and not dim:
        dim = None  # PyTorch: an empty list of dims reduces every axis
    if keepdims is not None:
        if keepdim is not None:
            raise ValueError(f"{op}: give keepdim or keepdims, not both")
        keepdim = keepdims
    return dim, False if keepdim is None else keepdim


def _unbiased_first(op: str, dim: Any, unbiased: Optional[bool]) -> Tuple[Any, Optional[bool]]:
    """PyTorch's `var(unbiased)` form: a bool as the first argument is `unbiased`."""
    if isinstance(dim, (bool, np.bool_)):
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice ({dim!r} and {unbiased!r})")
        return None, bool(dim)
    return dim, unbiased


def _correction(op: str, correction: Optional[float], unbiased: Optional[bool]) -> float:
    """The correction of var or std: `correction`, or 1 / 0 from `unbiased` (default 1)."""
    if unbiased is not None:
        if correction is not None:
            raise ValueError(f"{op}: give correction or unbiased, not both")
        return 1 if checks.boolean(f"{op}: unbiased", unbiased) else 0
    return 1 if correction is None else correction


def _conversion(op: str, args: Tuple[Any, ...], kwargs: dict) -> Tuple[Optional[np.dtype], bool]:
    """The dtype (or None) and `copy` of a `to(...)` call: positional dtypes, devices
    (strings such as "cpu" or `device` objects) or a tensor (its dtype), and the keywords
    dtype, device, copy and non_blocking. The device must be the CPU."""
    unknown = set(kwargs) - {"dtype", "device", "copy", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"{op}: unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for arg in args:
        if isinstance(arg, mytorch.tensor.Tensor):
            dtype = arg.dtype
        elif isinstance(arg, devices.device) or (
                isinstance(arg, str) and arg.partition(":")[0] in devices.KNOWN_TYPES):
            device = arg
        else:
            dtype = arg
    devices.as_device(op, device)
    copy = checks.boolean(f"{op}: copy", kwargs.get("copy", False))
    return (None if dtype is None else checks.numeric_dtype(f"{op}: dtype", dtype)), copy


__all__: List[str] = ["TensorMethods", "shape_arg", "TYPE_NAMES"]
