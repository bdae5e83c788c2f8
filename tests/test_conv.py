"""Conv1d and Conv2d: central differences and PyTorch in float64 over odd sizes, a stride
larger than the kernel, a kernel as large as the input, batch 1, one channel, padding
(also 'same' and 'valid'), dilation, groups and tuple arguments, in both column layouts;
float32 end to end; unbatched input; the layers' arguments, initialisation and repr; bad
input."""
import math

import numpy as np
import pytest

from mytorch import Tensor, nn, optim
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F
from mytorch.ops import conv as conv_ops

# (input shape, weight shape, the other arguments)
CONV1D_CASES = [
    ((2, 3, 11), (4, 3, 3), dict(stride=1, padding=0)),
    ((3, 2, 10), (5, 2, 2), dict(stride=4, padding=0)),      # stride larger than the kernel
    ((1, 1, 7), (2, 1, 7), dict(stride=1, padding=0)),       # kernel as wide as the input, batch 1
    ((2, 3, 9), (2, 3, 4), dict(stride=2, padding=2)),       # padding
    ((1, 1, 1), (1, 1, 1), dict(stride=1, padding=0)),
    ((2, 2, 5), (3, 2, 7), dict(stride=1, padding=1)),       # padding makes room for a wider kernel
    ((2, 4, 13), (4, 2, 4), dict(padding="same", dilation=3, groups=2)),  # even kernel: uneven padding
    ((2, 4, 13), (2, 4, 3), dict(stride=2, padding=2, dilation=2)),
    ((1, 3, 8), (6, 1, 3), dict(padding="valid", groups=3)),  # depthwise, two outputs per channel
]
CONV2D_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0))),
    ((1, 1, 5, 5), (2, 1, 5, 5), dict(stride=1, padding=0)),
    ((2, 2, 9, 8), (3, 2, 2, 2), dict(stride=3, padding=1)),
    ((3, 1, 6, 7), (1, 1, 3, 3), dict(stride=(1, 2), padding=(2, 1))),
    ((1, 2, 4, 4), (2, 2, 1, 1), dict(stride=1, padding=0)),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(padding="same", dilation=(2, 1), groups=2)),
    ((1, 3, 10, 9), (4, 3, 4, 4), dict(padding="same")),    # even kernel: one more row and column after
    ((2, 4, 7, 6), (4, 1, 3, 3), dict(stride=(2, 1), padding=(1, 2), groups=4)),  # depthwise
    ((2, 3, 12, 9), (4, 3, 2, 3), dict(stride=3, padding="valid", dilation=2)),
    ((2, 8, 12, 12), (16, 8, 5, 5), dict()),                # the MNIST example's second layer
]
CASES = ([(F.conv1d, "conv1d") + case for case in CONV1D_CASES]
         + [(F.conv2d, "conv2d") + case for case in CONV2D_CASES])
IDS = [f"{name}-{x}-{w}-" + "-".join(f"{k}{v}" for k, v in kwargs.items()) for _, name, x, w, kwargs in CASES]
# Central differences take two forward passes per input element: the small cases only.
SMALL = [(case, name) for case, name in zip(CASES, IDS) if math.prod(case[2]) + math.prod(case[3]) <= 1000]


@pytest.fixture(params=["per-sample", "batch-last"])
def layout(request, monkeypatch):
    """Each test runs with the columns in one layout: the cost model's choice is forced
    (never batch-last, or batch-last whenever the input gradient is needed)."""
    monkeypatch.setattr(conv_ops, "ROW_COST", 0 if request.param == "per-sample" else 10 ** 9)
    return request.param


def _tensors(x_shape, w_shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in (x_shape, w_shape, w_shape[:1])]


@pytest.mark.parametrize("conv, name, x_shape, w_shape, kwargs", [case for case, _ in SMALL],
                         ids=[name for _, name in SMALL])
