"""Op behaviours that one-line bugs broke without a test noticing (issue 21): edge values of
Pow, messages of shape errors, repeated advanced indices, mixed dtypes, recurrent cells'
shapes, soft cross-entropy targets. Each is compared with PyTorch (float64) or central
differences where a value is asserted."""
import itertools

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, ops
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F


def _torch():
    return pytest.importorskip("torch")


def _grads(*tensors):
    return [t.grad.data for t in tensors]


# ---------------------------------------------------------------------------- Pow

BASES = np.array([0.0, 0.0, 0.0, 0.0, 2.0, 0.5, 3.0])
EXPONENTS = np.array([-1.0, -2.5, 0.0, 1.5, -1.0, 0.0, 2.0])


def test_pow_gradients_at_zero_base_match_pytorch():
    torch = _torch()
    a, b = Tensor(BASES.copy(), requires_grad=True), Tensor(EXPONENTS.copy(), requires_grad=True)
    (a ** b).sum().backward()
    ta = torch.tensor(BASES, requires_grad=True)
    tb = torch.tensor(EXPONENTS, requires_grad=True)
    (ta ** tb).sum().backward()
    # 0 ** b for b < 0: d/db is -inf (PyTorch's value), not 0 and not nan.
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-14)
    assert b.grad.data[0] == -np.inf and b.grad.data[2] == 0 and b.grad.data[3] == 0


def test_pow_with_a_number_exponent_matches_pytorch_at_zero():
    torch = _torch()
    for exponent in (0.0, 1.0, 2.0, 0.5, -1.0):
        a = Tensor(np.array([0.0, 1.5]), requires_grad=True)
        (a ** exponent).sum().backward()
        ta = torch.tensor([0.0, 1.5], dtype=torch.float64, requires_grad=True)
        (ta ** exponent).sum().backward()
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-14, err_msg=str(exponent))


def test_pow_away_from_zero_against_central_differences():
    rng = np.random.default_rng(0)
    a = Tensor(rng.uniform(0.5, 2.0, (3, 1)), requires_grad=True)
    b = Tensor(rng.uniform(-2.0, 2.0, (4,)), requires_grad=True)
    assert gradcheck(lambda x, y: x ** y, a, b)
    assert gradcheck(lambda x: x ** 2.5, a)
    assert gradcheck(lambda y: 2.0 ** y, b)


def test_matmul_shape_errors_say_not_aligned():
    cases = [((2, 3), (2, 3)), ((3,), (4,)), ((), (3,)), ((3,), ()), ((2, 3), (4,))]
    for left, right in cases:
        with pytest.raises(ValueError, match=rf"MatMul: shapes {re_shape(left)} and "
                                             rf"{re_shape(right)} are not aligned for a @ b"):
            Tensor(np.ones(left)) @ Tensor(np.ones(right))


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_matmul_of_vectors_and_batches_matches_pytorch():
    torch = _torch()
    rng = np.random.default_rng(1)
    for left, right in [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 2, 3), (3, 5)),
                        ((2, 3), (4, 3, 5)), ((1, 2, 3), (4, 3, 2))]:
        x, y = rng.standard_normal(left), rng.standard_normal(right)
        a, b = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
        out = a @ b
        out.backward(np.ones(out.shape))
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        (ta @ tb).sum().backward()
        np.testing.assert_allclose(out.data, (ta @ tb).detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-12, err_msg=str(left))
        np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-12, err_msg=str(right))


