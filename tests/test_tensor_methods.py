"""The Tensor methods PyTorch users type without thinking: each differentiable one against
central differences and PyTorch (float64, 1e-8), the rest by value; and their bad input."""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor
from mytorch.gradcheck import gradcheck
from test_functional import _leaf, _torch_check, torch

# name -> (function valid for both a mytorch and a torch tensor, input shapes, input range)
# Ranges keep inputs away from kinks: |x| > 0.05 (abs), 0.05 from the clamp bounds.
UNARY = {
    "sqrt": (lambda a: a.sqrt(), [(3, 4), (), (1,)], "positive"),
    "abs": (lambda a: a.abs(), [(3, 4), ()], "normal"),
    "clamp_both": (lambda a: a.clamp(-0.5, 0.5), [(4, 5)], "off_bounds"),
    "clamp_min": (lambda a: a.clamp(min=-0.5), [(4, 5), ()], "off_bounds"),
    "clamp_max": (lambda a: a.clamp(max=0.5), [(4, 5)], "off_bounds"),
    "var_all": (lambda a: a.var(), [(3, 4), (5,)], "normal"),
    "var_dim": (lambda a: a.var(dim=1), [(3, 4)], "normal"),
    "var_keepdim": (lambda a: a.var(dim=(0, 2), keepdim=True), [(2, 3, 4)], "normal"),
    "var_biased": (lambda a: a.var(dim=0, correction=0), [(3, 4), (1, 2)], "normal"),
    "std_all": (lambda a: a.std(), [(3, 4)], "normal"),
    "std_dim": (lambda a: a.std(dim=-1, keepdim=True), [(3, 4)], "normal"),
    "softmax": (lambda a: a.softmax(dim=1), [(3, 4)], "normal"),
    "log_softmax": (lambda a: a.log_softmax(0), [(3, 4)], "normal"),
    "view": (lambda a: a.view(4, 3), [(2, 6)], "normal"),
    "view_minus_one": (lambda a: a.view(-1), [(2, 3, 2)], "normal"),
    "flatten": (lambda a: a.flatten(), [(2, 3, 4), ()], "normal"),
    "flatten_middle": (lambda a: a.flatten(1, 2), [(2, 3, 4, 2)], "normal"),
    "expand": (lambda a: a.expand(2, 3, 4), [(3, 1), (4,), ()], "normal"),
    "expand_keep": (lambda a: a.expand(-1, 5), [(3, 1)], "normal"),
    "sum_dim": (lambda a: a.sum(dim=1, keepdim=True), [(3, 4)], "normal"),
    "mean_dim": (lambda a: a.mean(dim=(0, 1)), [(2, 3, 4)], "normal"),
}

# (function, shapes): binary ops with broadcasting, including 0-d.
BINARY = {
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "where": lambda a, b: a.where(a > b, b),
}
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3))]


def _input(shape, rng, kind):
    if kind == "positive":
        return Tensor(rng.uniform(0.5, 2.0, shape), requires_grad=True)
    data = np.asarray(rng.standard_normal(shape))
    if kind == "off_bounds":
        data = np.where(np.abs(np.abs(data) - 0.5) < 0.05, 0.3, data)
    return Tensor(np.where(np.abs(data) < 0.05, 0.3, data), requires_grad=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_methods_against_central_differences_and_torch(name):
    fn, shapes, kind = UNARY[name]
    rng = np.random.default_rng(10)
    for shape in shapes:
        a = _input(shape, rng, kind)
        assert gradcheck(fn, a)
        assert a.grad.shape == a.shape and a.grad.dtype == a.dtype
        _torch_check(fn, [a], rng.standard_normal(fn(a).shape))


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
def test_binary_methods_broadcast_against_central_differences_and_torch(name, shapes):
    rng = np.random.default_rng(11)
    a, b = _leaf(shapes[0], rng), _leaf(shapes[1], rng)
    fn = BINARY[name]
    assert gradcheck(fn, a, b)
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    _torch_check(fn, [a, b], rng.standard_normal(np.broadcast_shapes(*shapes)))


def test_reusing_a_tensor_through_the_new_ops():
    rng = np.random.default_rng(12)
    a = _input((3, 4), rng, "positive")
    fn = lambda a: (a.sqrt() * a.abs() + a.maximum(a * 0.5) - a.var(dim=0)).where(a > 1.0, a).std()  # noqa: E731
    assert gradcheck(fn, a)
    _torch_check(fn, [a], np.asarray(rng.standard_normal()))


def test_ties_and_bounds_follow_pytorch():
    """maximum/minimum split a tie's gradient in half; clamp passes it at the bounds; abs has 0 at 0."""
    x = Tensor(np.array([-1.0, 0.0, 1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([-1.0, 5.0, 1.0, 0.0, 3.0]), requires_grad=True)
    x.maximum(y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 0, 0.5, 1, 0.5])
    np.testing.assert_array_equal(y.grad.data, [0.5, 1, 0.5, 0, 0.5])
    x.grad = y.grad = None
    x.minimum(y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 1, 0.5, 0, 0.5])
    x.grad = None
    x.clamp(0.0, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 1, 0])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1, 0, 1, 1, 1])
    np.testing.assert_array_equal(abs(x).data, [1, 0, 1, 2, 3])


