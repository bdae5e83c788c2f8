"""Problem 2: Linear, ReLU, SGD, BatchNorm, cross-entropy and momentum.

Each test builds a MyTorch model and a NumPy reference with the same parameters, runs
both, and compares outputs, losses, gradients, parameters after optimizer steps and
BatchNorm's running statistics. The reference (reference.py) writes out the
write-up's formulas for every layer's forward and backward; its gradients are also
checked against central differences of its own forward pass. The tests also check
the bookkeeping: parameters stay trainable leaves, gradients are constant Tensors,
non-leaf tensors keep no gradient and the optimizer step adds nothing to the graph.
"""
from typing import Any, List, Optional, Tuple

import numpy as np

from autograder.helpers import (assert_close, assert_numerically_close, check_flags,
                                check_grad, check_no_grad, check_parameter, numerical_grads)
from autograder.hw1_autograder.reference import (ReferenceMLP, ReferenceSGD,
                                                 reference_cross_entropy)
from mytorch import Tensor
from mytorch.nn import BatchNorm1d, CrossEntropyLoss, Linear, ReLU, Sequential
from mytorch.optim import SGD

MODEL_SEED = 11785  # the handout's seed for the initial parameters


# ------------------------------------------------------------------ the procedures

def _named_parameters(model: Sequential) -> List[Tuple[str, Tensor]]:
    """(label, parameter) of every layer, in the reference's order."""
    named = []
    for index, layer in enumerate(model):
        if isinstance(layer, Linear):
            named += [(f"layer {index} (Linear) weight", layer.weight),
                      (f"layer {index} (Linear) bias", layer.bias)]
        elif isinstance(layer, BatchNorm1d):
            named += [(f"layer {index} (BatchNorm1d) gamma", layer.gamma),
                      (f"layer {index} (BatchNorm1d) beta", layer.beta)]
    return named


def _check_model_parameters(model: Sequential, what: str) -> None:
    """parameters() yields exactly the layers' weights, biases, gammas and betas, each a
    trainable leaf; BatchNorm's running statistics are state, not parameters."""
    named = _named_parameters(model)
    found = list(model.parameters())
    if sorted(map(id, found)) != sorted(id(param) for _, param in named):
        raise AssertionError(f"{what}: model.parameters() yields {len(found)} tensors, expected "
                             f"the {len(named)} parameters {[label for label, _ in named]}")
    for label, param in named:
        check_parameter(param, f"{what}: {label}")
    for index, layer in enumerate(model):
        if isinstance(layer, BatchNorm1d):
            for name in ("running_mean", "running_var"):
                stat = getattr(layer, name)
                if stat.requires_grad or stat.is_parameter:
                    raise AssertionError(f"{what}: layer {index} (BatchNorm1d) {name} must be "
                                         "state (requires_grad=False, is_parameter=False)")


def _check_running_stats(model: Sequential, reference: ReferenceMLP, what: str) -> None:
    for index, (layer, ref) in enumerate(zip(model, reference.layers)):
        if isinstance(layer, BatchNorm1d):
            assert_close(layer.running_mean, ref.running_mean,
                         f"{what}: layer {index} (BatchNorm1d) running_mean")
            assert_close(layer.running_var, ref.running_var,
                         f"{what}: layer {index} (BatchNorm1d) running_var")


