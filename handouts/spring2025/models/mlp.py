"""The handout's ReLU MLPs MLP0, MLP1 and MLP4 (11-785 Spring 2025 HW1P1)."""
from typing import List

import numpy as np

from mytorch.nn import Linear, ReLU


class _ReLUMLP:
    """Linear -> ReLU for each consecutive pair of `sizes`; forward runs the layers in
    order and backward in reverse, each layer's backward taking the gradient of its
    output and returning that of its input.

    With `debug=True` the model keeps what the handout's autograder inspects:
      - `A`: every layer's input and the model's output in forward order,
        A = [A0, Z0, A1, Z1, A2, ...], so layer i maps A[i] to A[i + 1];
      - `dLdA`: the gradient of the loss with respect to each entry of `A`, in the
        same order;
      - the same values by the handout's names: `Z0`, `A1`, ... and `dLdZ0`,
        `dLdA0`, `dLdA1`, ... (linear layer k maps A_k to Z_k, then ReLU gives A_k+1).
    """

    def __init__(self, sizes: List[int], debug: bool = False) -> None:
        self.layers: List[object] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.layers += [Linear(fan_in, fan_out), ReLU()]
        self.debug = bool(debug)

    def forward(self, A0: np.ndarray) -> np.ndarray:
        """The output A_L = f(... f(A0 W0^T + b0^T) ...) for A0 of shape (N, sizes[0])."""
        A = [A0]
        for layer in self.layers:
            A.append(layer.forward(A[-1]))
        if self.debug:
            self.A = A
            self._name("", A)
        return A[-1]

    def backward(self, dLdA_out: np.ndarray) -> np.ndarray:
        """Backpropagate dL/d(output) to the input, filling each Linear's dLdW and dLdb.

        Returns:
            dL/dA0, shape (N, sizes[0]).
        """
        dLdA = [dLdA_out]
        for layer in reversed(self.layers):
            dLdA.append(layer.backward(dLdA[-1]))
        if self.debug:
            self.dLdA = dLdA[::-1]
            self._name("dLd", self.dLdA)
        return dLdA[-1]

    def _name(self, prefix: str, values: List[np.ndarray]) -> None:
        """Set prefix + A{k} = values[2k] and prefix + Z{k} = values[2k + 1]."""
        for i, value in enumerate(values):
            setattr(self, f"{prefix}{'AZ'[i % 2]}{i // 2}", value)


class MLP0(_ReLUMLP):
    """No hidden layer: 2 -> 3, ReLU. layers = [Linear(2, 3), ReLU()]."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__([2, 3], debug)


class MLP1(_ReLUMLP):
    """One hidden layer: 2 -> 3 -> 2, ReLU after each Linear."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__([2, 3, 2], debug)


class MLP4(_ReLUMLP):
    """Four hidden layers: 2 -> 4 -> 8 -> 8 -> 4 -> 2, ReLU after each Linear."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__([2, 4, 8, 8, 4, 2], debug)
