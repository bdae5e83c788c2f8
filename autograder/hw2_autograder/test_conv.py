"""Problems 1 (Conv1d forward and backward) and 2 (Flatten).

Each case builds the layer, gives it seeded weights the way the handout's tests do
(assigning `Tensor(..., requires_grad=True, is_parameter=True)`), and compares the output
and the gradients of the input, weight and bias with the plain NumPy reference
(`reference.py`), whose gradients are in turn checked against central differences.
The helpers take the number of spatial axes, so the bonus's Conv2d uses them too.
"""
from typing import Any, Sequence, Tuple

import numpy as np

from autograder.helpers import (assert_close, assert_numerically_close, check_flags, check_grad,
                                check_no_grad, check_parameter, numerical_grads)
from autograder.hw2_autograder import reference
from mytorch import Tensor
from mytorch.autograd_engine import ContextManager
from mytorch.nn import functional as F
from mytorch.nn.conv import Conv1d, Flatten

# (batch, in_channel, out_channel, kernel_size, stride, width): the handout's sizes, then
# one channel, batch 1, a kernel as wide as the input, a stride larger than the kernel.
CONV1D_CASES = [
    (2, 24, 56, 5, 1, 60),
    (3, 5, 7, 4, 2, 21),
    (1, 1, 1, 1, 1, 1),
    (1, 1, 3, 7, 1, 7),
    (4, 3, 2, 2, 5, 23),
    (2, 13, 6, 3, 3, 31),
]
SMALL = 600  # central differences only for inputs and weights of at most this many values


def _as_sizes(value: Any, spatial: int) -> Tuple[int, ...]:
    return reference.as_tuple(value, spatial)


def make_layer(layer_class: type, in_channel: int, out_channel: int, kernel: Any, stride: Any,
               rng: np.random.Generator) -> Tuple[Any, np.ndarray, np.ndarray]:
    """The layer with seeded weights assigned as new parameters, and those weights."""
    layer = layer_class(in_channel, out_channel, kernel, stride)
    spatial = 1 if layer_class is Conv1d else 2
    name = layer_class.__name__
    kernel_sizes = _as_sizes(kernel, spatial)
    for attribute, expected in (("in_channel", in_channel), ("out_channel", out_channel),
                                ("kernel_size", kernel), ("stride", stride)):
        value = getattr(layer, attribute, None)
        if value != expected and _as_sizes(value, spatial) != _as_sizes(expected, spatial):
            raise AssertionError(f"{name}.{attribute} is {value!r}, expected {expected!r}")
    expected_shape = (out_channel, in_channel) + kernel_sizes
    if layer.weight.shape != expected_shape or layer.bias.shape != (out_channel,):
        raise AssertionError(f"{name}: weight {layer.weight.shape} and bias {layer.bias.shape}, "
                             f"expected {expected_shape} and ({out_channel},)")
    check_parameter(layer.weight, f"{name}.weight as created")
    check_parameter(layer.bias, f"{name}.bias as created")
    weight = rng.standard_normal(expected_shape)
    bias = rng.standard_normal(out_channel)
    layer.weight = Tensor(weight.copy(), requires_grad=True, is_parameter=True)
    layer.bias = Tensor(bias.copy(), requires_grad=True, is_parameter=True)
    return layer, weight, bias


def check_conv_forward(layer_class: type, case: Sequence[Any], seed: int) -> None:
    batch, c_in, c_out, kernel, stride, size = case
    spatial = 1 if layer_class is Conv1d else 2
    rng = np.random.default_rng(seed)
    layer, weight, bias = make_layer(layer_class, c_in, c_out, kernel, stride, rng)
    sizes = _as_sizes(size, spatial)
    x = rng.standard_normal((batch, c_in) + sizes)
    what = (f"{layer_class.__name__}({c_in}, {c_out}, {kernel}, {stride}) on an input of shape "
            f"{x.shape}")
    expected = reference.conv_forward(x, weight, bias, _as_sizes(stride, spatial))
    out = layer(Tensor(x.copy()))
    assert_close(out, expected, f"{what}: output")
    check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
    if spatial == 1:
        width = F.get_conv1d_output_size(size, kernel, stride)
        if type(width) is not int or width != expected.shape[2]:
            raise AssertionError(f"get_conv1d_output_size({size}, {kernel}, {stride}) returned "
                                 f"{width!r}, expected the int {expected.shape[2]}")
    # The Function by itself, called as the handout's tests call it.
    op = F.Conv1d if spatial == 1 else F.Conv2d
    direct = op.forward(ContextManager(), Tensor(x.copy()), Tensor(weight.copy()),
                        Tensor(bias.copy()), stride)
    assert_close(direct, expected, f"{what}: {op.__name__}.forward(ctx, x, weight, bias, stride)")


