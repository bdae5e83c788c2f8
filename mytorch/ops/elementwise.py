"""Elementwise functions of one tensor: exp and log.

Integer and bool input is promoted to the default float dtype (see `float_data`).
"""
import numpy as np

from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data
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
