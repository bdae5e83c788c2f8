"""handouts/spring2025: the Spring 2025 HW1P1 tree against central differences, the
autograd library on the same weights and PyTorch (float64, 1e-8); what that year's
autograder expects, bad input and the tree's own autograder."""
import shutil
import sys

import numpy as np
import pytest

from handout_trees import (HANDOUTS, away_from_zero, central_differences, load_tree,
                           run_in, scores)
from mytorch import Tensor, nn, optim

TREE = HANDOUTS / "spring2025"
S25 = load_tree(TREE, ["."], ["mytorch.nn", "mytorch.optim", "models"])
hand, hand_optim, models = S25["mytorch.nn"], S25["mytorch.optim"], S25["models"]
TOL = dict(rtol=1e-8, atol=1e-10)
FD_TOL = dict(rtol=1e-6, atol=1e-8)
MODELS = {"MLP0": [2, 3], "MLP1": [2, 3, 2], "MLP4": [2, 4, 8, 8, 4, 2]}


def autograd_grad(module, Z, dLdA):
    """(output, dL/dZ) of an autograd module for the upstream gradient dLdA."""
    x = Tensor(Z.copy(), requires_grad=True)
    out = module(x)
    out.backward(Tensor(dLdA))
    return out.data, x.grad.data


# --------------------------------------------------------------------- the layers

ACTIVATIONS = {  # autograd module (None: not in its public API), torch function
    "Identity": (None, lambda t: t),
    "Sigmoid": (nn.Sigmoid, "sigmoid"),
    "Tanh": (nn.Tanh, "tanh"),
    "ReLU": (nn.ReLU, "relu"),
    "GELU": (None, "gelu"),
    "Softmax": (None, "softmax"),
}


@pytest.mark.parametrize("scale", [1.0, 8.0])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_against_central_differences_autograd_and_torch(name, scale):
    auto_cls, torch_fn = ACTIVATIONS[name]
    rng = np.random.default_rng(len(name))
    Z, dLdA = away_from_zero(rng, (5, 4), scale), rng.standard_normal((5, 4))
    layer = getattr(hand, name)()
    A = layer.forward(Z)
    dLdZ = layer.backward(dLdA)
    np.testing.assert_allclose(dLdZ, central_differences(
        lambda: float(np.sum(dLdA * getattr(hand, name)().forward(Z))), Z), **FD_TOL)
    if auto_cls is not None:
        out, grad = autograd_grad(auto_cls(), Z, dLdA)
        np.testing.assert_allclose(A, out, **TOL)
        np.testing.assert_allclose(dLdZ, grad, **TOL)
    torch = pytest.importorskip("torch")
    t = torch.tensor(Z, requires_grad=True)
    fn = getattr(torch.nn.functional, torch_fn) if isinstance(torch_fn, str) else torch_fn
    out = fn(t, dim=1) if name == "Softmax" else fn(t)
    out.backward(torch.tensor(dLdA))
    np.testing.assert_allclose(A, out.detach().numpy(), **TOL)
    np.testing.assert_allclose(dLdZ, t.grad.numpy(), **TOL)


def test_tanh_does_not_call_np_tanh_and_is_exact(monkeypatch):
    Z = np.array([[-1000.0, -20.0, -1e-12, 0.0], [1e-9, 0.3, 3.0, 800.0]])
    expected = np.tanh(Z)

    def forbidden(*args, **kwargs):
        raise AssertionError("np.tanh was called")

    monkeypatch.setattr(np, "tanh", forbidden)
    with np.errstate(over="raise", invalid="raise"):
        A = hand.Tanh().forward(Z)
    np.testing.assert_allclose(A, expected, rtol=1e-15, atol=0)


def test_linear_against_central_differences_autograd_and_torch():
    rng = np.random.default_rng(1)
    layer = hand.Linear(5, 3, debug=True)
    assert layer.W.shape == (3, 5) and layer.b.shape == (3, 1) and not layer.W.any()
    layer.W, layer.b = rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    A, dLdZ = rng.standard_normal((7, 5)), rng.standard_normal((7, 3))
    Z = layer.forward(A)
    dLdA = layer.backward(dLdZ)
    assert layer.dLdA is dLdA  # kept for the autograder in debug mode

    def probe():
        return float(np.sum(dLdZ * (A @ layer.W.T + layer.b.T)))

    for grad, x in [(dLdA, A), (layer.dLdW, layer.W), (layer.dLdb, layer.b)]:
        np.testing.assert_allclose(grad, central_differences(probe, x), **FD_TOL)
    twin = nn.Linear(5, 3)
    twin.weight.data[...], twin.bias.data[...] = layer.W, layer.b[:, 0]
    out, grad = autograd_grad(twin, A, dLdZ)
    np.testing.assert_allclose(Z, out, **TOL)
    np.testing.assert_allclose(dLdA, grad, **TOL)
    np.testing.assert_allclose(layer.dLdW, twin.weight.grad.data, **TOL)
    np.testing.assert_allclose(layer.dLdb[:, 0], twin.bias.grad.data, **TOL)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.linear(torch.tensor(A), torch.tensor(layer.W),
                                          torch.tensor(layer.b[:, 0]))
    np.testing.assert_allclose(Z, expected.numpy(), **TOL)
    quiet = hand.Linear(5, 3)
    quiet.forward(A)
    quiet.backward(dLdZ)
    assert quiet.dLdA is None  # only debugging keeps it


