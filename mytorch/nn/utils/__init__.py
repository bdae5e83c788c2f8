"""`torch.nn.utils`'s home: `rnn` holds the packing functions (`mytorch.nn.util`, the
handout's module, is where they live), `clip_grad` the gradient clipping."""
from mytorch.nn.utils import rnn
from mytorch.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_"]
