"""Recurrent layers and cells.

PyTorch's `nn.RNN`, `nn.GRU`, `nn.LSTM` and `nn.RNNCell`, `nn.GRUCell`, `nn.LSTMCell`:
against torch in float64 (values, and gradients of the input, h0/c0 and every parameter)
over num_layers, bidirectional, batch_first, packed input of unequal lengths, unbatched
input, batch 1, no bias and dropout; a state_dict copied from torch; names, shapes, repr
and initialisation; dtypes; bad input. The handout's TimeIterator API
(`mytorch.nn.rnn.RNN`, `mytorch.nn.gru.GRU`, TimeIterator over any cell): against torch
with its packed order, central differences; depth and memory; Embedding.
"""
import warnings

import numpy as np
import pytest

from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F
from mytorch.nn.gru import GRU as HandoutGRU
from mytorch.nn.rnn import RNN as HandoutRNN
from mytorch.nn.util import pack_sequence, unpack_sequence

KINDS = {"RNN": (nn.RNN, {}), "RNN-relu": (nn.RNN, {"nonlinearity": "relu"}),
         "GRU": (nn.GRU, {}), "LSTM": (nn.LSTM, {})}
STRUCTURES = [(1, False), (1, True), (2, False), (2, True)]  # (num_layers, bidirectional)
LAYOUTS = ["padded", "batch_first", "packed", "unbatched", "batch 1"]
LENGTHS = [3, 1, 4, 2]  # the packed case: unequal and unsorted


def _pair(kind, **options):
    """(ours, torch's twin in float64 with ours' parameters copied from it)."""
    import torch

    layer, extra = KINDS[kind]
    twin = getattr(torch.nn, layer.__name__)(3, 4, **extra, **options).double()
    ours = layer(3, 4, **extra, **options)
    ours.load_state_dict({name: value.detach().numpy() for name, value in twin.state_dict().items()})
    return ours, twin


def _inputs(layout, rng):
    """Input arrays: a list of sequences for 'packed', else one array."""
    if layout == "packed":
        return [rng.standard_normal((n, 3)) for n in LENGTHS]
    shape = {"padded": (4, 3, 3), "batch_first": (3, 4, 3), "unbatched": (4, 3),
             "batch 1": (5, 1, 3)}[layout]
    return rng.standard_normal(shape)


def _call(module, layout, arrays, hx, as_tensor, pack):
    """Run `module` on the arrays (leaves made by `as_tensor`); returns (leaves, output
    array-like of every step, finals)."""
    if layout == "packed":
        leaves = [as_tensor(a) for a in arrays]
        out, finals = module(pack(leaves), hx)
        return leaves, out.data, finals
    leaf = as_tensor(arrays)
    out, finals = module(leaf, hx)
    return [leaf], out, finals


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers, bidirectional", STRUCTURES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("with_hx", [False, True])
def test_layers_match_pytorch_with_gradients_into_every_input_and_parameter(
        kind, num_layers, bidirectional, layout, with_hx):
    torch = pytest.importorskip("torch")
    ours, twin = _pair(kind, num_layers=num_layers, bidirectional=bidirectional,
                       batch_first=layout == "batch_first")
    rng = np.random.default_rng(num_layers + 2 * bidirectional)
    arrays = _inputs(layout, rng)
    batch = {"packed": len(LENGTHS), "unbatched": None, "batch 1": 1}.get(layout, 3)
    state_shape = (num_layers * (1 + bidirectional),) + ((batch,) if batch else ()) + (4,)
    states = [rng.standard_normal(state_shape) for _ in range(2 if kind == "LSTM" else 1)]
    ours_states = [Tensor(s.copy(), requires_grad=True) for s in states]
    twin_states = [torch.tensor(s, requires_grad=True) for s in states]

    def hx(values):
        return None if not with_hx else (tuple(values) if kind == "LSTM" else values[0])

    leaves, out, finals = _call(ours, layout, arrays, hx(ours_states),
                                lambda a: Tensor(a.copy(), requires_grad=True), pack_sequence)
    twin_leaves, twin_out, twin_finals = _call(
        twin, layout, arrays, hx(twin_states), lambda a: torch.tensor(a, requires_grad=True),
        lambda seqs: torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False))
    finals = finals if kind == "LSTM" else (finals,)
    twin_finals = twin_finals if kind == "LSTM" else (twin_finals,)
    np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(finals, twin_finals):
        assert mine.shape == tuple(theirs.shape)
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_weights = rng.standard_normal(out.shape)
    final_weights = [rng.standard_normal(f.shape) for f in finals]
    (sum((f * Tensor(w)).sum() for f, w in zip(finals, final_weights))
     + (out * Tensor(out_weights)).sum()).backward()
    (sum((f * torch.tensor(w)).sum() for f, w in zip(twin_finals, final_weights))
     + (twin_out * torch.tensor(out_weights)).sum()).backward()
    pairs = list(zip(leaves, twin_leaves)) + (list(zip(ours_states, twin_states)) if with_hx else [])
    pairs += [(dict(ours.named_parameters())[name], p) for name, p in twin.named_parameters()]
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", list(KINDS))
def test_layers_without_bias_and_only_h_n_used_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    ours, twin = _pair(kind, num_layers=2, bidirectional=True, bias=False)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in twin.named_parameters()]
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 5, 1)]
    leaves = [Tensor(s, requires_grad=True) for s in seqs]
    twin_leaves = [torch.tensor(s, requires_grad=True) for s in seqs]
    h_n = ours(pack_sequence(leaves))[1]
    twin_h_n = twin(torch.nn.utils.rnn.pack_sequence(twin_leaves, enforce_sorted=False))[1]
    h_n, twin_h_n = (h_n[0], twin_h_n[0]) if kind == "LSTM" else (h_n, twin_h_n)
    (h_n ** 2).sum().backward()
    (twin_h_n ** 2).sum().backward()
    np.testing.assert_allclose(h_n.data, twin_h_n.detach().numpy(), rtol=1e-10)
    for mine, theirs in zip(leaves, twin_leaves):
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, theirs in twin.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.data,
                                   theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("layer", [nn.RNN, nn.GRU, nn.LSTM])
