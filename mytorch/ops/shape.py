"""Ops that move elements without changing them: transpose, reshape, view, expand, indexing,
gathering, copying, concatenation, stacking and adding or removing axes of size 1.

Where NumPy gives a view of the input (transpose, reshape when the layout allows, view,
expand, basic indexing, unsqueeze, squeeze), so do these ops: the output shares the
input's memory and, through `Function.apply`, its version counter, as in PyTorch."""
from typing import Any, List, Optional, Sequence, Tuple, Union

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


def _index_along(op: str, a: Tensor, dim: int, index: Tensor) -> Tuple[int, np.ndarray, np.ndarray]:
    """(axis, a's data, index's data) for an op that picks along `dim` by `index` (gather,
    scatter), each with at least one axis (a 0-d tensor has one, as in PyTorch), after the
    rules both follow: an integer index with a's number of axes, no larger than a outside
    `dim`, and every value in range for `dim`."""
    axis = checks.dim(op, dim, a.shape)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    data, picks = np.atleast_1d(a.data), np.atleast_1d(index.data)
    if picks.ndim != data.ndim or any(n > size for d, (n, size) in
                                      enumerate(zip(picks.shape, data.shape)) if d != axis):
        raise ValueError(f"{op}: index of shape {index.shape} must have the dimensions of "
                         f"the input of shape {a.shape}, none larger outside dim {dim}")
    if picks.size and not (0 <= picks.min() and picks.max() < data.shape[axis]):
        raise IndexError(f"{op}: index {picks.min() if picks.min() < 0 else picks.max()} is "
                         f"out of range for dim {dim} of size {data.shape[axis]}")
    return axis, data, picks


class Gather(Function):
    """`b[i, j, k] = a[i, index[i, j, k], k]` (for dim 1), as `torch.gather`: index has a's
    number of axes, no larger than a's outside `dim`, and picks along `dim`; the gradient
    is scattered back with accumulation, so an element picked twice gets both."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int, index: Tensor) -> Tensor:
        axis, data, picks = _index_along("gather", a, dim, index)
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


class Repeat(Function):
    """b = a tiled `repeats[i]` times along axis i, as `torch.Tensor.repeat` (NumPy's `tile`;
    extra leading repeats add axes); da = db summed over the copies"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, repeats: Sequence[int]) -> Tensor:
        repeats = tuple(checks.non_negative_int("repeat: repeats", r) for r in repeats)
        if len(repeats) < a.ndim:
            raise ValueError(f"repeat: {len(repeats)} repeats {repeats} for a tensor of shape "
                             f"{a.shape}; give at least one per dimension")
        ctx.shape, ctx.repeats = a.shape, repeats
        ctx.padded = (1,) * (len(repeats) - a.ndim) + a.shape
        return Tensor(np.tile(a.data.reshape(ctx.padded), repeats))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        # Output axis i holds repeats[i] copies of the input's axis: split it in two, sum the copies.
        split = [size for pair in zip(ctx.repeats, ctx.padded) for size in pair]
        grad = grad_output.data.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return Tensor(grad.reshape(ctx.shape)), None


class Flip(Function):
    """b = a reversed along each axis in `dims` (a copy, as `torch.flip`); da = db reversed back"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dims: Sequence[int]) -> Tensor:
        ctx.axes = checks.axes("flip", dims, a.shape)
        if ctx.axes is None:  # a 0-d tensor: nothing to reverse
            return Tensor(a.data.copy())
        return Tensor(np.flip(a.data, ctx.axes).copy())

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        if ctx.axes is None:
            return Tensor(grad_output.data), None
        return Tensor(np.flip(grad_output.data, ctx.axes).copy()), None


class Triangle(Function):
    """b = a with the elements above the `diagonal`-th diagonal of its last two axes set to
    0 (`torch.tril`), or those below it with `upper` (`torch.triu`); da = db masked alike"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, diagonal: int = 0, upper: bool = False) -> Tensor:
        ctx.name = "triu" if checks.boolean("Triangle: upper", upper) else "tril"
        if a.ndim < 2:
            raise ValueError(f"{ctx.name}: input must have at least 2 dimensions, got shape {a.shape}")
        ctx.diagonal = checks.integer(f"{ctx.name}: diagonal", diagonal)
        return Tensor(getattr(np, ctx.name)(a.data, ctx.diagonal))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        return Tensor(getattr(np, ctx.name)(grad_output.data, ctx.diagonal)), None, None


