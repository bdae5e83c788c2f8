"""Recurrent cells and layers: central differences, PyTorch in float64 (packed, padded,
batch_first, hidden passed in), dtypes, bad input, depth and memory, Embedding."""
import tracemalloc

import numpy as np
import pytest

from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F
from mytorch.nn.util import pack_sequence, unpack_sequence

GATES = {"RNNCell": 1, "GRUCell": 3, "LSTMCell": 4}
LENGTHS = [[3, 1, 4, 2], [1], [2, 2, 2], [1, 1], [5]]  # mixed, length 1, equal, batch of 1


def _cell_inputs(name, batch=3, inputs=2, hidden=3, seed=0):
    rng = np.random.default_rng(seed)
    width = GATES[name] * hidden
    state = 2 * hidden if name == "LSTMCell" else hidden
    shapes = [(batch, inputs), (batch, state), (width, inputs), (width, hidden), (width,), (width,)]
    return [Tensor(rng.uniform(-1, 1, shape), requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("name, extra", [("RNNCell", ("tanh",)), ("RNNCell", ("relu",)),
                                         ("GRUCell", ()), ("LSTMCell", ())])
def test_fused_cell_ops_match_central_differences_for_every_input(name, extra):
    op = getattr(F, name)
    assert gradcheck(lambda *ts: op.apply(*ts, *extra), *_cell_inputs(name))


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_a_precomputed_input_projection_gives_the_same_step(name):
    x, h, w_ih, w_hh, b_ih, b_hh = _cell_inputs(name)
    op = getattr(F, name)
    plain = op.apply(x, h, w_ih, w_hh, b_ih, b_hh)
    given = op.apply(x, h, w_ih, w_hh, b_ih, b_hh, *(("tanh",) if name == "RNNCell" else ()),
                     x.data @ w_ih.data.T + b_ih.data)
    np.testing.assert_allclose(given.data, plain.data, rtol=1e-14)


# ------------------------------------------------------------ PyTorch twins

def _copy_into(ours, twin, suffix=""):
    """Copy the torch module's parameters into ours (GRUUnit's are split by gate)."""
    import torch

    with torch.no_grad():
        for side in ("ih", "hh"):
            weight = getattr(twin, f"weight_{side}{suffix}").detach().numpy()
            bias = getattr(twin, f"bias_{side}{suffix}").detach().numpy()
            if isinstance(ours, nn.GRUUnit):
                hidden = ours.hidden_size
                for k, gate in enumerate("rzn"):
                    getattr(ours, f"weight_{side[0]}{gate}").data = weight[k * hidden:(k + 1) * hidden].copy()
                    getattr(ours, f"bias_{side[0]}{gate}").data = bias[k * hidden:(k + 1) * hidden].copy()
            else:
                getattr(ours, f"weight_{side}").data = weight.copy()
                getattr(ours, f"bias_{side}").data = bias.copy()


def _param_grads_match(ours, twin, suffix=""):
    for side in ("ih", "hh"):
        for kind in ("weight", "bias"):
            theirs = getattr(twin, f"{kind}_{side}{suffix}").grad.numpy()
            if isinstance(ours, nn.GRUUnit):
                mine = np.concatenate([getattr(ours, f"{kind}_{side[0]}{g}").grad.data for g in "rzn"])
            else:
                mine = getattr(ours, f"{kind}_{side}").grad.data
            np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{kind}_{side}")


LAYERS = {"RNN": (nn.RNN, "RNN"), "RNN-relu": (lambda i, h, **kw: nn.RNN(i, h, "relu", **kw), "RNN"),
          "GRU": (nn.GRU, "GRU"), "LSTM": (nn.LSTM, "LSTM")}


def _torch_layer(name, inputs, hidden, batch_first=False):
    import torch

    kind = LAYERS[name][1]
    extra = {"nonlinearity": "relu"} if name == "RNN-relu" else {}
    return getattr(torch.nn, kind)(inputs, hidden, batch_first=batch_first, **extra).double()


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("with_hidden", [False, True])
def test_packed_layers_match_pytorch_with_gradients_into_every_input_and_parameter(
        name, lengths, with_hidden):
    torch = pytest.importorskip("torch")
    inputs, hidden = 3, 4
    rng = np.random.default_rng(len(lengths))
    ours = LAYERS[name][0](inputs, hidden)
    twin = _torch_layer(name, inputs, hidden)
    _copy_into(ours.unit, twin, "_l0")
    seqs = [Tensor(rng.standard_normal((n, inputs)), requires_grad=True) for n in lengths]
    twin_seqs = [torch.tensor(s.data, requires_grad=True) for s in seqs]
    packed = pack_sequence(seqs)
    order = packed.sorted_indices
    is_lstm = name == "LSTM"
    h0 = [rng.standard_normal((len(lengths), hidden)) for _ in range(2 if is_lstm else 1)]
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
    loss = (out.data * Tensor(out_w)).sum() + sum((f * Tensor(w)).sum() for f, w in zip(finals, final_w))
    loss.backward()
    twin_loss = (twin_out.data * torch.tensor(out_w)).sum() + sum(
        (f[0][torch.tensor(order)] * torch.tensor(w)).sum() for f, w in zip(twin_finals, final_w))
    twin_loss.backward()
    _param_grads_match(ours.unit, twin, "_l0")
    for mine, theirs in zip(seqs, twin_seqs):
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    if with_hidden:
        for mine, theirs in zip(our_h0, twin_h0):
            np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy()[0][order], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_padded_input_matches_pytorch(name, batch_first):
    torch = pytest.importorskip("torch")
    ours = LAYERS[name][0](3, 5, batch_first=batch_first)
    twin = _torch_layer(name, 3, 5, batch_first)
    _copy_into(ours.unit, twin, "_l0")
    x = Tensor(np.random.default_rng(0).standard_normal((2, 4, 3) if batch_first else (4, 2, 3)),
               requires_grad=True)
    twin_x = torch.tensor(x.data, requires_grad=True)
    out, final = ours(x)
    twin_out, twin_final = twin(twin_x)
    final, twin_final = (final[0], twin_final[0]) if name == "LSTM" else (final, twin_final)
    np.testing.assert_allclose(out.data, twin_out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(final.data, twin_final[0].detach().numpy(), rtol=1e-10)
    ((out ** 2).sum() + final.sum()).backward()
    ((twin_out ** 2).sum() + twin_final.sum()).backward()
    np.testing.assert_allclose(x.grad.data, twin_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    _param_grads_match(ours.unit, twin, "_l0")


@pytest.mark.parametrize("ours, twin_name", [(lambda: nn.RNNUnit(3, 4), "RNNCell"),
                                             (lambda: nn.RNNUnit(3, 4, "relu"), "RNNCell"),
                                             (lambda: nn.GRUUnit(3, 4), "GRUCell"),
                                             (lambda: nn.LSTMCell(3, 4), "LSTMCell")])
@pytest.mark.parametrize("batch", [1, 5])
def test_cells_match_pytorch_with_and_without_hidden(ours, twin_name, batch):
    torch = pytest.importorskip("torch")
    cell = ours()
    extra = {"nonlinearity": cell.nonlinearity} if twin_name == "RNNCell" else {}
    twin = getattr(torch.nn, twin_name)(3, 4, **extra).double()
    _copy_into(cell, twin)
    rng = np.random.default_rng(batch)
    x = Tensor(rng.standard_normal((batch, 3)), requires_grad=True)
    twin_x = torch.tensor(x.data, requires_grad=True)
    for hidden in (None, "given"):
        is_lstm = twin_name == "LSTMCell"
        if hidden:
            values = [rng.standard_normal((batch, 4)) for _ in range(2 if is_lstm else 1)]
            ours_h = [Tensor(v, requires_grad=True) for v in values]
            twin_h = [torch.tensor(v, requires_grad=True) for v in values]
            out = cell(x, tuple(ours_h) if is_lstm else ours_h[0])
            twin_out = twin(twin_x, tuple(twin_h) if is_lstm else twin_h[0])
        else:
            out, twin_out = cell(x), twin(twin_x)
        outs, twin_outs = (out, twin_out) if is_lstm else ((out,), (twin_out,))
        for mine, theirs in zip(outs, twin_outs):
            np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-10)
        sum((o ** 2).sum() for o in outs).backward()
        sum((o ** 2).sum() for o in twin_outs).backward()
        np.testing.assert_allclose(x.grad.data, twin_x.grad.numpy(), rtol=1e-9)
        if hidden:
            for mine, theirs in zip(ours_h, twin_h):
                np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-9)
    _param_grads_match(cell, twin)


# ------------------------------------------------------------ without PyTorch

@pytest.mark.parametrize("make", [lambda: nn.RNN(2, 3), lambda: nn.GRU(2, 3), lambda: nn.LSTM(2, 3)])
def test_layers_match_central_differences_through_packing(make):
    layer = make()
    rng = np.random.default_rng(0)
    seqs = [Tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 2)]

    def run(*tensors):
        out, _ = layer(pack_sequence(list(tensors[:3])))
        return F.Cat.apply(*unpack_sequence(out), 0)

    assert gradcheck(run, *seqs, *layer.parameters())


def test_unpacking_the_output_gives_each_sequence_run_alone():
    layer = nn.GRU(2, 3)
    rng = np.random.default_rng(1)
    seqs = [Tensor(rng.standard_normal((n, 2))) for n in (2, 4, 1)]
    out, final = layer(pack_sequence(seqs))
    for seq, got, row in zip(seqs, unpack_sequence(out), np.argsort([1, 0, 2])):
        alone, last = layer(seq.unsqueeze(1))
        np.testing.assert_allclose(got.data, alone.data[:, 0], rtol=1e-12)
        np.testing.assert_allclose(final.data[row], last.data[0], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 4), lambda: nn.GRU(3, 4), lambda: nn.LSTM(3, 4)])