def check_conv_backward(layer_class: type, case: Sequence[Any], seed: int) -> None:
    batch, c_in, c_out, kernel, stride, size = case
    spatial = 1 if layer_class is Conv1d else 2
    strides = _as_sizes(stride, spatial)
    rng = np.random.default_rng(seed)
    layer, weight, bias = make_layer(layer_class, c_in, c_out, kernel, stride, rng)
    x_data = rng.standard_normal((batch, c_in) + _as_sizes(size, spatial))
    what = (f"{layer_class.__name__}({c_in}, {c_out}, {kernel}, {stride}) on an input of shape "
            f"{x_data.shape}")
    x = Tensor(x_data.copy(), requires_grad=True)
    out = layer(x)
    dy = rng.standard_normal(out.shape)
    out.backward(Tensor(dy.copy()))
    check_no_grad(out, f"{what}: output")
    expected = reference.conv_backward(x_data, weight, strides, dy)
    for name, tensor, grad in zip(("x", "weight", "bias"), (x, layer.weight, layer.bias), expected):
        check_grad(tensor, f"{what}: {name}")
        assert_close(tensor.grad, grad, f"{what}: {name}.grad")
    check_parameter(layer.weight, f"{what}: weight after backward")
    if x_data.size + weight.size <= SMALL:
        arrays = [x_data.copy(), weight.copy(), bias.copy()]
        numeric = numerical_grads(
            lambda: float(np.sum(dy * reference.conv_forward(*arrays, strides))), arrays)
        for name, grad, tensor, fd in zip(("x", "weight", "bias"), expected,
                                          (x, layer.weight, layer.bias), numeric):
            assert_numerically_close(grad, fd, f"{what}: the reference's d{name}")
            assert_numerically_close(tensor.grad, fd, f"{what}: {name}.grad")
    # The Function by itself: gradients for x, weight and bias, None for the stride.
    op = F.Conv1d if spatial == 1 else F.Conv2d
    ctx = ContextManager()
    op.forward(ctx, Tensor(x_data.copy()), Tensor(weight.copy()), Tensor(bias.copy()), stride)
    grads = op.backward(ctx, Tensor(dy.copy()))
    for name, grad, want in zip(("x", "weight", "bias"), grads, expected):
        assert_close(grad, want, f"{what}: {op.__name__}.backward's gradient for {name}")
    if any(g is not None for g in grads[3:]):
        raise AssertionError(f"{what}: {op.__name__}.backward must return None for the stride")


# -------------------------------------------------------------- 1 Conv1d

def test_conv1d_forward() -> None:
    for index, case in enumerate(CONV1D_CASES):
        check_conv_forward(Conv1d, case, seed=900 + index)


def test_conv1d_backward() -> None:
    for index, case in enumerate(CONV1D_CASES):
        check_conv_backward(Conv1d, case, seed=910 + index)


# -------------------------------------------------------------- 2 Flatten

def test_flatten() -> None:
    rng = np.random.default_rng(920)
    for shape in ((2, 3, 4), (1, 5, 1), (3, 2, 4, 5), (7, 6)):
        data = rng.standard_normal(shape)
        x = Tensor(data.copy(), requires_grad=True)
        out = Flatten()(x)
        what = f"Flatten on shape {shape}"
        assert_close(out, data.reshape(shape[0], -1), f"{what}: output")
        check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
        dy = rng.standard_normal(out.shape)
        out.backward(Tensor(dy.copy()))
        check_grad(x, f"{what}: x")
        assert_close(x.grad, dy.reshape(shape), f"{what}: x.grad")
