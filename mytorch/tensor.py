"""The Tensor: an ndarray plus what autograd needs to differentiate through it."""
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import autograd_engine

# Dtype kinds a Tensor may hold: bool, signed and unsigned integers, floats.
_NUMERIC_KINDS = "biuf"


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


def _shape_arg(shape: Tuple[Any, ...]) -> Tuple[int, ...]:
    """Accept both `f(2, 3)` and `f((2, 3))`, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


class Tensor:
    """A multi-dimensional array that records the ops applied to it for autograd.

    An ndarray of a numeric dtype is wrapped without a copy (like `torch.as_tensor`):
    the Tensor and the array share memory. Python numbers and lists are converted with
    `np.asarray`. Integer or bool data that requires grad becomes float64.

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

    def __init__(self, data: Any, requires_grad: bool = False, is_leaf: bool = True,
                 is_parameter: bool = False) -> None:
        self.data = _as_array(data)
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True  # the setter promotes integer data
        self.is_leaf = is_leaf
        self.is_parameter = is_parameter
        self.grad_fn = None
        self.grad: Optional[Tensor] = None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            # Gradients of integers are meaningless; promote as `Tensor(1, requires_grad=True)` asks.
            self.data = self.data.astype(np.float64)
        self._requires_grad = bool(value)

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> Tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> "Tensor":
        return F.Transpose.apply(self)

    def __len__(self) -> int:
        return len(self.data)

    # ---------------------------------------------------------------- constructors

    @staticmethod
    def zeros(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.zeros(_shape_arg(shape)), requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.ones(_shape_arg(shape)), requires_grad=requires_grad)

    @staticmethod
    def randn(*shape: int, requires_grad: bool = False) -> "Tensor":
        """Standard normal samples from `np.random`, so `np.random.seed` reproduces them."""
        return Tensor(np.random.standard_normal(_shape_arg(shape)), requires_grad=requires_grad)

    @staticmethod
    def arange(*args: Union[int, float], requires_grad: bool = False) -> "Tensor":
        return Tensor(np.arange(*args), requires_grad=requires_grad)

    @staticmethod
    def empty(*shape: int, requires_grad: bool = False) -> "Tensor":
        return Tensor(np.empty(_shape_arg(shape)), requires_grad=requires_grad)

    # -------------------------------------------------------------------- autograd

    def backward(self, gradient: Optional[Any] = None) -> None:
        """Accumulate d(self)/d(leaf) into the `.grad` of every leaf that requires grad.

        Args:
            gradient: dL/d(self), of self's shape. Defaults to ones of self's shape
                (for a scalar loss: dL/dL = 1).
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
        node = self.grad_fn if self.grad_fn is not None else autograd_engine.AccumulateGrad(self)
        autograd_engine.backward(node, gradient)

    def detach(self) -> "Tensor":
        """A constant leaf sharing this tensor's data."""
        return Tensor(self.data)

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
        if isinstance(other, (int, float)) and self.dtype.kind == "f":
            return Tensor(np.asarray(other, dtype=self.dtype))
        return Tensor(other)

    def __add__(self, other: Any) -> "Tensor":
        return F.Add.apply(self, self._operand(other))

    def __radd__(self, other: Any) -> "Tensor":
        return F.Add.apply(self._operand(other), self)

    def __sub__(self, other: Any) -> "Tensor":
        return F.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: Any) -> "Tensor":
        return F.Sub.apply(self._operand(other), self)

    def __mul__(self, other: Any) -> "Tensor":
        return F.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: Any) -> "Tensor":
        return F.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: Any) -> "Tensor":
        return F.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return F.Div.apply(self._operand(other), self)

    def __matmul__(self, other: Any) -> "Tensor":
        return F.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> "Tensor":
        return F.MatMul.apply(self._operand(other), self)

    def __neg__(self) -> "Tensor":
        return F.Neg.apply(self)

    def __pow__(self, exponent: Union[int, float]) -> "Tensor":
        return F.Pow.apply(self, exponent)

    def __getitem__(self, index: Any) -> "Tensor":
        return F.Index.apply(self, index)

    # --------------------------------------------------------------------- methods

    def reshape(self, *shape: int) -> "Tensor":
        return F.Reshape.apply(self, _shape_arg(shape))

    def transpose(self, dim0: Optional[int] = None, dim1: Optional[int] = None) -> "Tensor":
        """Swap axes dim0 and dim1, as `torch.Tensor.transpose`; with no arguments, reverse
        the axes (the handout's `transpose()`, same as `.T`)."""
        if dim0 is None and dim1 is None:
            return F.Transpose.apply(self)
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return F.Transpose.apply(self, tuple(axes))

    def permute(self, *dims: int) -> "Tensor":
        """Reorder the axes: output axis i is input axis dims[i], as `torch.Tensor.permute`."""
        return F.Transpose.apply(self, _shape_arg(dims))

    def sum(self, axis: Union[None, int, Sequence[int]] = None, keepdims: bool = False) -> "Tensor":
        return F.Sum.apply(self, axis, keepdims)

    def mean(self, axis: Union[None, int, Sequence[int]] = None, keepdims: bool = False) -> "Tensor":
        return F.Mean.apply(self, axis, keepdims)

    def max(self, axis: Union[None, int, Sequence[int]] = None, keepdims: bool = False) -> "Tensor":
        return F.Max.apply(self, axis, keepdims)

    def exp(self) -> "Tensor":
        return F.Exp.apply(self)

    def log(self) -> "Tensor":
        return F.Log.apply(self)

    def relu(self) -> "Tensor":
        return F.ReLU.apply(self)


# Imported last: the ops import Tensor from this module.
from mytorch.nn import functional as F  # noqa: E402
