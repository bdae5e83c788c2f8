"""Modules, the core layers, the cross-entropy loss and SGD."""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.nn import functional as F


def _param(*shape):
    return Tensor(np.random.randn(*shape), requires_grad=True, is_parameter=True)


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = _param(3)
        self.first = nn.Linear(3, 4)
        self.not_a_parameter = Tensor.ones(3)
        self.second = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.shift = _param(2)

    def forward(self, x):
        return self.second(self.first(x * self.scale)) + self.shift


def test_parameters_are_own_first_in_assignment_order_then_submodules():
    model = TwoLayer()
    expected = [model.scale, model.shift, model.first.weight, model.first.bias,
                model.second[1].weight, model.second[1].bias]
    assert [id(p) for p in model.parameters()] == [id(p) for p in expected]
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "shift", "first.weight", "first.bias", "second.1.weight", "second.1.bias"]


def test_shared_parameters_are_yielded_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_named_modules_visit_each_module_once_before_its_submodules():
    model = TwoLayer()
    assert [name for name, _ in model.named_modules()] == ["", "first", "second", "second.0", "second.1"]
    layer = nn.Linear(2, 2)
    assert len(list(nn.Sequential(layer, nn.ReLU(), layer).modules())) == 3


def test_reassignment_replaces_registration():
    model = TwoLayer()
    model.first = None
    assert len(list(model.parameters())) == 4


def test_train_and_eval_are_recursive():
    model = TwoLayer()
    assert model.eval() is model
    assert not any(m.is_train for m in [model, model.first, model.second, model.second[0]])
    model.train()
    assert all(m.is_train for m in [model, model.first, model.second, model.second[0]])


def test_forgetting_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_module_zero_grad_and_repr():
    model = TwoLayer()
    model(Tensor.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    text = repr(nn.Sequential(nn.Linear(784, 20), nn.BatchNorm1d(20), nn.ReLU()))
    assert text == ("Sequential(\n  (0): Linear(in_features=784, out_features=20, bias=True)\n"
                    "  (1): BatchNorm1d(20, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
                    "  (2): ReLU()\n)")


def test_sequential_container():
    layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
    model = nn.Sequential(*layers)
    assert model.layers == tuple(layers) and len(model) == 3 and model[2] is layers[2]
    assert list(model) == layers
    x = Tensor.randn(5, 3)
    np.testing.assert_allclose(model(x).data, layers[2](layers[1](layers[0](x))).data)


def test_linear_parameters_and_initialisation():
    np.random.seed(0)
    layer = nn.Linear(400, 30)
    for p, shape in [(layer.weight, (30, 400)), (layer.bias, (30,))]:
        assert p.shape == shape and p.is_parameter and p.requires_grad and p.is_leaf
    # The Fall 2020 starter code's draws, in its order: weight, then bias, each
    # (U[0, 1) - 0.5) / in_features, so a seeded run reproduces the course's numbers.
    np.random.seed(0)
    expected_weight = (np.random.rand(30, 400) - 0.5) / 400
    expected_bias = (np.random.rand(30) - 0.5) / 400
    np.testing.assert_array_equal(layer.weight.data, expected_weight)
    np.testing.assert_array_equal(layer.bias.data, expected_bias)
    x = Tensor.randn(7, 400)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T + layer.bias.data)
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3), ("3", 2)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a positive integer"):
        nn.Linear(*args)


def test_linear_rejects_a_wrong_input_width():
    with pytest.raises(ValueError, match=r"Linear: input of shape \(5, 4\)"):
        nn.Linear(3, 2)(Tensor.randn(5, 4))


def test_batchnorm_training_eval_and_running_statistics():
    np.random.seed(1)
    bn = nn.BatchNorm1d(3, momentum=0.2)
    assert [id(p) for p in bn.parameters()] == [id(bn.gamma), id(bn.beta)]
    assert not bn.running_mean.is_parameter and not bn.running_mean.requires_grad
    x = Tensor(np.random.randn(16, 3) * 3 + 2)
    y = bn(x)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(bn.running_mean.data, 0.2 * x.data.mean(axis=0))
    np.testing.assert_allclose(bn.running_var.data, 0.8 + 0.2 * x.data.var(axis=0, ddof=1))
    assert bn.running_mean.grad_fn is None and y.grad_fn.function_name == "BatchNorm"
    bn.eval()
    before = bn.running_mean.data.copy()
    z = bn(x)
    np.testing.assert_array_equal(bn.running_mean.data, before)
    expected = (x.data - bn.running_mean.data) / np.sqrt(bn.running_var.data + bn.eps)
    np.testing.assert_allclose(z.data, expected)
    np.testing.assert_allclose(bn(Tensor(x.data[:1])).data, expected[:1])  # one sample is fine in eval


