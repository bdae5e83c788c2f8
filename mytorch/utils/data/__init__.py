"""Data sets and loaders as `torch.utils.data`; the implementations live in `mytorch.data`."""
from mytorch.data.dataloader import DataLoader
from mytorch.data.dataset import Dataset, Subset, TensorDataset, random_split
from mytorch.data.distributed import DistributedSampler
from mytorch.utils.data import distributed

__all__ = ["Dataset", "TensorDataset", "DataLoader", "Subset", "random_split",
           "DistributedSampler", "distributed"]
