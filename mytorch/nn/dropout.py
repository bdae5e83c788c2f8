"""Dropout: randomly zero activations while training."""
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability p and
    the kept ones are scaled by 1/(1-p), so eval mode (`model.eval()`) is the identity.

    The mask comes from `np.random`, so `np.random.seed` reproduces it.

    Args:
        p: drop probability, in [0, 1).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        F._check_dropout_p(p)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.is_train)

    def extra_repr(self) -> str:
        return f"p={self.p}"