def test_batchnorm_three_dimensional_input_and_float32():
    mytorch.set_default_dtype(np.float32)
    try:
        bn = nn.BatchNorm1d(4)
    finally:
        mytorch.set_default_dtype(np.float64)
    x = Tensor(np.random.randn(5, 4, 6).astype(np.float32), requires_grad=True)
    y = bn(x)
    assert y.shape == (5, 4, 6) and y.dtype == np.float32
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(axis=(0, 2)), 0, atol=1e-5)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and bn.gamma.grad.dtype == np.float32


def test_batchnorm_statistics_keep_their_dtype_and_integer_input_becomes_float():
    """Buffers keep their own dtype whatever the input (uint8 once wrapped them around)."""
    bn = nn.BatchNorm1d(3)
    y = bn(Tensor(np.array([[0, 100, 250], [255, 3, 7]], dtype=np.uint8)))
    assert y.dtype == np.float64 and bn.running_mean.dtype == np.float64
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * np.array([127.5, 51.5, 128.5]))
    bn(Tensor(np.random.randn(4, 3).astype(np.float32)))
    assert bn.running_var.dtype == np.float64


def test_batchnorm_bad_input_and_arguments():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(Tensor.randn(1, 3))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        bn(Tensor.randn(4, 5))
    for kwargs in [{"num_features": 0}, {"num_features": 3, "momentum": 1.5},
                   {"num_features": 3, "eps": -1}]:
        with pytest.raises(ValueError):
            nn.BatchNorm1d(**kwargs)


def test_cross_entropy_loss_module():
    logits = Tensor(np.random.randn(4, 3), requires_grad=True)
    target = Tensor(np.array([0, 2, 1, 2]))
    loss = nn.CrossEntropyLoss()(logits, target)
    assert loss.shape == ()
    log_probs = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss.data, -log_probs[np.arange(4), target.data].mean())
    with pytest.raises(ValueError, match="out of range"):
        nn.CrossEntropyLoss()(logits, Tensor(np.array([0, 3, 1, 2])))
    assert logits.grad is None


# ------------------------------------------------------------------------ SGD

def _train(model, optimizer, steps, rng):
    for _ in range(steps):
        optimizer.zero_grad()
        x = Tensor(rng.standard_normal((8, 3)))
        F.cross_entropy(model(x), rng.integers(0, 2, 8)).backward()
        optimizer.step()


def test_sgd_without_momentum_is_a_plain_step():
    p = _param(3)
    p.grad = Tensor(np.array([1.0, -2.0, 0.5]))
    before = p.data.copy()
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, before - 0.1 * p.grad.data)


def test_sgd_momentum_equals_the_handouts_formula_with_constant_lr():
    rng = np.random.default_rng(0)
    np.random.seed(0)
    ours = nn.Linear(3, 2)
    handout = [p.data.copy() for p in ours.parameters()]
    velocities = [np.zeros_like(w) for w in handout]
    optimizer = optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    for _ in range(5):
        x, labels = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
        # The handout's update on a copy: v = momentum*v - lr*grad; w += v.
        twin = nn.Linear(3, 2)
        twin.weight.data, twin.bias.data = handout[0].copy(), handout[1].copy()
        F.cross_entropy(twin(Tensor(x)), labels).backward()
        for i, p in enumerate(twin.parameters()):
            velocities[i] = 0.9 * velocities[i] - 0.05 * p.grad.data
            handout[i] += velocities[i]
        optimizer.zero_grad()
        F.cross_entropy(ours(Tensor(x)), labels).backward()
        optimizer.step()
    for p, w in zip(ours.parameters(), handout):
        np.testing.assert_allclose(p.data, w, rtol=1e-12)


def test_sgd_skips_params_without_grad_and_records_no_graph():
    used, unused = _param(2), _param(2)
    before = unused.data.copy()
    optimizer = optim.SGD([used, unused], lr=0.1, momentum=0.5)
    (used * 2).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(unused.data, before)
    assert (used.grad_fn, used.is_leaf, used.requires_grad, used.is_parameter) == (None, True, True, True)
    assert used.grad.grad_fn is None


def test_sgd_accepts_a_generator_and_validates():
    model = nn.Linear(2, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    assert len(optimizer.params) == 2 and optimizer.lr == 0.1 and optimizer.momentum == 0.0
    with pytest.raises(ValueError, match="SGD: lr must be a number >= 0, got -1"):
        optim.SGD(model.parameters(), lr=-1)
    with pytest.raises(ValueError, match="SGD: momentum must be a number >= 0, got -0.5"):
        optim.SGD(model.parameters(), lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_parameters_stay_parameters_after_training():
    np.random.seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(model, optimizer, 3, np.random.default_rng(0))
    for p in model.parameters():
        assert (p.is_parameter, p.requires_grad, p.is_leaf, p.grad_fn) == (True, True, True, None)
        assert p.grad.grad_fn is None and not p.grad.requires_grad


def test_evaluation_under_no_grad_records_nothing():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    model.eval()
    with mytorch.no_grad():
        out = model(Tensor.randn(2, 3))
    assert out.grad_fn is None and not out.requires_grad