def test_size_numel_and_views_share_memory():
    t = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4 and t.numel() == 24
    assert Tensor(5.0).size() == () and Tensor(5.0).numel() == 1
    viewed = t.view(6, 4)
    assert np.shares_memory(viewed.data, t.data)
    t.add_(1.0)  # a view shares the version counter, as in PyTorch
    assert viewed._version == t._version == 1
    assert t.flatten(0, 1).shape == (6, 4) and t.flatten(-2).shape == (2, 12)
    expanded = Tensor(np.ones((3, 1))).expand(2, 3, 4)
    assert expanded.shape == (2, 3, 4) and expanded.data.strides[0] == 0  # no copy


def test_argmax_and_argmin_are_int64_constants_like_torch():
    data = np.array([[1.0, 3.0, 3.0], [4.0, -2.0, 4.0]])
    x = Tensor(data, requires_grad=True)
    cases = [(x.argmax(), 3), (x.argmin(), 4), (x.argmax(dim=1), [1, 0]),
             (x.argmax(axis=0, keepdims=True), [[1, 0, 1]]), (x.argmin(1, keepdim=True), [[0], [1]]),
             (x.argmax(keepdim=True), [[3]]), (Tensor(2.0).argmax(0), 0)]
    for result, expected in cases:
        assert result.dtype == np.int64 and not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.data, expected)
        assert result.shape == np.shape(expected)
    if torch is not None:
        twin = torch.tensor(data)
        assert x.argmax(dim=1, keepdim=True).shape == tuple(twin.argmax(dim=1, keepdim=True).shape)
        assert x.argmax(keepdim=True).shape == tuple(twin.argmax(keepdim=True).shape)
        np.testing.assert_array_equal(x.argmin(dim=0).data, twin.argmin(dim=0).numpy())


def test_comparisons_give_bool_tensors_outside_the_graph():
    a = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    b = Tensor(np.array([[2.0], [1.0]]))
    cases = {(a < b): [[1, 0, 0], [0, 0, 0]], (a <= 2): [[1, 1, 0]], (a > b): [[0, 0, 1], [0, 1, 1]],
             (a >= 2.0): [[0, 1, 1]], (a == b): [[0, 1, 0], [1, 0, 0]], (a != 2): [[1, 0, 1]],
             (np.array([2.0, 2.0, 2.0]) > a): [[1, 0, 0]], (2 == a): [[0, 1, 0]]}
    for result, expected in cases.items():
        assert isinstance(result, Tensor) and result.dtype == np.bool_
        assert not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.data, np.array(expected, dtype=bool))
    with pytest.raises(ValueError, match=r"<: shapes \(1, 3\) and \(2,\) cannot be broadcast"):
        a < Tensor(np.ones(2))


def test_tensors_stay_hashable_by_identity():
    a, b = Tensor(np.ones(3)), Tensor(np.ones(3))
    assert len({a, b, a}) == 2 and {a: 1, b: 2}[a] == 1
    assert (a == None) is False and (a != "x") is True  # noqa: E711  identity for non-numbers
    assert a in [a] and a in {a}


def test_to_float_and_double_record_a_cast():
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    assert x.double() is x and x.to("float64") is x
    y = x.float()
    assert y.dtype == np.float32 and y.grad_fn.function_name == "Cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, 2 * x.data)
    labels = x.to(np.int64)
    assert labels.dtype == np.int64 and not labels.requires_grad  # integers have no gradient
    assert Tensor(np.array([1, 2])).float().dtype == np.float32


