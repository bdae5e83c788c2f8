"""Losses: cross-entropy (fused with log-softmax), negative log-likelihood, binary
cross-entropy (on probabilities and on logits), squared, absolute and Huber errors.

Each reduces the per-sample losses by `reduction`: 'mean', 'sum' or 'none'. The
classification losses take scores (N, C), (C,) or (N, C, d1, ...) as PyTorch does, with
the classes on axis 1 (axis 0 without a batch).
"""
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data, row_sums
from mytorch.tensor import Tensor

# log(x) of binary cross-entropy is clamped here, as PyTorch clamps it, so x = 0 or 1 stays finite.
_LOG_FLOOR = -100.0
# PyTorch's floor under x (1 - x) in binary cross-entropy's gradient.
_BCE_EPS = 1e-12


def _reduce(losses: np.ndarray, reduction: str, denominator: Optional[float] = None) -> np.ndarray:
    """The mean (sum / `denominator`, by default the count) or sum of per-element `losses`,
    or `losses` themselves for 'none'."""
    if reduction == "mean":
        # Cheaper than .mean() on the hot path; the dtype is explicit because NumPy 1.x
        # promotes a float32 scalar divided by a Python int to float64.
        count = losses.size if denominator is None else denominator
        if not count:  # nothing to average (every target ignored, or none): NaN, as PyTorch
            return np.asarray(np.nan, dtype=losses.dtype)
        return np.asarray(np.add.reduce(losses, axis=None) / count, dtype=losses.dtype)
    if reduction == "sum":
        return np.asarray(np.add.reduce(losses, axis=None))
    return losses


def _scale(grad_output: np.ndarray, reduction: str, denominator: float, shape: Tuple[int, ...]) -> np.ndarray:
    """dL/d(per-element loss): grad_output spread back over `shape` as `_reduce` reduced it."""
    if reduction == "mean":
        return grad_output / denominator
    if reduction == "none":
        return grad_output.reshape(shape)
    return grad_output


# ---------------------------------------------------------------------- classification

def _rows(op: str, scores: Tensor) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """Scores (N, C), (C,) or (N, C, d1, ...) as rows (M, C), and the shape of the
    per-sample losses: (N,), () or (N, d1, ...)."""
    if scores.ndim == 2:
        return float_data(scores), scores.shape[:1]
    if scores.ndim == 1:
        return float_data(scores).reshape(1, -1), ()
    if scores.ndim == 0:
        raise ValueError(f"{op}: expected scores of shape (N, C), (C,) or (N, C, d1, ...), got a 0-d tensor")
    data = float_data(scores)
    return np.moveaxis(data, 1, -1).reshape(-1, scores.shape[1]), scores.shape[:1] + scores.shape[2:]


def _unrows(rows: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """The inverse of `_rows`: gradient rows (M, C) laid out as scores of `shape`."""
    if len(shape) == 2:
        return rows
    if len(shape) == 1:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape((shape[0],) + shape[2:] + shape[1:2]), -1, 1)


def _class_weight(op: str, weight: Optional[Tensor], classes: int) -> Optional[np.ndarray]:
    """A per-class rescaling weight (C,), a constant as in PyTorch."""
    if weight is None:
        return None
    if weight.shape != (classes,):
        raise ValueError(f"{op}: expected weight of shape ({classes},) (one per class), got {weight.shape}")
    _constant(op, "weight", weight)
    return weight.data


def _constant(op: str, name: str, value: Optional[Tensor]) -> None:
    if value is not None and value.requires_grad:
        raise RuntimeError(f"{op} is not differentiable with respect to {name}: it cannot "
                           "require grad (detach it)")


