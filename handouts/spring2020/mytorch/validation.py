"""Argument checks shared by the layers of this tree.

Each check raises before anything is stored, naming the argument and the value it
got, so a bad call leaves the layer as it was and fails where it is made instead of
as a broadcasting error several layers later.
"""
from numbers import Integral, Real
from typing import Optional

import numpy as np


def positive_int(name: str, value: object) -> int:
    """`value` as an int if it is a positive integer, else ValueError (TypeError for a
    non-integer)."""
    # bool is an Integral, but Linear(True, 3) is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def real_in_range(name: str, value: object, low: float, high: float) -> float:
    """`value` as a float if it is a real number in [low, high], else ValueError
    (TypeError for a non-number)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:  # also rejects NaN
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def float_array(name: str, value: object) -> np.ndarray:
    """`value` as a float64 array (integers are promoted), else TypeError."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} "
                        f"of dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def float_matrix(name: str, value: object, columns: Optional[int] = None) -> np.ndarray:
    """`value` as a float64 (N, columns) array (any width if `columns` is None).

    Raises:
        TypeError: for a non-numeric value (strings, objects).
        ValueError: for a wrong rank or width, naming the shape received.
    """
    array = float_array(name, value)
    expected = "(N, C)" if columns is None else f"(N, {columns})"
    if array.ndim != 2 or (columns is not None and array.shape[1] != columns):
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
    return array


def same_shape(name: str, value: object, shape: tuple) -> np.ndarray:
    """`value` as a float64 array of exactly `shape`, else TypeError/ValueError."""
    array = float_matrix(name, value)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    return array


def saved(layer: object, value: Optional[np.ndarray], method: str) -> np.ndarray:
    """What forward saved for `method`, or RuntimeError if forward has not run."""
    if value is None:
        raise RuntimeError(f"{type(layer).__name__}.{method}() called before forward()")
    return value