def test_like_constructors_and_manual_seed():
    x = Tensor(np.ones((2, 3), np.float32))
    zeros, ones = mytorch.zeros_like(x), mytorch.ones_like(x, dtype=np.float64, requires_grad=True)
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32 and not zeros.data.any()
    assert ones.dtype == np.float64 and ones.requires_grad and ones.data.all()
    assert mytorch.zeros_like(np.arange(3)).dtype == np.arange(3).dtype
    mytorch.manual_seed(7)
    first = mytorch.randn_like(x)
    layer = mytorch.nn.Linear(3, 2)
    mytorch.manual_seed(7)
    np.testing.assert_array_equal(mytorch.randn_like(x).data, first.data)
    np.testing.assert_array_equal(mytorch.nn.Linear(3, 2).weight.data, layer.weight.data)
    assert first.dtype == np.float32
    assert mytorch.randn_like(np.arange(3), dtype="float64").dtype == np.float64


@pytest.mark.parametrize("call, error, match", [
    (lambda t: t.T.view(12), ValueError, r"view: a tensor of shape \(4, 3\).*use \.reshape"),
    (lambda t: t.view(5, 2), ValueError, r"cannot reshape a tensor of shape \(3, 4\) \(12 elements\)"),
    (lambda t: t.expand(4), ValueError, r"expand: \(4,\) has fewer axes than the tensor's shape \(3, 4\)"),
    (lambda t: t.expand(3, 5), ValueError, r"cannot expand a tensor of shape \(3, 4\) to \(3, 5\)"),
    (lambda t: t.expand(-1, 3, 4), ValueError, r"axis 0: -1"),
    (lambda t: t.expand(3, 4.0), ValueError, "expand: size must be an integer, got 4.0"),
    (lambda t: t.flatten(1, 0), ValueError, "flatten: start_dim 1 comes after end_dim 0"),
    (lambda t: t.flatten(2), ValueError, r"flatten: dim 2 is out of range for a tensor of shape \(3, 4\)"),
    (lambda t: t.size(2), ValueError, r"size: dim 2 is out of range"),
    (lambda t: Tensor(1.0).size(0), ValueError, "size: a 0-d tensor has no dimension 0"),
    (lambda t: t.clamp(), ValueError, "clamp: give min, max or both"),
    (lambda t: t.clamp("0"), ValueError, "clamp: min must be a number, got '0'"),
    (lambda t: t.where(t, 0.0), TypeError, "where: condition must be a bool tensor"),
    (lambda t: t.where(Tensor(np.ones(2, bool)), 0.0), ValueError,
     r"where: shapes \(2,\) \(condition\), \(3, 4\) and \(\) cannot be broadcast"),
    (lambda t: t.maximum(np.ones(5)), ValueError, r"maximum: shapes \(3, 4\) and \(5,\)"),
    (lambda t: t.var(correction=-1), ValueError, "var: correction must be a number >= 0, got -1"),
    (lambda t: t.var(correction=0, unbiased=True), ValueError, "give correction or unbiased"),
    (lambda t: t.var(dim=5), ValueError, r"var: axis 5 is out of range"),
    (lambda t: t.sum(dim=0, axis=1), ValueError, "sum: give dim or axis, not both"),
    (lambda t: t.argmax(dim=2), ValueError, r"argmax: dim 2 is out of range"),
    (lambda t: Tensor(np.ones((0, 2))).argmin(), ValueError, r"argmin: cannot reduce a tensor of shape \(0, 2\)"),
    (lambda t: t.softmax(dim=3), ValueError, r"softmax: dim 3 is out of range"),
    (lambda t: t.to("cpu:x"), RuntimeError, "the index in 'cpu:x' must be a non-negative integer"),
    (lambda t: t.to("float128x"), TypeError, "to: dtype must be a bool, integer or float dtype, got 'float128x'"),
    (lambda t: t.to("cuda"), RuntimeError, "to: device 'cuda' is not available"),
    (lambda t: mytorch.randn_like(np.arange(3)), TypeError, "randn_like: dtype must be float32 or float64"),
    (lambda t: mytorch.manual_seed(-1), ValueError, r"seed must be an integer in \[0, 4294967295\], got -1"),
])
def test_bad_input_names_the_op_and_the_value_and_changes_nothing(call, error, match):
    t = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    with pytest.raises(error, match=match):
        call(t)
    np.testing.assert_array_equal(t.data, np.arange(12.0).reshape(3, 4))
    assert t.grad is None and t._version == 0
