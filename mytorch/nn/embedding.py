"""Embedding: a lookup table of learnable vectors, indexed by integer ids."""
from typing import Any, Optional

import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module, factory_keywords
from mytorch.nn.parameter import Parameter
from mytorch.tensor import Tensor, get_default_dtype


@factory_keywords
class Embedding(Module):
    """out[...] = weight[indices[...]], as `torch.nn.Embedding`.

    Args:
        num_embeddings: size of the table, V.
        embedding_dim: size of each vector, D.
        padding_idx: an id whose vector is zeros and never trained (its gradient is 0),
            e.g. the padding of variable-length sequences; negative counts from V.

    Parameter `weight` (V, D) drawn from N(0, 1) as PyTorch does (the padding row zeroed).
    `forward(indices)` takes integer ids of any shape S (a Tensor, an array or a list)
    and returns (*S, D). The gradient scatters back with accumulation: an id used twice
    gets both contributions.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: Optional[int] = None) -> None:
        super().__init__()
        self.num_embeddings = checks.positive_int("Embedding: num_embeddings", num_embeddings)
        self.embedding_dim = checks.positive_int("Embedding: embedding_dim", embedding_dim)
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        weight = np.random.standard_normal((num_embeddings, embedding_dim)).astype(get_default_dtype(), copy=False)
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0
        self.weight = Parameter(weight)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: Optional[int] = None) -> "Embedding":
        """An Embedding whose weight is (a copy of) `embeddings` (V, D), frozen unless freeze=False."""
        values = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if values.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected embeddings (V, D), got shape {values.shape}")
        layer = cls(*values.shape, padding_idx=padding_idx)
        layer.weight = Parameter(values.copy(), requires_grad=not checks.boolean("from_pretrained: freeze", freeze))
        return layer

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


def _padding_idx(value: Optional[int], num_embeddings: int) -> Optional[int]:
    """padding_idx as an index into the table (None stays None), as PyTorch normalises it."""
    if value is None:
        return None
    checks.integer("Embedding: padding_idx", value)
    if not -num_embeddings <= value < num_embeddings:
        raise ValueError(f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), "
                         f"got {value}")
    return value % num_embeddings
