"""Data sets and loaders as `torch.utils.data`; the implementations live in `mytorch.data`."""
from mytorch.data.dataloader import DataLoader
from mytorch.data.dataset import Dataset, TensorDataset
from mytorch.data.distributed import DistributedSampler
from mytorch.utils.data import distributed

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler", "distributed"]
