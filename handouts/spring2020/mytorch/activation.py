"""Activation functions with hand-derived derivatives (11-785 Spring 2020 HW1P1).

Calling an activation runs `forward`, which keeps its output in `state`;
`derivative()` then returns dA/dZ element by element, computed from that state (for
Sigmoid and Tanh the output gives the derivative more cheaply than the input).
The MLP multiplies the incoming gradient by it.
"""
from typing import Optional

import numpy as np
from validation import float_array, saved


class Activation:
    """The interface: `forward(x)` stores and returns the output, `derivative()`
    returns dA/dZ at the last input, with the shape of the output."""

    def __init__(self) -> None:
        self.state: Optional[np.ndarray] = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self) -> np.ndarray:
        raise NotImplementedError

    def _state(self) -> np.ndarray:
        return saved(self, self.state, "derivative")


class Identity(Activation):
    """A = Z;  dA/dZ = 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.state = float_array("x", x)
        return self.state

    def derivative(self) -> np.ndarray:
        return np.ones_like(self._state())


class Sigmoid(Activation):
    """A = 1 / (1 + exp(-Z));  dA/dZ = A (1 - A)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_array("x", x)
        # exp(-|x|) lies in (0, 1], so neither branch overflows; for x < 0 the form
        # exp(x) / (1 + exp(x)) keeps full precision where 1 / (1 + exp(-x)) would not.
        e = np.exp(-np.abs(x))
        self.state = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.state

    def derivative(self) -> np.ndarray:
        a = self._state()
        return a * (1.0 - a)


class Tanh(Activation):
    """A = tanh(Z);  dA/dZ = 1 - A^2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.state = np.tanh(float_array("x", x))
        return self.state

    def derivative(self) -> np.ndarray:
        a = self._state()
        return 1.0 - a * a


class ReLU(Activation):
    """A = max(Z, 0);  dA/dZ = 1 where Z > 0, else 0 (0 at the kink, as the handout says)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.state = np.maximum(float_array("x", x), 0.0)
        return self.state

    def derivative(self) -> np.ndarray:
        # The output is positive exactly where the input was.
        return (self._state() > 0).astype(np.float64)
