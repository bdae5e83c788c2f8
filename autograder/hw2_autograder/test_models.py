"""Problems 3 (the scanning MLPs) and 4 (the CNN).

The scanning MLPs are compared with the MLP itself applied window by window in NumPy:
8 time steps of 24 channels, flattened time-major, through 192 -> 8 -> 16 -> 4 with ReLU
after the first two layers, sliding by 4. The distributed network scans an MLP whose
first two layers are built from shared blocks. The CNN is compared with a NumPy twin
(the reference convolution, tanh, ReLU, sigmoid, flatten, linear), forward and backward.
"""
from typing import Any, List, Tuple

import numpy as np

from autograder.helpers import assert_close, check_flags, check_grad, check_parameter
from autograder.hw2_autograder import reference
from hw2.hw2 import CNN, get_final_conv_output_size
from hw2.mlp_scan import CNN_DistributedScanningMLP, CNN_SimpleScanningMLP
from mytorch import Tensor
from mytorch.nn import Conv1d, Flatten, Linear, ReLU, Sigmoid, Tanh

WINDOW, STRIDE, CHANNELS = 8, 4, 24


def mlp_scan(x: np.ndarray, weights: List[np.ndarray]) -> np.ndarray:
    """The MLP on each window of x (B, 24, W): (B, 4 * positions), channel-major as Flatten
    lays out a (B, 4, positions) output."""
    w1, w2, w3 = weights
    positions = (x.shape[2] - WINDOW) // STRIDE + 1
    outputs = np.zeros((x.shape[0], w3.shape[0], positions))
    for p in range(positions):
        window = x[:, :, p * STRIDE:p * STRIDE + WINDOW]              # (B, 24, 8)
        flat = window.transpose(0, 2, 1).reshape(x.shape[0], -1)      # time-major
        hidden = np.maximum(flat @ w1.T, 0)
        outputs[:, :, p] = np.maximum(hidden @ w2.T, 0) @ w3.T
    return outputs.reshape(x.shape[0], -1)


def distributed_mlp_weights(rng: np.random.Generator) -> List[np.ndarray]:
    """An MLP whose layer 1 is 4 copies of a (2 neurons x 2 time steps) block and whose
    layer 2 is 2 copies of an (8 neurons x 4 layer-1 neurons) block, as (out, in) arrays."""
    block1, block2 = rng.standard_normal((2, 2 * CHANNELS)), rng.standard_normal((8, 4))
    w1, w2 = np.zeros((8, 192)), np.zeros((16, 8))
    for b in range(4):
        w1[2 * b:2 * b + 2, 2 * CHANNELS * b:2 * CHANNELS * (b + 1)] = block1
    for b in range(2):
        w2[8 * b:8 * b + 8, 4 * b:4 * b + 4] = block2
    return [w1, w2, rng.standard_normal((4, 16))]


def _check_scan(network: Any, weights: List[np.ndarray], seed: int, layout: List[Tuple]) -> None:
    name = type(network).__name__
    convs = [layer for layer in network.layers if isinstance(layer, Conv1d)]
    found = [(c.in_channel, c.out_channel, c.kernel_size, c.stride) for c in convs]
    if found != layout or not isinstance(list(network.layers)[-1], Flatten):
        raise AssertionError(f"{name}: Conv1d layers {found} then Flatten, expected {layout}")
    network.init_weights([w.copy() for w in weights])
    for index, conv in enumerate(convs):
        check_parameter(conv.weight, f"{name}: conv {index} weight after init_weights")
    rng = np.random.default_rng(seed)
    for batch, width in ((1, 128), (2, 128), (1, 60)):
        x = rng.standard_normal((batch, CHANNELS, width))
        out = network(Tensor(x.copy()))
        what = f"{name} on an input of shape {x.shape}"
        assert_close(out, mlp_scan(x, weights), f"{what}: the MLP applied window by window")
        check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)


def test_simple_scanning_mlp() -> None:
    rng = np.random.default_rng(1000)
    weights = [rng.standard_normal(shape) for shape in ((8, 192), (16, 8), (4, 16))]
    _check_scan(CNN_SimpleScanningMLP(), weights, 1001,
                [(24, 8, 8, 4), (8, 16, 1, 1), (16, 4, 1, 1)])


def test_distributed_scanning_mlp() -> None:
    weights = distributed_mlp_weights(np.random.default_rng(1010))
    _check_scan(CNN_DistributedScanningMLP(), weights, 1011,
                [(24, 2, 2, 2), (2, 8, 2, 2), (8, 4, 2, 1)])


# ----------------------------------------------------------------------- 4 CNN

