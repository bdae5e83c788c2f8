"""Activations, losses and dropout: gradients against central differences, values and
gradients against PyTorch in float64 (skipped without torch), stability at +-1000,
reductions, probability targets, dropout behaviour and bad input."""
import warnings

import numpy as np
import pytest

from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

SHAPES = [(3, 4), (), (1,), (2, 3, 4)]

# name -> (our function, the torch function's name in torch.nn.functional / torch, kwargs)
ACTIVATIONS = {
    "sigmoid": (F.sigmoid, lambda t, x: t.sigmoid(x)),
    "tanh": (F.tanh, lambda t, x: t.tanh(x)),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x)),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda t, x: t.nn.functional.gelu(x, approximate="tanh")),
    "softmax_last": (lambda x: F.softmax(x, -1), lambda t, x: t.softmax(x, -1)),
    "log_softmax_last": (lambda x: F.log_softmax(x, -1), lambda t, x: t.log_softmax(x, -1)),
}


def _leaf(shape, seed=0, scale=1.0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=True)


class _Strict:
    """Turn overflow, division by zero, invalid values and every warning into errors.

    Underflow (exp(-1000) -> 0) is benign and left alone.
    """

    def __enter__(self):
        self._errstate = np.errstate(over="raise", divide="raise", invalid="raise")
        self._errstate.__enter__()
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        self._errstate.__exit__(*exc)


# ------------------------------------------------------------------ activations

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck(name, shape):
    fn = ACTIVATIONS[name][0]
    assert gradcheck(fn, _leaf(shape))


@pytest.mark.parametrize("dim", [0, 1, -1, 2, -3])
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_dims_gradcheck(fn, dim):
    assert gradcheck(lambda x: fn(x, dim), _leaf((2, 3, 4)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_rows_sum_to_one(dim):
    x = _leaf((3, 4, 5))
    out = F.softmax(x, dim).data
    np.testing.assert_allclose(out.sum(axis=dim), 1.0, atol=1e-14)
    np.testing.assert_allclose(np.exp(F.log_softmax(x, dim).data), out, atol=1e-14)


def test_softmax_of_0d_tensor_is_one():
    x = Tensor(np.array(3.0), requires_grad=True)
    s = F.softmax(x, 0)
    assert s.shape == () and s.item() == 1.0
    s.backward()
    assert x.grad.shape == () and x.grad.item() == 0.0
    assert F.log_softmax(Tensor(np.array(3.0)), -1).item() == 0.0


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours_fn, torch_fn = ACTIVATIONS[name]
    data = np.random.default_rng(1).standard_normal((4, 5)) * 3
    data[0, :3] = [-1000.0, 1000.0, 0.0]
    grad_out = np.random.default_rng(2).standard_normal((4, 5))
    x = Tensor(data.copy(), requires_grad=True)
    out = ours_fn(x)
    out.backward(Tensor(grad_out))
    xt = torch.tensor(data, requires_grad=True)
    out_t = torch_fn(torch, xt)
    out_t.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dims_match_torch(name, dim):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).standard_normal((3, 4, 5))
    grad_out = np.random.default_rng(4).standard_normal((3, 4, 5))
    x = Tensor(data.copy(), requires_grad=True)
    getattr(F, name)(x, dim).backward(Tensor(grad_out))
    xt = torch.tensor(data, requires_grad=True)
    out_t = getattr(torch, name)(xt, dim)
    out_t.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(getattr(F, name)(Tensor(data), dim).data, out_t.detach().numpy(),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_stable_at_1000(name):
    fn = ACTIVATIONS[name][0]
    x = Tensor(np.array([[-1000.0, 1000.0, -1e3, 999.0], [0.0, -700.0, 710.0, 1000.0]]),
               requires_grad=True)
    with _Strict():
        out = fn(x)
        out.backward(Tensor(np.ones(out.shape)))
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad.data))


