"""Tests of hw1/hw1.py: the Spring 2020 HW1P1 MLP on MyTorch's autograd, and its training loop."""
from pathlib import Path

import numpy as np
import pytest

from hw1.hw1 import MLP, get_training_stats, main, one_hot, sample_mlp
from mytorch import Tensor, is_grad_enabled, nn
from mytorch.data import load_mnist
from mytorch.gradcheck import numerical_grad
from mytorch.nn import init

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MNIST_10K = DATA / "mnist-10k"
needs_mnist = pytest.mark.skipif(not (MNIST_10K / "train-images-idx3-ubyte.gz").is_file(),
                                 reason=f"mnist-10k not found at {MNIST_10K}")


def normal_weights(d0, d1):
    return np.random.randn(d0, d1)


def zero_bias(d):
    return np.zeros((1, d))


def make_mlp(input_size=6, output_size=4, hiddens=(5, 3), activations=None, num_bn_layers=0,
             lr=0.1, momentum=0.0, criterion=None, weight_init_fn=normal_weights,
             bias_init_fn=zero_bias):
    if activations is None:
        activations = [nn.Sigmoid() for _ in hiddens] + [nn.Identity()]
    return MLP(input_size, output_size, list(hiddens), activations, weight_init_fn, bias_init_fn,
               criterion or nn.SoftmaxCrossEntropy(), lr, momentum=momentum,
               num_bn_layers=num_bn_layers)


def batch(n=8, input_size=6, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, input_size)), one_hot(rng.integers(0, classes, n), classes)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def mean_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(labels * log_probs).sum(axis=1).mean()


@pytest.fixture(autouse=True)
def seeded():
    np.random.seed(11785)


# ------------------------------------------------------------------ construction

def test_handout_sample_call_builds_the_network():
    mlp = MLP(784, 10, [64, 64, 32], [nn.Sigmoid(), nn.Sigmoid(), nn.Sigmoid(), nn.Identity()],
              init.xavier_uniform, init.zeros, nn.SoftmaxCrossEntropy(), 0.008, momentum=0.9,
              num_bn_layers=0)
    assert mlp.nlayers == 4 and mlp.input_size == 784 and mlp.output_size == 10
    assert (mlp.lr, mlp.momentum, mlp.num_bn_layers) == (0.008, 0.9, 0)
    assert ([layer.weight.shape for layer in mlp.linear_layers]
            == [(64, 784), (64, 64), (32, 64), (10, 32)])
    assert [layer.bias.shape for layer in mlp.linear_layers] == [(64,), (64,), (32,), (10,)]
    assert mlp.bn_layers == []
    assert isinstance(mlp.criterion, nn.SoftmaxCrossEntropy) and len(mlp.activations) == 4
    assert mlp.train_mode and mlp.is_train
    assert all(np.all(layer.bias.data == 0) for layer in mlp.linear_layers)
    out = mlp(np.random.rand(5, 784))
    assert isinstance(out, Tensor) and out.shape == (5, 10) and out is mlp.output


def test_init_functions_give_the_transposed_weight_and_a_flat_bias():
    weights = {}

    def weight_init_fn(d0, d1):
        weights[d0, d1] = np.arange(d0 * d1, dtype=float).reshape(d0, d1)
        return weights[d0, d1]

    mlp = make_mlp(hiddens=[5], weight_init_fn=weight_init_fn,
                   bias_init_fn=lambda d: np.arange(d, dtype=float).reshape(1, d))
    for layer, shape in zip(mlp.linear_layers, [(6, 5), (5, 4)]):
        np.testing.assert_array_equal(layer.weight.data, weights[shape].T)
        np.testing.assert_array_equal(layer.bias.data, np.arange(shape[1]))
        assert layer.weight.data.flags.c_contiguous and layer.weight.data.dtype == np.float64


@pytest.mark.parametrize("num_bn_layers", [1, 2])
def test_layers_in_order_with_batchnorm(num_bn_layers):
    mlp = make_mlp(hiddens=(5, 3), num_bn_layers=num_bn_layers,
                   activations=[nn.Sigmoid(), nn.Tanh(), nn.Identity()])
    assert [bn.num_features for bn in mlp.bn_layers] == [5, 3][:num_bn_layers]
    expected = []
    for i in range(3):
        expected += [f"linear{i}"] + ([f"bn{i}"] if i < num_bn_layers else []) + [f"activation{i}"]
    assert list(mlp._submodules) == expected + ["criterion"]
    params = list(mlp.parameters())
    assert len(params) == 2 * 3 + 2 * num_bn_layers == len({id(p) for p in params})

    # Linear -> BatchNorm (batch statistics) -> activation, by hand.
    x, _ = batch()
    h = x
    for i, (layer, act) in enumerate(zip(mlp.linear_layers, [sigmoid, np.tanh, lambda z: z])):
        h = h @ layer.weight.data.T + layer.bias.data
        if i < num_bn_layers:
            h = (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + 1e-5)
        h = act(h)
    np.testing.assert_allclose(mlp.forward(x).data, h, rtol=1e-10, atol=1e-12)


def test_forward_takes_arrays_and_tensors_and_checks_the_shape():
    mlp = make_mlp()
    x, _ = batch(n=7)
    np.testing.assert_array_equal(mlp.forward(x).data, mlp.forward(Tensor(x)).data)
    assert mlp.forward(x).shape == (7, 4)
    with pytest.raises(ValueError, match=r"\(N, 6\)"):
        mlp.forward(np.zeros((7, 5)))


def test_no_hidden_layers():
    mlp = make_mlp(hiddens=(), activations=[nn.Identity()])
    assert mlp.nlayers == 1 and mlp.forward(batch()[0]).shape == (8, 4)


@pytest.mark.parametrize("changes, name", [
    ({"input_size": 0}, "input_size"),
    ({"output_size": -3}, "output_size"),
    ({"hiddens": (5, 0)}, r"hiddens\[1\]"),
    ({"hiddens": (5, 2.5)}, r"hiddens\[1\]"),
    ({"activations": [nn.Sigmoid(), nn.Identity()]}, "activations"),
    ({"num_bn_layers": 3}, "num_bn_layers"),
    ({"num_bn_layers": -1}, "num_bn_layers"),
    ({"lr": -0.1}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"momentum": -0.5}, "momentum"),
    ({"weight_init_fn": lambda d0, d1: np.zeros((d1, d0))}, "weight_init_fn"),
    ({"bias_init_fn": lambda d: np.zeros((d, 1))}, "bias_init_fn"),
])
def test_bad_arguments_raise_value_error_naming_them(changes, name):
    with pytest.raises(ValueError, match=name):
        make_mlp(**changes)


def test_bad_value_is_in_the_message_and_setters_validate():
    with pytest.raises(ValueError, match=r"num_bn_layers.*got 7"):
        make_mlp(num_bn_layers=7)
    mlp = make_mlp()
    with pytest.raises(ValueError, match=r"lr.*-1"):
        mlp.lr = -1
    mlp.lr, mlp.momentum = 0.5, 0.8
    assert (mlp.optimizer.lr, mlp.optimizer.momentum) == (0.5, 0.8)


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="forward"):
        make_mlp().backward(batch()[1])


# -------------------------------------------------------------------- gradients

@pytest.mark.parametrize("num_bn_layers", [0, 1])
def test_backward_matches_central_differences(num_bn_layers):
    mlp = make_mlp(hiddens=(5, 3), num_bn_layers=num_bn_layers,
                   activations=[nn.Sigmoid(), nn.Tanh(), nn.Identity()])
    for bn in mlp.bn_layers:  # make gamma and beta non-trivial
        bn.gamma.data[...] = np.random.uniform(0.5, 1.5, bn.num_features)
        bn.beta.data[...] = np.random.randn(bn.num_features)
    x, labels = batch()
    mlp.zero_grads()
    mlp.forward(x)
    loss = mlp.backward(labels)
    assert loss.shape == () and loss is mlp.loss
    np.testing.assert_allclose(loss.data, mean_cross_entropy(mlp.output.data, labels))

    params = list(mlp.parameters())
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)
    numeric = numerical_grad(lambda *_: mlp.criterion(mlp.forward(x), Tensor(labels)),
                             params, np.ones(()))
    for param, expected in zip(params, numeric):
        np.testing.assert_allclose(param.grad.data, expected, rtol=1e-5, atol=1e-8)


def test_backward_accumulates_until_zero_grads():
    mlp = make_mlp()
    x, labels = batch()
    mlp.forward(x)
    mlp.backward(labels)
    first = [p.grad.data.copy() for p in mlp.parameters()]
    mlp.forward(x)
    mlp.backward(labels)
    for param, grad in zip(mlp.parameters(), first):
        np.testing.assert_allclose(param.grad.data, 2 * grad)
    mlp.zero_grads()
    assert all(p.grad is None for p in mlp.parameters())


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_per_sample_and_sum_criteria_backpropagate_the_batch_mean(reduction):
    x, labels = batch()
    mean_mlp = make_mlp()
    other_mlp = make_mlp(criterion=nn.SoftmaxCrossEntropy(reduction=reduction))
    for target, source in zip(other_mlp.parameters(), mean_mlp.parameters()):
        target.data[...] = source.data
    losses = []
    for mlp in (mean_mlp, other_mlp):
        mlp.forward(x)
        losses.append(mlp.backward(labels))
    assert other_mlp.loss is losses[1] and other_mlp.loss.shape == ()
    np.testing.assert_allclose(losses[1].item(), losses[0].item(), rtol=1e-12)
    np.testing.assert_allclose(other_mlp.total_loss(labels), mean_mlp.total_loss(labels))
    for a, b in zip(other_mlp.parameters(), mean_mlp.parameters()):
        np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-12, atol=1e-15)


def test_error_and_total_loss_read_the_last_output():
    mlp = make_mlp()
    x, labels = batch(n=10)
    out = mlp.forward(x).data
    expected_errors = np.sum(out.argmax(axis=1) != labels.argmax(axis=1))
    assert mlp.error(labels) == expected_errors and isinstance(mlp.error(labels), int)
    np.testing.assert_allclose(mlp.total_loss(labels), 10 * mean_cross_entropy(out, labels))
    sum_mlp = make_mlp(criterion=nn.SoftmaxCrossEntropy(reduction="sum"))
    sum_mlp.forward(x)
    np.testing.assert_allclose(sum_mlp.total_loss(labels), 10 * mean_cross_entropy(
        sum_mlp.output.data, labels))


# ----------------------------------------------------------------------- updates

def test_one_step_reduces_the_loss_on_a_fixed_batch():
    mlp = make_mlp(lr=0.5)
    x, labels = batch(n=16)
    mlp.zero_grads()
    mlp.forward(x)
    before = mlp.backward(labels).item()
    mlp.step()
    mlp.forward(x)
    assert mlp.total_loss(labels) / 16 < before


def test_momentum_step_follows_the_handout_formula():
    lr, momentum = 0.3, 0.9
    mlp = make_mlp(lr=lr, momentum=momentum, num_bn_layers=1)
    x, labels = batch(n=10)
    params = list(mlp.parameters())
    velocities = [np.zeros_like(p.data) for p in params]
    for _ in range(3):
        mlp.zero_grads()
        mlp.forward(x)
        mlp.backward(labels)
        expected = []
        for param, velocity in zip(params, velocities):
            velocity[...] = momentum * velocity - lr * param.grad.data  # v = m v - lr g
            expected.append(param.data + velocity)                      # W += v
        mlp.step()
        for param, value in zip(params, expected):
            np.testing.assert_allclose(param.data, value, rtol=1e-12, atol=1e-14)


def test_train_and_eval_switch_batchnorm():
    mlp = make_mlp(num_bn_layers=2)
    x, _ = batch(n=16)
    train_out = mlp.forward(x).data
    assert all(bn.is_train for bn in mlp.bn_layers)
    mlp.eval()
    assert not mlp.train_mode and not mlp.is_train and not any(bn.is_train for bn in mlp.bn_layers)
    eval_out = mlp.forward(x).data
    assert not np.allclose(train_out, eval_out)
    # Running statistics: a sample's output no longer depends on the rest of the batch.
    np.testing.assert_allclose(mlp.forward(x[:3]).data, eval_out[:3], rtol=1e-12)
    mlp.train()
    assert mlp.train_mode and all(bn.is_train for bn in mlp.bn_layers)
    assert not np.allclose(mlp.forward(x[:3]).data, eval_out[:3])
    mlp.train_mode = False
    assert not mlp.bn_layers[1].is_train


# ------------------------------------------------------------------ training loop

def test_get_training_stats_on_synthetic_data():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((3, 6)) * 3

    def split(n):
        y = rng.integers(0, 3, n)
        return centres[y] + rng.standard_normal((n, 6)), y

    mlp = make_mlp(output_size=3, lr=0.2, momentum=0.5, num_bn_layers=1)
    epochs = []
    stats = get_training_stats(mlp, (split(230), split(60), split(10)), 4, 32,
                               on_epoch=lambda *values: epochs.append(values))
    assert len(stats) == 4
    for values in stats:
        assert isinstance(values, np.ndarray) and values.shape == (4,)
        assert np.all(np.isfinite(values))
    assert np.all((stats[1] >= 0) & (stats[1] <= 1)) and np.all((stats[3] >= 0) & (stats[3] <= 1))
    assert np.all(stats[0] > 0) and np.all(stats[2] > 0)
    assert [e[0] for e in epochs] == [1, 2, 3, 4]
    np.testing.assert_allclose(np.array(epochs)[:, 1:].T, np.array(stats))
    assert stats[2][-1] < stats[2][0] and mlp.train_mode


def test_get_training_stats_validation_numbers_match_a_direct_evaluation():
    rng = np.random.default_rng(2)
    train = rng.standard_normal((50, 6)), rng.integers(0, 4, 50)
    val = rng.standard_normal((30, 6)), rng.integers(0, 4, 30)
    mlp = make_mlp(num_bn_layers=1)
    stats = get_training_stats(mlp, (train, val, val), 1, 16)
    mlp.eval()
    labels = one_hot(val[1], 4)
    mlp.forward(val[0])
    np.testing.assert_allclose(stats[2][0], mlp.total_loss(labels) / 30)
    assert stats[3][0] == mlp.error(labels) / 30


class CountingCriterion(nn.SoftmaxCrossEntropy):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, predicted, target):
        self.calls += 1
        return super().forward(predicted, target)


def test_training_numbers_run_the_criterion_once_per_batch_and_match_a_replay():
    rng = np.random.default_rng(5)
    train = rng.standard_normal((50, 6)), rng.integers(0, 4, 50)
    val = rng.standard_normal((30, 6)), rng.integers(0, 4, 30)
    np.random.seed(7)
    mlp = make_mlp(num_bn_layers=1, criterion=CountingCriterion())
    np.random.seed(7)
    replay = make_mlp(num_bn_layers=1)
    np.random.seed(8)
    stats = get_training_stats(mlp, (train, val, val), 2, 16)
    assert mlp.criterion.calls == 2 * (4 + 2)  # 4 training and 2 validation batches per epoch

    # The same training, measured the way the handout did: total_loss after backward.
    np.random.seed(8)
    expected = []
    for _ in range(2):
        order = np.random.permutation(50)
        loss = errors = 0.0
        for start in range(0, 50, 16):
            labels = one_hot(train[1][order[start:start + 16]], 4)
            replay.zero_grads()
            replay.forward(train[0][order[start:start + 16]])
            replay.backward(labels)
            loss += replay.total_loss(labels)
            errors += replay.error(labels)
            replay.step()
        expected.append((loss / 50, errors / 50))
        replay.train()
    np.testing.assert_array_equal(np.array([stats[0], stats[1]]).T, expected)


