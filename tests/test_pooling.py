"""Max, average and adaptive pooling, 1-d and 2-d: central differences and PyTorch in
float64 (values, gradients and return_indices' indices) over padding, dilation,
ceil_mode, count_include_pad, divisor_override, overlapping windows and odd sizes; ties,
NaNs and -inf routed as PyTorch routes them; float32; unbatched input; the layers'
arguments and repr as PyTorch's; bad input."""
import numpy as np
import pytest

from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

# (function name, input shape, positional arguments after the input), each called as
# F.<name>(x, *arguments) here and torch.nn.functional.<name>(x, *arguments) there.
CASES = [
    ("max_pool2d", (2, 3, 8, 8), (2,)),
    ("max_pool2d", (1, 1, 5, 7), (3, 1)),                          # overlapping windows
    ("max_pool2d", (3, 2, 9, 6), ((3, 2), (2, 1))),                # tuples
    ("max_pool2d", (1, 3, 10, 11), (2, 3)),                        # stride larger than the kernel
    ("max_pool2d", (2, 1, 4, 4), (4,)),                            # kernel as large as the input
    ("max_pool2d", (2, 3, 8, 9), (3, 2, 1, 1, True)),              # padding, ceil_mode
    ("max_pool2d", (2, 2, 9, 10), ((2, 3), (1, 2), (1, 1), (2, 1))),  # dilation
    ("max_pool2d", (1, 2, 7, 7), (2, 2, 1, 1, True)),              # ceil_mode's extra window
    ("max_pool1d", (2, 3, 9), (3, 4)),
    ("max_pool1d", (1, 1, 7), (2, 1)),
    ("max_pool1d", (2, 3, 11), (4, 3, 2, 1, True)),
    ("max_pool1d", (2, 2, 12), (3, 2, 1, 3)),
    ("avg_pool2d", (2, 3, 8, 8), (2,)),
    ("avg_pool2d", (3, 2, 9, 6), ((3, 2), (2, 1))),
    ("avg_pool2d", (1, 3, 10, 11), (2, 3)),
    ("avg_pool2d", (2, 1, 5, 5), (5,)),
    ("avg_pool2d", (2, 3, 8, 9), (3, 2, 1, True)),                 # padding counted, ceil_mode
    ("avg_pool2d", (2, 3, 8, 9), (3, 2, 1, True, False)),          # padding left out of the mean
    ("avg_pool2d", (2, 3, 7, 9), ((3, 2), (2, 1), (1, 1), False, False, 5)),  # divisor_override
    ("avg_pool1d", (2, 3, 9), (2, 1)),
    ("avg_pool1d", (1, 1, 7), (3, 5)),
    ("avg_pool1d", (2, 3, 12), (4, 3, 2, True, False)),
    ("avg_pool2d", (2, 3, 5, 4), (1, 2)),                          # a one-element window
    ("avg_pool1d", (2, 2, 6), (1,)),
    ("max_pool2d", (2, 2, 5, 4), (1, 2)),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ((3, 2),)),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ((3, None),)),           # None keeps the input's size
    ("adaptive_avg_pool2d", (2, 3, 4, 5), ((9, 7),)),              # larger than the input
    ("adaptive_avg_pool2d", (1, 2, 6, 6), (1,)),                   # global average
    ("adaptive_avg_pool1d", (2, 3, 10), (4,)),
    ("adaptive_avg_pool1d", (2, 3, 5), (5,)),
    ("adaptive_max_pool2d", (2, 3, 7, 5), ((3, 4), True)),         # with the indices
    ("adaptive_max_pool2d", (2, 3, 4, 5), ((9, 2), True)),
    ("adaptive_max_pool2d", (2, 2, 6, 6), ((None, 1),)),
    ("adaptive_max_pool1d", (2, 3, 10), (3, True)),
    ("adaptive_max_pool1d", (1, 2, 7), (7,)),
]
IDS = [f"{name}-{shape}-{arguments}" for name, shape, arguments in CASES]
WITH_INDICES = [  # (function name, input shape, arguments): max pooling's return_indices
    ("max_pool2d", (2, 3, 8, 9), (3, 2, 1, 1, True, True)),
    ("max_pool2d", (2, 2, 9, 10), ((2, 3), (1, 2), (1, 1), (2, 1), False, True)),
    ("max_pool2d", (1, 1, 5, 7), (3, 1, 0, 1, False, True)),
    ("max_pool1d", (2, 3, 11), (4, 3, 2, 1, True, True)),
    ("max_pool2d_with_indices", (2, 3, 6, 7), (2, 2, 1)),
    ("max_pool1d_with_indices", (2, 3, 9), (3,)),
    ("adaptive_max_pool2d_with_indices", (2, 3, 7, 5), ((3, 4),)),
    ("adaptive_max_pool1d_with_indices", (2, 3, 10), (4,)),
]