@pytest.mark.parametrize("target", ["one-hot", "probabilities"])
def test_losses_return_numpy_scalars_matching_autograd_and_torch(target):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 4)) * 3
    Y = (np.eye(4)[rng.integers(0, 4, 6)] if target == "one-hot"
         else rng.dirichlet(np.ones(4), 6))
    for name in ("MSELoss", "CrossEntropyLoss"):
        criterion = getattr(hand, name)()
        L = criterion.forward(A, Y)
        assert isinstance(L, np.floating)
        assert L.round(4) == round(float(L), 4)  # as the handout's autograder uses it
        dLdA = criterion.backward()
        np.testing.assert_allclose(dLdA, central_differences(
            lambda: float(getattr(hand, name)().forward(A, Y)), A), **FD_TOL)
        x = Tensor(A.copy(), requires_grad=True)
        auto = getattr(nn, name)()(x, Tensor(Y))
        auto.backward()
        np.testing.assert_allclose(L, auto.data, **TOL)
        np.testing.assert_allclose(dLdA, x.grad.data, **TOL)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(torch.tensor(A), torch.tensor(Y))
    np.testing.assert_allclose(hand.CrossEntropyLoss().forward(A, Y), expected.item(), **TOL)


def test_cross_entropy_is_finite_for_huge_logits():
    A = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        L = hand.CrossEntropyLoss().forward(A, Y)
    np.testing.assert_allclose(L, (2000.0 + 2000.0 + np.log1p(np.exp(-1.0))) / 2, rtol=1e-12)


def test_batchnorm_against_central_differences_autograd_and_torch():
    rng = np.random.default_rng(3)
    bn = hand.BatchNorm1d(4, alpha=0.7)
    bn.BW, bn.Bb = rng.uniform(0.5, 2.0, (1, 4)), rng.standard_normal((1, 4))
    Z, dLdBZ = rng.standard_normal((6, 4)) * 2 + 1, rng.standard_normal((6, 4))
    BZ = bn.forward(Z)
    dLdZ = bn.backward(dLdBZ)

    def probe():
        return float(np.sum(dLdBZ * (bn.BW * (Z - Z.mean(0)) / np.sqrt(Z.var(0) + 1e-8) + bn.Bb)))

    for grad, x in [(dLdZ, Z), (bn.dLdBW, bn.BW), (bn.dLdBb, bn.Bb)]:
        np.testing.assert_allclose(grad, central_differences(probe, x), **FD_TOL)
    twin = nn.BatchNorm1d(4, eps=1e-8, momentum=0.3)  # momentum = 1 - alpha
    twin.gamma.data[...], twin.beta.data[...] = bn.BW[0], bn.Bb[0]
    out, grad = autograd_grad(twin, Z, dLdBZ)
    np.testing.assert_allclose(BZ, out, **TOL)
    np.testing.assert_allclose(dLdZ, grad, **TOL)
    np.testing.assert_allclose(bn.dLdBW[0], twin.gamma.grad.data, **TOL)
    np.testing.assert_allclose(bn.dLdBb[0], twin.beta.grad.data, **TOL)
    np.testing.assert_allclose(bn.running_M[0], twin.running_mean.data, **TOL)
    # The handout keeps the biased variance; the library, like PyTorch, the unbiased one.
    np.testing.assert_allclose(bn.running_V, 0.7 + 0.3 * Z.var(0, keepdims=True), **TOL)
    torch = pytest.importorskip("torch")
    torch_bn = torch.nn.BatchNorm1d(4, eps=1e-8).double().eval()
    with torch.no_grad():
        torch_bn.weight[:], torch_bn.bias[:] = torch.tensor(bn.BW[0]), torch.tensor(bn.Bb[0])
        torch_bn.running_mean[:] = torch.tensor(bn.running_M[0])
        torch_bn.running_var[:] = torch.tensor(bn.running_V[0])
    Z_eval = rng.standard_normal((3, 4))
    np.testing.assert_allclose(bn.forward(Z_eval, eval=True),
                               torch_bn(torch.tensor(Z_eval)).detach().numpy(), **TOL)