def _batch(rng: np.random.Generator, batch_size: int, in_features: int, out_features: int,
           with_labels: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Inputs, and either class labels or the upstream gradient dL/d(output)."""
    x = rng.standard_normal((batch_size, in_features))
    if with_labels:
        return x, rng.integers(0, out_features, size=batch_size)
    return x, rng.standard_normal((batch_size, out_features))


def _check_loss(criterion: CrossEntropyLoss, out: Tensor, expected: np.ndarray,
                labels: np.ndarray, what: str) -> Tuple[Tensor, np.ndarray]:
    """The criterion's loss of `out` against the reference's loss of `expected`;
    returns the loss and the reference's dL/d(output)."""
    loss = criterion(out, Tensor(labels))
    expected_loss, grad_out = reference_cross_entropy(expected, labels)
    assert_close(loss, expected_loss, f"{what}: loss")
    return loss, grad_out


def _backward(out: Tensor, expected: np.ndarray, target: np.ndarray,
              criterion: Optional[CrossEntropyLoss], what: str) -> np.ndarray:
    """Backpropagate from the criterion's loss (checked against the reference's) or,
    without a criterion, from the upstream gradient `target`; returns the reference's
    dL/d(output)."""
    if criterion is None:
        out.backward(Tensor(target.copy()))
        return target
    loss, grad_out = _check_loss(criterion, out, expected, target, what)
    check_flags(loss, f"{what}: loss", requires_grad=True, is_leaf=False)
    loss.backward()
    check_no_grad(loss, f"{what}: loss")
    return grad_out


def check_forward(model: Sequential, in_features: int, batch_size: int, seed: int,
                  criterion: Optional[CrossEntropyLoss] = None) -> None:
    """One training-mode forward pass (and loss) against the reference."""
    what = f"{_describe(model)}, batch {batch_size}"
    _check_model_parameters(model, what)
    reference = ReferenceMLP(model)
    rng = np.random.default_rng(seed)
    out_features = _out_features(model)
    x, target = _batch(rng, batch_size, in_features, out_features, criterion is not None)
    out = model(Tensor(x.copy()))
    expected, caches = reference.forward(x, training=True)
    assert_close(out, expected, f"{what}: forward output")
    check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
    if criterion is not None:
        _check_loss(criterion, out, expected, target, what)
    reference.update_running_stats(caches)
    _check_running_stats(model, reference, f"{what}: after one forward")


def _seed_masks(mask_seed: Optional[int]) -> None:
    """Seed np.random with `mask_seed` (unless None) before a training-mode forward pass:
    seeded alike before MyTorch's and the reference's, dropout draws the same mask in both."""
    if mask_seed is not None:
        np.random.seed(mask_seed)


def check_forward_backward(model: Sequential, in_features: int, batch_size: int, seed: int,
                           criterion: Optional[CrossEntropyLoss] = None, *,
                           reference: Optional[ReferenceMLP] = None,
                           mask_seed: Optional[int] = None) -> None:
    """One training-mode forward and backward pass: the input's and every parameter's
    gradient against the write-up's closed forms and against central differences.

    `reference` defaults to ReferenceMLP(model); `mask_seed`: see `_seed_masks` (the
    central differences then hold the mask fixed)."""
    what = f"{_describe(model)}, batch {batch_size}"
    _check_model_parameters(model, what)
    reference = ReferenceMLP(model) if reference is None else reference
    rng = np.random.default_rng(seed)
    out_features = _out_features(model)
    x_data, target = _batch(rng, batch_size, in_features, out_features, criterion is not None)

    x = Tensor(x_data.copy(), requires_grad=True)
    _seed_masks(mask_seed)
    out = model(x)
    _seed_masks(mask_seed)
    expected, caches = reference.forward(x_data, training=True)
    assert_close(out, expected, f"{what}: forward output")
    check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
    grad_out = _backward(out, expected, target, criterion, what)
    check_no_grad(out, f"{what}: output")
    grad_x, grads = reference.backward(caches, grad_out)

    # Central differences of the reference's loss, through its pure forward pass.
    x_fd = x_data.copy()

    def loss_of_reference() -> float:
        _seed_masks(mask_seed)
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
        # The reference's closed form must agree with its own central differences too.
        assert_numerically_close(grad, numeric_grad, f"{what}: reference {label} gradient")
    _check_model_parameters(model, f"{what}: after backward")


def check_step(model: Sequential, optimizer: SGD, lr: float, momentum: float, in_features: int,
               batch_size: int, seed: int, train_steps: int = 5, eval_steps: int = 5,
               criterion: Optional[CrossEntropyLoss] = None) -> None:
    """`check_training` with SGD against the write-up's SGD."""
    reference = ReferenceMLP(model)
    check_training(model, optimizer, reference, ReferenceSGD(reference.params(), lr, momentum),
                   f"{_describe(model)}, SGD(lr={lr}, momentum={momentum}), batch {batch_size}",
                   in_features, batch_size, seed, train_steps, eval_steps, criterion)


def check_training(model: Sequential, optimizer: Any, reference: ReferenceMLP,
                   reference_optimizer: Any, name: str, in_features: int, batch_size: int,
                   seed: int, train_steps: int, eval_steps: int,
                   criterion: Optional[CrossEntropyLoss], mask_seed: Optional[int] = None) -> None:
    """`train_steps` steps of zero_grad / forward / backward / step in training mode, then
    `eval_steps` forward passes in eval mode, each checked against the reference and its
    optimizer (anything with `step(grads)`): outputs, losses, gradients, parameters after
    each step and running statistics. Eval mode must draw no random numbers. With
    `mask_seed`, training step k seeds np.random with mask_seed + k (see `_seed_masks`)."""
    _check_model_parameters(model, name)
    rng = np.random.default_rng(seed)
    out_features = _out_features(model)
    named = _named_parameters(model)

    model.train()
    for step in range(1, train_steps + 1):
        what = f"{name}: training step {step}"
        x, target = _batch(rng, batch_size, in_features, out_features, criterion is not None)
        optimizer.zero_grad()
        for label, param in named:
            if param.grad is not None and np.any(param.grad.data):
                raise AssertionError(f"{what}: {label}.grad is not None or zero after zero_grad()")
        _seed_masks(None if mask_seed is None else mask_seed + step)
        out = model(Tensor(x.copy()))
        _seed_masks(None if mask_seed is None else mask_seed + step)
        expected, caches = reference.forward(x, training=True)
        assert_close(out, expected, f"{what}: forward output")
        grad_out = _backward(out, expected, target, criterion, what)
        _, grads = reference.backward(caches, grad_out)
        reference.update_running_stats(caches)
        for (label, param), grad in zip(named, grads):
            check_grad(param, f"{what}: {label}")
            assert_close(param.grad, grad, f"{what}: {label}.grad")

        optimizer.step()
        reference_optimizer.step(grads)
        for (label, param), ref_param in zip(named, reference.params()):
            assert_close(param, ref_param, f"{what}: {label} after optimizer.step()")
            # The step is outside the graph: gradients stay constants (an optimizer may
            # clear them), parameters stay trainable leaves (checked just below).
            if param.grad is not None:
                check_grad(param, f"{what}: after optimizer.step(): {label}")
        _check_model_parameters(model, f"{what}: after optimizer.step()")
        _check_running_stats(model, reference, what)
        check_no_grad(out, f"{what}: output")

    model.eval()
    for step in range(1, eval_steps + 1):
        what = f"{name}: eval forward {step}"
        x, target = _batch(rng, batch_size, in_features, out_features, criterion is not None)
        before = np.random.get_state()
        out = model(Tensor(x.copy()))
        after = np.random.get_state()
        if not (np.array_equal(before[1], after[1]) and before[2] == after[2]):
            raise AssertionError(f"{what}: eval mode drew random numbers (dropout must be off)")
        expected, _ = reference.forward(x, training=False)
        assert_close(out, expected, f"{what}: output (eval mode uses the running statistics)")
        if criterion is not None:
            _check_loss(criterion, out, expected, target, what)
        _check_running_stats(model, reference, f"{what}: eval mode must not change")
    model.train()


def _describe(model: Sequential) -> str:
    parts = []
    for layer in model:
        if isinstance(layer, Linear):
            parts.append(f"Linear({layer.weight.shape[1]}, {layer.weight.shape[0]})")
        elif isinstance(layer, BatchNorm1d):
            parts.append(f"BatchNorm1d({layer.gamma.shape[0]})")
        else:
            parts.append(type(layer).__name__)
    return "->".join(parts)


def _out_features(model: Sequential) -> int:
    linears = [layer for layer in model if isinstance(layer, Linear)]
    return linears[-1].weight.shape[0]


# --------------------------------------------------------------------- 2.1 Linear

# (in_features, out_features, batch_size): the handout's 10 -> 20, then odd shapes.
LINEAR_SHAPES = [(10, 20, 5), (3, 1, 1), (7, 4, 16), (1, 6, 3)]


def test_linear_forward() -> None:
    for index, (n_in, n_out, batch) in enumerate(LINEAR_SHAPES):
        np.random.seed(MODEL_SEED + index)
        check_forward(Sequential(Linear(n_in, n_out)), n_in, batch, seed=100 + index)


def test_linear_backward() -> None:
    for index, (n_in, n_out, batch) in enumerate(LINEAR_SHAPES):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(n_in, n_out)), n_in, batch, seed=110 + index)


