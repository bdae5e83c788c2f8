"""The recurrent ops: one step (RNNCell, GRUCell, LSTMCell) and a whole sequence
(RNNSequence, GRUSequence, LSTMSequence): central differences over packed batches, both
directions, given and zero initial states, with and without biases; the sequence ops
against the step ops run step by step; dtypes, reuse, repeated backward, in-place
changes and bad input."""
import numpy as np
import pytest

from mytorch import Tensor
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}
STEP_OPS = {"RNN_TANH": (F.RNNCell, ("tanh",)), "RNN_RELU": (F.RNNCell, ("relu",)),
            "GRU": (F.GRUCell, ()), "LSTM": (F.LSTMCell, ())}
# non-increasing batch sizes: unequal lengths, equal lengths, batch of 1, one step
BATCH_SIZES = [[4, 3, 3, 1], [2, 2, 2], [1, 1, 1, 1], [3]]


def _leaves(shapes, rng, dtype=np.float64):
    return [Tensor(rng.uniform(-1, 1, shape).astype(dtype), requires_grad=True) for shape in shapes]


def _weights(mode, inputs, hidden, rng, bias=True, dtype=np.float64):
    width = GATES[mode] * hidden
    shapes = [(width, inputs), (width, hidden)] + ([(width,), (width,)] if bias else [])
    return _leaves(shapes, rng, dtype) + ([] if bias else [None, None])


def _run(mode, x, states, weights, sizes, reverse=False, order=None):
    """The op's whole output, (N + k * B, H)."""
    if mode == "LSTM":
        return F.LSTMSequence.apply(x, *states, *weights, sizes, reverse, order)
    if mode == "GRU":
        return F.GRUSequence.apply(x, *states, *weights, sizes, reverse, order)
    return F.RNNSequence.apply(x, *states, *weights, sizes, mode[4:].lower(), reverse, order)


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("sizes", BATCH_SIZES, ids=str)
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_ops_match_central_differences(mode, sizes, reverse):
    rng = np.random.default_rng(len(sizes))
    batch, rows = sizes[0], sum(sizes)
    x, = _leaves([(rows, 2)], rng)
    states = _leaves([(batch, 3)] * (2 if mode == "LSTM" else 1), rng)
    weights = _weights(mode, 2, 3, rng)
    order = rng.permutation(batch)
    count = len(states)
    assert gradcheck(lambda x, *rest: _run(mode, x, rest[:count], rest[count:], sizes, reverse, order),
                     x, *states, *weights)


@pytest.mark.parametrize("mode", list(GATES))
def test_without_initial_states_or_biases_the_gradients_still_match(mode):
    rng = np.random.default_rng(7)
    sizes = [3, 2, 2]
    x, = _leaves([(7, 2)], rng)
    weights = _weights(mode, 2, 3, rng, bias=False)
    nones = (None, None) if mode == "LSTM" else (None,)
    assert gradcheck(lambda x, w_ih, w_hh: _run(mode, x, nones, (w_ih, w_hh, None, None), sizes),
                     x, *weights[:2])


def _stepwise(mode, x, states, weights, sizes, reverse):
    """The op's output computed with the step ops, one sequence at a time (sorted order)."""
    op, extra = STEP_OPS[mode]
    hidden = weights[1].shape[1]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows, finals = np.zeros((sum(sizes), hidden)), []
    for j in range(sizes[0]):
        steps = [t for t, size in enumerate(sizes) if size > j]
        state = np.concatenate([s.data[j:j + 1] for s in states], axis=1)
        for t in (steps[::-1] if reverse else steps):
            state = op.apply(Tensor(x.data[starts[t] + j:starts[t] + j + 1]), Tensor(state),
                             *weights, *extra).data
            rows[starts[t] + j] = state[0, :hidden]
        finals.append(state[0])
    finals = np.array(finals)
    return np.concatenate([rows] + [finals[:, k * hidden:(k + 1) * hidden] for k in range(len(states))])


