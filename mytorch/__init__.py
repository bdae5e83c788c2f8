"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd."""
# tensor first: it loads the engine, then the ops, which need both.
from mytorch.tensor import Tensor, get_default_dtype, set_default_dtype  # isort: skip
from mytorch.autograd_engine import enable_grad, is_grad_enabled, no_grad
from mytorch import nn, optim

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "get_default_dtype",
           "set_default_dtype", "nn", "optim"]
__version__ = "0.1.0"
