"""Reductions at their edges, where one-line bugs survived (issue 21): the gradient
arrays they hand out, empty tensors, n <= correction, and bad keepdims. Values and
gradients are compared with PyTorch in float64."""
import numpy as np
import pytest

from mytorch import Tensor, ops
from mytorch.autograd_engine import ContextManager

# PyTorch, the reference here, warns when n <= correction; MyTorch computes the same silently.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")


def _torch():
    return pytest.importorskip("torch")


def _compare(ours, theirs, data, seed=0):
    """ours(x) against theirs(tx): value, and the gradient under a random weighting."""
    torch = _torch()
    x = Tensor(data.copy(), requires_grad=True)
    out = ours(x)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(weights)
    tx = torch.tensor(data, requires_grad=True)
    expected = theirs(tx)
    expected.backward(torch.tensor(weights))
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op, args", [(ops.Sum, ()), (ops.Sum, (1,)), (ops.Sum, ((0, 1), True)),
                                      (ops.Mean, ()), (ops.Mean, (0,)), (ops.Max, (1,)),
                                      (ops.Var, (0,))])
def test_a_reductions_gradient_is_a_writable_array_of_its_own(op, args):
    """The handout's tests call backward with a context they made and may write into what
    it returns; a broadcast view of grad_output would be read-only, and shared."""
    x = Tensor(np.random.default_rng(1).standard_normal((2, 3)))
    ctx = ContextManager()
    out = op.forward(ctx, x, *args)
    grad_output = Tensor(np.ones(out.shape))
    grad = op.backward(ctx, grad_output)[0]
    assert grad.shape == x.shape and grad.data.flags.writeable
    before = grad.data.copy()
    grad.data += 1
    np.testing.assert_array_equal(grad.data, before + 1)
    np.testing.assert_array_equal(grad_output.data, 1)


@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((0, 3), 1), ((3, 0), 1), ((3, 0), 0),
                                         ((0,), 0), ((2, 0, 3), (0, 2))])
def test_reductions_of_empty_tensors_match_pytorch(shape, axis):
    data = np.zeros(shape)
    _compare(lambda x: x.sum(axis=axis), lambda x: x.sum(dim=axis), data)
    _compare(lambda x: x.mean(axis=axis), lambda x: x.mean(dim=axis), data)
    _compare(lambda x: x.mean(axis=axis, keepdims=True), lambda x: x.mean(dim=axis, keepdim=True), data)
    _compare(lambda x: x.mean(), lambda x: x.mean(), data)


def test_max_over_an_empty_axis_is_the_named_value_error():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    for axis in (None, 0):
        with pytest.raises(ValueError, match=r"max: .*shape \(0, 3\)"):
            x.max(axis=axis)
    assert x.max(axis=1).shape == (0,)  # reducing a non-empty axis is fine


@pytest.mark.parametrize("shape, axis, correction", [((1,), None, 1), ((3, 1), 1, 1), ((2, 3), 0, 2),
                                                     ((2, 3), 0, 3), ((2, 2), None, 4), ((1, 1), None, 1)])
def test_var_with_n_at_most_correction_gives_pytorchs_nan_and_inf(shape, axis, correction):
    torch = _torch()
    data = np.random.default_rng(2).standard_normal(shape)
    x = Tensor(data.copy(), requires_grad=True)
    out = ops.Var.apply(x, axis, False, correction)
    out.backward(np.ones(out.shape))
    tx = torch.tensor(data, requires_grad=True)
    expected = torch.var(tx, dim=axis, correction=correction)
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_var_with_n_above_correction_matches_pytorch():
    data = np.random.default_rng(3).standard_normal((3, 4, 2))
    for axis in (None, 0, (1, 2), -1):
        for correction in (0, 1, 2):
            dims = axis
            _compare(lambda x: ops.Var.apply(x, axis, True, correction),
                     lambda x: x.var(dim=dims, correction=correction, keepdim=True), data)


@pytest.mark.parametrize("op", [ops.Sum, ops.Mean, ops.Max, ops.Var])
def test_keepdims_must_be_a_bool(op):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    for keepdims in (2, "yes", None):
        with pytest.raises(ValueError, match=rf"{op.__name__.lower()}: keepdims must be True or "
                                             rf"False, got {keepdims!r}"):
            op.apply(x, 0, keepdims)
