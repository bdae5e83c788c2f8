"""Elementwise functions: exp, log, sqrt, the trigonometric ones, abs, rounding, clamp,
maximum, minimum, where, and dtype casts.

Integer and bool input to the float-only ones is promoted to the default float dtype
(see `float_data`). The binary ones broadcast, and each input's gradient is summed back
to its own shape with `unbroadcast`.
"""
from typing import Any, Optional, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import broadcasting, float_data, promoted, unbroadcast
from mytorch.tensor import Tensor


class Exp(Function):
    """b = exp(a); db/da = b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(np.exp(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return Tensor(grad_output.data * out.data)


class Log(Function):
    """b = log(a); db/da = 1/a"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.log(float_data(a)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(grad_output.data / a.data)


class Sqrt(Function):
    """b = sqrt(a); db/da = 1 / (2 b)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(np.sqrt(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return Tensor(grad_output.data / (2 * out.data))


class Log1p(Function):
    """b = log(1 + a); db/da = 1 / (1 + a)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.log1p(float_data(a)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(grad_output.data / (1 + a.data))


class Expm1(Function):
    """b = exp(a) - 1; db/da = b + 1"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(np.expm1(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return Tensor(grad_output.data * (out.data + 1))


class Reciprocal(Function):
    """b = 1 / a; db/da = -b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        with np.errstate(divide="ignore"):
            out = Tensor(np.reciprocal(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return Tensor(-grad_output.data * out.data * out.data)


class Rsqrt(Function):
    """b = 1 / sqrt(a); db/da = -b**3 / 2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = Tensor(1 / np.sqrt(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        b = out.data
        return Tensor(grad_output.data * (-0.5 * b * b * b))


class Sin(Function):
    """b = sin(a); db/da = cos(a)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.sin(float_data(a)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(grad_output.data * np.cos(a.data))


class Cos(Function):
    """b = cos(a); db/da = -sin(a)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.cos(float_data(a)))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(-grad_output.data * np.sin(a.data))


class Tan(Function):
    """b = tan(a); db/da = 1 + b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        out = Tensor(np.tan(float_data(a)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return Tensor(grad_output.data * (1 + out.data * out.data))


# Piecewise-constant functions: their derivative is 0 wherever it exists, as PyTorch takes it.
STEPS = {"sign": np.sign, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.round}


class Step(Function):
    """b = f(a) for a piecewise-constant f (`sign`, `floor`, `ceil`, `trunc`, `round`);
    db/da = 0. Integers (and bools) stay as they are, except that sign maps an
    integer to -1, 0 or 1. `decimals` applies to round only."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, function: str, decimals: int = 0) -> Tensor:
        checks.one_of("Step: function", function, tuple(STEPS))
        checks.integer(f"{function}: decimals", decimals)
        data = a.data
        if data.dtype.kind == "f" or (function == "sign" and data.dtype.kind in "iu"):
            if function == "round":
                return Tensor(np.round(data, decimals))
            return Tensor(STEPS[function](data))
        return Tensor(data.copy())

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None]:
        return Tensor(np.zeros_like(grad_output.data)), None, None


class Abs(Function):
    """b = |a|; db/da = sign(a), 0 at a = 0 as in PyTorch"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return Tensor(np.abs(a.data))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors
        return Tensor(grad_output.data * np.sign(a.data))


class Clamp(Function):
    """b = min(max(a, low), high), either bound None for none, each a number or a tensor
    (broadcast with a), as `torch.clamp`. PyTorch's derivatives: db/da = 1 where
    low <= a <= high (the bounds included), else 0; db/dlow = 1 where a < low < high;
    db/dhigh = 1 where a > high, or everywhere high < low (then b = high)."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, low: Union[Tensor, float, None] = None,
                high: Union[Tensor, float, None] = None) -> Tensor:
        if low is None and high is None:
            raise ValueError("clamp: give min, max or both; both are None")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and not isinstance(bound, Tensor):
                checks.number(f"clamp: {name}", bound)
        # Tensor bounds are saved after a; numbers (or None) stay on ctx.
        ctx.tensor_bounds = tuple(isinstance(bound, Tensor) for bound in (low, high))
        bounds = [bound for bound in (low, high) if isinstance(bound, Tensor)]
        ctx.save_for_backward(a, *bounds)
        ctx.low, ctx.high = (None if is_tensor else bound
                             for is_tensor, bound in zip(ctx.tensor_bounds, (low, high)))
        if not bounds:
            return Tensor(np.clip(a.data, low, high))
        arrays = iter(promoted(a, *bounds))
        x = next(arrays)
        try:
            return Tensor(np.clip(x, *[next(arrays) if is_tensor else bound
                                       for is_tensor, bound in zip(ctx.tensor_bounds, (low, high))]))
        except ValueError:
            raise ValueError(f"clamp: shapes {a.shape}, {getattr(low, 'shape', ())} and "
                             f"{getattr(high, 'shape', ())} cannot be broadcast together") from None

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        a, *saved = ctx.saved_tensors
        tensors = iter(saved)
        low_tensor, high_tensor = (next(tensors) if is_tensor else None for is_tensor in ctx.tensor_bounds)
        low = low_tensor.data if low_tensor is not None else ctx.low
        high = high_tensor.data if high_tensor is not None else ctx.high
        x, g = a.data, grad_output.data
        inside = np.ones(g.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        grad_low = grad_high = None
        if low_tensor is not None and ctx.needs_input_grad[1]:
            below = (x < low) if high is None else (x < low) & (low < high)
            grad_low = Tensor(unbroadcast(g * below, low_tensor.shape, low_tensor.dtype))
        if high_tensor is not None and ctx.needs_input_grad[2]:
            above = (x > high) if low is None else (x > high) | (high < low)
            grad_high = Tensor(unbroadcast(g * above, high_tensor.shape, high_tensor.dtype))
        return Tensor(unbroadcast(g * inside, a.shape, a.dtype)), grad_low, grad_high


def _select(ctx: ContextManager, a: Tensor, b: Tensor, choose: np.ufunc, op: str) -> Tensor:
    """Forward of Maximum and Minimum: choose(a, b), keeping what backward needs."""
    ctx.save_for_backward(a, b)
    return Tensor(broadcasting(choose, a, b, op))


def _split(ctx: ContextManager, grad_output: Tensor, wins: np.ufunc) -> Tuple[Optional[Tensor], ...]:
    """Backward of Maximum and Minimum: each element's gradient goes to the input that
    `wins` there, half to each on a tie, as in PyTorch."""
    a, b = ctx.saved_tensors
    grad = grad_output.data
    to_a = np.where(wins(a.data, b.data), grad, np.where(a.data == b.data, grad * 0.5, 0))
    grad_a = Tensor(unbroadcast(to_a, a.shape, a.dtype)) if ctx.needs_input_grad[0] else None
    grad_b = Tensor(unbroadcast(grad - to_a, b.shape, b.dtype)) if ctx.needs_input_grad[1] else None
    return grad_a, grad_b


class Maximum(Function):
    """c = max(a, b) elementwise; the gradient goes to the larger, split evenly on ties"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        return _select(ctx, a, b, np.maximum, "maximum")

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        return _split(ctx, grad_output, np.greater)


class Minimum(Function):
    """c = min(a, b) elementwise; the gradient goes to the smaller, split evenly on ties"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        return _select(ctx, a, b, np.minimum, "minimum")

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        return _split(ctx, grad_output, np.less)


class Where(Function):
    """c = x where condition else y (all three broadcast); dx = g where condition, dy = g elsewhere"""

    @staticmethod
    def forward(ctx: ContextManager, condition: Tensor, x: Tensor, y: Tensor) -> Tensor:
        if condition.dtype != np.bool_:
            raise TypeError(f"where: condition must be a bool tensor (from a comparison such as "
                            f"x > 0), got dtype {condition.dtype}")
        try:
            out = np.where(condition.data, *promoted(x, y))
        except ValueError:
            raise ValueError(f"where: shapes {condition.shape} (condition), {x.shape} and {y.shape} "
                             "cannot be broadcast together") from None
        ctx.save_for_backward(condition)
        ctx.x_meta, ctx.y_meta = (x.shape, x.dtype), (y.shape, y.dtype)
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad, condition = grad_output.data, ctx.saved_tensors[0].data
        grad_x = grad_y = None
        if ctx.needs_input_grad[1]:
            grad_x = Tensor(unbroadcast(np.where(condition, grad, 0), *ctx.x_meta))
        if ctx.needs_input_grad[2]:
            grad_y = Tensor(unbroadcast(np.where(condition, 0, grad), *ctx.y_meta))
        return None, grad_x, grad_y


class Cast(Function):
    """b = a converted to `dtype`; da = db converted back to a's dtype"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, dtype: Any) -> Tensor:
        ctx.dtype = a.dtype
        return Tensor(a.data.astype(dtype))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None]:
        return Tensor(grad_output.data.astype(ctx.dtype)), None