# ----------------------------------------------------------------------- 2.2 ReLU

def test_linear_relu_forward() -> None:
    for index, batch in enumerate((5, 1, 12)):
        np.random.seed(MODEL_SEED + index)
        check_forward(Sequential(Linear(10, 20), ReLU()), 10, batch, seed=200 + index)


def test_linear_relu_backward() -> None:
    for index, batch in enumerate((5, 1, 12)):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(10, 20), ReLU()), 10, batch, seed=210 + index)


def test_big_linear_relu_forward() -> None:
    for index, batch in enumerate((5, 17)):
        np.random.seed(MODEL_SEED + index)
        check_forward(Sequential(Linear(10, 20), ReLU(), Linear(20, 30), ReLU()), 10, batch,
                      seed=220 + index)


def test_big_linear_relu_backward() -> None:
    for index, batch in enumerate((5, 17)):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(10, 20), ReLU(), Linear(20, 30), ReLU()), 10,
                               batch, seed=230 + index)


# ------------------------------------------------------------------------ 2.3 SGD

def test_linear_relu_step() -> None:
    for index, (lr, batch) in enumerate(((0.1, 5), (0.01, 9))):
        np.random.seed(MODEL_SEED + index)
        model = Sequential(Linear(10, 20), ReLU())
        check_step(model, SGD(model.parameters(), lr=lr), lr, 0.0, 10, batch, seed=300 + index)


def test_big_linear_relu_step() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), ReLU(), Linear(20, 30), ReLU())
    check_step(model, SGD(model.parameters(), lr=0.05), 0.05, 0.0, 10, 7, seed=310)