def test_matmul_with_a_transposed_weight_keeps_values_and_layout():
    """`x @ W.T` takes a faster path for W's gradient; it must give the same numbers."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    weight = Tensor(w.copy(), requires_grad=True)
    (Tensor(x) @ weight.T).sum().backward()
    np.testing.assert_allclose(weight.grad.data, np.ones((4, 5)) @ x, rtol=1e-12)
    assert weight.grad.data.flags.c_contiguous


# ------------------------------------------------------------------------ indexing

def test_a_mixed_index_with_repeated_entries_accumulates():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x[0, [1, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 2, 0], [0, 0, 0]])
    y = Tensor(np.ones((3, 2)), requires_grad=True)
    y[[2, 0, 2], 1].sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[0, 1], [0, 0], [0, 2]])
    z = Tensor(np.ones(4), requires_grad=True)
    z[Tensor(np.array([3, 3, 3]))].sum().backward()  # a Tensor index
    np.testing.assert_array_equal(z.grad.data, [0, 0, 0, 3])


def test_indexing_gradients_match_pytorch():
    torch = _torch()
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3, 4, 5))
    for index in [(0, [1, 1]), (slice(None), [0, 2, 0]), ([1, 1], slice(1, 3), 2), (Ellipsis, 1),
                  (None, 1), ([[0, 1], [1, 1]],), (data[:, 0, 0] > 0,), (-1, slice(None, None, 2))]:
        x = Tensor(data.copy(), requires_grad=True)
        out = x[index]
        weights = rng.standard_normal(out.shape)
        (out * Tensor(weights)).sum().backward()
        tx = torch.tensor(data, requires_grad=True)
        (tx[index] * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, err_msg=str(index))


# ------------------------------------------------------------------------ conv

@pytest.mark.parametrize("op, x_shape, w_shape", [(ops.Conv1d, (2, 3, 9), (4, 3, 3)),
                                                  (ops.Conv2d, (2, 3, 6, 5), (4, 3, 3, 2))])
def test_a_mixed_dtype_convolution_gives_each_gradient_its_inputs_dtype(op, x_shape, w_shape):
    torch = _torch()
    rng = np.random.default_rng(4)
    x32 = rng.standard_normal(x_shape).astype(np.float32)
    w64, b64 = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    x, w, b = (Tensor(v.copy(), requires_grad=True) for v in (x32, w64, b64))
    out = op.apply(x, w, b, 2, 1)
    out.backward(np.ones(out.shape))
    assert (x.grad.dtype, w.grad.dtype, b.grad.dtype) == (np.float32, np.float64, np.float64)
    conv = torch.nn.functional.conv1d if op is ops.Conv1d else torch.nn.functional.conv2d
    tx = torch.tensor(x32.astype(np.float64), requires_grad=True)
    tw, tb = torch.tensor(w64, requires_grad=True), torch.tensor(b64, requires_grad=True)
    conv(tx, tw, tb, stride=2, padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-10)


# ------------------------------------------------------------------------ recurrent

def _cell_inputs(gates, state, seed=5):
    rng = np.random.default_rng(seed)
    hidden, size, batch = 3, 2, 4
    shapes = [(batch, size), (batch, state * hidden), (gates * hidden, size),
              (gates * hidden, hidden), (gates * hidden,), (gates * hidden,)]
    return [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


CELLS = [(ops.RNNCell, 1, 1, ["tanh"]), (ops.GRUCell, 3, 1, []), (ops.LSTMCell, 4, 2, [])]


@pytest.mark.parametrize("op, gates, state, extra", CELLS, ids=[c[0].__name__ for c in CELLS])
def test_a_cell_against_central_differences(op, gates, state, extra):
    args = _cell_inputs(gates, state, seed=6)
    assert gradcheck(lambda *a: op.apply(*a, *extra), *args)


# ------------------------------------------------------------------------ losses

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_soft_targets_that_do_not_sum_to_one_matches_pytorch(reduction):
    torch = _torch()
    rng = np.random.default_rng(7)
    logits, targets = rng.standard_normal((3, 4)), rng.random((3, 4)) * 2  # rows sum to ~4
    x, p = Tensor(logits.copy(), requires_grad=True), Tensor(targets.copy(), requires_grad=True)
    loss = F.cross_entropy(x, p, reduction=reduction)
    weights = rng.standard_normal(loss.shape)
    (loss * Tensor(weights)).sum().backward()
    tx, tp = torch.tensor(logits, requires_grad=True), torch.tensor(targets, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, tp, reduction=reduction)
    (tloss * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_against_central_differences(reduction):
    rng = np.random.default_rng(8)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    p = Tensor(rng.random((3, 4)), requires_grad=True)
    labels = Tensor(np.array([2, 0, 3]))
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, reduction=reduction), x, p)
    assert gradcheck(lambda a: F.cross_entropy(a, labels, reduction=reduction), x)
    assert gradcheck(lambda a: ops.NLL.apply(a, labels, reduction), x)
    assert gradcheck(lambda a, b: ops.MSE.apply(a, b, reduction), x, p)


# ------------------------------------------------------------------------ dropout, linear

def test_the_dropout_op_checks_p_itself():
    x = Tensor(np.ones(4), requires_grad=True)
    for p in (1.5, -0.1):
        with pytest.raises(ValueError, match=rf"dropout: p must be a number in \[0, 1\], got {p}"):
            ops.Dropout.apply(x, p, True)


def test_the_dropout_op_defaults_to_p_one_half_called_as_the_handout_calls_it():
    """The handout's tests call forward with a context they made, keyword arguments and all."""
    np.random.seed(0)
    x = Tensor(np.ones(20000))
    out = ops.Dropout.forward(mytorch.autograd_engine.ContextManager(), x, is_train=True)
    assert set(np.unique(out.data)) == {0.0, 2.0}
    assert abs((out.data == 0).mean() - 0.5) < 0.02
    assert ops.Dropout.forward(mytorch.autograd_engine.ContextManager(), x) is x  # eval by default


