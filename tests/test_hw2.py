"""hw2: the scanning MLPs against the MLP applied window by window, the CNN against
PyTorch, and get_final_conv_output_size."""
import numpy as np
import pytest

from autograder.hw2_autograder.test_models import distributed_mlp_weights, mlp_scan
from hw2.hw2 import CNN, get_final_conv_output_size
from hw2.mlp_scan import CNN_DistributedScanningMLP, CNN_SimpleScanningMLP
from mytorch import Tensor, nn, optim


@pytest.mark.parametrize("network, distributed", [(CNN_SimpleScanningMLP, False),
                                                  (CNN_DistributedScanningMLP, True)])
def test_scanning_mlps_are_the_mlp_applied_window_by_window(network, distributed):
    rng = np.random.default_rng(0)
    weights = (distributed_mlp_weights(rng) if distributed
               else [rng.standard_normal(s) for s in ((8, 192), (16, 8), (4, 16))])
    net = network()
    net.init_weights([w.copy() for w in weights])
    x = rng.standard_normal((2, 24, 128))
    out = net(Tensor(x))
    assert out.shape == (2, 124)
    np.testing.assert_allclose(out.data, mlp_scan(x, weights), rtol=1e-12, atol=1e-12)
    # The weights stay trainable leaf parameters with no graph, and the network trains.
    convs = [layer for layer in net.layers if isinstance(layer, nn.Conv1d)]
    params = list(net.layers.parameters())
    assert len(params) == 6 and all(p.is_leaf and p.requires_grad and p.is_parameter
                                    and p.grad_fn is None for p in params)
    assert params[0] is convs[0].weight
    out.sum().backward()
    assert all(p.grad is not None for p in params)
    # The (in_features, out_features) layout is recognised by its shape.
    twin = network()
    twin.init_weights([w.T.copy() for w in weights])
    np.testing.assert_array_equal(twin(Tensor(x)).data, out.data)


def test_init_weights_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"weight 1 has shape \(8, 8\), expected \(16, 8\)"):
        CNN_SimpleScanningMLP().init_weights([np.ones((8, 192)), np.ones((8, 8)), np.ones((4, 16))])


def test_final_conv_output_size_follows_the_layers():
    layers = list(CNN().layers)
    assert get_final_conv_output_size(layers, 60) == 13
    assert get_final_conv_output_size(layers, 100) == 23
    assert get_final_conv_output_size([nn.Conv1d(1, 1, 3, 2, padding=1), nn.ReLU()], 10) == 5
    assert CNN().layers[-1].in_features == 14 * 13


def test_cnn_matches_torch_forward_backward_and_step():
    torch = pytest.importorskip("torch")
    np.random.seed(0)
    model = CNN()
    twins = []
    for layer in model.layers:
        if isinstance(layer, nn.Conv1d):
            twin = torch.nn.Conv1d(layer.in_channel, layer.out_channel, layer.kernel_size,
                                   layer.stride).double()
        elif isinstance(layer, nn.Linear):
            twin = torch.nn.Linear(layer.in_features, layer.out_features).double()
        else:
            twin = {nn.Tanh: torch.nn.Tanh, nn.ReLU: torch.nn.ReLU, nn.Sigmoid: torch.nn.Sigmoid,
                    nn.Flatten: torch.nn.Flatten}[type(layer)]()
        if hasattr(layer, "weight"):
            twin.weight.data = torch.tensor(layer.weight.data.copy())
            twin.bias.data = torch.tensor(layer.bias.data.copy())
        twins.append(twin)
    twin = torch.nn.Sequential(*twins)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x, labels = rng.standard_normal((4, 24, 60)), rng.integers(0, 10, 4)
        optimizer.zero_grad()
        twin_optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(Tensor(x)), Tensor(labels))
        twin_loss = torch.nn.CrossEntropyLoss()(twin(torch.tensor(x)), torch.tensor(labels))
        loss.backward()
        twin_loss.backward()
        optimizer.step()
        twin_optimizer.step()
        np.testing.assert_allclose(loss.item(), twin_loss.item(), rtol=1e-10)
    for ours, theirs in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
