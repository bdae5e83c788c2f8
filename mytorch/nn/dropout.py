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
        self.p = checks.probability(f"{type(self).__name__}: p", p)
        self.inplace = checks.boolean(f"{type(self).__name__}: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _ChannelDropout(Dropout):
    """Dropout of whole channels (see `functional.dropout2d`); `spatial` trailing axes share a draw."""

    spatial = 0

    def forward(self, x: Tensor) -> Tensor:
        return F._channel_dropout(type(self).__name__, self.spatial, x, self.p, self.training)


class Dropout1d(_ChannelDropout):
    """In training mode, zero each channel of (N, C, L) or (C, L) input with probability p
    and scale the kept ones by 1/(1-p), as `torch.nn.Dropout1d`; the identity in eval mode."""

    spatial = 1


class Dropout2d(_ChannelDropout):
    """In training mode, zero each channel (a whole feature map) of (N, C, H, W) or
    (C, H, W) input with probability p and scale the kept ones by 1/(1-p), as
    `torch.nn.Dropout2d`; the identity in eval mode. Its mask comes from `np.random`."""

    spatial = 2


class Dropout3d(_ChannelDropout):
    """`Dropout2d` for (N, C, D, H, W) or (C, D, H, W) input, as `torch.nn.Dropout3d`."""

    spatial = 3
