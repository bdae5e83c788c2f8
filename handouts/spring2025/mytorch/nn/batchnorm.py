"""1-D batch normalisation with hand-derived gradients (11-785 Spring 2025 HW1P1)."""
from typing import Optional

import numpy as np

from ._checks import gradient_like, matrix_with_columns, positive_int, real_in_range


class BatchNorm1d:
    """Batch normalisation over the batch axis of Z, shape (N, C).

    Training (``eval=False``), with batch statistics::

        M  = mean(Z, axis=0)              V = mean((Z - M)^2, axis=0)   (biased)
        NZ = (Z - M) / sqrt(V + eps)      BZ = BW * NZ + Bb
        running_M <- alpha running_M + (1 - alpha) M
        running_V <- alpha running_V + (1 - alpha) V

    Inference (``eval=True``) uses the running statistics and updates nothing:
    ``BZ = BW * (Z - running_M) / sqrt(running_V + eps) + Bb``.

    Attributes:
        alpha: weight of the old running statistic in the update above.
        eps: 1e-8, keeps the division finite when a feature is constant.
        BW, Bb: scale and shift, shape (1, C).
        dLdBW, dLdBb: their gradients from the last ``backward``.
        running_M, running_V: running mean (starts at 0) and variance (starts at 1).
    """

    def __init__(self, num_features: int, alpha: float = 0.9) -> None:
        self.num_features = positive_int("num_features", num_features)
        self.alpha = real_in_range("alpha", alpha, 0.0, 1.0)
        self.eps = 1e-8
        shape = (1, self.num_features)
        self.BW = np.ones(shape)
        self.Bb = np.zeros(shape)
        self.dLdBW = np.zeros(shape)
        self.dLdBb = np.zeros(shape)
        self.running_M = np.zeros(shape)
        self.running_V = np.ones(shape)
        # Saved by a training-mode forward for backward.
        self.N = 0
        self.Z: Optional[np.ndarray] = None
        self.M: Optional[np.ndarray] = None
        self.V: Optional[np.ndarray] = None
        self.NZ: Optional[np.ndarray] = None
        self.BZ: Optional[np.ndarray] = None
        # Whether the last forward ran in eval mode, which saves nothing for backward.
        self._eval_forward = False

    def forward(self, Z: np.ndarray, eval: bool = False) -> np.ndarray:
        """BZ = BW * NZ + Bb, with NZ normalised by batch (training) or running statistics.

        The argument is called ``eval`` (shadowing the builtin) to keep the
        handout's signature.
        """
        Z = matrix_with_columns("Z", Z, self.num_features)
        if eval:
            self._eval_forward = True
            NZ = (Z - self.running_M) / np.sqrt(self.running_V + self.eps)
            return self.BW * NZ + self.Bb

        if Z.shape[0] < 2:
            # One sample has zero variance, so NZ would be 0 whatever Z is.
            raise ValueError(
                f"Z needs at least 2 rows in training mode, got shape {Z.shape}"
            )
        self._eval_forward = False
        self.Z = Z
        self.N = Z.shape[0]
        self.M = Z.mean(axis=0, keepdims=True)
        self.V = Z.var(axis=0, keepdims=True)
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.BZ = self.BW * self.NZ + self.Bb
        self.running_M = self.alpha * self.running_M + (1.0 - self.alpha) * self.M
        self.running_V = self.alpha * self.running_V + (1.0 - self.alpha) * self.V
        return self.BZ

    def backward(self, dLdBZ: np.ndarray) -> np.ndarray:
        """Gradients through the last training-mode forward, per the handout::

            dLdBW = sum_i dLdBZ * NZ          dLdBb = sum_i dLdBZ
            dLdNZ = dLdBZ * BW
            dLdV  = -1/2 sum_i dLdNZ (Z - M) (V + eps)^(-3/2)
            dLdM  = -sum_i dLdNZ (V + eps)^(-1/2) - (2/N) dLdV sum_i (Z - M)
            dLdZ  = dLdNZ (V + eps)^(-1/2) + dLdV (2/N) (Z - M) + dLdM / N

        Returns:
            dLdZ, shape (N, C).

        Raises:
            RuntimeError: if the last forward ran in eval mode: only a training-mode
                forward saves what backward needs, and older saved values would be stale.
        """
        if self._eval_forward:
            raise RuntimeError(
                "BatchNorm1d.backward() after an eval-mode forward: backward is defined "
                "for training mode; call forward(Z, eval=False) first"
            )
        dLdBZ = gradient_like(self, "dLdBZ", dLdBZ, self.BZ)
        N = self.N
        centered = self.Z - self.M
        inv_std = (self.V + self.eps) ** -0.5

        self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)
        self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)

        dLdNZ = dLdBZ * self.BW
        dLdV = -0.5 * np.sum(dLdNZ * centered * inv_std**3, axis=0, keepdims=True)
        dLdM = (-np.sum(dLdNZ * inv_std, axis=0, keepdims=True)
                - (2.0 / N) * dLdV * np.sum(centered, axis=0, keepdims=True))
        return dLdNZ * inv_std + dLdV * (2.0 / N) * centered + dLdM / N
