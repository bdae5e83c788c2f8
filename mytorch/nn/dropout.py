"""Dropout: randomly zero activations while training."""
from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability p and
    the kept ones are scaled by 1/(1-p), so eval mode (`model.eval()`) is the identity.

    The mask is drawn as the Fall 2020 starter code draws it (see `ops.Dropout`), from
    `np.random`, so `np.random.seed` reproduces the course's reference results.

    Args:
        p: drop probability, in [0, 1].
        inplace: PyTorch's request to overwrite the input; the output here is always a
            new tensor with the same values, and the input is left as it was.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = checks.probability("Dropout: p", p)
        self.inplace = checks.boolean("Dropout: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