def test_conv_against_central_differences(conv, name, x_shape, w_shape, kwargs, layout):
    x, w, b = _tensors(x_shape, w_shape)
    assert gradcheck(lambda x, w, b: conv(x, w, b, **kwargs), x, w, b)
    assert gradcheck(lambda x, w: conv(x, w, None, **kwargs), x, w)  # no bias


def _against_torch(conv, name, x, w, b, kwargs, rtol, atol):
    """Our output and gradients against torch's for the same arguments and output gradient."""
    torch = pytest.importorskip("torch")
    out = conv(x, w, b, **kwargs)
    grad = np.random.default_rng(2).standard_normal(out.shape).astype(out.dtype)
    out.backward(Tensor(grad))
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    expected = getattr(torch.nn.functional, name)(tx, tw, tb, **kwargs)
    expected.backward(torch.tensor(grad))
    assert out.shape == tuple(expected.shape) and out.dtype == x.dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        assert ours.grad.dtype == ours.dtype
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=rtol, atol=atol)
    assert out.data.flags.c_contiguous and x.grad.data.flags.c_contiguous  # as PyTorch's, so .view works


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own padded copy
@pytest.mark.parametrize("conv, name, x_shape, w_shape, kwargs", CASES, ids=IDS)
def test_conv_against_torch(conv, name, x_shape, w_shape, kwargs, layout):
    x, w, b = _tensors(x_shape, w_shape, seed=1)
    _against_torch(conv, name, x, w, b, kwargs, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("conv, name, x_shape, w_shape, kwargs", CASES, ids=IDS)
def test_conv_against_torch_in_float32(conv, name, x_shape, w_shape, kwargs, layout):
    x, w, b = _tensors(x_shape, w_shape, seed=3, dtype=np.float32)
    _against_torch(conv, name, x, w, b, kwargs, rtol=1e-4, atol=1e-4)


def test_the_layout_follows_the_measured_cost_model():
    """Batch-last columns for the MNIST example's second convolution (short output rows,
    25 offsets to fold); one matrix per sample for its first (no input gradient) and for
    wide outputs, where transposing costs more than the fold's rows save."""
    assert conv_ops._batch_last((5, 5), 8, 16, (12, 12), (8, 8))
    assert not conv_ops._batch_last((5, 5), 1, 8, (28, 28), (24, 24))
    assert not conv_ops._batch_last((3, 3), 3, 16, (32, 32), (30, 30))
    assert conv_ops._batch_last((3, 3), 64, 64, (8, 8), (6, 6))
    for needs_x, expected in ((True, True), (False, False)):
        x, w, _ = _tensors((2, 8, 12, 12), (16, 8, 5, 5))
        x.requires_grad = needs_x
        out = F.conv2d(x, w)
        assert out.grad_fn.ctx.batch_last is expected


def test_the_two_layouts_agree(monkeypatch):
    x, w, b = _tensors((3, 8, 12, 11), (16, 8, 5, 5))
    results = []
    for cost in (0, 10 ** 9):
        monkeypatch.setattr(conv_ops, "ROW_COST", cost)
        for t in (x, w, b):
            t.grad = None
        out = F.conv2d(x, w, b, padding=1)
        out.backward(Tensor(np.cos(out.data)))
        assert out.grad_fn.ctx.batch_last is (cost > 0)
        results.append([out.data, x.grad.data, w.grad.data, b.grad.data])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("conv, name, x_shape, w_shape, kwargs", [
    (F.conv1d, "conv1d", (3, 9), (4, 3, 2), dict(padding="same")),
    (F.conv2d, "conv2d", (2, 7, 6), (4, 1, 3, 3), dict(stride=2, padding=1, groups=2)),
])
def test_an_unbatched_sample_as_torch(conv, name, x_shape, w_shape, kwargs, layout):
    x, w, b = _tensors(x_shape, w_shape, seed=4)
    _against_torch(conv, name, x, w, b, kwargs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("conv, name, x_shape, w_shape, kwargs", [
    (F.conv1d, "conv1d", (0, 3, 9), (4, 3, 2), dict(padding="same")),
    (F.conv2d, "conv2d", (0, 4, 7, 6), (4, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
])
def test_an_empty_batch_as_torch(conv, name, x_shape, w_shape, kwargs, layout):
    x, w, b = _tensors(x_shape, w_shape)
    _against_torch(conv, name, x, w, b, kwargs, rtol=0, atol=0)


def test_a_transposed_input_as_a_contiguous_one(layout):
    """The windows are read through the input's own strides, whatever its memory order."""
    x, w, b = _tensors((2, 3, 8, 9), (4, 3, 3, 3))
    strided = Tensor(np.asfortranarray(x.data), requires_grad=True)
    for tensor in (x, strided):
        F.conv2d(tensor, w, b, 2, 1).backward(Tensor(np.ones((2, 4, 4, 5))))
    np.testing.assert_array_equal(strided.grad.data, x.grad.data)
    assert gradcheck(lambda x, w: F.conv2d(x, w, None, 1, "same"), strided, w)


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
    assert F.get_conv1d_output_size(10, 3, 1, dilation=4) == 2
    assert type(F.get_conv1d_output_size(np.int64(9), 3, 2)) is int
    with pytest.raises(ValueError, match="kernel size .*larger than the input"):
        F.get_conv1d_output_size(3, 5, 1)
    with pytest.raises(ValueError, match=r"kernel size \(3,\) with dilation \(5,\) is larger"):
        F.get_conv1d_output_size(10, 3, 1, dilation=5)


@pytest.mark.parametrize("layer_class, args, fan_in, weight_shape", [
    (nn.Conv1d, (3, 4, 5), 15, (4, 3, 5)),
    (nn.Conv2d, (2, 6, 3), 18, (6, 2, 3, 3)),
    (nn.Conv2d, (2, 6, (3, 5), (1, 2)), 30, (6, 2, 3, 5)),
    (nn.Conv2d, (4, 6, 3, 1, 1, 1, 2), 18, (6, 2, 3, 3)),    # groups: fan_in counts one group
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


def test_reset_parameters_draws_afresh_into_the_same_tensors():
    np.random.seed(1)
    layer = nn.Conv2d(4, 6, 3, groups=2)
    weight, bias, before = layer.weight, layer.bias, layer.weight.data.copy()
    layer.reset_parameters()
    assert layer.weight is weight and layer.bias is bias
    assert not np.array_equal(weight.data, before)
    assert np.abs(weight.data).max() <= 1 / math.sqrt(18) and np.abs(bias.data).max() <= 1 / math.sqrt(18)
    np.random.seed(1)
    assert np.array_equal(nn.Conv2d(4, 6, 3, groups=2).weight.data, before)  # seeded: reproducible


def test_layer_attributes_and_forward_match_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1)
    assert (layer.in_channel, layer.out_channel) == (3, 5)  # the handout's names
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 2), (2, 1), (1, 1))
    twin = torch.nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1).double()
    twin.weight.data, twin.bias.data = torch.tensor(layer.weight.data), torch.tensor(layer.bias.data)
    x = np.random.default_rng(3).standard_normal((2, 3, 8, 7))
    np.testing.assert_allclose(layer(x).data, twin(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    conv1 = nn.Conv1d(24, 8, 8, 4)
    assert (conv1.kernel_size, conv1.stride, conv1.padding, conv1.dilation) == (8, 4, 0, 1)
    assert repr(conv1) == "Conv1d(24, 8, kernel_size=8, stride=4)"  # PyTorch's: defaults left out
    assert nn.Conv1d(2, 3, 2, bias=False).bias is None


@pytest.mark.parametrize("args, kwargs", [
    ((4, 6, 3, 1, 1, 2, 2, False), {}),              # PyTorch's positional order
    ((2, 4, (3, 2)), dict(stride=2, padding=(1, 0), dilation=(1, 2))),
    ((2, 4, 3), dict(padding="same", groups=2)),
    ((2, 4, 3), dict(padding="valid")),
    ((1, 8, 5), {}),
])
def test_conv2d_layer_arguments_and_repr_as_torch(args, kwargs, layout):
    torch = pytest.importorskip("torch")
    layer, twin = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs).double()
    assert repr(layer) == repr(twin)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "groups", "padding_mode"):
        assert getattr(layer, name) == getattr(twin, name), name
    assert layer.weight.shape == tuple(twin.weight.shape)
    assert (layer.bias is None) == (twin.bias is None)
    twin.weight.data = torch.tensor(layer.weight.data)
    if layer.bias is not None:
        twin.bias.data = torch.tensor(layer.bias.data)
    data = np.random.default_rng(5).standard_normal((2, args[0], 9, 8))
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = layer(x), twin(tx)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, twin.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv1d_layer_keeps_the_handouts_ints_and_takes_pytorchs_arguments():
    torch = pytest.importorskip("torch")
    layer = nn.Conv1d(4, 2, 3, 2, "valid", 2, 2, False)
    twin = torch.nn.Conv1d(4, 2, 3, 2, "valid", 2, 2, False)
    assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == (3, 2, "valid", 2)
    assert (twin.kernel_size, twin.stride, twin.padding, twin.dilation) == ((3,), (2,), "valid", (2,))
    assert (layer.groups, layer.in_channels, layer.out_channels) == (2, 4, 2)
    assert repr(layer) == "Conv1d(4, 2, kernel_size=3, stride=2, padding=valid, dilation=2, groups=2, bias=False)"
    assert nn.Conv1d(2, 2, 3, padding="same").padding == "same"


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
    (lambda: F.conv2d(np.ones((1, 4, 6, 6)), np.ones((2, 2, 2, 2)), groups=3),
     r"Conv2d: the input has 4 channels .* expects 6 \(2 per group, groups=3\)"),
    (lambda: F.conv2d(np.ones((1, 4, 6, 6)), np.ones((3, 2, 2, 2)), groups=2),
     r"Conv2d: the weight's 3 output channels \(shape \(3, 2, 2, 2\)\) are not divisible by groups=2"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 2, 2, 2)), groups=0),
     r"Conv2d: groups must be a positive integer, got 0"),
    (lambda: F.conv1d(np.ones((1, 2, 6)), np.ones((1, 2, 2)), dilation=0),
     r"Conv1d: dilation must be a positive integer .*got 0"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 2, 3, 3)), dilation=3),
     r"Conv2d: kernel size \(3, 3\) with dilation \(3, 3\) is larger than the input's spatial size"),
    (lambda: F.conv2d(np.ones((1, 2, 6, 6)), np.ones((1, 2, 2, 2)), stride=2, padding="same"),
     r"Conv2d: padding='same' is not supported for strided convolutions \(stride \(2, 2\)\)"),
    (lambda: F.conv1d(np.ones((1, 2, 6)), np.ones((1, 2, 2)), padding="full"),
     r"Conv1d: padding must be one of 'same', 'valid', got 'full'"),
    (lambda: F.conv1d(np.ones(()), np.ones((1, 2, 2))),
     r"Conv1d: expected an input of 3 dimensions \(B, C, W\) or 2 \(C, W\), got shape \(\)"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), r"Conv2d: out_channels \(6\) must be divisible by groups \(4\)"),
    (lambda: nn.Conv2d(3, 6, 3, groups=2), r"Conv2d: in_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv1d(2, 2, 3, stride=2, padding="same"), r"Conv1d: padding='same' is not supported"),
    (lambda: nn.Conv2d(2, 2, 3, padding_mode="reflect"),
     r"Conv2d: padding_mode must be one of 'zeros', got 'reflect'"),
    (lambda: nn.Conv2d(2, 2, 3, dilation=(1, 0)), r"Conv2d: dilation must be .*got \(1, 0\)"),
    (lambda: nn.Conv2d(2, 2, 3, bias="yes"), r"Conv2d: bias must be True or False, got 'yes'"),
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