# ---------------------------------------------------------------------- the models

def randomise(model, rng):
    for layer in model.layers[::2]:
        layer.W = rng.standard_normal(layer.W.shape)
        layer.b = rng.standard_normal(layer.b.shape) * 0.1


def autograd_copy(model):
    """The autograd library's Sequential(Linear, ReLU, ...) with the model's weights."""
    layers = []
    for layer in model.layers[::2]:
        twin = nn.Linear(*layer.W.shape[::-1])
        twin.weight.data[...], twin.bias.data[...] = layer.W, layer.b[:, 0]
        layers += [twin, nn.ReLU()]
    return nn.Sequential(*layers), layers[::2]


@pytest.mark.parametrize("name", MODELS)
def test_model_against_central_differences_autograd_and_torch(name):
    rng = np.random.default_rng(4)
    model = getattr(models, name)(debug=True)
    assert [layer.W.shape for layer in model.layers[::2]] == [
        (b, a) for a, b in zip(MODELS[name][:-1], MODELS[name][1:])]
    randomise(model, rng)
    auto, linears = autograd_copy(model)
    A0 = away_from_zero(rng, (9, 2))
    out = model.forward(A0)
    dLdA_out = rng.standard_normal(out.shape)
    dLdA0 = model.backward(dLdA_out)
    auto_out, grad = autograd_grad(auto, A0, dLdA_out)
    np.testing.assert_allclose(out, auto_out, **TOL)
    np.testing.assert_allclose(dLdA0, grad, **TOL)
    for layer, twin in zip(model.layers[::2], linears):
        np.testing.assert_allclose(layer.dLdW, twin.weight.grad.data, **TOL)
        np.testing.assert_allclose(layer.dLdb[:, 0], twin.bias.grad.data, **TOL)

    def probe():
        return float(np.sum(dLdA_out * model.forward(A0)))

    np.testing.assert_allclose(dLdA0, central_differences(probe, A0), **FD_TOL)
    np.testing.assert_allclose(model.layers[0].dLdW,
                               central_differences(probe, model.layers[0].W), **FD_TOL)
    torch = pytest.importorskip("torch")
    h = torch.tensor(A0)
    for layer in model.layers[::2]:
        h = torch.relu(torch.nn.functional.linear(h, torch.tensor(layer.W),
                                                  torch.tensor(layer.b[:, 0])))
    np.testing.assert_allclose(out, h.numpy(), **TOL)


