"""Ops that move elements without changing them: transpose, reshape, view, expand, indexing,
gathering, copying, concatenation, stacking and adding or removing axes of size 1.

Where NumPy gives a view of the input (transpose, reshape when the layout allows, view,
expand, basic indexing, unsqueeze, squeeze), so do these ops: the output shares the
input's memory and, through `Function.apply`, its version counter, as in PyTorch."""
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function, tensor_input
from mytorch.ops.common import promoted, unbroadcast
from mytorch.tensor import Tensor


class Transpose(Function):
    """b = a.transpose(axes); reverses the axes when `axes` is None"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, axes: Optional[Sequence[int]] = None) -> Tensor:
        if axes is not None:
            axes = checks.permutation("Transpose", axes, a.shape)
        ctx.inverse = None if axes is None else tuple(np.argsort(axes))
        return Tensor(a.data.transpose(axes))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.transpose(ctx.inverse)), None


class Reshape(Function):
    """b = a.reshape(shape)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        ctx.shape = a.shape
        try:
            return Tensor(a.data.reshape(shape))
        except (ValueError, TypeError):
            raise ValueError(f"Reshape: cannot reshape a tensor of shape {a.shape} "
                             f"({a.numel()} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.reshape(ctx.shape)), None


class View(Reshape):
    """b = a.view(shape): a.reshape(shape) that shares a's memory, as `torch.Tensor.view`.

    Where the elements are not laid out so that a reshape can share them (after a
    transpose, say), it is a ValueError, as PyTorch refuses too: use `reshape`, which copies.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        out = Reshape.forward(ctx, a, shape)
        if a.data.size and not np.may_share_memory(out.data, a.data):
            raise ValueError(f"view: a tensor of shape {a.shape} and strides {a.data.strides} "
                             f"cannot be viewed as shape {tuple(shape)} without copying; use "
                             ".reshape(...) instead")
        return out


class Expand(Function):
    """b = a broadcast to `shape` without copying, as `torch.Tensor.expand`: -1 keeps a's
    size, an axis of size 1 may grow, new axes go in front. da = db summed back to a's shape."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, shape: Sequence[int]) -> Tensor:
        shape = tuple(shape)
        new = len(shape) - a.ndim
        if new < 0:
            raise ValueError(f"expand: {shape} has fewer axes than the tensor's shape {a.shape}")
        target = []
        for index, size in enumerate(shape):
            checks.integer("expand: size", size)
            old = a.shape[index - new] if index >= new else None
            if size == -1 and old is not None:
                size = old
            if size < 0 or (old not in (None, 1, size)):
                raise ValueError(f"expand: cannot expand a tensor of shape {a.shape} to {shape} "
                                 f"(axis {index}: {shape[index]}); only axes of size 1 may grow, "
                                 "and -1 keeps an existing axis")
            target.append(size)
        ctx.shape, ctx.dtype = a.shape, a.dtype
        return Tensor(np.broadcast_to(a.data, tuple(target)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(unbroadcast(grad_output.data, ctx.shape, ctx.dtype)), None


class Index(Function):
    """b = a[index], basic or integer-array indexing; the gradient scatters back with
    accumulation, so an element picked twice gets both contributions.

    As in PyTorch (and NumPy), basic indexing (ints, slices, None, ...) gives a view that
    shares a's memory, and its version counter: an in-place change to either shows in
    both. Advanced indexing (integer arrays, bool masks) copies.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        basic = _is_basic(index)
        try:
            if basic:
                # A trailing Ellipsis makes NumPy return a 0-d view, not a scalar copy.
                parts = index if isinstance(index, tuple) else (index,)
                out = a.data[parts if Ellipsis in parts else parts + (Ellipsis,)]
            else:
                out = a.data[index]
        except IndexError as exc:
            raise IndexError(f"Index: {exc} (indexing a tensor of shape {a.shape})") from None
        ctx.index, ctx.shape, ctx.dtype, ctx.basic = index, a.shape, a.dtype, basic
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        if ctx.basic:
            # A basic index (ints, slices) never picks an element twice: assignment is
            # exact, and far cheaper than np.add.at (a recurrent net slices every step).
            grad[ctx.index] = grad_output.data
        else:
            np.add.at(grad, ctx.index, grad_output.data)
        return Tensor(grad), None


class Slice(Index):
    """The handout's name for the indexing op: `Slice.apply(x, indices)` is `x[indices]`."""


def _is_basic(index: Any) -> bool:
    """Whether `index` is basic NumPy indexing (ints, slices, None, ...), which selects
    each element at most once and gives a view."""
    for part in index if isinstance(index, tuple) else (index,):
        if not (part is None or part is Ellipsis or isinstance(part, slice) or checks._is_int(part)):
            return False
    return True


class Gather(Function):
    """`b[i, j, k] = a[i, index[i, j, k], k]` (for dim 1), as `torch.gather`: index has a's
    number of axes, no larger than a's outside `dim`, and picks along `dim`; the gradient
    is scattered back with accumulation, so an element picked twice gets both."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int, index: Tensor) -> Tensor:
        axis = checks.dim("gather", dim, a.shape)
        if index.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be an integer tensor, got dtype {index.dtype}")
        data, picks = np.atleast_1d(a.data), np.atleast_1d(index.data)  # 0-d: one axis
        if picks.ndim != data.ndim or any(n > size for d, (n, size) in
                                          enumerate(zip(picks.shape, data.shape)) if d != axis):
            raise ValueError(f"gather: index of shape {index.shape} must have the dimensions of "
                             f"the input of shape {a.shape}, none larger outside dim {dim}")
        if picks.size and not (0 <= picks.min() and picks.max() < data.shape[axis]):
            raise IndexError(f"gather: index {picks.min() if picks.min() < 0 else picks.max()} is "
                             f"out of range for dim {dim} of size {data.shape[axis]}")
        block = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(picks.shape))
        ctx.axis, ctx.shape, ctx.dtype = axis, a.shape, a.dtype
        ctx.save_for_backward(index)
        return Tensor(np.take_along_axis(data[block], picks, axis=axis).reshape(index.shape))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        picks = np.atleast_1d(ctx.saved_tensors[0].data)
        grad = np.zeros(ctx.shape or (1,), dtype=ctx.dtype)
        where = list(np.indices(picks.shape, sparse=True))
        where[ctx.axis] = picks
        np.add.at(grad, tuple(where), grad_output.data.reshape(picks.shape))
        return Tensor(grad.reshape(ctx.shape)), None, None


class Clone(Function):
    """b = a copy of a, as `torch.clone`; da = db"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        return Tensor(a.data.copy())

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data)


def _sequence(op: type, args: Tuple[Any, ...]) -> Tuple[List[Tensor], int]:
    """Split the handout's argument list [*seq, dim]; an ndarray in seq becomes a constant
    Tensor, as `Function.apply` does for annotated inputs.

    Raises:
        ValueError naming the op for an empty sequence; TypeError for any other non-tensor.
    """
    name = op.__name__
    if not args:
        raise ValueError(f"{name}: expected a sequence of tensors and a dim, got nothing")
    *seq, dim = args
    if not seq:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors")
    seq = [tensor_input(name, f"seq_{index}", value) for index, value in enumerate(seq)]
    return seq, checks.integer(f"{name}: dim", dim)


class Cat(Function):
    """c = the tensors of seq joined along `dim`, as `torch.cat`; each input's gradient is
    its own block of dc.

    The handout's convention: `Cat.apply(*seq, dim)`, so `forward(ctx, *args)` takes
    args = [*seq, dim]. The trailing dim is not a tensor, so its gradient is None.
    """

    @staticmethod
    def forward(ctx: ContextManager, *args: Any) -> Tensor:
        seq, dim = _sequence(Cat, args)
        first = seq[0].shape
        if not first:
            raise ValueError(f"Cat: cannot concatenate 0-d tensors (shapes "
                             f"{[v.shape for v in seq]}); use stack")
        axis = checks.dim("Cat", dim, first)
        for value in seq:
            if value.ndim != len(first) or value.shape[:axis] + value.shape[axis + 1:] != \
                    first[:axis] + first[axis + 1:]:
                raise ValueError(f"Cat: tensors of shapes {[v.shape for v in seq]} differ outside "
                                 f"dim {dim}; they must match in every other dimension")
        ctx.axis = axis
        ctx.ends = np.cumsum([value.shape[axis] for value in seq])[:-1]
        ctx.dtypes = [value.dtype for value in seq]
        return Tensor(np.concatenate(promoted(*seq), axis=axis))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        pieces = np.split(grad_output.data, ctx.ends, axis=ctx.axis)
        grads = [Tensor(np.array(piece, dtype=dtype)) if needed else None
                 for piece, dtype, needed in zip(pieces, ctx.dtypes, ctx.needs_input_grad)]
        return (*grads, None)


class Stack(Function):
    """c = the same-shaped tensors of seq stacked along a new axis `dim`, as `torch.stack`;
    the gradient of input i is dc taken at index i of that axis.

    Called like Cat: `Stack.apply(*seq, dim)`.
    """

    @staticmethod
    def forward(ctx: ContextManager, *args: Any) -> Tensor:
        seq, dim = _sequence(Stack, args)
        shapes = [value.shape for value in seq]
        if len(set(shapes)) != 1:
            raise ValueError(f"Stack: tensors must all have the same shape, got {shapes}")
        ctx.axis = checks.dim("Stack", dim, shapes[0] + (1,))
        ctx.dtypes = [value.dtype for value in seq]
        return Tensor(np.stack(promoted(*seq), axis=ctx.axis))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grads = [Tensor(np.array(np.take(grad_output.data, index, axis=ctx.axis), dtype=dtype))
                 if needed else None
                 for index, (dtype, needed) in enumerate(zip(ctx.dtypes, ctx.needs_input_grad))]
        return (*grads, None)


class Unsqueeze(Function):
    """b = a with a new axis of size 1 at `dim` (-a.ndim - 1 <= dim <= a.ndim), as
    `torch.unsqueeze`; da = db without that axis"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int = 0) -> Tensor:
        axis = checks.dim("Unsqueeze", dim, a.shape + (1,))
        ctx.shape = a.shape
        return Tensor(np.expand_dims(a.data, axis))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.reshape(ctx.shape)), None


class Squeeze(Function):
    """b = a without its axes of size 1 (only axis `dim` when given, and only if its size
    is 1, as `torch.squeeze`); da = db reshaped back"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: Optional[int] = None) -> Tensor:
        ctx.shape = a.shape
        if dim is None:
            return Tensor(np.squeeze(a.data))
        axis = checks.dim("Squeeze", dim, a.shape)
        if a.ndim == 0 or a.shape[axis] != 1:
            return Tensor(a.data.view())
        return Tensor(np.squeeze(a.data, axis))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.reshape(ctx.shape)), None
