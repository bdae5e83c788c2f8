"""The tensor ops PyTorch programs reach for beyond the basics, against PyTorch: running
sums and products, prod, repeat, flip, tril/triu, index_select, scatter/scatter_add,
clamp with tensor bounds, bincount, the bitwise operators, the in-place forms and the
`new_*` factories.

As in `test_torch_api.py`: the same program text runs on both libraries (`fn(m, *tensors)`),
values, dtypes and gradients must agree (1e-8 in float64, 1e-5 in float32) over 0-d
tensors, empty dimensions and broadcasting; the differentiable ones pass central
differences; bad input is an error naming the op and the value.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mytorch
from mytorch import Tensor
from mytorch.gradcheck import gradcheck
from test_torch_api import compare, needs_torch, torch

# Each takes a (3, 4) tensor x.
OPS = {
    "cumsum": lambda m, x: m.cumsum(x, 1), "cumsum_dim0": lambda m, x: x.cumsum(dim=0),
    "cumsum_negative": lambda m, x: x.cumsum(-1), "cumprod": lambda m, x: m.cumprod(x, 1),
    "cumprod_dim0": lambda m, x: x.cumprod(0),
    "prod": lambda m, x: m.prod(x), "prod_dim": lambda m, x: x.prod(1),
    "prod_keepdim": lambda m, x: m.prod(x, 0, keepdim=True), "prod_negative": lambda m, x: x.prod(-1),
    "repeat": lambda m, x: x.repeat(2, 3), "repeat_tuple": lambda m, x: x.repeat((1, 2)),
    "repeat_new_axes": lambda m, x: x.repeat(2, 1, 1), "repeat_zero": lambda m, x: x.repeat(0, 2),
    "flip": lambda m, x: m.flip(x, [0]), "flip_both": lambda m, x: x.flip(0, 1),
    "flip_negative": lambda m, x: m.flip(x, (-1,)),
    "tril": lambda m, x: m.tril(x), "tril_diagonal": lambda m, x: x.tril(1),
    "tril_below": lambda m, x: m.tril(x, diagonal=-1), "triu": lambda m, x: m.triu(x),
    "triu_diagonal": lambda m, x: x.triu(2), "triu_batched": lambda m, x: x.reshape(3, 2, 2).triu(),
    "index_select": lambda m, x: m.index_select(x, 1, m.tensor([2, 0, 2])),
    "index_select_dim0": lambda m, x: x.index_select(0, m.tensor([1])),
    "index_select_0d_index": lambda m, x: x.index_select(1, m.tensor(3)),
    "index_select_empty": lambda m, x: x.index_select(0, m.tensor([], dtype=m.int64)),
    "scatter": lambda m, x: m.zeros(3, 4, dtype=x.dtype).scatter(1, m.tensor([[0, 3], [1, 2], [2, 0]]), x[:, 1:3]),
    "scatter_into": lambda m, x: x.scatter(0, m.tensor([[2, 0, 1, 0]]), m.ones(1, 4, dtype=x.dtype) * 5),
    "scatter_value": lambda m, x: x.scatter(1, m.tensor([[0], [2], [3]]), 1.5),
    "scatter_value_keyword": lambda m, x: m.scatter(x, 1, m.tensor([[1], [0], [3]]), value=-2.0),
    "scatter_add": lambda m, x: m.zeros(2, 4, dtype=x.dtype).scatter_add(0, m.tensor([[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 1]]), x),
    "scatter_add_into": lambda m, x: m.scatter_add(x, 1, m.tensor([[0, 0], [3, 3], [1, 2]]), x[:, :2] * 2),
    "clamp_tensor_bounds": lambda m, x: m.clamp(x, m.full((4,), 0.4, dtype=x.dtype), m.full((3, 1), 1.2, dtype=x.dtype)),
    "clamp_tensor_min": lambda m, x: x.clamp(min=m.linspace(0, 1.5, 4, dtype=x.dtype)),
    "clamp_tensor_max": lambda m, x: x.clamp(max=m.tensor(0.9, dtype=x.dtype)),
    "clamp_min_above_max": lambda m, x: m.clamp(x, m.ones(4, dtype=x.dtype), m.zeros(4, dtype=x.dtype)),
    "clamp_broadcast_up": lambda m, x: m.clamp(x[0], m.zeros(3, 4, dtype=x.dtype) + 0.2),
    "unflatten": lambda m, x: x.unflatten(1, (2, 2)), "unflatten_infer": lambda m, x: x.unflatten(0, (-1, 1)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", OPS)
def test_ops_match_pytorch_in_values_dtypes_and_gradients(name, dtype):
    # Values with a zero and ties, so prod/cumprod meet a zero and clamp meets its bounds.
    x = (np.arange(12.0).reshape(3, 4) / 7 - 0.5).astype(dtype)
    x[1, 2] = 0.0
    compare(OPS[name], x)


@pytest.mark.parametrize("name", OPS)
def test_ops_pass_central_differences(name):
    if name.startswith("clamp"):  # keep every element away from the kinks at the bounds
        x = np.array([[0.1, 0.35, 0.7, 1.3], [-0.5, 0.45, 0.95, 1.1], [0.2, 0.6, 1.4, 0.05]])
    else:
        x = np.random.default_rng(1).uniform(0.5, 1.5, (3, 4))
    assert gradcheck(lambda a: OPS[name](mytorch, a), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.cumsum(x, 0), lambda m, x: x.cumprod(-1), lambda m, x: m.prod(x),
    lambda m, x: x.prod(0), lambda m, x: x.repeat(3), lambda m, x: x.repeat(2, 2),
    lambda m, x: m.flip(x, [0]), lambda m, x: x.index_select(0, m.tensor([0])),
    lambda m, x: x.scatter(0, m.tensor(0), 2.0), lambda m, x: m.clamp(x, m.tensor(0.5), m.tensor(2.0)),
])
def test_0d_tensors_match_pytorch(fn):
    compare(fn, np.array(1.25))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.cumsum(x, 1), lambda m, x: x.cumprod(0), lambda m, x: m.prod(x),
    lambda m, x: x.prod(0), lambda m, x: x.prod(1), lambda m, x: x.repeat(2, 3),
    lambda m, x: x.flip(0), lambda m, x: m.tril(x), lambda m, x: x.index_select(1, m.tensor([1, 1])),
    lambda m, x: x.clamp(m.zeros(2)),
])
def test_empty_dimensions_match_pytorch(fn):
    compare(fn, np.zeros((0, 2)))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("fn", [
    lambda m, x: m.cumsum(x, 0), lambda m, x: x.cumprod(0), lambda m, x: m.prod(x),
    lambda m, x: x.prod(0, dtype=m.float32), lambda m, x: x.cumsum(0, dtype=m.float64),
    lambda m, x: x.repeat(2), lambda m, x: x.flip(0),
])
def test_integer_and_bool_input_give_pytorchs_dtypes(fn, dtype):
    compare(fn, np.array([1, 0, 3, 2]).astype(dtype))


def test_prod_and_cumprod_gradients_are_exact_with_zeros():
    """Dividing the product by each element would give nan at a zero: the gradients are
    products of the other elements, computed without dividing."""
    x = Tensor(np.array([2.0, 0.0, 3.0, 0.0, 5.0]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0, 0, 0])
    y = Tensor(np.array([2.0, 0.0, 3.0, 4.0]), requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(y.grad.data, [0, 24, 0, 0])
    z = Tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    z.cumprod(0).backward(Tensor(np.array([1.0, 10.0, 100.0])))
    # d/dz of (z0, z0 z1, z0 z1 z2) weighted: z1 gets 10 z0 + 100 z0 z2
    np.testing.assert_array_equal(z.grad.data, [1, 20 + 600, 0])
    assert gradcheck(lambda a: a.cumprod(1), Tensor(np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), requires_grad=True))
    assert gradcheck(lambda a: a.prod(0), Tensor(np.array([[1.5, 0.0], [0.0, 2.0], [3.0, 4.0]]), requires_grad=True))


def test_a_tensor_used_twice_gets_both_gradients():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = x.cumsum(0) * x.flip(1) + x.repeat(1, 2)[:, 1:3] + x.scatter_add(0, mytorch.tensor([[1, 0]]), x[:1])
    assert gradcheck(lambda a: a.cumsum(0) * a.flip(1) + a.tril() * a.prod(), Tensor(x.data.copy(), requires_grad=True))
    y.sum().backward()
    assert x.grad.shape == (2, 2)


@needs_torch
def test_scatter_sends_gradients_to_both_inputs_as_pytorch():
    def fn(m, base, src):
        index = m.tensor([[0, 1, 2, 0], [2, 0, 0, 1]])  # repeated targets in column 0
        return base.scatter(0, index, src) * 2, base.scatter_add(0, index, src)
    compare(fn, np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(2, 4) + 1)
    compare(fn, np.arange(12.0, dtype=np.float32).reshape(3, 4), np.ones((2, 4), np.float32))


def test_clamp_bounds_get_gradients_and_pass_central_differences():
    x = Tensor(np.array([0.1, 0.5, 0.9, 1.4]), requires_grad=True)
    low = Tensor(np.array([0.2, 0.3, 0.3, 0.2]), requires_grad=True)
    high = Tensor(np.array(1.0), requires_grad=True)
    assert gradcheck(lambda a, lo, hi: mytorch.clamp(a, lo, hi), x, low, high)
    x.grad = low.grad = high.grad = None
    mytorch.clamp(x, low, high).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 0])
    np.testing.assert_array_equal(low.grad.data, [1, 0, 0, 0])
    assert high.grad.item() == 1.0
    # A number and a tensor bound together (PyTorch takes a 0-d tensor only, as a number).
    assert gradcheck(lambda a, hi: mytorch.clamp(a, 0.3, hi), x, Tensor(np.linspace(0.5, 1.0, 4), requires_grad=True))


@needs_torch
@pytest.mark.parametrize("weights", [None, np.array([0.5, 1.0, 2.0, 0.25, 1.0]),
                                     np.array([1, 2, 3, 4, 5], np.float32)])
@pytest.mark.parametrize("minlength", [0, 7])
def test_bincount_matches_pytorch(weights, minlength):
    def fn(m, x):
        return m.bincount(x, None if weights is None else m.tensor(weights), minlength=minlength)
    compare(fn, np.array([0, 3, 3, 1, 5]), grad=False)
    compare(lambda m, x: x.bincount(), np.array([], dtype=np.int64), grad=False)


@needs_torch
@pytest.mark.parametrize("fn", [
    lambda m, a, b: a & b, lambda m, a, b: a | b, lambda m, a, b: a ^ b, lambda m, a, b: ~a,
    lambda m, a, b: a & True, lambda m, a, b: False | b, lambda m, a, b: a.logical_not(),
    lambda m, a, b: a.logical_and(b), lambda m, a, b: a.logical_or(b),
    lambda m, a, b: a.int() & 6, lambda m, a, b: ~b.long(),
])
def test_bitwise_and_logical_ops_match_pytorch(fn):
    compare(fn, np.array([[True, False, True]]), np.array([[True], [False]]), grad=False)


@needs_torch
def test_in_place_forms_and_new_factories_match_pytorch():
    def fn(m, x):
        x = x.detach().clone()
        x.clamp_(min=0.2, max=0.8)
        x.masked_fill_(x > 0.7, -1.0)
        x.scatter_(1, m.tensor([[0], [1], [2]]), 3.0)
        x.scatter_add_(0, m.tensor([[0, 0, 0, 0]]), m.ones(1, 4, dtype=x.dtype))
        x.clamp_(max=m.full((4,), 2.5, dtype=x.dtype))
        return (x, x.new_zeros(2, 3), x.new_ones((1,)), x.new_full((2,), 7), x.new_tensor([1, 2]),
                x.new_zeros(2, dtype=m.int64), x.new_empty(0, 3))
    compare(fn, np.arange(12.0).reshape(3, 4) / 10, grad=False)
    compare(fn, np.arange(12.0, dtype=np.float32).reshape(3, 4) / 10, grad=False)


def test_in_place_forms_bump_the_version_and_follow_the_in_place_rules():
    x = mytorch.arange(4.0)
    view = x[1:]
    x.clamp_(max=2.0)
    assert view.tolist() == [1.0, 2.0, 2.0] and x._version == 1
    weight = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="clamp_: a leaf tensor that requires grad"):
        weight.clamp_(min=0.0)
    with mytorch.no_grad():
        weight.clamp_(max=0.5)
    assert weight.tolist() == [0.5, 0.5]
    source = mytorch.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_: writing a tensor that requires grad"):
        mytorch.zeros(2, 2).scatter_(0, mytorch.tensor([[1, 0]]), source)
    target = mytorch.zeros(2)
    with pytest.raises(ValueError, match=r"where: shapes \(2,\) \(condition\), \(3,\)"):
        target.masked_fill_(mytorch.tensor([True, False]), mytorch.ones(3))
    assert target.tolist() == [0.0, 0.0] and target._version == 0


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.repeat(2), ValueError, r"repeat: 1 repeats \(2,\) for a tensor of shape \(2, 3\)"),
    (lambda x: x.repeat(2, -1), ValueError, "repeat: repeats must be a non-negative integer, got -1"),
    (lambda x: x.flip(0, 0), ValueError, "flip: duplicate axis"),
    (lambda x: x.flip(2), ValueError, "flip: axis 2 is out of range"),
    (lambda x: mytorch.tril(x[0]), ValueError, r"tril: input must have at least 2 dimensions, got shape \(3,\)"),
    (lambda x: x.triu(0.5), ValueError, "triu: diagonal must be an integer"),
    (lambda x: x.cumsum(2), ValueError, "cumsum: dim 2 is out of range"),
    (lambda x: x.prod((0, 1)), ValueError, r"prod: dim must be an integer, got \(0, 1\)"),
    (lambda x: x.index_select(0, mytorch.tensor([0.0])), TypeError, "index_select: index must be a 0-d or 1-d integer"),
    (lambda x: x.index_select(0, mytorch.tensor([[0]])), TypeError, r"index_select: .* shape \(1, 1\)"),
    (lambda x: x.index_select(1, mytorch.tensor([3])), IndexError, "out of bounds"),
    (lambda x: x.sum().index_select(0, mytorch.tensor([0, 0])), IndexError,
     "index_select: a 0-d tensor takes an index of one value, got 2"),
    (lambda x: x.scatter(1, mytorch.tensor([[3]]), 1.0), IndexError, "scatter: index 3 is out of range for dim 1 of size 3"),
    (lambda x: x.scatter(1, mytorch.tensor([[0.0]]), 1.0), TypeError, "scatter: index must be an integer tensor"),
    (lambda x: x.scatter(1, mytorch.tensor([0]), 1.0), ValueError, "scatter: index of shape"),
    (lambda x: x.scatter(1, mytorch.tensor([[0, 1]]), mytorch.ones(1, 1)), ValueError, "src of shape"),
    (lambda x: x.scatter(1, mytorch.tensor([[0]]), mytorch.ones(1, 1, dtype=mytorch.float32)), TypeError,
     "scatter: src dtype float32 differs from the input's dtype float64"),
    (lambda x: x.scatter(1, mytorch.tensor([[0]])), TypeError, "scatter: give src or value"),
    (lambda x: x.scatter(1, mytorch.tensor([[0]]), "a"), TypeError, "scatter: src must be a Tensor or a number"),
    (lambda x: x.clamp(mytorch.zeros(4)), ValueError, r"clamp: shapes \(2, 3\), \(4,\)"),
    (lambda x: x.bincount(), TypeError, "bincount: expects a 1-d integer tensor, got dtype float64"),
    (lambda x: mytorch.tensor([[1, 2]]).bincount(), TypeError, r"bincount: expects a 1-d integer tensor, got dtype int64 and shape \(1, 2\)"),
    (lambda x: mytorch.tensor(2.0).narrow(0, 0, 1), RuntimeError, "narrow\\(\\) cannot be applied to a 0-dim tensor"),
    (lambda x: mytorch.tensor([1, -1]).bincount(), ValueError, "bincount: values must be non-negative, got -1"),
    (lambda x: mytorch.tensor([1, 2]).bincount(mytorch.ones(3)), ValueError, r"weights of shape \(3,\)"),
    (lambda x: x & x, TypeError, "&: expects bool or integer tensors, got dtype float64"),
    (lambda x: ~x, TypeError, "~: expects a bool or integer tensor"),
    (lambda x: x.unflatten(1, (2, 2)), ValueError, "cannot reshape"),
    (lambda x: x.unflatten(0, 2), ValueError, "unflatten: sizes must be a non-empty list or tuple"),
])
def test_bad_input_is_named(call, error, match):
    x = mytorch.ones(2, 3, requires_grad=True)
    with pytest.raises(error, match=match):
        call(x)
    assert x.grad is None and x.tolist() == [[1.0] * 3] * 2


@pytest.mark.parametrize("fn", [
    lambda m, x: m.where(x > 0.3), lambda m, x: m.nonzero(x > 0.3), lambda m, x: (x > 0.3).nonzero(as_tuple=True),
    lambda m, x: m.nonzero(x[0, 0] > 5), lambda m, x: (x[0, 0] < 5).nonzero(as_tuple=True),
    lambda m, x: m.nonzero(x[:0]), lambda m, x: m.isnan(x / x), lambda m, x: m.isinf(1 / x),
    lambda m, x: m.isfinite(m.log(x)), lambda m, x: x[m.where(x > 0.5)],
])
def test_nonzero_where_and_the_tests_match_pytorch(fn):
    x = np.arange(12.0).reshape(3, 4) / 7 - 0.5
    x[1, 2] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        compare(fn, x, grad=False)


IN_PLACE = ["relu", "sigmoid", "tanh", "exp", "abs", "neg", "reciprocal", "sin", "cos", "floor", "ceil",
            "round", "trunc", "sign", "square"]


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", IN_PLACE + ["pow", "sqrt", "log"])
def test_in_place_elementwise_methods_match_pytorch(name, dtype):
    def fn(m, x):
        x = x.detach().clone()
        if name in ("sqrt", "log"):
            x = x.abs_() + 0.5
        view = x[1:]
        result = getattr(x, f"{name}_")(*((3,) if name == "pow" else ()))
        assert result is x
        return x, view
    compare(fn, (np.arange(12.0).reshape(3, 4) / 5 - 1.1).astype(dtype), grad=False)


def test_in_place_elementwise_methods_follow_the_in_place_rules():
    w = mytorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: a leaf tensor that requires grad"):
        w.exp_()
    y = w * 2
    with pytest.raises(RuntimeError, match="relu_: in-place changes to a tensor that is part of a graph"):
        y.relu_()
    counts = mytorch.tensor([4, 9])
    with pytest.raises(ValueError, match="sqrt_: cannot update a tensor of shape"):
        counts.sqrt_()  # a float result does not fit an integer tensor, as in PyTorch
    assert counts.tolist() == [4, 9] and counts._version == 0
    with pytest.raises(TypeError, match="where: give both input and other, or neither"):
        mytorch.where(counts > 5, counts)


@needs_torch
@pytest.mark.parametrize("args", [(), (0, 10), (3, 7), (1,)])
def test_randint_takes_size_by_keyword_as_pytorch(args):
    for m in (mytorch, torch):
        drawn = m.randint(*args, size=(2, 3)) if args else m.randint(low=2, high=5, size=(4,))
        assert tuple(drawn.shape) == ((2, 3) if args else (4,))
        assert drawn.dtype == (m.int64 if m is mytorch else torch.int64)
    assert mytorch.randint(10, size=(500,)).data.min() >= 0 and mytorch.randint(3, 7, size=(500,)).data.min() == 3


def test_set_num_threads_limits_numpys_threads():
    before = mytorch.get_num_threads()
    try:
        mytorch.set_num_threads(1)
        assert mytorch.get_num_threads() == 1
    finally:
        mytorch.set_num_threads(before)
    assert mytorch.get_num_threads() == before
    with pytest.raises(ValueError, match="set_num_threads: count must be a positive integer, got 0"):
        mytorch.set_num_threads(0)


def test_get_num_threads_is_1_without_any_thread_pool(monkeypatch):
    """A NumPy built without BLAS or OpenMP runs one thread, as torch.get_num_threads says."""
    import threadpoolctl
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [])
    assert mytorch.get_num_threads() == 1


def test_set_num_threads_also_limits_the_blas_an_optimizer_loads_later():
    """SciPy's own OpenBLAS loads at the first optimizer step, after set_num_threads: it
    gets the limit too (it once ran every thread the machine has)."""
    program = ("import numpy as np, mytorch\n"
               "from threadpoolctl import threadpool_info\n"
               "from mytorch import Tensor, nn, optim\n"
               "mytorch.set_num_threads(1)\n"
               "model = nn.Linear(3, 2)\n"
               "optimizer = optim.SGD(model.parameters(), lr=0.1)\n"
               "model(Tensor(np.ones((2, 3)))).sum().backward()\n"
               "optimizer.step()\n"
               "import scipy.linalg.blas\n"
               "print(sorted({(info['filepath'], info['num_threads']) for info in threadpool_info()}))\n")
    # Each library's own default, as a program starts with (the mutation tool sets these to 1).
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    libraries = ast.literal_eval(result.stdout)
    assert any("scipy" in path for path, _ in libraries) and len(libraries) >= 2, libraries
    assert all(count == 1 for _, count in libraries), libraries