@pytest.mark.parametrize("mode", list(GATES))
@pytest.mark.parametrize("reverse", [False, True])
def test_a_sequence_op_equals_its_step_op_run_step_by_step(mode, reverse):
    rng = np.random.default_rng(3)
    sizes = [5, 4, 4, 2, 1]
    x, = _leaves([(sum(sizes), 3)], rng)
    states = _leaves([(5, 4)] * (2 if mode == "LSTM" else 1), rng)
    weights = _weights(mode, 3, 4, rng)
    got = _run(mode, x, states, weights, sizes, reverse).data
    np.testing.assert_allclose(got, _stepwise(mode, x, states, weights, sizes, reverse), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("mode", list(GATES))
def test_float32_stays_float32_and_repeated_backward_gives_the_same_gradients(mode):
    rng = np.random.default_rng(4)
    sizes = [3, 3, 1]
    x, = _leaves([(7, 2)], rng, np.float32)
    states = _leaves([(3, 4)] * (2 if mode == "LSTM" else 1), rng, np.float32)
    weights = _weights(mode, 2, 4, rng, dtype=np.float32)
    out = _run(mode, x, states, weights, sizes, True)
    assert out.dtype == np.float32
    loss = (out * out).sum()
    loss.backward()
    first = [t.grad.data.copy() for t in [x, *states, *weights]]
    assert all(g.dtype == np.float32 for g in first)
    loss.backward()  # the graph is kept: the saved arrays must not have changed
    for tensor, grad in zip([x, *states, *weights], first):
        np.testing.assert_allclose(tensor.grad.data, 2 * grad, rtol=1e-6)


def test_one_weight_used_by_two_ops_sums_its_gradients():
    rng = np.random.default_rng(5)
    x, = _leaves([(6, 2)], rng)
    weights = _weights("GRU", 2, 3, rng)
    assert gradcheck(lambda x, *w: _run("GRU", x, (None,), w, [3, 3])[:6]
                     + _run("GRU", x, (None,), w, [2, 2, 2], True)[:6], x, *weights)


def test_a_saved_input_changed_in_place_before_backward_is_an_error():
    rng = np.random.default_rng(6)
    x, = _leaves([(4, 2)], rng)
    weights = _weights("LSTM", 2, 3, rng)
    out = _run("LSTM", x, (None, None), weights, [2, 2])
    weights[1].data += 0  # no version change: still fine
    with pytest.raises(RuntimeError, match="LSTMSequence.backward: its input 'weight_hh'"):
        from mytorch import no_grad
        with no_grad():
            weights[1].add_(1)
        out.sum().backward()


@pytest.mark.parametrize("call, match", [
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [2, 3]), r"GRUSequence: batch_sizes must be a non-empty 1-d sequence of positive, non-increasing integers, got \[2, 3\]"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, []), "GRUSequence: batch_sizes must be"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [3, 0]), "GRUSequence: batch_sizes must be"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [2.0, 2.0]), "GRUSequence: batch_sizes must be"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [3, 2]),
     r"GRUSequence: input of shape \(4, 2\) for batch_sizes summing to 5 \(expected \(5, input_size\)\)"),
    (lambda x, h, w: F.GRUSequence.apply(x, Tensor(np.zeros((3, 3))), *w, [2, 2]),
     r"GRUSequence: hx of shape \(3, 3\) for 2 sequences of hidden size 3 \(expected \(2, 3\)\)"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, w[1], w[0], *w[2:], [2, 2]),
     r"GRUSequence: input of shape \(4, 2\) does not fit weight_ih of shape \(9, 3\)"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w[:3], Tensor(np.zeros(3)), [2, 2]),
     r"GRUSequence: weight_hh \(9, 3\), bias_ih \(9,\) and bias_hh \(3,\) do not fit 3 gates"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [2, 2], False, [0, 0]),
     r"GRUSequence: sorted_indices \[0, 0\] is not a permutation of the 2 sequences"),
    (lambda x, h, w: F.GRUSequence.apply(x, h, *w, [2, 2], "yes"), "GRUSequence: reverse must be True or False"),
    (lambda x, h, w: F.RNNSequence.apply(x, h, *_weights("RNN_TANH", 2, 3, np.random.default_rng(0)), [2, 2], "gelu"),
     "RNNSequence: nonlinearity must be one of 'tanh', 'relu', got 'gelu'"),
    (lambda x, h, w: F.GRUSequence.apply(x.data[0], h, *w, [1]), r"GRUSequence: input of shape \(2,\)"),
    (lambda x, h, w: F.GRUSequence.apply(Tensor(1.0), h, *w, [1]), r"GRUSequence: input of shape \(\)"),
])
def test_bad_input_names_the_op_and_the_shapes(call, match):
    rng = np.random.default_rng(0)
    x, h = _leaves([(4, 2), (2, 3)], rng)
    weights = _weights("GRU", 2, 3, rng)
    with pytest.raises(ValueError, match=match):
        call(x, h, weights)
    assert x.grad is None and all(w.grad is None for w in weights)


def test_the_step_ops_take_no_bias_and_match_central_differences():
    rng = np.random.default_rng(8)
    for mode, (op, extra) in STEP_OPS.items():
        width = 2 * 3 if mode == "LSTM" else 3
        x, h = _leaves([(2, 2), (2, width)], rng)
        w_ih, w_hh = _weights(mode, 2, 3, rng, bias=False)[:2]
        assert gradcheck(lambda *ts: op.apply(*ts, None, None, *extra), x, h, w_ih, w_hh)


@pytest.mark.parametrize("mode", list(GATES))
def test_each_input_gets_its_gradient_whichever_others_require_grad(mode):
    """The sequence ops give exactly the gradients asked for: one leaf alone, or all but
    one, gets what it gets when every leaf requires grad; the others get None."""
    sizes, order = [3, 2, 2], np.array([2, 0, 1])

    def leaves(wanted):
        rng = np.random.default_rng(3)
        tensors = [_leaves([(7, 2)], rng)[0]] + _leaves([(3, 3)] * (2 if mode == "LSTM" else 1), rng) \
            + _weights(mode, 2, 3, rng)
        for i, tensor in enumerate(tensors):
            tensor.requires_grad = i in wanted
        count = 2 if mode == "LSTM" else 1
        out = _run(mode, tensors[0], tensors[1:1 + count], tensors[1 + count:], sizes, False, order)
        (out * Tensor(np.random.default_rng(4).standard_normal(out.shape))).sum().backward()
        return tensors

    everything = range(1 + (2 if mode == "LSTM" else 1) + 4)  # input, states, weights
    reference = leaves(set(everything))
    for one in everything:
        for wanted in ({one}, set(everything) - {one}):
            for i, tensor in enumerate(leaves(wanted)):
                if i in wanted:
                    np.testing.assert_allclose(tensor.grad.data, reference[i].grad.data, rtol=1e-13,
                                               err_msg=f"{mode} {sorted(wanted)} {i}")
                else:
                    assert tensor.grad is None, (mode, sorted(wanted), i)
