"""Datasets: indexable collections of samples, as `torch.utils.data.Dataset`."""
from typing import Any, Tuple

import numpy as np

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