# ------------------------------------------------------------------ 2.4 BatchNorm

def test_linear_batchnorm_relu_forward_train() -> None:
    for index, batch in enumerate((5, 2, 32)):
        np.random.seed(MODEL_SEED + index)
        check_forward(Sequential(Linear(10, 20), BatchNorm1d(20), ReLU()), 10, batch,
                      seed=400 + index)


def test_linear_batchnorm_relu_backward_train() -> None:
    for index, batch in enumerate((5, 2, 32)):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(10, 20), BatchNorm1d(20), ReLU()), 10, batch,
                               seed=410 + index)


def test_linear_batchnorm_relu_train_eval() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), BatchNorm1d(20), ReLU())
    check_step(model, SGD(model.parameters(), lr=0.1), 0.1, 0.0, 10, 8, seed=420)


def test_big_linear_batchnorm_relu_train_eval() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), BatchNorm1d(20), ReLU(), Linear(20, 30), BatchNorm1d(30),
                   ReLU())
    check_step(model, SGD(model.parameters(), lr=0.1), 0.1, 0.0, 10, 16, seed=430)
    # The eps and momentum arguments are used, not just stored.
    np.random.seed(MODEL_SEED + 1)
    model = Sequential(Linear(6, 5), BatchNorm1d(5, eps=1e-3, momentum=0.3), ReLU())
    check_step(model, SGD(model.parameters(), lr=0.1), 0.1, 0.0, 6, 4, seed=431,
               train_steps=3, eval_steps=2)


# -------------------------------------------------------------- 2.5 Cross-entropy

def test_linear_xeloss_forward() -> None:
    for index, (n_in, n_out, batch) in enumerate(((10, 20, 5), (4, 3, 1), (8, 10, 25))):
        np.random.seed(MODEL_SEED + index)
        check_forward(Sequential(Linear(n_in, n_out)), n_in, batch, seed=500 + index,
                      criterion=CrossEntropyLoss())
    # Large logits must not overflow (the log-sum-exp subtracts the row maximum).
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]])
    labels = np.array([0, 1])
    loss = CrossEntropyLoss()(Tensor(logits.copy(), requires_grad=True), Tensor(labels))
    assert_close(loss, reference_cross_entropy(logits, labels)[0], "loss of logits +-1000")


def test_linear_xeloss_backward() -> None:
    for index, (n_in, n_out, batch) in enumerate(((10, 20, 5), (4, 3, 1), (8, 10, 25))):
        np.random.seed(MODEL_SEED + index)
        check_forward_backward(Sequential(Linear(n_in, n_out)), n_in, batch, seed=510 + index,
                               criterion=CrossEntropyLoss())
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0]])
    labels = np.array([0, 1])
    x = Tensor(logits.copy(), requires_grad=True)
    CrossEntropyLoss()(x, Tensor(labels)).backward()
    check_grad(x, "logits +-1000")
    assert_close(x.grad, reference_cross_entropy(logits, labels)[1], "gradient of logits +-1000")


def test_big_linear_bn_relu_xeloss_train_eval() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), BatchNorm1d(20), ReLU(), Linear(20, 30), BatchNorm1d(30),
                   ReLU())
    check_step(model, SGD(model.parameters(), lr=0.1), 0.1, 0.0, 10, 12, seed=520,
               criterion=CrossEntropyLoss())
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(12, 16), BatchNorm1d(16), ReLU(), Linear(16, 10))
    check_step(model, SGD(model.parameters(), lr=0.1), 0.1, 0.0, 12, 20, seed=521,
               criterion=CrossEntropyLoss())


# ------------------------------------------------------------------- 2.6 Momentum

def test_linear_momentum() -> None:
    np.random.seed(MODEL_SEED)
    model = Sequential(Linear(10, 20), ReLU())
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    momentums = getattr(optimizer, "momentums", None)
    params = list(model.parameters())
    if momentums is None or len(momentums) != len(params) or any(
            np.shape(getattr(v, "data", v)) != p.shape for v, p in zip(momentums, params)):
        raise AssertionError("SGD(momentum=0.9).momentums must hold one velocity per parameter, "
                             "of the parameter's shape")
    check_step(model, optimizer, 0.1, 0.9, 10, 6, seed=600, eval_steps=0)


def test_big_linear_batchnorm_relu_xeloss_momentum() -> None:
    for index, (lr, momentum, batch) in enumerate(((0.1, 0.9, 12), (0.05, 0.5, 7))):
        np.random.seed(MODEL_SEED + index)
        model = Sequential(Linear(10, 20), BatchNorm1d(20), ReLU(), Linear(20, 30),
                       BatchNorm1d(30), ReLU())
        check_step(model, SGD(model.parameters(), lr=lr, momentum=momentum), lr, momentum,
                   10, batch, seed=610 + index, criterion=CrossEntropyLoss())