CNN_LAYOUT = [(Conv1d, (24, 56, 5, 1)), (Tanh, ()), (Conv1d, (56, 28, 6, 2)), (ReLU, ()),
              (Conv1d, (28, 14, 2, 2)), (Sigmoid, ()), (Flatten, ()), (Linear, (14 * 13, 10))]


def _describe(layer: Any) -> Tuple[type, tuple]:
    if isinstance(layer, Conv1d):
        return Conv1d, (layer.in_channel, layer.out_channel, layer.kernel_size, layer.stride)
    if isinstance(layer, Linear):
        return Linear, (layer.in_features, layer.out_features)
    return type(layer), ()


def _reference_cnn(layers: List[Any], x: np.ndarray, dy: np.ndarray):
    """Output and every parameter's gradient (in `layers` order) of the CNN in NumPy."""
    caches, out = [], x
    for layer in layers:
        caches.append(out)
        if isinstance(layer, Conv1d):
            out = reference.conv_forward(out, layer.weight.data, layer.bias.data, (layer.stride,))
        elif isinstance(layer, Tanh):
            out = np.tanh(out)
        elif isinstance(layer, ReLU):
            out = np.maximum(out, 0)
        elif isinstance(layer, Sigmoid):
            out = 1 / (1 + np.exp(-out))
        elif isinstance(layer, Flatten):
            out = out.reshape(out.shape[0], -1)
        else:
            out = out @ layer.weight.data.T + layer.bias.data
    output, grads, grad = out, [], dy
    for layer, inp in zip(reversed(layers), reversed(caches)):
        if isinstance(layer, Conv1d):
            grad, dw, db = reference.conv_backward(inp, layer.weight.data, (layer.stride,), grad)
            grads[:0] = [dw, db]
        elif isinstance(layer, Tanh):
            grad = grad * (1 - np.tanh(inp) ** 2)
        elif isinstance(layer, ReLU):
            grad = grad * (inp > 0)
        elif isinstance(layer, Sigmoid):
            s = 1 / (1 + np.exp(-inp))
            grad = grad * s * (1 - s)
        elif isinstance(layer, Flatten):
            grad = grad.reshape(inp.shape)
        else:
            grads[:0] = [grad.T @ inp, grad.sum(axis=0)]
            grad = grad @ layer.weight.data
    return output, grad, grads


def test_cnn() -> None:
    found = [_describe(layer) for layer in CNN().layers]
    if found != CNN_LAYOUT:
        raise AssertionError(f"CNN().layers is {found}, expected {CNN_LAYOUT}")
    layers = [Conv1d(24, 56, 5, 1), Tanh(), Conv1d(56, 28, 6, 2), ReLU(), Conv1d(28, 14, 2, 2),
              Sigmoid(), Flatten()]
    for width in (60, 61, 100, 128):
        size = width
        for kernel, stride in ((5, 1), (6, 2), (2, 2)):
            size = (size - kernel) // stride + 1
        result = get_final_conv_output_size(layers, width)
        if type(result) is not int or result != size:
            raise AssertionError(f"get_final_conv_output_size(layers, {width}) returned {result!r}, "
                                 f"expected the int {size}")
    rng = np.random.default_rng(1020)
    np.random.seed(1020)
    model = CNN()
    for layer in model.layers:
        if isinstance(layer, (Conv1d, Linear)):
            layer.weight = Tensor(rng.uniform(-0.2, 0.2, layer.weight.shape), requires_grad=True,
                                  is_parameter=True)
            layer.bias = Tensor(rng.uniform(-0.2, 0.2, layer.bias.shape), requires_grad=True,
                                is_parameter=True)
    for batch in (1, 3):
        x_data = rng.standard_normal((batch, 24, 60))
        x = Tensor(x_data.copy(), requires_grad=True)
        params = [p for layer in model.layers if isinstance(layer, (Conv1d, Linear))
                  for p in (layer.weight, layer.bias)]
        for param in params:
            param.grad = None
        out = model(x)
        dy = rng.standard_normal(out.shape)
        expected, grad_x, grads = _reference_cnn(list(model.layers), x_data, dy)
        what = f"CNN on an input of shape {x_data.shape}"
        assert_close(out, expected, f"{what}: output")
        out.backward(Tensor(dy.copy()))
        check_grad(x, f"{what}: x")
        assert_close(x.grad, grad_x, f"{what}: x.grad")
        for index, (param, grad) in enumerate(zip(params, grads)):
            check_grad(param, f"{what}: parameter {index}")
            assert_close(param.grad, grad, f"{what}: parameter {index} ({param.shape}) .grad")
            check_parameter(param, f"{what}: parameter {index}")
