"""The hand-derived `mytorch.manual` layers (Spring 2025 handout API) against the autograd
library: with the same weights and random inputs, every output and gradient agrees to
1e-8 in float64. Two independent derivations agreeing is the point of the exercise."""
import numpy as np
import pytest

from mytorch import Tensor, manual, nn, optim

TOL = dict(rtol=1e-8, atol=1e-8)


def _rng(seed):
    return np.random.default_rng(seed)


def _autograd_grad(module, Z, dLdA):
    """(output, dL/dZ) of an autograd module for upstream gradient dLdA."""
    x = Tensor(Z.copy(), requires_grad=True)
    out = module(x)
    out.backward(Tensor(dLdA))
    return out.data, x.grad.data


# ------------------------------------------------------------------------ Linear

@pytest.mark.parametrize("n, fan_in, fan_out", [(5, 3, 4), (1, 7, 2), (8, 1, 1)])
def test_linear(n, fan_in, fan_out):
    rng = _rng(n * 100 + fan_in)
    hand = manual.Linear(fan_in, fan_out)
    hand.W = rng.standard_normal((fan_out, fan_in))
    hand.b = rng.standard_normal((fan_out, 1))
    layer = nn.Linear(fan_in, fan_out)
    layer.weight.data[...] = hand.W
    layer.bias.data[...] = hand.b[:, 0]

    A = rng.standard_normal((n, fan_in))
    dLdZ = rng.standard_normal((n, fan_out))
    Z = hand.forward(A)
    dLdA = hand.backward(dLdZ)
    out, grad_A = _autograd_grad(layer, A, dLdZ)

    np.testing.assert_allclose(Z, out, **TOL)
    np.testing.assert_allclose(dLdA, grad_A, **TOL)
    np.testing.assert_allclose(hand.dLdW, layer.weight.grad.data, **TOL)
    np.testing.assert_allclose(hand.dLdb, layer.bias.grad.data[:, np.newaxis], **TOL)


# ------------------------------------------------------------------- activations

ACTIVATIONS = {
    "Identity": (manual.Identity, nn.Identity),
    "Sigmoid": (manual.Sigmoid, nn.Sigmoid),
    "Tanh": (manual.Tanh, nn.Tanh),
    "ReLU": (manual.ReLU, nn.ReLU),
    "GELU": (manual.GELU, nn.GELU),
    "Softmax": (manual.Softmax, lambda: nn.Softmax(dim=1)),
}


