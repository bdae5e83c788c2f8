"""Packed sequences: a batch of sequences of different lengths as one tensor, time-major.

`pack_sequence([a, b, c])` sorts the sequences by length (longest first) and lays out
their rows time step by time step: every sequence's step 0, then every step 1 of the
sequences that have one, and so on. `batch_sizes[t]` says how many sequences are still
running at step t, so a recurrent layer processes step t as one batch of that size.
The layout equals `torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)`.

PyTorch's other packing functions are here too, as in `torch.nn.utils.rnn`:
`pad_sequence`, `pack_padded_sequence` and `pad_packed_sequence`. Every one is made of
ops (cat, indexing, reshapes), so gradients flow back to every input.
"""
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.tensor import Tensor, cat


class PackedSequence(NamedTuple):
    """A packed batch of sequences; iterates (and unpacks) as its three fields, the
    handout's order.

    Attributes:
        data: the rows of every sequence, time-major: (sum of lengths, *features).
        sorted_indices: int64 (B,); sorted_indices[j] is the index, in the original list,
            of the j-th longest sequence (ties keep their original order).
        batch_sizes: int64 (longest length,); how many sequences have a step t.
    """

    data: Tensor
    sorted_indices: np.ndarray
    batch_sizes: np.ndarray

    @property
    def unsorted_indices(self) -> np.ndarray:
        """The inverse of sorted_indices: where original sequence i is in the sorted
        batch, as PyTorch's field of that name."""
        order = np.asarray(self.sorted_indices)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return inverse


