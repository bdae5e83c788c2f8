"""Loss modules, as `torch.nn`'s, with PyTorch's arguments in PyTorch's order; the math
lives in the functional ops."""
from typing import Any, Optional

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor


class _Loss(Module):
    """Base of the losses: keeps `reduction` ('mean', 'sum' or 'none'), which PyTorch's
    deprecated `size_average` / `reduce` may give instead."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = checks.loss_reduction(type(self).__name__, size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    """A loss with a constant `weight`, registered as a buffer (as PyTorch does), so
    `state_dict()` saves it and `to()` converts it."""

    def __init__(self, weight: Optional[Tensor] = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", F._as_weight(type(self).__name__, weight))


class MSELoss(_Loss):
    """Squared error between input and target (same shape), as `torch.nn.MSELoss`.

    Args:
        size_average, reduce: PyTorch's deprecated form of `reduction`.
        reduction: 'mean' (over all elements), 'sum' or 'none' (elementwise).
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Absolute error |input - target| (same shape), as `torch.nn.L1Loss`; arguments as MSELoss's."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """d**2 / (2 beta) where |d| < beta, else |d| - beta / 2, as `torch.nn.SmoothL1Loss`.

    Args:
        size_average, reduce, reduction: as MSELoss's.
        beta: where the loss turns from quadratic to linear, >= 0 (0: the L1 loss).
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = checks.non_negative("SmoothL1Loss: beta", beta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """d**2 / 2 where |d| <= delta, else delta (|d| - delta / 2), as `torch.nn.HuberLoss`.

    Args:
        reduction: 'mean', 'sum' or 'none'.
        delta: where the loss turns from quadratic to linear, > 0.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = checks.positive("HuberLoss: delta", delta)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class NLLLoss(_WeightedLoss):
    """-weight[y] log_probs[y] per sample, as `torch.nn.NLLLoss`: the loss for LogSoftmax outputs.

    Call it with log-probabilities (N, C), (C,) or (N, C, d1, ...) and class indices (N,),
    () or (N, d1, ...).

    Args:
        weight: a constant rescaling weight per class (C,).
        size_average, reduce: PyTorch's deprecated form of `reduction`.
        ignore_index: a class index whose samples count 0 and are left out of the mean.
        reduction: 'mean' (weighted), 'sum' or 'none' (the per-sample losses).
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = checks.integer(f"{type(self).__name__}: ignore_index", ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy between softmax(logits) and the target, as `torch.nn.CrossEntropyLoss`.

    Call it with logits (N, C), (C,) or (N, C, d1, ...) and either class indices (N,), ()
    or (N, d1, ...), or class probabilities / one-hot rows of the logits' shape. Per
    sample: logsumexp(x) - x[y], or -sum_c p_c log_softmax(x)_c.

    Args:
        weight: a constant rescaling weight per class (C,).
        size_average, reduce: PyTorch's deprecated form of `reduction`.
        ignore_index: a class index whose samples count 0 and are left out of the mean.
        reduction: 'mean' (over the batch, weighted for indices), 'sum' or 'none'
            (the per-sample losses).
        label_smoothing: s in [0, 1]: the target becomes (1 - s) target + s / C.
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        name = type(self).__name__
        self.ignore_index = checks.integer(f"{name}: ignore_index", ignore_index)
        self.label_smoothing = checks.probability(f"{name}: label_smoothing", label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class SoftmaxCrossEntropy(CrossEntropyLoss):
    """The Spring 2020 handout's criterion: `criterion(logits, labels)` with one-hot labels (N, C).

    Same as `CrossEntropyLoss` (integer labels (N,) work too). The handout's version
    returns the per-sample losses and has a `derivative()` giving softmax(x) - y; here
    the default reduction='mean' returns the batch mean, whose `.backward()` gives
    x.grad = (softmax(x) - y) / N. Use `SoftmaxCrossEntropy(reduction='none')` for the
    per-sample losses (N,).
    """


class BCELoss(_WeightedLoss):
    """-weight (y log x + (1 - y) log(1 - x)) for probabilities x, as `torch.nn.BCELoss`
    (apply a sigmoid first, or use BCEWithLogitsLoss on the logits, which is stabler).

    Args:
        weight: a constant rescaling weight broadcasting to the input.
        size_average, reduce, reduction: as MSELoss's.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of sigmoid(input), computed stably from the logits, as
    `torch.nn.BCEWithLogitsLoss`.

    Args:
        weight: a constant rescaling weight broadcasting to the input.
        size_average, reduce, reduction: as MSELoss's.
        pos_weight: a constant weight of the positive term per class (broadcast along
            the last axis), e.g. negatives / positives for an unbalanced class.
    """

    def __init__(self, weight: Optional[Tensor] = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", F._as_weight(type(self).__name__, pos_weight, "pos_weight"))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