@pytest.mark.parametrize("x_grad, w_grad, b_grad", [(True, False, False), (False, True, False),
                                                     (False, False, True), (True, False, True)])
def test_linear_gives_exactly_the_gradients_asked_for(x_grad, w_grad, b_grad):
    rng = np.random.default_rng(9)
    x = Tensor(rng.standard_normal((5, 3)), requires_grad=x_grad)
    w = Tensor(rng.standard_normal((2, 3)), requires_grad=w_grad)
    b = Tensor(rng.standard_normal(2), requires_grad=b_grad)
    ops.Linear.apply(x, w, b).backward(np.ones((5, 2)))
    expected = {"x": np.ones((5, 2)) @ w.data, "w": np.ones((2, 5)) @ x.data, "b": np.full(2, 5.0)}
    for name, tensor, wanted in [("x", x, x_grad), ("w", w, w_grad), ("b", b, b_grad)]:
        if wanted:
            np.testing.assert_allclose(tensor.grad.data, expected[name], rtol=1e-12, err_msg=name)
        else:
            assert tensor.grad is None, name


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_gives_each_input_its_own_gradient_and_dtype(reduction):
    torch = _torch()
    rng = np.random.default_rng(10)
    a32, b64 = rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal((3, 2))
    for a_grad, b_grad in [(True, True), (False, True), (True, False)]:
        a = Tensor(a32.copy(), requires_grad=a_grad)
        b = Tensor(b64.copy(), requires_grad=b_grad)
        loss = ops.MSE.apply(a, b, reduction)
        loss.backward(np.ones(loss.shape))
        ta = torch.tensor(a32.astype(np.float64), requires_grad=True)
        tb = torch.tensor(b64, requires_grad=True)
        torch.nn.functional.mse_loss(ta, tb, reduction=reduction).sum().backward()
        for tensor, wanted, expected, dtype in [(a, a_grad, ta, np.float32), (b, b_grad, tb, np.float64)]:
            if wanted:
                assert tensor.grad.dtype == dtype
                np.testing.assert_allclose(tensor.grad.data, expected.grad.numpy(), rtol=1e-6)
            else:
                assert tensor.grad is None


# ------------------------------------- every op: the gradients asked for, in their dtypes

def _normal(*shape):
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


def _cell(gates, state):
    hidden = 3
    return [_normal(4, 2), _normal(4, state * hidden), _normal(gates * hidden, 2),
            _normal(gates * hidden, hidden), _normal(gates * hidden), _normal(gates * hidden + 0) * 0.5]


