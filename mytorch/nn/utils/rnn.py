"""PyTorch's `torch.nn.utils.rnn`: the packing functions, which live in `mytorch.nn.util`
(the handout's module), under PyTorch's path."""
from mytorch.nn.util import (PackedSequence, pack_padded_sequence, pack_sequence,
                             pad_packed_sequence, pad_sequence, unpack_sequence)

__all__ = ["PackedSequence", "pack_sequence", "unpack_sequence", "pad_sequence",
           "pack_padded_sequence", "pad_packed_sequence"]
