"""Stochastic gradient descent over a hand-derived model (11-785 Spring 2025 HW1P1)."""
from numbers import Real
from typing import List, Optional

import numpy as np


class SGD:
    """SGD with optional heavy-ball momentum over every layer that has ``W`` (and its
    ``b``, if it has one).

    With ``momentum == 0``::

        W <- W - lr dLdW              b <- b - lr dLdb

    otherwise, with velocities starting at zero::

        v_W <- momentum v_W + dLdW    W <- W - lr v_W
        v_b <- momentum v_b + dLdb    b <- b - lr v_b

    Attributes:
        l: the model's layers; L: how many.
        lr, mu: learning rate and momentum.
        v_W, v_b: per-layer velocities, None for layers without parameters
            (activations) and ``v_b`` None for a layer with ``W`` but no ``b``, so
            index i always refers to ``l[i]``.
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
        # Built together so that v_b[i] exists exactly when layer i is trained and has a b.
        self.v_W: List[Optional[np.ndarray]] = []
        self.v_b: List[Optional[np.ndarray]] = []
        for layer in self.l:
            trained = hasattr(layer, "W")
            self.v_W.append(np.zeros_like(layer.W) if trained else None)
            self.v_b.append(np.zeros_like(layer.b) if trained and hasattr(layer, "b") else None)

    def step(self) -> None:
        """Update every layer's W (and b, if it has one) in place from dLdW (and dLdb)."""
        for i, layer in enumerate(self.l):
            if self.v_W[i] is not None:
                layer.W -= self.lr * self._direction(self.v_W, i, layer.dLdW)
            if self.v_b[i] is not None:
                layer.b -= self.lr * self._direction(self.v_b, i, layer.dLdb)

    def _direction(self, velocities: List[Optional[np.ndarray]], i: int, grad: np.ndarray) -> np.ndarray:
        """The gradient or, with momentum, the updated velocity ``velocities[i]``."""
        if self.mu == 0:
            return grad
        velocities[i] = self.mu * velocities[i] + grad
        return velocities[i]
