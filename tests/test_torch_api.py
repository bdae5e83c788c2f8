"""The `torch` namespace against PyTorch: every factory, module-level function and tensor
method added for `import mytorch as torch`, run as the same program text on both
libraries (`fn(m, *tensors)` with m = mytorch or torch).

Values, gradients and dtypes must agree: to 1e-8 in float64 and 1e-5 in float32, over
0-d tensors, empty dimensions and broadcasting. Differentiable ones also pass central
differences. Without torch, the comparisons are skipped and the rest still runs.
"""
import math

import numpy as np
import pytest

import mytorch
from mytorch import Tensor
from mytorch.gradcheck import gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch for the comparison")
TOLERANCES = {np.dtype(np.float64): dict(rtol=1e-8, atol=1e-10),
              np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
              np.dtype(np.float16): dict(rtol=1e-3, atol=1e-3)}


def _np_dtype(value):
    """A dtype of either library as a NumPy dtype: torch.float32 -> float32."""
    if torch is not None and isinstance(value, torch.dtype):
        return np.dtype(str(value).replace("torch.", ""))
    return np.dtype(value)


def _values(result):
    """A result (tensor, named pair, tuple, number) as a list of (array, dtype) leaves."""
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in _values(item)]
    if isinstance(result, Tensor):
        return [(result.data, result.dtype)]
    if torch is not None and isinstance(result, torch.Tensor):
        return [(result.detach().numpy(), _np_dtype(result.dtype))]
    return [(np.asarray(result), None)]


def _differentiable(result):
    """The float tensors of a result, whose gradients are compared."""
    leaves = result if isinstance(result, (tuple, list)) else [result]
    return [leaf for leaf in leaves if getattr(leaf, "requires_grad", False)]


@pytest.fixture
def default_dtypes():
    """Set the default dtype of both libraries for a test, and restore them."""
    saved = (mytorch.get_default_dtype(), torch.get_default_dtype() if torch else None)

    def set_both(dtype):
        mytorch.set_default_dtype(dtype)
        if torch is not None:
            torch.set_default_dtype(getattr(torch, np.dtype(dtype).name))

    yield set_both
    mytorch.set_default_dtype(saved[0])
    if torch is not None:
        torch.set_default_dtype(saved[1])


