"""Elementwise arithmetic with broadcasting, and matrix products."""
import math
from typing import Optional, Tuple, Union

import numpy as np

from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import broadcasting, float_data, promoted, unbroadcast
from mytorch.tensor import Tensor


class Add(Function):
    """c = a + b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        return Tensor(broadcasting(np.add, a, b, "Add"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        grad_b = Tensor(unbroadcast(grad, *ctx.b_meta)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Sub(Function):
    """c = a - b"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        return Tensor(broadcasting(np.subtract, a, b, "Sub"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        grad_b = Tensor(unbroadcast(-grad, *ctx.b_meta)) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def _save_each_for_the_other(ctx: ContextManager, a: Tensor, b: Tensor) -> None:
    """Save b if a's gradient is wanted and a if b's is (a product's gradient with respect
    to one factor is the other), so an in-place change to an input whose value no
    gradient needs does not stop backward, as in PyTorch (`y = x * 2`, then `x.add_(1)`).
    The shapes and dtypes of both are kept for unbroadcasting."""
    needs = ctx.needs_input_grad
    ctx.save_for_backward(*([b] if needs[0] else []), *([a] if needs[1] else []))
    ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)


class Mul(Function):
    """c = a * b (elementwise)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        _save_each_for_the_other(ctx, a, b)
        return Tensor(broadcasting(np.multiply, a, b, "Mul"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        saved = list(ctx.saved_tensors)
        grad = grad_output.data
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = Tensor(unbroadcast(grad * saved.pop(0).data, *ctx.a_meta))
        if ctx.needs_input_grad[1]:
            grad_b = Tensor(unbroadcast(grad * saved.pop(0).data, *ctx.b_meta))
        return grad_a, grad_b


class Div(Function):
    """c = a / b; dc/da = 1/b, dc/db = -a/b**2"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        # b for either gradient; a only for b's, so `x / 2` keeps nothing of x.
        ctx.save_for_backward(b, *([a] if ctx.needs_input_grad[1] else []))
        ctx.a_meta = (a.shape, a.dtype)
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # integers divide into the default float dtype
            a, b = Tensor(float_data(a)), Tensor(float_data(b))
        return Tensor(broadcasting(np.true_divide, a, b, "Div"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        b, *a = ctx.saved_tensors
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad / b.data, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        # (a / b) / b, not a / b**2: the same rounding as PyTorch, which matters for b near 0,
        # where the gradient is huge and one ulp exceeds the handout's 1e-10 tolerance.
        grad_b = (Tensor(unbroadcast(-grad * (a[0].data / b.data / b.data), b.shape, b.dtype))
                  if ctx.needs_input_grad[1] else None)
        return grad_a, grad_b


class Remainder(Function):
    """c = a mod b with the sign of b (Python's %, `torch.remainder`): a - floor(a / b) * b;
    dc/da = 1, dc/db = -floor(a / b)"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(*([a, b] if ctx.needs_input_grad[1] else []))
        ctx.a_meta, ctx.b_meta = (a.shape, a.dtype), (b.shape, b.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor(broadcasting(np.remainder, a, b, "Remainder"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = grad_output.data
        grad_a = Tensor(unbroadcast(grad, *ctx.a_meta)) if ctx.needs_input_grad[0] else None
        grad_b = None
        if ctx.needs_input_grad[1]:
            a, b = ctx.saved_tensors
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = Tensor(unbroadcast(-grad * np.floor_divide(a.data, b.data), *ctx.b_meta))
        return grad_a, grad_b


class Neg(Function):
    """b = -a"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor) -> Tensor:
        return Tensor(-a.data)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tensor:
        return Tensor(-grad_output.data)


class Pow(Function):
    """c = a ** b, b a number or a tensor (broadcast).

    dc/da = b a**(b - 1), taken as 0 where b == 0 (so x ** 0 has gradient 0 at x = 0);
    dc/db = c ln(a), taken as 0 where a == 0 and b >= 0. These are PyTorch's values:
    they keep 0 * inf from turning the gradient into NaN.
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, exponent: Union[Tensor, float]) -> Tensor:
        is_tensor = isinstance(exponent, Tensor)
        if is_tensor:
            base, power = promoted(a, exponent)
        else:  # an integer to a float power: the default float dtype, as in PyTorch
            base, power = (float_data(a) if isinstance(exponent, float) else a.data), exponent
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = Tensor(np.power(base, power))
        except ValueError as exc:
            shown = f"an exponent of shape {exponent.shape}" if is_tensor else f"exponent {exponent!r}"
            raise ValueError(f"Pow: a of shape {a.shape} and dtype {a.dtype} with {shown}: "
                             f"{exc}") from None
        ctx.exponent = None if is_tensor else exponent
        # The output only for the exponent's gradient, c ln(a).
        ctx.save_for_backward(a, *([exponent] if is_tensor else []),
                              *([out] if ctx.needs_input_grad[1] else []))
        return out

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        a, *rest = ctx.saved_tensors
        exponent = rest[:1] if ctx.exponent is None else []
        b = exponent[0].data if exponent else ctx.exponent
        grad = grad_output.data
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                local = np.where(np.equal(b, 0), 0, b * np.power(a.data, np.subtract(b, 1)))
                grad_a = Tensor(unbroadcast(grad * local, a.shape, a.dtype))
            if ctx.needs_input_grad[1] and exponent:
                zero = (a.data == 0) & np.greater_equal(b, 0)
                local = np.where(zero, 0, rest[-1].data * np.log(a.data))
                grad_b = Tensor(unbroadcast(grad * local, exponent[0].shape, exponent[0].dtype))
        return grad_a, grad_b


class MatMul(Function):
    """c = a @ b, with NumPy's rules for 1-D operands and broadcast batch axes"""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"MatMul: shapes {a.shape} and {b.shape} are not aligned for a @ b")
        _save_each_for_the_other(ctx, a, b)
        # b a transposed view, as W.T in `x @ W.T` (read by backward, which may not keep b).
        ctx.b_transposed = b.data.flags.f_contiguous and not b.data.flags.c_contiguous
        return Tensor(broadcasting(np.matmul, a, b, "MatMul"))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        saved = list(ctx.saved_tensors)
        (a_shape, a_dtype), (b_shape, b_dtype) = ctx.a_meta, ctx.b_meta
        # Treat 1-D operands as a row (a) or a column (b) matrix, as matmul does.
        a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
        b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
        grad = grad_output.data
        if len(b_shape) == 1:
            grad = np.expand_dims(grad, -1)
        if len(a_shape) == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b2 = saved.pop(0).data.reshape(b2_shape)
            grad_a = Tensor(unbroadcast(grad @ np.swapaxes(b2, -1, -2), a2_shape, a_dtype).reshape(a_shape))
        if ctx.needs_input_grad[1]:
            a2 = saved.pop(0).data.reshape(a2_shape)
            if len(b2_shape) == 2:
                # One matrix shared by every batch row: fold the batch axes into one sum.
                # Counted rows, not -1: a reshape cannot infer -1 when a row is empty.
                rows = math.prod(grad.shape[:-1])
                a_rows, grad_rows = a2.reshape(rows, a2.shape[-1]), grad.reshape(rows, grad.shape[-1])
                if ctx.b_transposed:
                    # (grad.T @ a).T gives W.grad in W's own C layout, which keeps the
                    # optimizer's update fast.
                    grad_b2 = (grad_rows.T @ a_rows).T
                else:
                    grad_b2 = a_rows.T @ grad_rows
            else:
                grad_b2 = np.swapaxes(a2, -1, -2) @ grad
            grad_b = Tensor(unbroadcast(grad_b2, b2_shape, b_dtype).reshape(b_shape))
        return grad_a, grad_b
