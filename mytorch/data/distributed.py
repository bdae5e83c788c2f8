"""DistributedSampler: each rank's share of a data set, as
`torch.utils.data.distributed.DistributedSampler`."""
import math
from typing import Iterator, Optional

import numpy as np

from mytorch import checks
from mytorch.data.dataset import Dataset


class DistributedSampler:
    """The indices of one rank's share of `dataset`, for `DataLoader(sampler=...)`.

    Each epoch takes one order of all the indices (a permutation drawn from
    `seed + epoch` with shuffle=True, the same on every rank; else 0, 1, 2, ...) and deals
    it out: rank r gets positions r, r + num_replicas, r + 2 * num_replicas, ... So with
    a loader of batch B on each of K ranks, step i of every rank together covers
    positions i * K * B to (i + 1) * K * B - 1 of the order: one global batch of K * B.

    When `num_replicas` does not divide the data set's size, every rank still gets
    `len(sampler)` indices, as in PyTorch: the order is padded by repeating its start
    (some samples are seen twice an epoch), or, with drop_last=True, cut to a multiple
    of num_replicas (some samples are not seen that epoch).

    Args:
        dataset: anything with `__len__`.
        num_replicas: the number of ranks; the process group's world size if None.
        rank: this rank, in [0, num_replicas - 1]; the process group's rank if None.
        shuffle: draw a new order each epoch (call `set_epoch` before each).
        seed: the seed of the orders; the same on every rank.
        drop_last: cut the order instead of padding it.

    Raises:
        ValueError: naming the argument and the value; or, for num_replicas or rank
            None, the process group not initialised.
        ImportError: num_replicas or rank None without the `distributed` extra.
    """

    def __init__(self, dataset: Dataset, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler: dataset must have __len__, got "
                            f"{type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from mytorch import distributed  # only here: the core never loads MPI
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        self.num_replicas = checks.positive_int("DistributedSampler: num_replicas", num_replicas)
        self.rank = checks.rank("DistributedSampler: rank", rank, self.num_replicas)
        self.shuffle = checks.boolean("DistributedSampler: shuffle", shuffle)
        self.seed = checks.seed(seed, "DistributedSampler: seed")
        self.drop_last = checks.boolean("DistributedSampler: drop_last", drop_last)
        self.dataset = dataset
        self.epoch = 0
        count = len(dataset)
        if self.drop_last:
            self.num_samples = count // self.num_replicas
        else:
            self.num_samples = math.ceil(count / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        count = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(count)
        else:
            order = np.arange(count)
        # np.resize repeats the order from its start to fill, or cuts it.
        order = np.resize(order, self.total_size)
        return iter(order[self.rank::self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch `epoch`'s order from the next pass on (with shuffle=True, a new one)."""
        self.epoch = checks.non_negative_int("DistributedSampler: epoch", epoch)
