"""Data: data sets and the loaders that batch them, as `torch.utils.data` (plus MNIST's files).

- `idx`: reading IDX files (`read_idx`);
- `download`: a verified, atomic download (`download`);
- `mnist`: the MNIST-layout data sets (`DATASETS`, `FILES`, `dataset_dir`, `load_mnist`,
  `download_dataset`, `prepare`);
- `dataset`, `dataloader`: `Dataset`, `TensorDataset`, `DataLoader`;
- `distributed`: `DistributedSampler`, each rank's share of a data set.
"""
from mytorch.data.dataloader import DataLoader, collate
from mytorch.data.dataset import Dataset, TensorDataset
from mytorch.data.distributed import DistributedSampler
from mytorch.data.idx import read_idx
from mytorch.data.mnist import (CLASSES, DATASETS, FILES, PIXELS, dataset_dir, download_dataset,
                                load_mnist, prepare)
# Imported last: the function `download` then shadows the module of the same name as the
# attribute `mytorch.data.download` (the module stays reachable with
# `from mytorch.data.download import ...`).
from mytorch.data.download import download  # isort: skip

__all__ = ["DataLoader", "Dataset", "TensorDataset", "collate", "read_idx", "download",
           "DATASETS", "FILES", "CLASSES", "PIXELS", "dataset_dir", "download_dataset",
           "load_mnist", "prepare",
           "DistributedSampler"]
