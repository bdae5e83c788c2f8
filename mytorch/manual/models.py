"""The handout's small ReLU MLPs (11-785 S25 HW1P1), built on one chain class."""

import numpy as np

from .activation import ReLU
from .linear import Linear


class Sequential:
    """A chain of layers: forward runs them in order, backward in reverse.

    Each layer needs ``forward(x) -> y`` and ``backward(dLdy) -> dLdx``.
    """

    def __init__(self, *layers: object) -> None:
        self.layers = list(layers)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A_L = f_L(... f_1(A))."""
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """Chain rule from the output back: returns dL/d(input)."""
        for layer in reversed(self.layers):
            dLdA = layer.backward(dLdA)
        return dLdA


def _relu_mlp(*sizes: int) -> list[object]:
    """[Linear(sizes[0], sizes[1]), ReLU(), Linear(sizes[1], sizes[2]), ReLU(), ...]."""
    layers: list[object] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(fan_in, fan_out), ReLU()]
    return layers


class MLP0(Sequential):
    """No hidden layer: 2 -> 3, ReLU."""

    def __init__(self) -> None:
        super().__init__(*_relu_mlp(2, 3))


class MLP1(Sequential):
    """One hidden layer: 2 -> 3 -> 2, ReLU after each Linear."""

    def __init__(self) -> None:
        super().__init__(*_relu_mlp(2, 3, 2))


class MLP4(Sequential):
    """Four hidden layers: 2 -> 4 -> 8 -> 8 -> 4 -> 2, ReLU after each Linear."""

    def __init__(self) -> None:
        super().__init__(*_relu_mlp(2, 4, 8, 8, 4, 2))
