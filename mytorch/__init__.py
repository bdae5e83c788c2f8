"""MyTorch: a PyTorch-like deep-learning library on NumPy with reverse-mode autograd.

`import mytorch as torch` gives PyTorch's names with PyTorch's meaning: `torch.tensor(...)`
and the factories, dtypes, devices, the module-level math (`torch.exp`, `torch.max`, ...),
grad modes, seeding, `torch.nn`, `torch.optim` and `torch.utils.data`. Where MyTorch
still differs from PyTorch, `docs/differences.md` says how and why.
"""
import importlib
from typing import Any

# tensor first: it loads the engine, then the ops and the factories, which need both.
from mytorch.tensor import Tensor, cat, get_default_dtype, set_default_dtype, stack, where  # isort: skip
from mytorch.autograd_engine import enable_grad, is_grad_enabled, no_grad
from mytorch.grad_mode import inference_mode, set_grad_enabled
from mytorch import autograd, backends, cuda, nn, optim, return_types, viz
from mytorch.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                              full_like, linspace, multinomial, normal, ones, ones_like, rand,
                              rand_like, randint, randint_like, randn, randn_like, randperm,
                              zeros, zeros_like)
from mytorch.devices import device
from mytorch.dtypes import (bool, double, dtype, float, float16, float32, float64,  # noqa: A004
                            half, int, int8, int16, int32, int64, long, short, uint8)
from mytorch.functions import (abs, add, all, allclose, amax, amin, any, argmax, argmin,  # noqa: A004
                               argsort, bincount, bmm, ceil, chunk, clamp, clip, clone, cos, cumprod,
                               cumsum, div, divide, dot, eq, equal, exp, expm1, flatten, flip, floor,
                               gather, ge, gt, index_select, is_floating_point, is_tensor, isclose, isfinite,
                               isinf, isnan,
                               le, log, log1p, log_softmax, logsumexp, lt, masked_fill, matmul, max,
                               maximum, mean, min, minimum, mm, mul, multiply, narrow, ne, neg, nonzero,
                               negative, norm, numel, permute, pow, prod, reciprocal, relu,
                               remainder, reshape, round, rsqrt, scatter, scatter_add, select,
                               sigmoid, sign, sin, softmax, sort, split, sqrt, square, squeeze, std,
                               sub, subtract, sum, t, tan, tanh, topk, transpose, tril, triu,
                               true_divide, trunc, unbind, unsqueeze, var)
from mytorch.random import Generator, manual_seed
from mytorch.serialization import load, save
from mytorch.threads import get_num_threads, set_num_threads
from mytorch.jit import compile  # noqa: A001  (torch.compile's name, as torch has it)

__all__ = [
    # tensors and their factories
    "Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
    "arange", "linspace", "rand", "randn", "randint", "randperm", "normal", "multinomial",
    "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
    "randint_like", "get_default_dtype", "set_default_dtype",
    # grad modes and randomness
    "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "inference_mode",
    "manual_seed", "Generator", "set_num_threads", "get_num_threads",
    # dtypes and devices
    "device", "dtype", "float32", "float", "float64", "double", "float16", "half", "int64",
    "long", "int32", "int", "int16", "short", "int8", "uint8", "bool",
    # functions
    "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh",
    "sigmoid", "relu", "neg", "negative", "reciprocal", "square", "sign", "floor", "ceil",
    "trunc", "round", "clamp", "clip", "maximum", "minimum", "softmax", "log_softmax",
    "masked_fill", "tril", "triu", "pow", "add", "sub", "subtract", "mul", "multiply", "div", "divide",
    "true_divide", "remainder", "matmul", "mm", "bmm", "dot", "sum", "mean", "var", "std", "max", "min",
    "amax", "amin", "argmax", "argmin", "logsumexp", "norm", "all", "any", "sort", "argsort",
    "topk", "prod", "cumsum", "cumprod", "bincount", "flatten", "reshape", "transpose", "t", "permute", "squeeze", "unsqueeze",
    "narrow", "select", "unbind", "split", "chunk", "gather", "index_select", "scatter", "scatter_add", "flip", "clone", "cat", "stack", "where",
    "isnan", "isinf", "isfinite", "nonzero", "eq", "ne", "lt", "le", "gt", "ge", "equal", "isclose", "allclose", "numel", "is_tensor",
    "is_floating_point",
    # modules
    "save", "load", "autograd", "backends", "nn", "optim", "return_types", "viz", "cuda", "utils",
    # mytorch.compile
    "compile",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`mytorch.utils` (as `torch.utils`), imported on first use: its data loaders bring
    the progress bars' tqdm, and `import mytorch` needs NumPy alone (the autograders)."""
    if name == "utils":
        return importlib.import_module("mytorch.utils")
    raise AttributeError(f"module 'mytorch' has no attribute {name!r}")