def test_sigmoid_and_tanh_saturate_exactly():
    x = Tensor(np.array([-1000.0, 1000.0]))
    with _Strict():
        np.testing.assert_array_equal(F.sigmoid(x).data, [0.0, 1.0])
        np.testing.assert_array_equal(F.tanh(x).data, [-1.0, 1.0])
        np.testing.assert_array_equal(F.gelu(x).data, [-0.0, 1000.0])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "gelu_tanh", "softmax_last"])
def test_activation_keeps_float32(name):
    x = Tensor(np.linspace(-3, 3, 6, dtype=np.float32), requires_grad=True)
    out = ACTIVATIONS[name][0](x)
    out.backward(Tensor(np.ones(6, dtype=np.float32)))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_modules_match_functional():
    x = _leaf((3, 4))
    assert nn.Identity()(x) is x
    cases = [(nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh), (nn.ReLU(), F.relu),
             (nn.GELU(), F.gelu), (nn.GELU("tanh"), lambda a: F.gelu(a, "tanh")),
             (nn.Softmax(0), lambda a: F.softmax(a, 0)), (nn.Softmax(), lambda a: F.softmax(a, -1)),
             (nn.LogSoftmax(1), lambda a: F.log_softmax(a, 1))]
    for module, fn in cases:
        np.testing.assert_array_equal(module(x).data, fn(x).data)
        assert module.parameters is not None and list(module.parameters()) == []
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"


@pytest.mark.parametrize("make, match", [
    (lambda: nn.GELU("exact"), "approximate.*'exact'"),
    (lambda: nn.GELU(None), "approximate.*None"),
    (lambda: nn.Softmax(1.5), "dim.*1.5"),
    (lambda: nn.Softmax("1"), "dim.*'1'"),
    (lambda: nn.LogSoftmax(True), "dim.*True"),
    (lambda: nn.Dropout(1.5), "p .*1.5"),
    (lambda: nn.Dropout(-0.1), "p .*-0.1"),
    (lambda: nn.Dropout("0.5"), "p .*'0.5'"),
    (lambda: nn.MSELoss(reduction="avg"), "reduction.*'avg'"),
    (lambda: nn.NLLLoss(reduction="Mean"), "reduction.*'Mean'"),
    (lambda: nn.CrossEntropyLoss(reduction=None), "reduction.*None"),
    (lambda: nn.SoftmaxCrossEntropy(reduction="elementwise"), "reduction.*'elementwise'"),
])
def test_module_constructors_validate(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("call, match", [
    (lambda x: F.gelu(x, "erf"), "approximate.*'erf'"),
    (lambda x: F.softmax(x, 2), r"dim 2 is out of range.*\(3, 4\)"),
    (lambda x: F.log_softmax(x, -3), r"dim -3 is out of range"),
    (lambda x: F.softmax(x, None), "dim must be an integer, got None"),
    (lambda x: F.softmax(Tensor(np.array(1.0)), 1), r"dim 1 is out of range.*\(\)"),
])
def test_activation_bad_arguments(call, match):
    x = _leaf((3, 4))
    with pytest.raises(ValueError, match=match):
        call(x)


# ----------------------------------------------------------------------- losses

def _ce_inputs(n=5, c=4, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 2
    labels = rng.integers(0, c, n)
    return logits, labels, np.eye(c)[labels], rng.dirichlet(np.ones(c), n)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_gradcheck(reduction):
    pred, target = _leaf((3, 4), 0), _leaf((3, 4), 1)
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), pred, target)
    assert gradcheck(lambda a: F.mse_loss(a, Tensor(np.array(0.5)), reduction=reduction), _leaf(()))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_gradcheck(reduction):
    logits, labels, _, _ = _ce_inputs()
    assert gradcheck(lambda a: F.nll_loss(a, labels, reduction=reduction), Tensor(logits, requires_grad=True))
    # Through log_softmax it is cross-entropy.
    assert gradcheck(lambda a: F.nll_loss(F.log_softmax(a, 1), labels, reduction=reduction),
                     Tensor(logits, requires_grad=True))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(Tensor(logits), 1), labels, reduction=reduction).data,
                               F.cross_entropy(Tensor(logits), labels, reduction=reduction).data, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kind", ["indices", "onehot", "probs"])
