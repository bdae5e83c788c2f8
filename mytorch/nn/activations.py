"""Activation modules; the math lives in the functional ops."""
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class ReLU(Module):
    """y = max(x, 0), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)
