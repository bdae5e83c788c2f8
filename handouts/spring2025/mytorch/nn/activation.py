"""Activations with hand-derived gradients (11-785 Spring 2025 HW1P1).

Each ``forward(Z)`` stores its output ``A`` (the handout's convention, and the
cheaper way to get the derivative for Sigmoid, Tanh and Softmax) and each
``backward(dLdA)`` returns ``dLdZ``. All but Softmax act element-wise, so
``dLdZ = dLdA * dA/dZ``.
"""

import math
from typing import Optional

import numpy as np

from ._checks import as_float_array, gradient_like

try:
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover - scipy is installed where tests run
    # Exact to double precision but a Python call per element; only used when
    # scipy is missing, since NumPy itself has no erf.
    _erf_scalar = np.frompyfunc(math.erf, 1, 1)

    def _erf(x: np.ndarray) -> np.ndarray:
        return np.asarray(_erf_scalar(x), dtype=np.result_type(x, np.float64))


class Identity:
    """A = Z;  dLdZ = dLdA."""

    def __init__(self) -> None:
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = Z."""
        self.A = as_float_array("Z", Z)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ = dLdA, since dA/dZ = 1."""
        return gradient_like(self, "dLdA", dLdA, self.A)


class Sigmoid:
    """A = 1 / (1 + exp(-Z));  dA/dZ = A - A^2."""

    def __init__(self) -> None:
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = 1 / (1 + exp(-Z)), evaluated without overflow for any Z."""
        Z = as_float_array("Z", Z)
        # exp(-|Z|) is in (0, 1], so neither branch can overflow; for Z < 0 the
        # identity sigmoid(Z) = exp(Z) / (1 + exp(Z)) keeps full precision.
        e = np.exp(-np.abs(Z))
        self.A = np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ = dLdA * (A - A^2)."""
        dLdA = gradient_like(self, "dLdA", dLdA, self.A)
        return dLdA * (self.A - self.A * self.A)


class Tanh:
    """A = (e^Z - e^-Z) / (e^Z + e^-Z);  dA/dZ = 1 - A^2."""

    def __init__(self) -> None:
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = (e^Z - e^-Z) / (e^Z + e^-Z), without np.tanh (the handout forbids it).

        Dividing through by e^|Z| gives sign(Z) (1 - e^(-2|Z|)) / (1 + e^(-2|Z|)),
        whose exponential lies in (0, 1], so nothing overflows for large |Z|. With
        m = expm1(-2|Z|) that is sign(Z) (-m) / (2 + m): expm1 keeps full precision
        near 0, where 1 - e^(-2|Z|) would cancel.
        """
        Z = as_float_array("Z", Z)
        m = np.expm1(-2.0 * np.abs(Z))
        self.A = np.sign(Z) * -m / (2.0 + m)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ = dLdA * (1 - A^2)."""
        dLdA = gradient_like(self, "dLdA", dLdA, self.A)
        return dLdA * (1.0 - self.A * self.A)


class ReLU:
    """A = max(Z, 0);  dA/dZ = 1 where Z > 0, else 0 (0 at the kink)."""

    def __init__(self) -> None:
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = max(Z, 0)."""
        self.A = np.maximum(as_float_array("Z", Z), 0.0)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ = dLdA * [Z > 0]; A > 0 exactly where Z > 0."""
        dLdA = gradient_like(self, "dLdA", dLdA, self.A)
        return np.where(self.A > 0, dLdA, 0.0)


class GELU:
    """Exact GELU: A = Z Phi(Z) = 0.5 Z (1 + erf(Z / sqrt 2)).

    dA/dZ = Phi(Z) + Z phi(Z) = 0.5 (1 + erf(Z / sqrt 2)) + Z exp(-Z^2 / 2) / sqrt(2 pi).
    """

    def __init__(self) -> None:
        self.Z: Optional[np.ndarray] = None
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = 0.5 Z (1 + erf(Z / sqrt 2))."""
        # Unlike the other activations the derivative needs Z, not A.
        self.Z = as_float_array("Z", Z)
        self.A = 0.5 * self.Z * (1.0 + _erf(self.Z / math.sqrt(2.0)))
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ = dLdA * (0.5 (1 + erf(Z / sqrt 2)) + Z exp(-Z^2 / 2) / sqrt(2 pi))."""
        dLdA = gradient_like(self, "dLdA", dLdA, self.A)
        Z = self.Z
        cdf = 0.5 * (1.0 + _erf(Z / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * Z * Z) / math.sqrt(2.0 * math.pi)
        return dLdA * (cdf + Z * pdf)


class Softmax:
    """Row-wise softmax: A[i] = exp(Z[i]) / sum_j exp(Z[i, j]) for Z of shape (N, C).

    Each row's Jacobian is J_i = diag(a_i) - a_i a_i^T, and backward returns
    dLdZ[i] = J_i dLdA[i]. Expanding that product gives
    dLdZ[i] = a_i * (dLdA[i] - a_i . dLdA[i]), which is what is computed: the
    same result for all rows at once, without building the (N, C, C) Jacobians.
    """

    def __init__(self) -> None:
        self.A: Optional[np.ndarray] = None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = exp(Z - max_row Z) / sum_row exp(Z - max_row Z)."""
        Z = as_float_array("Z", Z, ndim=2)
        # Subtracting the row maximum leaves softmax unchanged and keeps exp <= 1.
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.A = e / e.sum(axis=1, keepdims=True)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """dLdZ[i] = (diag(a_i) - a_i a_i^T) dLdA[i] = a_i * (dLdA[i] - a_i . dLdA[i])."""
        dLdA = gradient_like(self, "dLdA", dLdA, self.A)
        A = self.A
        return A * (dLdA - np.sum(dLdA * A, axis=1, keepdims=True))