@pytest.mark.parametrize("scale", [1.0, 5.0], ids=["unit", "wide"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation(name, scale):
    hand_cls, auto_cls = ACTIVATIONS[name]
    rng = _rng(len(name))
    Z = rng.standard_normal((6, 5)) * scale
    Z = np.where(np.abs(Z) < 1e-3, 0.5, Z)  # away from ReLU's kink
    dLdA = rng.standard_normal((6, 5))
    hand = hand_cls()
    A = hand.forward(Z)
    dLdZ = hand.backward(dLdA)
    out, grad_Z = _autograd_grad(auto_cls(), Z, dLdA)
    np.testing.assert_allclose(A, out, **TOL)
    np.testing.assert_allclose(dLdZ, grad_Z, **TOL)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_at_1000(name):
    hand_cls, auto_cls = ACTIVATIONS[name]
    Z = np.array([[-1000.0, 1000.0, 0.5], [999.0, -999.0, -0.5]])
    dLdA = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    hand = hand_cls()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        A = hand.forward(Z)
        dLdZ = hand.backward(dLdA)
        out, grad_Z = _autograd_grad(auto_cls(), Z, dLdA)
    np.testing.assert_allclose(A, out, **TOL)
    np.testing.assert_allclose(dLdZ, grad_Z, **TOL)


# ------------------------------------------------------------------------ losses

def test_mse_loss():
    rng = _rng(1)
    A, Y = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    hand = manual.MSELoss()
    loss = hand.forward(A, Y)
    x = Tensor(A.copy(), requires_grad=True)
    auto = nn.MSELoss()(x, Y)
    auto.backward()
    np.testing.assert_allclose(loss, auto.item(), **TOL)
    np.testing.assert_allclose(hand.backward(), x.grad.data, **TOL)


@pytest.mark.parametrize("target", ["onehot", "probs"])
def test_cross_entropy_loss(target):
    rng = _rng(2)
    A = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    Y = np.eye(4)[labels] if target == "onehot" else rng.dirichlet(np.ones(4), 6)
    hand = manual.CrossEntropyLoss()
    loss = hand.forward(A, Y)
    x = Tensor(A.copy(), requires_grad=True)
    auto = nn.CrossEntropyLoss()(x, Y)
    auto.backward()
    np.testing.assert_allclose(loss, auto.item(), **TOL)
    np.testing.assert_allclose(hand.backward(), x.grad.data, **TOL)
    if target == "onehot":
        # Index targets take the fused hot path; same numbers.
        np.testing.assert_allclose(loss, nn.CrossEntropyLoss()(Tensor(A), labels).item(), **TOL)
        np.testing.assert_allclose(loss, nn.SoftmaxCrossEntropy()(Tensor(A), Y).item(), **TOL)


def test_cross_entropy_loss_at_1000():
    A = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]])
    Y = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
    hand = manual.CrossEntropyLoss()
    x = Tensor(A.copy(), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = hand.forward(A, Y)
        auto = nn.CrossEntropyLoss()(x, Y)
        auto.backward()
    np.testing.assert_allclose(loss, auto.item(), **TOL)
    np.testing.assert_allclose(hand.backward(), x.grad.data, **TOL)


# --------------------------------------------------------------------- BatchNorm

def _batchnorms(channels, rng, alpha=0.9):
    """A manual BatchNorm1d and an autograd one with the same (random) BW/Bb and eps=1e-8.

    The manual update is running = alpha * running + (1 - alpha) * batch, so the
    autograd layer gets momentum = 1 - alpha.
    """
    hand = manual.BatchNorm1d(channels, alpha=alpha)
    hand.BW = rng.uniform(0.5, 2.0, (1, channels))
    hand.Bb = rng.standard_normal((1, channels))
    auto = nn.BatchNorm1d(channels, eps=1e-8, momentum=1 - alpha)
    auto.gamma.data[...] = hand.BW[0]
    auto.beta.data[...] = hand.Bb[0]
    return hand, auto


@pytest.mark.parametrize("n, channels", [(8, 3), (2, 5), (32, 1)])
def test_batchnorm_train(n, channels):
    rng = _rng(n + channels)
    hand, auto = _batchnorms(channels, rng)
    Z = rng.standard_normal((n, channels)) * 2 + 1
    dLdBZ = rng.standard_normal((n, channels))
    BZ = hand.forward(Z)
    dLdZ = hand.backward(dLdBZ)
    out, grad_Z = _autograd_grad(auto, Z, dLdBZ)
    np.testing.assert_allclose(BZ, out, **TOL)
    np.testing.assert_allclose(dLdZ, grad_Z, **TOL)
    np.testing.assert_allclose(hand.dLdBW, auto.gamma.grad.data[np.newaxis], **TOL)
    np.testing.assert_allclose(hand.dLdBb, auto.beta.grad.data[np.newaxis], **TOL)
    # Running statistics: the means agree; the variances differ only by Bessel's
    # correction (manual keeps the biased variance, autograd the unbiased one, as torch).
    np.testing.assert_allclose(hand.running_M[0], auto.running_mean.data, **TOL)
    biased = Z.var(axis=0)
    np.testing.assert_allclose(hand.running_V[0], 0.9 + 0.1 * biased, **TOL)
    np.testing.assert_allclose(auto.running_var.data, 0.9 + 0.1 * biased * n / (n - 1), **TOL)


def test_batchnorm_eval_with_copied_running_stats():
    rng = _rng(3)
    hand, auto = _batchnorms(4, rng, alpha=0.7)
    for _ in range(3):  # a few training batches move the running statistics
        Z = rng.standard_normal((10, 4)) * 3 - 1
        hand.forward(Z)
        auto(Tensor(Z))
    auto.running_mean.data[...] = hand.running_M[0]
    auto.running_var.data[...] = hand.running_V[0]
    auto.eval()
    Z = rng.standard_normal((6, 4))
    np.testing.assert_allclose(hand.forward(Z, eval=True), auto(Tensor(Z)).data, **TOL)
    # eval mode updates nothing, in either implementation.
    np.testing.assert_allclose(hand.running_M[0], auto.running_mean.data, **TOL)


# ------------------------------------------------------------------------ models

def _copy_into_autograd(hand_model):
    """An autograd Sequential(Linear, ReLU, ...) with the manual model's weights."""
    layers = []
    for layer in hand_model.layers:
        if isinstance(layer, manual.Linear):
            linear = nn.Linear(layer.in_features, layer.out_features)
            linear.weight.data[...] = layer.W
            linear.bias.data[...] = layer.b[:, 0]
            layers.append(linear)
        else:
            assert isinstance(layer, manual.ReLU)
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _randomise(hand_model, rng):
    for layer in hand_model.layers:
        if isinstance(layer, manual.Linear):
            layer.W = rng.standard_normal(layer.W.shape)
            layer.b = rng.standard_normal(layer.b.shape) * 0.1


@pytest.mark.parametrize("model_cls", [manual.MLP0, manual.MLP1, manual.MLP4])
def test_mlp_forward_backward(model_cls):
    rng = _rng(4)
    hand = model_cls()
    _randomise(hand, rng)
    auto = _copy_into_autograd(hand)
    A = rng.standard_normal((9, 2))
    out_hand = hand.forward(A)
    dLdA_out = rng.standard_normal(out_hand.shape)
    dLdA_in = hand.backward(dLdA_out)
    out, grad_A = _autograd_grad(auto, A, dLdA_out)
    np.testing.assert_allclose(out_hand, out, **TOL)
    np.testing.assert_allclose(dLdA_in, grad_A, **TOL)
    linears = [layer for layer in hand.layers if isinstance(layer, manual.Linear)]
    params = list(auto.parameters())
    assert len(params) == 2 * len(linears)
    for layer, weight, bias in zip(linears, params[::2], params[1::2]):
        np.testing.assert_allclose(layer.dLdW, weight.grad.data, **TOL)
        np.testing.assert_allclose(layer.dLdb, bias.grad.data[:, np.newaxis], **TOL)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_mlp4_training_end_to_end(momentum):
    """Five SGD steps of MLP4 on cross-entropy: manual and autograd stay together."""
    rng = _rng(5)
    hand = manual.MLP4()
    _randomise(hand, rng)
    auto = _copy_into_autograd(hand)
    hand_opt = manual.SGD(hand, lr=0.05, momentum=momentum)
    auto_opt = optim.SGD(auto.parameters(), lr=0.05, momentum=momentum)
    criterion_hand, criterion_auto = manual.CrossEntropyLoss(), nn.CrossEntropyLoss()
    for _ in range(5):
        A = rng.standard_normal((16, 2))
        Y = np.eye(2)[rng.integers(0, 2, 16)]
        loss_hand = criterion_hand.forward(hand.forward(A), Y)
        hand.backward(criterion_hand.backward())
        hand_opt.step()
        auto_opt.zero_grad()
        loss_auto = criterion_auto(auto(Tensor(A)), Y)
        loss_auto.backward()
        auto_opt.step()
        np.testing.assert_allclose(loss_hand, loss_auto.item(), **TOL)
    linears = [layer for layer in hand.layers if isinstance(layer, manual.Linear)]
    params = list(auto.parameters())
    for layer, weight, bias in zip(linears, params[::2], params[1::2]):
        np.testing.assert_allclose(layer.W, weight.data, **TOL)
        np.testing.assert_allclose(layer.b[:, 0], bias.data, **TOL)
