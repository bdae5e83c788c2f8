"""handouts/spring2020: the Spring 2020 HW1P1 tree against central differences, the
autograd library on the same weights and PyTorch (float64, 1e-8); its seeded weights,
bad input, its autograder and its training program."""
import re
import shutil
import sys

import numpy as np
import pytest

from conftest import needs_data
from handout_trees import (HANDOUTS, SHARED_DATA, away_from_zero, central_differences,
                           load_tree, run_in, scores)
from mytorch import Tensor, nn, optim

TREE = HANDOUTS / "spring2020"
S20 = load_tree(TREE, ["mytorch", "hw1"],
                ["activation", "loss", "linear", "batchnorm", "hw1", "mc"])
activation, loss, linear, batchnorm, hw1 = (S20[name] for name in
                                            ("activation", "loss", "linear", "batchnorm", "hw1"))
TOL = dict(rtol=1e-8, atol=1e-10)
FD_TOL = dict(rtol=1e-6, atol=1e-8)

ACTIVATIONS = {  # tree class, autograd module (None: not in its public API), torch function
    "Sigmoid": (activation.Sigmoid, nn.Sigmoid, "sigmoid"),
    "Tanh": (activation.Tanh, nn.Tanh, "tanh"),
    "ReLU": (activation.ReLU, nn.ReLU, "relu"),
    "Identity": (activation.Identity, None, None),
}


def randn_init(d0, d1):
    return np.random.randn(d0, d1)


def zero_bias(d):
    return np.zeros((1, d))


def make_mlp(sizes, acts=None, num_bn=0, lr=0.1, momentum=0.0, seed=0):
    acts = acts or ["Sigmoid"] * (len(sizes) - 2) + ["Identity"]
    np.random.seed(seed)
    return hw1.MLP(sizes[0], sizes[-1], sizes[1:-1], [ACTIVATIONS[a][0]() for a in acts],
                   randn_init, zero_bias, loss.SoftmaxCrossEntropy(), lr, momentum=momentum,
                   num_bn_layers=num_bn)


def autograd_copy(mlp, acts):
    """The autograd library's Sequential with the tree's parameters (W transposed to
    (out, in)), and its Linear and BatchNorm1d layers."""
    layers, linears, norms = [], [], []
    for i, layer in enumerate(mlp.linear_layers):
        linears.append(nn.Linear(*layer.W.shape))
        linears[-1].weight.data[...] = layer.W.T
        linears[-1].bias.data[...] = layer.b[0]
        layers.append(linears[-1])
        if i < mlp.num_bn_layers:
            norms.append(nn.BatchNorm1d(layer.W.shape[1], eps=1e-8))
            norms[-1].gamma.data[...] = mlp.bn_layers[i].gamma[0]
            norms[-1].beta.data[...] = mlp.bn_layers[i].beta[0]
            layers.append(norms[-1])
        if ACTIVATIONS[acts[i]][1] is not None:
            layers.append(ACTIVATIONS[acts[i]][1]())
    return nn.Sequential(*layers), linears, norms


def batch(n=8, features=6, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)), np.eye(classes)[rng.integers(0, classes, n)]


# ------------------------------------------------------------------- the layers

@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_state_and_derivative(name):
    cls, auto_cls, torch_name = ACTIVATIONS[name]
    rng = np.random.default_rng(len(name))
    z = away_from_zero(rng, (5, 4), 4.0)
    act = cls()
    assert act(z) is act.state
    derivative = act.derivative()
    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):  # elementwise: d state_ij / d z_ij
        numeric[index] = central_differences(lambda: cls().forward(z)[index], z)[index]
    np.testing.assert_allclose(derivative, numeric, **FD_TOL)
    if auto_cls is not None:
        x = Tensor(z.copy(), requires_grad=True)
        out = auto_cls()(x)
        out.backward(Tensor(np.ones_like(z)))
        np.testing.assert_allclose(act.state, out.data, **TOL)
        np.testing.assert_allclose(derivative, x.grad.data, **TOL)
    if torch_name is not None:
        torch = pytest.importorskip("torch")
        t = torch.tensor(z, requires_grad=True)
        getattr(torch, torch_name)(t).sum().backward()
        np.testing.assert_allclose(act.state, getattr(torch, torch_name)(t).detach().numpy(), **TOL)
        np.testing.assert_allclose(derivative, t.grad.numpy(), **TOL)


