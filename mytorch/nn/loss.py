"""Loss modules; the math lives in the functional ops."""
from typing import Any

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class _Loss(Module):
    """Base of the losses: validates and keeps `reduction` ('mean', 'sum' or 'none')."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = checks.reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Squared error between predicted and target (same shape), as `torch.nn.MSELoss`.

    Args:
        reduction: 'mean' (over all elements), 'sum' or 'none' (elementwise).
    """

    def forward(self, predicted: Tensor, target: Any) -> Tensor:
        return F.mse_loss(predicted, target, self.reduction)


class NLLLoss(_Loss):
    """-log_probs[i, target_i], as `torch.nn.NLLLoss`: the loss for LogSoftmax outputs.

    Call it with log-probabilities (N, C) and integer class indices (N,).

    Args:
        reduction: 'mean' (over the batch), 'sum' or 'none' (shape (N,)).
    """

    def forward(self, log_probs: Tensor, target: Any) -> Tensor:
        return F.nll_loss(log_probs, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy between softmax(logits) and the target, as `torch.nn.CrossEntropyLoss`.

    Call it with logits (N, C) and either integer class indices (N,) or class
    probabilities / one-hot rows (N, C). Per sample: logsumexp(x_i) - x_i[target_i], or
    -sum_c p_ic log_softmax(x_i)_c.

    Args:
        reduction: 'mean' (over the batch, for both kinds of target), 'sum' or 'none'
            (the per-sample losses, shape (N,)).
    """

    def forward(self, predicted: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(predicted, target, self.reduction)


class SoftmaxCrossEntropy(CrossEntropyLoss):
    """The Spring 2020 handout's criterion: `criterion(logits, labels)` with one-hot labels (N, C).

    Same as `CrossEntropyLoss` (integer labels (N,) work too). The handout's version
    returns the per-sample losses and has a `derivative()` giving softmax(x) - y; here
    the default reduction='mean' returns the batch mean, whose `.backward()` gives
    x.grad = (softmax(x) - y) / N. Use `SoftmaxCrossEntropy(reduction='none')` for the
    per-sample losses (N,).
    """
