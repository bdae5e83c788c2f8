"""The fully connected layer with hand-derived gradients (11-785 Spring 2020 HW1P1)."""
from typing import Callable, Optional

import numpy as np
from validation import float_matrix, positive_int, same_shape, saved


class Linear:
    """out = x W + b, with W of shape (in_feature, out_feature) and b of shape (1, out_feature).

    `dW` and `db` are the gradients of the loss averaged over the batch: the incoming
    delta holds one sample's gradient per row, and backward divides by the batch size.
    `momentum_W` and `momentum_b` hold the last update of the handout's momentum rule
    (the MLP's `step` reads and writes them).

    Args:
        in_feature, out_feature: the layer's sizes.
        weight_init_fn: `weight_init_fn(in_feature, out_feature)` returns W.
        bias_init_fn: `bias_init_fn(out_feature)` returns b, shape (1, out_feature) or
            (out_feature,).

    Raises:
        TypeError, ValueError: for a non-positive size, or an init function returning
            the wrong shape (the message names the function and the shape it returned).
    """

    def __init__(self, in_feature: int, out_feature: int,
                 weight_init_fn: Callable[[int, int], np.ndarray],
                 bias_init_fn: Callable[[int], np.ndarray]) -> None:
        in_feature = positive_int("in_feature", in_feature)
        out_feature = positive_int("out_feature", out_feature)
        # Weight first, then bias: a seeded weight_init_fn then draws exactly what the
        # handout's reference draws.
        weight = np.array(weight_init_fn(in_feature, out_feature), dtype=np.float64)
        if weight.shape != (in_feature, out_feature):
            raise ValueError(f"weight_init_fn({in_feature}, {out_feature}) must return shape "
                             f"({in_feature}, {out_feature}), got {weight.shape}")
        bias = np.array(bias_init_fn(out_feature), dtype=np.float64)
        if bias.shape not in ((out_feature,), (1, out_feature)):
            raise ValueError(f"bias_init_fn({out_feature}) must return shape (1, {out_feature}) "
                             f"or ({out_feature},), got {bias.shape}")
        self.W = weight
        self.b = bias.reshape(1, out_feature)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.momentum_W = np.zeros_like(self.W)
        self.momentum_b = np.zeros_like(self.b)
        self.x: Optional[np.ndarray] = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x W + b for x of shape (batch, in_feature)."""
        self.x = float_matrix("x", x, self.W.shape[0])
        return self.x @ self.W + self.b

    def backward(self, delta: np.ndarray) -> np.ndarray:
        """dW = x^T delta / batch,  db = mean of delta over the batch,  dx = delta W^T.

        Args:
            delta: dloss_i/dout_i for each sample, shape (batch, out_feature).
        Returns:
            dx, shape (batch, in_feature).
        """
        x = saved(self, self.x, "backward")
        delta = same_shape("delta", delta, (x.shape[0], self.W.shape[1]))
        self.dW = x.T @ delta / x.shape[0]
        self.db = delta.mean(axis=0, keepdims=True)
        return delta @ self.W.T
