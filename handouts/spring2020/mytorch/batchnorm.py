"""Batch normalisation with hand-derived gradients (11-785 Spring 2020 HW1P1)."""
from typing import Optional

import numpy as np
from validation import float_matrix, positive_int, real_in_range, same_shape


class BatchNorm:
    """Normalises each feature over the batch, then scales and shifts it.

    Training (`eval=False`), for x of shape (batch, in_feature)::

        mean = mean_i x_i        var = mean_i (x_i - mean)^2     (biased)
        norm = (x - mean) / sqrt(var + eps)      out = gamma norm + beta
        running_mean <- alpha running_mean + (1 - alpha) mean
        running_var  <- alpha running_var  + (1 - alpha) var

    Inference (`eval=True`) normalises with the running statistics and changes nothing.

    `dgamma` and `dbeta` are sums over the batch, as the handout's appendix derives
    them (eq. 6, 7), where the Linear layer averages; the MLP steps them as they are.

    Attributes:
        gamma, beta: scale and shift, (1, in_feature); dgamma, dbeta: their gradients.
        mean, var: the last training batch's statistics.
        running_mean, running_var: start at 0 and 1.
        eps: 1e-8.
    """

    def __init__(self, in_feature: int, alpha: float = 0.9) -> None:
        in_feature = positive_int("in_feature", in_feature)
        self.alpha = real_in_range("alpha", alpha, 0.0, 1.0)
        self.eps = 1e-8
        self.x: Optional[np.ndarray] = None
        self.norm: Optional[np.ndarray] = None
        self.out: Optional[np.ndarray] = None
        shape = (1, in_feature)
        self.var = np.ones(shape)
        self.mean = np.zeros(shape)
        self.gamma = np.ones(shape)
        self.dgamma = np.zeros(shape)
        self.beta = np.zeros(shape)
        self.dbeta = np.zeros(shape)
        self.running_mean = np.zeros(shape)
        self.running_var = np.ones(shape)
        # Whether the last forward ran in training mode, the only one backward undoes.
        self._trained = False

    def __call__(self, x: np.ndarray, eval: bool = False) -> np.ndarray:
        return self.forward(x, eval)

    def forward(self, x: np.ndarray, eval: bool = False) -> np.ndarray:
        """gamma norm + beta, with batch statistics (training) or running ones (eval).

        The argument shadows the builtin `eval` to keep the handout's signature.

        Raises:
            ValueError: for a width other than in_feature, or a training batch of one
                sample (its variance is 0, so every output would be beta).
        """
        x = float_matrix("x", x, self.gamma.shape[1])
        if eval:
            norm = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            self._trained = False
            return self.gamma * norm + self.beta
        if x.shape[0] < 2:
            raise ValueError(f"x needs at least 2 rows in training mode, got shape {x.shape}")
        self.x = x
        self.mean = x.mean(axis=0, keepdims=True)
        self.var = x.var(axis=0, keepdims=True)
        self.norm = (x - self.mean) / np.sqrt(self.var + self.eps)
        self.out = self.gamma * self.norm + self.beta
        self.running_mean = self.alpha * self.running_mean + (1 - self.alpha) * self.mean
        self.running_var = self.alpha * self.running_var + (1 - self.alpha) * self.var
        self._trained = True
        return self.out

    def backward(self, delta: np.ndarray) -> np.ndarray:
        """Gradients through the last training-mode forward (the appendix's equations)::

            dbeta = sum_i delta_i          dgamma = sum_i delta_i norm_i
            dnorm = delta gamma
            dvar  = -1/2 sum_i dnorm_i (x_i - mean) (var + eps)^(-3/2)
            dmean = -sum_i dnorm_i (var + eps)^(-1/2) - (2/m) dvar sum_i (x_i - mean)
            dx    = dnorm (var + eps)^(-1/2) + dvar (2/m) (x - mean) + dmean / m

        Raises:
            RuntimeError: if the last forward was not in training mode.
        """
        if not self._trained:
            raise RuntimeError("BatchNorm.backward() needs a training-mode forward first "
                               "(forward(x, eval=False)); the last one ran in eval mode or "
                               "none ran")
        x = self.x
        delta = same_shape("delta", delta, x.shape)
        m = x.shape[0]
        centred = x - self.mean
        inv_std = (self.var + self.eps) ** -0.5
        self.dbeta = delta.sum(axis=0, keepdims=True)
        self.dgamma = (delta * self.norm).sum(axis=0, keepdims=True)
        dnorm = delta * self.gamma
        dvar = -0.5 * (dnorm * centred).sum(axis=0, keepdims=True) * inv_std ** 3
        dmean = (-(dnorm * inv_std).sum(axis=0, keepdims=True)
                 - (2.0 / m) * dvar * centred.sum(axis=0, keepdims=True))
        return dnorm * inv_std + dvar * (2.0 / m) * centred + dmean / m