@pytest.mark.parametrize("name", MODELS)
def test_debug_mode_keeps_what_the_handouts_autograder_reads(name):
    rng = np.random.default_rng(5)
    model = getattr(models, name)(debug=True)
    randomise(model, rng)
    A0 = rng.standard_normal((4, 2))
    out = model.forward(A0)
    layers = len(model.layers)
    assert len(model.A) == layers + 1 and model.A[0] is A0 and model.A[-1] is out
    for i, layer in enumerate(model.layers):  # A[i + 1] is layer i's output
        np.testing.assert_array_equal(model.A[i + 1], layer.forward(model.A[i]))
    dLdA_out = rng.standard_normal(out.shape)
    dLdA0 = model.backward(dLdA_out)
    assert len(model.dLdA) == layers + 1 and model.dLdA[-1] is dLdA_out and model.dLdA[0] is dLdA0
    for k in range(layers // 2):  # the handout's names: layer 2k maps A_k to Z_k
        assert model.__dict__[f"Z{k}"] is model.A[2 * k + 1]
        assert model.__dict__[f"A{k + 1}"] is model.A[2 * k + 2]
        assert model.__dict__[f"dLdZ{k}"] is model.dLdA[2 * k + 1]
        assert model.__dict__[f"dLdA{k}"] is model.dLdA[2 * k]
    quiet = getattr(models, name)()
    quiet.forward(A0)
    quiet.backward(dLdA_out)
    assert not hasattr(quiet, "A") and not hasattr(quiet, "Z0")


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_trains_mlp4_as_the_library_and_torch_do(momentum):
    rng = np.random.default_rng(6)
    model = models.MLP4()
    randomise(model, rng)
    auto, linears = autograd_copy(model)
    torch = pytest.importorskip("torch")
    params = [torch.tensor(x, requires_grad=True) for layer in model.layers[::2]
              for x in (layer.W, layer.b[:, 0])]
    hand_opt = hand_optim.SGD(model, lr=0.05, momentum=momentum)
    auto_opt = optim.SGD(auto.parameters(), lr=0.05, momentum=momentum)
    torch_opt = torch.optim.SGD(params, lr=0.05, momentum=momentum)
    criterion = hand.CrossEntropyLoss()
    for _ in range(5):
        A, Y = rng.standard_normal((16, 2)), np.eye(2)[rng.integers(0, 2, 16)]
        L = criterion.forward(model.forward(A), Y)
        model.backward(criterion.backward())
        hand_opt.step()
        auto_opt.zero_grad()
        auto_loss = nn.CrossEntropyLoss()(auto(Tensor(A)), Tensor(Y))
        auto_loss.backward()
        auto_opt.step()
        torch_opt.zero_grad()
        h = torch.tensor(A)
        for W, b in zip(params[::2], params[1::2]):
            h = torch.relu(h @ W.T + b)
        torch.nn.functional.cross_entropy(h, torch.tensor(Y)).backward()
        torch_opt.step()
        np.testing.assert_allclose(L, auto_loss.data, **TOL)
    for layer, twin, W, b in zip(model.layers[::2], linears, params[::2], params[1::2]):
        np.testing.assert_allclose(layer.W, twin.weight.data, **TOL)
        np.testing.assert_allclose(layer.W, W.detach().numpy(), **TOL)
        np.testing.assert_allclose(layer.b[:, 0], b.detach().numpy(), **TOL)


# ---------------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, error, match", [
    (lambda: hand.Linear(0, 3), ValueError, "in_features.*got 0"),
    (lambda: hand.Linear(2, "3"), TypeError, "out_features.*got '3'"),
    (lambda: hand.BatchNorm1d(3, alpha=-0.1), ValueError, "alpha.*got -0.1"),
    (lambda: hand_optim.SGD(models.MLP0(), lr=-1), ValueError, "learning rate: -1"),
    (lambda: hand_optim.SGD(models.MLP0(), momentum=-0.5), ValueError, "momentum: -0.5"),
    (lambda: hand.ReLU().forward([["a"]]), TypeError, "Z must be a numeric array"),
    (lambda: hand.Softmax().forward(np.ones(3)), ValueError, r"Z must be a 2-D array, got shape \(3,\)"),
    (lambda: hand.MSELoss().forward(np.ones((2, 3)), np.ones((3, 2))), ValueError,
     r"A \(2, 3\) and Y \(3, 2\)"),
    (lambda: hand.CrossEntropyLoss().backward(), RuntimeError, "before forward"),
    (lambda: models.MLP1().forward(np.ones((4, 3))), ValueError, r"A must have shape \(N, 2\), got \(4, 3\)"),
])
def test_bad_input_names_the_argument_and_the_value(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_input_leaves_the_layer_unchanged():
    layer = hand.Linear(2, 3)
    layer.forward(np.ones((4, 2)))
    saved = layer.A
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        layer.forward(np.ones((4, 5)))
    assert layer.A is saved and layer.N == 4
    with pytest.raises(ValueError, match=r"dLdZ must have the forward output's shape \(4, 3\)"):
        layer.backward(np.ones((4, 2)))
    assert not layer.dLdW.any()
    bn = hand.BatchNorm1d(2)
    with pytest.raises(ValueError, match="at least 2 rows"):
        bn.forward(np.ones((1, 2)))
    assert not bn.running_M.any() and np.all(bn.running_V == 1)
    loss = hand.MSELoss()
    loss.forward(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="same shape"):
        loss.forward(np.zeros((2, 2)), np.ones((2, 3)))
    np.testing.assert_array_equal(loss.backward(), np.full((2, 2), 2 * (0 - 1) / 4))  # the first pair


# ----------------------------------------------------------------- the autograder

def test_own_autograder_gives_full_marks_and_notices_np_tanh(tmp_path):
    result = run_in(TREE, [sys.executable, "autograder/hw1p1_autograder.py"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total score: 100/100" in result.stdout
    assert scores(result.stdout) == {"Linear Layer": 15, "Activation": 10, "MLP0": 10,
                                     "MLP1": 10, "MLP4": 15, "Loss": 10, "SGD": 10,
                                     "Batch Norm": 20}
    broken = tmp_path / "tree"
    shutil.copytree(TREE, broken, ignore=shutil.ignore_patterns("__pycache__"))
    source = broken / "mytorch" / "nn" / "activation.py"
    text = source.read_text()
    assert "self.A = np.sign(Z) * -m / (2.0 + m)" in text
    source.write_text(text.replace("self.A = np.sign(Z) * -m / (2.0 + m)", "self.A = np.tanh(Z)"))
    result = run_in(broken, [sys.executable, "autograder/hw1p1_autograder.py"])
    assert result.returncode == 1
    assert "Total score: 90/100" in result.stdout and scores(result.stdout)["Activation"] == 0
    assert "Tanh.forward calls np.tanh" in result.stdout