class Scatter(Function):
    """b = a with src's values written into it at `index` along `dim`, as `torch.scatter`
    (for dim 1: b[i, index[i, j]] = src[i, j]), or added there with `add`
    (`torch.scatter_add`, which sums repeated indices). src is a tensor of a's dtype (only
    its block of index's shape is read) or a number.

    da = db, except at the places a write replaced (0 there, without `add`);
    dsrc = db gathered at index (for every pick, as PyTorch).
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int, index: Tensor,
                src: Union[Tensor, float], add: bool = False) -> Tensor:
        op = "scatter_add" if checks.boolean("scatter: add", add) else "scatter"
        axis, data, picks = _index_along(op, a, dim, index)
        if isinstance(src, Tensor):
            if src.dtype != a.dtype:
                raise TypeError(f"{op}: src dtype {src.dtype} differs from the input's dtype "
                                f"{a.dtype}; convert one with .to()")
            values = np.atleast_1d(src.data)
            if values.ndim != picks.ndim or any(n > size for n, size in zip(picks.shape, values.shape)):
                raise ValueError(f"{op}: index of shape {index.shape} must have the dimensions of "
                                 f"src of shape {src.shape}, none larger")
            values = values[tuple(slice(0, n) for n in picks.shape)]
        else:
            values = checks.number(f"{op}: value", src)
        where = list(np.indices(picks.shape, sparse=True))
        where[axis] = picks
        out = data.copy()
        if add:
            np.add.at(out, tuple(where), values)
        else:
            out[tuple(where)] = values
        ctx.where, ctx.add, ctx.shape = tuple(where), add, a.shape
        ctx.src = (src.shape, src.dtype) if isinstance(src, Tensor) else None
        return Tensor(out.reshape(a.shape))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = np.atleast_1d(grad_output.data)
        grad_a = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_a = grad if ctx.add else grad.copy()
            if not ctx.add:
                grad_a[ctx.where] = 0
            grad_a = Tensor(grad_a.reshape(ctx.shape))
        if ctx.src is not None and ctx.needs_input_grad[3]:
            shape, dtype = ctx.src
            picked = grad[ctx.where]
            full = np.zeros(shape or (1,), dtype)  # a 0-d src has one axis, as a's
            full[tuple(slice(0, n) for n in picked.shape)] = picked
            grad_src = Tensor(full.reshape(shape))
        return grad_a, None, None, grad_src, None


class Pad(Function):
    """b = a with `value` added around its last axes, as `torch.nn.functional.pad` in
    'constant' mode: `pad` = (before, after) for the last axis, then for the one before it,
    ...; a negative amount crops instead. da = db without the padding (0 where cropped)."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
        if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > a.ndim:
            raise ValueError(f"pad: expected an even number of pad sizes, two per axis, for at most "
                             f"the {a.ndim} axes of a tensor of shape {a.shape}; got {pad!r}")
        amounts = [checks.integer("pad: size", size) for size in pad]
        value = checks.number("pad: value", value)
        lead = a.ndim - len(amounts) // 2
        pairs = [(0, 0)] * lead + [(amounts[2 * i], amounts[2 * i + 1])
                                   for i in reversed(range(len(amounts) // 2))]
        shape = tuple(size + before + after for size, (before, after) in zip(a.shape, pairs))
        if any(size < 0 for size in shape):
            raise ValueError(f"pad: padding {tuple(pad)} crops a tensor of shape {a.shape} to "
                             f"a negative size {shape}")
        # The part of a that is kept, and where it lands in the output.
        ctx.kept = tuple(slice(max(-before, 0), size - max(-after, 0))
                         for size, (before, after) in zip(a.shape, pairs))
        ctx.placed = tuple(slice(max(before, 0), max(before, 0) + len(range(size)[kept]))
                           for size, (before, _), kept in zip(a.shape, pairs, ctx.kept))
        ctx.shape = a.shape
        out = np.full(shape, value, dtype=a.dtype)
        out[ctx.placed] = a.data[ctx.kept]
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        grad = np.zeros(ctx.shape, dtype=grad_output.dtype)
        grad[ctx.kept] = grad_output.data[ctx.placed]
        return Tensor(grad), None, None