def pack_sequence(sequence: Sequence[Tensor], enforce_sorted: bool = False) -> PackedSequence:
    """Pack tensors of shapes (T_i, *features) into a PackedSequence, as
    `torch.nn.utils.rnn.pack_sequence(sequence, enforce_sorted=False)`.

    Args:
        sequence: the tensors, in any order of length (they are sorted, as the handout's
            pack_sequence sorts them; PyTorch's default, enforce_sorted=True, refuses).
        enforce_sorted: require lengths that do not increase, as PyTorch's default does.

    Raises:
        ValueError: an empty list, an empty sequence (T_i = 0), feature shapes that
            differ, or unsorted lengths with enforce_sorted (the message names the shapes).
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
    lengths = _sorted_lengths("pack_sequence", [shape[0] for shape in shapes], enforce_sorted)
    # Stable, so equal lengths keep their order, as PyTorch's sort does.
    sorted_indices = np.argsort(-lengths, kind="stable").astype(np.int64)
    sorted_lengths = lengths[sorted_indices]
    batch_sizes = _batch_sizes(sorted_lengths)
    # Join the sorted sequences end to end, then pick their rows in time-major order.
    starts = np.concatenate([[0], np.cumsum(sorted_lengths)[:-1]])
    joined = cat([sequence[i] for i in sorted_indices], 0)
    rows = np.concatenate([starts[:size] + step for step, size in enumerate(batch_sizes)])
    return PackedSequence(joined[rows], sorted_indices, batch_sizes)


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


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0) -> Tensor:
    """Stack tensors of shapes (T_i, *features) into one (T, B, *features) tensor ((B, T,
    *features) with batch_first), padding the shorter ones with `padding_value` at the end,
    as `torch.nn.utils.rnn.pad_sequence`.

    Raises:
        ValueError: an empty list, or feature shapes that differ (the message names the
            shapes).
    """
    if not isinstance(sequences, (list, tuple)) or not sequences:
        raise ValueError(f"pad_sequence: expected a non-empty list of tensors, got {sequences!r}")
    sequences = [tensor_input("pad_sequence", f"sequences[{i}]", s) for i, s in enumerate(sequences)]
    shapes = [s.shape for s in sequences]
    if any(len(shape) == 0 for shape in shapes) or len({shape[1:] for shape in shapes}) != 1:
        raise ValueError(f"pad_sequence: sequences of shapes {shapes}: all need the same "
                         "feature shape after the time axis")
    lengths = np.array([shape[0] for shape in shapes])
    steps, batch = int(lengths.max()), len(sequences)
    # Every (t, b) cell's row in the joined sequences, or the padding row after them.
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]
    rows = np.where(t < lengths, starts + t, lengths.sum())
    return _gather(cat(list(sequences), 0), rows, padding_value, batch_first)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *features) ((B, T, *features) with batch_first) whose
    sequence b has `lengths[b]` steps, as `torch.nn.utils.rnn.pack_padded_sequence`.

    With enforce_sorted (PyTorch's default) the lengths must not increase, and
    sorted_indices is the identity (PyTorch leaves it None).

    Raises:
        ValueError: the lengths do not fit the input's batch and time axes (or increase,
            with enforce_sorted); the message names them.
    """
    input = tensor_input("pack_padded_sequence", "input", input)
    checks.boolean("pack_padded_sequence: batch_first", batch_first)
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input of shape {input.shape}, expected (time, "
                         "batch, *features)")
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[:2]
    lengths = _sorted_lengths("pack_padded_sequence", _lengths(lengths), enforce_sorted)
    if lengths.shape != (batch,) or lengths.min() < 1 or lengths.max() > steps:
        raise ValueError(f"pack_padded_sequence: lengths {lengths.tolist()} for an input of "
                         f"{batch} sequences of at most {steps} steps (shape {input.shape})")
    sorted_indices = np.argsort(-lengths, kind="stable").astype(np.int64)
    batch_sizes = _batch_sizes(lengths[sorted_indices])
    rows = np.concatenate([t * batch + sorted_indices[:size] for t, size in enumerate(batch_sizes)])
    data = x.reshape(steps * batch, *x.shape[2:])[rows]
    return PackedSequence(data, sorted_indices, batch_sizes)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Undo pack_padded_sequence: (the padded batch (T, B, *features), or (B, T, ...) with
    batch_first, in the original order of the sequences; their lengths, int64 (B,)), as
    `torch.nn.utils.rnn.pad_packed_sequence`. `total_length` pads to that many steps.

    Raises:
        ValueError: total_length is shorter than the longest sequence.
    """
    data, sorted_indices, batch_sizes = sequence
    batch_sizes = np.asarray(batch_sizes)
    order = np.asarray(sorted_indices)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        checks.positive_int("pad_packed_sequence: total_length", total_length)
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length {total_length} is shorter than "
                             f"the longest sequence ({steps} steps)")
        steps = total_length
    # Every (t, original b) cell's packed row, or the padding row after them.
    rank = PackedSequence(data, order, batch_sizes).unsorted_indices
    starts = np.concatenate([[0], np.cumsum(batch_sizes)])
    t = np.arange(steps)[:, None]
    running = t < len(batch_sizes)
    clipped = np.minimum(t, len(batch_sizes) - 1)
    inside = running & (rank < batch_sizes[clipped])
    rows = np.where(inside, starts[clipped] + rank, data.shape[0])
    lengths = (batch_sizes[:, None] > np.arange(batch)).sum(axis=0)[rank]
    return _gather(data, rows, padding_value, batch_first), Tensor(lengths.astype(np.int64))


def _gather(rows_of: Tensor, rows: np.ndarray, padding_value: float, batch_first: bool) -> Tensor:
    """A (T, B, *features) tensor whose cell (t, b) is rows_of[rows[t, b]], the index
    len(rows_of) standing for a row of `padding_value`; (B, T, ...) with batch_first."""
    padding = Tensor(np.full((1,) + rows_of.shape[1:], padding_value, rows_of.dtype))
    padded = cat([rows_of, padding], 0)[rows.ravel()].reshape(*rows.shape, *rows_of.shape[1:])
    return padded.transpose(0, 1) if batch_first else padded


def _lengths(lengths: Any) -> List[int]:
    """Sequence lengths given as a list, an array or a Tensor, as a list of ints."""
    values = lengths.data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise ValueError(f"pack_padded_sequence: lengths must be a 1-d sequence of integers, "
                         f"got {lengths!r}")
    return values.tolist()


def _sorted_lengths(op: str, lengths: List[int], enforce_sorted: bool) -> np.ndarray:
    """The lengths as an array; with enforce_sorted, a ValueError unless they do not increase."""
    checks.boolean(f"{op}: enforce_sorted", enforce_sorted)
    lengths = np.array(lengths, dtype=np.int64)
    if enforce_sorted and (np.diff(lengths) > 0).any():
        raise ValueError(f"{op}: lengths {lengths.tolist()} are not sorted longest first; sort "
                         "them, or pass enforce_sorted=False")
    return lengths


def _batch_sizes(sorted_lengths: np.ndarray) -> np.ndarray:
    """How many of the sequences (lengths sorted longest first) have a step t, for each t."""
    steps = np.arange(sorted_lengths[0])
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)
