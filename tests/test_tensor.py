"""The Tensor class: construction, dtypes, constructors, operators, utilities."""
import numpy as np
import pytest

from mytorch import Tensor


def test_wraps_an_ndarray_without_copying():
    array = np.arange(6.0).reshape(2, 3)
    t = Tensor(array)
    assert t.data is array
    assert (t.shape, t.ndim, t.dtype, t.size(), t.numel()) == ((2, 3), 2, np.float64, (2, 3), 6)
    assert (t.requires_grad, t.is_leaf, t.grad_fn, t.grad, t.is_parameter) == (False, True, None, None, False)


def test_python_numbers_lists_and_tensors():
    assert Tensor(1).data.dtype.kind == "i" and Tensor(1).shape == ()
    assert Tensor([[1.0, 2.0]]).shape == (1, 2)
    nested = Tensor(Tensor([1.0]))
    assert isinstance(nested.data, np.ndarray)  # never a Tensor inside a Tensor
    t = Tensor(1, requires_grad=True)
    assert t.dtype == np.float64 and t.item() == 1.0


def test_requires_grad_is_settable_and_promotes_integers():
    a = Tensor.randn(2, 3)
    a.requires_grad = True
    assert a.requires_grad
    b = Tensor(np.array([1, 2]))
    b.requires_grad = True
    assert b.dtype == np.float64


@pytest.mark.parametrize("data", ["abc", ["a", "b"], {"a": 1}, None, np.array([1 + 2j])])
def test_non_numeric_data_is_a_type_error(data):
    with pytest.raises(TypeError, match="numeric"):
        Tensor(data)


@pytest.mark.parametrize("make", [Tensor.zeros, Tensor.ones, Tensor.randn, Tensor.empty])
def test_constructors(make):
    t = make(2, 3)
    assert t.shape == (2, 3) and t.dtype == np.float64 and not t.requires_grad
    assert make((2, 3)).shape == (2, 3)
    assert make(4, requires_grad=True).requires_grad


def test_randn_follows_np_random_seed_and_arange():
    np.random.seed(3)
    first = Tensor.randn(4).data
    np.random.seed(3)
    np.testing.assert_array_equal(first, Tensor.randn(4).data)
    np.testing.assert_array_equal(Tensor.arange(4).data, [0, 1, 2, 3])
    assert Tensor.arange(3, requires_grad=True).dtype == np.float64


@pytest.mark.parametrize("other", [2.0, 2, np.array([2.0, 2.0]), Tensor([2.0, 2.0])],
                         ids=["float", "int", "ndarray", "tensor"])
def test_operators_with_any_operand_on_either_side(other):
    a = Tensor(np.array([1.0, 4.0]), requires_grad=True)
    expected = {
        "add": ([3, 6], a + other, other + a),
        "sub": ([-1, 2], a - other, -(other - a)),
        "mul": ([2, 8], a * other, other * a),
        "div": ([0.5, 2], a / other, 1 / (other / a)),
    }
    for name, (values, left, right) in expected.items():
        np.testing.assert_allclose(left.data, values, err_msg=name)
        np.testing.assert_allclose(right.data, values, err_msg=name)
        assert isinstance(right, Tensor) and right.grad_fn is not None


def test_ndarray_on_the_left_defers_to_the_tensor():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    out = np.full((2, 2), 3.0) @ a
    assert isinstance(out, Tensor) and out.grad_fn.function_name == "MatMul"
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 2), 6.0))


def test_python_scalars_keep_the_tensors_float_dtype():
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    out = (a * 0.5 + 1) / 3 - 2
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32


def test_mixed_dtypes_give_each_input_a_gradient_of_its_own_dtype():
    a = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a * b).sum().backward()
    assert (a.grad.dtype, b.grad.dtype) == (np.float32, np.float64)


def test_methods_record_the_graph():
    a = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    for out, name in [(a.T, "Transpose"), (a.transpose(), "Transpose"), (a.reshape(4), "Reshape"),
                      (a.sum(), "Sum"), (a.mean(axis=0), "Mean"), (a.exp(), "Exp"), (a.log(), "Log"),
                      (a.relu(), "ReLU"), (a[0], "Index"), (-a, "Neg"), (a ** 2, "Pow"),
                      (a.max(), "Max")]:
        assert out.grad_fn.function_name == name


def test_utilities():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a * 2
    detached = b.detach()
    assert detached.grad_fn is None and not detached.requires_grad and detached.data is b.data
    copied = b.copy()
    assert copied.grad_fn is None and copied.data is not b.data
    np.testing.assert_array_equal(copied.data, b.data)
    assert b.detach().numpy() is b.data and b.numpy(force=True) is b.data
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on a Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead"):
        b.numpy()  # PyTorch's refusal: writes through the array would bypass autograd
    assert Tensor(np.array([[5.0]])).item() == 5.0
    assert len(a) == 2
    assert repr(a) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor(np.array(3.0))) == "tensor(3.)"
    assert repr(b) == "tensor([2., 4.], grad_fn=<BackwardFunction(Mul)>)"


def test_backward_casts_the_gradient_to_the_tensors_dtype():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    x.exp().backward(Tensor(np.ones(3)))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, np.e, rtol=1e-6)


@pytest.mark.parametrize("values", [
    [1e-4, 0.05], [9e-5, 0.05], [1.5e-4, 0.1],          # the smallest magnitude at 1e-4
    [2.0, 1000.5], [1.0, 1000.0], [1.0, 1001.0],        # the largest 1000 times the smallest
    [0.5, 499.5], [3.0, 2500.0], [1e8], [2e8], [0.0, -2.5, 7.25], [[1.5, -0.25], [3.0, 0.0]],
])
def test_a_float_tensor_prints_as_pytorchs(values):
    """PyTorch's switch to scientific notation (largest over smallest nonzero magnitude above
    1000, the largest above 1e8, or a fraction below 1e-4) and its widths, value for value."""
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # MyTorch's default: neither prints a dtype
    try:
        expected = repr(torch.tensor(values))
    finally:
        torch.set_default_dtype(default)
    assert repr(Tensor(np.array(values))) == expected


@pytest.mark.parametrize("make", [
    lambda: np.arange(2000.0).reshape(2, 1000), lambda: np.linspace(-1, 1, 1001),
    lambda: np.arange(3000.0).reshape(1000, 3) - 1500, lambda: np.arange(1001),
    lambda: np.concatenate([np.arange(1.0, 1000.0), [1e-5], np.arange(1.0, 1000.0)]),  # hidden small value
    lambda: np.r_[np.ones(500), -12.5, np.ones(499)],  # 1,000: printed whole, every element counts
], ids=["rows", "linspace", "columns", "int", "hidden", "exactly-1000"])
def test_a_long_tensor_prints_the_elements_pytorch_shows_in_its_notation_and_widths(make):
    """Over 1,000 elements PyTorch shows 3 at each end of an axis, and picks the notation
    and the width from those alone. The elision reads ', ...,' here, ',  ...,' there
    (docs/differences.md)."""
    torch = pytest.importorskip("torch")
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        expected = repr(torch.tensor(make())).replace(",  ...,", ", ...,")
    finally:
        torch.set_default_dtype(default)
    assert repr(Tensor(make())) == expected
