"""The fully connected layer as one fused op, the hot spot of an MLP's training step, and
the embedding lookup (a linear map of one-hot rows)."""
import math
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import column_sums, unbroadcast
from mytorch.tensor import Tensor


class Linear(Function):
    """y = x @ W.T + b; dx = dy @ W, dW = dy.T @ x, db = dy summed over the batch"""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
        if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"Linear: input of shape {x.shape} does not match weight of shape "
                             f"{weight.shape} (expected input (..., {weight.shape[-1]}))")
        if bias is not None and bias.shape != weight.shape[:1]:
            raise ValueError(f"Linear: bias of shape {bias.shape} for weight of shape {weight.shape}")
        ctx.save_for_backward(x, weight)
        ctx.bias_dtype = None if bias is None else bias.dtype
        out = x.data @ weight.data.T
        if bias is not None:
            out += bias.data
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        x, weight = ctx.saved_tensors
        grad = grad_output.data
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = Tensor(unbroadcast(grad @ weight.data, x.shape, x.dtype))
        # Flatten any leading axes into one batch axis (a batch of rows is one already).
        grad_rows, x_rows = grad, x.data
        if grad.ndim != 2:  # counted rows, not -1: a reshape cannot infer -1 for empty rows
            rows = math.prod(grad.shape[:-1])
            grad_rows, x_rows = grad.reshape(rows, grad.shape[-1]), x_rows.reshape(rows, x.shape[-1])
        # (Casts, to an input of another dtype, only where needed: astype costs a call.)
        if ctx.needs_input_grad[1]:
            # (out, in), C-contiguous like the weight itself.
            grad_weight = grad_rows.T @ x_rows
            if grad_weight.dtype != weight.dtype:
                grad_weight = grad_weight.astype(weight.dtype)
            grad_weight = Tensor(grad_weight)
        if ctx.needs_input_grad[2]:
            grad_bias = column_sums(grad_rows)
            if grad_bias.dtype != ctx.bias_dtype:
                grad_bias = grad_bias.astype(ctx.bias_dtype)
            grad_bias = Tensor(grad_bias)
        return grad_x, grad_weight, grad_bias


class Embedding(Function):
    """out[...] = weight[indices[...]]; dweight[i] = the sum of the output gradients at the
    positions whose index is i (0 for padding_idx, whose row is never trained)."""

    @staticmethod
    def forward(ctx: ContextManager, weight: Tensor, indices: np.ndarray,
                padding_idx: Optional[int] = None) -> Tensor:
        if weight.ndim != 2:
            raise ValueError(f"Embedding: expected a weight (num_embeddings, embedding_dim), got {weight.shape}")
        ids = checks.class_indices("Embedding", np.asarray(indices), weight.shape[0], name="index")
        ctx.ids, ctx.padding_idx, ctx.weight_meta = ids, padding_idx, (weight.shape, weight.dtype)
        return Tensor(weight.data[ids])

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        shape, dtype = ctx.weight_meta
        grad = np.zeros(shape, dtype)
        np.add.at(grad, ctx.ids.reshape(-1), grad_output.data.reshape(-1, shape[1]))
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return Tensor(grad), None, None
