"""Stochastic gradient descent over a hand-derived model (11-785 S25 HW1P1)."""

from numbers import Real

import numpy as np


class SGD:
    """SGD with optional heavy-ball momentum over every layer that has ``W``.

    With ``momentum == 0``::

        W <- W - lr dLdW              b <- b - lr dLdb

    otherwise, with velocities starting at zero::

        v_W <- momentum v_W + dLdW    W <- W - lr v_W
        v_b <- momentum v_b + dLdb    b <- b - lr v_b

    Attributes:
        l: the model's layers; L: how many.
        lr, mu: learning rate and momentum.
        v_W, v_b: per-layer velocities, None for layers without parameters
            (activations), so index i always refers to ``l[i]``.
    """

    def __init__(self, model: object, lr: float = 0.1, momentum: float = 0.0) -> None:
        if isinstance(lr, bool) or not isinstance(lr, Real) or not lr > 0:
            raise ValueError(f"Invalid learning rate: {lr!r} (must be > 0)")
        if isinstance(momentum, bool) or not isinstance(momentum, Real) or not momentum >= 0:
            raise ValueError(f"Invalid momentum: {momentum!r} (must be >= 0)")
        self.l = model.layers
        self.L = len(self.l)
        self.lr = float(lr)
        self.mu = float(momentum)
        self.v_W = [np.zeros_like(layer.W) if hasattr(layer, "W") else None for layer in self.l]
        self.v_b = [np.zeros_like(layer.b) if hasattr(layer, "b") else None for layer in self.l]

    def step(self) -> None:
        """Update every layer's W and b in place from its dLdW and dLdb."""
        for i, layer in enumerate(self.l):
            if self.v_W[i] is None:
                continue
            if self.mu == 0:
                layer.W -= self.lr * layer.dLdW
                layer.b -= self.lr * layer.dLdb
            else:
                self.v_W[i] = self.mu * self.v_W[i] + layer.dLdW
                self.v_b[i] = self.mu * self.v_b[i] + layer.dLdb
                layer.W -= self.lr * self.v_W[i]
                layer.b -= self.lr * self.v_b[i]
