"""Losses with hand-derived gradients (11-785 S25 HW1P1).

``forward(A, Y)`` returns the scalar loss and stores what ``backward()``
needs; ``backward()`` takes no argument and returns dL/dA.
"""

import numpy as np

from ._checks import as_float_array


def _matching_pair(A: object, Y: object) -> tuple[np.ndarray, np.ndarray]:
    """Return A and Y as float (N, C) arrays, raising ValueError unless shapes match."""
    A = as_float_array("A", A, ndim=2)
    Y = as_float_array("Y", Y)
    if Y.shape != A.shape:
        raise ValueError(
            f"A and Y must have the same shape, got A {A.shape} and Y {Y.shape}"
        )
    return A, Y


class MSELoss:
    """L = sum((A - Y)^2) / (N C);  dL/dA = 2 (A - Y) / (N C)."""

    def __init__(self) -> None:
        self.A: np.ndarray | None = None
        self.Y: np.ndarray | None = None

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        """L = 1_N^T ((A - Y) o (A - Y)) 1_C / (N C), for A and Y of shape (N, C)."""
        self.A, self.Y = _matching_pair(A, Y)
        N, C = self.A.shape
        diff = self.A - self.Y
        return float(np.sum(diff * diff) / (N * C))

    def backward(self) -> np.ndarray:
        """dL/dA = 2 (A - Y) / (N C)."""
        if self.A is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        N, C = self.A.shape
        return 2.0 * (self.A - self.Y) / (N * C)


class CrossEntropyLoss:
    """Softmax cross-entropy averaged over the batch.

    L = (1/N) sum_i sum_c -Y[i, c] log softmax(A)[i, c], where each row of Y
    is one-hot or a probability vector; dL/dA = (softmax(A) - Y) / N.
    """

    def __init__(self) -> None:
        self.softmax: np.ndarray | None = None
        self.Y: np.ndarray | None = None

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        """L = sum(-Y o log softmax(A)) / N, softmax taken along axis 1."""
        A, self.Y = _matching_pair(A, Y)
        shifted = A - A.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        self.softmax = exp / total
        # log softmax = shifted - log(sum exp) stays finite even where softmax
        # underflows to 0, which np.log(self.softmax) would turn into -inf.
        log_softmax = shifted - np.log(total)
        return float(np.sum(-self.Y * log_softmax) / A.shape[0])

    def backward(self) -> np.ndarray:
        """dL/dA = (softmax(A) - Y) / N."""
        if self.softmax is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        return (self.softmax - self.Y) / self.softmax.shape[0]
