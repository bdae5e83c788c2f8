"""The local autograder's tests: this tree's classes against plain NumPy and central differences.

Every test builds its inputs from a seeded generator, runs the tree's code the way
the handout's tests call it, and compares with a reference written here from the
write-up's formulas, never with the tree's own code. Gradients are also checked
against central differences of the loss. A test fails by raising AssertionError with
what differs and by how much.
"""
import sys
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

TREE = Path(__file__).resolve().parents[2]
for folder in ("mytorch", "hw1"):  # the handout's flat imports
    if str(TREE / folder) not in sys.path:
        sys.path.append(str(TREE / folder))

import activation  # noqa: E402
import batchnorm  # noqa: E402, F401  (imported as the handout's autograder does)
import hw1  # noqa: E402
import linear  # noqa: E402
import loss  # noqa: E402
import mc  # noqa: E402

SEED = 11785
RTOL, ATOL = 1e-8, 1e-10             # closed forms: rounding only
FD_RTOL, FD_ATOL, FD_EPS = 1e-5, 1e-7, 1e-6
FD_SAMPLES = 12                      # entries per parameter checked by central differences
ANSWERS = ["b", "a", "a", "a", "c"]


# --------------------------------------------------------------------------- checks

def assert_close(actual: object, expected: np.ndarray, what: str, rtol: float = RTOL,
                 atol: float = ATOL) -> None:
    """An ndarray of float64 with the expected shape, equal within tolerance."""
    if not isinstance(actual, np.ndarray):
        raise AssertionError(f"{what}: expected an ndarray, got {type(actual).__name__}")
    if actual.dtype != np.float64:
        raise AssertionError(f"{what}: dtype {actual.dtype}, expected float64")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    if not np.all(excess <= 0):  # also catches NaN
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)),
                                 excess.shape) if excess.ndim else ()
        raise AssertionError(f"{what}: differs by up to {np.nanmax(np.abs(actual - expected)):.3g}; "
                             f"at {tuple(int(i) for i in worst)} got {actual[worst]!r}, expected "
                             f"{expected[worst]!r}")


def central_difference(f: Callable[[], float], array: np.ndarray, index: tuple) -> float:
    """d f / d array[index] by (f(a + eps) - f(a - eps)) / (2 eps), restoring the entry."""
    saved = array[index]
    array[index] = saved + FD_EPS
    plus = f()
    array[index] = saved - FD_EPS
    minus = f()
    array[index] = saved
    return (plus - minus) / (2 * FD_EPS)


def assert_gradient(grad: np.ndarray, f: Callable[[], float], array: np.ndarray, what: str,
                    rng: np.random.Generator) -> None:
    """`grad` agrees with central differences of f at FD_SAMPLES random entries of array."""
    for _ in range(FD_SAMPLES):
        index = tuple(int(rng.integers(n)) for n in array.shape)
        numeric = central_difference(f, array, index)
        if abs(grad[index] - numeric) > FD_ATOL + FD_RTOL * abs(numeric):
            raise AssertionError(f"{what}{list(index)}: {grad[index]!r}, but central "
                                 f"differences give {numeric!r}")


# ------------------------------------------------------------------ plain references

def ref_activation(name: str, z: np.ndarray) -> np.ndarray:
    return {"sigmoid": lambda: 1 / (1 + np.exp(-z)), "tanh": lambda: np.tanh(z),
            "relu": lambda: np.where(z > 0, z, 0.0), "identity": lambda: z}[name]()


def ref_activation_derivative(name: str, z: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-z))
    return {"sigmoid": lambda: s * (1 - s), "tanh": lambda: 1 / np.cosh(z) ** 2,
            "relu": lambda: (z > 0) * 1.0, "identity": lambda: np.ones_like(z)}[name]()