def compare(fn, *arrays, grad=True, seed=0):
    """Run fn(mytorch, *tensors) and fn(torch, *tensors) on copies of `arrays` (float
    arrays require grad when `grad`); their values, dtypes and gradients must agree."""
    ours_inputs = [mytorch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ours = fn(mytorch, *ours_inputs)
    if torch is None:
        return ours
    theirs_inputs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = fn(torch, *theirs_inputs)
    if type(theirs).__module__ == "torch.return_types":  # a named pair: the same name
        assert type(ours).__name__ == type(theirs).__name__
    ours_values, theirs_values = _values(ours), _values(theirs)
    assert len(ours_values) == len(theirs_values)
    for (mine, my_dtype), (expected, dtype) in zip(ours_values, theirs_values):
        assert my_dtype == dtype, f"dtype {my_dtype} != torch's {dtype}"
        assert mine.shape == expected.shape
        if mine.dtype.kind == "f":
            np.testing.assert_allclose(mine, expected, equal_nan=True, **TOLERANCES[mine.dtype])
        else:
            np.testing.assert_array_equal(mine, expected)
    rng = np.random.default_rng(seed)
    outputs = list(zip(_differentiable(ours), _differentiable(theirs)))
    if not outputs:
        return ours
    for mine, expected in outputs:
        weight = rng.standard_normal(mine.shape).astype(mine.dtype)
        with np.errstate(invalid="ignore"):  # inf outputs: -inf + inf in the sum is nan
            (mine * mytorch.tensor(weight)).sum().backward(retain_graph=True)
        (expected * torch.tensor(weight)).sum().backward(retain_graph=True)
    for mine, expected in zip(ours_inputs, theirs_inputs):
        if expected.grad is None:
            assert mine.grad is None or not mine.grad.data.any()
            continue
        assert mine.grad.dtype == _np_dtype(expected.grad.dtype)
        np.testing.assert_allclose(mine.grad.data, expected.grad.numpy(), equal_nan=True,
                                   **TOLERANCES[mine.dtype])
    return ours


def _away_from_kinks(shape, rng, positive=False, dtype=np.float64):
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    if not positive:
        data = np.where(np.abs(data) < 0.05, 0.3, data)
    return np.asarray(data, dtype=dtype)


# ------------------------------------------------------------------ the namespace

def test_tensor_is_callable_and_the_module_still_holds_the_class():
    import mytorch.tensor as module
    from mytorch.tensor import Tensor as imported
    assert imported is Tensor is module.Tensor is mytorch.Tensor
    t = mytorch.tensor([[1.0, 2.0]], requires_grad=True)
    assert isinstance(t, Tensor) and t.requires_grad and t.shape == (1, 2)
    assert callable(mytorch.tensor) and mytorch.tensor is module


def test_tensor_copies_and_as_tensor_and_from_numpy_share():
    array = np.arange(3.0)
    copied, shared, numpy_view = mytorch.tensor(array), mytorch.as_tensor(array), mytorch.from_numpy(array)
    array[0] = 7.0
    assert copied.data[0] == 0 and shared.data[0] == 7 and numpy_view.data[0] == 7
    assert not (copied.requires_grad or shared.requires_grad or numpy_view.requires_grad)
    assert not mytorch.as_tensor([1.0, 2.0]).requires_grad  # as torch.as_tensor: a constant
    t = mytorch.tensor([1.0])
    assert mytorch.as_tensor(t) is t and mytorch.as_tensor(t, dtype=mytorch.float32).dtype == np.float32
    with pytest.raises(TypeError, match="from_numpy: expected an np.ndarray, got list"):
        mytorch.from_numpy([1.0])


TENSOR_DATA = [3.5, 3, True, [], [1, 2.5], [[1, 2], [3, 4]], [True, False], (1, 2),
               np.float32(2.0), np.arange(3, dtype=np.int32), np.ones(2, np.float32)]


@needs_torch
@pytest.mark.parametrize("default", [np.float64, np.float32])
@pytest.mark.parametrize("data", TENSOR_DATA, ids=repr)
def test_tensor_infers_pytorchs_dtype(data, default, default_dtypes):
    default_dtypes(default)
    ours, theirs = mytorch.tensor(data), torch.tensor(data)
    assert ours.dtype == _np_dtype(theirs.dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours = mytorch.tensor([mytorch.tensor(1.5), mytorch.tensor(2.5)])
    np.testing.assert_array_equal(ours.data, [1.5, 2.5])


@pytest.mark.parametrize("call, error, match", [
    (lambda: mytorch.tensor([1, 2], requires_grad=True), RuntimeError,
     "only tensors of floating point dtype can require gradients, got dtype int64"),
    (lambda: mytorch.tensor([[1, 2], [3]]), ValueError, "inhomogeneous"),
    (lambda: mytorch.tensor("text"), TypeError, "could not make a tensor of str"),
    (lambda: mytorch.tensor(np.array(["a"])), TypeError, "a NumPy array of dtype <U1 is not numeric"),
    (lambda: mytorch.tensor([1.0], pin_memory=True), RuntimeError, "pin_memory=True needs a GPU"),
    (lambda: mytorch.tensor([mytorch.ones(2)]), ValueError, "only one-element tensors"),
    (lambda: mytorch.zeros(2, device="cuda"), RuntimeError, "zeros: device: device 'cuda' is not available"),
    (lambda: mytorch.zeros(-1), ValueError, "zeros: size must be a non-negative integer, got -1"),
    (lambda: mytorch.ones(2, dtype="text"), TypeError, "ones: dtype must be a bool, integer or float"),
    (lambda: mytorch.arange(0, 3, 0), ValueError, "arange: step must be nonzero"),
    (lambda: mytorch.arange(3, 0, 1), ValueError, "inconsistent with the sign of step 1"),
    (lambda: mytorch.randint(5, 2, (3,)), ValueError, r"high \(2\) must be greater than low \(5\)"),
    (lambda: mytorch.randint(5), TypeError, "randint: expected randint"),
    (lambda: mytorch.rand(2, dtype=mytorch.long), TypeError, "rand: dtype must be float32 or float64"),
    (lambda: mytorch.normal(0.0, -1.0, (2,)), ValueError, "normal: std must be >= 0"),
    (lambda: mytorch.zeros(2, bogus=1), TypeError, "zeros: unexpected keyword argument"),
    (lambda: mytorch.multinomial(mytorch.tensor([0.0, 0.0]), 1), ValueError, "positive sum"),
    (lambda: mytorch.multinomial(mytorch.tensor([1.0, 1.0]), 3), ValueError, "without replacement"),
    (lambda: mytorch.exp([1.0]), TypeError, "exp: input must be a Tensor or an ndarray, got list"),
    (lambda: mytorch.zeros_like([1, 2]), TypeError, "zeros_like: input must be a Tensor, got list"),
    (lambda: mytorch.randn_like(3.0), TypeError, "randn_like: input must be a Tensor, got float"),
    (lambda: mytorch.as_tensor(mytorch.ones(2), device="cuda"), RuntimeError,
     "as_tensor: device: device 'cuda' is not available"),
])
def test_bad_factory_and_function_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


FACTORIES = {
    "zeros": lambda m: m.zeros(2, 3),
    "zeros_tuple_dtype": lambda m: m.zeros((2, 3), dtype=m.int64),
    "zeros_size_kw": lambda m: m.zeros(size=(2,)),
    "ones_empty": lambda m: m.ones(0, 3, dtype=m.float32),
    "full_int": lambda m: m.full((2, 2), 3),
    "full_float": lambda m: m.full((2,), 1.5),
    "full_bool": lambda m: m.full((2,), True),
    "full_dtype": lambda m: m.full((2,), 7, dtype=m.float64),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 4, dtype=m.int32),
    "arange_int": lambda m: m.arange(5),
    "arange_float_end": lambda m: m.arange(2.5),
    "arange_step": lambda m: m.arange(1, 2, 0.1),
    "arange_negative": lambda m: m.arange(5, -3, -2),
    "arange_dtype": lambda m: m.arange(4, dtype=m.float32),
    "arange_empty": lambda m: m.arange(3, 3),
    "arange_empty_float": lambda m: m.arange(1.5, 1.5, -0.5),
    "linspace": lambda m: m.linspace(-1, 1, 7),
    "linspace_one": lambda m: m.linspace(2, 3, 1),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, 2, dtype=m.int32)),
    "ones_like_dtype": lambda m: m.ones_like(m.ones(3), dtype=m.float32),
    "full_like": lambda m: m.full_like(m.ones(2), 4),
    "empty_like_shape": lambda m: m.empty_like(m.ones(2, 3)).shape,
    "empty_shape": lambda m: m.empty(4, 1).shape,
}


@needs_torch
@pytest.mark.parametrize("default", [np.float64, np.float32])
@pytest.mark.parametrize("name", FACTORIES)
def test_factories_match_pytorch_in_values_and_dtypes(name, default, default_dtypes):
    default_dtypes(default)
    compare(lambda m: FACTORIES[name](m))


@needs_torch
@pytest.mark.parametrize("default", [np.float64, np.float32])
@pytest.mark.parametrize("make", [
    lambda m: m.rand(3, 2), lambda m: m.randn(2, 2), lambda m: m.rand(2, dtype=m.float64),
    lambda m: m.randint(0, 5, (4,)), lambda m: m.randint(3, (2,)), lambda m: m.randperm(5),
    lambda m: m.normal(0.0, 1.0, (3,)), lambda m: m.normal(m.zeros(2, dtype=m.float32), 1.0),
    lambda m: m.rand_like(m.ones(2, dtype=m.float32)), lambda m: m.randn_like(m.ones(3)),
    lambda m: m.randint_like(m.ones(2, dtype=m.int32), 4),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3, replacement=True),
])
def test_random_factories_match_pytorch_in_shape_and_dtype(make, default, default_dtypes):
    default_dtypes(default)
    ours, theirs = make(mytorch), make(torch)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == _np_dtype(theirs.dtype)
    assert not ours.requires_grad


def test_random_factories_draw_from_numpy_as_documented():
    """rand, randn and normal are NumPy's draws from the global state, so the course's
    `np.random.seed` reproduces them: pinned, value for value."""
    mytorch.manual_seed(9)
    drawn = [mytorch.rand(3), mytorch.randn(2, 2), mytorch.normal(2.0, 3.0, (4,)),
             mytorch.normal(mytorch.tensor([1.0, -1.0]), mytorch.tensor([0.5, 2.0]))]
    np.random.seed(9)
    expected = [np.random.random_sample(3), np.random.standard_normal((2, 2)),
                2.0 + 3.0 * np.random.standard_normal(4),
                np.array([1.0, -1.0]) + np.array([0.5, 2.0]) * np.random.standard_normal(2)]
    for tensor, values in zip(drawn, expected):
        np.testing.assert_array_equal(tensor.data, values)
    mytorch.manual_seed(9)
    around_five = mytorch.normal(mytorch.tensor([5.0, 5.0]))  # std 1 by default
    np.random.seed(9)
    np.testing.assert_array_equal(around_five.data, 5.0 + np.random.standard_normal(2))
    counts = np.bincount(mytorch.randint_like(mytorch.zeros(600, dtype=mytorch.int64), high=3).data)
    assert len(counts) == 3 and counts.min() > 100  # from 0 (the default low) to 2


def test_random_draws_are_in_range_and_reproducible():
    mytorch.manual_seed(5)
    first = [mytorch.rand(1000), mytorch.randint(2, 7, (1000,)), mytorch.randperm(10)]
    mytorch.manual_seed(5)
    again = [mytorch.rand(1000), mytorch.randint(2, 7, (1000,)), mytorch.randperm(10)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.data, b.data)
    assert 0 <= first[0].data.min() and first[0].data.max() < 1
    assert set(first[1].data.tolist()) == {2, 3, 4, 5, 6}
    assert sorted(first[2].tolist()) == list(range(10))
    g = mytorch.Generator().manual_seed(3)
    drawn = mytorch.randn(4, generator=g)
    np.testing.assert_array_equal(drawn.data, mytorch.randn(4, generator=g.manual_seed(3)).data)
    assert g.initial_seed() == 3 and isinstance(g, np.random.Generator)
    samples = mytorch.normal(mytorch.tensor([0.0, 100.0]), mytorch.tensor([1.0, 0.0]))
    assert samples.data[1] == 100.0
    counts = np.bincount(mytorch.multinomial(mytorch.tensor([1.0, 3.0]), 4000, True).data, minlength=2)
    assert 0.70 < counts[1] / 4000 < 0.80
    rows = mytorch.multinomial(mytorch.tensor([[0.0, 1.0], [1.0, 0.0]]), 2, replacement=True)
    np.testing.assert_array_equal(rows.data, [[1, 1], [0, 0]])


def test_factories_take_requires_grad_and_the_handout_constructors_keep_their_rule():
    x = mytorch.zeros(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.dtype == np.float64
    # The handout's Tensor.arange promotes integer data that requires grad, as Tensor(...) does.
    assert Tensor.arange(3, requires_grad=True).dtype == np.float64
    with pytest.raises(RuntimeError, match="floating point"):
        mytorch.arange(3, requires_grad=True)


# ----------------------------------------------------------- dtypes and devices

@needs_torch
@pytest.mark.parametrize("call", [
    lambda m, x: x.to(m.float32), lambda m, x: x.to("cpu"), lambda m, x: x.to(m.device("cpu")),
    lambda m, x: x.to("cpu", m.float32), lambda m, x: x.to(dtype=m.int64),
    lambda m, x: x.to(m.ones(1, dtype=m.float32)), lambda m, x: x.type(m.float32),
    lambda m, x: x.type("torch.IntTensor"), lambda m, x: x.double() * x.float(),
    lambda m, x: x.long(), lambda m, x: x.int(), lambda m, x: x.bool(), lambda m, x: x.half(),
    lambda m, x: x.cpu(), lambda m, x: x.type_as(m.ones(1, dtype=m.int32)),
    lambda m, x: x.to(m.float64, copy=True),
])
def test_conversions_match_pytorch(call):
    compare(call, np.array([1.5, -2.0, 0.0]))


def test_conversions_record_float_casts_and_report_types():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(x) is x
    assert x.to(x, copy=True) is not x
    assert x.device == mytorch.device("cpu") and str(x.device) == "cpu" and not x.is_cuda
    assert x.type() == "torch.DoubleTensor" and x.float().type() == "torch.FloatTensor"
    assert x.long().type() == "torch.LongTensor" and x.bool().type() == "torch.BoolTensor"
    assert x.float().grad_fn is not None and not x.long().requires_grad
    with pytest.raises(RuntimeError, match="cuda: device 'cuda' is not available"):
        x.cuda()
    with pytest.raises(RuntimeError, match="cuda: device 'cuda' is not available"):
        x.cuda(None)  # PyTorch's current CUDA device
    with pytest.raises(RuntimeError, match="to: device 'cuda:0' is not available"):
        x.to("cuda:0")
    with pytest.raises(TypeError, match="to: unexpected keyword argument"):
        x.to(bogus=1)


def test_python_scalars_and_the_format_protocol():
    t = mytorch.tensor(2.75)
    assert float(t) == 2.75 and int(t) == 2 and f"{t:.1f}" == "2.8" and f"{t}" == "2.75"
    assert int(mytorch.tensor([7])) == 7 and [10, 20, 30][mytorch.tensor(1)] == 20
    assert list(range(mytorch.tensor(3))) == [0, 1, 2]
    assert mytorch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert mytorch.tensor(3).tolist() == 3
    with pytest.raises(ValueError, match="only one-element tensors can be converted to Python floats"):
        float(mytorch.ones(2))
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][mytorch.tensor(1.0)]
    with pytest.raises(TypeError):
        f"{mytorch.ones(2):.2f}"  # as PyTorch: a format spec needs a 0-d tensor
    with pytest.raises(RuntimeError, match="a tensor with 2 elements cannot be converted"):
        mytorch.ones(2).item()
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(mytorch.tensor(1.0))
    rows = [row.sum().item() for row in mytorch.tensor([[1.0, 2.0], [3.0, 4.0]])]
    assert rows == [3.0, 7.0]


def test_numpy_refuses_a_tensor_that_requires_grad_as_pytorch():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        x.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(x)
    assert np.asarray(x.detach()) is x.data and x.numpy(force=True) is x.data
    np.testing.assert_array_equal(np.asarray(mytorch.ones(2), dtype=np.int64), [1, 1])


def test_requires_grad_detach_and_clone():
    x = mytorch.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype"):
        mytorch.arange(3).requires_grad_()
    y = x * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)
    z = x * 3
    assert z.detach_() is z and z.grad_fn is None and z.is_leaf and not z.requires_grad
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.data, x.data)
    (c * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_in_place_random_fills():
    w = mytorch.empty(1000, 2, dtype=mytorch.float32)
    version = w._version
    assert w.normal_(1.0, 0.5) is w and w.dtype == np.float32 and w._version == version + 1
    assert abs(float(w.mean()) - 1.0) < 0.1 and abs(float(w.std()) - 0.5) < 0.1
    w.uniform_(-2.0, -1.0)
    assert -2.0 <= w.data.min() and w.data.max() < -1.0
    leaf = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf.normal_()
    with mytorch.no_grad():
        leaf.uniform_(0.0, 1.0)
    with pytest.raises(ValueError, match="must not exceed"):
        mytorch.ones(2).uniform_(1.0, 0.0)


# ------------------------------------------------------- module-level functions

UNARY = {
    "exp": (lambda m, x: m.exp(x), "normal"), "log": (lambda m, x: m.log(x), "positive"),
    "log1p": (lambda m, x: m.log1p(x), "positive"), "expm1": (lambda m, x: m.expm1(x), "normal"),
    "sqrt": (lambda m, x: m.sqrt(x), "positive"), "rsqrt": (lambda m, x: m.rsqrt(x), "positive"),
    "sin": (lambda m, x: m.sin(x), "normal"), "cos": (lambda m, x: m.cos(x), "normal"),
    "tan": (lambda m, x: m.tan(x * 0.5), "normal"), "tanh": (lambda m, x: m.tanh(x), "normal"),
    "sigmoid": (lambda m, x: m.sigmoid(x), "normal"), "relu": (lambda m, x: m.relu(x), "normal"),
    "abs": (lambda m, x: m.abs(x), "normal"), "neg": (lambda m, x: m.neg(x), "normal"),
    "negative": (lambda m, x: m.negative(x), "normal"),
    "reciprocal": (lambda m, x: m.reciprocal(x), "positive"),
    "square": (lambda m, x: m.square(x), "normal"), "sign": (lambda m, x: m.sign(x), "normal"),
    "floor": (lambda m, x: m.floor(x * 3), "normal"), "ceil": (lambda m, x: m.ceil(x * 3), "normal"),
    "trunc": (lambda m, x: m.trunc(x * 3), "normal"), "round": (lambda m, x: m.round(x * 3), "normal"),
    "round_decimals": (lambda m, x: m.round(x, decimals=1), "normal"),
    "clamp": (lambda m, x: m.clamp(x, -0.5, 0.5), "normal"), "clip": (lambda m, x: m.clip(x, min=0.1), "normal"),
    "pow_number": (lambda m, x: m.pow(x, 3), "normal"), "rpow": (lambda m, x: m.pow(2.0, x), "normal"),
    "softmax": (lambda m, x: m.softmax(x, 0), "normal"),
    "log_softmax": (lambda m, x: m.log_softmax(x, -1), "normal"),
    "flatten": (lambda m, x: m.flatten(x), "normal"), "clone": (lambda m, x: m.clone(x), "normal"),
    "squeeze_unsqueeze": (lambda m, x: m.squeeze(m.unsqueeze(x, 0)), "normal"),
    "masked_fill": (lambda m, x: m.masked_fill(x, x > 0.5, -1.0), "normal"),
    "add_alpha": (lambda m, x: m.add(x, x * x, alpha=0.5), "normal"),
    "sub_alpha": (lambda m, x: m.sub(x, 2.0, alpha=3), "normal"),
    "mul_div": (lambda m, x: m.div(m.mul(x, 3.0), 2.0), "normal"),
    "true_divide": (lambda m, x: m.true_divide(x, x * x + 1), "normal"),
}
SHAPES = [(3, 4), (), (0, 3), (1,)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_elementwise_functions_match_pytorch(name, shape, dtype):
    fn, kind = UNARY[name]
    if name in ("softmax", "log_softmax") and 0 in shape:
        shape = (2, 3)
    data = _away_from_kinks(shape, np.random.default_rng(1), kind == "positive", dtype)
    compare(fn, data)


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("sign", "floor", "ceil", "trunc",
                                                                 "round", "round_decimals")])
def test_elementwise_functions_against_central_differences(name):
    fn, kind = UNARY[name]
    x = Tensor(_away_from_kinks((3, 4), np.random.default_rng(2), kind == "positive"), requires_grad=True)
    assert gradcheck(lambda a: fn(mytorch, a), x)


def test_steps_have_gradient_zero_and_keep_integers():
    x = mytorch.tensor([-1.5, -0.5, 0.5, 2.5], requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x.trunc() + x.sign()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0)
    np.testing.assert_array_equal(x.round().data, [-2.0, -0.0, 0.0, 2.0])  # half to even
    ints = mytorch.tensor([-3, 0, 4])
    assert ints.floor().dtype == np.int64 and ints.sign().tolist() == [-1, 0, 1]