# name -> (op, arrays (None: a non-tensor argument given in `extra`), extra arguments,
# the positions of the inputs that take gradients)
MULTI_INPUT = {
    "add": (ops.Add, [_normal(3, 1), _normal(4)], [], [0, 1]),
    "sub": (ops.Sub, [_normal(3, 1), _normal(4)], [], [0, 1]),
    "mul": (ops.Mul, [_normal(3, 1), _normal(4)], [], [0, 1]),
    "div": (ops.Div, [_normal(3, 1), _normal(4) + 3], [], [0, 1]),
    "remainder": (ops.Remainder, [_normal(3, 1) * 4, np.abs(_normal(4)) + 1], [], [0, 1]),
    "pow": (ops.Pow, [np.abs(_normal(3, 1)) + 0.5, _normal(4)], [], [0, 1]),
    "matmul": (ops.MatMul, [_normal(2, 3, 4), _normal(4, 5)], [], [0, 1]),
    "maximum": (ops.Maximum, [_normal(3, 1), _normal(4)], [], [0, 1]),
    "minimum": (ops.Minimum, [_normal(3, 1), _normal(4)], [], [0, 1]),
    "where": (ops.Where, [_normal(3, 4) > 0, _normal(3, 1), _normal(4)], [], [1, 2]),
    "linear": (ops.Linear, [_normal(5, 3), _normal(2, 3), _normal(2)], [], [0, 1, 2]),
    "conv1d": (ops.Conv1d, [_normal(2, 3, 7), _normal(4, 3, 3), _normal(4)], [2, 1], [0, 1, 2]),
    "conv2d": (ops.Conv2d, [_normal(2, 3, 5, 6), _normal(4, 3, 2, 3), _normal(4)], [1, (1, 0)],
               [0, 1, 2]),
    "cross_entropy": (ops.CrossEntropy, [_normal(3, 4), np.abs(_normal(3, 4))], ["sum"], [0, 1]),
    "mse": (ops.MSE, [_normal(3, 4), _normal(4, 3).T], ["mean"], [0, 1]),
    "bce": (ops.BinaryCrossEntropy, [1 / (1 + np.exp(-_normal(3, 4))), np.abs(np.tanh(_normal(4, 3).T))],
            [], [0, 1]),
    "bce_with_logits": (ops.BinaryCrossEntropyWithLogits, [_normal(3, 4), np.abs(np.tanh(_normal(4, 3).T))],
                        [], [0, 1]),
    # targets shifted off the inputs: _normal(3, 4) and _normal(4, 3) share their seed, and
    # where x == y the kink of |x - y| makes float32's rounding pick a side
    "huber": (ops.Huber, [_normal(3, 4), _normal(4, 3).T + 0.5], [], [0, 1]),
    "l1": (ops.L1, [_normal(3, 4), _normal(4, 3).T + 0.5], [], [0, 1]),
    "batchnorm": (ops.BatchNorm, [_normal(6, 3), np.zeros(3), np.ones(3), _normal(3), _normal(3)],
                  [True, 0.1, 1e-5], [0, 3, 4]),
    "rnn_cell": (ops.RNNCell, _cell(1, 1), ["tanh"], [0, 1, 2, 3, 4, 5]),
    "gru_cell": (ops.GRUCell, _cell(3, 1), [], [0, 1, 2, 3, 4, 5]),
    "lstm_cell": (ops.LSTMCell, _cell(4, 2), [], [0, 1, 2, 3, 4, 5]),
    "cat": (ops.Cat, [_normal(2, 3), _normal(1, 3), _normal(4, 3)], [0], [0, 1, 2]),
    "stack": (ops.Stack, [_normal(2, 3), _normal(3, 2).T, _normal(2, 3) + 1], [1], [0, 1, 2]),
}


def _run(op, arrays, extra, wanted, dtypes):
    """The op on fresh tensors, `wanted` positions requiring grad; backward through a fixed
    weighting of the output. Returns the tensors."""
    tensors = [Tensor(array.astype(dtypes.get(i, array.dtype)), requires_grad=i in wanted)
               for i, array in enumerate(arrays)]
    out = op.apply(*tensors, *extra)
    weights = np.random.default_rng(11).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    return tensors


@pytest.mark.parametrize("name", list(MULTI_INPUT))
def test_each_input_gets_its_own_gradient_whichever_others_require_grad(name):
    op, arrays, extra, inputs = MULTI_INPUT[name]
    reference = _run(op, arrays, extra, set(inputs), {})
    for count in range(1, len(inputs)):
        for wanted in itertools.combinations(inputs, count):
            tensors = _run(op, arrays, extra, set(wanted), {})
            for i in inputs:
                if i in wanted:
                    np.testing.assert_allclose(tensors[i].grad.data, reference[i].grad.data,
                                               rtol=1e-12, atol=1e-15, err_msg=f"{name} {wanted} {i}")
                else:
                    assert tensors[i].grad is None, (name, wanted, i)


@pytest.mark.parametrize("name", list(MULTI_INPUT))
def test_each_gradient_has_its_inputs_dtype_when_dtypes_mix(name):
    op, arrays, extra, inputs = MULTI_INPUT[name]
    reference = _run(op, arrays, extra, set(inputs), {})
    for single in inputs:  # one input float32, the others float64
        tensors = _run(op, arrays, extra, set(inputs), {single: np.float32})
        for i in inputs:
            assert tensors[i].grad.dtype == (np.float32 if i == single else np.float64), (name, i)
            np.testing.assert_allclose(tensors[i].grad.data, reference[i].grad.data,
                                       rtol=2e-4, atol=1e-5, err_msg=f"{name} {single} {i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [2, 2.0, np.float64(2.0), np.float32(0.5), True, -1, -0.5],
                         ids=repr)
