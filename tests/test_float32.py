"""float32 end to end: with `set_default_dtype(np.float32)` or `model.float()`, every op's
output and gradient, every parameter, optimizer state and running statistic stays float32,
and Python (or NumPy) scalars never upcast it."""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor, autograd_engine, nn, optim
from mytorch.nn import functional as F

F32 = np.dtype(np.float32)


@pytest.fixture
def float32_default():
    mytorch.set_default_dtype(np.float32)
    try:
        yield
    finally:
        mytorch.set_default_dtype(np.float64)


@pytest.fixture
def recorded(monkeypatch):
    """Every op output's dtype and every gradient's dtype, as the engine sees them."""
    seen = []
    apply, backward = autograd_engine.Function.apply.__func__, autograd_engine.BackwardFunction.apply

    def recording_apply(cls, *args):
        out = apply(cls, *args)
        seen.append((cls.__name__, out.dtype))
        return out

    def recording_backward(node, grad_output):
        grads = backward(node, grad_output)
        seen.append((f"{node.function_name}.backward (incoming)", grad_output.dtype))
        seen.extend((f"{node.function_name}.backward", g.dtype) for g in grads if g is not None)
        return grads

    monkeypatch.setattr(autograd_engine.Function, "apply", classmethod(recording_apply))
    monkeypatch.setattr(autograd_engine.BackwardFunction, "apply", recording_backward)
    return seen


def _handout_network():
    return nn.Sequential(nn.Linear(784, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10))


def _train_step(model, optimizer, rng, steps=2):
    for _ in range(steps):
        x = Tensor(rng.standard_normal((16, 784)).astype(np.float32))
        labels = Tensor(rng.integers(0, 10, 16))
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), labels)
        loss.backward()
        optimizer.step()
    return loss


def _optimizer_arrays(optimizer):
    return [value for attribute in optimizer._state_attributes.values()
            for value in getattr(optimizer, attribute) if isinstance(value, np.ndarray)]


def _assert_float32_everywhere(model, optimizer, loss, recorded):
    assert recorded and all(dtype == F32 for _, dtype in recorded), \
        [entry for entry in recorded if entry[1] != F32]
    assert loss.dtype == F32
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        assert tensor.dtype == (F32 if name != "1.num_batches_tracked" else np.int64), name
    for name, parameter in model.named_parameters():
        assert parameter.grad.dtype == F32, name
    assert all(array.dtype == F32 for array in _optimizer_arrays(optimizer))
    assert model[1].running_mean.dtype == F32 and model[1].running_var.dtype == F32


@pytest.mark.parametrize("make_optimizer", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                            lambda p: optim.Adam(p, lr=1e-3, weight_decay=0.01)],
                         ids=["sgd-momentum", "adam"])
def test_handout_network_trains_in_float32_with_the_default_dtype(float32_default, recorded,
                                                                  make_optimizer):
    model = _handout_network()
    optimizer = make_optimizer(model.parameters())
    loss = _train_step(model, optimizer, np.random.default_rng(0))
    _assert_float32_everywhere(model, optimizer, loss, recorded)
    model.eval()
    with mytorch.no_grad():
        assert model(Tensor(np.ones((3, 784), np.float32))).dtype == F32


def test_model_float_converts_buffers_gradients_and_the_optimizers_state(recorded):
    model = _handout_network()  # float64, as the default dtype is
    optimizer = optim.Adam(model.parameters())
    _train_step(model, optimizer, np.random.default_rng(1), steps=1)
    weight = model[0].weight
    assert model.float() is model and model[0].weight is weight  # the same objects, converted
    assert weight.grad.dtype == F32 and model[1].running_var.dtype == F32
    recorded.clear()
    loss = _train_step(model, optimizer, np.random.default_rng(2))
    _assert_float32_everywhere(model, optimizer, loss, recorded)
    assert optimizer.steps == [3] * 6
    model.double()
    assert all(t.dtype == np.float64 for t in list(model.parameters()) + list(model.buffers()) if t.dtype.kind == "f")


