"""Tests for mytorch.manual, the hand-derived (no autograd) HW1P1 layers.

Gradients are checked against central finite differences of a scalar probe
L = sum(R * forward(X)) with a random R (a loss is its own probe), in
float64, and, where torch is installed, against torch's autograd.
"""

import math

import numpy as np
import pytest

from mytorch.manual import (
    GELU,
    MLP0,
    MLP1,
    MLP4,
    SGD,
    BatchNorm1d,
    CrossEntropyLoss,
    Identity,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

FD_STEP = 1e-6
GRAD_RTOL = 1e-7
SHAPES = [(1, 3), (4, 5), (7, 2)]
# BatchNorm needs N >= 2 in training, and at N = 2 each normalised column is
# exactly (-1, 1) whatever Z is, so dLdZ is ~eps-sized noise: start at N = 3.
BATCH_SHAPES = [(3, 3), (5, 4), (8, 1)]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------

def numerical_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f() with respect to x, perturbed in place."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + FD_STEP
        plus = f()
        x[index] = saved - FD_STEP
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * FD_STEP)
    return grad


def assert_grad_close(analytic: np.ndarray, numeric: np.ndarray) -> None:
    """Relative error ||a - n|| / (||a|| + ||n||) below GRAD_RTOL."""
    assert analytic.shape == numeric.shape
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    assert scale > 0, "both gradients are zero: the check would prove nothing"
    error = np.linalg.norm(analytic - numeric) / scale
    assert error < GRAD_RTOL, f"relative gradient error {error:.3e}"