def _distinct(shape, seed=0):
    """Distinct values, so no tie lies within a central difference's step."""
    return np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0


def _output(value):
    return value[0] if isinstance(value, tuple) else value


@pytest.mark.parametrize("name, shape, arguments", CASES, ids=IDS)
def test_pool_against_central_differences(name, shape, arguments):
    x = Tensor(_distinct(shape), requires_grad=True)
    assert gradcheck(lambda x: _output(getattr(F, name)(x, *arguments)), x, eps=1e-4)


def _against_torch(name, data, arguments, rtol, atol):
    """Our output, gradient and indices against torch's for the same output gradient."""
    torch = pytest.importorskip("torch")
    x = Tensor(data, requires_grad=True)
    result = getattr(F, name)(x, *arguments)
    tx = torch.tensor(data, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(tx, *arguments)
    assert isinstance(result, tuple) == isinstance(expected, tuple)
    if isinstance(result, tuple):
        (out, indices), (expected, expected_indices) = result, expected
        assert indices.dtype == np.int64 and not indices.requires_grad
        np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    else:
        out = result
    grad = np.random.default_rng(1).standard_normal(out.shape).astype(data.dtype)
    out.backward(Tensor(grad))
    expected.backward(torch.tensor(grad))
    assert out.shape == tuple(expected.shape) and out.dtype == x.grad.dtype == data.dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("name, shape, arguments", CASES + WITH_INDICES,
                         ids=IDS + [f"{n}-{s}-{a}" for n, s, a in WITH_INDICES])
def test_pool_against_torch(name, shape, arguments, ties):
    rng = np.random.default_rng(1)
    # Small integers tie within a window often: the gradient must go where PyTorch sends it.
    data = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    _against_torch(name, data, arguments, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, shape, arguments", CASES + WITH_INDICES,
                         ids=IDS + [f"{n}-{s}-{a}" for n, s, a in WITH_INDICES])
def test_pool_against_torch_in_float32(name, shape, arguments):
    data = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    _against_torch(name, data, arguments, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, shape, arguments", [
    ("max_pool2d", (3, 8, 9), (3, 2, 1, 1, True, True)),
    ("avg_pool1d", (3, 9), (2,)),
    ("adaptive_avg_pool2d", (2, 7, 5), ((3, 2),)),
    ("adaptive_max_pool1d", (3, 10), (4, True)),
])
def test_an_unbatched_sample_as_torch(name, shape, arguments):
    _against_torch(name, np.random.default_rng(3).standard_normal(shape), arguments,
                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, arguments", [
    ("max_pool2d", (2,)), ("max_pool2d", (3, 1)), ("max_pool2d", (3, 2, 1, 1, True)),
    ("adaptive_max_pool2d", ((2, 3),)),
])
def test_nan_windows_route_the_gradient_as_torch(name, arguments):
    torch = pytest.importorskip("torch")
    data = np.zeros((1, 1, 4, 6))
    data[0, 0, 0, 0] = data[0, 0, 1, 1] = data[0, 0, 2, 5] = data[0, 0, 3, 2] = np.nan
    x = Tensor(data.copy(), requires_grad=True)
    out = getattr(F, name)(x, *arguments)
    out.sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(tx, *arguments)
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_a_window_of_minus_infinity_beside_the_padding_routes_as_torch():
    """The padding counts as -inf, so a window whose input is all -inf ties with it:
    PyTorch sends its gradient (and index) to the window's first element inside the input."""
    torch = pytest.importorskip("torch")
    data = np.full((1, 2, 5, 5), -np.inf)
    data[0, 1, 2:, 2:] = 1.0
    x = Tensor(data.copy(), requires_grad=True)
    out, indices = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    out.sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    expected, expected_indices = torch.nn.functional.max_pool2d(tx, 3, 2, 1, return_indices=True)
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name, arguments", [
    ("max_pool2d", (3, 2, 1, 1, True, True)), ("avg_pool2d", (2,)), ("max_pool1d", (2,)),
    ("adaptive_avg_pool2d", (3,)), ("adaptive_max_pool2d", (3, True)),
])
def test_an_empty_batch_as_torch(name, arguments):
    _against_torch(name, np.zeros((0, 3, 8, 8) if "2d" in name else (0, 3, 8)), arguments,
                   rtol=0, atol=0)


