"""The methods a Tensor gets from the ops: comparisons, shape changes, reductions and
elementwise math, under PyTorch's names (`t.sum(dim=1)`, `t.view(2, -1)`, `t.clamp(0)`).

`Tensor` inherits them from `TensorMethods`; `tensor.py` keeps the data, the graph
attributes, the operators and the in-place updates. The ops are looked up as
`mytorch.ops` when a method runs, because the ops themselves import `Tensor`.
"""
import numbers
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

import mytorch
from mytorch import checks

if TYPE_CHECKING:
    from mytorch.tensor import Tensor

Axis = Union[None, int, Sequence[int]]  # an axis, several, or None for all


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

    # --------------------------------------------------------------------- methods

    def reshape(self, *shape: int) -> "Tensor":
        return mytorch.ops.Reshape.apply(self, shape_arg(shape))

    def transpose(self, dim0: Optional[int] = None, dim1: Optional[int] = None) -> "Tensor":
        """Swap axes dim0 and dim1, as `torch.Tensor.transpose`; with no arguments, reverse
        the axes (the handout's `transpose()`, same as `.T`)."""
        if dim0 is None and dim1 is None:
            return mytorch.ops.Transpose.apply(self)
        if dim0 is None or dim1 is None:
            raise ValueError(f"transpose: give both dims or neither, got dim0={dim0!r}, dim1={dim1!r}")
        first, second = checks.dim("transpose", dim0, self.shape), checks.dim("transpose", dim1, self.shape)
        axes = list(range(self.ndim))
        if axes:
            axes[first], axes[second] = axes[second], axes[first]
        return mytorch.ops.Transpose.apply(self, tuple(axes))

    def permute(self, *dims: int) -> "Tensor":
        """Reorder the axes: output axis i is input axis dims[i], as `torch.Tensor.permute`."""
        return mytorch.ops.Transpose.apply(self, shape_arg(dims))

    def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """Sum over `axis` (all axes by default); PyTorch's `dim`/`keepdim` work too."""
        return mytorch.ops.Sum.apply(self, *_reduction_args("sum", axis, keepdims, dim, keepdim))

    def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
             keepdim: Optional[bool] = None) -> "Tensor":
        """Mean over `axis` (all axes by default); PyTorch's `dim`/`keepdim` work too."""
        return mytorch.ops.Mean.apply(self, *_reduction_args("mean", axis, keepdims, dim, keepdim))

    def max(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """Largest value over `axis`, as `torch.amax` (values only, no indices)."""
        return mytorch.ops.Max.apply(self, *_reduction_args("max", axis, keepdims, dim, keepdim))

    def var(self, axis: Axis = None, keepdims: bool = False, *, correction: float = 1,
            unbiased: Optional[bool] = None, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """Variance over `axis`: sum((x - mean)**2) / (n - correction), as `torch.var`.

        The default correction=1 is the unbiased estimate; `unbiased=False` (or
        correction=0) divides by n.
        """
        if unbiased is not None:
            if correction != 1:
                raise ValueError("var: give correction or unbiased, not both")
            correction = 1 if checks.boolean("var: unbiased", unbiased) else 0
        return mytorch.ops.Var.apply(self, *_reduction_args("var", axis, keepdims, dim, keepdim), correction)

    def std(self, axis: Axis = None, keepdims: bool = False, *, correction: float = 1,
            unbiased: Optional[bool] = None, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """Standard deviation, sqrt(var(...)), with `var`'s arguments."""
        return self.var(axis, keepdims, correction=correction, unbiased=unbiased, dim=dim,
                        keepdim=keepdim).sqrt()

    def argmax(self, axis: Optional[int] = None, keepdims: bool = False, *,
               dim: Optional[int] = None, keepdim: Optional[bool] = None) -> "Tensor":
        """Index of the largest value along `axis` (of the flattened tensor by default),
        the first one on ties, as an int64 tensor outside the graph."""
        return self._arg_reduce("argmax", np.argmax, *_reduction_args("argmax", axis, keepdims, dim, keepdim))

    def argmin(self, axis: Optional[int] = None, keepdims: bool = False, *,
               dim: Optional[int] = None, keepdim: Optional[bool] = None) -> "Tensor":
        """Index of the smallest value along `axis`, as `argmax`."""
        return self._arg_reduce("argmin", np.argmin, *_reduction_args("argmin", axis, keepdims, dim, keepdim))

    def _arg_reduce(self, op: str, function: Callable, axis: Optional[int], keepdims: bool) -> "Tensor":
        keepdims = checks.boolean(f"{op}: keepdim", keepdims)
        if self.data.size == 0:
            raise ValueError(f"{op}: cannot reduce a tensor of shape {self.shape}, which has no elements")
        if axis is None:
            index = np.asarray(function(self.data), dtype=np.int64)
            return mytorch.tensor.Tensor(index.reshape((1,) * self.ndim) if keepdims else index)
        axis = checks.dim(op, axis, self.shape)
        if self.ndim == 0:
            return mytorch.tensor.Tensor(np.zeros((), np.int64))
        index = function(self.data, axis=axis).astype(np.int64)
        return mytorch.tensor.Tensor(np.expand_dims(index, axis) if keepdims else index)

    def view(self, *shape: int) -> "Tensor":
        """The same elements in `shape`, sharing memory, as `torch.Tensor.view`; an error
        where that needs a copy (after a transpose, say): use `reshape` there."""
        return mytorch.ops.View.apply(self, shape_arg(shape))

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

    def unsqueeze(self, dim: int = 0) -> "Tensor":
        """A new axis of size 1 at `dim`, as `torch.Tensor.unsqueeze` (the handout's default: 0)."""
        return mytorch.ops.Unsqueeze.apply(self, dim)

    def squeeze(self, dim: Optional[int] = None) -> "Tensor":
        """Without its axes of size 1, or only axis `dim` if its size is 1, as `torch.Tensor.squeeze`."""
        return mytorch.ops.Squeeze.apply(self, dim)

    def sqrt(self) -> "Tensor":
        return mytorch.ops.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        return mytorch.ops.Abs.apply(self)

    def clamp(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        """Limit every element to [min, max], as `torch.clamp`; either bound may be None."""
        return mytorch.ops.Clamp.apply(self, min, max)

    def maximum(self, other: Any) -> "Tensor":
        """Elementwise larger of self and other, with broadcasting, as `torch.maximum`."""
        return mytorch.ops.Maximum.apply(self, self._operand(other))

    def minimum(self, other: Any) -> "Tensor":
        """Elementwise smaller of self and other, with broadcasting, as `torch.minimum`."""
        return mytorch.ops.Minimum.apply(self, self._operand(other))

    def where(self, condition: Any, other: Any) -> "Tensor":
        """self where `condition` is True, else other, as `torch.Tensor.where`."""
        return mytorch.tensor.where(condition, self, other)

    def softmax(self, dim: int) -> "Tensor":
        """exp(x) / sum(exp(x), dim), computed stably."""
        return mytorch.ops.Softmax.apply(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        """x - logsumexp(x, dim), computed stably."""
        return mytorch.ops.LogSoftmax.apply(self, dim)

    def to(self, dtype: Any) -> "Tensor":
        """This tensor in `dtype` (np.float32, "float64", np.int64, ...), as `torch.Tensor.to`.

        Returns self when the dtype already matches. A cast to a float dtype is recorded
        in the graph (the gradient is cast back); a cast to an integer or bool dtype is a
        constant, as gradients of integers mean nothing.
        """
        dtype = checks.numeric_dtype("to: dtype", dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":
            return mytorch.tensor.Tensor(self.data.astype(dtype))
        return mytorch.ops.Cast.apply(self, dtype)

    def float(self) -> "Tensor":
        """`self.to(np.float32)`."""
        return self.to(np.float32)

    def double(self) -> "Tensor":
        """`self.to(np.float64)`."""
        return self.to(np.float64)

    def exp(self) -> "Tensor":
        return mytorch.ops.Exp.apply(self)

    def log(self) -> "Tensor":
        return mytorch.ops.Log.apply(self)

    def relu(self) -> "Tensor":
        return mytorch.ops.ReLU.apply(self)


def _reduction_args(op: str, axis: Axis, keepdims: bool, dim: Axis,
                    keepdim: Optional[bool]) -> Tuple[Axis, bool]:
    """(axis, keepdims) from the handout's NumPy names or PyTorch's `dim`/`keepdim`."""
    if dim is not None:
        if axis is not None:
            raise ValueError(f"{op}: give dim or axis, not both (got dim={dim!r}, axis={axis!r})")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim
