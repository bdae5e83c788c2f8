"""The handout's MLPs against PyTorch in float64: 5 SGD training steps, then 5 eval steps.

Values, gradients, parameters and BatchNorm running statistics must agree to 1e-8.
"""
import numpy as np
import pytest

from mytorch import Tensor, nn, optim

torch = pytest.importorskip("torch")

ARCHITECTURES = {
    "linear-relu": lambda: [nn.Linear(10, 8), nn.ReLU()],
    "linear-bn-relu-linear-bn-relu": lambda: [nn.Linear(10, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                              nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU()],
    "handout": lambda: [nn.Linear(10, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5)],
}


def _torch_twin(layers):
    """The same network in torch, with our initial parameters copied in."""
    twins = []
    for layer in layers:
        if isinstance(layer, nn.Linear):
            twin = torch.nn.Linear(layer.in_features, layer.out_features).double()
            twin.weight.data = torch.tensor(layer.weight.data.copy())
            twin.bias.data = torch.tensor(layer.bias.data.copy())
        elif isinstance(layer, nn.BatchNorm1d):
            twin = torch.nn.BatchNorm1d(layer.num_features, eps=layer.eps, momentum=layer.momentum).double()
        else:
            twin = torch.nn.ReLU()
        twins.append(twin)
    return torch.nn.Sequential(*twins)


def _compare(ours, theirs, rtol=1e-8, atol=1e-10):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


def _forward_backward(model, twin, x, labels):
    """One forward and backward through both networks; compare what they computed."""
    inputs = Tensor(x, requires_grad=True)
    twin_inputs = torch.tensor(x, requires_grad=True)
    out, twin_out = model(inputs), twin(twin_inputs)
    loss = nn.CrossEntropyLoss()(out, Tensor(labels))
    twin_loss = torch.nn.CrossEntropyLoss()(twin_out, torch.tensor(labels))
    loss.backward()
    twin_loss.backward()
    _compare(out.data, twin_out)
    _compare(loss.data, twin_loss)
    _compare(inputs.grad.data, twin_inputs.grad)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_training_and_evaluation_match_torch(name, momentum):
    np.random.seed(0)
    rng = np.random.default_rng(1)
    layers = ARCHITECTURES[name]()
    model = nn.Sequential(*layers)
    twin = _torch_twin(layers)
    classes = layers[-1].out_features if isinstance(layers[-1], nn.Linear) else 6
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=momentum)

    for _ in range(5):
        optimizer.zero_grad()
        twin_optimizer.zero_grad()
        _forward_backward(model, twin, rng.standard_normal((16, 10)), rng.integers(0, classes, 16))
        for p, q in zip(model.parameters(), twin.parameters()):
            _compare(p.grad.data, q.grad)
        optimizer.step()
        twin_optimizer.step()
        for p, q in zip(model.parameters(), twin.parameters()):
            _compare(p.data, q)

    model.eval()
    twin.eval()
    for _ in range(5):
        _forward_backward(model, twin, rng.standard_normal((16, 10)), rng.integers(0, classes, 16))
    for layer, twin_layer in zip(layers, twin):
        if isinstance(layer, nn.BatchNorm1d):
            _compare(layer.running_mean.data, twin_layer.running_mean)
            _compare(layer.running_var.data, twin_layer.running_var)
