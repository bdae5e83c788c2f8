"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd."""
from mytorch.tensor import Tensor
from mytorch.autograd_engine import is_grad_enabled, no_grad
from mytorch import nn, optim

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "nn", "optim"]
__version__ = "0.1.0"
