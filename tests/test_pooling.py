"""MaxPool1d/2d and AvgPool1d/2d: central differences and PyTorch in float64, ties and
NaNs routed as PyTorch routes them, overlapping windows, float32, bad input."""
import numpy as np
import pytest

from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

# (ours, torch's name, input shape, kernel_size, stride)
CASES = [
    (F.max_pool2d, "max_pool2d", (2, 3, 8, 8), 2, None),
    (F.max_pool2d, "max_pool2d", (1, 1, 5, 7), 3, 1),             # overlapping windows
    (F.max_pool2d, "max_pool2d", (3, 2, 9, 6), (3, 2), (2, 1)),   # tuples
    (F.max_pool2d, "max_pool2d", (1, 3, 10, 11), 2, 3),           # stride larger than the kernel
    (F.max_pool2d, "max_pool2d", (2, 1, 4, 4), 4, None),          # kernel as large as the input
    (F.max_pool1d, "max_pool1d", (2, 3, 9), 3, 4),
    (F.max_pool1d, "max_pool1d", (1, 1, 7), 2, 1),
    (F.avg_pool2d, "avg_pool2d", (2, 3, 8, 8), 2, None),
    (F.avg_pool2d, "avg_pool2d", (3, 2, 9, 6), (3, 2), (2, 1)),
    (F.avg_pool2d, "avg_pool2d", (1, 3, 10, 11), 2, 3),
    (F.avg_pool2d, "avg_pool2d", (2, 1, 5, 5), 5, None),
    (F.avg_pool1d, "avg_pool1d", (2, 3, 9), 2, 1),
    (F.avg_pool1d, "avg_pool1d", (1, 1, 7), 3, 5),
]
IDS = [f"{name}-{shape}-k{k}-s{s}" for _, name, shape, k, s in CASES]


@pytest.mark.parametrize("pool, name, shape, kernel, stride", CASES, ids=IDS)
def test_pool_against_central_differences(pool, name, shape, kernel, stride):
    x = Tensor(np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 7.0,
               requires_grad=True)  # distinct values: no ties within a step's reach
    assert gradcheck(lambda x: pool(x, kernel, stride), x, eps=1e-4)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("pool, name, shape, kernel, stride", CASES, ids=IDS)
def test_pool_against_torch(pool, name, shape, kernel, stride, ties):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    # Small integers tie within a window often: the gradient must go where PyTorch sends it.
    data = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    x = Tensor(data, requires_grad=True)
    out = pool(x, kernel, stride)
    grad = rng.standard_normal(out.shape)
    out.backward(Tensor(grad))
    tx = torch.tensor(data, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(tx, kernel, stride)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_nan_windows_route_the_gradient_as_torch():
    torch = pytest.importorskip("torch")
    data = np.zeros((1, 1, 4, 6))
    data[0, 0, 0, 0] = data[0, 0, 1, 1] = data[0, 0, 2, 5] = np.nan
    for kernel, stride in ((2, None), (3, 1)):
        x = Tensor(data.copy(), requires_grad=True)
        out = F.max_pool2d(x, kernel, stride)
        out.sum().backward()
        tx = torch.tensor(data, requires_grad=True)
        expected = torch.nn.functional.max_pool2d(tx, kernel, stride)
        expected.sum().backward()
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_ties_go_to_the_first_maximum():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.AvgPool2d((2, 3), 1), nn.MaxPool1d(3, 2),
                                   nn.AvgPool1d(2)], ids=repr)
def test_float32_stays_float32(layer):
    shape = (2, 3, 6, 7) if "2d" in type(layer).__name__ else (2, 3, 9)
    x = Tensor(np.random.default_rng(2).standard_normal(shape).astype(np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32


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
    (lambda: F.avg_pool1d(np.ones((1, 2, 6)), 0), r"AvgPool1d: kernel_size must be a positive"),
    (lambda: F.max_pool2d(np.ones((1, 2, 6, 6)), 2, (0, 1)), r"MaxPool2d: stride must be .*\(0, 1\)"),
    (lambda: nn.MaxPool2d(-1), r"MaxPool2d: kernel_size must be .*-1"),
    (lambda: nn.AvgPool1d(2, 0), r"AvgPool1d: stride must be a positive integer .*0"),
    (lambda: nn.AvgPool2d(2)(np.ones((1, 1, 1, 5))), r"AvgPool2d: kernel size \(2, 2\) is larger"),
])
def test_bad_input_names_the_layer_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
