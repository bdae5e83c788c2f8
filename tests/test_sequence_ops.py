"""cat, stack, slicing, unsqueeze and squeeze: central differences, PyTorch in float64,
dtypes and bad input."""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F
from mytorch.tensor import cat, stack

CAT_CASES = [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 5)], 1), ([(2, 3), (2, 1)], -1),
             ([(1, 4, 3), (1, 8, 3), (1, 5, 3)], 1), ([(3,)], 0), ([(2, 0, 3), (2, 2, 3)], 1)]


def _leaves(shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("shapes, dim", CAT_CASES)
def test_cat_matches_central_differences_and_numpy(shapes, dim):
    tensors = _leaves(shapes)
    np.testing.assert_array_equal(cat(tensors, dim).data,
                                  np.concatenate([t.data for t in tensors], axis=dim))
    assert gradcheck(lambda *ts: cat(list(ts), dim), *tensors)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_matches_central_differences_and_numpy(dim):
    tensors = _leaves([(2, 3)] * 3)
    np.testing.assert_array_equal(stack(tensors, dim).data,
                                  np.stack([t.data for t in tensors], axis=dim))
    assert gradcheck(lambda *ts: stack(list(ts), dim), *tensors)


@pytest.mark.parametrize("key", [1, (1, 2, 0), (slice(None), 3), (slice(None), slice(1, 3)),
                                 (Ellipsis, -1), (slice(None, None, -2), None, 1),
                                 (np.array([0, 0, 1]),)])
def test_slice_matches_central_differences(key):
    a, = _leaves([(2, 4, 3)])
    np.testing.assert_array_equal(F.Slice.apply(a, key).data, a.data[key])
    assert gradcheck(lambda t: t[key], a)


def test_a_repeated_integer_index_accumulates_and_a_slice_assigns():
    a = Tensor(np.arange(4.0), requires_grad=True)
    (a[np.array([1, 1, 3])].sum() + a[1:3].sum()).backward()
    np.testing.assert_array_equal(a.grad.data, [0, 3, 1, 1])


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze_and_squeeze_undo_each_other(dim):
    a, = _leaves([(2, 3)])
    b = a.unsqueeze(dim)
    assert b.shape == np.expand_dims(a.data, dim).shape
    assert b.squeeze(dim).shape == a.shape
    assert gradcheck(lambda t: t.unsqueeze(dim).squeeze(), a)


def test_squeeze_drops_every_size_one_axis_or_only_dim_and_keeps_other_sizes():
    a, = _leaves([(1, 3, 1)])
    assert a.squeeze().shape == (3,)
    assert a.squeeze(2).shape == (1, 3)
    assert a.squeeze(1).shape == (1, 3, 1)  # size 3: unchanged, as in PyTorch
    assert gradcheck(lambda t: t.squeeze(0), a)


def test_handout_entry_points():
    a, b = _leaves([(2, 3), (2, 3)])
    assert mytorch.cat is cat and mytorch.stack is stack
    assert Tensor.unsqueeze(a).shape == (1, 2, 3)  # the handout calls it unbound, dim 0
    assert len(a) == 2
    c = F.Cat.apply(a, b, 0)  # the handout's convention: [*seq, dim]
    assert c.shape == (4, 2 * 0 + 3) and len(c.grad_fn.next_functions) == 3
    assert c.grad_fn.next_functions[2] is None  # dim: no gradient


def test_reuse_of_one_tensor_sums_its_gradients():
    a, = _leaves([(2, 3)])
    (cat([a, a, a], 0).sum() + stack([a, a], 1).sum()).backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 5.0))


@pytest.mark.parametrize("build", [lambda ts: cat(ts, 1), lambda ts: stack(ts, 0),
                                   lambda ts: ts[0].unsqueeze(1), lambda ts: ts[0][:, 1:],
                                   lambda ts: ts[0].unsqueeze(0).squeeze(0)])
def test_float32_stays_float32_and_mixed_inputs_get_their_own_dtype(build):
    a, b = _leaves([(2, 3), (2, 3)], dtype=np.float32)
    out = build([a, b])
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32
    c, = _leaves([(2, 3)])
    mixed = cat([a, c], 0)
    assert mixed.dtype == np.float64
    a.grad = None
    mixed.sum().backward()
    assert a.grad.dtype == np.float32 and c.grad.dtype == np.float64