def test_activations_are_finite_and_exact_far_out():
    z = np.array([[-1000.0, -40.0, 40.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        sigmoid = activation.Sigmoid()(z)
    with np.errstate(over="ignore"):  # 1 / (1 + inf) is the correctly rounded 0
        expected = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sigmoid, expected, rtol=1e-12, atol=0)
    assert sigmoid[0, 1] > 0  # exp(-40) / (1 + exp(-40)), not rounded to 0


def test_softmax_cross_entropy_against_autograd_torch_and_central_differences():
    x, y = batch(6, 5, 5, seed=1)
    x = 3 * x
    ce = loss.SoftmaxCrossEntropy()
    per_sample = ce(x, y)
    assert per_sample.shape == (6,)
    derivative = ce.derivative()
    np.testing.assert_allclose(derivative, central_differences(
        lambda: loss.SoftmaxCrossEntropy()(x, y).sum(), x), **FD_TOL)
    t = Tensor(x.copy(), requires_grad=True)
    mean = nn.CrossEntropyLoss()(t, Tensor(y))
    mean.backward()
    np.testing.assert_allclose(per_sample.mean(), mean.data, **TOL)
    np.testing.assert_allclose(derivative / 6, t.grad.data, **TOL)  # per sample, not averaged
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(per_sample, expected.numpy(), **TOL)


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        per_sample = loss.SoftmaxCrossEntropy()(x, y)
    np.testing.assert_allclose(per_sample, [2000.0, 2000.0 + np.log1p(np.exp(-1.0))], rtol=1e-12)


def test_linear_against_autograd_torch_and_central_differences():
    rng = np.random.default_rng(2)
    layer = linear.Linear(5, 3, lambda a, b: rng.standard_normal((a, b)),
                          lambda d: rng.standard_normal(d))
    assert layer.b.shape == (1, 3) and layer.momentum_W.shape == (5, 3) and not layer.momentum_b.any()
    x, delta = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    out = layer(x)
    dx = layer.backward(delta)

    def probe():  # the mean over the batch of delta . out: dW and db are its gradients
        return float(np.sum(delta * (x @ layer.W + layer.b)) / 7)

    np.testing.assert_allclose(layer.dW, central_differences(probe, layer.W), **FD_TOL)
    np.testing.assert_allclose(layer.db, central_differences(probe, layer.b), **FD_TOL)
    np.testing.assert_allclose(dx / 7, central_differences(probe, x), **FD_TOL)
    twin = nn.Linear(5, 3)
    twin.weight.data[...], twin.bias.data[...] = layer.W.T, layer.b[0]
    t = Tensor(x.copy(), requires_grad=True)
    auto_out = twin(t)
    auto_out.backward(Tensor(delta))
    np.testing.assert_allclose(out, auto_out.data, **TOL)
    np.testing.assert_allclose(dx, t.grad.data, **TOL)
    np.testing.assert_allclose(layer.dW, twin.weight.grad.data.T / 7, **TOL)
    np.testing.assert_allclose(layer.db[0], twin.bias.grad.data / 7, **TOL)


def test_batchnorm_against_autograd_torch_and_central_differences():
    rng = np.random.default_rng(3)
    bn = batchnorm.BatchNorm(4, alpha=0.8)
    bn.gamma, bn.beta = rng.uniform(0.5, 2, (1, 4)), rng.standard_normal((1, 4))
    x, delta = rng.standard_normal((6, 4)) * 2 + 1, rng.standard_normal((6, 4))
    out = bn(x)
    dx = bn.backward(delta)

    def probe():
        norm = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-8)
        return float(np.sum(delta * (bn.gamma * norm + bn.beta)))

    np.testing.assert_allclose(dx, central_differences(probe, x), **FD_TOL)
    np.testing.assert_allclose(bn.dgamma, central_differences(probe, bn.gamma), **FD_TOL)
    np.testing.assert_allclose(bn.dbeta, central_differences(probe, bn.beta), **FD_TOL)
    np.testing.assert_allclose(bn.running_mean, 0.2 * x.mean(axis=0, keepdims=True), **TOL)
    np.testing.assert_allclose(bn.running_var, 0.8 + 0.2 * x.var(axis=0, keepdims=True), **TOL)
    twin = nn.BatchNorm1d(4, eps=1e-8)
    twin.gamma.data[...], twin.beta.data[...] = bn.gamma[0], bn.beta[0]
    t = Tensor(x.copy(), requires_grad=True)
    auto_out = twin(t)
    auto_out.backward(Tensor(delta))
    np.testing.assert_allclose(out, auto_out.data, **TOL)
    np.testing.assert_allclose(dx, t.grad.data, **TOL)
    np.testing.assert_allclose(bn.dgamma[0], twin.gamma.grad.data, **TOL)  # sums, as delta is
    np.testing.assert_allclose(bn.dbeta[0], twin.beta.grad.data, **TOL)
    torch = pytest.importorskip("torch")
    torch_bn = torch.nn.BatchNorm1d(4, eps=1e-8).double().eval()
    with torch.no_grad():
        torch_bn.weight[:], torch_bn.bias[:] = torch.tensor(bn.gamma[0]), torch.tensor(bn.beta[0])
        torch_bn.running_mean[:] = torch.tensor(bn.running_mean[0])
        torch_bn.running_var[:] = torch.tensor(bn.running_var[0])
    x_eval = rng.standard_normal((3, 4))
    np.testing.assert_allclose(bn(x_eval, eval=True),
                               torch_bn(torch.tensor(x_eval)).detach().numpy(), **TOL)


# ----------------------------------------------------------------------- the MLP

def test_seeded_weights_are_the_references():
    calls = []

    def recording_init(d0, d1):
        calls.append((d0, d1))
        return np.random.randn(d0, d1)

    np.random.seed(11785)
    mlp = hw1.MLP(784, 10, [64, 32], [activation.Sigmoid(), activation.Sigmoid(),
                                      activation.Identity()],
                  recording_init, zero_bias, loss.SoftmaxCrossEntropy(), 0.008)
    after = np.random.get_state()[1].copy()
    assert calls == [(784, 64), (64, 32), (32, 10)]  # once per layer, in order
    np.random.seed(11785)
    expected = [np.random.randn(784, 64), np.random.randn(64, 32), np.random.randn(32, 10)]
    np.testing.assert_array_equal(np.random.get_state()[1], after)  # no other draws
    for layer, W in zip(mlp.linear_layers, expected):
        np.testing.assert_array_equal(layer.W, W)
        assert layer.b.shape == (1, W.shape[1]) and not layer.b.any()


@pytest.mark.parametrize("acts, num_bn", [(["Sigmoid", "Tanh", "Identity"], 0),
                                          (["Sigmoid", "ReLU", "Identity"], 1),
                                          (["Tanh", "Sigmoid", "Identity"], 2)])
def test_mlp_against_autograd_and_central_differences(acts, num_bn):
    sizes = [6, 5, 3, 4]
    mlp = make_mlp(sizes, acts, num_bn)
    for bn in mlp.bn_layers:
        bn.gamma, bn.beta = np.random.uniform(0.5, 1.5, bn.gamma.shape), np.random.randn(*bn.beta.shape)
    x, y = batch(seed=num_bn)
    auto, linears, norms = autograd_copy(mlp, acts)
    out = mlp.forward(x)
    assert isinstance(out, np.ndarray) and out.shape == (8, 4)
    mlp.backward(y)
    auto_out = auto(Tensor(x))
    auto_loss = nn.CrossEntropyLoss()(auto_out, Tensor(y))
    auto_loss.backward()
    np.testing.assert_allclose(out, auto_out.data, **TOL)
    np.testing.assert_allclose(mlp.total_loss(y) / 8, auto_loss.data, **TOL)
    for layer, twin in zip(mlp.linear_layers, linears):
        np.testing.assert_allclose(layer.dW, twin.weight.grad.data.T, **TOL)
        np.testing.assert_allclose(layer.db[0], twin.bias.grad.data, **TOL)
    for bn, twin in zip(mlp.bn_layers, norms):  # the handout's sums: N times the mean's
        np.testing.assert_allclose(bn.dgamma[0], 8 * twin.gamma.grad.data, **TOL)
        np.testing.assert_allclose(bn.dbeta[0], 8 * twin.beta.grad.data, **TOL)

    def mean_loss():
        mlp.forward(x)
        return mlp.total_loss(y) / 8

    grads = [(layer.dW.copy(), layer.db.copy()) for layer in mlp.linear_layers]
    for layer, (dW, db) in zip(mlp.linear_layers, grads):
        np.testing.assert_allclose(dW, central_differences(mean_loss, layer.W), **FD_TOL)
        np.testing.assert_allclose(db, central_differences(mean_loss, layer.b), **FD_TOL)


def test_mlp_steps_match_pytorch_with_momentum_and_batchnorm():
    torch = pytest.importorskip("torch")
    sizes, acts, lr, momentum = [6, 5, 3, 4], ["Sigmoid", "Tanh", "Identity"], 0.2, 0.856
    mlp = make_mlp(sizes, acts, num_bn=1, lr=lr, momentum=momentum)
    W = [torch.tensor(layer.W, requires_grad=True) for layer in mlp.linear_layers]
    b = [torch.tensor(layer.b, requires_grad=True) for layer in mlp.linear_layers]
    gamma, beta = torch.ones(1, 5, dtype=torch.float64, requires_grad=True), \
        torch.zeros(1, 5, dtype=torch.float64, requires_grad=True)
    # torch's momentum (v = m v + g; p -= lr v) is the handout's (v = m v - lr g; p += v);
    # the handout's gamma and beta take plain steps along gradients summed over the batch.
    n = 8
    optimizer = torch.optim.SGD([{"params": W + b},
                                 {"params": [gamma, beta], "momentum": 0.0, "lr": lr * n}],
                                lr=lr, momentum=momentum)
    for step in range(4):
        x, y = batch(n, seed=10 + step)
        mlp.zero_grads()
        mlp.forward(x)
        mlp.backward(y)
        mlp.step()
        optimizer.zero_grad()
        h = torch.tensor(x) @ W[0] + b[0]
        h = gamma * (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + 1e-8) + beta
        h = torch.tanh(torch.sigmoid(h) @ W[1] + b[1]) @ W[2] + b[2]
        torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
        optimizer.step()
        for layer, w, bias in zip(mlp.linear_layers, W, b):
            np.testing.assert_allclose(layer.W, w.detach().numpy(), **TOL)
            np.testing.assert_allclose(layer.b, bias.detach().numpy(), **TOL)
        np.testing.assert_allclose(mlp.bn_layers[0].gamma, gamma.detach().numpy(), **TOL)
        np.testing.assert_allclose(mlp.bn_layers[0].beta, beta.detach().numpy(), **TOL)


def test_mlp_steps_match_the_autograd_library_with_momentum():
    sizes, acts = [6, 5, 4], ["Sigmoid", "Identity"]
    mlp = make_mlp(sizes, acts, lr=0.3, momentum=0.9)
    auto, linears, _ = autograd_copy(mlp, acts)
    optimizer = optim.SGD(auto.parameters(), lr=0.3, momentum=0.9)
    for step in range(4):
        x, y = batch(seed=20 + step)
        mlp.zero_grads()
        mlp.forward(x)
        mlp.backward(y)
        mlp.step()
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(auto(Tensor(x)), Tensor(y)).backward()
        optimizer.step()
    for layer, twin in zip(mlp.linear_layers, linears):
        np.testing.assert_allclose(layer.W, twin.weight.data.T, **TOL)
        np.testing.assert_allclose(layer.b[0], twin.bias.data, **TOL)
        assert layer.momentum_W.any()  # the update lives in the layer, as the handout says


def test_eval_mode_uses_the_running_statistics():
    mlp = make_mlp([6, 5, 4], num_bn=1)
    x, _ = batch(16)
    train_out = mlp.forward(x)
    mlp.eval()
    eval_out = mlp.forward(x)
    assert not np.allclose(train_out, eval_out)
    np.testing.assert_allclose(mlp.forward(x[:3]), eval_out[:3], **TOL)  # batch-independent
    mlp.train()
    assert mlp.train_mode


def test_get_training_stats_learns_and_matches_a_direct_evaluation():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((3, 6)) * 3

    def split(n):
        labels = rng.integers(0, 3, n)
        return centres[labels] + rng.standard_normal((n, 6)), labels

    train, val = split(200), split(60)
    mlp = make_mlp([6, 8, 3], lr=0.2, momentum=0.5)
    epochs = []
    np.random.seed(3)
    stats = hw1.get_training_stats(mlp, (train, val, val), 5, 32,
                                   on_epoch=lambda *values: epochs.append(values))
    assert [len(values) for values in stats] == [5] * 4 and [e[0] for e in epochs] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(np.array(epochs)[:, 1:].T, np.array(stats))
    assert stats[2][-1] < stats[2][0] and stats[3][-1] <= stats[3][0] and mlp.train_mode
    mlp.eval()
    targets = hw1.one_hot(val[1], 3)
    mlp.forward(val[0])
    np.testing.assert_allclose(stats[2][-1], mlp.total_loss(targets) / 60, **TOL)
    assert stats[3][-1] == mlp.error(targets) / 60


def test_get_training_stats_restores_training_mode_when_evaluation_fails():
    class FailsInEval(loss.SoftmaxCrossEntropy):
        def forward(self, x, y):
            if not mlp.train_mode:
                raise RuntimeError("evaluation failed")
            return super().forward(x, y)

    np.random.seed(0)
    mlp = hw1.MLP(6, 4, [5], [activation.Sigmoid(), activation.Identity()], randn_init,
                  zero_bias, FailsInEval(), 0.1, num_bn_layers=1)
    data = batch(20)[0], np.arange(20) % 4
    with pytest.raises(RuntimeError, match="evaluation failed"):
        hw1.get_training_stats(mlp, (data, data, data), 1, 8)
    assert mlp.train_mode


def test_multiple_choice_answers_are_the_handouts():
    assert [getattr(S20["mc"], f"question_{k}")() for k in range(1, 6)] == ["b", "a", "a", "a", "c"]


# ------------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, error, match", [
    (lambda: linear.Linear(0, 3, randn_init, zero_bias), ValueError, "in_feature.*got 0"),
    (lambda: linear.Linear(2.5, 3, randn_init, zero_bias), TypeError, "in_feature.*got 2.5"),
    (lambda: linear.Linear(4, 3, lambda a, b: np.zeros((b, a)), zero_bias), ValueError,
     r"weight_init_fn\(4, 3\) must return shape \(4, 3\), got \(3, 4\)"),
    (lambda: linear.Linear(4, 3, randn_init, lambda d: np.zeros((d, 1))), ValueError,
     r"bias_init_fn\(3\).*got \(3, 1\)"),
    (lambda: batchnorm.BatchNorm(3, alpha=1.5), ValueError, "alpha.*got 1.5"),
    (lambda: make_mlp([6, 5, 4], num_bn=2), ValueError, "num_bn_layers.*got 2"),
    (lambda: make_mlp([6, 5, 4], lr=-0.1), ValueError, "lr.*got -0.1"),
    (lambda: make_mlp([6, 5, 4], momentum=float("nan")), ValueError, "momentum.*got nan"),
    (lambda: make_mlp([6, 0, 4]), ValueError, r"hiddens\[0\].*got 0"),
    (lambda: hw1.MLP(6, 4, [5], [activation.Identity()], randn_init, zero_bias,
                     loss.SoftmaxCrossEntropy(), 0.1), ValueError, "activations.*got 1"),
    (lambda: activation.Sigmoid()(np.array(["a", "b"])), TypeError, "x must be a numeric array"),
    (lambda: activation.ReLU().derivative(), RuntimeError, r"ReLU.derivative\(\) called before"),
    (lambda: loss.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.zeros((2, 4))), ValueError,
     r"y must have shape \(2, 3\), got \(2, 4\)"),
    (lambda: hw1.one_hot(np.array([0, 5]), 4), ValueError, "label 5 is out of range"),
])
def test_bad_input_names_the_argument_and_the_value(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_input_leaves_the_layer_unchanged():
    layer = linear.Linear(4, 3, randn_init, zero_bias)
    x = np.ones((2, 4))
    layer(x)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4\), got \(2, 5\)"):
        layer(np.ones((2, 5)))
    assert layer.x is not None and layer.x.shape == (2, 4)
    with pytest.raises(ValueError, match=r"delta must have shape \(2, 3\)"):
        layer.backward(np.ones((3, 3)))
    assert not layer.dW.any()
    bn = batchnorm.BatchNorm(4)
    with pytest.raises(ValueError, match="at least 2 rows"):
        bn(np.ones((1, 4)))
    assert not bn.running_mean.any() and np.all(bn.running_var == 1)
    bn(np.ones((3, 4)), eval=True)
    with pytest.raises(RuntimeError, match="training-mode forward"):
        bn.backward(np.ones((3, 4)))
    mlp = make_mlp([6, 5, 4])
    mlp.forward(batch()[0])
    before = mlp.output
    with pytest.raises(ValueError, match=r"labels must have shape \(8, 4\)"):
        mlp.backward(np.ones((8, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 6\)"):
        mlp.forward(np.ones((8, 7)))
    assert mlp.output is before and not mlp.linear_layers[0].dW.any()


def test_get_training_stats_checks_its_arguments_before_training():
    mlp = make_mlp([6, 5, 4])
    weights = mlp.linear_layers[0].W.copy()
    data = batch(4)[0], np.zeros(4, dtype=int)
    for args, match in [((0, 2), "nepochs"), ((1, -2), "batch_size")]:
        with pytest.raises(ValueError, match=match):
            hw1.get_training_stats(mlp, (data, data, data), *args)
    with pytest.raises(ValueError, match="label 4 is out of range"):
        hw1.get_training_stats(mlp, (data, (data[0], np.full(4, 4)), data), 1, 2)
    np.testing.assert_array_equal(mlp.linear_layers[0].W, weights)


# ------------------------------------------------- the autograder and the program

def test_own_autograder_gives_full_marks_and_notices_a_wrong_derivative(tmp_path):
    result = run_in(TREE, [sys.executable, "autograder/hw1_autograder/runner.py"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total score: 95/95" in result.stdout
    assert sum(scores(result.stdout).values()) == 95 and len(scores(result.stdout)) == 25
    broken = tmp_path / "tree"
    shutil.copytree(TREE, broken, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    source = broken / "mytorch" / "activation.py"
    source.write_text(source.read_text().replace("return 1.0 - a * a", "return 1.0 - a"))
    result = run_in(broken, [sys.executable, "autograder/hw1_autograder/runner.py"])
    assert result.returncode == 1
    assert "Total score: 93/95" in result.stdout
    assert scores(result.stdout)["Tanh Non-Linearity (derivative)"] == 0
    assert "tanh.derivative(): differs" in result.stdout


@needs_data("mnist-10k")
def test_training_program_gets_the_sample_network_below_30_percent_error(tmp_path):
    result = run_in(TREE, [sys.executable, "autograder/hw1_autograder/test.py",
                           "--outpath", str(tmp_path)], MYTORCH_DATA=str(SHARED_DATA))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8000 training, 2000 validation images; 30 epochs" in result.stdout
    final = float(re.search(r"final validation error ([\d.]+)", result.stdout).group(1))
    assert final < 0.30, result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "training_error.png", "training_loss.png", "validation_error.png", "validation_loss.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in tmp_path.iterdir())


def test_training_program_reports_missing_data(tmp_path):
    result = run_in(TREE, [sys.executable, "autograder/hw1_autograder/test.py",
                           "--data", str(tmp_path), "--outpath", str(tmp_path)])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"could not load mnist-10k: {tmp_path} lacks train-images-idx3-ubyte.gz" in result.stderr
