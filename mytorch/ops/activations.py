"""Activation functions: ReLU, LeakyReLU, ELU, Softplus, SiLU, Sigmoid, Tanh, GELU, Softmax
and LogSoftmax.

Those that save their output use it for the derivative, which is cheaper from it
(sigmoid' = s (1 - s), tanh' = 1 - t**2). Integer and bool input to the float-only
ones is promoted to the default float dtype (see `float_data`).
"""
import math
from typing import Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data
from mytorch.tensor import Tensor


class ReLU(Function):
    """b = max(a, 0); db/da = 1 where a > 0, else 0"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = np.maximum(a.data, 0)
        # Where the input was positive, fixed now: an in-place change to the output later
        # cannot change the derivative, so nothing needs saving (or version-checking).
        ctx.positive = out > 0
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(grad_output.data * ctx.positive)


class LeakyReLU(Function):
    """b = a where a > 0, else negative_slope * a; db/da = 1 where a > 0, else
    negative_slope (at 0 too, as PyTorch)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, negative_slope: float = 0.01) -> Tensor:
        ctx.slope = checks.number("leaky_relu: negative_slope", negative_slope)
        x = float_data(a)
        ctx.positive = x > 0
        return Tensor(np.where(ctx.positive, x, x * x.dtype.type(ctx.slope)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        g = grad_output.data
        return Tensor(np.where(ctx.positive, g, g * g.dtype.type(ctx.slope))), None


class ELU(Function):
    """b = a where a > 0, else alpha (exp(a) - 1); db/da = 1 where a > 0, else alpha exp(a)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, alpha: float = 1.0) -> Tensor:
        ctx.alpha = checks.number("elu: alpha", alpha)
        x = float_data(a)
        ctx.positive = x > 0
        # expm1 of min(x, 0): the branch not taken never overflows.
        ctx.scaled_exp = x.dtype.type(ctx.alpha) * np.exp(np.minimum(x, 0))
        return Tensor(np.where(ctx.positive, x, x.dtype.type(ctx.alpha) * np.expm1(np.minimum(x, 0))))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        g = grad_output.data
        return Tensor(np.where(ctx.positive, g, g * ctx.scaled_exp)), None


class Softplus(Function):
    """b = log(1 + exp(beta a)) / beta, or a where beta a > threshold (linear there, as
    PyTorch); db/da = sigmoid(beta a), or 1 past the threshold"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        beta = checks.number("softplus: beta", beta)
        if beta == 0:
            raise ValueError("softplus: beta must be nonzero, got 0")
        threshold = checks.number("softplus: threshold", threshold)
        x = float_data(a)
        z = x * x.dtype.type(beta)
        ctx.linear = z > threshold
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): never overflows.
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / x.dtype.type(beta)
        ctx.save_for_backward(a)
        ctx.beta = beta
        return Tensor(np.where(ctx.linear, x, soft))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        x = float_data(ctx.saved_tensors[0])
        g = grad_output.data
        return Tensor(np.where(ctx.linear, g, g * _sigmoid(x * x.dtype.type(ctx.beta)))), None, None


class SiLU(Function):
    """b = a sigmoid(a) (also called swish); db/da = s (1 + a (1 - s)), s = sigmoid(a)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        x = float_data(a)
        ctx.save_for_backward(a)
        return Tensor(x * _sigmoid(x))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        x = float_data(ctx.saved_tensors[0])
        s = _sigmoid(x)
        return Tensor(grad_output.data * s * (1 + x * (1 - s)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), without overflow: for x < 0 it is e^x / (1 + e^x)."""
    e = np.exp(-np.abs(x))
    s = 1 / (1 + e)
    return np.where(x >= 0, s, e * s)


class Sigmoid(Function):
    """b = 1 / (1 + exp(-a)); db/da = b (1 - b)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(_sigmoid(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        s = out.data
        return Tensor(grad_output.data * s * (1 - s))


class Tanh(Function):
    """b = tanh(a); db/da = 1 - b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(np.tanh(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        t = out.data
        return Tensor(grad_output.data * (1 - t * t))


# Python floats, not NumPy scalars, so float32 inputs stay float32.
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715  # the tanh approximation's cubic coefficient
GELU_APPROXIMATIONS = ("none", "tanh")


class GELU(Function):
    """b = a Phi(a), Phi the standard normal CDF; db/da = Phi(a) + a phi(a).

    approximate='tanh': b = a/2 (1 + t), t = tanh(k (a + 0.044715 a**3)), k = sqrt(2/pi);
    db/da = (1 + t)/2 + a/2 (1 - t**2) k (1 + 3 * 0.044715 a**2).
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, approximate: str = "none") -> Tensor:
        checks.one_of("gelu: approximate", approximate, GELU_APPROXIMATIONS)
        x = float_data(a)
        if approximate == "none":
            # SciPy is imported here, the first time exact GELU runs, not with the library.
            from scipy.special import erf
            ctx.cdf = 0.5 * (1 + erf(x * _SQRT1_2))
            out = x * ctx.cdf
        else:
            ctx.tanh = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            out = 0.5 * x * (1 + ctx.tanh)
        ctx.save_for_backward(a)
        ctx.approximate = approximate
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        x = ctx.saved_tensors[0].data
        if ctx.approximate == "none":
            pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
            local = ctx.cdf + x * pdf
        else:
            t = ctx.tanh
            local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return Tensor(grad_output.data * local), None


class Softmax(Function):
    """s = exp(a) / sum(exp(a), dim); da = s * (g - sum(g * s, dim))

    The max along `dim` is subtracted first, so large inputs do not overflow.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int = -1) -> Tensor:
        axis = checks.dim("softmax", dim, a.shape)
        data = np.atleast_1d(float_data(a))  # a 0-d tensor is one class
        # initial=-inf: the max of an empty axis (whose softmax is empty) is not an error.
        e = np.exp(data - data.max(axis=axis, keepdims=True, initial=-np.inf))
        out = Tensor((e / e.sum(axis=axis, keepdims=True)).reshape(a.shape))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        (out,) = ctx.saved_tensors
        s, grad = np.atleast_1d(out.data), np.atleast_1d(grad_output.data)
        grad_a = s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))
        return Tensor(grad_a.reshape(out.shape)), None


class LogSoftmax(Function):
    """b = a - logsumexp(a, dim); da = g - softmax(a) * sum(g, dim)

    The max along `dim` is subtracted first, so large inputs stay finite.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dim: int = -1) -> Tensor:
        axis = checks.dim("log_softmax", dim, a.shape)
        data = np.atleast_1d(float_data(a))  # a 0-d tensor is one class
        shifted = data - data.max(axis=axis, keepdims=True, initial=-np.inf)
        with np.errstate(divide="ignore"):  # an empty axis sums to 0; its -inf meets no element
            out = Tensor((shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).reshape(a.shape))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        (out,) = ctx.saved_tensors
        log_s, grad = np.atleast_1d(out.data), np.atleast_1d(grad_output.data)
        grad_a = grad - np.exp(log_s) * grad.sum(axis=ctx.axis, keepdims=True)
        return Tensor(grad_a.reshape(out.shape)), None
