"""Input validation shared by the hand-derived layers.

Every check raises ``ValueError`` naming the argument, what was expected and
what was received, so a bad call fails where it is made rather than as a
broadcasting error several layers later.
"""

from numbers import Integral, Real

import numpy as np


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is a positive integer, else raise ValueError."""
    # bool is an Integral subclass, but Linear(True, 3) is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def real_in_range(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a float if ``low <= value <= high``, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, Real) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def as_float_array(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    """Convert ``value`` to a floating-point array, checking its rank if asked.

    Integer input is promoted to float64; float32/float64 keep their dtype.
    """
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array, got shape {array.shape}"
        )
    return array


def matrix_with_columns(name: str, value: object, columns: int) -> np.ndarray:
    """Convert ``value`` to a float (N, columns) array, else raise ValueError."""
    array = as_float_array(name, value)
    if array.ndim != 2 or array.shape[1] != columns:
        raise ValueError(
            f"{name} must have shape (N, {columns}), got {array.shape}"
        )
    return array


def gradient_like(
    layer: object, name: str, grad: object, saved: np.ndarray | None
) -> np.ndarray:
    """Check an upstream gradient against the array it is the gradient of.

    Args:
        layer: the layer whose backward was called, named in the error messages.
        name: argument name used in the error message (e.g. ``"dLdA"``).
        grad: the incoming gradient.
        saved: the forward output it must match, or None if forward never ran.
    """
    if saved is None:
        raise RuntimeError(f"{type(layer).__name__}.backward() called before forward()")
    grad = as_float_array(name, grad)
    if grad.shape != saved.shape:
        raise ValueError(
            f"{name} must have the forward output's shape {saved.shape}, got {grad.shape}"
        )
    return grad
