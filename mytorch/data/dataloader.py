"""DataLoader: batches of a Dataset, in order or shuffled, as `torch.utils.data.DataLoader`."""
import math
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np

from mytorch import checks
from mytorch.data.dataset import Dataset
from mytorch.tensor import Tensor

Generator = Union[None, int, np.random.Generator]


class DataLoader:
    """Iterate over a dataset in batches.

    Each pass (`for batch in loader`) visits every sample once: in order, or with
    `shuffle=True` in a new random order drawn from `generator`. Given a `sampler`, it
    visits the indices the sampler yields, in its order (a `DistributedSampler` yields
    one rank's share). A batch is what the samples hold, stacked along a new first
    axis: for samples `(image, label)`, a tuple
    `(images, labels)` of Tensors, labels staying integer. `len(loader)` is the number
    of batches a pass yields, as in PyTorch.

    Args:
        dataset: a `Dataset` (anything with `__getitem__` and `__len__`).
        batch_size: samples per batch.
        shuffle: draw a new order for every pass.
        drop_last: leave out a last batch smaller than `batch_size`.
        generator: where shuffles come from: a `np.random.Generator`, an integer seed
            (a generator of its own, so a run is reproducible whatever else draws random
            numbers), or None for NumPy's global generator (seeded by
            `mytorch.manual_seed`).
        sampler: the indices of a pass, in order (anything iterable with `__len__`),
            instead of all of them; not with `shuffle=True`, as in PyTorch.
        collate_fn: makes a batch of the list of samples instead of `collate`, as in
            PyTorch (e.g. to pad sequences of different lengths).
        num_workers, pin_memory: accepted for PyTorch's sake: batches are made in this
            process, in the same order and with the same values as with worker processes.

    Raises:
        ValueError: naming the argument and the value, for a batch size that is not a
            positive integer, a non-bool `shuffle` or `drop_last`, or a generator that
            is neither a Generator, None nor a seed in [0, 2**32 - 1].
        TypeError: for a dataset without `__getitem__` and `__len__`, or a sampler
            without `__iter__` and `__len__`.
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: Generator = None,
                 sampler: Optional[Iterable[int]] = None,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None, num_workers: int = 0,
                 pin_memory: bool = False) -> None:
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must have __getitem__ and __len__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = checks.positive_int("DataLoader: batch_size", batch_size)
        self.shuffle = checks.boolean("DataLoader: shuffle", shuffle)
        self.drop_last = checks.boolean("DataLoader: drop_last", drop_last)
        if isinstance(generator, np.random.Generator) or generator is None:
            self.generator = generator
        else:
            self.generator = np.random.default_rng(checks.seed(generator, "DataLoader: generator"))
        if sampler is not None:
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(f"DataLoader: sampler must have __iter__ and __len__, got "
                                f"{type(sampler).__name__}")
            if self.shuffle:
                raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.sampler = sampler
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        self.collate_fn = collate_fn
        self.num_workers = checks.non_negative_int("DataLoader: num_workers", num_workers)
        self.pin_memory = checks.boolean("DataLoader: pin_memory", pin_memory)

    def __len__(self) -> int:
        count = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return count // self.batch_size
        return math.ceil(count / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        count = len(self.dataset)
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64)
        elif self.shuffle:
            source = np.random if self.generator is None else self.generator
            order = source.permutation(count)
        else:
            order = np.arange(count)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._fetch(order[start:start + self.batch_size])

    def _fetch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(index)] for index in indices])
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(indices)
        return collate([self.dataset[int(index)] for index in indices])


def collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, as PyTorch's `default_collate`.

    Tensors, arrays and numbers become one Tensor with a new first axis; tuples and
    lists are collated field by field into a tuple; dicts key by key.

    Raises:
        ValueError: samples of different shapes, naming the first two that differ and
            their places in the batch, as PyTorch does ("stack expects each tensor to be
            equal size, but got [1] at entry 0 and [2] at entry 1"), or tuples of
            different lengths.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError(f"DataLoader: samples of a batch have different lengths "
                             f"{sorted({len(sample) for sample in samples})}")
        return tuple(collate(field) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: collate([sample[key] for sample in samples]) for key in first}
    arrays = [s.data if isinstance(s, Tensor) else np.asarray(s) for s in samples]
    for index, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(f"DataLoader: stack expects each sample to be equal size, but got "
                             f"{list(arrays[0].shape)} at entry 0 and {list(array.shape)} at "
                             f"entry {index}")
    return Tensor(np.stack(arrays))
