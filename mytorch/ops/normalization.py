"""Normalisation layers' ops (batch, layer and group normalisation), each fused with a
hand-derived backward pass.

All three compute x_hat = (x - mean) / sqrt(var + eps) over some axes, with the biased
variance, then y = x_hat * weight + bias. With g = dy * weight the gradient flowing into
x_hat and n the number of values each mean is taken over,

    dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)

with the means over the same axes. Integer input is promoted to the default float
dtype; float32 stays float32.
"""
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import column_sums, float_data
from mytorch.tensor import Tensor


def _normalize(data: np.ndarray, axes: Tuple[int, ...], eps: float) -> Tuple[np.ndarray, np.ndarray]:
    """(x_hat, 1 / sqrt(var + eps)) of `data` over `axes`, the latter with kept axes."""
    count = int(np.prod([data.shape[axis] for axis in axes]))
    centered = data - data.sum(axis=axes, keepdims=True) / count
    var = (centered * centered).sum(axis=axes, keepdims=True) / count
    inv_std = 1.0 / np.sqrt(var + eps)
    return centered * inv_std, inv_std


def _normalize_backward(g: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                        axes: Tuple[int, ...]) -> np.ndarray:
    """dL/dx from g = dL/dx_hat for x_hat normalised over `axes` (the module's docstring)."""
    count = x_hat.size // inv_std.size
    mean_g = g.sum(axis=axes, keepdims=True) / count
    mean_gx = (g * x_hat).sum(axis=axes, keepdims=True) / count
    return (g - mean_g - x_hat * mean_gx) * inv_std


def _scale_shift(x_hat: np.ndarray, weight: Optional[Tensor], bias: Optional[Tensor],
                 shape: Tuple[int, ...]) -> np.ndarray:
    """x_hat * weight + bias, each optional, laid out as `shape` to broadcast over x_hat
    (as they are when `shape` is already theirs)."""
    if weight is None:
        return x_hat if bias is None else x_hat + bias.data.reshape(shape)
    out = x_hat * (weight.data if weight.shape == shape else weight.data.reshape(shape))
    if bias is not None:
        out += bias.data if bias.shape == shape else bias.data.reshape(shape)
    return out


def _save_weight(ctx: ContextManager, weight: Optional[Tensor]) -> None:
    """Save the optional weight for backward (its values scale dx)."""
    if weight is not None:
        ctx.save_for_backward(weight)


def _saved_weight(ctx: ContextManager) -> Optional[Tensor]:
    saved = ctx.saved_tensors
    return saved[0] if saved else None


def _meta(value: Optional[Tensor]) -> Optional[Tuple[Tuple[int, ...], np.dtype]]:
    """What backward needs to know of an optional weight or bias: its shape and dtype."""
    return None if value is None else (value.shape, value.dtype)


def _affine_grads(ctx: ContextManager, grad: np.ndarray, x_hat: np.ndarray,
                  axes: Tuple[int, ...], index: int) -> Tuple[Optional[Tensor], ...]:
    """The gradients of the weight and bias (forward arguments `index`, `index + 1`,
    described by `ctx.affine`), whose values were broadcast over `axes` of the output."""
    grads = []
    for offset, (meta, values) in enumerate(zip(ctx.affine, (grad * x_hat, grad))):
        if meta is None or not ctx.needs_input_grad[index + offset]:
            grads.append(None)
        else:
            shape, dtype = meta
            grads.append(Tensor(values.sum(axis=axes).reshape(shape).astype(dtype, copy=False)))
    return tuple(grads)


def _channel_sums(values: np.ndarray, axes: Tuple[int, ...]) -> np.ndarray:
    """`values` (N, C, ...) summed over `axes`, every axis but the channels' (axis 1)."""
    return column_sums(values) if values.ndim == 2 else np.add.reduce(values, axis=axes)


