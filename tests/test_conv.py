"""Conv1d and Conv2d: central differences and PyTorch in float64 over odd sizes, a stride
larger than the kernel, a kernel as large as the input, batch 1, one channel, padding and
tuple arguments; float32 end to end; the layers' initialisation; bad input."""
import math

import numpy as np
import pytest

from mytorch import Tensor, nn, optim
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

# (input shape, weight shape, stride, padding)
CONV1D_CASES = [
    ((2, 3, 11), (4, 3, 3), 1, 0),
    ((3, 2, 10), (5, 2, 2), 4, 0),      # stride larger than the kernel
    ((1, 1, 7), (2, 1, 7), 1, 0),       # kernel as wide as the input, batch 1, one channel
    ((2, 3, 9), (2, 3, 4), 2, 2),       # padding
    ((1, 1, 1), (1, 1, 1), 1, 0),
    ((2, 2, 5), (3, 2, 7), 1, 1),       # padding makes room for a wider kernel
]
CONV2D_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 0)),
    ((1, 1, 5, 5), (2, 1, 5, 5), 1, 0),
    ((2, 2, 9, 8), (3, 2, 2, 2), 3, 1),
    ((3, 1, 6, 7), (1, 1, 3, 3), (1, 2), (2, 1)),
    ((1, 2, 4, 4), (2, 2, 1, 1), 1, 0),
]
CASES = ([(F.conv1d, "conv1d") + case for case in CONV1D_CASES]
         + [(F.conv2d, "conv2d") + case for case in CONV2D_CASES])
IDS = [f"{name}-{x}-{w}-s{s}-p{p}" for _, name, x, w, s, p in CASES]


def _tensors(x_shape, w_shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in (x_shape, w_shape, w_shape[:1])]


@pytest.mark.parametrize("conv, name, x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_conv_against_central_differences(conv, name, x_shape, w_shape, stride, padding):
    x, w, b = _tensors(x_shape, w_shape)
    assert gradcheck(lambda x, w, b: conv(x, w, b, stride, padding), x, w, b)
    assert gradcheck(lambda x, w: conv(x, w, None, stride, padding), x, w)  # no bias


@pytest.mark.parametrize("conv, name, x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_conv_against_torch(conv, name, x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    x, w, b = _tensors(x_shape, w_shape, seed=1)
    out = conv(x, w, b, stride, padding)
    grad = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(Tensor(grad))
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    expected = getattr(torch.nn.functional, name)(tx, tw, tb, stride, padding)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert out.data.flags.c_contiguous  # as PyTorch's, so .view works on it


def test_a_reused_input_and_weight_accumulate():
    x, w, b = _tensors((2, 3, 8), (2, 3, 3))
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b) + F.conv1d(x, w, b, 2)[..., :1] * 3, x, w, b)


def test_float32_stays_float32_with_gradients():
    x, w, b = _tensors((2, 3, 9, 8), (4, 3, 3, 3), dtype=np.float32)
    out = F.conv2d(x, w, b, 2, 1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    layer = nn.Conv1d(3, 2, 3).float()
    y = layer(Tensor(np.ones((1, 3, 5), np.float32)))
    y.sum().backward()
    assert y.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32


def test_integer_input_is_promoted():
    w = Tensor(np.ones((1, 1, 2)))
    out = F.conv1d(Tensor(np.arange(4).reshape(1, 1, 4)), w)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.data, [[[1.0, 3.0, 5.0]]])


def test_get_conv1d_output_size_is_a_python_int():
    assert F.get_conv1d_output_size(60, 5, 1) == 56
    assert F.get_conv1d_output_size(56, 6, 2) == 26
    assert F.get_conv1d_output_size(10, 3, 4, padding=1) == 3
    assert type(F.get_conv1d_output_size(np.int64(9), 3, 2)) is int
    with pytest.raises(ValueError, match="kernel size .*larger than the input"):
        F.get_conv1d_output_size(3, 5, 1)


@pytest.mark.parametrize("layer_class, args, fan_in, weight_shape", [
    (nn.Conv1d, (3, 4, 5), 15, (4, 3, 5)),
    (nn.Conv2d, (2, 6, 3), 18, (6, 2, 3, 3)),
    (nn.Conv2d, (2, 6, (3, 5), (1, 2)), 30, (6, 2, 3, 5)),
])
def test_layers_initialise_as_pytorch(layer_class, args, fan_in, weight_shape):
    np.random.seed(0)
    layer = layer_class(*args)
    bound = 1 / math.sqrt(fan_in)
    assert layer.weight.shape == weight_shape and layer.bias.shape == weight_shape[:1]
    for param in (layer.weight, layer.bias):
        assert param.requires_grad and param.is_parameter and param.is_leaf
        assert np.all(np.abs(param.data) <= bound)
    assert np.abs(layer.weight.data).max() > 0.8 * bound  # the whole range, not a smaller one
    assert "U(-1/sqrt(fan_in), 1/sqrt(fan_in))" in layer_class.__doc__
    assert list(layer.parameters()) == [layer.weight, layer.bias]


