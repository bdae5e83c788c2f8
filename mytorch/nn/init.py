"""Parameter initialisation, as `torch.nn.init`.

The in-place functions (`xavier_uniform_`, `kaiming_normal_`, ...) overwrite a Tensor's
data and return the Tensor. Fans come from the shape as in PyTorch, for a weight laid
out (out_features, in_features, *kernel): fan_in = shape[1] * prod(shape[2:]),
fan_out = shape[0] * prod(shape[2:]).

Random values come from `np.random`, so `mytorch.manual_seed` (or `np.random.seed`)
reproduces them. Each fill happens under `no_grad`, outside the graph, and bumps the
tensor's version, as an in-place change.
"""
import math
from typing import Optional, Tuple

import numpy as np

from mytorch.tensor import Tensor
from mytorch.autograd_engine import no_grad

_LINEAR_GAIN = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
                "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The recommended gain for `nonlinearity`, as `torch.nn.init.calculate_gain`.

    Args:
        nonlinearity: 'linear', 'sigmoid', 'tanh' (5/3), 'relu' (sqrt 2),
            'leaky_relu' (sqrt(2 / (1 + slope**2))), 'selu' (3/4), or a conv name (1).
        param: the negative slope for 'leaky_relu' (default 0.01).
    """
    if nonlinearity in _LINEAR_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")


# ---------------------------------------------------------------------- helpers

def _fans(shape: Tuple[int, ...]) -> Tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor of shape {shape}: "
                         "it needs at least 2 dimensions")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _pick_fan(fan_in: int, fan_out: int, mode: str) -> int:
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def _xavier_std(fan_in: int, fan_out: int, gain: float) -> float:
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(fan: int, a: float, nonlinearity: str) -> float:
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _check_tensor(tensor: Tensor, float_only: bool = True) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a Tensor, got {type(tensor).__name__}")
    if float_only and tensor.dtype.kind != "f":
        raise TypeError(f"random initialisation needs a floating-point tensor, got dtype {tensor.dtype}")


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Write `values` into the tensor's own array (so views of it see them too), as an
    in-place change outside the graph."""
    with no_grad():
        return tensor.copy_(values)


# ------------------------------------------------------------ in place (PyTorch)

def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    _check_tensor(tensor)
    if not a <= b:
        raise ValueError(f"uniform_ expects a <= b, got a={a!r}, b={b!r}")
    return _fill(tensor, np.random.uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std**2)."""
    _check_tensor(tensor)
    if not std >= 0:
        raise ValueError(f"normal_ expects std >= 0, got std={std!r}")
    return _fill(tensor, np.random.normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    _check_tensor(tensor, float_only=False)
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    _check_tensor(tensor)
    bound = math.sqrt(3.0) * _xavier_std(*_fans(tensor.shape), gain)
    return _fill(tensor, np.random.uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor)
    std = _xavier_std(*_fans(tensor.shape), gain)
    return _fill(tensor, np.random.normal(0.0, std, tensor.shape))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    Args:
        tensor: the weight, (out, in, *kernel).
        a: negative slope of the leaky ReLU that follows (0 gives ReLU's gain sqrt 2).
        mode: 'fan_in' keeps the forward pass's variance, 'fan_out' the backward pass's.
        nonlinearity: as for `calculate_gain`.
    """
    _check_tensor(tensor)
    fan = _pick_fan(*_fans(tensor.shape), mode)
    bound = math.sqrt(3.0) * _kaiming_std(fan, a, nonlinearity)
    return _fill(tensor, np.random.uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan); arguments as `kaiming_uniform_`."""
    _check_tensor(tensor)
    fan = _pick_fan(*_fans(tensor.shape), mode)
    return _fill(tensor, np.random.normal(0.0, _kaiming_std(fan, a, nonlinearity), tensor.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    _check_tensor(tensor, float_only=False)
    if tensor.ndim != 2:
        raise ValueError(f"eye_ expects a 2-dimensional tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> Tensor:
    """Fill with samples of N(mean, std**2) restricted to [a, b] (redrawing those outside).

    Raises:
        ValueError: std < 0, a > b, or [a, b] holds too little of the distribution to
            sample by redrawing (under one draw in a thousand).
    """
    _check_tensor(tensor)
    if not std >= 0:
        raise ValueError(f"trunc_normal_ expects std >= 0, got std={std!r}")
    if not a <= b:
        raise ValueError(f"trunc_normal_ expects a <= b, got a={a!r}, b={b!r}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std) if std else float(a <= mean <= b)
    if mass < 1e-3:
        raise ValueError(f"trunc_normal_: [{a}, {b}] holds {mass:.2g} of N({mean}, {std}**2); "
                         "choose an interval nearer the mean")
    values = np.random.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = np.random.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def _normal_cdf(z: float) -> float:
    return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times `gain`, as `torch.nn.init.orthogonal_`
    (Saxe et al.): the tensor is seen as (shape[0], the rest flattened); its rows (or
    columns, whichever are fewer) are orthonormal. Drawn as the Q of a QR decomposition
    of a Gaussian matrix, with signs fixed so it is uniformly distributed."""
    _check_tensor(tensor)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ expects a tensor of at least 2 dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    flat = np.random.normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
