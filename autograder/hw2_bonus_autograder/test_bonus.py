"""The homework 2 bonus: Conv2d, MaxPool2d and AvgPool2d against the plain NumPy
references of homework 2's autograder (`hw2_autograder/reference.py`), whose gradients
are checked against central differences on the small cases."""

import numpy as np

from autograder.helpers import (assert_close, assert_numerically_close, check_flags, check_grad,
                                numerical_grads)
from autograder.hw2_autograder import reference
from autograder.hw2_autograder.test_conv import check_conv_backward, check_conv_forward
from mytorch import Tensor
from mytorch.autograd_engine import ContextManager
from mytorch.nn import functional as F
from mytorch.nn.conv import Conv2d
from mytorch.nn.pooling import AvgPool2d, MaxPool2d

# (batch, in_channel, out_channel, kernel_size, stride, (height, width)).
CONV2D_CASES = [
    (2, 3, 4, 3, 1, (8, 8)),
    (1, 1, 1, 1, 1, (1, 1)),
    (3, 2, 5, (3, 2), (2, 1), (9, 6)),
    (1, 2, 3, 5, 1, (5, 5)),
    (2, 4, 2, 2, 3, (11, 7)),
]

# (input shape, kernel_size, stride): stride defaults to the kernel; overlapping windows,
# a stride larger than the kernel, a kernel as large as the input, tuples.
POOL_CASES = [
    ((2, 3, 8, 8), 2, None),
    ((1, 1, 5, 7), 3, 1),
    ((3, 2, 9, 6), (3, 2), (2, 1)),
    ((2, 2, 4, 4), 4, None),
    ((1, 3, 10, 11), 2, 3),
]


def test_conv2d_forward() -> None:
    for index, case in enumerate(CONV2D_CASES):
        check_conv_forward(Conv2d, case, seed=1100 + index)


def test_conv2d_backward() -> None:
    for index, case in enumerate(CONV2D_CASES):
        check_conv_backward(Conv2d, case, seed=1110 + index)


def _check_pool(layer_class: type, mode: str, backward: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    op = F.MaxPool2d if layer_class is MaxPool2d else F.AvgPool2d
    for shape, kernel, stride in POOL_CASES:
        layer = layer_class(kernel, stride) if stride is not None else layer_class(kernel)
        expected_stride = kernel if stride is None else stride
        if layer.kernel_size != kernel or layer.stride != expected_stride:
            raise AssertionError(f"{layer_class.__name__}({kernel}, {stride}): kernel_size "
                                 f"{layer.kernel_size!r} and stride {layer.stride!r}, expected "
                                 f"{kernel!r} and {expected_stride!r}")
        kernels = reference.as_tuple(kernel, 2)
        strides = reference.as_tuple(expected_stride, 2)
        # Integers with repeats make ties, which max pooling must route to the first maximum.
        x_data = rng.integers(-3, 4, shape).astype(float) if mode == "max" else rng.standard_normal(shape)
        what = f"{layer_class.__name__}({kernel}, {stride}) on an input of shape {shape}"
        x = Tensor(x_data.copy(), requires_grad=True)
        out = layer(x)
        assert_close(out, reference.pool_forward(x_data, kernels, strides, mode), f"{what}: output")
        check_flags(out, f"{what}: output", requires_grad=True, is_leaf=False)
        direct = op.forward(ContextManager(), Tensor(x_data.copy()), kernel, stride)
        assert_close(direct, out.data, f"{what}: {op.__name__}.forward(ctx, x, kernel_size, stride)")
        if not backward:
            continue
        dy = rng.standard_normal(out.shape)
        out.backward(Tensor(dy.copy()))
        expected = reference.pool_backward(x_data, kernels, strides, mode, dy)
        check_grad(x, f"{what}: x")
        assert_close(x.grad, expected, f"{what}: x.grad")
        # Central differences need distinct values near a maximum: perturb the ties apart.
        distinct = x_data + rng.uniform(0, 0.1, shape) if mode == "max" else x_data
        grad = reference.pool_backward(distinct, kernels, strides, mode, dy)
        array = distinct.copy()
        (numeric,) = numerical_grads(
            lambda: float(np.sum(dy * reference.pool_forward(array, kernels, strides, mode))), [array])
        assert_numerically_close(grad, numeric, f"{what}: the reference's dx")
        x = Tensor(distinct.copy(), requires_grad=True)
        layer(x).backward(Tensor(dy.copy()))
        assert_numerically_close(x.grad, numeric, f"{what}: x.grad (vs central differences)")


def test_maxpool2d_forward() -> None:
    _check_pool(MaxPool2d, "max", backward=False, seed=1200)


def test_maxpool2d_backward() -> None:
    _check_pool(MaxPool2d, "max", backward=True, seed=1210)


def test_avgpool2d_forward() -> None:
    _check_pool(AvgPool2d, "mean", backward=False, seed=1220)


def test_avgpool2d_backward() -> None:
    _check_pool(AvgPool2d, "mean", backward=True, seed=1230)
