"""Embedding: a lookup table of learnable vectors, indexed by integer ids."""
from typing import Any

import numpy as np

from mytorch import checks
from mytorch.nn.module import Module
from mytorch.tensor import Tensor, get_default_dtype


class Embedding(Module):
    """out[...] = weight[indices[...]], as `torch.nn.Embedding`.

    Args:
        num_embeddings: size of the table, V.
        embedding_dim: size of each vector, D.

    Parameter `weight` (V, D) drawn from N(0, 1) as PyTorch does. `forward(indices)` takes
    integer ids of any shape S (a Tensor, an array or a list) and returns (*S, D). The
    gradient scatters back with accumulation: an id used twice gets both contributions.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings = checks.positive_int("Embedding: num_embeddings", num_embeddings)
        self.embedding_dim = checks.positive_int("Embedding: embedding_dim", embedding_dim)
        weight = np.random.standard_normal((num_embeddings, embedding_dim))
        self.weight = Tensor(weight.astype(get_default_dtype(), copy=False), requires_grad=True,
                             is_parameter=True)

    def forward(self, indices: Any) -> Tensor:
        ids = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        checks.class_indices("Embedding", ids, self.num_embeddings, name="index")
        # Integer-array indexing: the Index op's backward accumulates repeated ids.
        return self.weight[ids]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
