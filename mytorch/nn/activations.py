"""Activation modules; the math lives in the functional ops."""
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class Identity(Module):
    """y = x (returns its input itself), a placeholder where a layer wants no activation."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    """y = max(x, 0), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)), elementwise; finite for any input."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)