def test_pow_with_a_number_keeps_the_bases_dtype_as_pytorch(dtype, exponent):
    torch = _torch()
    data = np.array([0.5, 2.0, 3.0], dtype=dtype)
    x = Tensor(data.copy(), requires_grad=True)
    out = x ** exponent
    out.sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    expected = tx ** exponent
    expected.sum().backward()
    assert out.dtype == x.grad.dtype == dtype
    assert str(expected.dtype) == f"torch.{np.dtype(dtype).name}"
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tolerance)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=tolerance)


def test_integer_pow_stays_integer_as_pytorch():
    for exponent in (2, True, 0):
        out = Tensor(np.array([1, 2, 3])) ** exponent
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, np.array([1, 2, 3]) ** int(exponent))
    with pytest.raises(ValueError, match=r"Pow: a of shape \(3,\) and dtype int64 with exponent -1: "
                                         "Integers to negative integer powers are not allowed"):
        Tensor(np.array([1, 2, 3])) ** -1


def test_expand_to_an_empty_axis_as_pytorch():
    torch = _torch()
    x = Tensor(np.ones((1, 3)), requires_grad=True)
    out = x.expand(0, 3)
    out.backward(np.ones((0, 3)))
    assert out.shape == tuple(torch.ones(1, 3).expand(0, 3).shape) == (0, 3)
    np.testing.assert_array_equal(x.grad.data, np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"expand: cannot expand a tensor of shape \(1, 3\) to "
                                         r"\(-2, 3\)"):
        x.expand(-2, 3)


def test_the_rnn_op_checks_its_nonlinearity():
    args = _cell_inputs(1, 1)
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be one of 'tanh', 'relu', "
                                         "got 'sigmoid'"):
        ops.RNNCell.apply(*args, "sigmoid")
    assert gradcheck(lambda *a: ops.RNNCell.apply(*a, "relu"), *args)


# ------------------------------------------------------------ bad input no test reached

@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.Linear.apply(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones(3))),
     ValueError, r"Linear: bias of shape \(3,\) for weight of shape \(4, 3\)"),
    (lambda: Tensor(np.ones((2, 3)))[5], IndexError, r"Index: .*5.* \(indexing a tensor of shape \(2, 3\)\)"),
    (lambda: ops.Cat.apply(), ValueError, "Cat: expected a sequence of tensors and a dim, got nothing"),
    (lambda: ops.Stack.apply(), ValueError, "Stack: expected a sequence of tensors and a dim, got nothing"),
    (lambda: ops.Cat.apply(0), ValueError, "Cat: expected a non-empty sequence of tensors"),
    (lambda: ops.Cat.apply(Tensor(1.0), Tensor(2.0), 0), ValueError,
     r"Cat: cannot concatenate 0-d tensors \(shapes \[\(\), \(\)\]\); use stack"),
    (lambda: Tensor(np.ones((2, 3))).transpose(0), ValueError,
     "transpose: give both dims or neither, got dim0=0, dim1=None"),
    (lambda: ops.MaxPool2d.apply(Tensor(np.ones((4, 4))), 2), ValueError,
     r"MaxPool2d: expected an input of 4 dimensions \(B, C, H, W\), got shape \(4, 4\)"),
    (lambda: ops.AvgPool1d.apply(Tensor(np.ones((2, 2, 2, 4))), 2), ValueError,
     r"AvgPool1d: expected an input of 3 dimensions"),
    (lambda: ops.MaxPool2d.apply(Tensor(np.ones((4, 4))), 2, 2, 5), ValueError,  # the input first
     r"MaxPool2d: expected an input of 4 dimensions \(B, C, H, W\), got shape \(4, 4\)"),
    (lambda: ops.Step.apply(Tensor([1.5]), "nope"), ValueError,
     "Step: function must be one of 'sign', 'floor', 'ceil', 'trunc', 'round', got 'nope'"),
])
def test_bad_input_is_the_named_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("op, gates, state, extra", CELLS, ids=[c[0].__name__ for c in CELLS])
def test_a_cell_names_the_shapes_that_do_not_fit(op, gates, state, extra):
    name = op.__name__
    x, h, w_ih, w_hh, b_ih, b_hh = _cell_inputs(gates, state)
    wide = Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=rf"{name}: input of shape \(4, 5\) does not fit weight_ih "
                                         rf"of shape \({gates * 3}, 2\)"):
        op.apply(wide, h, w_ih, w_hh, b_ih, b_hh, *extra)
    with pytest.raises(ValueError, match=rf"{name}: input of shape \(4, 2\) does not fit weight_ih"):
        op.apply(x, h, Tensor(np.ones((gates * 3 + 1, 2))), w_hh, b_ih, b_hh, *extra)
    with pytest.raises(ValueError, match=rf"{name}: weight_hh \({gates * 3}, 3\), bias_ih \(1,\) "
                                         rf"and bias_hh \({gates * 3},\) do not fit {gates} gates of "
                                         "hidden size 3"):
        op.apply(x, h, w_ih, w_hh, Tensor(np.ones(1)), b_hh, *extra)
    with pytest.raises(ValueError, match=rf"{name}: weight_hh \({gates * 3 + 1}, 3\)"):
        op.apply(x, h, w_ih, Tensor(np.ones((gates * 3 + 1, 3))), b_ih, b_hh, *extra)
    with pytest.raises(ValueError, match=rf"{name}: weight_hh .* and bias_hh \(2,\) do not fit"):
        op.apply(x, h, w_ih, w_hh, b_ih, Tensor(np.ones(2)), *extra)
    with pytest.raises(ValueError, match=rf"{name}: hidden state of shape \(4, 7\) for input of "
                                         rf"shape \(4, 2\) \(expected \(4, {state * 3}\)\)"):
        op.apply(x, Tensor(np.ones((4, 7))), w_ih, w_hh, b_ih, b_hh, *extra)