def test_cross_entropy_gradcheck(kind, reduction):
    logits, labels, onehot, probs = _ce_inputs()
    target = {"indices": Tensor(labels), "onehot": Tensor(onehot), "probs": Tensor(probs)}[kind]
    assert gradcheck(lambda a: F.cross_entropy(a, target, reduction=reduction), Tensor(logits, requires_grad=True))


def test_cross_entropy_gradient_wrt_probability_target():
    logits, _, _, probs = _ce_inputs()
    assert gradcheck(lambda a, p: F.cross_entropy(a, p, reduction="none"),
                     Tensor(logits, requires_grad=True), Tensor(probs, requires_grad=True))
    target = Tensor(probs, requires_grad=True)
    F.cross_entropy(Tensor(logits), target).backward()
    np.testing.assert_allclose(target.grad.data, -F.log_softmax(Tensor(logits), 1).data / 5, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kind", ["indices", "onehot", "probs"])
def test_cross_entropy_matches_torch(kind, reduction):
    torch = pytest.importorskip("torch")
    logits, labels, onehot, probs = _ce_inputs(6, 5, seed=7)
    target = {"indices": labels, "onehot": onehot, "probs": probs}[kind]
    x = Tensor(logits.copy(), requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction)(x, target)
    grad_out = np.random.default_rng(8).standard_normal(loss.shape)
    loss.backward(Tensor(grad_out))
    xt = torch.tensor(logits, requires_grad=True)
    loss_t = torch.nn.CrossEntropyLoss(reduction=reduction)(xt, torch.tensor(target))
    loss_t.backward(torch.tensor(grad_out))
    assert loss.shape == tuple(loss_t.shape)
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=0, atol=1e-8)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_mse_nll_match_torch(loss, reduction):
    torch = pytest.importorskip("torch")
    logits, labels, _, _ = _ce_inputs(6, 5, seed=9)
    target = np.random.default_rng(10).standard_normal(logits.shape)
    x = Tensor(logits.copy(), requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    if loss == "mse":
        ours, theirs = nn.MSELoss(reduction=reduction)(x, target), torch.nn.MSELoss(reduction=reduction)(xt, torch.tensor(target))
    else:
        ours, theirs = nn.NLLLoss(reduction=reduction)(x, labels), torch.nn.NLLLoss(reduction=reduction)(xt, torch.tensor(labels))
    grad_out = np.random.default_rng(11).standard_normal(ours.shape)
    ours.backward(Tensor(grad_out))
    theirs.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=0, atol=1e-8)


def test_reductions_relate():
    logits, labels, onehot, _ = _ce_inputs()
    for fn, target in [(F.cross_entropy, labels), (F.cross_entropy, onehot), (F.nll_loss, labels),
                       (F.mse_loss, onehot)]:
        none = fn(Tensor(logits), target, reduction="none").data
        assert none.shape == ((5, 4) if fn is F.mse_loss else (5,))
        np.testing.assert_allclose(fn(Tensor(logits), target, reduction="sum").item(), none.sum(), atol=1e-12)
        np.testing.assert_allclose(fn(Tensor(logits), target, reduction="mean").item(), none.mean(), atol=1e-12)
        assert fn(Tensor(logits), target).item() == fn(Tensor(logits), target, reduction="mean").item()


def test_mse_mean_over_all_elements():
    pred = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    loss = nn.MSELoss()(pred, np.zeros((2, 2)))
    assert loss.item() == pytest.approx(30 / 4)
    loss.backward()
    np.testing.assert_allclose(pred.grad.data, 2 * pred.data / 4)


def test_cross_entropy_index_gradient_is_softmax_minus_onehot():
    logits, labels, onehot, _ = _ce_inputs()
    for target in (labels, onehot):
        x = Tensor(logits.copy(), requires_grad=True)
        F.cross_entropy(x, target).backward()
        np.testing.assert_allclose(x.grad.data, (F.softmax(Tensor(logits), 1).data - onehot) / 5, atol=1e-15)


