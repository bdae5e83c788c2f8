"""The Tensor: an ndarray plus what autograd needs to differentiate through it."""
import itertools
import numbers
import operator
import sys
import types
import weakref
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import autograd_engine, checks, devices, hooks
from mytorch.tensor_methods import TensorMethods


_default_dtype = np.dtype(np.float64)
_hook_keys = itertools.count()  # a hook's key in its tensor's hooks, for its handle


def get_default_dtype() -> np.dtype:
    """The float dtype of new tensors made from Python floats, random constructors and layers."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Make `dtype` (np.float32 or np.float64) the default float dtype, as `torch.set_default_dtype`.

    Constructors (`Tensor.zeros`, `Tensor.randn`, ...), layer initialisation, and the
    promotion of integer input to float-only ops follow it.
    """
    global _default_dtype
    _default_dtype = checks.float_dtype("set_default_dtype: dtype", dtype)


_NUMERIC_KINDS = checks.NUMERIC_KINDS
_ndarray = np.ndarray  # read by every Tensor() as a global, not an attribute of np


def _as_array(data: Any) -> np.ndarray:
    """`data` as an ndarray, without copying an ndarray that is already numeric."""
    if isinstance(data, np.ndarray):
        if data.dtype.kind in _NUMERIC_KINDS:
            return data
    elif isinstance(data, Tensor):
        return data.data
    array = np.asarray(data)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"Tensor data must be numeric, got {type(data).__name__} "
                        f"of dtype {array.dtype}")
    return array


