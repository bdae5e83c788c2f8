"""Argument checks shared by constructors: each raises ValueError naming the argument and value."""
from typing import Any

import numpy as np


def check_positive_int(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is an integer > 0 (a bool is not: Linear(True, 3) is a slip)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_non_negative(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is a number >= 0 (NaN is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