def test_soft_cross_entropy_handout_criterion():
    logits, labels, onehot, _ = _ce_inputs()
    criterion = nn.SoftmaxCrossEntropy()
    assert isinstance(criterion, nn.CrossEntropyLoss) and criterion.reduction == "mean"
    x = Tensor(logits.copy(), requires_grad=True)
    loss = criterion(x, onehot)
    per_sample = nn.SoftmaxCrossEntropy(reduction="none")(Tensor(logits), onehot).data
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = -(onehot * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))).sum(axis=1)
    np.testing.assert_allclose(per_sample, expected, atol=1e-14)
    assert loss.shape == () and loss.item() == pytest.approx(expected.mean(), abs=1e-14)
    loss.backward()
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, (softmax - onehot) / 5, atol=1e-15)
    assert criterion(Tensor(logits), labels).item() == pytest.approx(loss.item(), abs=1e-14)


@pytest.mark.parametrize("kind", ["indices", "probs"])
def test_cross_entropy_stable_at_1000(kind):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    target = np.array([1, 2]) if kind == "indices" else np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    x = Tensor(logits, requires_grad=True)
    with _Strict():
        loss = F.cross_entropy(x, target)
        loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.data))
    # Row 0 misses by 2000; row 1 is right (indices) or half right (probabilities).
    assert loss.item() == pytest.approx((2000 + (0 if kind == "indices" else 0.5 * 2000)) / 2)