class _VersionCounter:
    """How many times a tensor's data was changed in place; shared by views of it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Tensor(TensorMethods):
    """A multi-dimensional array that records the ops applied to it for autograd.

    An ndarray of a numeric dtype is wrapped without a copy (like `torch.as_tensor`):
    the Tensor and the array share memory. Python numbers and lists are converted with
    `np.asarray`. Integer or bool data that requires grad becomes the default float dtype.

    In-place changes (`x += y` without a graph, `add_`, `zero_`, `x[i] = v`, optimizer
    steps, `nn.init`) bump the tensor's version, so a backward that needs the old values
    raises instead of computing with the new ones. Writes straight into `.data` are
    not tracked, as in PyTorch: they change values behind autograd's back.

    Attributes:
        data: the values, always an np.ndarray.
        requires_grad: whether gradients flow to this tensor.
        is_leaf: True unless the tensor is the output of a recorded op.
        grad_fn: the node that produced it (a BackwardFunction), or None for a leaf.
        grad: the accumulated gradient (a Tensor), or None.
        is_parameter: whether a Module registers it as a parameter.
    """

    # Make NumPy defer `ndarray + Tensor` to Tensor.__radd__ instead of broadcasting
    # the ndarray over the Tensor object.
    __array_ufunc__ = None

    # Defaults read from the class, so creating a tensor (which every op does) sets
    # only what differs.
    _requires_grad = False
    is_leaf = True
    is_parameter = False
    grad_fn = None
    grad: Optional["Tensor"] = None
    _version_counter: Optional[_VersionCounter] = None  # made on the first in-place change
    _grad_accumulator = None  # weak reference to this leaf's AccumulateGrad
    _hooks: Optional[dict] = None  # gradient hooks, made by register_hook

    def __init__(self, data: Any, requires_grad: bool = False, is_leaf: bool = True,
                 is_parameter: bool = False) -> None:
        # Every op makes tensors: an ndarray of a numeric dtype, the usual data, is
        # recognised here without a call.
        self.data = (data if type(data) is _ndarray and data.dtype.kind in _NUMERIC_KINDS
                     else _as_array(data))
        if requires_grad or not is_leaf or is_parameter:  # one test for the usual constant
            if requires_grad:
                self.requires_grad = True  # the setter promotes integer data
            if not is_leaf:
                self.is_leaf = False
            if is_parameter:
                self.is_parameter = True

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            # Gradients of integers are meaningless; promote as `Tensor(1, requires_grad=True)` asks.
            self.data = self.data.astype(_default_dtype)
        self._requires_grad = bool(value)

    def _counter(self) -> _VersionCounter:
        """This tensor's version counter, made when first needed."""
        if self._version_counter is None:
            self._version_counter = _VersionCounter()
        return self._version_counter

    @property
    def _version(self) -> int:
        return 0 if self._version_counter is None else self._version_counter.value

    # ------------------------------------------------------------------ properties

    # The array's own, read through C getters: ops read them on every call, and a Python
    # property costs a frame each time.
    shape = property(operator.attrgetter("data.shape"))
    ndim = property(operator.attrgetter("data.ndim"))
    dtype = property(operator.attrgetter("data.dtype"))

    @property
    def T(self) -> "Tensor":
        return ops.Transpose.apply(self)

    def size(self, dim: Optional[int] = None) -> Union[Tuple[int, ...], int]:
        """The shape, as `torch.Tensor.size()`; with `dim`, the size of that axis."""
        if dim is None:
            return self.shape
        if self.ndim == 0:
            raise ValueError(f"size: a 0-d tensor has no dimension {dim!r}")
        return self.shape[checks.dim("size", dim, self.shape)]

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator["Tensor"]:
        """The slices along the first axis (views), as iterating a PyTorch tensor."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; ambiguous (an error) for any other size."""
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all() on .data")
        return bool(self.data.item())

    # ---------------------------------------------------------------- constructors
    # The handout's spellings (`Tensor.zeros(2, 3)`): the factories of `creation.py`, with
    # the Tensor constructor's rule for requires_grad (integer data becomes float).

    @staticmethod
    def zeros(*shape: int, requires_grad: bool = False, **options: Any) -> "Tensor":
        """As `mytorch.zeros`."""
        return _handout_leaf(creation.zeros(*shape, **options), requires_grad)

    @staticmethod
    def ones(*shape: int, requires_grad: bool = False, **options: Any) -> "Tensor":
        """As `mytorch.ones`."""
        return _handout_leaf(creation.ones(*shape, **options), requires_grad)

    @staticmethod
    def randn(*shape: int, requires_grad: bool = False, **options: Any) -> "Tensor":
        """As `mytorch.randn`: samples from `np.random`, so `np.random.seed` reproduces them."""
        return _handout_leaf(creation.randn(*shape, **options), requires_grad)

    @staticmethod
    def arange(*args: Union[int, float], requires_grad: bool = False, **options: Any) -> "Tensor":
        """As `mytorch.arange`."""
        return _handout_leaf(creation.arange(*args, **options), requires_grad)

    @staticmethod
    def empty(*shape: int, requires_grad: bool = False, **options: Any) -> "Tensor":
        """As `mytorch.empty`."""
        return _handout_leaf(creation.empty(*shape, **options), requires_grad)

    # -------------------------------------------------------------------- autograd

    def backward(self, gradient: Optional[Any] = None, retain_graph: Optional[bool] = None) -> None:
        """Accumulate d(self)/d(leaf) into the `.grad` of every leaf that requires grad.

        Args:
            gradient: dL/d(self), of self's shape. Defaults to ones of self's shape
                (for a scalar loss: dL/dL = 1). It is read, never written.
            retain_graph: accepted for PyTorch's sake and ignored: the graph is always
                kept, so backward may run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require grad: "
                               "it is not the result of ops on tensors with requires_grad=True")
        if gradient is None:
            gradient = Tensor(np.ones(self.shape, dtype=self.dtype))
        else:
            # Cast to our dtype as PyTorch does, so every backward sees one dtype.
            gradient = Tensor(np.asarray(_as_array(gradient), dtype=self.dtype))
        if gradient.shape != self.shape:
            raise ValueError(f"backward(): gradient of shape {gradient.shape} for a tensor "
                             f"of shape {self.shape}")
        autograd_engine.backward(autograd_engine._graph_node(self), gradient)

    def register_hook(self, hook: Callable[["Tensor"], Optional["Tensor"]]
                      ) -> "hooks.RemovableHandle":
        """Call `hook(grad)` with the gradient that flows into this tensor during backward,
        as `torch.Tensor.register_hook`.

        The hook runs once per backward, on the gradient summed over every use of the
        tensor. It may return a Tensor of the same shape and dtype to use instead (for a
        non-leaf, what flows on to its inputs; for a leaf, what `.grad` accumulates), or
        None to keep it. `grad` is read-only: return a new tensor rather than changing it
        in place. Hooks run in the order they were registered, before `retain_grad` keeps
        the gradient. A hook that raises stops the backward before any `.grad` changes.

        Returns:
            A handle whose `remove()` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does "
                               "not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = next(_hook_keys)
        self._hooks[key] = hook
        if self.grad_fn is not None:
            self.grad_fn.hooks = self._hooks
        return hooks.RemovableHandle(self._hooks, key)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` after backward (leaves always do).

        Like a leaf's, the gradient accumulates over backward calls until `.grad` is set
        to None. Hooks registered on the tensor run first, so `.grad` holds what they return.
        """
        if not self.requires_grad:
            raise RuntimeError("retain_grad: cannot retain the gradient of a tensor that does "
                               "not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)

    def detach(self) -> "Tensor":
        """A constant leaf sharing this tensor's data (and its version counter)."""
        detached = Tensor(self.data)
        detached._version_counter = self._counter()
        return detached

    def detach_(self) -> "Tensor":
        """Make this tensor a constant leaf in place, cut from the graph that made it."""
        self.grad_fn = None
        self.is_leaf = True
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set `requires_grad` in place and return self, as `torch.Tensor.requires_grad_`.

        Raises:
            RuntimeError: for a non-leaf (its requires_grad comes from its inputs), or for
                asking an integer or bool tensor to require grad.
        """
        requires_grad = checks.boolean("requires_grad_: requires_grad", requires_grad)
        if not self.is_leaf:  # it requires grad already, as every recorded output does
            if not requires_grad:
                raise RuntimeError("requires_grad_: a non-leaf tensor's requires_grad cannot be "
                                   "turned off; use .detach() for a tensor outside the graph")
            return self
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only tensors of floating point dtype can "
                               f"require gradients, got dtype {self.dtype}")
        self._requires_grad = requires_grad
        return self

    def copy(self) -> "Tensor":
        """A constant leaf holding a copy of this tensor's data."""
        return Tensor(self.data.copy())

    def item(self) -> Union[int, float, bool]:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(f"item: a tensor with {self.data.size} elements cannot be "
                               "converted to a Python number")
        return self.data.item()

    def tolist(self) -> Any:
        """The values as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying array, shared, not copied, as `torch.Tensor.numpy`.

        Refused for a tensor that requires grad, as PyTorch refuses: changes through the
        array would bypass autograd. `force=True` (or `.detach().numpy()`) gives it anyway.
        """
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        """`np.asarray(t)`: the values, by `numpy()`'s rule."""
        array = self.numpy()
        if copy:
            return np.array(array, dtype=dtype)
        return array if dtype is None else array.astype(dtype, copy=False)

    def _scalar(self, kind: str) -> Union[int, float]:
        if self.data.size != 1:
            raise ValueError(f"only one-element tensors can be converted to Python {kind}s, "
                             f"got a tensor of shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        """A one-element integer tensor as an index (`range(t)`, `seq[t]`)."""
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index, got dtype {self.dtype} and shape {self.shape}")
        return int(self.data.item())

    def __format__(self, format_spec: str) -> str:
        """`f"{t:.4f}"` formats a 0-d tensor's value, as PyTorch does; other tensors take
        only an empty format."""
        if self.ndim == 0:
            return format(self.data.item(), format_spec)
        return object.__format__(self, format_spec)

    # ------------------------------------------------------------------- devices

    @property
    def device(self) -> "devices.device":
        """Where the tensor lives: always the CPU."""
        return devices.CPU

    is_cuda = False

    def cpu(self) -> "Tensor":
        """This tensor: it is on the CPU already."""
        return self

    def cuda(self, device: Any = "cuda", non_blocking: bool = False) -> "Tensor":
        """An error: MyTorch has no GPU backend (see `mytorch.cuda.is_available()`)."""
        devices.as_device("cuda", device if device is not None else "cuda")
        return self

    def __repr__(self) -> str:
        """PyTorch's printout: floats to 4 decimals (or in scientific notation when their
        magnitudes differ a lot), `dtype=` for a float dtype other than the default."""
        data = self.data
        summarized = data.size > _PRINT_THRESHOLD
        # As PyTorch, the notation and the width come from the elements shown.
        formatter = _float_formatter(_shown(data) if summarized else data)
        body = np.array2string(data, separator=", ", prefix="tensor(", max_line_width=80,
                               formatter=formatter, threshold=_PRINT_THRESHOLD, edgeitems=_PRINT_EDGE)
        extras = []
        if data.size == 0 and data.ndim > 1:
            extras.append(f"size={data.shape}")
        if data.dtype.kind == "f" and data.dtype != _default_dtype:
            extras.append(f"dtype={data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([body] + extras)})"

    # ------------------------------------------------------------------- operators

    def _operand(self, other: Any) -> "Tensor":
        """`other` as a Tensor; a Python number takes this tensor's dtype where PyTorch's
        promotion does (a float with a float tensor, an int with an integer one), else its
        own (int64, or the default float dtype for a float with an integer tensor)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number):
            if self.dtype.kind == "f":
                return Tensor(np.asarray(other, dtype=self.dtype))
            return creation.scalar_tensor(other, self.dtype)
        return Tensor(other)

    def __add__(self, other: Any) -> "Tensor":
        return ops.Add.apply(self, self._operand(other))

    def __radd__(self, other: Any) -> "Tensor":
        return ops.Add.apply(self._operand(other), self)

    def __sub__(self, other: Any) -> "Tensor":
        return ops.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: Any) -> "Tensor":
        return ops.Sub.apply(self._operand(other), self)

    def __mul__(self, other: Any) -> "Tensor":
        return ops.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: Any) -> "Tensor":
        return ops.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return ops.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return ops.Div.apply(self._operand(other), self)

    def __matmul__(self, other: Any) -> "Tensor":
        return ops.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return ops.MatMul.apply(self._operand(other), self)

    def __floordiv__(self, other: Any) -> "Tensor":
        """floor(self / other), as PyTorch's `//` (`div` with rounding_mode="floor")."""
        return self.div(other, rounding_mode="floor")

    def __rfloordiv__(self, other: Any) -> "Tensor":
        return self._operand(other).div(self, rounding_mode="floor")

    def __mod__(self, other: Any) -> "Tensor":
        """self mod other with the sign of other, as Python's % and `torch.remainder`."""
        return ops.Remainder.apply(self, self._operand(other))

    def __rmod__(self, other: Any) -> "Tensor":
        return ops.Remainder.apply(self._operand(other), self)

    def __neg__(self) -> "Tensor":
        return ops.Neg.apply(self)

    def __pow__(self, exponent: Any) -> "Tensor":
        """self ** exponent, for a number or a tensor exponent."""
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            # As a Python number: a NumPy float64 scalar would make a float32 base float64.
            return ops.Pow.apply(self, exponent.item() if isinstance(exponent, np.generic) else exponent)
        return ops.Pow.apply(self, self._operand(exponent))

    def __rpow__(self, base: Any) -> "Tensor":
        """base ** self, for a number or array base."""
        return ops.Pow.apply(self._operand(base), self)

    def __getitem__(self, index: Any) -> "Tensor":
        return ops.Index.apply(self, index)

    def __abs__(self) -> "Tensor":
        return self.abs()

    # ------------------------------------------------------------------ in place

    def _check_in_place(self, op: str) -> None:
        if autograd_engine.is_grad_enabled() and self.requires_grad:
            if self.is_leaf:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                    "the graph is recorded; do it inside `with mytorch.no_grad():`")
            raise RuntimeError(f"{op}: in-place changes to a tensor that is part of a graph are "
                               "not supported; use the out-of-place form")

    def _update(self, op: str, ufunc: np.ufunc, other: Any) -> "Tensor":
        """self.data = ufunc(self.data, other), in place, bumping the version."""
        self._check_in_place(op)
        value = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, value, out=self.data)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{op}: cannot update a tensor of shape {self.shape} and dtype "
                             f"{self.dtype} in place with {np.shape(value)}: {exc}") from None
        self._counter().value += 1
        return self

    def _records_with(self, other: Any) -> bool:
        """Whether `self op other` would be recorded in the graph."""
        return autograd_engine.is_grad_enabled() and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad))

    def add_(self, other: Any) -> "Tensor":
        """self += other, in place."""
        return self._update("add_", np.add, other)

    def sub_(self, other: Any) -> "Tensor":
        """self -= other, in place."""
        return self._update("sub_", np.subtract, other)

    def mul_(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        return self._update("mul_", np.multiply, other)

    def div_(self, other: Any) -> "Tensor":
        """self /= other, in place."""
        return self._update("div_", np.true_divide, other)

    def copy_(self, source: Any) -> "Tensor":
        """Write `source` (broadcast to self's shape) into self, in place."""
        return self._update("copy_", lambda _, value, out: np.copyto(out, value, casting="same_kind"),
                            source)

    def fill_(self, value: Any) -> "Tensor":
        """Set every element to `value`, in place."""
        return self.copy_(value)

    def zero_(self) -> "Tensor":
        """Set every element to 0, in place."""
        return self.copy_(0)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with samples of N(mean, std**2), in place, as `torch.Tensor.normal_`."""
        return self.copy_(creation.normal(mean, std, self.shape, generator=generator,
                                          dtype=checks.float_dtype("normal_: dtype", self.dtype)))

    def uniform_(self, low: float = 0.0, high: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with samples of U[low, high), in place, as `torch.Tensor.uniform_(from, to)`."""
        checks.float_dtype("uniform_: dtype", self.dtype)
        low, high = checks.number("uniform_: from", low), checks.number("uniform_: to", high)
        if low > high:
            raise ValueError(f"uniform_: from ({low}) must not exceed to ({high})")
        return self.copy_(low + (high - low) * creation.rand(self.shape, generator=generator,
                                                             dtype=np.float64).data)

    def __setitem__(self, index: Any, value: Any) -> None:
        """self[index] = value, in place (outside the graph, like every in-place change here)."""
        if self._records_with(value):
            self._check_in_place("__setitem__")
            raise RuntimeError("__setitem__: assigning a tensor that requires grad into another "
                               "tensor is not supported; build the result out of place")
        self._update("__setitem__", lambda data, new, out: data.__setitem__(index, new), value)

    def _in_place_or_rebind(self, op: str, method: Callable[[Any], "Tensor"],
                            out_of_place: Callable[[Any], "Tensor"], other: Any) -> "Tensor":
        """`x op= y`: in place when no graph is recorded; otherwise x is rebound to the
        recorded `x op y` (a leaf that requires grad is an error, as in PyTorch)."""
        if self._records_with(other):
            if self.is_leaf and self.requires_grad:
                self._check_in_place(op)
            return out_of_place(other)
        return method(other)

    def __iadd__(self, other: Any) -> "Tensor":
        return self._in_place_or_rebind("+=", self.add_, self.__add__, other)

    def __isub__(self, other: Any) -> "Tensor":
        return self._in_place_or_rebind("-=", self.sub_, self.__sub__, other)

    def __imul__(self, other: Any) -> "Tensor":
        return self._in_place_or_rebind("*=", self.mul_, self.__mul__, other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._in_place_or_rebind("/=", self.div_, self.__truediv__, other)

def _float_formatter(data: np.ndarray) -> Optional[dict]:
    """NumPy print options that show floats as PyTorch does: whole numbers as `2.`, others
    with 4 decimals, both switching to `1.0000e-05` notation when the largest nonzero
    magnitude is over 1e8 or 1000 times the smallest (or, with decimals, under 1e-4);
    every element padded to one width."""
    if data.dtype.kind != "f" or data.size == 0:
        return None
    magnitudes = np.abs(data[np.isfinite(data) & (data != 0)]).astype(np.float64)
    whole = bool(np.all(magnitudes == np.ceil(magnitudes)))
    if magnitudes.size:
        top, bottom = magnitudes.max(), magnitudes.min()
        scientific = top / bottom > 1000 or top > 1e8 or (not whole and bottom < 1e-4)
    else:
        scientific = False
    if scientific:
        pattern = "{:.4e}"
    else:
        pattern = "{:.0f}." if whole else "{:.4f}"

    def text(value: float) -> str:
        return pattern.format(value) if np.isfinite(value) else str(value)

    width = max(len(text(value)) for value in data.flat)
    return {"float_kind": lambda value: text(value).rjust(width)}


_PRINT_THRESHOLD = 1000  # more elements than this print summarized, as in PyTorch
_PRINT_EDGE = 3  # elements shown at each end of a summarized axis


def _shown(data: np.ndarray) -> np.ndarray:
    """The elements a summarized printout shows: the first and last `_PRINT_EDGE` along
    every longer axis (PyTorch's get_summarized_data)."""
    for axis, size in enumerate(data.shape):
        if size > 2 * _PRINT_EDGE:
            ends = np.r_[:_PRINT_EDGE, size - _PRINT_EDGE:size]
            data = data.take(ends, axis)
    return data


def _handout_leaf(tensor: Tensor, requires_grad: bool) -> Tensor:
    """`tensor`, requiring grad if asked by the Tensor constructor's rule: integer data
    becomes the default float dtype (the handout's `Tensor.arange(3, requires_grad=True)`)."""
    if requires_grad:
        tensor.requires_grad = True
    return tensor


_NOT_GIVEN = object()  # where()'s input and other, when only the condition is given


def where(condition: Any, input: Any = _NOT_GIVEN, other: Any = _NOT_GIVEN) -> Any:
    """input where `condition` (a bool tensor or array) is True, else other, with
    broadcasting, as `torch.where`. A number takes the other operand's dtype by PyTorch's
    promotion (see `Tensor._operand`); two numbers give the default float dtype for floats.
    `where(condition)` alone is `condition.nonzero(as_tuple=True)`, as in PyTorch."""
    if input is _NOT_GIVEN and other is _NOT_GIVEN:
        return autograd_engine.tensor_input("where", "condition", condition).nonzero(as_tuple=True)
    if input is _NOT_GIVEN or other is _NOT_GIVEN:
        raise TypeError("where: give both input and other, or neither (where(condition) gives "
                        "the indices of the nonzero elements)")
    if isinstance(input, Tensor):
        other = input._operand(other)
    elif isinstance(other, Tensor):
        input = other._operand(input)
    else:
        input, other = (creation.scalar_tensor(v) if isinstance(v, numbers.Number) else Tensor(v)
                        for v in (input, other))
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    return ops.Where.apply(condition, input, other)


def cat(seq: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors of `seq` joined along the existing axis `dim`, as `torch.cat`.

    Raises:
        ValueError: the shapes differ outside `dim`, or `seq` is empty (the message names
            the shapes).
    """
    return ops.Cat.apply(*_tensor_list("cat", seq), dim)


def stack(seq: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The same-shaped tensors of `seq` stacked along a new axis `dim`, as `torch.stack`."""
    return ops.Stack.apply(*_tensor_list("stack", seq), dim)


def _tensor_list(op: str, seq: Any) -> list:
    if isinstance(seq, Tensor) or not isinstance(seq, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(seq).__name__}")
    return list(seq)


class _TensorModule(types.ModuleType):
    """This module's type: callable, so that `mytorch.tensor(data, ...)` makes a tensor as
    `torch.tensor` does, while `from mytorch.tensor import Tensor` (the handout's import)
    still finds the class."""

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """`tensor(data, dtype=None, device=None, requires_grad=False)`: a new leaf holding
        a copy of `data`, as `torch.tensor` (see `mytorch.creation.tensor`)."""
        return creation.tensor(*args, **kwargs)


sys.modules[__name__].__class__ = _TensorModule

# Imported last: the ops and the factories import Tensor from this module.
from mytorch import creation, ops  # noqa: E402
