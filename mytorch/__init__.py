"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd."""
# tensor first: it loads the engine, then the ops, which need both.
from mytorch.tensor import (Tensor, get_default_dtype, ones_like, randn_like,  # isort: skip
                            set_default_dtype, where, zeros_like)
from mytorch.autograd_engine import enable_grad, is_grad_enabled, no_grad
from mytorch import autograd, nn, optim, viz
from mytorch.random import manual_seed
from mytorch.serialization import load, save
from mytorch.tensor import cat, stack  # sequences (issue 10)

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "get_default_dtype",
           "set_default_dtype", "zeros_like", "ones_like", "randn_like", "where", "manual_seed",
           "save", "load", "autograd", "nn", "optim", "viz"]
__all__ += ["cat", "stack"]
__version__ = "0.1.0"
