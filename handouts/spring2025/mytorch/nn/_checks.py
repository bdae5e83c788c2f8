"""Input validation shared by the layers of this tree.

Every check raises before the layer stores anything, naming the argument, what was
expected and what was received, so a bad call leaves the layer as it was and fails
where it is made rather than as a broadcasting error several layers later.
"""
from numbers import Integral, Real
from typing import Optional, Tuple

import numpy as np


def positive_int(name: str, value: object) -> int:
    """`value` if it is a positive integer; TypeError for a non-integer, else ValueError."""
    # bool is an Integral subclass, but Linear(True, 3) is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def real_in_range(name: str, value: object, low: float, high: float) -> float:
    """`value` as a float if low <= value <= high; TypeError for a non-number, else
    ValueError (NaN included)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def as_float_array(name: str, value: object, ndim: Optional[int] = None) -> np.ndarray:
    """`value` as a floating-point array, checking its rank if asked.

    Integers are promoted to float64; float32 and float64 keep their dtype.

    Raises:
        TypeError: for a non-numeric value.
        ValueError: for the wrong number of dimensions.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} of "
                        f"dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    return array


def matrix_with_columns(name: str, value: object, columns: int) -> np.ndarray:
    """`value` as a float (N, columns) array, else TypeError/ValueError."""
    array = as_float_array(name, value)
    if array.ndim != 2 or array.shape[1] != columns:
        raise ValueError(f"{name} must have shape (N, {columns}), got {array.shape}")
    return array


def gradient_like(layer: object, name: str, grad: object,
                  saved: Optional[np.ndarray]) -> np.ndarray:
    """Check an upstream gradient against the forward output it is the gradient of.

    Args:
        layer: the layer whose backward was called, named in the messages.
        name: the argument's name (e.g. "dLdA").
        grad: the incoming gradient.
        saved: the forward output it must match, or None if forward never ran.
    """
    if saved is None:
        raise RuntimeError(f"{type(layer).__name__}.backward() called before forward()")
    grad = as_float_array(name, grad)
    if grad.shape != saved.shape:
        raise ValueError(f"{name} must have the forward output's shape {saved.shape}, "
                         f"got {grad.shape}")
    return grad


def matching_pair(A: object, Y: object) -> Tuple[np.ndarray, np.ndarray]:
    """A and Y as float (N, C) arrays of the same shape, else TypeError/ValueError."""
    A = as_float_array("A", A, ndim=2)
    Y = as_float_array("Y", Y)
    if Y.shape != A.shape:
        raise ValueError(f"A and Y must have the same shape, got A {A.shape} and Y {Y.shape}")
    return A, Y
