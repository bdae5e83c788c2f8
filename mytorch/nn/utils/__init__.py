"""`torch.nn.utils`'s home: `rnn` holds the packing functions (`mytorch.nn.util`, the
handout's module, is where they live)."""
from mytorch.nn.utils import rnn

__all__ = ["rnn"]