def test_stacked_bidirectional_layers_match_central_differences_on_packed_input(layer):
    net = layer(2, 3, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    seqs = [Tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 2)]
    states = [Tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)
              for _ in range(2 if layer is nn.LSTM else 1)]

    def run(*tensors):
        out, finals = net(pack_sequence(list(tensors[:3])),
                          tuple(tensors[3:3 + len(states)]) if layer is nn.LSTM else tensors[3])
        finals = finals if layer is nn.LSTM else (finals,)
        return F.Cat.apply(out.data.reshape(-1, 3), *[f.reshape(-1, 3) for f in finals], 0)

    assert gradcheck(run, *seqs, *states, *net.parameters())


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_dropout_acts_between_layers_in_training_only(kind):
    torch = pytest.importorskip("torch")
    # p = 1 drops everything: deterministic in both libraries.
    ours, twin = _pair(kind, num_layers=3, dropout=1.0)
    x = np.random.default_rng(2).standard_normal((4, 2, 3))
    for training in (True, False):
        ours.train(training)
        twin.train(training)
        out, twin_out = ours(Tensor(x))[0], twin(torch.tensor(x))[0]
        np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    ours_half, _ = _pair(kind, num_layers=2, dropout=0.5)
    np.random.seed(0)
    first = ours_half(Tensor(x))[0].data
    second = ours_half(Tensor(x))[0].data
    assert not np.allclose(first, second)  # a fresh mask each call
    ours_half.eval()
    np.testing.assert_array_equal(ours_half(Tensor(x))[0].data, ours_half(Tensor(x))[0].data)


def test_dropout_with_one_layer_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match=r"GRU: dropout=0.3 acts between layers"):
        nn.GRU(3, 4, dropout=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.3)


@pytest.mark.parametrize("kind, options", [("RNN", {}), ("RNN-relu", {"num_layers": 2}),
                                           ("GRU", {"bidirectional": True, "bias": False}),
                                           ("LSTM", {"num_layers": 3, "batch_first": True, "dropout": 0.5})])
def test_names_shapes_order_attributes_and_repr_are_pytorchs(kind, options):
    torch = pytest.importorskip("torch")
    ours, twin = _pair(kind, **options)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in twin.named_parameters()]
    assert repr(ours) == repr(twin)
    for attribute in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                      "bidirectional", "mode"):
        assert getattr(ours, attribute) == getattr(twin, attribute), attribute
    assert [[p.shape for p in layer] for layer in ours.all_weights] == \
        [[tuple(p.shape) for p in layer] for layer in twin.all_weights]
    ours.flatten_parameters()  # PyTorch code calls it; nothing to do here
    del torch