BINARY = {
    "add": lambda m, a, b: m.add(a, b), "sub": lambda m, a, b: m.sub(a, b),
    "mul": lambda m, a, b: m.mul(a, b), "div": lambda m, a, b: m.div(a, b * b + 1),
    "maximum": lambda m, a, b: m.maximum(a, b), "minimum": lambda m, a, b: m.minimum(a, b),
    "max_pair": lambda m, a, b: m.max(a, b), "min_pair": lambda m, a, b: m.min(a, b),
    "pow": lambda m, a, b: m.pow(a * a + 0.5, b), "where": lambda m, a, b: m.where(a > b, a, b),
    "atan_like": lambda m, a, b: m.sin(a) * m.cos(b) + m.tan(a * 0.3),
    "remainder": lambda m, a, b: m.remainder(a * 3, b * b + 0.5),
    "mod_operator": lambda m, a, b: (a * 3) % (b * b + 0.5) - 1 % (a * a + 2).detach(),
}
BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_broadcast_as_pytorch(name, shapes, dtype):
    rng = np.random.default_rng(3)
    a, b = (_away_from_kinks(shape, rng, dtype=dtype) for shape in shapes)
    compare(BINARY[name], a, b)
    if dtype == np.float64 and 0 not in shapes[0]:
        assert gradcheck(lambda x, y: BINARY[name](mytorch, x, y), Tensor(a, requires_grad=True),
                         Tensor(b, requires_grad=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn, shapes", [
    (lambda m, a, b: m.matmul(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(3,), (2, 3, 4)]),
    (lambda m, a, b: m.mm(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.bmm(a, b), [(5, 2, 3), (5, 3, 4)]),
    (lambda m, a, b: m.dot(a, b), [(4,), (4,)]),
    (lambda m, a, b: a.t().mm(b), [(3, 2), (3, 4)]),
    (lambda m, a, b: m.t(a) @ m.t(b), [(3,), (3,)]),
], ids=["matmul", "matmul_1d_batched", "mm", "bmm", "dot", "t_mm", "t_1d"])
def test_matrix_products_match_pytorch(fn, shapes, dtype):
    rng = np.random.default_rng(4)
    compare(fn, *[rng.standard_normal(shape).astype(dtype) for shape in shapes])


@pytest.mark.parametrize("call, match", [
    (lambda: mytorch.mm(mytorch.ones(3), mytorch.ones(3, 2)), r"mm: expects two matrices, got shapes \(3,\) and \(3, 2\)"),
    (lambda: mytorch.bmm(mytorch.ones(2, 2, 3), mytorch.ones(3, 3, 2)), "bmm: expects two 3-d tensors"),
    (lambda: mytorch.dot(mytorch.ones(3), mytorch.ones(4)), "dot: expects two 1-d tensors"),
    (lambda: mytorch.ones(2, 3, 4).t(), "t: expects a tensor of at most 2 dimensions"),
])
def test_matrix_products_refuse_bad_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_comparisons_and_closeness():
    a, b = mytorch.tensor([1.0, 2.0, 3.0]), mytorch.tensor([1.0, 2.5, 3.0 + 1e-9])
    assert mytorch.eq(a, b).tolist() == [True, False, False] and a.ne(b).tolist() == [False, True, True]
    assert a.lt(b).tolist() == [False, True, True] and mytorch.ge(a, 2.0).tolist() == [False, True, True]
    assert mytorch.isclose(a, b).tolist() == [True, False, True]
    assert not mytorch.allclose(a, b) and mytorch.allclose(a, a + 1e-9)
    assert mytorch.equal(a, a.clone()) and not mytorch.equal(a, b) and not mytorch.equal(a, a[:2])
    nan = mytorch.tensor([float("nan")])
    assert not mytorch.allclose(nan, nan) and mytorch.allclose(nan, nan, equal_nan=True)
    assert mytorch.isclose(nan, nan).tolist() == [False] and nan.isclose(nan, equal_nan=True).tolist() == [True]
    assert a.cumprod(0, dtype=mytorch.float32).dtype == mytorch.float32  # as torch.cumprod(dtype=)
    np.testing.assert_array_equal(a.cumprod(0, dtype=mytorch.float32).data, np.float32([1, 2, 6 + 3e-9]))
    assert mytorch.is_tensor(a) and not mytorch.is_tensor(a.data) and mytorch.numel(mytorch.ones(2, 3)) == 6
    assert mytorch.is_floating_point(a) and not mytorch.is_floating_point(mytorch.arange(2))


# ------------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum": lambda m, x: x.sum(), "sum_dim": lambda m, x: m.sum(x, 1),
    "sum_dim_keep": lambda m, x: x.sum(0, True), "sum_empty_dims": lambda m, x: x.sum(dim=()),
    "sum_dims": lambda m, x: x.sum(dim=(0, 1)), "sum_dtype": lambda m, x: x.sum(dtype=m.float32),
    "mean": lambda m, x: m.mean(x), "mean_dim": lambda m, x: x.mean(-1, keepdim=True),
    "var": lambda m, x: x.var(), "var_dim_unbiased": lambda m, x: x.var(1, False),
    "var_positional": lambda m, x: x.var(0, True, True), "var_unbiased_only": lambda m, x: x.var(False),
    "var_correction": lambda m, x: m.var(x, dim=1, correction=0),
    "var_unbiased_kw": lambda m, x: x.var(dim=0, unbiased=False, keepdim=True),
    "std": lambda m, x: x.std(), "std_dim": lambda m, x: m.std(x, 1, False, True),
    "std_correction": lambda m, x: x.std(dim=0, correction=2),
    "max_all": lambda m, x: x.max(), "max_dim": lambda m, x: m.max(x, 1),
    "max_dim_keep": lambda m, x: x.max(dim=0, keepdim=True), "min_all": lambda m, x: m.min(x),
    "min_dim": lambda m, x: x.min(-1), "amax": lambda m, x: m.amax(x, dim=(0, 1)),
    "amin": lambda m, x: x.amin(1, keepdim=True), "argmax": lambda m, x: m.argmax(x, dim=1),
    "argmin_keep": lambda m, x: x.argmin(0, keepdim=True), "argmax_all": lambda m, x: x.argmax(),
    "logsumexp": lambda m, x: m.logsumexp(x, 1), "logsumexp_keep": lambda m, x: x.logsumexp((0, 1), True),
    "norm": lambda m, x: x.norm(), "norm_dim": lambda m, x: m.norm(x, dim=1),
    "norm_1": lambda m, x: x.norm(p=1, dim=0), "norm_inf": lambda m, x: x.norm(p=math.inf),
    "norm_minus_inf": lambda m, x: x.norm(p=-math.inf, dim=1, keepdim=True),
    "sort": lambda m, x: m.sort(x), "sort_desc": lambda m, x: x.sort(dim=0, descending=True),
    "argsort": lambda m, x: m.argsort(x, dim=1, descending=True),
    "topk": lambda m, x: m.topk(x, 2), "topk_smallest": lambda m, x: x.topk(1, dim=0, largest=False),
    "all": lambda m, x: m.all(x > 0), "any_dim": lambda m, x: (x > 1).any(1),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_match_pytorch(name, dtype):
    x = _away_from_kinks((3, 4), np.random.default_rng(5), dtype=dtype)
    compare(REDUCTIONS[name], x)
    if dtype == np.float64 and not name.startswith(("arg", "all", "any", "sum_dtype")):
        def values(a):
            result = REDUCTIONS[name](mytorch, a)
            return result[0] if isinstance(result, tuple) else result
        assert gradcheck(values, Tensor(x.copy(), requires_grad=True))


@pytest.mark.filterwarnings("ignore:(var|std).*degrees of freedom")
@pytest.mark.parametrize("fn", [
    lambda m, x: x.sum(), lambda m, x: x.mean(), lambda m, x: x.var(), lambda m, x: x.std(),
    lambda m, x: x.max(), lambda m, x: x.max(0), lambda m, x: x.logsumexp(0),
    lambda m, x: x.norm(), lambda m, x: x.sort(), lambda m, x: x.argmax(0),
    lambda m, x: x.topk(1, 0), lambda m, x: x.amin(0),
])
def test_reductions_of_a_0d_tensor_match_pytorch(fn):
    compare(fn, np.array(1.5))


@pytest.mark.filterwarnings("ignore:(var|std).*degrees of freedom")
@pytest.mark.parametrize("fn", [
    lambda m, x: x.sum(0), lambda m, x: x.sum(), lambda m, x: x.mean(0), lambda m, x: x.mean(1),
    lambda m, x: x.mean(), lambda m, x: x.var(1), lambda m, x: x.std(0), lambda m, x: x.amax(1),
    lambda m, x: x.max(1), lambda m, x: x.logsumexp(0), lambda m, x: x.logsumexp(1),
    lambda m, x: x.norm(dim=0), lambda m, x: x.sort(0), lambda m, x: x.argmax(1),
])
def test_reductions_of_empty_tensors_match_pytorch(fn):
    """The mean over no elements is nan; over an empty axis the result is empty."""
    compare(fn, np.zeros((0, 3)))


@pytest.mark.filterwarnings("ignore:(var|std).*degrees of freedom")
@pytest.mark.parametrize("fn", [
    lambda m, x: x.var(correction=3), lambda m, x: x.var(correction=4),
    lambda m, x: x.var(dim=1, correction=3), lambda m, x: x.var(1, correction=4),
    lambda m, x: x.std(correction=3), lambda m, x: x.std(1, correction=2),
    lambda m, x: x[:1].var(), lambda m, x: x[:1, :1].std(),
], ids=["all_n_eq", "all_n_lt", "dim_n_eq", "dim_n_lt", "std_all", "std_dim", "one_row", "one"])
def test_var_and_std_with_n_at_most_the_correction_match_pytorch(fn):
    """inf, or nan for 0 / 0, in values and gradients, exactly where PyTorch has them."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    with np.errstate(all="ignore"):
        compare(fn, x)


def test_the_reduction_ops_defaults():
    """The ops called directly, as the handout calls its ops: every axis, no kept axes,
    and var's and std's unbiased default."""
    F = mytorch.nn.functional
    data = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    x = Tensor(data)
    np.testing.assert_allclose(F.Var.apply(x).data, data.var(ddof=1))
    np.testing.assert_allclose(F.Var.apply(x, 1).data, data.var(axis=1, ddof=1))
    np.testing.assert_allclose(F.Std.apply(x).data, data.std(ddof=1))
    np.testing.assert_allclose(F.Std.apply(x, 0).data, data.std(axis=0, ddof=1))
    assert F.Std.apply(x, 1).shape == (2,) and F.Var.apply(x, 0).shape == (3,)
    np.testing.assert_allclose(F.Min.apply(x, 1).data, [1.0, -1.0])
    np.testing.assert_allclose(F.Mean.apply(x, 1).data, data.mean(axis=1))
    np.testing.assert_allclose(F.Sum.apply(x, 0).data, data.sum(axis=0))
    np.testing.assert_allclose(F.Max.apply(x, 0).data, data.max(axis=0))
    np.testing.assert_allclose(F.Norm.apply(x).data, np.sqrt((data ** 2).sum()))
    np.testing.assert_allclose(F.LogSumExp.apply(x, 0).data, np.log(np.exp(data).sum(0)))


def test_the_norm_of_zero_has_gradient_zero_as_pytorch():
    x = mytorch.zeros(2, 2, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    compare(lambda m, a: a.norm(dim=1), np.array([[0.0, 0.0], [3.0, 4.0]]))


def test_std_of_a_constant_slice_has_gradient_zero_as_pytorch():
    x = mytorch.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], requires_grad=True)
    x.std(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0], [0.0, 0.0, 0.0])
    assert np.isfinite(x.grad.data).all()
    compare(lambda m, a: a.std(), np.ones(4))


def test_max_along_a_dim_sends_the_gradient_to_the_index_it_picked():
    """PyTorch's max(dim) gives the gradient to the returned index (the first of tied
    maxima); max() and amax split it evenly between ties."""
    x = np.array([[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]])
    values, indices = compare(lambda m, a: a.max(1), x)
    assert indices.tolist() == [0, 1]
    compare(lambda m, a: a.max(), x)
    compare(lambda m, a: a.amax(dim=1), x)
    ours = mytorch.tensor(x, requires_grad=True)
    ours.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(ours.grad.data, [[1, 0, 0], [0, 1, 0]])
    assert isinstance(ours.max(1), mytorch.return_types.max) and ours.max(1).indices.dtype == np.int64


def test_numpy_keywords_keep_numpys_meaning():
    x = mytorch.tensor([[1.0, 5.0], [3.0, 2.0]])
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 3.0])  # values, as ndarray.max
    np.testing.assert_array_equal(x.min(axis=0, keepdims=True).data, [[1.0, 2.0]])
    np.testing.assert_array_equal(x.sum(axis=0, keepdims=True).data, [[4.0, 7.0]])
    assert x.sum(dim=()).item() == 11.0 and x.sum(dim=[]).item() == 11.0
    with pytest.raises(ValueError, match=r"axis=\(\) reduces nothing in NumPy but every axis in PyTorch"):
        x.sum(axis=())


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.sum(keepdims=2), ValueError, "sum: keepdims must be True or False, got 2"),
    (lambda x: x.sum(0, keepdim=True, keepdims=True), ValueError, "give keepdim or keepdims"),
    (lambda x: x.mean(dim=0, axis=0), ValueError, "give dim or axis"),
    (lambda x: x.var(True, unbiased=False), TypeError, "var: got unbiased twice"),
    (lambda x: x.std(0, True, correction=0), ValueError, "std: give correction or unbiased"),
    (lambda x: x.var(correction=-1), ValueError, "var: correction must be a number >= 0"),
    (lambda x: x.max(dim=(0, 1)), TypeError, "max: dim must be an integer"),
    (lambda x: x.max(x, keepdim=True), TypeError, r"max\(other\): takes no dim"),
    (lambda x: mytorch.zeros(0).max(), ValueError, r"max: cannot reduce a tensor of shape \(0,\)"),
    (lambda x: mytorch.zeros(0, 2).min(0), ValueError, r"min: cannot reduce dim 0"),
    (lambda x: mytorch.zeros(0, 2).amax(0), ValueError, r"max: cannot reduce a tensor of shape \(0, 2\)"),
    (lambda x: x.topk(5), ValueError, r"topk: k \(5\) is larger than the size 3"),
    (lambda x: x.norm(p=3), ValueError, "norm: p must be 2"),
    (lambda x: x.argsort(dim=2), ValueError, "argsort: dim 2 is out of range"),
])
def test_bad_reduction_arguments_are_named(call, error, match):
    x = mytorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    with pytest.raises(error, match=match):
        call(x)
    assert x.grad is None


def test_sum_backward_gives_a_writable_array_and_mean_of_empty_is_nan():
    from mytorch.autograd_engine import ContextManager
    ctx = ContextManager()
    mytorch.ops.Sum.forward(ctx, Tensor(np.ones((2, 3))), 1)
    grad = mytorch.ops.Sum.backward(ctx, Tensor(np.ones(2)))[0]
    assert grad.data.flags.writeable and grad.shape == (2, 3)
    assert np.isnan(mytorch.zeros(0).mean().item())
    assert mytorch.zeros(3, 0).mean(0).shape == (0,)


def test_sort_and_topk_keep_ties_in_order_and_put_nan_last():
    x = mytorch.tensor([2.0, 1.0, 2.0, float("nan"), 1.0])
    assert x.sort().indices.tolist() == [1, 4, 0, 2, 3]
    assert x.sort(descending=True).indices.tolist() == [3, 0, 2, 1, 4]
    assert x[:3].topk(2).indices.tolist() == [0, 2]


# --------------------------------------------------------- shapes and indexing

SHAPE_OPS = {
    "narrow": lambda m, x: x.narrow(1, 1, 2), "narrow_negative": lambda m, x: m.narrow(x, 0, -2, 2),
    "select": lambda m, x: m.select(x, 1, -1), "unbind": lambda m, x: m.unbind(x, 1),
    "split": lambda m, x: x.split(2, 1), "split_sizes": lambda m, x: m.split(x, [1, 3], 1),
    "chunk": lambda m, x: x.chunk(2, 0), "chunk_uneven": lambda m, x: m.chunk(x, 3, 1),
    "gather": lambda m, x: m.gather(x, 1, m.tensor([[0, 0], [3, 1], [2, 2]])),
    "gather_dim0": lambda m, x: x.gather(0, m.tensor([[2, 0, 1, 1]])),
    "view_as": lambda m, x: x.view_as(m.ones(4, 3)), "reshape_as": lambda m, x: x.reshape_as(m.ones(12)),
    "expand_as": lambda m, x: x[:1].expand_as(x), "t": lambda m, x: x.t(),
    "transpose": lambda m, x: m.transpose(x, 0, 1), "permute": lambda m, x: m.permute(x, (1, 0)),
    "reshape": lambda m, x: m.reshape(x, (2, -1)), "contiguous": lambda m, x: x.t().contiguous(),
    "dim_nelement": lambda m, x: (x.dim(), x.nelement()),
    "iterate": lambda m, x: [row * 2 for row in x],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_functions_match_pytorch(name, dtype):
    x = np.arange(12.0, dtype=dtype).reshape(3, 4) / 7
    compare(SHAPE_OPS[name], x)


def test_gather_accumulates_repeated_picks_and_refuses_bad_indices():
    x = mytorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.gather(1, mytorch.tensor([[1, 1, 1], [0, 1, 0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 3], [2, 1]])
    assert gradcheck(lambda a: a.gather(0, mytorch.tensor([[1, 0], [1, 1]])), Tensor(np.ones((2, 2)), requires_grad=True))
    with pytest.raises(IndexError, match="gather: index 2 is out of range for dim 1 of size 2"):
        x.gather(1, mytorch.tensor([[2]]))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, mytorch.tensor([[0.0]]))
    with pytest.raises(ValueError, match="gather: index of shape"):
        x.gather(0, mytorch.tensor([0, 1]))


def test_split_and_narrow_refuse_bad_sizes():
    x = mytorch.ones(4, 2)
    with pytest.raises(ValueError, match=r"split: sections \[1, 2\] do not add up to the size 4"):
        x.split([1, 2])
    with pytest.raises(IndexError, match="narrow: start 3 and length 2 are out of range"):
        x.narrow(0, 3, 2)


def test_basic_slicing_is_a_view_that_shares_memory_and_version():
    x = mytorch.arange(6.0)
    tail, one, column = x[1:], x[2], x.view(2, 3)[:, 1]
    assert all(np.shares_memory(v.data, x.data) for v in (tail, one, column))
    x.add_(10.0)  # seen through every view, and bumps every view's version
    assert tail.tolist() == [11.0, 12.0, 13.0, 14.0, 15.0] and one.item() == 12.0
    assert column.tolist() == [11.0, 14.0]
    assert tail._version == one._version == column._version == x._version == 1
    tail.zero_()  # a change through the view shows in x
    assert x.tolist() == [10.0, 0.0, 0.0, 0.0, 0.0, 0.0] and x._version == 2
    copied = x[[0, 1]]  # advanced indexing copies
    copied.fill_(5.0)
    assert x[0].item() == 10.0 and not np.shares_memory(copied.data, x.data)
    masked = x[x > 1]
    assert not np.shares_memory(masked.data, x.data)
    for view in (x.narrow(0, 1, 2), x.select(0, 3), x.unsqueeze(0), x.view(3, 2).t(), x.expand(2, 6)):
        assert np.shares_memory(view.data, x.data) and view._version_counter is x._version_counter


@needs_torch
def test_views_follow_pytorchs_in_place_rules():
    """An in-place change to a tensor that a saved view depends on stops backward, in
    both libraries; changing an input no gradient needs does not."""
    for m in (mytorch, torch):
        x = m.ones(4, requires_grad=True)
        y = x * 1
        tail = y[1:]
        z = (tail * tail).sum()  # Mul saves the view
        with m.no_grad():
            y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place operation"):
            z.backward()


@pytest.mark.parametrize("make", [
    lambda m, x: x * 2, lambda m, x: 2 * x, lambda m, x: x / 4, lambda m, x: x + 1,
    lambda m, x: x @ m.ones(3, 2, dtype=x.dtype), lambda m, x: m.ones(2, 2, dtype=x.dtype) @ x,
    lambda m, x: m.where(m.ones(2, 3, dtype=m.bool), x, 0.0), lambda m, x: x.exp(),
    lambda m, x: x ** 2, lambda m, x: x.sum(), lambda m, x: x.sqrt(),
    lambda m, x: m.ones(2, 3, dtype=x.dtype) * x.detach() + x,
])
def test_an_in_place_change_to_an_input_backward_does_not_need_is_allowed(make):
    """`y = x * 2; with no_grad(): x.add_(1); y.sum().backward()` computes, as in PyTorch:
    ops keep only what their backward needs."""
    results = []
    for m in ([mytorch, torch] if torch else [mytorch]):
        x = m.tensor(np.full((2, 3), 2.0), requires_grad=True)
        y = make(m, x)
        with m.no_grad():
            x.add_(1.0)
        try:
            y.sum().backward()
            results.append(("ok", x.grad.numpy() if m is torch else x.grad.data))
        except RuntimeError:
            results.append(("raised", None))
    if len(results) == 2:
        assert results[0][0] == results[1][0]
        if results[0][0] == "ok":
            np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_the_issues_in_place_case_computes():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with mytorch.no_grad():
        x.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


# --------------------------------------------------------------- dtype promotion

DTYPES = ["bool", "int32", "int64", "float32", "float64"]


@needs_torch
@pytest.mark.parametrize("default", [np.float64, np.float32])
@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
@pytest.mark.parametrize("zero_dim", [False, True])
def test_binary_ops_promote_dtypes_as_pytorch(left, right, zero_dim, default, default_dtypes):
    default_dtypes(default)
    a = np.array([1, 0, 1]).astype(left)
    b = (np.array(1) if zero_dim else np.array([1, 1, 0])).astype(right)
    for fn in (lambda m, x, y: x + y, lambda m, x, y: x * y, lambda m, x, y: x / (y + 1),
               lambda m, x, y: m.where(m.tensor([True, False, True]), x, y),
               lambda m, x, y: m.maximum(x, y), lambda m, x, y: x < y,
               lambda m, x, y: m.cat([x, y.reshape(-1)])):
        compare(fn, a, b, grad=False)


@needs_torch
@pytest.mark.parametrize("default", [np.float64, np.float32])
@pytest.mark.parametrize("fn", [
    lambda m: m.arange(3) * 2.5, lambda m: m.arange(4) / 2, lambda m: m.arange(3) ** 0.5,
    lambda m: m.tensor([1, 2]) + True, lambda m: m.tensor([True]) + 1,
    lambda m: m.tensor([True]) * 1.5, lambda m: m.arange(3, dtype=m.int32) * 2,
    lambda m: m.where(m.tensor([True, False]), 3.0, 2.0), lambda m: m.where(m.tensor([True]), 3, 2),
    lambda m: m.where(m.tensor([True, False]), 3.0, m.ones(2, dtype=m.float32)),
    lambda m: m.arange(5) // 2, lambda m: m.arange(-5, 5) // 3, lambda m: 7 // m.arange(1, 4),
    lambda m: m.arange(-5.0, 5.0) // 3, lambda m: m.div(m.arange(-5, 5), 3, rounding_mode="trunc"),
    lambda m: m.div(m.arange(-5.0, 5.0), 3, rounding_mode="floor"),
    lambda m: m.ones(2, dtype=m.float32) * m.tensor(2.0, dtype=m.float64),
])
def test_python_numbers_and_0d_tensors_promote_as_pytorch(fn, default, default_dtypes):
    default_dtypes(default)
    compare(fn)


# --------------------------------------------------------------------- grad modes

def test_set_grad_enabled_and_inference_mode():
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mytorch.is_grad_enabled()
    mytorch.set_grad_enabled(False)
    try:
        assert not mytorch.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        mytorch.set_grad_enabled(True)
    with mytorch.inference_mode():
        assert not (x * 2).requires_grad
    with mytorch.inference_mode(False):
        assert (x * 2).requires_grad

    @mytorch.inference_mode()
    def predict(value):
        return value * 2

    assert not predict(x).requires_grad and mytorch.is_grad_enabled()
    with pytest.raises(ValueError, match="set_grad_enabled: mode must be True or False"):
        mytorch.set_grad_enabled("yes")


def test_backends_and_cuda_report_no_gpu():
    assert not mytorch.backends.mps.is_available() and not mytorch.backends.cudnn.is_available()
    mytorch.backends.cudnn.deterministic = True
    mytorch.backends.cudnn.benchmark = False
    assert mytorch.backends.cudnn.deterministic
    device = mytorch.device("cuda" if mytorch.cuda.is_available() else "cpu")
    assert mytorch.ones(2).to(device).device == device


# ------------------------------------------------------------------ utils.data

@needs_torch
@pytest.mark.parametrize("lengths", [[7, 3], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.5, 0.5], [10, 0]])
def test_random_split_sizes_match_pytorch(lengths):
    from torch.utils.data import random_split as torch_split
    from mytorch.utils.data import random_split
    ours = [len(part) for part in random_split(range(10), lengths)]
    assert ours == [len(part) for part in torch_split(range(10), lengths)]


def test_random_split_is_a_partition_reproducible_with_a_generator():
    from mytorch.utils.data import DataLoader, Subset, TensorDataset, random_split
    data = TensorDataset(np.arange(10.0), np.arange(10) % 3)
    first = random_split(data, [6, 4], generator=mytorch.Generator().manual_seed(1))
    again = random_split(data, [6, 4], generator=mytorch.Generator().manual_seed(1))
    assert [part.indices for part in first] == [part.indices for part in again]
    assert sorted(first[0].indices + first[1].indices) == list(range(10))
    assert isinstance(first[0], Subset) and len(first[0]) == 6
    index = first[1].indices[2]
    assert first[1][2][0].item() == float(index)
    batches = list(DataLoader(first[0], batch_size=4))
    assert [len(x) for x, _ in batches] == [4, 2]
    mytorch.manual_seed(3)
    global_draw = random_split(range(5), [2, 3])[0].indices
    mytorch.manual_seed(3)
    assert random_split(range(5), [2, 3])[0].indices == global_draw
    with pytest.raises(ValueError, match=r"random_split: the lengths \[6, 3\] sum to 9, not to the data set's 10"):
        random_split(data, [6, 3])
    with pytest.raises(ValueError, match="random_split: length must be a non-negative integer"):
        random_split(data, [11, -1])
    assert Subset(data, [3, 1])[1][0].item() == 1.0
