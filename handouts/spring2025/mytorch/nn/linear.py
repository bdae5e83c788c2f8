"""Fully connected layer with hand-derived gradients (11-785 Spring 2025 HW1P1)."""
from typing import Optional

import numpy as np

from ._checks import gradient_like, matrix_with_columns, positive_int


class Linear:
    """Affine map ``Z = A W^T + 1_N b^T``.

    Shapes follow the handout: ``W`` is (out, in), ``b`` is a column (out, 1),
    ``A`` is (N, in) and ``Z`` is (N, out). Parameters start at zero as in
    the handout; callers (tests, the autograder) assign them directly.

    Attributes:
        W, b: parameters.
        dLdW, dLdb: gradients from the last ``backward``, same shapes as W, b.
        A, N: the last input and its batch size (kept for ``backward``).
        dLdA: the last input gradient, kept only when ``debug`` is True (the
            handout's autograder reads it).
    """

    def __init__(self, in_features: int, out_features: int, debug: bool = False) -> None:
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        self.debug = bool(debug)
        self.W = np.zeros((self.out_features, self.in_features))
        self.b = np.zeros((self.out_features, 1))
        self.dLdW = np.zeros_like(self.W)
        self.dLdb = np.zeros_like(self.b)
        self.A: Optional[np.ndarray] = None
        self.N = 0
        self.dLdA: Optional[np.ndarray] = None
        self._Z: Optional[np.ndarray] = None

    def forward(self, A: np.ndarray) -> np.ndarray:
        """Z = A @ W.T + ones(N, 1) @ b.T, for A of shape (N, in_features)."""
        A = matrix_with_columns("A", A, self.in_features)
        ones = np.ones((A.shape[0], 1))
        Z = A @ self.W.T + ones @ self.b.T
        self.A, self.N, self._Z = A, A.shape[0], Z
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdA = dLdZ W,  dLdW = dLdZ^T A,  dLdb = dLdZ^T 1_N.

        Returns:
            dLdA, shape (N, in_features).
        """
        dLdZ = gradient_like(self, "dLdZ", dLdZ, self._Z)
        ones = np.ones((self.N, 1))
        dLdA = dLdZ @ self.W
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.T @ ones
        if self.debug:
            self.dLdA = dLdA
        return dLdA
