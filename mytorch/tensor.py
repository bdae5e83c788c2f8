"""The Tensor: an ndarray plus what autograd needs to differentiate through it."""
import itertools
import numbers
import operator
import weakref
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import autograd_engine, checks, hooks
from mytorch.tensor_methods import TensorMethods, shape_arg


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

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; ambiguous (an error) for any other size."""
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all() on .data")
        return bool(self.data.item())

    # ---------------------------------------------------------------- constructors

    @staticmethod
    def zeros(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.zeros(shape_arg(shape), _default_dtype), requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.ones(shape_arg(shape), _default_dtype), requires_grad=requires_grad)

    @staticmethod
    def randn(*shape: int, requires_grad: bool = False) -> "Tensor":
        """Standard normal samples from `np.random`, so `np.random.seed` reproduces them."""
        samples = np.random.standard_normal(shape_arg(shape)).astype(_default_dtype, copy=False)
        return Tensor(samples, requires_grad=requires_grad)

    @staticmethod
    def arange(*args: Union[int, float], requires_grad: bool = False) -> "Tensor":
        return Tensor(np.arange(*args), requires_grad=requires_grad)

    @staticmethod
    def empty(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.empty(shape_arg(shape), _default_dtype), requires_grad=requires_grad)

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

    def copy(self) -> "Tensor":
        """A constant leaf holding a copy of this tensor's data."""
        return Tensor(self.data.copy())

    def item(self) -> Union[int, float, bool]:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        if self.grad_fn is not None:
            return f"tensor({body}, grad_fn={self.grad_fn!r})"
        if self.requires_grad:
            return f"tensor({body}, requires_grad=True)"
        return f"tensor({body})"

    # ------------------------------------------------------------------- operators

    def _operand(self, other: Any) -> "Tensor":
        """`other` as a Tensor; a Python number takes this tensor's float dtype, as in PyTorch."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and self.dtype.kind == "f":
            return Tensor(np.asarray(other, dtype=self.dtype))
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

def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of `input`'s shape and dtype (or `dtype`), as `torch.zeros_like`."""
    array = _as_array(input)
    dtype = array.dtype if dtype is None else checks.numeric_dtype("zeros_like: dtype", dtype)
    return Tensor(np.zeros(array.shape, dtype), requires_grad=requires_grad)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of `input`'s shape and dtype (or `dtype`), as `torch.ones_like`."""
    array = _as_array(input)
    dtype = array.dtype if dtype is None else checks.numeric_dtype("ones_like: dtype", dtype)
    return Tensor(np.ones(array.shape, dtype), requires_grad=requires_grad)


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of `input`'s shape and float dtype (or `dtype`), as
    `torch.randn_like`, drawn from `np.random` (see `mytorch.manual_seed`)."""
    array = _as_array(input)
    dtype = checks.float_dtype("randn_like: dtype", array.dtype if dtype is None else dtype)
    samples = np.random.standard_normal(array.shape).astype(dtype, copy=False)
    return Tensor(samples, requires_grad=requires_grad)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where `condition` (a bool tensor or array) is True, else other, with
    broadcasting, as `torch.where`. A number takes the other operand's float dtype."""
    if isinstance(input, Tensor):
        other = input._operand(other)
    elif isinstance(other, Tensor):
        input = other._operand(input)
    else:
        input, other = Tensor(input), Tensor(other)
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    return ops.Where.apply(condition, input, other)


def cat(seq: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors of `seq` joined along the existing axis `dim`, as `torch.cat`.

    Raises:
        ValueError naming the shapes if they differ outside `dim`, or if `seq` is empty.
    """
    return ops.Cat.apply(*_tensor_list("cat", seq), dim)


def stack(seq: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The same-shaped tensors of `seq` stacked along a new axis `dim`, as `torch.stack`."""
    return ops.Stack.apply(*_tensor_list("stack", seq), dim)


def _tensor_list(op: str, seq: Any) -> list:
    if isinstance(seq, Tensor) or not isinstance(seq, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(seq).__name__}")
    return list(seq)


# Imported last: the ops import Tensor from this module.
from mytorch import ops  # noqa: E402
