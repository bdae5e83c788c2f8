"""The homework 1 bonus: Adam (1.1), Dropout (1.2) and BatchNorm (1.3).

References are plain NumPy written here: the handout's Adam with its bias corrections,
the handout's dropout mask (`np.random.binomial(1, 1 - p, shape)` scaled by 1/(1-p),
drawn from the same seeded `np.random` as MyTorch draws it), and homework 1's NumPy
twin of Linear, ReLU and BatchNorm1d. Gradients are also checked against central
differences. BatchNorm's problems are homework 1's BatchNorm checks, reused.
"""
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from autograder.helpers import (assert_close, assert_numerically_close, check_flags,
                                check_grad, check_no_grad, numerical_grads)
from autograder.hw1_autograder.test_mlp import (MODEL_SEED, ReferenceMLP, _check_model_parameters,
                                                _check_running_stats, _describe, _named_parameters,
                                                _out_features, reference_cross_entropy)
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

def _batch(rng: np.random.Generator, batch: int, n_in: int, n_out: int,
           criterion: Optional[CrossEntropyLoss]) -> Tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((batch, n_in))
    target = (rng.integers(0, n_out, batch) if criterion is not None
              else rng.standard_normal((batch, n_out)))
    return x, target


def _backward(out: Tensor, expected: np.ndarray, target: np.ndarray,
              criterion: Optional[CrossEntropyLoss], what: str) -> np.ndarray:
    """Backpropagate from the loss (or the upstream gradient `target`); return dL/d(out)."""
    if criterion is None:
        out.backward(Tensor(target.copy()))
        return target
    loss = criterion(out, Tensor(target))
    expected_loss, grad_out = reference_cross_entropy(expected, target)
    assert_close(loss, expected_loss, f"{what}: loss")
    loss.backward()
    return grad_out


def check_forward_backward(model: Sequential, n_in: int, batch: int, seed: int,
                           criterion: Optional[CrossEntropyLoss] = None) -> None:
    """One training-mode pass: output, input and parameter gradients against the
    reference (same dropout mask) and central differences (the mask held fixed)."""
    what = f"{_describe(model)}, batch {batch}"
    reference = ReferenceNet(model)
    rng = np.random.default_rng(seed)
    x_data, target = _batch(rng, batch, n_in, _out_features(model), criterion)
    x = Tensor(x_data.copy(), requires_grad=True)
    np.random.seed(MASK_SEED)
    out = model(x)
    np.random.seed(MASK_SEED)
    expected, caches = reference.forward(x_data, training=True)
    assert_close(out, expected, f"{what}: forward output (the same seeded dropout mask)")
    check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
    grad_out = _backward(out, expected, target, criterion, what)
    grad_x, grads = reference.backward(caches, grad_out)
    x_fd = x_data.copy()

    def loss_of_reference() -> float:
        np.random.seed(MASK_SEED)  # the same mask at every perturbation
        output, _ = reference.forward(x_fd, training=True)
        if criterion is not None:
            return reference_cross_entropy(output, target)[0]
        return float(np.sum(grad_out * output))

    numeric = numerical_grads(loss_of_reference, [x_fd] + reference.params())
    check_grad(x, f"{what}: input x")
    assert_close(x.grad, grad_x, f"{what}: input x.grad")
    assert_numerically_close(x.grad, numeric[0], f"{what}: input x.grad")
    for (label, param), grad, numeric_grad in zip(_named_parameters(model), grads, numeric[1:]):
        check_grad(param, f"{what}: {label}")
        assert_close(param.grad, grad, f"{what}: {label}.grad")
        assert_numerically_close(param.grad, numeric_grad, f"{what}: {label}.grad")


def check_adam_steps(model: Sequential, n_in: int, batch: int, seed: int, *, lr: float = 1e-3,
                     betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                     weight_decay: float = 0.0, train_steps: int = 5, eval_steps: int = 3,
                     criterion: Optional[CrossEntropyLoss] = None) -> None:
    """Training steps with Adam, then eval-mode passes, each against the reference:
    outputs, losses, gradients, parameters after every step, running statistics."""
    name = (f"{_describe(model)}, Adam(lr={lr}, betas={betas}, eps={eps}, "
            f"weight_decay={weight_decay}), batch {batch}")
    _check_model_parameters(model, name)
    optimizer = Adam(model.parameters(), lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    reference = ReferenceNet(model)
    reference_adam = ReferenceAdam(reference.params(), lr, betas, eps, weight_decay)
    rng = np.random.default_rng(seed)
    named = _named_parameters(model)
    model.train()
    for step in range(1, train_steps + 1):
        what = f"{name}: training step {step}"
        x, target = _batch(rng, batch, n_in, _out_features(model), criterion)
        optimizer.zero_grad()
        np.random.seed(MASK_SEED + step)
        out = model(Tensor(x.copy()))
        np.random.seed(MASK_SEED + step)
        expected, caches = reference.forward(x, training=True)
        assert_close(out, expected, f"{what}: forward output")
        grad_out = _backward(out, expected, target, criterion, what)
        _, grads = reference.backward(caches, grad_out)
        reference.update_running_stats(caches)
        for (label, param), grad in zip(named, grads):
            check_grad(param, f"{what}: {label}")
            assert_close(param.grad, grad, f"{what}: {label}.grad")
        optimizer.step()
        reference_adam.step(grads)
        for (label, param), ref_param in zip(named, reference.params()):
            assert_close(param, ref_param, f"{what}: {label} after optimizer.step()")
        _check_model_parameters(model, f"{what}: after optimizer.step()")
        _check_running_stats(model, reference, what)
        check_no_grad(out, f"{what}: output")
    model.eval()
    for step in range(1, eval_steps + 1):
        what = f"{name}: eval forward {step}"
        x, _ = _batch(rng, batch, n_in, _out_features(model), criterion)
        state = np.random.get_state()
        out = model(Tensor(x.copy()))
        if not all(np.array_equal(a, b) for a, b in zip(state[1:2], np.random.get_state()[1:2])):
            raise AssertionError(f"{what}: eval mode drew random numbers (dropout must be off)")
        expected, _ = reference.forward(x, training=False)
        assert_close(out, expected, f"{what}: output (dropout off, running statistics)")
    model.train()


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
