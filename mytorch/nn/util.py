"""Packed sequences: a batch of sequences of different lengths as one tensor, time-major.

`pack_sequence([a, b, c])` sorts the sequences by length (longest first) and lays out
their rows time step by time step: every sequence's step 0, then every step 1 of the
sequences that have one, and so on. `batch_sizes[t]` says how many sequences are still
running at step t, so a recurrent layer processes step t as one batch of that size.
The layout equals `torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)`.
Both directions are ops (cat and slicing), so gradients flow back to every input.
"""
from typing import List, NamedTuple, Sequence

import numpy as np

from mytorch.tensor import Tensor, cat


class PackedSequence(NamedTuple):
    """A packed batch of sequences; iterates (and unpacks) as its three fields.

    Attributes:
        data: the rows of every sequence, time-major: (sum of lengths, *features).
        sorted_indices: int64 (B,); sorted_indices[j] is the index, in the original list,
            of the j-th longest sequence (ties keep their original order).
        batch_sizes: int64 (longest length,); how many sequences have a step t.
    """

    data: Tensor
    sorted_indices: np.ndarray
    batch_sizes: np.ndarray


def pack_sequence(sequence: Sequence[Tensor]) -> PackedSequence:
    """Pack tensors of shapes (T_i, *features) into a PackedSequence, as
    `torch.nn.utils.rnn.pack_sequence(sequence, enforce_sorted=False)`.

    Raises:
        ValueError: an empty list, an empty sequence (T_i = 0) or feature shapes that
            differ (the message names the shapes).
        TypeError: an element that is not a Tensor.
    """
    if not isinstance(sequence, (list, tuple)) or not sequence:
        raise ValueError("pack_sequence: expected a non-empty list of tensors of shape "
                         f"(length, *features), got {sequence!r}")
    for index, value in enumerate(sequence):
        if not isinstance(value, Tensor):
            raise TypeError(f"pack_sequence: sequence {index} is a {type(value).__name__}, "
                            "not a Tensor")
    shapes = [value.shape for value in sequence]
    if any(len(shape) == 0 or shape[0] == 0 for shape in shapes) or \
            len({shape[1:] for shape in shapes}) != 1:
        raise ValueError(f"pack_sequence: sequences of shapes {shapes}: each needs at least one "
                         "time step, and all need the same feature shape")
    lengths = np.array([shape[0] for shape in shapes])
    # Stable, so equal lengths keep their order, as PyTorch's sort does.
    sorted_indices = np.argsort(-lengths, kind="stable").astype(np.int64)
    sorted_lengths = lengths[sorted_indices]
    batch_sizes = (sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]).sum(axis=1)
    # Join the sorted sequences end to end, then pick their rows in time-major order.
    starts = np.concatenate([[0], np.cumsum(sorted_lengths)[:-1]])
    joined = cat([sequence[i] for i in sorted_indices], 0)
    rows = np.concatenate([starts[:size] + step for step, size in enumerate(batch_sizes)])
    return PackedSequence(joined[rows], sorted_indices, batch_sizes.astype(np.int64))


def unpack_sequence(ps: PackedSequence) -> List[Tensor]:
    """The sequences of a PackedSequence, each (T_i, *features), in their original order,
    as `torch.nn.utils.rnn.unpack_sequence`. Differentiable: each is a slice of `ps.data`."""
    data, sorted_indices, batch_sizes = ps
    batch_sizes = np.asarray(batch_sizes)
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    sequences: List[Tensor] = [None] * len(sorted_indices)  # type: ignore[list-item]
    for rank, original in enumerate(np.asarray(sorted_indices)):
        length = int((batch_sizes > rank).sum())
        sequences[original] = data[offsets[:length] + rank]
    return sequences