def _as_shape(values: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """`values` reshaped to `shape`; a comparison costs less than reshape's call."""
    return values if values.shape == shape else values.reshape(shape)


def _as_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`values` converted to `dtype` where it differs; a comparison costs less than astype's call."""
    return values if values.dtype == dtype else values.astype(dtype)


def _check_affine(op: str, name: str, value: Optional[Tensor], shape: Tuple[int, ...]) -> None:
    if value is not None and value.shape != shape:
        raise ValueError(f"{op}: expected {name} of shape {shape}, got {value.shape}")


def _check_batch_norm_shapes(x: Tensor, per_channel: Sequence[Optional[Tensor]]) -> None:
    """Name what does not fit: the input's channels (axis 1), or a per-channel tensor's shape."""
    names = ("running_mean", "running_var", "weight", "bias")
    given = [value.shape for value in per_channel if value is not None]
    channels = given[0][0] if given and given[0] else (x.shape[1] if x.ndim > 1 else "C")
    if x.ndim < 2 or x.shape[1] != channels:
        raise ValueError(f"batch_norm: expected input (N, {channels}) or (N, {channels}, *), got {x.shape}")
    for name, value in zip(names, per_channel):
        _check_affine("batch_norm", name, value, (channels,))


class BatchNorm(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias per channel (axis 1), over every
    other axis: x (N, C), (N, C, L), (N, C, H, W), ...

    Training mode normalises with the batch mean and biased variance and updates the
    running statistics (when given) in place, outside the graph, in their own dtype,
    with the unbiased variance: running = (1 - momentum) * running + momentum * batch.
    Eval mode uses the running statistics. Weight and bias may be None (no affine).
    With x_hat the normalised input and n values per channel:
        dweight = sum(dy * x_hat), dbias = sum(dy),
        dx = weight / sqrt(var + eps) * (dy - dbias / n - x_hat * dweight / n)   (training)
        dx = weight / sqrt(var + eps) * dy                                       (eval)

    `group_sum`, given (by SyncBatchNorm), sums an array over every rank of a process
    group: the batch statistics are then those of every rank's batch together, and so
    are the sums in dx, with n the count over every rank; dweight and dbias stay this
    rank's own, as PyTorch's SyncBatchNorm, for DistributedDataParallel to average.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, running_mean: Optional[Tensor],
                running_var: Optional[Tensor], weight: Optional[Tensor] = None,
                bias: Optional[Tensor] = None, training: bool = False, momentum: float = 0.1,
                eps: float = 1e-5, group_sum: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> Tensor:
        expected = x.shape[1:2]
        # Spelled out, not a loop: this runs on every training step.
        if (x.ndim < 2 or running_mean is not None and running_mean.shape != expected
                or running_var is not None and running_var.shape != expected
                or weight is not None and weight.shape != expected
                or bias is not None and bias.shape != expected):
            _check_batch_norm_shapes(x, (running_mean, running_var, weight, bias))
        channels = x.shape[1]
        if not training and (running_mean is None or running_var is None):
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
        # Reduce over every axis but the channels; per-channel values broadcast along them
        # as they are for (N, C) input, the MLP's case on the hot path, else as (C, 1, ...).
        axes = (0,) + tuple(range(2, x.ndim))
        per_channel = (channels,) + (1,) * (x.ndim - 2)
        data = float_data(x)
        if training:
            count = data.size // channels if channels else 0
            # / count rather than mean: np.mean's Python wrapper costs more than these small ones.
            sums = _channel_sums(data, axes)
            if group_sum is not None:
                totals = group_sum(np.append(sums, count))
                sums, count = totals[:-1], int(totals[-1])
            if count < 2:
                raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                                 f"training, got input of shape {x.shape}"
                                 + (f" ({count} over all ranks)" if group_sum is not None else ""))
            mean = sums / count
            centered = data - (mean if x.ndim == 2 else mean.reshape(per_channel))
            squares = _channel_sums(centered * centered, axes)
            var = (squares if group_sum is None else group_sum(squares)) / count
            if running_mean is not None:
                running_mean.data *= 1 - momentum
                running_mean.data += momentum * mean
            if running_var is not None:
                running_var.data *= 1 - momentum
                running_var.data += var * (momentum * count / (count - 1))
        else:
            count = None
            mean = running_mean.data.astype(data.dtype, copy=False)
            var = running_var.data.astype(data.dtype, copy=False)
            centered = data - (mean if x.ndim == 2 else mean.reshape(per_channel))
        inv_std = 1.0 / np.sqrt(var + eps)
        if x.ndim > 2:
            inv_std = inv_std.reshape(per_channel)
        x_hat = centered  # a new array: normalised in place
        x_hat *= inv_std
        ctx.x_hat, ctx.inv_std, ctx.count, ctx.axes = x_hat, inv_std, count, axes
        ctx.group_sum = group_sum
        _save_weight(ctx, weight)
        ctx.bias_dtype = None if bias is None else bias.dtype
        out = _scale_shift(x_hat, weight, bias, per_channel)
        return Tensor(out if out.dtype == data.dtype else out.astype(data.dtype))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        weight = _saved_weight(ctx)
        grad, x_hat, axes, inv_std = grad_output.data, ctx.x_hat, ctx.axes, ctx.inv_std
        grad_gamma = _channel_sums(grad * x_hat, axes)
        grad_beta = _channel_sums(grad, axes)
        grad_x = None
        if ctx.needs_input_grad[0]:
            shape = inv_std.shape  # (C,) for (N, C) input, else (C, 1, ...): no reshape for the first
            scale = inv_std if weight is None else _as_shape(weight.data, shape) * inv_std
            if ctx.count is None:
                grad_x = scale * grad
            else:
                sum_beta, sum_gamma = grad_beta, grad_gamma
                if ctx.group_sum is not None:
                    sum_beta, sum_gamma = np.split(ctx.group_sum(np.concatenate([grad_beta, grad_gamma])), 2)
                # scale * (grad - sum_beta / count - x_hat * sum_gamma / count), in one buffer
                grad_x = x_hat * (_as_shape(sum_gamma, shape) / ctx.count)
                grad_x += _as_shape(sum_beta, shape) / ctx.count
                np.subtract(grad, grad_x, out=grad_x)
                grad_x *= scale
            grad_x = Tensor(grad_x if grad_x.dtype == x_hat.dtype else grad_x.astype(x_hat.dtype))
        grad_weight = grad_bias = None
        if weight is not None and ctx.needs_input_grad[3]:
            grad_weight = Tensor(_as_dtype(grad_gamma, weight.dtype))
        if ctx.bias_dtype is not None and ctx.needs_input_grad[4]:
            grad_bias = Tensor(_as_dtype(grad_beta, ctx.bias_dtype))
        return grad_x, None, None, grad_weight, grad_bias, None, None, None, None


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, with the mean and biased variance
    over the last len(normalized_shape) axes, which must equal `normalized_shape`;
    weight and bias (optional) have that shape. dx as in this module's docstring,
    dweight = sum(dy * x_hat) and dbias = sum(dy) over the leading axes."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, normalized_shape: Sequence[int],
                weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
                eps: float = 1e-5) -> Tensor:
        shape = checks.normalized_shape("layer_norm", normalized_shape)
        if x.shape[x.ndim - len(shape):] != shape:  # shorter than `shape` if x has fewer axes
            raise ValueError(f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}) "
                             f"for normalized_shape {shape}, got {x.shape}")
        _check_affine("layer_norm", "weight", weight, shape)
        _check_affine("layer_norm", "bias", bias, shape)
        checks.positive("layer_norm: eps", eps)
        data = float_data(x)
        axes = tuple(range(x.ndim - len(shape), x.ndim))
        x_hat, inv_std = _normalize(data, axes, eps)
        ctx.x_hat, ctx.inv_std, ctx.axes = x_hat, inv_std, axes
        ctx.affine = _meta(weight), _meta(bias)
        _save_weight(ctx, weight)
        return Tensor(_scale_shift(x_hat, weight, bias, shape).astype(data.dtype, copy=False))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        weight = _saved_weight(ctx)
        grad, x_hat, axes = grad_output.data, ctx.x_hat, ctx.axes
        grad_x = None
        if ctx.needs_input_grad[0]:
            g = grad if weight is None else grad * weight.data
            grad_x = Tensor(_normalize_backward(g, x_hat, ctx.inv_std, axes).astype(x_hat.dtype, copy=False))
        leading = tuple(range(x_hat.ndim - len(axes)))
        grad_weight, grad_bias = _affine_grads(ctx, grad, x_hat, leading, 2)
        return grad_x, None, grad_weight, grad_bias, None