def away_from_zero(rng: np.random.Generator, shape) -> np.ndarray:
    """Random values with |x| in [0.1, 2], so no finite difference straddles ReLU's kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def random_linear(rng: np.random.Generator, fan_in: int, fan_out: int) -> Linear:
    layer = Linear(fan_in, fan_out)
    layer.W = rng.standard_normal((fan_out, fan_in))
    layer.b = rng.standard_normal((fan_out, 1))
    return layer


def randomise(model: Sequential, rng: np.random.Generator) -> Sequential:
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.W = rng.standard_normal(layer.W.shape)
            layer.b = rng.standard_normal(layer.b.shape)
    return model


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


ACTIVATIONS = [Identity, Sigmoid, Tanh, ReLU, GELU, Softmax]


# ----------------------------------------------------------------------------
# gradients against finite differences
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls", ACTIVATIONS, ids=lambda c: c.__name__)
def test_activation_backward_matches_finite_differences(cls, shape):
    rng = np.random.default_rng([ACTIVATIONS.index(cls), *shape])
    Z = away_from_zero(rng, shape) * 1.5
    R = rng.standard_normal(shape)
    layer = cls()
    layer.forward(Z)
    analytic = layer.backward(R)
    numeric = numerical_grad(lambda: np.sum(R * cls().forward(Z)), Z)
    assert_grad_close(analytic, numeric)


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_gradients_match_finite_differences(shape):
    N, fan_in = shape
    rng = np.random.default_rng(N * 10 + fan_in)
    layer = random_linear(rng, fan_in, 3)
    A = rng.standard_normal((N, fan_in))
    R = rng.standard_normal((N, 3))

    def probe():
        return np.sum(R * layer.forward(A))

    layer.forward(A)
    dLdA = layer.backward(R)
    dLdW, dLdb = layer.dLdW, layer.dLdb
    assert dLdb.shape == (3, 1)
    assert_grad_close(dLdA, numerical_grad(probe, A))
    assert_grad_close(dLdW, numerical_grad(probe, layer.W))
    assert_grad_close(dLdb, numerical_grad(probe, layer.b))


@pytest.mark.parametrize("shape", BATCH_SHAPES)
def test_batchnorm_gradients_match_finite_differences(shape):
    N, C = shape
    rng = np.random.default_rng(100 + N * 10 + C)
    bn = BatchNorm1d(C)
    bn.BW = rng.uniform(0.5, 2.0, (1, C))
    bn.Bb = rng.standard_normal((1, C))
    Z = rng.standard_normal(shape) * 2 + 1
    R = rng.standard_normal(shape)

    def probe():
        return np.sum(R * bn.forward(Z))

    bn.forward(Z)
    dLdZ = bn.backward(R)
    dLdBW, dLdBb = bn.dLdBW, bn.dLdBb
    assert dLdBW.shape == dLdBb.shape == (1, C)
    assert_grad_close(dLdZ, numerical_grad(probe, Z))
    assert_grad_close(dLdBW, numerical_grad(probe, bn.BW))
    assert_grad_close(dLdBb, numerical_grad(probe, bn.Bb))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("soft_targets", [False, True], ids=["one-hot", "soft"])
def test_cross_entropy_backward_matches_finite_differences(shape, soft_targets):
    N, C = shape
    rng = np.random.default_rng(200 + N * 10 + C + soft_targets)
    A = rng.standard_normal(shape) * 3
    if soft_targets:
        Y = rng.dirichlet(np.ones(C), size=N)
    else:
        Y = one_hot(rng.integers(0, C, N), C)
    loss = CrossEntropyLoss()
    loss.forward(A, Y)
    analytic = loss.backward()
    numeric = numerical_grad(lambda: CrossEntropyLoss().forward(A, Y), A)
    assert_grad_close(analytic, numeric)


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_backward_matches_finite_differences(shape):
    rng = np.random.default_rng(300 + sum(shape))
    A = rng.standard_normal(shape)
    Y = rng.standard_normal(shape)
    loss = MSELoss()
    loss.forward(A, Y)
    analytic = loss.backward()
    numeric = numerical_grad(lambda: MSELoss().forward(A, Y), A)
    assert_grad_close(analytic, numeric)


def test_mlp4_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    model = randomise(MLP4(), rng)
    A = rng.standard_normal((5, 2))
    R = rng.standard_normal((5, 2))
    model.forward(A)
    analytic = model.backward(R)
    numeric = numerical_grad(lambda: np.sum(R * model.forward(A)), A)
    assert_grad_close(analytic, numeric)


# ----------------------------------------------------------------------------
# closed-form values
# ----------------------------------------------------------------------------

def test_softmax_backward_equals_explicit_jacobian_product():
    rng = np.random.default_rng(5)
    Z = rng.standard_normal((6, 4))
    R = rng.standard_normal((6, 4))
    softmax = Softmax()
    a = softmax.forward(Z)
    jacobians = np.einsum("ij,jk->ijk", a, np.eye(4)) - np.einsum("ij,ik->ijk", a, a)
    expected = np.einsum("ijk,ik->ij", jacobians, R)
    np.testing.assert_allclose(softmax.backward(R), expected, rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one_and_ignore_row_shifts():
    rng = np.random.default_rng(6)
    Z = rng.standard_normal((5, 7))
    A = Softmax().forward(Z)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    shifted = Softmax().forward(Z + 1000.0 * np.arange(5)[:, None])
    np.testing.assert_allclose(shifted, A, rtol=1e-12)


def test_cross_entropy_of_one_hot_is_mean_negative_log_probability():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    p = np.exp(A) / np.exp(A).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(6), labels]))
    assert CrossEntropyLoss().forward(A, one_hot(labels, 4)) == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_stays_finite_for_huge_logits():
    # softmax of the true class underflows to 0 here; log-softmax does not.
    loss = CrossEntropyLoss().forward(np.array([[1000.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert loss == pytest.approx(1000.0)


def test_mse_is_mean_of_squared_differences():
    A = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert MSELoss().forward(A, Y) == pytest.approx((4 + 9 + 1 + 16) / 6)


@pytest.mark.parametrize("z", [-3.0, -1.0, 0.0, 0.5, 1.0, 3.0])
def test_gelu_equals_erf_formula(z):
    expected = 0.5 * z * (1 + math.erf(z / math.sqrt(2)))
    assert GELU().forward(np.array([[z]]))[0, 0] == pytest.approx(expected, rel=1e-14, abs=1e-16)


def test_sigmoid_is_finite_and_exact_at_extremes():
    Z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    # exp(-1000) underflowing to 0 is the correctly rounded answer, so only
    # overflow, division by zero and NaNs count as failures.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        sigmoid = Sigmoid()
        A = sigmoid.forward(Z)
        dLdZ = sigmoid.backward(np.ones_like(Z))
    tiny = math.exp(-50) / (1 + math.exp(-50))
    np.testing.assert_allclose(A, [[0.0, tiny, 0.5, 1 - tiny, 1.0]], rtol=1e-15)
    assert np.all(np.isfinite(dLdZ))
    assert dLdZ[0, 2] == 0.25


def test_tanh_relu_identity_values():
    Z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(Tanh().forward(Z), np.tanh(Z))
    np.testing.assert_array_equal(ReLU().forward(Z), [[0.0, 0.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(Identity().forward(Z), Z)


def test_relu_derivative_is_zero_at_the_kink():
    relu = ReLU()
    relu.forward(np.array([[-1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_linear_forward_and_backward_by_hand():
    layer = Linear(2, 3, debug=True)
    layer.W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer.b = np.array([[1.0], [0.0], [-1.0]])
    A = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(layer.forward(A), [[4.0, 7.0, 10.0], [5.0, 8.0, 11.0]])
    dLdZ = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    dLdA = layer.backward(dLdZ)
    np.testing.assert_array_equal(dLdA, [[1.0, 2.0], [5.0, 6.0]])
    np.testing.assert_array_equal(layer.dLdA, dLdA)
    np.testing.assert_array_equal(layer.dLdW, [[1.0, 1.0], [0.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(layer.dLdb, [[1.0], [0.0], [1.0]])
    assert layer.N == 2


def test_linear_starts_at_zero_with_handout_shapes():
    layer = Linear(4, 3)
    assert layer.W.shape == (3, 4) and layer.b.shape == (3, 1)
    assert not layer.W.any() and not layer.b.any()


# ----------------------------------------------------------------------------
# BatchNorm statistics and inference
# ----------------------------------------------------------------------------

def test_batchnorm_training_output_is_standardised():
    rng = np.random.default_rng(8)
    BZ = BatchNorm1d(3).forward(rng.standard_normal((50, 3)) * 4 + 7)
    np.testing.assert_allclose(BZ.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(BZ.var(axis=0), 1.0, rtol=1e-7)


def test_batchnorm_running_statistics_and_eval_path():
    rng = np.random.default_rng(9)
    alpha = 0.8
    bn = BatchNorm1d(4, alpha=alpha)
    bn.BW = rng.uniform(0.5, 2.0, (1, 4))
    bn.Bb = rng.standard_normal((1, 4))
    Z1 = rng.standard_normal((6, 4)) * 3 + 2
    Z2 = rng.standard_normal((9, 4)) - 1
    bn.forward(Z1)
    bn.forward(Z2)

    running_M = alpha * (alpha * 0.0 + (1 - alpha) * Z1.mean(0)) + (1 - alpha) * Z2.mean(0)
    running_V = alpha * (alpha * 1.0 + (1 - alpha) * Z1.var(0)) + (1 - alpha) * Z2.var(0)
    np.testing.assert_allclose(bn.running_M, running_M[None], rtol=1e-13)
    np.testing.assert_allclose(bn.running_V, running_V[None], rtol=1e-13)

    Z_test = rng.standard_normal((3, 4))
    expected = bn.BW * (Z_test - running_M) / np.sqrt(running_V + 1e-8) + bn.Bb
    np.testing.assert_allclose(bn.forward(Z_test, eval=True), expected, rtol=1e-13)
    # Inference must leave the running statistics alone.
    np.testing.assert_allclose(bn.running_M, running_M[None], rtol=1e-13)
    np.testing.assert_allclose(bn.running_V, running_V[None], rtol=1e-13)


def test_batchnorm_backward_after_an_eval_forward_is_an_error():
    rng = np.random.default_rng(3)
    bn = BatchNorm1d(2)
    bn.forward(rng.standard_normal((4, 2)))
    bn.forward(rng.standard_normal((3, 2)), eval=True)
    # It used to return the gradient through the earlier training forward, of shape (4, 2).
    with pytest.raises(RuntimeError, match=r"after an eval-mode forward.*eval=False"):
        bn.backward(np.ones((3, 2)))
    # A training forward makes backward available again.
    Z = rng.standard_normal((3, 2))
    bn.forward(Z)
    assert bn.backward(np.ones((3, 2))).shape == Z.shape


def test_batchnorm_eval_accepts_a_single_sample():
    bn = BatchNorm1d(2)
    # Fresh running statistics are mean 0, variance 1: inference is ~identity.
    out = bn.forward(np.array([[1.0, -2.0]]), eval=True)
    np.testing.assert_allclose(out, [[1.0, -2.0]], rtol=1e-7)


def test_batchnorm_initial_state_matches_handout():
    bn = BatchNorm1d(3)
    assert bn.alpha == 0.9 and bn.eps == 1e-8
    for name, value in [("BW", 1), ("Bb", 0), ("dLdBW", 0), ("dLdBb", 0),
                        ("running_M", 0), ("running_V", 1)]:
        array = getattr(bn, name)
        assert array.shape == (1, 3), name
        assert np.all(array == value), name


# ----------------------------------------------------------------------------
# SGD
# ----------------------------------------------------------------------------

LR = 0.05


def _three_sgd_steps(momentum: float):
    """Three SGD steps on MLP1, feeding the first Linear three chosen gradients.

    The second Linear gets zero gradients, so with momentum 0 it must not move.

    Returns:
        (W0, b0) of the first Linear, W of the second before the steps, the
        three (dLdW, dLdb) pairs, the model and the optimizer.
    """
    rng = np.random.default_rng(10)
    model = randomise(MLP1(), rng)
    first, last = model.layers[0], model.layers[2]
    start = (first.W.copy(), first.b.copy())
    last_W0 = last.W.copy()
    grads = [(rng.standard_normal(first.W.shape), rng.standard_normal(first.b.shape))
             for _ in range(3)]
    optimizer = SGD(model, lr=LR, momentum=momentum)
    last.dLdW, last.dLdb = np.zeros_like(last.W), np.zeros_like(last.b)
    for gW, gb in grads:
        first.dLdW, first.dLdb = gW, gb
        optimizer.step()
    return start, last_W0, grads, model, optimizer


def test_sgd_without_momentum_three_steps():
    (W0, b0), last_W0, grads, model, _ = _three_sgd_steps(momentum=0.0)
    (g1, h1), (g2, h2), (g3, h3) = grads
    np.testing.assert_allclose(model.layers[0].W, W0 - LR * (g1 + g2 + g3), rtol=1e-14)
    np.testing.assert_allclose(model.layers[0].b, b0 - LR * (h1 + h2 + h3), rtol=1e-14)
    np.testing.assert_array_equal(model.layers[2].W, last_W0)


def test_sgd_with_momentum_three_steps():
    mu = 0.9
    (W0, b0), last_W0, grads, model, optimizer = _three_sgd_steps(momentum=mu)
    (g1, h1), (g2, h2), (g3, h3) = grads
    # v1 = g1, v2 = mu g1 + g2, v3 = mu^2 g1 + mu g2 + g3; W3 = W0 - lr (v1 + v2 + v3)
    v_W = [g1, mu * g1 + g2, mu**2 * g1 + mu * g2 + g3]
    v_b = [h1, mu * h1 + h2, mu**2 * h1 + mu * h2 + h3]
    np.testing.assert_allclose(model.layers[0].W, W0 - LR * sum(v_W), rtol=1e-13)
    np.testing.assert_allclose(model.layers[0].b, b0 - LR * sum(v_b), rtol=1e-13)
    np.testing.assert_allclose(optimizer.v_W[0], v_W[-1], rtol=1e-14)
    np.testing.assert_array_equal(model.layers[2].W, last_W0)


class _WeightOnly:
    """A layer with W but no b (Z = A W^T)."""

    def __init__(self, W):
        self.W = W
        self.dLdW = np.zeros_like(W)

    def forward(self, A):
        self.A = A
        return A @ self.W.T

    def backward(self, dLdZ):
        self.dLdW = dLdZ.T @ self.A
        return dLdZ @ self.W


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_trains_a_layer_without_bias(momentum):
    # v_b was built from every layer with b, so step() crashed on one with W only.
    rng = np.random.default_rng(4)
    W = rng.standard_normal((3, 2))
    no_bias, linear = _WeightOnly(W.copy()), Linear(3, 2)
    model = Sequential(no_bias, ReLU(), linear)
    optimizer = SGD(model, lr=LR, momentum=momentum)
    assert optimizer.v_W[0].shape == (3, 2) and optimizer.v_b[0] is None
    assert optimizer.v_b[2].shape == (2, 1)
    velocity = np.zeros_like(W)
    for _ in range(2):
        model.forward(rng.standard_normal((4, 2)))
        model.backward(rng.standard_normal((4, 2)))
        velocity = momentum * velocity + no_bias.dLdW
        optimizer.step()
        W -= LR * velocity
    np.testing.assert_allclose(no_bias.W, W, rtol=1e-14)
    assert not hasattr(no_bias, "b")


def test_sgd_state_per_layer():
    model = MLP1()
    optimizer = SGD(model, lr=0.1, momentum=0.5)
    assert optimizer.L == len(model.layers) == 4 and optimizer.l is model.layers
    assert optimizer.v_W[1] is None and optimizer.v_b[3] is None  # ReLU layers
    assert optimizer.v_W[2].shape == (2, 3) and optimizer.v_b[2].shape == (2, 1)


# ----------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "cls, sizes",
    [(MLP0, [2, 3]), (MLP1, [2, 3, 2]), (MLP4, [2, 4, 8, 8, 4, 2])],
    ids=["MLP0", "MLP1", "MLP4"],
)
def test_model_layers_and_shapes(cls, sizes):
    rng = np.random.default_rng(11)
    model = randomise(cls(), rng)
    linears = model.layers[0::2]
    assert [layer.W.shape for layer in linears] == [(o, i) for i, o in zip(sizes, sizes[1:])]
    assert all(isinstance(layer, ReLU) for layer in model.layers[1::2])

    A = rng.standard_normal((6, 2))
    out = model.forward(A)
    assert out.shape == (6, sizes[-1])
    assert model.backward(np.ones_like(out)).shape == (6, 2)
    for layer in linears:
        assert layer.dLdW.shape == layer.W.shape and layer.dLdb.shape == layer.b.shape


def test_mlp1_forward_is_the_layer_composition():
    rng = np.random.default_rng(12)
    model = randomise(MLP1(), rng)
    A = rng.standard_normal((4, 2))
    first, second = model.layers[0], model.layers[2]
    hidden = np.maximum(A @ first.W.T + first.b.T, 0)
    expected = np.maximum(hidden @ second.W.T + second.b.T, 0)
    np.testing.assert_allclose(model.forward(A), expected, rtol=1e-14)


# ----------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Linear(0, 3), "in_features"),
        (lambda: Linear(2, -1), "out_features"),
        (lambda: Linear(2.5, 3), "in_features"),
        (lambda: Linear(True, 3), "in_features"),
        (lambda: BatchNorm1d(0), "num_features"),
        (lambda: BatchNorm1d(3, alpha=1.5), "alpha"),
        (lambda: BatchNorm1d(3, alpha=-0.1), "alpha"),
        (lambda: SGD(MLP0(), lr=0), "learning rate: 0"),
        (lambda: SGD(MLP0(), lr=-1.0), "learning rate: -1.0"),
        (lambda: SGD(MLP0(), lr=float("nan")), "learning rate: nan"),
        (lambda: SGD(MLP0(), momentum=-0.1), "momentum: -0.1"),
    ],
)
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_linear_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"A must have shape \(N, 2\), got \(4, 3\)"):
        Linear(2, 3).forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"got \(2,\)"):
        Linear(2, 3).forward(np.zeros(2))


def test_backward_rejects_gradient_of_wrong_shape():
    layer = Linear(2, 3)
    layer.forward(np.zeros((4, 2)))
    expected = r"dLdZ must have the forward output's shape \(4, 3\), got \(4, 2\)"
    with pytest.raises(ValueError, match=expected):
        layer.backward(np.zeros((4, 2)))
    relu = ReLU()
    relu.forward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="dLdA"):
        relu.backward(np.zeros((2, 3)))


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Sigmoid().backward(np.zeros((1, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        MSELoss().backward()


@pytest.mark.parametrize(
    "layer, args",
    [
        pytest.param(layer, args, id=type(layer).__name__)
        for layer, args in [
            (Sigmoid(), (np.zeros((1, 1)),)),
            (Softmax(), (np.zeros((1, 2)),)),
            (Linear(2, 3), (np.zeros((1, 3)),)),
            (BatchNorm1d(2), (np.zeros((3, 2)),)),
            (MSELoss(), ()),
            (CrossEntropyLoss(), ()),
        ]
    ],
)
def test_backward_before_forward_names_the_layer(layer, args):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"^{name}\.backward\(\) called before forward\(\)$"):
        layer.backward(*args)


@pytest.mark.parametrize("loss_cls", [MSELoss, CrossEntropyLoss])
def test_loss_rejects_mismatched_shapes(loss_cls):
    with pytest.raises(ValueError, match=r"A \(4, 3\) and Y \(4, 2\)"):
        loss_cls().forward(np.zeros((4, 3)), np.zeros((4, 2)))


def test_softmax_requires_a_matrix():
    with pytest.raises(ValueError, match=r"Z must be a 2-D array, got shape \(3,\)"):
        Softmax().forward(np.zeros(3))


def test_batchnorm_rejects_wrong_width_and_single_sample_training():
    with pytest.raises(ValueError, match=r"Z must have shape \(N, 3\), got \(4, 2\)"):
        BatchNorm1d(3).forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        BatchNorm1d(3).forward(np.zeros((1, 3)))


# ----------------------------------------------------------------------------
# against PyTorch (skipped where torch is not installed)
# ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _torch_pair(torch, fn, Z, R):
    """fn(Z) and d sum(R * fn(Z)) / dZ computed by torch in float64."""
    z = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    out = fn(z)
    out.backward(torch.tensor(R, dtype=torch.float64))
    return out.detach().numpy(), z.grad.numpy()


def assert_close_1e10(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "cls, torch_fn",
    [
        (Sigmoid, lambda t, z: t.sigmoid(z)),
        (Tanh, lambda t, z: t.tanh(z)),
        (ReLU, lambda t, z: t.relu(z)),
        (GELU, lambda t, z: t.nn.functional.gelu(z, approximate="none")),
        (Softmax, lambda t, z: t.softmax(z, dim=1)),
    ],
    ids=["Sigmoid", "Tanh", "ReLU", "GELU", "Softmax"],
)
def test_activation_matches_torch(torch, cls, torch_fn):
    rng = np.random.default_rng(13)
    Z = away_from_zero(rng, (6, 5)) * 3
    R = rng.standard_normal((6, 5))
    layer = cls()
    out = layer.forward(Z)
    grad = layer.backward(R)
    expected_out, expected_grad = _torch_pair(torch, lambda z: torch_fn(torch, z), Z, R)
    assert_close_1e10(out, expected_out)
    assert_close_1e10(grad, expected_grad)


def test_mse_matches_torch(torch):
    rng = np.random.default_rng(14)
    A, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    loss = MSELoss()
    value = loss.forward(A, Y)
    a = torch.tensor(A, requires_grad=True)
    expected = torch.nn.functional.mse_loss(a, torch.tensor(Y))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-10, abs=1e-10)
    assert_close_1e10(loss.backward(), a.grad.numpy())


@pytest.mark.parametrize("soft_targets", [False, True], ids=["one-hot", "soft"])
def test_cross_entropy_matches_torch(torch, soft_targets):
    rng = np.random.default_rng(15)
    A = rng.standard_normal((6, 4)) * 3
    Y = rng.dirichlet(np.ones(4), size=6) if soft_targets else one_hot(rng.integers(0, 4, 6), 4)
    loss = CrossEntropyLoss()
    value = loss.forward(A, Y)
    a = torch.tensor(A, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(a, torch.tensor(Y))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-10, abs=1e-10)
    assert_close_1e10(loss.backward(), a.grad.numpy())


def test_linear_matches_torch(torch):
    rng = np.random.default_rng(16)
    layer = random_linear(rng, 4, 3)
    A, R = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    out = layer.forward(A)
    dLdA = layer.backward(R)
    a = torch.tensor(A, requires_grad=True)
    w = torch.tensor(layer.W, requires_grad=True)
    b = torch.tensor(layer.b.ravel(), requires_grad=True)
    z = torch.nn.functional.linear(a, w, b)
    z.backward(torch.tensor(R))
    assert_close_1e10(out, z.detach().numpy())
    assert_close_1e10(dLdA, a.grad.numpy())
    assert_close_1e10(layer.dLdW, w.grad.numpy())
    assert_close_1e10(layer.dLdb.ravel(), b.grad.numpy())


def test_batchnorm_training_matches_torch(torch):
    rng = np.random.default_rng(17)
    bn = BatchNorm1d(3)
    bn.BW = rng.uniform(0.5, 2.0, (1, 3))
    bn.Bb = rng.standard_normal((1, 3))
    Z, R = rng.standard_normal((7, 3)) * 2 + 1, rng.standard_normal((7, 3))
    out = bn.forward(Z)
    dLdZ = bn.backward(R)
    z = torch.tensor(Z, requires_grad=True)
    w = torch.tensor(bn.BW.ravel(), requires_grad=True)
    b = torch.tensor(bn.Bb.ravel(), requires_grad=True)
    y = torch.nn.functional.batch_norm(z, None, None, w, b, training=True, eps=1e-8)
    y.backward(torch.tensor(R))
    assert_close_1e10(out, y.detach().numpy())
    assert_close_1e10(dLdZ, z.grad.numpy())
    assert_close_1e10(bn.dLdBW.ravel(), w.grad.numpy())
    assert_close_1e10(bn.dLdBb.ravel(), b.grad.numpy())
