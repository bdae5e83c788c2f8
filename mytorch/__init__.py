"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd."""
import importlib
from typing import Any

# tensor first: it loads the engine, then the ops, which need both.
from mytorch.tensor import (Tensor, cat, get_default_dtype, ones_like,  # isort: skip
                            randn_like, set_default_dtype, stack, where, zeros_like)
from mytorch.autograd_engine import enable_grad, is_grad_enabled, no_grad
from mytorch import autograd, cuda, nn, optim, viz
from mytorch.devices import device
from mytorch.dtypes import (bool, double, dtype, float, float16, float32, float64,  # noqa: A004
                            half, int, int8, int16, int32, int64, long, short, uint8)
from mytorch.random import manual_seed
from mytorch.serialization import load, save

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "get_default_dtype",
           "set_default_dtype", "zeros_like", "ones_like", "randn_like", "where", "cat", "stack",
           "manual_seed", "save", "load", "autograd", "nn", "optim", "viz", "cuda", "utils",
           "device", "dtype", "float32", "float", "float64", "double", "float16", "half", "int64",
           "long", "int32", "int", "int16", "short", "int8", "uint8", "bool"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`mytorch.utils` (as `torch.utils`), imported on first use: its data loaders bring
    the progress bars' tqdm, and `import mytorch` needs NumPy alone (the autograders)."""
    if name == "utils":
        return importlib.import_module("mytorch.utils")
    raise AttributeError(f"module 'mytorch' has no attribute {name!r}")