def test_adam_computes_in_float32():
    """One Adam step equals the same arithmetic done in float32 by hand, bit for bit."""
    rng = np.random.default_rng(3)
    start, grad = rng.standard_normal(50).astype(np.float32), rng.standard_normal(50).astype(np.float32)
    w = Tensor(start.copy(), requires_grad=True)
    w.grad = Tensor(grad)
    optim.Adam([w], lr=0.01).step()
    m, v = np.float32(0.1) * grad, np.float32(0.001) * grad * grad
    expected = start - (0.01 / (1 - 0.9)) * m / (np.sqrt(v) / np.float32(np.sqrt(1 - 0.999)) + np.float32(1e-8))
    assert w.dtype == F32 and expected.dtype == F32
    np.testing.assert_array_equal(w.data, expected)


def _f32(*shape, positive=False, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return Tensor(np.abs(data) + 0.5 if positive else data, requires_grad=True)


# name -> a function of float32 leaves (made by the lambda's defaults)
OPS = {
    "linear": lambda x=_f32(4, 3), w=_f32(5, 3), b=_f32(5): F.linear(x, w, b),
    "batch_norm_train": lambda x=_f32(6, 3), g=_f32(3), b=_f32(3): F.batch_norm(
        x, Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32)), g, b, True),
    "batch_norm_eval": lambda x=_f32(6, 3, 2), g=_f32(3), b=_f32(3): F.batch_norm(
        x, Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32)), g, b, False),
    "cross_entropy_indices": lambda x=_f32(4, 3): F.cross_entropy(x, np.array([0, 2, 1, 2])),
    "cross_entropy_probabilities": lambda x=_f32(4, 3): F.cross_entropy(
        x, Tensor(np.full((4, 3), 1 / 3, np.float32))),
    "nll": lambda x=_f32(4, 3): F.nll_loss(F.log_softmax(x, 1), np.array([0, 2, 1, 2]), reduction="sum"),
    "mse": lambda x=_f32(4, 3), y=_f32(4, 3, seed=1): F.mse_loss(x, y),
    "activations": lambda x=_f32(3, 4): F.gelu(x) + F.gelu(x, "tanh") + F.sigmoid(x) + F.tanh(x)
    + F.relu(x) + F.softmax(x, 0) + F.dropout(x, 0.3),
    "reductions": lambda x=_f32(3, 4): x.sum(0) + x.mean(1, keepdims=True) + x.amax(0) + x.var(0)
    + x.std(dim=0),
    "elementwise": lambda x=_f32(3, 4, positive=True): x.exp() + x.log() + x.sqrt() + x.abs()
    + x.clamp(0.6, 1.0) + x.maximum(0.7) + x.minimum(x * 0.5) + x.where(x > 1.0, 0.25),
    "python_and_numpy_scalars": lambda x=_f32(3): (x * 2.5 + 1) / 3 - 0.5 + x ** 2 + x ** np.float64(1.5)
    + 2.0 ** x + np.float64(0.5) * x - np.int64(3),
    "shapes": lambda x=_f32(2, 3): x.view(3, 2).T.reshape(6).expand(2, 6).flatten()[1:4],
}


@pytest.mark.parametrize("name", OPS)
def test_every_op_keeps_float32_in_values_and_gradients(name, recorded):
    fn = OPS[name]
    leaves = list(fn.__defaults__)
    for leaf in leaves:
        leaf.grad = None
    out = fn()
    out.backward(Tensor(np.ones(out.shape, np.float32)))
    assert out.dtype == F32
    assert all(leaf.grad.dtype == F32 for leaf in leaves)
    assert all(dtype == F32 for _, dtype in recorded), [e for e in recorded if e[1] != F32]


def test_python_scalars_never_upcast_but_float64_tensors_do():
    x = Tensor(np.ones(3, np.float32))
    assert (x + Tensor(np.ones(3))).dtype == np.float64  # two tensors: NumPy's promotion
    assert (x * 0.1).dtype == F32  # a Python number takes the tensor's dtype, as in PyTorch