def test_layer_attributes_and_forward_match_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1)
    assert (layer.in_channel, layer.out_channel) == (3, 5)
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 2), (2, 1), (1, 1))
    twin = torch.nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1).double()
    twin.weight.data, twin.bias.data = torch.tensor(layer.weight.data), torch.tensor(layer.bias.data)
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 7))
    np.testing.assert_allclose(layer(x).data, twin(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    conv1 = nn.Conv1d(24, 8, 8, 4)
    assert (conv1.kernel_size, conv1.stride, conv1.padding) == (8, 4, 0)
    assert repr(conv1) == "Conv1d(24, 8, kernel_size=8, stride=4)"  # PyTorch's: defaults left out
    assert nn.Conv1d(2, 3, 2, bias=False).bias is None


def test_flatten():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    out = nn.Flatten()(x)
    assert out.shape == (2, 12)
    out.backward(Tensor(np.arange(24.0).reshape(2, 12)))
    np.testing.assert_array_equal(x.grad.data, np.arange(24.0).reshape(2, 3, 4))
    with pytest.raises(ValueError, match="Flatten: .*0-d"):
        nn.Flatten()(Tensor(1.0))


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv1d(np.ones((1, 2, 3)), np.ones((1, 2, 5))),
     r"Conv1d: kernel size \(5,\) is larger than the input's spatial size \(3,\).*\(1, 2, 3\)"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 3, 2, 2))),
     r"Conv2d: the input has 2 channels \(shape \(1, 2, 6, 6\)\) but the weight of shape "
     r"\(1, 3, 2, 2\) expects 3"),
    (lambda: F.conv2d(np.ones((6, 6)), np.ones((1, 2, 2, 2))),
     r"Conv2d: expected an input of 4 dimensions \(B, C, H, W\) or 3 \(C, H, W\), got shape \(6, 6\)"),
    (lambda: F.conv1d(np.ones((1, 2, 6)), np.ones((1, 2, 2, 2))),
     r"Conv1d: expected a weight of 3 dimensions .*got shape \(1, 2, 2, 2\)"),
    (lambda: F.conv1d(np.ones((1, 2, 6)), np.ones((1, 2, 2)), stride=0),
     r"Conv1d: stride must be a positive integer .*got 0"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 2, 2, 2)), stride=(1, -2)),
     r"Conv2d: stride must be .*got \(1, -2\)"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 2, 2, 2)), padding=-1),
     r"Conv2d: padding must be a non-negative integer .*got -1"),
    (lambda: F.conv1d(np.ones((1, 2, 6)), np.ones((3, 2, 2)), np.ones(2)),
     r"Conv1d: bias of shape \(2,\) for a weight of shape \(3, 2, 2\)"),
    (lambda: nn.Conv1d(2, 3, 0), r"Conv1d: kernel_size must be a positive integer .*got 0"),
    (lambda: nn.Conv2d(2, 0, 3), r"Conv2d: out_channels must be a positive integer, got 0"),
    (lambda: nn.Conv2d(2, 3, (3, 3, 3)), r"Conv2d: kernel_size must be .*2 positive integers"),
    (lambda: nn.Conv1d(2, 3, 2)(np.ones((1, 3, 6))), r"Conv1d: the input has 3 channels"),
    (lambda: nn.Conv2d(1, 1, 5)(np.ones((1, 1, 4, 9))), r"Conv2d: kernel size \(5, 5\) is larger"),
])
def test_bad_input_names_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_mnist_cnn_trains_in_float32_end_to_end():
    from examples.mnist_cnn import build_model

    np.random.seed(0)
    model = build_model().float()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = rng.random((5, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 5)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        out = model(Tensor(x))
        loss = nn.CrossEntropyLoss()(out, Tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        assert out.dtype == loss.dtype == np.float32
        assert all(p.dtype == p.grad.dtype == np.float32 for p in model.parameters())
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("op, x_shape, w_shape", [
    ("Conv1d", (2, 3, 8), (4, 3, 3)),
    ("Conv2d", (2, 3, 6, 5), (4, 3, 3, 2)),
])
def test_conv_op_applied_without_a_bias_backpropagates(op, x_shape, w_shape):
    """The handout's tests call the ops directly and may leave the bias out: backward
    must not ask about an argument that was never passed."""
    from mytorch import ops
    x, w, _ = _tensors(x_shape, w_shape)
    assert gradcheck(lambda a, b: getattr(ops, op).apply(a, b), x, w)