def test_clamp_with_tensor_bounds_gives_ties_to_the_input_as_pytorch():
    """Where x equals a tensor bound, the gradient goes to x and not to the bound; where the
    bounds cross (min > max), to max."""
    torch = _torch()
    cases = ([0.5, 1.0, 2.0, 0.1, 3.0], [0.5, 0.2, 0.2, 0.2, 0.2], [2.0, 2.0, 2.0, 2.0, 3.0]), \
            ([0.5, 1.0, 3.0], [0.5, 2.0, 1.0], [0.5, 1.0, 1.0]), \
            ([0.1, 3.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])  # min == max: below it, neither bound
    for values in cases:
        ours = [Tensor(np.array(v), requires_grad=True) for v in values]
        theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        mytorch.clamp(*ours).sum().backward()
        torch.clamp(*theirs).sum().backward()
        for mine, reference in zip(ours, theirs):
            np.testing.assert_array_equal(mine.grad.data, reference.grad.numpy())


@pytest.mark.parametrize("op, first", [(ops.CrossEntropy, lambda x: x),
                                       (ops.NLL, lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)))])
def test_the_loss_ops_called_with_defaults_ignore_label_minus_100_as_pytorch(op, first):
    """The ops' own default ignore_index is PyTorch's -100, not only F's: a label of -100
    counts for nothing, the mean is over the other samples."""
    x = _normal(4, 3)
    labels = np.array([2, -100, 0, 1])
    loss = op.apply(Tensor(first(x)), Tensor(labels))
    kept = op.apply(Tensor(first(x[[0, 2, 3]])), Tensor(labels[[0, 2, 3]]))
    np.testing.assert_allclose(loss.data, kept.data, rtol=1e-15)