def _labels(op: str, target: Tensor, batch_shape: Tuple[int, ...], classes: int,
            ignore_index: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Class indices of `batch_shape`, flattened, and the mask of those not equal to
    `ignore_index` (None when every one counts). Each counted label must be in [0, C)."""
    labels = target.data
    if labels.shape != batch_shape:
        raise ValueError(f"{op}: expected target of shape {batch_shape} (class indices) for "
                         f"scores with {classes} classes, got {labels.shape}")
    if labels.ndim != 1:
        labels = labels.reshape(-1)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}")
    checks.integer(f"{op}: ignore_index", ignore_index)
    if not 0 <= ignore_index < classes and checks.all_classes(labels, classes):
        return labels, None  # every label a class, so none is the (usual, -100) ignore_index
    kept = labels != ignore_index
    if kept.all():
        checks.class_indices(op, labels, classes)  # names the first bad label
        return labels, None
    checks.class_indices(op, labels[kept], classes)
    return np.where(kept, labels, 0), kept


def _index_coefficients(labels: np.ndarray, kept: Optional[np.ndarray], classes: int,
                        weight: Optional[np.ndarray], smoothing: float,
                        dtype: np.dtype) -> Tuple[np.ndarray, float]:
    """q (M, C) with loss_m = -sum_c q_mc log p_mc, and the 'mean' denominator, for class
    indices as PyTorch weighs them: q_m = (1 - s) w_y onehot(y) + s / C * w for a kept
    label y (0 for an ignored one); the mean divides by the sum of w_y over kept labels."""
    rows = np.arange(labels.shape[0])
    class_weight = np.ones(classes, dtype) if weight is None else weight.astype(dtype, copy=False)
    label_weight = class_weight[labels]
    if kept is not None:
        label_weight = label_weight * kept
    q = np.zeros((labels.shape[0], classes), dtype)
    q[rows, labels] = (1 - smoothing) * label_weight
    if smoothing:
        q += (smoothing / classes) * class_weight * (1 if kept is None else kept[:, np.newaxis])
    return q, float(label_weight.sum())


class CrossEntropy(Function):
    """loss = -sum_c q_c log_softmax(x)_c per sample, as `torch.nn.functional.cross_entropy`.

    For class indices y, q = onehot(y) (weighted by `weight[y]`, mixed with the uniform
    s / C by label smoothing s, zero where y == ignore_index; 'mean' divides by the summed
    weights of the counted samples). For class probabilities p (the logits' shape),
    q = weight * ((1 - s) p + s / C) and 'mean' divides by the number of samples.
    dloss/dx = softmax(x) sum_c q_c - q;  dloss/dp = -(1 - s) weight log_softmax(x).

    The log-sum-exp subtracts each row's max first, so logits of +-1000 stay finite:
    with e = exp(x - max), log_softmax(x) = x - max - log(sum_c e_c) and
    softmax(x) = e / sum_c e_c.
    """

    @staticmethod
    def forward(ctx: ContextManager, logits: Tensor, target: Tensor, reduction: str = "mean",
                weight: Optional[Tensor] = None, ignore_index: int = -100,
                label_smoothing: float = 0.0) -> Tensor:
        checks.reduction("cross_entropy", reduction)
        smoothing = (checks.probability("cross_entropy: label_smoothing", label_smoothing)
                     if label_smoothing != 0.0 else 0.0)
        x, batch_shape = _rows("cross_entropy", logits)
        classes = x.shape[1]
        if not classes:
            raise ValueError(f"cross_entropy: expected scores of at least one class, got shape {logits.shape}")
        class_weight = _class_weight("cross_entropy", weight, classes)
        # Each row's max read at its argmax, through flat indices (the row's offset plus a
        # column): NumPy's reductions over a few columns per row cost 2-4x more.
        starts = np.arange(0, x.size, classes)
        shifted = x - x.reshape(-1)[starts + x.argmax(axis=1)].reshape(-1, 1)
        exp = np.exp(shifted)
        total = row_sums(exp)
        log_total = np.log(total)
        # Backward needs softmax = exp / total only: it divides once, as it scales.
        ctx.exp, ctx.total, ctx.reduction = exp, total, reduction
        ctx.shapes = logits.shape, batch_shape
        ctx.q = ctx.picks = None
        if target.shape == logits.shape:
            probs = _rows("cross_entropy", target)[0].astype(x.dtype, copy=False)
            ctx.target_dtype, ctx.target_scale = target.dtype, (1 - smoothing) * (1 if class_weight is None else class_weight)
            q = probs * (1 - smoothing) + smoothing / classes if smoothing else probs
            ctx.q = q if class_weight is None else q * class_weight
            ctx.denominator = x.shape[0]
            shifted -= log_total  # log_softmax, in the array this op made
            ctx.log_probs = shifted
            losses = -(ctx.q * shifted).sum(axis=1)
        else:
            labels, kept = _labels("cross_entropy", target, batch_shape, classes, ignore_index)
            if class_weight is None and not smoothing and kept is None:
                # The plain case, the training hot path: -log_softmax(x)[y] = log_total - shifted[y],
                # with no (M, C) coefficients and no log_softmax array; each y read through its
                # flat index, which costs a fifth of indexing with (rows, labels).
                ctx.picks = starts + (labels if labels.dtype.kind == "i" else labels.astype(np.intp))
                ctx.denominator = labels.shape[0]
                picked = shifted.reshape(-1)[ctx.picks]
                if reduction == "mean" and ctx.denominator:
                    # Summed apart, as by hand: no per-sample array.
                    loss = (np.add.reduce(log_total, axis=None) - np.add.reduce(picked)) / ctx.denominator
                    return Tensor(np.asarray(loss, dtype=x.dtype))
                losses = log_total.reshape(-1) - picked
            else:
                ctx.q, ctx.denominator = _index_coefficients(labels, kept, classes, class_weight,
                                                             smoothing, x.dtype)
                shifted -= log_total
                losses = -(ctx.q * shifted).sum(axis=1)
        if losses.shape != batch_shape:
            losses = losses.reshape(batch_shape)
        return Tensor(_reduce(losses, reduction, ctx.denominator))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        q = ctx.q
        logits_shape, batch_shape = ctx.shapes
        scale = _scale(grad_output.data, ctx.reduction, ctx.denominator, batch_shape)
        if ctx.reduction == "none":
            scale = scale.reshape(-1, 1)
        grad_logits = grad_target = None
        if q is None:
            # softmax * scale in one pass, dividing by total / scale; then - scale at the labels
            grad = ctx.exp / (ctx.total / scale)
            grad.reshape(-1)[ctx.picks] -= scale if scale.ndim < 2 else scale[:, 0]
            grad_logits = Tensor(_unrows(grad, logits_shape))
        elif ctx.needs_input_grad[0]:
            grad = (ctx.exp / ctx.total * q.sum(axis=1, keepdims=True) - q) * scale
            grad_logits = Tensor(_unrows(grad, logits_shape))
        if ctx.picks is None and ctx.needs_input_grad[1]:
            grad = -ctx.log_probs * ctx.target_scale * scale
            grad_target = Tensor(_unrows(grad, logits_shape).astype(ctx.target_dtype, copy=False))
        return grad_logits, grad_target, None, None, None, None


class NLL(Function):
    """loss = -weight[y] x[y] per sample, for log-probabilities x (classes on axis 1) and
    class indices y, as `torch.nn.functional.nll_loss`; samples with y == ignore_index
    count 0, and 'mean' divides by the summed weights of the counted samples.
    dloss/dx[y] = -weight[y] (scaled by the reduction), 0 elsewhere."""

    @staticmethod
    def forward(ctx: ContextManager, log_probs: Tensor, target: Tensor, reduction: str = "mean",
                weight: Optional[Tensor] = None, ignore_index: int = -100) -> Tensor:
        checks.reduction("nll_loss", reduction)
        x, batch_shape = _rows("nll_loss", log_probs)
        classes = x.shape[1]
        class_weight = _class_weight("nll_loss", weight, classes)
        labels, kept = _labels("nll_loss", target, batch_shape, classes, ignore_index)
        rows = np.arange(labels.shape[0])
        if class_weight is None and kept is None:
            picked, denominator = None, labels.shape[0]
        else:
            picked = np.ones(labels.shape[0], x.dtype) if class_weight is None else class_weight[labels].astype(x.dtype)
            if kept is not None:
                picked = picked * kept
            denominator = float(picked.sum())
        losses = -x[rows, labels] if picked is None else -x[rows, labels] * picked
        ctx.rows, ctx.labels, ctx.picked, ctx.reduction = rows, labels, picked, reduction
        ctx.shapes, ctx.dtype, ctx.denominator = (log_probs.shape, batch_shape), x.dtype, denominator
        ctx.classes = classes
        return Tensor(_reduce(losses.reshape(batch_shape), reduction, denominator))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        scores_shape, batch_shape = ctx.shapes
        scale = _scale(grad_output.data, ctx.reduction, ctx.denominator, batch_shape).reshape(-1)
        if ctx.picked is not None:
            scale = scale * ctx.picked
        grad = np.zeros((ctx.rows.shape[0], ctx.classes), dtype=ctx.dtype)
        grad[ctx.rows, ctx.labels] = -scale
        return Tensor(_unrows(grad, scores_shape)), None, None, None, None


def _same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{op}: input of shape {input.shape} and target of shape "
                         f"{target.shape} differ; they must have the same shape")


def _elementwise_weight(op: str, weight: Optional[Tensor], shape: Tuple[int, ...]) -> Optional[np.ndarray]:
    """A rescaling weight broadcast to the input's `shape` (a constant, as in PyTorch)."""
    if weight is None:
        return None
    _constant(op, "weight", weight)
    try:
        return np.broadcast_to(weight.data, shape)
    except ValueError:
        raise ValueError(f"{op}: weight of shape {weight.shape} cannot be broadcast to the "
                         f"input's shape {shape}") from None


def _weighted_reduce(losses: np.ndarray, w: Optional[np.ndarray], reduction: str) -> Tensor:
    """The binary cross-entropy's elementwise `losses`, times the weight `w`, reduced, in
    the input's dtype (a float64 weight does not promote float32 losses)."""
    weighted = losses if w is None else losses * w
    return Tensor(_reduce(weighted, reduction).astype(losses.dtype, copy=False))


def _weighted_scale(ctx: ContextManager, grad_output: Tensor) -> np.ndarray:
    """dL/d(each element's loss) of a binary cross-entropy, times its weight `ctx.w`."""
    scale = _scale(grad_output.data, ctx.reduction, ctx.x.size, ctx.x.shape)
    return scale if ctx.w is None else scale * ctx.w


class BinaryCrossEntropy(Function):
    """loss = -weight (y log x + (1 - y) log(1 - x)) elementwise, for probabilities x in
    [0, 1], as `torch.nn.functional.binary_cross_entropy` (each log clamped at -100).
    dx = weight (x - y) / max(x (1 - x), 1e-12);  dy = weight (log(1 - x) - log x)."""

    @staticmethod
    def forward(ctx: ContextManager, input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                reduction: str = "mean") -> Tensor:
        checks.reduction("binary_cross_entropy", reduction)
        _same_shape("binary_cross_entropy", input, target)
        x = float_data(input)
        if x.size and not (np.minimum.reduce(x, axis=None) >= 0 and np.maximum.reduce(x, axis=None) <= 1):
            raise ValueError("binary_cross_entropy: every element of input must be a probability "
                             f"in [0, 1]; got values from {x.min()} to {x.max()} (apply sigmoid, "
                             "or use binary_cross_entropy_with_logits)")
        y = target.data.astype(x.dtype, copy=False)
        w = _elementwise_weight("binary_cross_entropy", weight, x.shape)
        with np.errstate(divide="ignore"):
            log_x, log_1mx = np.maximum(np.log(x), _LOG_FLOOR), np.maximum(np.log1p(-x), _LOG_FLOOR)
        losses = -(y * log_x + (1 - y) * log_1mx)
        ctx.x, ctx.y, ctx.w, ctx.logs, ctx.reduction = x, y, w, (log_x, log_1mx), reduction
        ctx.target_dtype = target.dtype
        return _weighted_reduce(losses, w, reduction)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        x, y, scale = ctx.x, ctx.y, _weighted_scale(ctx, grad_output)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = Tensor(((x - y) / np.maximum(x * (1 - x), _BCE_EPS) * scale).astype(x.dtype, copy=False))
        if ctx.needs_input_grad[1]:
            log_x, log_1mx = ctx.logs
            grad_target = Tensor(((log_1mx - log_x) * scale).astype(ctx.target_dtype, copy=False))
        return grad_input, grad_target, None, None


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """loss = weight ((1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)) elementwise, i.e.
    -weight (pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) computed stably,
    as `torch.nn.functional.binary_cross_entropy_with_logits`; pos_weight broadcasts
    along the last axis (one per class).
    dx = weight ((1 - y) - (1 + (pos_weight - 1) y) sigmoid(-x));
    dy = weight ((pos_weight - 1) softplus(-x) - x)."""

    @staticmethod
    def forward(ctx: ContextManager, input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                pos_weight: Optional[Tensor] = None, reduction: str = "mean") -> Tensor:
        op = "binary_cross_entropy_with_logits"
        checks.reduction(op, reduction)
        _same_shape(op, input, target)
        x = float_data(input)
        y = target.data.astype(x.dtype, copy=False)
        w = _elementwise_weight(op, weight, x.shape)
        p = _elementwise_weight(op, pos_weight, x.shape)
        if pos_weight is not None:
            p = p.astype(x.dtype, copy=False)
        log_weight = 1.0 if p is None else 1 + (p - 1) * y
        softplus_neg = _softplus(-x)
        losses = (1 - y) * x + log_weight * softplus_neg
        ctx.x, ctx.y, ctx.w, ctx.p, ctx.log_weight = x, y, w, p, log_weight
        ctx.softplus_neg, ctx.reduction, ctx.target_dtype = softplus_neg, reduction, target.dtype
        return _weighted_reduce(losses, w, reduction)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        x, y, scale = ctx.x, ctx.y, _weighted_scale(ctx, grad_output)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            sigmoid_neg = np.exp(-ctx.softplus_neg - x)  # sigmoid(-x) = exp(-x - softplus(-x))
            grad_input = Tensor((((1 - y) - ctx.log_weight * sigmoid_neg) * scale).astype(x.dtype, copy=False))
        if ctx.needs_input_grad[1]:
            slope = -x if ctx.p is None else (ctx.p - 1) * ctx.softplus_neg - x
            grad_target = Tensor((slope * scale).astype(ctx.target_dtype, copy=False))
        return grad_input, grad_target, None, None, None


# -------------------------------------------------------------------------- regression

def _difference(op: str, ctx: ContextManager, predicted: Tensor, target: Tensor, reduction: str) -> np.ndarray:
    """predicted - target (same shapes), noting on ctx what backward needs for both."""
    checks.reduction(op, reduction)
    _same_shape(op, predicted, target)
    ctx.reduction, ctx.dtypes = reduction, (predicted.dtype, target.dtype)
    return float_data(predicted) - float_data(target)


def _difference_grads(ctx: ContextManager, grad: np.ndarray) -> Tuple[Optional[Tensor], Optional[Tensor]]:
    """The gradients of predicted (`grad`) and target (`-grad`) where they are needed."""
    grad_predicted = Tensor(grad.astype(ctx.dtypes[0], copy=False)) if ctx.needs_input_grad[0] else None
    grad_target = Tensor((-grad).astype(ctx.dtypes[1], copy=False)) if ctx.needs_input_grad[1] else None
    return grad_predicted, grad_target


class MSE(Function):
    """loss = reduce((a - b)**2) over all elements; da = 2 (a - b) g (over a.size for 'mean'), db = -da"""

    @staticmethod
    def forward(ctx: ContextManager, predicted: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        ctx.diff = diff = _difference("mse_loss", ctx, predicted, target, reduction)
        return Tensor(_reduce(diff * diff, reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = ctx.diff * _scale(2 * grad_output.data, ctx.reduction, ctx.diff.size, ctx.diff.shape)
        return _difference_grads(ctx, grad) + (None,)


class L1(Function):
    """loss = reduce(|a - b|); da = sign(a - b) g (0 where a == b, as PyTorch), db = -da"""

    @staticmethod
    def forward(ctx: ContextManager, predicted: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
        diff = _difference("l1_loss", ctx, predicted, target, reduction)
        ctx.sign = np.sign(diff)
        return Tensor(_reduce(np.abs(diff), reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = ctx.sign * _scale(grad_output.data, ctx.reduction, ctx.sign.size, ctx.sign.shape)
        return _difference_grads(ctx, grad) + (None,)


class Huber(Function):
    """loss = reduce(h(a - b)) with h(d) = d**2 / 2 for |d| <= delta, else delta (|d| - delta / 2),
    as `torch.nn.functional.huber_loss`; dh/dd = clip(d, -delta, delta), db = -da.
    (smooth_l1_loss with beta is this over beta.)"""

    @staticmethod
    def forward(ctx: ContextManager, predicted: Tensor, target: Tensor, reduction: str = "mean",
                delta: float = 1.0) -> Tensor:
        checks.positive("huber_loss: delta", delta)
        diff = _difference("huber_loss", ctx, predicted, target, reduction)
        size = np.abs(diff)
        quadratic = size <= delta
        losses = np.where(quadratic, 0.5 * diff * diff, delta * (size - 0.5 * delta)).astype(diff.dtype, copy=False)
        ctx.slope = np.clip(diff, -delta, delta).astype(diff.dtype, copy=False)
        return Tensor(_reduce(losses, reduction))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Optional[Tensor], ...]:
        grad = ctx.slope * _scale(grad_output.data, ctx.reduction, ctx.slope.size, ctx.slope.shape)
        return _difference_grads(ctx, grad) + (None, None)