def test_float32_stays_float32_through_layers_and_gradients(make):
    layer = make().float()
    seqs = [Tensor(np.ones((n, 3), np.float32), requires_grad=True) for n in (2, 3)]
    out, _ = layer(pack_sequence(seqs))
    assert out.data.dtype == np.float32
    out.data.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert all(s.grad.dtype == np.float32 for s in seqs)
    padded, _ = layer(Tensor(np.ones((4, 2, 3), np.float32)))
    assert padded.dtype == np.float32


@pytest.mark.parametrize("make, sizes", [(lambda: nn.RNNUnit(5, 7), 7), (lambda: nn.GRUUnit(5, 7), 7),
                                         (lambda: nn.LSTMCell(5, 7), 7), (lambda: nn.GRU(5, 16), 16)])
def test_every_weight_and_bias_starts_uniform_within_one_over_sqrt_hidden(make, sizes):
    values = np.concatenate([p.data.ravel() for p in make().parameters()])
    bound = 1 / np.sqrt(sizes)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert abs(values.mean()) < 0.2 * bound


@pytest.mark.parametrize("call, match", [
    (lambda: nn.GRU(3, 4)(pack_sequence([Tensor(np.ones((2, 5)))])),
     r"GRU: input of shape \(2, 5\) does not match its input size 3"),
    (lambda: nn.RNN(3, 4)(Tensor(np.ones((2, 1, 5)))),
     r"RNN: input of shape \(2, 1, 5\) does not match its input size 3 \(expected \(time, batch, input_size\)\)"),
    (lambda: nn.LSTM(3, 4, batch_first=True)(Tensor(np.ones((2, 3)))),
     r"LSTM: input of shape \(2, 3\) does not match its input size 3 \(expected \(batch, time, input_size\)\)"),
    (lambda: nn.GRUUnit(3, 4)(Tensor(np.ones((2, 4)))), r"GRUUnit: input of shape \(2, 4\)"),
    (lambda: nn.RNNUnit(3, 4)(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 5)))),
     r"RNNCell: hidden state of shape \(2, 5\) for input of shape \(2, 3\) \(expected \(2, 4\)\)"),
    (lambda: nn.GRU(3, 4)(pack_sequence([Tensor(np.ones((2, 3)))] * 2), Tensor(np.ones((3, 4)))),
     r"GRU: hidden state of shape \(3, 4\) for 2 sequences \(expected \(2, 4\)\)"),
    (lambda: pack_sequence([]), "pack_sequence: expected a non-empty list"),
    (lambda: pack_sequence([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
     r"pack_sequence: sequences of shapes \[\(2, 3\), \(2, 4\)\]"),
    (lambda: pack_sequence([Tensor(np.ones((0, 3)))]), r"pack_sequence: sequences of shapes \[\(0, 3\)\]"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "RNN|RNNUnit: nonlinearity"),
    (lambda: nn.GRUUnit(3, 0), "GRUUnit: hidden_size must be a positive integer, got 0"),
    (lambda: nn.LSTMCell(3, 4)(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))),
     r"LSTMCell: the hidden state must be a pair \(h, c\)"),
    (lambda: nn.Embedding(4, 2)([0, 4]), "Embedding: index 4 at index 1 is out of range for 4 classes"),
])
def test_bad_input_names_the_layer_and_the_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ depth and memory

def test_a_ten_thousand_step_sequence_backpropagates_into_its_input():
    layer = nn.RNN(2, 3)
    x = Tensor(np.random.default_rng(0).standard_normal((10_000, 1, 2)) * 0.1, requires_grad=True)
    out, final = layer(x)
    (final.sum() + out[0].sum()).backward()
    assert np.isfinite(layer.unit.weight_hh.grad.data).all()
    assert out.shape == (10_000, 1, 3) and x.grad.shape == x.shape
    assert np.abs(x.grad.data[-1]).sum() > 0 and np.abs(x.grad.data[0]).sum() > 0


def _peak_bytes(steps):
    layer = nn.GRU(4, 8)
    x = Tensor(np.ones((steps, 2, 4)))
    tracemalloc.start()
    _, final = layer(x)
    final.sum().backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_grows_linearly_with_sequence_length():
    short, long = _peak_bytes(400), _peak_bytes(1600)
    assert 2.5 < long / short < 5.5, (short, long)


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