@pytest.mark.parametrize("make, hidden", [
    (lambda: nn.GRU(5, 16, num_layers=2, bidirectional=True), 16), (lambda: nn.LSTM(5, 7), 7),
    (lambda: nn.RNNCell(5, 7), 7), (lambda: nn.GRUCell(5, 7), 7), (lambda: nn.LSTMCell(5, 7), 7),
    (lambda: nn.RNNUnit(5, 7), 7), (lambda: nn.GRUUnit(5, 7), 7)])
def test_every_weight_and_bias_starts_uniform_within_one_over_sqrt_hidden(make, hidden):
    values = np.concatenate([p.data.ravel() for p in make().parameters()])
    bound = 1 / np.sqrt(hidden)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert abs(values.mean()) < 0.2 * bound


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (1, 3), (3,)], ids=["batch 5", "batch 1", "unbatched"])
def test_cells_match_pytorch_with_and_without_hx(name, bias, shape):
    torch = pytest.importorskip("torch")
    twin = getattr(torch.nn, name)(3, 4, bias=bias).double()
    cell = getattr(nn, name)(3, 4, bias=bias)
    cell.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    assert repr(cell) == repr(twin)
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    is_lstm = name == "LSTMCell"
    for given in (False, True):
        states = [rng.standard_normal(shape[:-1] + (4,)) for _ in range(2 if is_lstm else 1)]
        ours_h = [Tensor(s, requires_grad=True) for s in states]
        twin_h = [torch.tensor(s, requires_grad=True) for s in states]
        ours_x, twin_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        hx = (tuple(ours_h) if is_lstm else ours_h[0]) if given else None
        twin_hx = (tuple(twin_h) if is_lstm else twin_h[0]) if given else None
        outs, twin_outs = cell(ours_x, hx=hx), twin(twin_x, hx=twin_hx)
        outs, twin_outs = (outs, twin_outs) if is_lstm else ((outs,), (twin_outs,))
        for mine, theirs in zip(outs, twin_outs):
            np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-10)
        sum((o ** 2).sum() for o in outs).backward()
        sum((o ** 2).sum() for o in twin_outs).backward()
        pairs = [(ours_x, twin_x)] + (list(zip(ours_h, twin_h)) if given else [])
        for mine, theirs in pairs:
            np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k, theirs in twin.named_parameters():
        np.testing.assert_allclose(getattr(cell, k).grad.data, theirs.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 4, num_layers=2), lambda: nn.GRU(3, 4, bidirectional=True),
                                  lambda: nn.LSTM(3, 4, batch_first=True), lambda: nn.GRUCell(3, 4),
                                  lambda: HandoutGRU(3, 4)])
