"""The homework 1 bonus: Adam (1.1), Dropout (1.2) and BatchNorm (1.3).

References are plain NumPy written here: the handout's Adam with its bias corrections,
the handout's dropout mask (`np.random.binomial(1, 1 - p, shape)` scaled by 1/(1-p),
drawn from the same seeded `np.random` as MyTorch draws it), and homework 1's NumPy
twin of Linear, ReLU and BatchNorm1d. Gradients are also checked against central
differences. BatchNorm's problems are homework 1's BatchNorm checks, reused.
"""
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from autograder.helpers import assert_close
from autograder.hw1_autograder import test_mlp as mlp
from autograder.hw1_autograder.reference import ReferenceMLP
from autograder.hw1_autograder.test_mlp import MODEL_SEED
from mytorch import Tensor
from mytorch.autograd_engine import ContextManager
from mytorch.nn import BatchNorm1d, CrossEntropyLoss, Dropout, Linear, ReLU, Sequential
from mytorch.nn import functional as F
from mytorch.optim import Adam

MASK_SEED = 2020  # np.random's seed before each forward pass, for MyTorch and the reference


# ------------------------------------------------------------- the NumPy reference

class ReferenceDropout:
    """Training: y = x * mask / (1 - p), mask ~ np.random.binomial(1, 1 - p, x.shape);
    dx = dy * mask / (1 - p). Eval: y = x."""

    params: List[np.ndarray] = []

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x: np.ndarray, training: bool) -> Tuple[np.ndarray, Any]:
        if not training:
            return x, None
        scale = np.random.binomial(1, 1 - self.p, x.shape) / (1 - self.p)
        return x * scale, scale

    def backward(self, cache: Any, dy: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
        return (dy if cache is None else dy * cache), []


class ReferenceNet(ReferenceMLP):
    """Homework 1's reference MLP, with Dropout layers too."""

    def __init__(self, model: Sequential) -> None:
        self.layers = []
        for layer in model:
            if isinstance(layer, Dropout):
                self.layers.append(ReferenceDropout(layer.p))
            else:
                self.layers += ReferenceMLP([layer]).layers


class ReferenceAdam:
    """The handout's Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2 (g including
    weight_decay * p), then p -= lr * m_hat / (sqrt(v_hat) + eps) with
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)."""

    def __init__(self, params: Sequence[np.ndarray], lr: float, betas: Tuple[float, float],
                 eps: float, weight_decay: float) -> None:
        self.params, self.lr, self.betas = list(params), lr, betas
        self.eps, self.weight_decay, self.t = eps, weight_decay, 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        for param, m, v, grad in zip(self.params, self.m, self.v, grads):
            grad = grad + self.weight_decay * param
            m[...] = beta1 * m + (1 - beta1) * grad
            v[...] = beta2 * v + (1 - beta2) * grad ** 2
            m_hat, v_hat = m / (1 - beta1 ** self.t), v / (1 - beta2 ** self.t)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# ---------------------------------------------------------------------- procedures

def check_forward_backward(model: Sequential, n_in: int, batch: int, seed: int,
                           criterion: Optional[CrossEntropyLoss] = None) -> None:
    """Homework 1's check, with Dropout: the reference draws the same dropout mask, and
    the central differences hold it fixed."""
    mlp.check_forward_backward(model, n_in, batch, seed, criterion,
                               reference=ReferenceNet(model), mask_seed=MASK_SEED)


def check_adam_steps(model: Sequential, n_in: int, batch: int, seed: int, *, lr: float = 1e-3,
                     betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                     weight_decay: float = 0.0, train_steps: int = 5, eval_steps: int = 3,
                     criterion: Optional[CrossEntropyLoss] = None) -> None:
    """Homework 1's training check with Adam against the handout's Adam, Dropout drawing
    the same masks in MyTorch and the reference."""
    optimizer = Adam(model.parameters(), lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    reference = ReferenceNet(model)
    name = (f"{mlp._describe(model)}, Adam(lr={lr}, betas={betas}, eps={eps}, "
            f"weight_decay={weight_decay}), batch {batch}")
    mlp.check_training(model, optimizer, reference,
                       ReferenceAdam(reference.params(), lr, betas, eps, weight_decay), name,
                       n_in, batch, seed, train_steps, eval_steps, criterion, mask_seed=MASK_SEED)


# ------------------------------------------------------------------------ 1.1 Adam

def test_linear_adam() -> None:
    np.random.seed(MODEL_SEED)
    check_adam_steps(Sequential(Linear(10, 20), ReLU()), 10, 5, seed=700)


def test_big_linear_bn_relu_xeloss_adam() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), BatchNorm1d(20), ReLU(), Linear(20, 30), BatchNorm1d(30),
                       ReLU(), Linear(30, 10))
    check_adam_steps(model, 10, 16, seed=710, criterion=CrossEntropyLoss())
    # Every hyperparameter is used, not just stored.
    np.random.seed(MODEL_SEED + 1)
    model = Sequential(Linear(7, 9), ReLU(), Linear(9, 4))
    check_adam_steps(model, 7, 6, seed=711, lr=0.05, betas=(0.8, 0.95), eps=1e-4,
                     weight_decay=0.1, train_steps=8, criterion=CrossEntropyLoss())


# --------------------------------------------------------------------- 1.2 Dropout

def test_dropout_forward() -> None:
    for index, (p, batch) in enumerate(((0.5, 20), (0.2, 7), (0.9, 50))):
        np.random.seed(MODEL_SEED + index)
        model = Sequential(Linear(10, 20), ReLU(), Dropout(p=p))
        reference = ReferenceNet(model)
        x = np.random.default_rng(800 + index).standard_normal((batch, 10))
        np.random.seed(MASK_SEED)
        out = model(Tensor(x.copy()))
        np.random.seed(MASK_SEED)
        expected, _ = reference.forward(x, training=True)
        assert_close(out, expected, f"Dropout(p={p}) forward in training mode (the handout's mask)")
        model.eval()
        assert_close(model(Tensor(x.copy())), reference.forward(x, training=False)[0],
                     f"Dropout(p={p}) in eval mode must be the identity")
    # The handout's Function signature: forward(ctx, x, p, is_train).
    x = np.random.default_rng(810).standard_normal((4, 6))
    np.random.seed(MASK_SEED)
    out = F.Dropout.forward(ContextManager(), Tensor(x.copy()), 0.25, True)
    np.random.seed(MASK_SEED)
    assert_close(out, ReferenceDropout(0.25).forward(x, True)[0],
                 "Dropout.forward(ctx, x, p=0.25, is_train=True)")
    assert_close(F.Dropout.forward(ContextManager(), Tensor(x.copy()), 0.25, False), x,
                 "Dropout.forward(ctx, x, p=0.25, is_train=False)")


def test_dropout_backward() -> None:
    for index, (p, batch) in enumerate(((0.5, 8), (0.3, 3))):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(6, 9), ReLU(), Dropout(p=p)), 6, batch,
                               seed=820 + index)
    np.random.seed(MODEL_SEED)
    check_forward_backward(Sequential(Linear(6, 9), ReLU(), Dropout(0.4), Linear(9, 5)), 6, 10,
                           seed=830, criterion=CrossEntropyLoss())


def test_big_linear_relu_dropout_adam() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), ReLU(), Dropout(0.4), Linear(20, 30), ReLU(), Dropout(0.6),
                       Linear(30, 10))
    check_adam_steps(model, 10, 12, seed=840, lr=0.01, criterion=CrossEntropyLoss())
