"""Datasets: indexable collections of samples, as `torch.utils.data.Dataset`, their subsets
(`Subset`) and `random_split`."""
import itertools
import math
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from mytorch import checks, random
from mytorch.tensor import Tensor


class Dataset:
    """A collection of samples: `dataset[i]` is the i-th sample, `len(dataset)` their count.

    Subclasses implement `__getitem__` and `__len__`. A sample is usually a tuple such as
    `(image, label)`; `DataLoader` stacks the samples of a batch field by field.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples taken row by row from arrays or Tensors of equal length, as PyTorch's.

    `dataset[i]` is `(tensors[0][i], tensors[1][i], ...)`, each a Tensor (a constant:
    data never requires grad). The arrays keep their dtypes, so integer labels stay
    integer.

    Args:
        *tensors: arrays or Tensors whose first dimension is the number of samples.

    Raises:
        ValueError: for no arrays, a 0-d array, or arrays of different lengths
            (the message gives every length).
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one array or Tensor")
        arrays = tuple(t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors)
        for position, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{position}] is 0-d; every one "
                                 "needs a first dimension of samples")
        lengths = [len(array) for array in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the tensors have different lengths {lengths}; "
                             "each must hold one row per sample")
        self.tensors = arrays

    def __getitem__(self, index: Any) -> Tuple[Tensor, ...]:
        return tuple(Tensor(array[index]) for array in self.tensors)

    def __getitems__(self, indices: np.ndarray) -> Tuple[Tensor, ...]:
        """A whole batch at once: one fancy index per array instead of a stack of rows."""
        return self[indices]

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order, as `torch.utils.data.Subset`.

    Attributes:
        dataset: the whole data set.
        indices: the positions in it that this subset holds.
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[self.indices[int(i)]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[Union[int, float]],
                 generator: Optional[np.random.Generator] = None) -> List[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths, as
    `torch.utils.data.random_split`.

    Args:
        dataset: anything with `__getitem__` and `__len__`.
        lengths: the subsets' sizes, summing to `len(dataset)`; or fractions summing to 1,
            each made floor(fraction * len(dataset)), the remainder handed out one by one
            from the first subset on, as PyTorch does.
        generator: where the permutation comes from: a `mytorch.Generator` (or any
            `np.random.Generator`), or None for NumPy's global state (`mytorch.manual_seed`).

    Raises:
        ValueError: for lengths that are negative, do not sum to the data set's size, or
            fractions that do not sum to 1.
    """
    count = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(n, float) for n in lengths) and math.isclose(sum(lengths), 1.0):
        if any(not 0 <= n <= 1 for n in lengths):
            raise ValueError(f"random_split: fractions must be in [0, 1], got {lengths}")
        sizes = [math.floor(count * n) for n in lengths]
        for i in range(count - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    sizes = [checks.non_negative_int("random_split: length", n) for n in lengths]
    if sum(sizes) != count:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(sizes)}, not to the "
                         f"data set's {count} samples (or give fractions summing to 1)")
    order = random.permutation(count, generator).tolist()
    ends = itertools.accumulate(sizes)
    return [Subset(dataset, order[end - size:end]) for size, end in zip(sizes, ends)]