def ref_cross_entropy(x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(per-sample loss, softmax - y), by the log-sum-exp written out per row."""
    top = x.max(axis=1)
    lse = top + np.log(np.exp(x - top[:, None]).sum(axis=1))
    return (y * (lse[:, None] - x)).sum(axis=1), np.exp(x - lse[:, None]) - y


class Net:
    """A plain record of an MLP's parameters, drawn as the handout's reference draws them:
    after np.random.seed(SEED), randn(in, out) per layer in order, zero biases."""

    def __init__(self, sizes: Sequence[int], acts: Sequence[str], num_bn: int = 0) -> None:
        np.random.seed(SEED)
        self.W = [np.random.randn(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros((1, b)) for b in sizes[1:]]
        self.gamma = [np.ones((1, b)) for b in sizes[1:num_bn + 1]]
        self.beta = [np.zeros((1, b)) for b in sizes[1:num_bn + 1]]
        self.running = [(np.zeros((1, b)), np.ones((1, b))) for b in sizes[1:num_bn + 1]]
        self.acts = list(acts)

    def loss(self, x: np.ndarray, y: np.ndarray, train: bool = True) -> float:
        """The batch's mean cross-entropy: what central differences differentiate."""
        return float(ref_cross_entropy(self.forward(x, train)[0], y)[0].mean())

    def forward(self, x: np.ndarray, train: bool = True) -> Tuple[np.ndarray, List[dict]]:
        caches = []
        for i, (W, b, act) in enumerate(zip(self.W, self.b, self.acts)):
            cache = {"x": x, "z": x @ W + b}
            if i < len(self.gamma):
                if train:
                    mean, var = cache["z"].mean(axis=0), cache["z"].var(axis=0)
                else:
                    mean, var = self.running[i]
                cache["norm"] = (cache["z"] - mean) / np.sqrt(var + 1e-8)
                cache["inv_std"] = 1 / np.sqrt(var + 1e-8)
                cache["z"] = self.gamma[i] * cache["norm"] + self.beta[i]
            x = ref_activation(act, cache["z"])
            caches.append(cache)
        return x, caches

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Dict[str, list]:
        """dW, db of the mean loss; dgamma, dbeta of the summed loss (the handout's)."""
        out, caches = self.forward(x)
        delta = ref_cross_entropy(out, y)[1]  # per sample: the gradient of the summed loss
        grads: Dict[str, list] = {"dW": [], "db": [], "dgamma": [], "dbeta": []}
        for i in reversed(range(len(self.W))):
            cache = caches[i]
            delta = delta * ref_activation_derivative(self.acts[i], cache["z"])
            if "norm" in cache:
                grads["dgamma"].insert(0, (delta * cache["norm"]).sum(axis=0, keepdims=True))
                grads["dbeta"].insert(0, delta.sum(axis=0, keepdims=True))
                g = delta * self.gamma[i]
                # The compact form of the batch-norm input gradient (not the write-up's).
                delta = cache["inv_std"] * (g - g.mean(axis=0)
                                            - cache["norm"] * (g * cache["norm"]).mean(axis=0))
            grads["dW"].insert(0, cache["x"].T @ delta / len(x))
            grads["db"].insert(0, delta.mean(axis=0, keepdims=True))
            delta = delta @ self.W[i].T
        return grads

    def sgd(self, grads: Dict[str, list], lr: float, momentum: float,
            velocity: List[np.ndarray]) -> None:
        """v <- momentum v - lr g; p <- p + v for W and b; plain SGD for gamma and beta."""
        params = self.W + self.b
        for k, (p, g) in enumerate(zip(params, grads["dW"] + grads["db"])):
            velocity[k] = momentum * velocity[k] - lr * g
            p += velocity[k]
        for p, g in zip(self.gamma + self.beta, grads["dgamma"] + grads["dbeta"]):
            p -= lr * g

    def update_running(self, x: np.ndarray, alpha: float = 0.9) -> None:
        """The running statistics a training forward on x leaves behind."""
        for i, (W, b, act) in enumerate(zip(self.W, self.b, self.acts)):
            z = x @ W + b
            if i < len(self.gamma):
                mean, var = self.running[i]
                self.running[i] = (alpha * mean + (1 - alpha) * z.mean(axis=0, keepdims=True),
                                   alpha * var + (1 - alpha) * z.var(axis=0, keepdims=True))
                z = self.gamma[i] * (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-8) + self.beta[i]
            x = ref_activation(act, z)


# ------------------------------------------------------------------------ helpers

def weight_init(d0: int, d1: int) -> np.ndarray:
    return np.random.randn(d0, d1)


def bias_init(d: int) -> np.ndarray:
    return np.zeros((1, d))


ACTIVATIONS = {"sigmoid": activation.Sigmoid, "tanh": activation.Tanh,
               "relu": activation.ReLU, "identity": activation.Identity}


def make_mlp(sizes: Sequence[int], acts: Sequence[str], num_bn: int = 0,
             momentum: float = 0.0) -> "hw1.MLP":
    """The tree's MLP, built after the same seeding as `Net`."""
    np.random.seed(SEED)
    return hw1.MLP(sizes[0], sizes[-1], list(sizes[1:-1]), [ACTIVATIONS[a]() for a in acts],
                   weight_init, bias_init, loss.SoftmaxCrossEntropy(), 0.008,
                   momentum=momentum, num_bn_layers=num_bn)


def data(batch: int, features: int = 784, classes: int = 10, seed: int = 0
         ) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((batch, features)), np.eye(classes)[rng.integers(0, classes, batch)]


def check_mlp_gradients(sizes: Sequence[int], acts: Sequence[str], num_bn: int = 0) -> None:
    """The tree's dW, db (and dgamma, dbeta) after one backward, against the reference
    and against central differences of the reference loss."""
    x, y = data(20, sizes[0], sizes[-1], seed=len(sizes))
    mlp, net = make_mlp(sizes, acts, num_bn), Net(sizes, acts, num_bn)
    mlp.forward(x)
    mlp.backward(y)
    expected = net.gradients(x, y)
    rng = np.random.default_rng(1)
    for i, layer in enumerate(mlp.linear_layers):
        assert_close(layer.dW, expected["dW"][i], f"mlp.linear_layers[{i}].dW")
        assert_close(layer.db, expected["db"][i], f"mlp.linear_layers[{i}].db")
        assert_gradient(layer.dW, lambda: net.loss(x, y), net.W[i], f"dW[{i}]", rng)
        assert_gradient(layer.db, lambda: net.loss(x, y), net.b[i], f"db[{i}]", rng)
    for i, bn in enumerate(mlp.bn_layers):
        assert_close(bn.dgamma, expected["dgamma"][i], f"mlp.bn_layers[{i}].dgamma")
        assert_close(bn.dbeta, expected["dbeta"][i], f"mlp.bn_layers[{i}].dbeta")
        # The handout's dgamma and dbeta are sums: the mean loss's gradient times N.
        summed = lambda: len(x) * net.loss(x, y)  # noqa: E731
        assert_gradient(bn.dgamma, summed, net.gamma[i], f"dgamma[{i}]", rng)
        assert_gradient(bn.dbeta, summed, net.beta[i], f"dbeta[{i}]", rng)


def check_mlp_forward(sizes: Sequence[int], acts: Sequence[str]) -> None:
    x, _ = data(30, sizes[0], sizes[-1], seed=len(sizes))
    assert_close(make_mlp(sizes, acts).forward(x), Net(sizes, acts).forward(x)[0],
                 "mlp.forward(x)")


def check_steps(sizes: Sequence[int], acts: Sequence[str], momentum: float) -> None:
    """Five zero_grads/forward/backward/step rounds against the reference's updates."""
    x, y = data(25, sizes[0], sizes[-1], seed=7)
    mlp, net = make_mlp(sizes, acts, momentum=momentum), Net(sizes, acts)
    velocity = [np.zeros_like(p) for p in net.W + net.b]
    for _ in range(5):
        mlp.zero_grads()
        mlp.forward(x)
        mlp.backward(y)
        mlp.step()
        net.sgd(net.gradients(x, y), 0.008, momentum, velocity)
    for i, layer in enumerate(mlp.linear_layers):
        assert_close(layer.W, net.W[i], f"mlp.linear_layers[{i}].W")
        assert_close(layer.b, net.b[i], f"mlp.linear_layers[{i}].b")


def check_activation(name: str, derivative: bool) -> None:
    rng = np.random.default_rng(len(name))
    z = rng.standard_normal((6, 7)) * 3
    z[np.abs(z) < 1e-3] = 0.5  # away from ReLU's kink
    student = ACTIVATIONS[name]()
    student(z)
    if not derivative:
        assert_close(student.state, ref_activation(name, z), f"{name}.state")
        return
    expected = ref_activation_derivative(name, z)
    assert_close(student.derivative(), expected, f"{name}.derivative()")
    numeric = (ref_activation(name, z + FD_EPS) - ref_activation(name, z - FD_EPS)) / (2 * FD_EPS)
    assert_close(student.derivative(), numeric, f"{name}.derivative() (vs central differences)",
                 FD_RTOL, FD_ATOL)


# -------------------------------------------------------------------------- tests

def test_mcq() -> None:
    for k, answer in enumerate(ANSWERS, start=1):
        got = getattr(mc, f"question_{k}")()
        assert got == answer, f"mc.question_{k}() returned {got!r}"


def test_sigmoid_forward() -> None:
    check_activation("sigmoid", derivative=False)


def test_sigmoid_derivative() -> None:
    check_activation("sigmoid", derivative=True)


def test_tanh_forward() -> None:
    check_activation("tanh", derivative=False)


def test_tanh_derivative() -> None:
    check_activation("tanh", derivative=True)


def test_relu_forward() -> None:
    check_activation("relu", derivative=False)


def test_relu_derivative() -> None:
    check_activation("relu", derivative=True)


def _logits() -> Tuple[np.ndarray, np.ndarray]:
    x, y = data(8, 10, 10, seed=3)
    x = 4 * x - 2
    x[0, 3], x[1, 0] = 1000.0, -1000.0  # the LogSumExp trick keeps these finite
    return x, y


def test_softmax_cross_entropy_forward() -> None:
    x, y = _logits()
    assert_close(loss.SoftmaxCrossEntropy()(x, y), ref_cross_entropy(x, y)[0], "ce(x, y)")


def test_softmax_cross_entropy_derivative() -> None:
    x, y = _logits()
    ce = loss.SoftmaxCrossEntropy()
    ce(x, y)
    assert_close(ce.derivative(), ref_cross_entropy(x, y)[1], "ce.derivative()")
    x = x[2:]  # central differences of the summed loss, away from the huge logits
    ce(x, y[2:])
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        numeric[index] = central_difference(lambda: ref_cross_entropy(x, y[2:])[0].sum(), x, index)
    assert_close(ce.derivative(), numeric, "ce.derivative() (vs central differences)",
                 FD_RTOL, FD_ATOL)


def test_batch_norm_train() -> None:
    check_mlp_gradients([784, 64, 32, 10], ["sigmoid", "sigmoid", "identity"], num_bn=1)


def test_batch_norm_inference() -> None:
    """One training step, then eval-mode outputs from the running statistics."""
    sizes, acts = [784, 64, 32, 10], ["sigmoid", "sigmoid", "identity"]
    x, y = data(50, seed=11)
    mlp, net = make_mlp(sizes, acts, num_bn=1), Net(sizes, acts, num_bn=1)
    mlp.train()
    mlp.zero_grads()
    mlp.forward(x)
    mlp.backward(y)
    mlp.step()
    grads = net.gradients(x, y)
    net.update_running(x)
    net.sgd(grads, 0.008, 0.0, [np.zeros_like(p) for p in net.W + net.b])
    assert_close(mlp.bn_layers[0].dbeta, grads["dbeta"][0], "mlp.bn_layers[0].dbeta")
    assert_close(mlp.bn_layers[0].dgamma, grads["dgamma"][0], "mlp.bn_layers[0].dgamma")
    mlp.eval()
    xs, _ = data(60, seed=12)
    for start in range(0, 60, 20):
        assert_close(mlp.forward(xs[start:start + 20]),
                     net.forward(xs[start:start + 20], train=False)[0], "mlp.forward(x) in eval")


def test_linear_layer_forward() -> None:
    x, _ = data(20, seed=4)
    np.random.seed(SEED)
    layer = linear.Linear(784, 10, weight_init, bias_init)
    np.random.seed(SEED)
    W = np.random.randn(784, 10)
    assert_close(layer.forward(x), x @ W, "linear_layer.forward(x)")


def test_linear_layer_backward() -> None:
    x, _ = data(20, seed=5)
    delta = np.random.default_rng(6).standard_normal((20, 10))
    np.random.seed(SEED)
    layer = linear.Linear(784, 10, weight_init, bias_init)
    layer.forward(x)
    dx = layer.backward(delta)
    np.random.seed(SEED)
    W = np.random.randn(784, 10)
    # Entry by entry, the batch mean of the per-sample outer products.
    assert_close(layer.dW, np.einsum("ni,nj->ij", x, delta) / 20, "linear_layer.dW")
    assert_close(layer.db, delta.sum(axis=0, keepdims=True) / 20, "linear_layer.db")
    assert_close(dx, np.einsum("nj,ij->ni", delta, W), "dx")


def test_linear_classifier_forward() -> None:
    check_mlp_forward([784, 10], ["identity"])


def test_linear_classifier_backward() -> None:
    check_mlp_gradients([784, 10], ["identity"])


def test_linear_classifier_step() -> None:
    check_steps([784, 10], ["identity"], momentum=0.0)


def test_single_hidden_forward() -> None:
    check_mlp_forward([784, 32, 10], ["sigmoid", "identity"])


def test_single_hidden_backward() -> None:
    check_mlp_gradients([784, 32, 10], ["sigmoid", "identity"])


def test_mystery_hidden_forward1() -> None:
    check_mlp_forward([784, 64, 32, 10], ["sigmoid", "sigmoid", "identity"])


def test_mystery_hidden_forward2() -> None:
    check_mlp_forward([784] + [32] * 5 + [10], ["sigmoid"] * 5 + ["identity"])


def test_mystery_hidden_forward3() -> None:
    check_mlp_forward([784, 32, 10], ["tanh", "identity"])


def test_mystery_hidden_backward1() -> None:
    check_mlp_gradients([784, 64, 32, 10], ["sigmoid", "sigmoid", "identity"])


def test_mystery_hidden_backward2() -> None:
    check_mlp_gradients([784] + [32] * 5 + [10], ["sigmoid"] * 5 + ["identity"])


def test_mystery_hidden_backward3() -> None:
    check_mlp_gradients([784, 32, 10], ["relu", "identity"])


def test_momentum() -> None:
    check_steps([784, 64, 32, 10], ["sigmoid", "sigmoid", "identity"], momentum=0.856)
