"""Data sets and loaders as `torch.utils.data`; the implementations live in `mytorch.data`."""
from mytorch.data.dataloader import DataLoader
from mytorch.data.dataset import Dataset, TensorDataset

__all__ = ["Dataset", "TensorDataset", "DataLoader"]
