"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd."""
# tensor first: it loads the engine, then the ops, which need both.
from mytorch.tensor import (Tensor, cat, get_default_dtype, ones_like,  # isort: skip
                            randn_like, set_default_dtype, stack, where, zeros_like)
from mytorch.autograd_engine import enable_grad, is_grad_enabled, no_grad
from mytorch import autograd, nn, optim, viz
from mytorch.random import manual_seed
from mytorch.serialization import load, save
from mytorch.jit import compile  # noqa: A001  (torch.compile's name, as torch has it)

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "get_default_dtype",
           "set_default_dtype", "zeros_like", "ones_like", "randn_like", "where", "cat", "stack",
           "manual_seed", "save", "load", "autograd", "nn", "optim", "viz", "compile"]
__version__ = "0.1.0"