@pytest.mark.parametrize("name, arguments", [
    ("max_pool2d", (3, 2, 1)), ("avg_pool2d", (2, 1, 1, True)), ("adaptive_max_pool2d", (3,)),
    ("adaptive_avg_pool2d", ((3, 2),)),
])
def test_a_transposed_input_as_torch(name, arguments):
    data = np.asfortranarray(np.random.default_rng(5).standard_normal((2, 3, 7, 8)))
    _against_torch(name, data, arguments, rtol=1e-12, atol=1e-12)


def test_ties_go_to_the_first_maximum():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])


def test_a_reused_input_accumulates():
    x = Tensor(_distinct((2, 2, 6, 6)), requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 2) * 2 + F.avg_pool2d(x, 3, 3)[..., :1, :1].sum()
                     + F.adaptive_max_pool2d(x, 3).mean() + F.adaptive_avg_pool2d(x, (2, 5)).sum(),
                     x, eps=1e-4)


@pytest.mark.parametrize("layer", [
    nn.MaxPool2d(2), nn.AvgPool2d((2, 3), 1), nn.MaxPool1d(3, 2), nn.AvgPool1d(2),
    nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.AvgPool2d(3, 2, 1, count_include_pad=False),
    nn.AdaptiveAvgPool1d(4), nn.AdaptiveAvgPool2d((3, 2)), nn.AdaptiveMaxPool1d(4),
    nn.AdaptiveMaxPool2d(3),
], ids=repr)
def test_float32_stays_float32(layer):
    shape = (2, 3, 6, 7) if "2d" in type(layer).__name__ else (2, 3, 9)
    x = Tensor(np.random.default_rng(2).standard_normal(shape).astype(np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("name, arguments, kwargs", [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3, 2, 1, 1, True, True), {}),
    ("MaxPool2d", ((2, 3),), dict(dilation=(1, 2))), ("MaxPool1d", (2,), {}),
    ("MaxPool1d", (3, 1, 1), dict(ceil_mode=True)),
    ("AvgPool2d", (2,), {}), ("AvgPool2d", (3, 1, 1, True, False, 2), {}),
    ("AvgPool1d", (2,), {}), ("AvgPool1d", (3, 2, 1), dict(count_include_pad=False)),
    ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveAvgPool2d", ((3, None),), {}),
    ("AdaptiveMaxPool1d", (3, True), {}), ("AdaptiveMaxPool2d", (2,), dict(return_indices=True)),
])
def test_layers_take_pytorchs_arguments_and_print_as_torch(name, arguments, kwargs):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, name)(*arguments, **kwargs)
    twin = getattr(torch.nn, name)(*arguments, **kwargs)
    assert repr(layer) == repr(twin)
    for attribute in ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices",
                      "count_include_pad", "divisor_override", "output_size"):
        assert getattr(layer, attribute, None) == getattr(twin, attribute, None), attribute
    shape = (2, 3, 7, 8) if "2d" in name else (2, 3, 9)
    data = np.random.default_rng(4).standard_normal(shape)
    ours, theirs = layer(Tensor(data)), twin(torch.tensor(data))
    if isinstance(theirs, tuple):
        np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
        ours, theirs = ours[0], theirs[0]
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_layer_attributes():
    assert (nn.MaxPool2d(2).kernel_size, nn.MaxPool2d(2).stride) == (2, 2)
    assert (nn.AvgPool2d(3, 1).kernel_size, nn.AvgPool2d(3, 1).stride) == (3, 1)
    assert nn.MaxPool2d((2, 3)).stride == (2, 3)
    assert repr(nn.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"


@pytest.mark.parametrize("call, message", [
    (lambda: F.max_pool2d(np.ones((1, 1, 3, 3)), 4),
     r"MaxPool2d: kernel size \(4, 4\) is larger than the input's spatial size \(3, 3\)"),
    (lambda: F.avg_pool2d(np.ones((3, 3)), 2),
     r"AvgPool2d: expected an input of 4 dimensions \(B, C, H, W\) or 3 \(C, H, W\), got shape \(3, 3\)"),
    (lambda: F.max_pool1d(np.ones((1, 2, 3, 3)), 2),
     r"MaxPool1d: expected an input of 3 dimensions \(B, C, W\) or 2 \(C, W\), got shape \(1, 2, 3, 3\)"),
    (lambda: F.adaptive_avg_pool2d(np.ones(()), 2),
     r"AdaptiveAvgPool2d: expected an input of 4 dimensions \(B, C, H, W\) or 3 \(C, H, W\), got shape \(\)"),
    (lambda: F.avg_pool1d(np.ones((1, 2, 6)), 0), r"AvgPool1d: kernel_size must be a positive"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 2, (0, 1)), r"MaxPool2d: stride must be .*\(0, 1\)"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 3, 1, 2),
     r"MaxPool2d: padding \(2, 2\) must be at most half of the kernel size \(3, 3\) \(with dilation \(1, 1\)\)"),
    (lambda: F.max_pool1d(np.ones((1, 2, 6)), 2, 1, -1), r"MaxPool1d: padding must be a non-negative"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 2, dilation=0), r"MaxPool2d: dilation must be .*got 0"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 2, ceil_mode="yes"),
     r"MaxPool2d: ceil_mode must be True or False, got 'yes'"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 2, return_indices=1),
     r"MaxPool2d: return_indices must be True or False, got 1"),
    (lambda: F.avg_pool2d(np.ones((1, 2, 6, 6)), 2, count_include_pad=None),
     r"AvgPool2d: count_include_pad must be True or False, got None"),
    (lambda: F.avg_pool2d(np.ones((1, 2, 6, 6)), 2, divisor_override=0),
     r"AvgPool2d: divisor_override must be a positive integer, got 0"),
    (lambda: F.adaptive_avg_pool2d(np.ones((1, 2, 6, 6)), 0),
     r"AdaptiveAvgPool2d: output_size must be a positive integer or a sequence of 2 .*got 0"),
    (lambda: F.adaptive_max_pool2d(np.ones((1, 2, 6, 6)), (2, 3, 4)),
     r"AdaptiveMaxPool2d: output_size must be .*got \(2, 3, 4\)"),
    (lambda: F.adaptive_max_pool1d(np.ones((1, 2, 6)), 2.5), r"AdaptiveMaxPool1d: output_size must be"),
    (lambda: F.adaptive_max_pool2d(np.ones((2, 3, 0, 8)), 2),
     r"AdaptiveMaxPool2d: expected an input with non-zero sizes except the batch's, got shape \(2, 3, 0, 8\)"),
    (lambda: nn.MaxPool2d(-1), r"MaxPool2d: kernel_size must be .*-1"),
    (lambda: nn.AvgPool1d(2, 0), r"AvgPool1d: stride must be a positive integer .*0"),
    (lambda: nn.AvgPool2d(2)(np.ones((1, 1, 1, 5))), r"AvgPool2d: kernel size \(2, 2\) is larger"),
    (lambda: nn.MaxPool1d(2, padding=2), r"MaxPool1d: padding \(2,\) must be at most half"),
    (lambda: nn.AvgPool2d(2, divisor_override=-3), r"AvgPool2d: divisor_override must be a positive"),
    (lambda: nn.AdaptiveAvgPool2d((2, -1)), r"AdaptiveAvgPool2d: output_size must be .*\(2, -1\)"),
    (lambda: nn.AdaptiveMaxPool2d(2, return_indices="no"),
     r"AdaptiveMaxPool2d: return_indices must be True or False"),
])
def test_bad_input_names_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