def test_float32_stays_float32_through_layers_and_gradients(make):
    layer = make().float()
    x = Tensor(np.ones((2, 3), np.float32) if isinstance(layer, nn.GRUCell)
               else np.ones((5, 2, 3), np.float32), requires_grad=True)
    out = layer(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_a_float64_input_to_a_float32_layer_is_refused_as_pytorch_does():
    layer = nn.GRU(3, 4).float()
    with pytest.raises(ValueError, match=r"GRU: input dtype float64 does not match the weights' "
                                         r"dtype float32; convert the input with .to\(float32\)"):
        layer(Tensor(np.ones((2, 1, 3))))
    with pytest.raises(ValueError, match="GRU: hx dtype float64 does not match"):
        layer(Tensor(np.ones((2, 1, 3), np.float32)), Tensor(np.zeros((1, 1, 4))))


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.GRU(3, 4)(Tensor(np.ones((2, 1, 5)))), ValueError,
     r"GRU: input of shape \(2, 1, 5\) does not match its input size 3 \(expected \(time, batch, "
     r"input_size\), or \(time, input_size\) unbatched\)"),
    (lambda: nn.LSTM(3, 4, batch_first=True)(Tensor(np.ones((2, 3, 4, 3)))), ValueError,
     r"LSTM: input of shape \(2, 3, 4, 3\) does not match .*\(batch, time, input_size\)"),
    (lambda: nn.RNN(3, 4)(pack_sequence([Tensor(np.ones((2, 5)))])), ValueError,
     r"RNN: input of shape \(2, 5\) does not match its input size 3 \(expected packed data"),
    (lambda: nn.GRU(3, 4, num_layers=2)(Tensor(np.ones((2, 5, 3))), Tensor(np.zeros((1, 5, 4)))),
     ValueError, r"GRU: h_0 of shape \(1, 5, 4\), expected \(num_layers \* num_directions, batch, "
                 r"hidden_size\) = \(2, 5, 4\)"),
    (lambda: nn.GRU(3, 4)(Tensor(np.ones((2, 3))), Tensor(np.zeros((1, 1, 4)))), ValueError,
     r"GRU: h_0 of shape \(1, 1, 4\), expected \(num_layers \* num_directions, hidden_size\) = \(1, 4\)"),
    (lambda: nn.LSTM(3, 4)(Tensor(np.ones((2, 1, 3))), Tensor(np.zeros((1, 1, 4)))), TypeError,
     r"LSTM: hx must be a pair \(h_0, c_0\)"),
    (lambda: nn.LSTM(3, 4)(Tensor(np.ones((2, 1, 3))), (Tensor(np.zeros((1, 1, 4))),
                                                        Tensor(np.zeros((1, 2, 4))))), ValueError,
     r"LSTM: c_0 of shape \(1, 2, 4\)"),
    (lambda: nn.GRU(3, 4)(Tensor(np.ones((0, 2, 3)))), ValueError, "GRU: input of shape .* has no time steps"),
    (lambda: nn.GRU(3, 4)([[1.0, 2.0, 3.0]]), TypeError, "GRU: input must be a Tensor or an ndarray, got list"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
     "RNN: nonlinearity must be one of 'tanh', 'relu', got 'sigmoid'"),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "GRU: num_layers must be a positive integer, got 0"),
    (lambda: nn.LSTM(3, 0), ValueError, "LSTM: hidden_size must be a positive integer, got 0"),
    (lambda: nn.GRU(3.5, 4), ValueError, "GRU: input_size must be a positive integer, got 3.5"),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, r"GRU: dropout must be a number in \[0, 1\], got 1.5"),
    (lambda: nn.GRU(3, 4, bias="yes"), ValueError, "GRU: bias must be True or False, got 'yes'"),
    (lambda: nn.LSTM(3, 4, bidirectional=1), ValueError, "LSTM: bidirectional must be True or False"),
    (lambda: nn.GRUCell(3, 4)(Tensor(np.ones((2, 4)))), ValueError, r"GRUCell: input of shape \(2, 4\)"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), ValueError, "RNNCell: nonlinearity must be one of"),
    (lambda: nn.RNNUnit(3, 4)(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 5)))), ValueError,
     r"RNNCell: hidden state of shape \(2, 5\) for input of shape \(2, 3\) \(expected \(2, 4\)\)"),
    (lambda: nn.GRUUnit(3, 0), ValueError, "GRUUnit: hidden_size must be a positive integer, got 0"),
    (lambda: nn.LSTMCell(3, 4)(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))), ValueError,
     r"LSTMCell: the hidden state must be a pair \(h, c\)"),
    (lambda: HandoutGRU(3, 4)(pack_sequence([Tensor(np.ones((2, 3)))] * 2), Tensor(np.ones((3, 4)))),
     ValueError, r"GRU: hidden state of shape \(3, 4\) for 2 sequences \(expected \(2, 4\)\)"),
    (lambda: HandoutRNN(3, 4)(Tensor(np.ones((2, 3)))), ValueError,
     r"RNN: input of shape \(2, 3\) does not match its input size 3 \(expected \(time, batch, input_size\)\)"),
    (lambda: pack_sequence([]), ValueError, "pack_sequence: expected a non-empty list"),
    (lambda: pack_sequence([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]), ValueError,
     r"pack_sequence: sequences of shapes \[\(2, 3\), \(2, 4\)\]"),
    (lambda: pack_sequence([Tensor(np.ones((0, 3)))]), ValueError, r"pack_sequence: sequences of shapes \[\(0, 3\)\]"),
    (lambda: nn.Embedding(4, 2)([0, 4]), ValueError, "Embedding: index 4 at index 1 is out of range for 4 classes"),
])
def test_bad_input_names_the_layer_and_the_value(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_failed_call_changes_no_parameter_and_no_gradient():
    layer = nn.LSTM(3, 4, num_layers=2)
    before = layer.state_dict()
    x = Tensor(np.ones((2, 1, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        layer(x, (Tensor(np.zeros((2, 1, 4))), Tensor(np.zeros((1, 1, 4)))))
    assert all(np.array_equal(before[k], v) for k, v in layer.state_dict().items())
    assert x.grad is None and all(p.grad is None for p in layer.parameters())


def test_one_sequence_op_per_layer_and_direction_whatever_the_length():
    layer = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    _, h_n = layer(Tensor(np.ones((50, 2, 3))))
    names, stack = [], [h_n.grad_fn]
    seen = set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(node.function_name)
        stack.extend(node.next_functions)
    assert names.count("GRUSequence") == 4
    assert len(names) < 40  # no node per time step


# ------------------------------------------------------------ the handout's TimeIterator

def _copy_into_unit(unit, twin):
    """Copy torch's layer-0 parameters into a handout unit (GRUUnit's are split by gate)."""
    for side in ("ih", "hh"):
        weight = getattr(twin, f"weight_{side}_l0").detach().numpy()
        bias = getattr(twin, f"bias_{side}_l0").detach().numpy()
        if isinstance(unit, nn.GRUUnit):
            hidden = unit.hidden_size
            for k, gate in enumerate("rzn"):
                getattr(unit, f"weight_{side[0]}{gate}").data = weight[k * hidden:(k + 1) * hidden].copy()
                getattr(unit, f"bias_{side[0]}{gate}").data = bias[k * hidden:(k + 1) * hidden].copy()
        else:
            unit.weight_ih.data, unit.weight_hh.data = (
                getattr(twin, f"weight_{s}_l0").detach().numpy().copy() for s in ("ih", "hh"))
            unit.bias_ih.data, unit.bias_hh.data = (
                getattr(twin, f"bias_{s}_l0").detach().numpy().copy() for s in ("ih", "hh"))


HANDOUT = {"RNN": (lambda i, h: HandoutRNN(i, h), "RNN"),
           "RNN-relu": (lambda i, h: HandoutRNN(i, h, "relu"), "RNN"),
           "GRU": (lambda i, h: HandoutGRU(i, h), "GRU"),
           "LSTM": (lambda i, h: nn.TimeIterator(nn.LSTMCell, i, h), "LSTM"),
           "RNNCell-relu": (lambda i, h: nn.TimeIterator(nn.RNNCell, i, h, "relu"), "RNN")}


@pytest.mark.parametrize("name", list(HANDOUT))
@pytest.mark.parametrize("lengths", [[3, 1, 4, 2], [1], [2, 2, 2]], ids=str)
@pytest.mark.parametrize("with_hidden", [False, True])
def test_time_iterators_match_pytorch_in_the_packed_order(name, lengths, with_hidden):
    torch = pytest.importorskip("torch")
    make, kind = HANDOUT[name]
    ours = make(3, 4)
    twin = getattr(torch.nn, kind)(3, 4, **({"nonlinearity": "relu"} if "relu" in name else {})).double()
    _copy_into_unit(ours.unit, twin)
    rng = np.random.default_rng(len(lengths))
    seqs = [Tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in lengths]
    twin_seqs = [torch.tensor(s.data, requires_grad=True) for s in seqs]
    packed = pack_sequence(seqs)
    order = packed.sorted_indices
    is_lstm = kind == "LSTM"
    h0 = [rng.standard_normal((len(lengths), 4)) for _ in range(2 if is_lstm else 1)]
    # Ours takes the hidden state in the packed order, torch in the original order.
    our_h0 = [Tensor(h[order], requires_grad=True) for h in h0]
    twin_h0 = [torch.tensor(h[None], requires_grad=True) for h in h0]
    out, final = ours(packed, (tuple(our_h0) if is_lstm else our_h0[0]) if with_hidden else None)
    twin_out, twin_final = twin(torch.nn.utils.rnn.pack_sequence(twin_seqs, enforce_sorted=False),
                                (tuple(twin_h0) if is_lstm else twin_h0[0]) if with_hidden else None)
    finals, twin_finals = (final, twin_final) if is_lstm else ((final,), (twin_final,))
    np.testing.assert_allclose(out.data.data, twin_out.data.detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(out.batch_sizes, twin_out.batch_sizes.numpy())
    np.testing.assert_array_equal(out.sorted_indices, twin_out.sorted_indices.numpy())
    for mine, theirs in zip(finals, twin_finals):
        # Ours are longest first (the handout's order); torch's in the original order.
        np.testing.assert_allclose(mine.data, theirs[0].detach().numpy()[order], rtol=1e-10)
    out_w = rng.standard_normal(out.data.shape)
    final_w = [rng.standard_normal(f.shape) for f in finals]
    (out.data * Tensor(out_w)).sum().backward()
    sum((f * Tensor(w)).sum() for f, w in zip(finals, final_w)).backward()
    twin_loss = (twin_out.data * torch.tensor(out_w)).sum() + sum(
        (f[0][torch.tensor(order)] * torch.tensor(w)).sum() for f, w in zip(twin_finals, final_w))
    twin_loss.backward()
    for mine, theirs in zip(seqs, twin_seqs):
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    if with_hidden:
        for mine, theirs in zip(our_h0, twin_h0):
            np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy()[0][order], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make", [lambda: HandoutRNN(2, 3), lambda: HandoutGRU(2, 3),
                                  lambda: nn.TimeIterator(nn.LSTMCell, 2, 3)])
def test_time_iterators_match_central_differences_through_packing(make):
    layer = make()
    rng = np.random.default_rng(0)
    seqs = [Tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 2)]

    def run(*tensors):
        out, _ = layer(pack_sequence(list(tensors[:3])))
        return F.Cat.apply(*unpack_sequence(out), 0)

    assert gradcheck(run, *seqs, *layer.parameters())


def test_unpacking_the_output_gives_each_sequence_run_alone():
    layer = HandoutGRU(2, 3)
    rng = np.random.default_rng(1)
    seqs = [Tensor(rng.standard_normal((n, 2))) for n in (2, 4, 1)]
    out, final = layer(pack_sequence(seqs))
    for seq, got, row in zip(seqs, unpack_sequence(out), np.argsort([1, 0, 2])):
        alone, last = layer(seq.unsqueeze(1))
        np.testing.assert_allclose(got.data, alone.data[:, 0], rtol=1e-12)
        np.testing.assert_allclose(final.data[row], last.data[0], rtol=1e-12)


def test_the_handout_classes_keep_their_api_and_the_torch_names_are_torchs():
    layer = HandoutGRU(3, 4, batch_first=True)
    assert isinstance(layer, nn.TimeIterator) and isinstance(layer.unit, nn.GRUUnit)
    assert not isinstance(nn.GRU(3, 4), nn.TimeIterator)
    out, final = layer(Tensor(np.ones((2, 5, 3))))
    assert out.shape == (2, 5, 4) and final.shape == (2, 4)
    out, h_n = nn.GRU(3, 4, batch_first=True)(Tensor(np.ones((2, 5, 3))))
    assert out.shape == (2, 5, 4) and h_n.shape == (1, 2, 4)


# ------------------------------------------------------------ depth and memory

def test_a_ten_thousand_step_sequence_backpropagates_into_its_input():
    layer = nn.RNN(2, 3)
    x = Tensor(np.random.default_rng(0).standard_normal((10_000, 1, 2)) * 0.1, requires_grad=True)
    out, h_n = layer(x)
    (h_n.sum() + out[0].sum()).backward()
    assert np.isfinite(layer.weight_hh_l0.grad.data).all()
    assert out.shape == (10_000, 1, 3) and x.grad.shape == x.shape
    assert np.abs(x.grad.data[-1]).sum() > 0 and np.abs(x.grad.data[0]).sum() > 0


def test_memory_grows_linearly_and_stays_within_twice_what_backward_needs():
    from bench.gru import backward_bytes, peak_bytes  # the benchmark's own measure

    short, long = peak_bytes(500, np.dtype(np.float32)), peak_bytes(2000, np.dtype(np.float32))
    assert 3.5 < long / short < 4.5, (short, long)
    # Backward through time needs five (batch, hidden) arrays per step (h_prev, r, z, n
    # and h W_hn + b_hn).
    assert long <= 2 * backward_bytes(2000, 1, np.float32), long


# ------------------------------------------------------------ Embedding

def test_embedding_scatters_repeated_indices_with_accumulation():
    emb = nn.Embedding(5, 3)
    ids = np.array([[1, 3, 1], [1, 0, 4]])
    out = emb(Tensor(ids))
    np.testing.assert_array_equal(out.data, emb.weight.data[ids])
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, ids, weights)
    np.testing.assert_allclose(emb.weight.grad.data, expected, rtol=1e-14)
    np.testing.assert_allclose(expected[1], weights[0, 0] + weights[0, 2] + weights[1, 0])


def test_embedding_matches_pytorch():
    torch = pytest.importorskip("torch")
    emb = nn.Embedding(6, 4)
    twin = torch.nn.Embedding(6, 4).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(emb.weight.data))
    ids = [[0, 5, 5], [2, 2, 2]]
    (emb(ids) ** 2).sum().backward()
    (twin(torch.tensor(ids)) ** 2).sum().backward()
    np.testing.assert_allclose(emb.weight.grad.data, twin.weight.grad.numpy(), rtol=1e-12)
