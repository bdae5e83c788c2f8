"""Problems 1.2 and 1.3: cat, slicing, unsqueeze, pack_sequence and unpack_sequence.

Forward results are compared with NumPy; gradients of a weighted sum of the output,
sum(out * w), are compared with the closed form (w routed back to where each element
came from) and with central differences of the same NumPy computation.
"""
from typing import Callable, List

import numpy as np

from autograder.helpers import assert_close, assert_numerically_close, check_grad, numerical_grads
from autograder.hw3_autograder.reference import pack
from mytorch.tensor import Tensor, cat
from mytorch.nn.util import pack_sequence, unpack_sequence

CAT_CASES = [([(1, 4, 3), (1, 8, 3), (1, 5, 3)], 1), ([(2, 3, 4), (1, 3, 4)], 0),
             ([(6, 7, 8, 9), (6, 7, 8, 1), (6, 7, 8, 2)], 3),
             ([(1, 2, 3), (1, 2, 4), (1, 2, 3), (1, 2, 4)], 2), ([(2, 3), (2, 1)], -1)]
SLICES = [(1, 2, 0), (0, 2, slice(None)), (slice(None), 3, slice(None)),
          (slice(None), slice(None), 1), (slice(None), slice(1, 3), slice(None)),
          (slice(None, None, -1), slice(0, 4, 2), -1)]
PACK_CASES = [[4, 5], [4, 10, 2], [4, 5, 2, 2, 3], [3], [2, 2, 2]]


def _leaves(rng: np.random.Generator, shapes) -> List[Tensor]:
    return [Tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]


def _check_weighted_grads(arrays: List[np.ndarray], tensors: List[Tensor],
                          forward: Callable[[List[np.ndarray]], np.ndarray], weights: np.ndarray,
                          what: str) -> None:
    """Each tensor's gradient of sum(out * weights) against central differences of the
    NumPy `forward` (linear here, so the differences are exact up to rounding)."""
    copies = [a.copy() for a in arrays]
    numeric = numerical_grads(lambda: float((forward(copies) * weights).sum()), copies)
    for index, (tensor, expected) in enumerate(zip(tensors, numeric)):
        check_grad(tensor, f"{what}: input {index}")
        assert_numerically_close(tensor.grad, expected, f"{what}: gradient of input {index}")


def test_concat_forward():
    rng = np.random.default_rng(0)
    for shapes, dim in CAT_CASES:
        tensors = _leaves(rng, shapes)
        out = cat(tensors, dim)
        assert_close(out, np.concatenate([t.data for t in tensors], axis=dim),
                     f"cat of {shapes} along {dim}")
        if out.grad_fn is None:
            raise AssertionError("cat of tensors that require grad has no grad_fn")


def test_concat_backward():
    rng = np.random.default_rng(1)
    for shapes, dim in CAT_CASES:
        tensors = _leaves(rng, shapes)
        out = cat(tensors, dim)
        weights = rng.standard_normal(out.shape)
        (out * Tensor(weights)).sum().backward()
        arrays = [t.data.copy() for t in tensors]
        _check_weighted_grads(arrays, tensors, lambda a: np.concatenate(a, axis=dim), weights,
                              f"cat of {shapes} along {dim}")


def test_slice_forward():
    rng = np.random.default_rng(2)
    a = Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    for key in SLICES:
        assert_close(a[key], a.data[key], f"a[{key}]")


def test_slice_backward():
    rng = np.random.default_rng(3)
    for key in SLICES:
        a = Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
        out = a[key]
        weights = rng.standard_normal(out.shape)
        (out * Tensor(weights)).sum().backward()
        _check_weighted_grads([a.data.copy()], [a], lambda arrays: arrays[0][key], weights,
                              f"a[{key}]")


def test_unsqueeze():
    rng = np.random.default_rng(4)
    a = Tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    for args, dim in (((), 0), ((2,), 2), ((-1,), 3)):
        out = Tensor.unsqueeze(a, *args)
        assert_close(out, np.expand_dims(a.data, dim), f"unsqueeze{args}")
    a.unsqueeze(1).sum().backward()
    assert_close(a.grad, np.ones(a.shape), "gradient of unsqueeze(1).sum()")


def _sequences(rng: np.random.Generator, lengths: List[int], features: int) -> List[Tensor]:
    return _leaves(rng, [(length, features) for length in lengths])


def test_pack_sequence_forward():
    rng = np.random.default_rng(5)
    for lengths in PACK_CASES:
        seqs = _sequences(rng, lengths, 3)
        data, sorted_indices, batch_sizes = pack([s.data for s in seqs])
        packed = pack_sequence(seqs)
        assert_close(packed.data, data, f"pack_sequence({lengths}).data")
        for name, got, want in (("sorted_indices", packed.sorted_indices, sorted_indices),
                                ("batch_sizes", packed.batch_sizes, batch_sizes)):
            if not isinstance(got, np.ndarray) or not np.array_equal(got, want):
                raise AssertionError(f"pack_sequence({lengths}).{name}: got {got!r}, expected {want}")
        fields = tuple(packed)
        if len(fields) != 3 or fields[0] is not packed.data:
            raise AssertionError("a PackedSequence iterates as (data, sorted_indices, batch_sizes)")


def test_pack_sequence_backward():
    rng = np.random.default_rng(6)
    for lengths in PACK_CASES:
        seqs = _sequences(rng, lengths, 2)
        packed = pack_sequence(seqs)
        weights = rng.standard_normal(packed.data.shape)
        (packed.data * Tensor(weights)).sum().backward()
        _check_weighted_grads([s.data.copy() for s in seqs], seqs, lambda a: pack(a)[0], weights,
                              f"pack_sequence({lengths})")


def test_unpack_sequence_forward():
    rng = np.random.default_rng(7)
    for lengths in PACK_CASES:
        seqs = _sequences(rng, lengths, 3)
        unpacked = unpack_sequence(pack_sequence(seqs))
        if len(unpacked) != len(seqs):
            raise AssertionError(f"unpack_sequence gave {len(unpacked)} sequences, expected {len(seqs)}")
        for index, (got, want) in enumerate(zip(unpacked, seqs)):
            assert_close(got, want.data, f"unpack_sequence(pack_sequence({lengths}))[{index}]")


def test_unpack_sequence_backward():
    rng = np.random.default_rng(8)
    for lengths in PACK_CASES:
        seqs = _sequences(rng, lengths, 2)
        packed = pack_sequence(seqs)
        data = Tensor(packed.data.data.copy(), requires_grad=True)
        unpacked = unpack_sequence(type(packed)(data, packed.sorted_indices, packed.batch_sizes))
        weights = [rng.standard_normal(s.shape) for s in seqs]
        sum((u * Tensor(w)).sum() for u, w in zip(unpacked, weights)).backward()

        def forward(arrays):  # the packed rows, read back per sequence in NumPy
            rows, order, batch_sizes = arrays[0], packed.sorted_indices, packed.batch_sizes
            offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
            return np.concatenate([rows[offsets[:len(seqs[i])] + rank].ravel()
                                   for rank, i in sorted(enumerate(order), key=lambda p: p[1])])

        flat_weights = np.concatenate([w.ravel() for w in weights])
        _check_weighted_grads([data.data.copy()], [data], forward, flat_weights,
                              f"unpack_sequence of {lengths}")