@pytest.mark.parametrize("name, ours, theirs", [
    ("norm", lambda x: ops.Norm.apply(x), lambda torch, x: torch.linalg.vector_norm(x)),
    ("pad", lambda x: ops.Pad.apply(x, (1, 2)), lambda torch, x: torch.nn.functional.pad(x, (1, 2))),
    ("layer_norm", lambda x: ops.LayerNorm.apply(x, (4,)),
     lambda torch, x: torch.nn.functional.layer_norm(x, (4,))),
    ("avg_pool2d", lambda x: ops.AvgPool2d.apply(x.reshape(1, 1, 3, 4), 3, 2, 1),  # padding counted
     lambda torch, x: torch.nn.functional.avg_pool2d(x.reshape(1, 1, 3, 4), 3, 2, 1)),
    ("avg_pool1d", lambda x: ops.AvgPool1d.apply(x.reshape(1, 3, 4), 3, 2, 1),
     lambda torch, x: torch.nn.functional.avg_pool1d(x.reshape(1, 3, 4), 3, 2, 1)),
    ("elu", lambda x: ops.ELU.apply(x * 100), lambda torch, x: torch.nn.functional.elu(x * 100)),
    ("layer_norm_whole", lambda x: ops.LayerNorm.apply(x, (3, 4)),  # over every axis
     lambda torch, x: torch.nn.functional.layer_norm(x, (3, 4))),
    ("max_pool2d", lambda x: ops.MaxPool2d.apply(x.reshape(1, 1, 3, 4), 2),
     lambda torch, x: torch.nn.functional.max_pool2d(x.reshape(1, 1, 3, 4), 2)),
    ("max_pool1d", lambda x: ops.MaxPool1d.apply(x.reshape(1, 3, 4), 2),
     lambda torch, x: torch.nn.functional.max_pool1d(x.reshape(1, 3, 4), 2)),
    ("tril", lambda x: ops.Triangle.apply(x), lambda torch, x: torch.tril(x)),
])
def test_an_op_called_with_its_defaults_is_pytorchs_function_with_its_defaults(name, ours, theirs):
    """The defaults of an op's forward (norm over everything without keepdim, padding with
    zeros, LayerNorm's eps 1e-5) are PyTorch's, for code that calls the op as the
    handout calls its Functions."""
    torch = _torch()
    x = _normal(3, 4) * 1e-2  # small, so that LayerNorm's eps weighs in the result
    expected = theirs(torch, torch.tensor(x)).numpy()
    result = ours(Tensor(x)).data
    assert result.shape == expected.shape, name
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("shape, dims", [((3,), (0,)), ((2, 3), (0, 1)), ((), ())])
def test_flip_returns_a_copy_as_pytorch(shape, dims):
    """torch.flip copies: changing the result in place leaves the input as it was."""
    x = Tensor(np.arange(float(np.prod(shape))).reshape(shape))
    before = x.data.copy()
    y = x.flip(dims)
    y.add_(1)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(y.data, np.flip(before, dims) + 1)



@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_the_row_and_column_sum_helpers_sum_rows_and_columns_in_every_dtype(dtype):
    """ops.common's sums (BLAS products for float32/64, NumPy's reduction otherwise)."""
    from mytorch.ops.common import column_sums, row_sums
    x = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    np.testing.assert_array_equal(row_sums(x), x.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(column_sums(x), x.sum(axis=0))
    assert row_sums(x).dtype == column_sums(x).dtype == dtype



@pytest.mark.parametrize("op", [ops.MaxPool2d, ops.AvgPool2d])
def test_a_one_element_window_pools_into_a_new_array(op):
    """Pooling with kernel 1 copies: changing the result leaves the input as it was."""
    x = Tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    y = op.apply(x, 1)
    y.data[...] = -1
    np.testing.assert_array_equal(x.data, np.arange(6.0).reshape(1, 1, 2, 3))


def test_max_pool_windows_that_do_not_reach_the_end_leave_its_gradient_zero():
    """stride == kernel with a remainder: the last rows and columns, in no window, get 0,
    as in PyTorch, whatever memory the gradient array was made in."""
    torch = _torch()
    for trial in range(20):  # fresh allocations: a gradient left uninitialised would show
        x = _normal(2, 3, 7, 5) + trial
        ours = Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        F.max_pool2d(ours, 2).sum().backward()
        torch.nn.functional.max_pool2d(theirs, 2).sum().backward()
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_backward_called_directly_gives_each_gradient_its_inputs_dtype(training):
    """float32 input with float64 weight and bias: Function.backward itself (as the handout
    calls it, without the engine's casts) returns float32 for x and float64 for the rest."""
    x = Tensor(np.random.default_rng(0).random((6, 3)).astype(np.float32), requires_grad=True)
    weight, bias = Tensor(np.full(3, 2.0), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    out = ops.BatchNorm.apply(x, Tensor(np.zeros(3)), Tensor(np.ones(3)), weight, bias, training, 0.1, 1e-5)
    grads = ops.BatchNorm.backward(out.grad_fn.ctx, Tensor(np.ones((6, 3), np.float32)))
    assert (grads[0].dtype, grads[3].dtype, grads[4].dtype) == (np.float32, np.float64, np.float64)