def test_cross_entropy_float32_stays_float32():
    logits, labels, onehot, _ = _ce_inputs()
    for target in (labels, onehot):
        x = Tensor(logits.astype(np.float32), requires_grad=True)
        loss = F.cross_entropy(x, target)
        loss.backward()
        assert loss.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda x: F.cross_entropy(x[0, 0], np.array(1)), r"expected scores of shape \(N, C\), \(C,\) or \(N, C, d1, ...\)"),
    (lambda x: F.cross_entropy(x[0], np.array([1])), r"expected target of shape \(\) \(class indices\)"),
    (lambda x: F.cross_entropy(x, np.array([0.0, 1, 2, 3, 0])), "integer class indices, got dtype float64"),
    (lambda x: F.cross_entropy(x, np.array([0, 1, 2])), r"expected target of shape \(5,\).*got \(3,\)"),
    (lambda x: F.cross_entropy(x, np.array([0, 1, 4, 3, 0])), "target 4 at index 2 is out of range for 4 classes"),
    (lambda x: F.cross_entropy(x, np.array([0, 1, -1, 3, 0])), "target -1 at index 2 is out of range"),
    (lambda x: F.cross_entropy(x, np.zeros((5, 3))), r"expected target of shape \(5,\) \(class indices\).*got \(5, 3\)"),
    (lambda x: F.cross_entropy(x, np.zeros((5, 4, 1), dtype=int)), r"expected target of shape \(5,\)"),
    (lambda x: F.cross_entropy(x, np.zeros(5, dtype=int), reduction="avg"), "cross_entropy: reduction.*'avg'"),
    (lambda x: F.nll_loss(x, np.zeros(5, dtype=int), reduction="batchmean"), "nll_loss: reduction.*'batchmean'"),
    (lambda x: F.nll_loss(x[0], np.zeros(1, dtype=int)), r"nll_loss: expected target of shape \(\)"),
    (lambda x: F.cross_entropy(x, np.zeros(5, dtype=int), label_smoothing=1.5), "label_smoothing must be a number in \\[0, 1\\], got 1.5"),
    (lambda x: F.cross_entropy(x, np.zeros(5, dtype=int), np.ones(3)), r"expected weight of shape \(4,\) \(one per class\), got \(3,\)"),
    (lambda x: F.cross_entropy(x, np.array([0, -100, 4, 1, 1])), "target 4 at index 1 is out of range"),
    (lambda x: F.cross_entropy(x, np.array([0, 3, 2, 1, 7]), ignore_index=7.5), "ignore_index must be an integer"),
    (lambda x: F.nll_loss(x, np.array([0, 1, 2, 3, 9])), "nll_loss: target 9 at index 4 is out of range for 4"),
    (lambda x: F.nll_loss(x, np.ones(5)), "nll_loss: target must hold integer class indices"),
    (lambda x: F.nll_loss(x, np.ones(4, dtype=int)), r"nll_loss: expected target of shape \(5,\) \(class indices\)"),
    (lambda x: F.mse_loss(x, np.zeros((4, 5))), r"mse_loss: input of shape \(5, 4\) and target of shape \(4, 5\)"),
    (lambda x: F.mse_loss(x, np.zeros(4)), "mse_loss: input of shape"),
    (lambda x: F.mse_loss(x, np.zeros((5, 4)), reduction="max"), "mse_loss: reduction.*'max'"),
])
def test_loss_bad_input(call, match):
    x = Tensor(_ce_inputs()[0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        call(x)


def test_failed_op_leaves_grad_untouched():
    logits, labels, _, _ = _ce_inputs()
    x = Tensor(logits, requires_grad=True)
    F.cross_entropy(x, labels).backward()
    before = x.grad.data.copy()
    with pytest.raises(ValueError):
        F.cross_entropy(x, np.array([0, 1, 2, 3, 7]))
    with pytest.raises(ValueError):
        F.softmax(x, 5)
    with pytest.raises(ValueError):
        F.softmax(x, 1).backward(Tensor(np.ones((4, 5))))  # wrong gradient shape
    np.testing.assert_array_equal(x.grad.data, before)


# ---------------------------------------------------------------------- dropout

def test_dropout_train_zeroes_and_scales():
    np.random.seed(0)
    x = Tensor(np.random.uniform(1.0, 2.0, (200, 500)), requires_grad=True)
    layer = nn.Dropout(0.3)
    assert repr(layer) == "Dropout(p=0.3, inplace=False)"
    out = layer(x)
    kept = out.data != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out.data[kept], x.data[kept] / 0.7)
    out.backward(Tensor(np.ones(x.shape)))
    np.testing.assert_allclose(x.grad.data, kept / 0.7)
    # Inverted dropout keeps the expected activation.
    assert abs(out.data.mean() / x.data.mean() - 1) < 0.01


def test_dropout_eval_and_p0_are_identity():
    x = _leaf((4, 5))
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert nn.Dropout(0.0)(x) is x
    seq = nn.Sequential(nn.Linear(5, 3), nn.Dropout(0.9))
    seq.eval()
    np.testing.assert_array_equal(seq(x).data, seq[0](x).data)


def test_dropout_reproducible_with_seed():
    x = _leaf((10, 10))
    np.random.seed(123)
    first = F.dropout(x, 0.5).data
    np.random.seed(123)
    second = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, F.dropout(x, 0.5).data)


def test_dropout_gradcheck_with_fixed_mask():
    def fn(a):
        np.random.seed(5)  # the same mask for every finite-difference evaluation
        return F.dropout(a, 0.4)

    for shape in [(3, 4), (), (1,)]:
        assert gradcheck(fn, _leaf(shape))


def test_dropout_float32_and_bad_p():
    x = Tensor(np.ones((3, 3), dtype=np.float32), requires_grad=True)
    out = F.dropout(x, 0.5)
    out.backward(Tensor(np.ones((3, 3), dtype=np.float32)))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    for p in (1.5, -0.2, float("nan"), None):
        with pytest.raises(ValueError, match="p must be a number in"):
            F.dropout(x, p)
        with pytest.raises(ValueError, match="p must be a number in"):
            F.dropout(x, p, training=False)
    # p = 1 drops everything, as in PyTorch: zeros out, zero gradient, no NaN from 0 / 0.
    x.grad = None
    out = F.dropout(x, 1.0)
    out.backward(Tensor(np.ones((3, 3), dtype=np.float32)))
    assert not out.data.any() and not x.grad.data.any()
