"""Loss modules."""
from typing import Any

from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class CrossEntropyLoss(Module):
    """Mean over the batch of -log softmax(logits)[target].

    Call it with logits (N, C) and integer class indices (N,); returns a 0-d Tensor.
    """

    def forward(self, predicted: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(predicted, target)
