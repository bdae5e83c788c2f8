"""Utilities under PyTorch's names: `mytorch.utils.data` is `torch.utils.data`."""
from mytorch.utils import data

__all__ = ["data"]
