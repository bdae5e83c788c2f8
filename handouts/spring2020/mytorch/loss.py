"""Softmax cross-entropy with its hand-derived derivative (11-785 Spring 2020 HW1P1)."""
from typing import Optional

import numpy as np
from validation import float_matrix, same_shape, saved


class Criterion:
    """The interface: `forward(x, y)` returns one loss per sample and keeps what
    `derivative()` needs; `derivative()` returns dloss_i/dx_i for every sample i."""

    def __init__(self) -> None:
        self.logits: Optional[np.ndarray] = None
        self.labels: Optional[np.ndarray] = None
        self.loss: Optional[np.ndarray] = None

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.forward(x, y)

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self) -> np.ndarray:
        raise NotImplementedError


class SoftmaxCrossEntropy(Criterion):
    """loss_i = -sum_c y_ic log softmax(x_i)_c;  dloss_i/dx_i = softmax(x_i) - y_i.

    The derivative is per sample, not divided by the batch size: the handout's Linear
    layer averages its gradients over the batch instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sm: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The per-sample losses, shape (batch,), for logits and one-hot (or
        probability) labels of shape (batch, classes).

        Uses log softmax(x) = x - a - log sum_k exp(x_k - a) with a = max_k x_k, the
        LogSumExp trick: no exp overflows, and a logit far below the others gives a
        finite log-probability where log(softmax) would give -inf.
        """
        x = float_matrix("x", x)
        y = same_shape("y", y, x.shape)
        shifted = x - x.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_softmax = shifted - log_sum
        self.logits, self.labels = x, y
        self.sm = np.exp(log_softmax)
        self.loss = -(y * log_softmax).sum(axis=1)
        return self.loss

    def derivative(self) -> np.ndarray:
        """softmax(x) - y, shape (batch, classes)."""
        return saved(self, self.sm, "derivative") - self.labels