class GroupNorm(Function):
    """x (N, C, *) with C channels split into `num_groups` groups of consecutive channels:
    each sample's group is normalised over its channels and positions (biased variance),
    then y = x_hat * weight[c] + bias[c] per channel. dx as in this module's docstring,
    over each group; dweight, dbias summed over every axis but the channels."""

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, num_groups: int, weight: Optional[Tensor] = None,
                bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
        groups = checks.positive_int("group_norm: num_groups", num_groups)
        if x.ndim < 2 or x.shape[1] % groups:
            raise ValueError(f"group_norm: expected input (N, C, *) with C divisible by num_groups="
                             f"{groups}, got {x.shape}")
        checks.positive("group_norm: eps", eps)
        channels = x.shape[1]
        _check_affine("group_norm", "weight", weight, (channels,))
        _check_affine("group_norm", "bias", bias, (channels,))
        data = float_data(x)
        grouped = data.reshape(x.shape[0], groups, -1)
        x_hat, inv_std = _normalize(grouped, (2,), eps)
        x_hat = x_hat.reshape(x.shape)
        ctx.x_hat, ctx.inv_std, ctx.groups = x_hat, inv_std, groups
        ctx.affine = _meta(weight), _meta(bias)
        _save_weight(ctx, weight)
        affine = (channels,) + (1,) * (x.ndim - 2)
        return Tensor(_scale_shift(x_hat, weight, bias, affine).astype(data.dtype, copy=False))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        weight = _saved_weight(ctx)
        grad, x_hat = grad_output.data, ctx.x_hat
        shape, batch = x_hat.shape, x_hat.shape[0]
        grad_x = None
        if ctx.needs_input_grad[0]:
            g = grad if weight is None else grad * weight.data.reshape((shape[1],) + (1,) * (len(shape) - 2))
            dx = _normalize_backward(g.reshape(batch, ctx.groups, -1), x_hat.reshape(batch, ctx.groups, -1),
                                     ctx.inv_std, (2,))
            grad_x = Tensor(dx.reshape(shape).astype(x_hat.dtype, copy=False))
        axes = (0,) + tuple(range(2, len(shape)))
        grad_weight, grad_bias = _affine_grads(ctx, grad, x_hat, axes, 2)
        return grad_x, None, grad_weight, grad_bias, None