def test_get_training_stats_checks_validation_labels_before_training():
    rng = np.random.default_rng(6)
    train = rng.standard_normal((20, 6)), rng.integers(0, 4, 20)
    val = rng.standard_normal((10, 6)), np.full(10, 9)
    mlp = make_mlp(criterion=CountingCriterion())
    with pytest.raises(ValueError, match="label 9"):
        get_training_stats(mlp, (train, val, val), 1, 5)
    assert mlp.criterion.calls == 0


class FailsInEval(nn.SoftmaxCrossEntropy):
    def forward(self, predicted, target):
        if not self.is_train:
            raise RuntimeError("evaluation failed")
        return super().forward(predicted, target)


def test_a_failing_evaluation_leaves_the_network_in_training_mode():
    rng = np.random.default_rng(4)
    data = rng.standard_normal((20, 6)), rng.integers(0, 4, 20)
    mlp = make_mlp(num_bn_layers=1, criterion=FailsInEval())
    with pytest.raises(RuntimeError, match="evaluation failed"):
        get_training_stats(mlp, (data, data, data), 1, 8)
    assert mlp.is_train and all(bn.is_train for bn in mlp.bn_layers)
    assert is_grad_enabled()


def test_get_training_stats_checks_its_arguments():
    data = (np.zeros((4, 6)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="nepochs"):
        get_training_stats(make_mlp(), (data, data, data), 0, 2)
    with pytest.raises(ValueError, match="batch_size"):
        get_training_stats(make_mlp(), (data, data, data), 1, -2)
    with pytest.raises(ValueError, match="label 4"):
        get_training_stats(make_mlp(), ((data[0], np.full(4, 4)), data, data), 1, 2)


def mnist_slice(train_count=2000, val_count=1000):
    train_x, train_y, val_x, val_y = load_mnist("mnist-10k", MNIST_10K, download=False)
    return ((train_x[:train_count].reshape(train_count, -1) / 255.0, train_y[:train_count]),
            (val_x[:val_count].reshape(val_count, -1) / 255.0, val_y[:val_count]))


@needs_mnist
def test_validation_error_decreases_on_mnist():
    train, val = mnist_slice()
    mlp = MLP(784, 10, [64, 32], [nn.Sigmoid(), nn.Sigmoid(), nn.Identity()], init.xavier_uniform,
              init.zeros, nn.SoftmaxCrossEntropy(), 0.1, momentum=0.9, num_bn_layers=1)
    stats = get_training_stats(mlp, (train, val, val), 4, 50)
    assert stats[3][-1] < stats[3][0] and stats[3][-1] < 0.2, stats[3]
    assert stats[0][-1] < stats[0][0]


@needs_mnist
def test_handout_sample_network_gets_below_30_percent_validation_error_in_30_epochs():
    """The Spring 2020 handout's network (Xavier weights, zero biases, lr 0.008, momentum 0.9)
    on all of mnist-10k, batch 100; the same network in PyTorch ends near 0.25."""
    train, val = mnist_slice(8000, 2000)
    np.random.seed(0)
    stats = get_training_stats(sample_mlp(), (train, val, val), 30, 100)
    assert stats[3][-1] < 0.30, stats[3]


CURVES = ["training_error.png", "training_loss.png", "validation_error.png",
          "validation_loss.png"]


@needs_mnist
def test_command_line_trains_and_saves_four_plots(tmp_path, capsys):
    assert main(["--data", str(MNIST_10K), "--dataset", "mnist-10k", "--epochs", "1",
                 "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "mnist-10k: 8000 training, 2000 validation samples" in printed
    assert "final validation error" in printed
    assert sorted(p.name for p in tmp_path.glob("*.png")) == CURVES


def test_command_line_loads_with_hw1_mnist(tmp_path, capsys, monkeypatch):
    import hw1.hw1 as hw1_mlp
    import hw1.mnist as hw1_mnist

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), rng.integers(0, 10, 30)
    seen = []

    def fake_load_mnist(dataset, data_dir=None):
        seen.append((dataset, data_dir))
        return images, labels, images[:10], labels[:10]

    monkeypatch.setattr(hw1_mnist, "load_mnist", fake_load_mnist)
    monkeypatch.setattr(hw1_mlp, "default_dataset", lambda data_dir=None: "fashion-mnist")
    assert main(["--epochs", "1", "--batch-size", "7", "--out", str(tmp_path)]) == 0
    assert seen == [("fashion-mnist", None)]  # mnist's default rule, mnist's loader
    assert "fashion-mnist: 30 training, 10 validation samples" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.png")) == CURVES


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "must be a positive integer"),
    (["--batch-size", "-5"], "must be a positive integer"),
    (["--batch-size", "x"], "must be a positive integer"),
    (["--dataset", "cifar"], "invalid choice"),
])
def test_command_line_rejects_bad_arguments_like_hw1_mnist(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_command_line_reports_missing_data_without_a_traceback(tmp_path, capsys):
    # mnist-10k has no download source: load_mnist's own error, not a traceback.
    assert main(["--data", str(tmp_path), "--dataset", "mnist-10k", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not load 'mnist-10k'") and "no download source" in err
    assert "Traceback" not in err and not list(tmp_path.glob("*.png"))


# ------------------------------------------------------------------------ PyTorch

@pytest.mark.parametrize("num_bn_layers", [0, 1])
def test_training_steps_match_pytorch(num_bn_layers):
    torch = pytest.importorskip("torch")
    sizes, lr, momentum = [12, 10, 8, 5], 0.2, 0.9
    mlp = MLP(sizes[0], sizes[-1], sizes[1:-1], [nn.Sigmoid(), nn.Sigmoid(), nn.Identity()],
              init.xavier_uniform, lambda d: np.random.randn(d), nn.SoftmaxCrossEntropy(), lr,
              momentum=momentum, num_bn_layers=num_bn_layers)
    layers = []
    for i, ours in enumerate(mlp.linear_layers):
        linear = torch.nn.Linear(sizes[i], sizes[i + 1]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(ours.weight.data))
            linear.bias.copy_(torch.from_numpy(ours.bias.data))
        layers.append(linear)
        if i < num_bn_layers:
            layers.append(torch.nn.BatchNorm1d(sizes[i + 1]).double())
        layers.append(torch.nn.Sigmoid() if i < len(sizes) - 2 else torch.nn.Identity())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x, labels = rng.standard_normal((9, sizes[0])), one_hot(rng.integers(0, 5, 9), 5)
        mlp.zero_grads()
        mlp.forward(x)
        loss = mlp.backward(labels)
        mlp.step()
        optimizer.zero_grad()
        expected = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)),
                                                     torch.from_numpy(labels))
        expected.backward()
        optimizer.step()
        assert abs(loss.item() - expected.item()) < 1e-8
        theirs, ours = list(model.parameters()), list(mlp.parameters())
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=0, atol=1e-8)
    model.eval()
    mlp.eval()
    x = rng.standard_normal((6, sizes[0]))
    np.testing.assert_allclose(mlp.forward(x).data, model(torch.from_numpy(x)).detach().numpy(),
                               rtol=0, atol=1e-8)


def test_pytorch_style_in_place_initialisers_work_as_init_fns():
    np.random.seed(0)
    mlp = MLP(30, 4, [20], [nn.ReLU(), nn.Identity()], init.xavier_uniform_, init.zeros_,
              nn.SoftmaxCrossEntropy(), 0.1)
    bound = np.sqrt(6 / (30 + 20))  # xavier on the (20, 30) weight
    weight = mlp.linear_layers[0].weight.data
    assert weight.shape == (20, 30) and np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.9 * bound
    assert np.all(mlp.linear_layers[0].bias.data == 0)
    kaiming = MLP(30, 4, [20], [nn.ReLU(), nn.Identity()], init.kaiming_uniform_, init.zeros_,
                  nn.SoftmaxCrossEntropy(), 0.1)
    assert np.abs(kaiming.linear_layers[0].weight.data).max() <= np.sqrt(6 / 30)