def test_cat_and_stack_match_pytorch_in_float64():
    torch = pytest.importorskip("torch")
    tensors = _leaves([(2, 3, 4), (2, 1, 4), (2, 5, 4)])
    twins = [torch.tensor(t.data, requires_grad=True) for t in tensors]
    weights = np.random.default_rng(1).standard_normal((2, 9, 4))
    (cat(tensors, 1) * Tensor(weights)).sum().backward()
    (torch.cat(twins, 1) * torch.tensor(weights)).sum().backward()
    for ours, theirs in zip(tensors, twins):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)
    same = _leaves([(3, 2)] * 2, seed=2)
    twins = [torch.tensor(t.data, requires_grad=True) for t in same]
    (stack(same, 2) ** 2).sum().backward()
    (torch.stack(twins, 2) ** 2).sum().backward()
    for ours, theirs in zip(same, twins):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)
    a, = _leaves([(2, 1, 3)], seed=3)
    twin = torch.tensor(a.data, requires_grad=True)
    (a.squeeze(1).unsqueeze(-1) ** 3).sum().backward()
    (twin.squeeze(1).unsqueeze(-1) ** 3).sum().backward()
    np.testing.assert_allclose(a.grad.data, twin.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("call, error, match", [
    (lambda a, b: cat([a, b], 0), ValueError, r"Cat: tensors of shapes \[\(2, 3\), \(2, 4\)\] differ outside dim 0"),
    (lambda a, b: cat([], 0), ValueError, "Cat: expected a non-empty sequence"),
    (lambda a, b: cat([a, b.reshape(2, 2, 2)], 1), ValueError, r"Cat: tensors of shapes"),
    (lambda a, b: cat([a], 2), ValueError, r"Cat: dim 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda a, b: cat(a, 0), TypeError, "cat: expected a list or tuple of tensors, got Tensor"),
    (lambda a, b: cat([a, [1, 2]], 0), TypeError, "Cat: seq_1 must be a Tensor or an ndarray, got list"),
    (lambda a, b: stack([a, b], 0), ValueError, r"Stack: tensors must all have the same shape, got \[\(2, 3\), \(2, 4\)\]"),
    (lambda a, b: stack([a, a], 3), ValueError, r"Stack: dim 3 is out of range"),
    (lambda a, b: a.unsqueeze(3), ValueError, r"Unsqueeze: dim 3 is out of range"),
    (lambda a, b: a.squeeze(-3), ValueError, r"Squeeze: dim -3 is out of range"),
    (lambda a, b: F.Cat.apply(0), ValueError, "Cat: expected a non-empty sequence"),
])
def test_bad_input_names_the_op_and_the_shapes(call, error, match):
    a, b = _leaves([(2, 3), (2, 4)])
    with pytest.raises(error, match=match):
        call(a, b)


# ------------------------------------------------ PyTorch's packing: torch.nn.utils.rnn

from mytorch import nn  # noqa: E402
from mytorch.nn.util import (pack_padded_sequence, pack_sequence, pad_packed_sequence,  # noqa: E402
                             pad_sequence)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_pytorch_with_gradients(batch_first):
    torch = pytest.importorskip("torch")
    seqs = _leaves([(3, 2), (1, 2), (4, 2)])
    twins = [torch.tensor(s.data, requires_grad=True) for s in seqs]
    out = pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5)
    twin = torch.nn.utils.rnn.pad_sequence(twins, batch_first=batch_first, padding_value=-1.5)
    np.testing.assert_array_equal(out.data, twin.detach().numpy())
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (twin * torch.tensor(weights)).sum().backward()
    for ours, theirs in zip(seqs, twins):
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("lengths, enforce_sorted", [([4, 3, 3, 1], True), ([2, 4, 1, 4], False),
                                                     ([1], True)], ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_then_pad_packed_match_pytorch(lengths, enforce_sorted, batch_first):
    torch = pytest.importorskip("torch")
    shape = (len(lengths), 5, 3) if batch_first else (5, len(lengths), 3)
    x, = _leaves([shape])
    twin_x = torch.tensor(x.data, requires_grad=True)
    packed = pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    twin_packed = torch.nn.utils.rnn.pack_padded_sequence(twin_x, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(packed.data.data, twin_packed.data.detach().numpy())
    np.testing.assert_array_equal(packed.batch_sizes, twin_packed.batch_sizes.numpy())
    expected_order = np.arange(len(lengths)) if enforce_sorted else twin_packed.sorted_indices.numpy()
    np.testing.assert_array_equal(packed.sorted_indices, expected_order)
    if not enforce_sorted:
        np.testing.assert_array_equal(packed.unsorted_indices, twin_packed.unsorted_indices.numpy())
    padded, out_lengths = pad_packed_sequence(packed, batch_first, padding_value=7.0, total_length=6)
    twin_padded, twin_lengths = torch.nn.utils.rnn.pad_packed_sequence(
        twin_packed, batch_first, padding_value=7.0, total_length=6)
    np.testing.assert_array_equal(padded.data, twin_padded.detach().numpy())
    np.testing.assert_array_equal(out_lengths.data, twin_lengths.numpy())
    weights = np.random.default_rng(1).standard_normal(padded.shape)
    (padded * Tensor(weights)).sum().backward()
    (twin_padded * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, twin_x.grad.numpy())


def test_a_gru_between_pack_padded_and_pad_packed_matches_pytorch():
    torch = pytest.importorskip("torch")
    twin = torch.nn.GRU(3, 4, bidirectional=True, batch_first=True).double()
    ours = nn.GRU(3, 4, bidirectional=True, batch_first=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    x, = _leaves([(3, 5, 3)], seed=4)
    twin_x = torch.tensor(x.data, requires_grad=True)
    lengths = [2, 5, 3]
    out, h_n = ours(pack_padded_sequence(x, lengths, True, False))
    twin_out, twin_h_n = twin(torch.nn.utils.rnn.pack_padded_sequence(twin_x, lengths, True, False))
    padded, _ = pad_packed_sequence(out, True)
    twin_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(twin_out, True)
    np.testing.assert_allclose(padded.data, twin_padded.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.data, twin_h_n.detach().numpy(), rtol=1e-10)
    ((padded ** 2).sum() + h_n.sum()).backward()
    ((twin_padded ** 2).sum() + twin_h_n.sum()).backward()
    np.testing.assert_allclose(x.grad.data, twin_x.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda x: pack_padded_sequence(x, [2, 3]), r"pack_padded_sequence: lengths \[2, 3\] are not sorted"),
    (lambda x: pack_padded_sequence(x, [5, 3]), r"pack_padded_sequence: lengths \[5, 3\] for an input of 2 "
                                                r"sequences of at most 4 steps"),
    (lambda x: pack_padded_sequence(x, [3, 0]), r"pack_padded_sequence: lengths \[3, 0\]"),
    (lambda x: pack_padded_sequence(x, [3, 2, 1]), r"pack_padded_sequence: lengths \[3, 2, 1\]"),
    (lambda x: pack_padded_sequence(x, [[3, 2]]), "pack_padded_sequence: lengths must be a 1-d"),
    (lambda x: pad_packed_sequence(pack_padded_sequence(x, [3, 2]), total_length=2),
     r"pad_packed_sequence: total_length 2 is shorter than the longest sequence \(3 steps\)"),
    (lambda x: pack_sequence([x[:2, 0], x[:, 1]], enforce_sorted=True),
     r"pack_sequence: lengths \[2, 4\] are not sorted"),
    (lambda x: pad_sequence([]), "pad_sequence: expected a non-empty list"),
    (lambda x: pad_sequence([x[:, 0], x[:, :, 0]]), r"pad_sequence: sequences of shapes \[\(4, 3\), \(4, 2\)\]"),
])
def test_packing_bad_input_names_the_function_and_the_values(call, match):
    x, = _leaves([(4, 2, 3)])
    with pytest.raises(ValueError, match=match):
        call(x)


def test_pytorchs_path_to_the_packing_functions():
    import mytorch

    rnn = mytorch.nn.utils.rnn
    assert (rnn.pack_sequence, rnn.pad_sequence, rnn.pack_padded_sequence, rnn.pad_packed_sequence,
            rnn.PackedSequence) == (pack_sequence, pad_sequence, pack_padded_sequence,
                                    pad_packed_sequence, nn.util.PackedSequence)
