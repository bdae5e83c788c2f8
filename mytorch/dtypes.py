"""The dtype names PyTorch users write (`mytorch.float32`, `mytorch.long`, ...).

Each is a NumPy dtype, so it compares equal to `Tensor.dtype` (the dtype of the
tensor's ndarray) and works wherever NumPy takes a dtype. As in PyTorch, `float` is
float32 and `double` float64, `int` is int32 and `long` int64.
"""
import numpy as np

dtype = np.dtype  # the type of every name below, as `torch.dtype`

float32 = float = np.dtype(np.float32)  # noqa: A001  (PyTorch's names)
float64 = double = np.dtype(np.float64)
float16 = half = np.dtype(np.float16)
int64 = long = np.dtype(np.int64)
int32 = int = np.dtype(np.int32)  # noqa: A001
int16 = short = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001

__all__ = ["dtype", "float32", "float", "float64", "double", "float16", "half", "int64", "long",
           "int32", "int", "int16", "short", "int8", "uint8", "bool"]
