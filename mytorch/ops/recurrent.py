"""Recurrent cells as fused ops: one time step (`RNNCell`, `GRUCell`, `LSTMCell`) and a
whole sequence (`RNNSequence`, `GRUSequence`, `LSTMSequence`).

Shared conventions, as PyTorch's `_VF.rnn_tanh_cell` / `gru_cell` / `lstm_cell` and
`_VF.rnn_tanh` / `gru` / `lstm`: weight_ih is (G*H, I) and weight_hh (G*H, H) with the G
gates stacked in PyTorch's order, the biases (G*H,) or None (a layer without bias).

**One step.** `forward(ctx, x, h, weight_ih, weight_hh, bias_ih, bias_hh, ...)`: x is
(B, I), h is (B, H) (for the LSTM, the state [h, c] side by side: (B, 2H)).

**A whole sequence**, for one direction of one layer, as one graph node: the forward
loop over time and the backward loop in reverse both run inside the op. The input side
of every step comes from matrix products over all rows before the loop (PyTorch's
`FullLayer` in aten/src/ATen/native/RNN.cpp), and the weight gradients from products over
all rows after the per-step data gradients (Appleyard, Kocisky and Blunsom, 2016), so a
batch of one sequence costs no product with an inner dimension of 1 per step. (One
product per block of gates: the gates are kept in two arrays, see `_start`.) The op keeps
only the arrays backward needs, each one array for the whole sequence.

The input is packed (`mytorch.nn.util`): rows time-major, step t's `batch_sizes[t]`
rows belonging to the first `batch_sizes[t]` sequences of a batch sorted longest first.
A padded batch is the packed one whose batch sizes are all equal. The op returns one
(N + k*B, H) array: the hidden state of every row (N of them), then the final state of
each of the B sequences (k = 1; the LSTM's h then c, k = 2). `sorted_indices` (None:
the identity) says which of the caller's sequences is j-th longest: the initial states
come in, and the final states go out, in the caller's order, as PyTorch's layers take
and return them for packed input.
"""
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.tensor import Tensor

Grads = Tuple[Optional[Tensor], ...]


def _sigmoid(a: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """1 / (1 + exp(-a)), without overflow for large negative a; into `out` (which may be a)."""
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _projections(op: str, gates: int, x: Tensor, h: Tensor, weight_ih: Tensor,
                 weight_hh: Tensor, bias_ih: Optional[Tensor],
                 bias_hh: Optional[Tensor]) -> Tuple[np.ndarray, np.ndarray]:
    """(x @ weight_ih.T + bias_ih, h @ weight_hh.T + bias_hh), after checking every shape.

    Raises:
        ValueError naming the op and the shapes that do not fit together.
    """
    hidden = _check_weights(op, gates, x, weight_ih, weight_hh, bias_ih, bias_hh)
    state = 2 * hidden if op == "LSTMCell" else hidden
    if h.shape != (x.shape[0], state):
        raise ValueError(f"{op}: hidden state of shape {h.shape} for input of shape {x.shape} "
                         f"(expected ({x.shape[0]}, {state}))")
    return _linear(x.data, weight_ih, bias_ih), _linear(h.data[:, :hidden], weight_hh, bias_hh)


def _check_weights(op: str, gates: int, x: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                   bias_ih: Optional[Tensor], bias_hh: Optional[Tensor]) -> int:
    """The hidden size H, after checking that x (rows, I), the weights and the biases fit
    `gates` gates.

    Raises:
        ValueError naming the op and the shapes.
    """
    hidden = weight_hh.shape[-1] if weight_hh.ndim else 0
    width = gates * hidden
    if (x.ndim != 2 or weight_ih.ndim != 2 or weight_ih.shape[0] != width
            or x.shape[1] != weight_ih.shape[1]):
        raise ValueError(f"{op}: input of shape {x.shape} does not fit weight_ih of shape "
                         f"{weight_ih.shape} (expected input (batch, {weight_ih.shape[-1]}) and "
                         f"weight_ih ({width}, input_size))")
    biases = [bias for bias in (bias_ih, bias_hh) if bias is not None]
    if weight_hh.shape != (width, hidden) or any(bias.shape != (width,) for bias in biases):
        raise ValueError(f"{op}: weight_hh {weight_hh.shape}, bias_ih "
                         f"{None if bias_ih is None else bias_ih.shape} and bias_hh "
                         f"{None if bias_hh is None else bias_hh.shape} do not fit {gates} gates "
                         f"of hidden size {hidden} (expected ({width}, {hidden}), ({width},), "
                         f"({width},))")
    return hidden


def _linear(x: np.ndarray, weight: Tensor, bias: Optional[Tensor]) -> np.ndarray:
    """x @ weight.T + bias (no bias when None), in one new array."""
    out = x @ weight.data.T
    if bias is not None:
        out += bias.data
    return out


def _save(ctx: ContextManager, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
          bias_ih: Optional[Tensor], bias_hh: Optional[Tensor]) -> None:
    ctx.save_for_backward(x, h, weight_ih, weight_hh)
    ctx.bias_dtypes = tuple(None if bias is None else bias.dtype for bias in (bias_ih, bias_hh))


def _linear_grads(ctx: ContextManager, grad_ih: np.ndarray, grad_hh: np.ndarray,
                  grad_h_direct: Optional[np.ndarray]) -> Grads:
    """The gradients of x, h, the weights and the biases, given those of the two
    projections (grad_ih of x @ W_ih.T + b_ih, grad_hh of h @ W_hh.T + b_hh) and any
    gradient that reaches h by another path (GRU's z * h, LSTM's f * c)."""
    x, h, weight_ih, weight_hh = ctx.saved_tensors
    needs = ctx.needs_input_grad
    hidden = weight_hh.shape[-1]
    h_data = h.data[:, :hidden]
    grad_x = grad_h = grad_wih = grad_whh = grad_bih = grad_bhh = None
    if needs[0]:
        grad_x = Tensor((grad_ih @ weight_ih.data).astype(x.dtype, copy=False))
    if needs[1]:
        grad = grad_hh @ weight_hh.data
        if grad_h_direct is not None:
            grad = np.concatenate([grad, grad_h_direct], axis=1) if h.shape[1] != hidden \
                else grad + grad_h_direct
        grad_h = Tensor(grad.astype(h.dtype, copy=False))
    if needs[2]:
        grad_wih = Tensor((grad_ih.T @ x.data).astype(weight_ih.dtype, copy=False))
    if needs[3]:
        grad_whh = Tensor((grad_hh.T @ h_data).astype(weight_hh.dtype, copy=False))
    if needs[4]:
        grad_bih = Tensor(grad_ih.sum(axis=0).astype(ctx.bias_dtypes[0], copy=False))
    if needs[5]:
        grad_bhh = Tensor(grad_hh.sum(axis=0).astype(ctx.bias_dtypes[1], copy=False))
    return grad_x, grad_h, grad_wih, grad_whh, grad_bih, grad_bhh


class RNNCell(Function):
    """h' = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh), act = tanh or relu, as `torch.nn.RNNCell`.

    With a = the pre-activation and da = dh' * act'(a) (1 - h'^2 for tanh, [a > 0] for relu):
    dx = da @ W_ih, dh = da @ W_hh, dW_ih = da.T @ x, dW_hh = da.T @ h, db_ih = db_hh = sum(da).
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                bias_ih: Optional[Tensor], bias_hh: Optional[Tensor],
                nonlinearity: str = "tanh") -> Tensor:
        checks.one_of("RNNCell: nonlinearity", nonlinearity, ("tanh", "relu"))
        projected, recurrent = _projections("RNNCell", 1, x, h, weight_ih, weight_hh, bias_ih,
                                            bias_hh)
        pre = projected + recurrent
        out = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
        _save(ctx, x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.out, ctx.nonlinearity = out, nonlinearity
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        out, grad = ctx.out, grad_output.data
        grad_pre = grad * (1 - out * out) if ctx.nonlinearity == "tanh" else grad * (out > 0)
        return (*_linear_grads(ctx, grad_pre, grad_pre, None), None)


class GRUCell(Function):
    """One GRU step, as `torch.nn.GRUCell`, gates stacked (r, z, n):

        r = sigmoid(x W_ir.T + b_ir + h W_hr.T + b_hr)
        z = sigmoid(x W_iz.T + b_iz + h W_hz.T + b_hz)
        n = tanh(x W_in.T + b_in + r * (h W_hn.T + b_hn))
        h' = (1 - z) * n + z * h

    Backward, with g = dh': dn = g (1 - z) (1 - n^2), dz = g (h - n) z (1 - z),
    dr = dn (h W_hn.T + b_hn) r (1 - r); the input side sees (dr, dz, dn), the hidden side
    (dr, dz, dn * r), and dh also gets g * z directly.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                bias_ih: Optional[Tensor], bias_hh: Optional[Tensor]) -> Tensor:
        projected, recurrent = _projections("GRUCell", 3, x, h, weight_ih, weight_hh, bias_ih,
                                            bias_hh)
        hidden = h.shape[1]
        rz = _sigmoid(projected[:, :2 * hidden] + recurrent[:, :2 * hidden])
        r, z = rz[:, :hidden], rz[:, hidden:]
        hn = recurrent[:, 2 * hidden:]
        n = np.tanh(projected[:, 2 * hidden:] + r * hn)
        out = n + z * (h.data - n)
        _save(ctx, x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.rz, ctx.n, ctx.hn = rz, n, hn
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        h = ctx.saved_tensors[1].data
        rz, n, hn, grad = ctx.rz, ctx.n, ctx.hn, grad_output.data
        hidden = n.shape[1]
        r, z = rz[:, :hidden], rz[:, hidden:]
        grad_n = grad * (1 - z) * (1 - n * n)
        grad_rz = np.empty_like(rz)
        grad_rz[:, :hidden] = grad_n * hn
        grad_rz[:, hidden:] = grad * (h - n)
        grad_rz *= rz * (1 - rz)
        grad_ih = np.concatenate([grad_rz, grad_n], axis=1)
        grad_hh = np.concatenate([grad_rz, grad_n * r], axis=1)
        return _linear_grads(ctx, grad_ih, grad_hh, grad * z)


class LSTMCell(Function):
    """One LSTM step, as `torch.nn.LSTMCell`, on the state s = [h, c] (B, 2H) and returning
    [h', c']; gates stacked (i, f, g, o) as PyTorch:

        i, f, o = sigmoid(...), g = tanh(...) of x W_ih.T + b_ih + h W_hh.T + b_hh
        c' = f * c + i * g,  h' = o * tanh(c')

    Backward, with dh', dc' the two halves of ds' and t = tanh(c'):
    dc = dc' + dh' o (1 - t^2); the gates get di = dc g, df = dc c, dg = dc i, do = dh' t
    times their own derivatives, and dc_prev = dc f.
    """

    @staticmethod
    def forward(ctx: ContextManager, x: Tensor, state: Tensor, weight_ih: Tensor,
                weight_hh: Tensor, bias_ih: Optional[Tensor],
                bias_hh: Optional[Tensor]) -> Tensor:
        projected, recurrent = _projections("LSTMCell", 4, x, state, weight_ih, weight_hh,
                                            bias_ih, bias_hh)
        hidden = weight_hh.shape[1]
        gates = projected + recurrent
        activated = _sigmoid(gates)  # i, f and o; g is a tanh
        activated[:, 2 * hidden:3 * hidden] = np.tanh(gates[:, 2 * hidden:3 * hidden])
        i, f = activated[:, :hidden], activated[:, hidden:2 * hidden]
        g, o = activated[:, 2 * hidden:3 * hidden], activated[:, 3 * hidden:]
        c = f * state.data[:, hidden:] + i * g
        tanh_c = np.tanh(c)
        _save(ctx, x, state, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.activated, ctx.tanh_c = activated, tanh_c
        return Tensor(np.concatenate([o * tanh_c, c], axis=1))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        state = ctx.saved_tensors[1].data
        activated, tanh_c, grad = ctx.activated, ctx.tanh_c, grad_output.data
        hidden = tanh_c.shape[1]
        i, f = activated[:, :hidden], activated[:, hidden:2 * hidden]
        g, o = activated[:, 2 * hidden:3 * hidden], activated[:, 3 * hidden:]
        grad_h, grad_c = grad[:, :hidden], grad[:, hidden:]
        grad_c = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        grad_gates = np.concatenate([grad_c * g, grad_c * state[:, hidden:], grad_c * i,
                                     grad_h * tanh_c], axis=1)
        derivative = activated * (1 - activated)
        derivative[:, 2 * hidden:3 * hidden] = 1 - g * g
        grad_gates *= derivative
        return _linear_grads(ctx, grad_gates, grad_gates, grad_c * f)


# ------------------------------------------------------------------ whole sequences

Step = Tuple[int, int, int, int]  # (start, size, carried, source): see _Walk.steps

# The LSTM's gates inside its sequence op: i, f, o, g (PyTorch stacks i, f, g, o), so the
# three sigmoids are one block.
_LSTM_ORDER = np.array([0, 1, 3, 2])


class _Walk:
    """One direction's walk over packed data, with the op's arguments checked.

    Step t's rows are [starts[t], starts[t] + sizes[t]), the first sizes[t] sequences of
    the sorted batch. Forward, the state a step starts from is the previous step's output
    for its sequences (t = 0: the initial state). In reverse a step starts from the next
    step's output for the sequences that run on to it, and from the initial state for the
    others, which start at their last step.

    Attributes:
        sizes: the steps' batch sizes, a Python list.
        rows, batch, hidden: N (every row), B (sequences), H.
        order: sorted_indices as an array, or None for the identity.
        reverse: the direction.
        last_rows: for each sorted sequence, the row of the step it ends on.
        dtype: the dtype of the computation (NumPy's promotion of the inputs').
    """

    def __init__(self, op: str, gates: int, input: Tensor, states: Sequence[Optional[Tensor]],
                 weights: Sequence[Optional[Tensor]], batch_sizes: Any, reverse: Any,
                 sorted_indices: Any) -> None:
        sizes = np.asarray(batch_sizes)
        if (sizes.ndim != 1 or not sizes.size or sizes.dtype.kind not in "iu" or sizes[-1] < 1
                or (np.diff(sizes) > 0).any()):
            raise ValueError(f"{op}: batch_sizes must be a non-empty 1-d sequence of positive, "
                             f"non-increasing integers, got {batch_sizes!r}")
        if input.ndim != 2 or input.shape[0] != sizes.sum():
            raise ValueError(f"{op}: input of shape {input.shape} for batch_sizes summing to "
                             f"{sizes.sum()} (expected ({sizes.sum()}, input_size))")
        self.hidden = _check_weights(op, gates, input, *weights)
        self.batch, self.rows = int(sizes[0]), int(sizes.sum())
        expected = (self.batch, self.hidden)
        for name, state in zip(("hx", "cx"), states):
            if state is not None and state.shape != expected:
                raise ValueError(f"{op}: {name} of shape {state.shape} for {self.batch} sequences "
                                 f"of hidden size {self.hidden} (expected {expected})")
        self.reverse = checks.boolean(f"{op}: reverse", reverse)
        self.order = None
        if sorted_indices is not None:
            order = np.asarray(sorted_indices)
            if order.shape != (self.batch,) or not np.array_equal(np.sort(order), np.arange(self.batch)):
                raise ValueError(f"{op}: sorted_indices {sorted_indices!r} is not a permutation "
                                 f"of the {self.batch} sequences")
            self.order = order
        self.sizes = sizes.tolist()
        # The number of steps each sorted sequence has, then the row of its final state.
        lengths = np.searchsorted(-sizes, -np.arange(self.batch), side="left")
        self.last_rows = np.arange(self.batch) if self.reverse else \
            (np.cumsum(sizes) - sizes)[lengths - 1] + np.arange(self.batch)
        self.dtype = np.result_type(input.dtype, *[t.dtype for t in (*states, *weights) if t is not None])

    def steps(self, backward: bool = False) -> Iterator[Step]:
        """(start, size, carried, source) of every step, in the order the direction runs
        them (the opposite for `backward`): the step's rows are [start, start + size); of
        the state it starts from, rows [0, carried) are the outputs at rows [source,
        source + carried), and rows [carried, size) are those of the initial state."""
        sizes, reverse = self.sizes, self.reverse
        last = len(sizes) - 1
        ascending = reverse == backward
        start = 0 if ascending else self.rows
        for t in (range(last + 1) if ascending else range(last, -1, -1)):
            size = sizes[t]
            if not ascending:
                start -= size
            if reverse:  # the step run before this one is t + 1
                yield (start, size, sizes[t + 1], start + size) if t < last else (start, size, 0, 0)
            else:  # t - 1
                yield (start, size, size, start - sizes[t - 1]) if t else (start, size, 0, 0)
            if ascending:
                start += size

    @staticmethod
    def previous(outputs: np.ndarray, initial: np.ndarray, step: Step) -> np.ndarray:
        """The state `step` starts from (size, H): a view where it is one block."""
        _, size, carried, source = step
        if carried == size:
            return outputs[source:source + size]
        if carried == 0:
            return initial[:size]
        return np.concatenate([outputs[source:source + carried], initial[carried:size]])

    def initial(self, state: Optional[Tensor]) -> np.ndarray:
        """The initial state (B, H) in the sorted order: zeros for None."""
        if state is None:
            return np.zeros((self.batch, self.hidden), self.dtype)
        data = state.data if self.order is None else state.data[self.order]
        return data.astype(self.dtype, copy=False)

    def put_finals(self, out: np.ndarray, states: np.ndarray) -> None:
        """Write the final states (taken from `states` (N, H) at `last_rows`) into `out`
        (B, H) in the caller's order."""
        if self.order is None:
            np.take(states, self.last_rows, axis=0, out=out)
        else:
            out[self.order] = states[self.last_rows]

    def sorted(self, grad: np.ndarray) -> np.ndarray:
        """A new (B, H) array of `grad` (B, H, the caller's order) in the sorted order."""
        return grad.copy() if self.order is None else grad[self.order]

    def unsorted(self, grad: np.ndarray, dtype: np.dtype) -> Tensor:
        """The gradient of an initial state from `grad` (B, H, sorted), in the caller's order."""
        if self.order is not None:
            unsorted = np.empty_like(grad)
            unsorted[self.order] = grad
            grad = unsorted
        return Tensor(grad.astype(dtype, copy=False))

    def hidden_weight_grad(self, grad: np.ndarray, outputs: np.ndarray,
                           initial: Optional[np.ndarray]) -> np.ndarray:
        """sum over steps of grad[step rows].T @ (the state the step started from); the
        initial state's rows left out when `initial` is None (zeros).

        Blocks of steps whose rows and previous states both follow on in memory are one
        product: one or two for a padded batch, a few per distinct length for a packed one.
        """
        sizes = np.asarray(self.sizes)
        starts, count = np.cumsum(sizes) - sizes, len(sizes)
        previous = np.arange(count) + (1 if self.reverse else -1)
        has = (previous >= 0) & (previous < count)
        previous = previous.clip(0, count - 1)
        carried = np.where(has, np.minimum(sizes, sizes[previous]), 0)
        result = np.zeros((grad.shape[1], outputs.shape[1]), np.result_type(grad, outputs))
        blocks = _blocks(starts, starts[previous], carried, outputs)
        if initial is not None:
            blocks += _blocks(starts + carried, carried, sizes - carried, initial)
        for row, source, length, states in blocks:
            result += grad[row:row + length].T @ states[source:source + length]
        return result


def _blocks(rows: np.ndarray, sources: np.ndarray, lengths: np.ndarray,
            states: np.ndarray) -> List[Tuple[int, int, int, np.ndarray]]:
    """(row, source, length, states) for the blocks rows[k] + [0, lengths[k]) <- sources[k] +
    [0, lengths[k]) of `states`, in increasing row order, joined where both follow on."""
    keep = lengths > 0
    rows, sources, lengths = rows[keep], sources[keep], lengths[keep]
    if not rows.size:
        return []
    follows = (rows[1:] == rows[:-1] + lengths[:-1]) & (sources[1:] == sources[:-1] + lengths[:-1])
    heads = np.flatnonzero(np.concatenate([[True], ~follows]))
    totals = np.add.reduceat(lengths, heads)
    return [(row, source, length, states)
            for row, source, length in zip(rows[heads].tolist(), sources[heads].tolist(), totals.tolist())]


def _internal(array: np.ndarray, gates: int, order: Optional[np.ndarray]) -> np.ndarray:
    """A weight (G*H, K) or bias (G*H,) with its gates in the op's order `order` (None:
    as PyTorch stacks them)."""
    if order is None:
        return array
    return array.reshape(gates, -1, *array.shape[1:])[order].reshape(array.shape)


def _external(grad: np.ndarray, gates: int, order: Optional[np.ndarray], dtype: np.dtype) -> Tensor:
    """The gradient of a weight or bias from its op-order form (the inverse of _internal),
    in an array of its own: the two biases' gradients come from one array."""
    if order is not None:
        grad = grad.reshape(gates, -1, *grad.shape[1:])[np.argsort(order)].reshape(grad.shape)
    return Tensor(np.array(grad, dtype=dtype))


def _column_blocks(split: int, width: int) -> List[Tuple[int, int]]:
    """The op's blocks of gate columns: [0, split) and [split, width), or one block."""
    return [(0, split), (split, width)] if split < width else [(0, width)]


def _start(ctx: ContextManager, walk: _Walk, input: Tensor, states: Sequence[Optional[Tensor]],
           weight_ih: Tensor, weight_hh: Tensor, bias_ih: Optional[Tensor],
           bias_hh: Optional[Tensor], split: int, folded: int, order: Optional[np.ndarray] = None,
           out: Optional[np.ndarray] = None) -> Tuple[np.ndarray, ...]:
    """Keep what every sequence op's backward needs on ctx (the initial state h as
    `ctx.initial`); return the input side of every row's pre-activations, x @ W_ih.T + b_ih
    plus b_hh's first `folded` columns (which add to the same pre-activations: once here,
    not once per step), as new arrays (N, columns) for the gate columns [0, split) and
    [split, G*H), in the gate order `order` (None: PyTorch's). Each block is one array so
    that a step's rows of it are one contiguous block of memory (a column slice of one
    (N, G*H) array is strided, which makes NumPy's elementwise work 2-3x slower). `out`,
    when given, receives the one block of a single-gate op."""
    ctx.save_for_backward(input, weight_ih, weight_hh, *[s for s in states if s is not None])
    ctx.walk, ctx.position, ctx.split, ctx.order = walk, 1 + len(states), split, order
    ctx.initial = walk.initial(states[0])
    ctx.state_dtypes = [None if s is None else s.dtype for s in states]
    ctx.bias_dtypes = tuple(None if bias is None else bias.dtype for bias in (bias_ih, bias_hh))
    gates = weight_ih.shape[0] // walk.hidden
    x = input.data.astype(walk.dtype, copy=False)
    weights = _internal(weight_ih.data, gates, order).astype(walk.dtype, copy=False)
    biases = [None if b is None else _internal(b.data, gates, order) for b in (bias_ih, bias_hh)]
    blocks = []
    for start, stop in _column_blocks(split, weight_ih.shape[0]):
        block = np.matmul(x, weights[start:stop].T, out=out)
        if biases[0] is not None:
            block += biases[0][start:stop]
        if biases[1] is not None and start < folded:
            block += biases[1][start:stop]
        blocks.append(block)
    return tuple(blocks)


def _hidden_weights(ctx: ContextManager) -> Tuple[np.ndarray, ...]:
    """weight_hh's row blocks, in the op's gate order and dtype (see _start)."""
    walk, weight_hh = ctx.walk, ctx.saved_tensors[2].data
    weights = _internal(weight_hh, weight_hh.shape[0] // walk.hidden, ctx.order)
    weights = weights.astype(walk.dtype, copy=False)
    return tuple(weights[start:stop] for start, stop in _column_blocks(ctx.split, weight_hh.shape[0]))


def _weight_grads(ctx: ContextManager, grads: Sequence[np.ndarray], outputs: np.ndarray,
                  scaled: Optional[np.ndarray] = None) -> Tuple[Optional[Tensor], ...]:
    """The gradients of the input, weight_ih, weight_hh, bias_ih and bias_hh, from those of
    every row's pre-activations (the blocks of _start): one matrix product each over every row.

    The hidden side's pre-activations get the same gradient, but for the GRU, whose second
    block there is the input side's times `scaled` (dn * r); it is scaled in place once the
    input side is done.
    """
    input, weight_ih, weight_hh = ctx.saved_tensors[:3]
    needs, position, order = ctx.needs_input_grad, ctx.position, ctx.order
    gates = weight_ih.shape[0] // ctx.walk.hidden
    grad_input = grad_wih = grad_whh = grad_bih = grad_bhh = None
    if needs[0]:
        weights = _internal(weight_ih.data, gates, order)
        blocks = _column_blocks(ctx.split, weight_ih.shape[0])
        grad_input = sum(grad @ weights[start:stop] for grad, (start, stop) in zip(grads, blocks))
        grad_input = Tensor(grad_input.astype(input.dtype, copy=False))
    if needs[position]:
        grad_wih = _external(np.concatenate([grad.T @ input.data for grad in grads]), gates, order,
                             weight_ih.dtype)
    sums = None
    if needs[position + 2] or needs[position + 3]:
        sums = np.concatenate([grad.sum(axis=0) for grad in grads])
    if needs[position + 2]:
        grad_bih = _external(sums, gates, order, ctx.bias_dtypes[0])
    if scaled is not None:
        grads[1] *= scaled
        if sums is not None:
            sums[ctx.split:] = grads[1].sum(axis=0)
    if needs[position + 1]:
        # A zero initial state adds nothing to the weight's gradient.
        initial = None if ctx.state_dtypes[0] is None else ctx.initial
        grad_whh = _external(np.concatenate([ctx.walk.hidden_weight_grad(grad, outputs, initial)
                                             for grad in grads]), gates, order, weight_hh.dtype)
    if needs[position + 3]:
        grad_bhh = _external(sums, gates, order, ctx.bias_dtypes[1])
    return grad_input, grad_wih, grad_whh, grad_bih, grad_bhh


class RNNSequence(Function):
    """Every step of an Elman RNN over packed input, for one direction:
    h_t = act(x_t W_ih.T + b_ih + h_{t-1} W_hh.T + b_hh), act = tanh or relu.

    Backward, from the last step run to the first: da_t = (dh_t) act'(a_t) (1 - h_t^2 for
    tanh, [h_t > 0] for relu), dh_{t-1} = da_t W_hh; then dx = da W_ih, dW_ih = da.T x,
    dW_hh = da.T h_prev and both biases sum(da), each one product over every row.

    Returns (N + B, H): every row's h_t, then each sequence's final h.
    """

    @staticmethod
    def forward(ctx: ContextManager, input: Tensor, hx: Optional[Tensor], weight_ih: Tensor,
                weight_hh: Tensor, bias_ih: Optional[Tensor], bias_hh: Optional[Tensor],
                batch_sizes: Any, nonlinearity: str = "tanh", reverse: bool = False,
                sorted_indices: Any = None) -> Tensor:
        checks.one_of("RNNSequence: nonlinearity", nonlinearity, ("tanh", "relu"))
        walk = _Walk("RNNSequence", 1, input, (hx,), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse, sorted_indices)
        rows, hidden = walk.rows, walk.hidden
        out = np.empty((rows + walk.batch, hidden), walk.dtype)
        # The pre-activations of every row, made its hidden states in place.
        _start(ctx, walk, input, (hx,), weight_ih, weight_hh, bias_ih, bias_hh, hidden, hidden,
               out=out[:rows])
        initial, w_hh = ctx.initial, _hidden_weights(ctx)[0].T
        for step in walk.steps():
            start, size = step[:2]
            h = out[start:start + size]
            h += walk.previous(out, initial, step) @ w_hh
            if nonlinearity == "tanh":
                np.tanh(h, out=h)
            else:
                np.maximum(h, 0, out=h)
        walk.put_finals(out[rows:], out)
        result = Tensor(out)
        ctx.save_for_backward(result)
        ctx.nonlinearity = nonlinearity
        return result

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        walk = ctx.walk
        out, (weight_hh,) = ctx.saved_tensors[-1].data, _hidden_weights(ctx)
        grad, rows = grad_output.data, walk.rows
        grad_pre = np.empty((rows, walk.hidden), walk.dtype)
        grad_h = walk.sorted(grad[rows:])  # d(the running state), sorted: now the finals'
        for step in walk.steps(backward=True):
            start, size = step[:2]
            h = out[start:start + size]
            g = grad_h[:size]
            g += grad[start:start + size]
            da = grad_pre[start:start + size]
            if ctx.nonlinearity == "tanh":
                np.multiply(g, 1 - h * h, out=da)
            else:
                np.multiply(g, h > 0, out=da)
            np.matmul(da, weight_hh, out=g)
        grad_hx = walk.unsorted(grad_h, ctx.state_dtypes[0]) if ctx.needs_input_grad[1] else None
        grad_input, grad_wih, grad_whh, grad_bih, grad_bhh = _weight_grads(ctx, [grad_pre], out)
        return grad_input, grad_hx, grad_wih, grad_whh, grad_bih, grad_bhh, None, None, None, None


class GRUSequence(Function):
    """Every step of a GRU over packed input, for one direction; each step as `GRUCell`:

        r, z = sigmoid(x W_i{r,z}.T + b_i{r,z} + h W_h{r,z}.T + b_h{r,z})
        n = tanh(x W_in.T + b_in + r * (h W_hn.T + b_hn)),  h' = n + z * (h - n)

    Backward per step, with g = dh': dn = g (1 - z)(1 - n^2), dz = g (h - n) z (1 - z),
    dr = dn (h W_hn.T + b_hn) r (1 - r), dh = [dr, dz] W_h{r,z} + (dn * r) W_hn + g z;
    then the input side (dr, dz, dn) and the hidden side (dr, dz, dn * r) each give their
    weight gradient in one product over every row.

    Returns (N + B, H): every row's h, then each sequence's final h.
    """

    @staticmethod
    def forward(ctx: ContextManager, input: Tensor, hx: Optional[Tensor], weight_ih: Tensor,
                weight_hh: Tensor, bias_ih: Optional[Tensor], bias_hh: Optional[Tensor],
                batch_sizes: Any, reverse: bool = False, sorted_indices: Any = None) -> Tensor:
        walk = _Walk("GRUSequence", 3, input, (hx,), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse, sorted_indices)
        rows, hidden = walk.rows, walk.hidden
        # The pre-activations become the gates [r, z] and n of every row, in place.
        rz_all, n_all = _start(ctx, walk, input, (hx,), weight_ih, weight_hh, bias_ih, bias_hh,
                               2 * hidden, 2 * hidden)
        hn_all = np.empty((rows, hidden), walk.dtype)  # h W_hn.T + b_hn of every row
        out = np.empty((rows + walk.batch, hidden), walk.dtype)
        initial, (w_rz, w_n) = ctx.initial, _hidden_weights(ctx)
        b_hn = None if bias_hh is None else bias_hh.data[2 * hidden:]
        for step in walk.steps():
            start, size = step[:2]
            stop = start + size
            h = walk.previous(out, initial, step)
            rz = rz_all[start:stop]
            rz += h @ w_rz.T
            _sigmoid(rz, out=rz)
            hn = hn_all[start:stop]
            np.matmul(h, w_n.T, out=hn)
            if b_hn is not None:
                hn += b_hn
            n = n_all[start:stop]
            n += rz[:, :hidden] * hn
            np.tanh(n, out=n)
            new = out[start:stop]
            np.subtract(h, n, out=new)
            new *= rz[:, hidden:]
            new += n
        walk.put_finals(out[rows:], out)
        result = Tensor(out)
        ctx.save_for_backward(result)
        ctx.rz, ctx.n, ctx.hn = rz_all, n_all, hn_all
        return result

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        walk, initial, rz_all, n_all, hn_all = ctx.walk, ctx.initial, ctx.rz, ctx.n, ctx.hn
        out, (w_rz, w_n) = ctx.saved_tensors[-1].data, _hidden_weights(ctx)
        grad, rows, hidden = grad_output.data, walk.rows, walk.hidden
        grad_rz_all = np.empty_like(rz_all)
        grad_n_all = np.empty_like(n_all)  # the input side's; the hidden side's is dn * r
        scratch = np.empty((walk.batch, hidden), walk.dtype)  # a step's dn * r
        grad_h = walk.sorted(grad[rows:])  # d(the running state), sorted: now the finals'
        for step in walk.steps(backward=True):
            start, size = step[:2]
            stop = start + size
            g = grad_h[:size]
            g += grad[start:stop]
            rz, n = rz_all[start:stop], n_all[start:stop]
            grad_rz, grad_n = grad_rz_all[start:stop], grad_n_all[start:stop]
            one_minus = 1 - rz
            np.multiply(g, one_minus[:, hidden:], out=grad_n)
            grad_n *= 1 - n * n
            np.multiply(grad_n, hn_all[start:stop], out=grad_rz[:, :hidden])
            np.subtract(walk.previous(out, initial, step), n, out=grad_rz[:, hidden:])
            grad_rz[:, hidden:] *= g
            one_minus *= rz
            grad_rz *= one_minus
            grad_nr = np.multiply(grad_n, rz[:, :hidden], out=scratch[:size])
            g *= rz[:, hidden:]  # the path through h' = n + z (h - n)
            g += grad_rz @ w_rz
            g += grad_nr @ w_n
        grad_hx = walk.unsorted(grad_h, ctx.state_dtypes[0]) if ctx.needs_input_grad[1] else None
        grad_input, grad_wih, grad_whh, grad_bih, grad_bhh = _weight_grads(
            ctx, [grad_rz_all, grad_n_all], out, scaled=rz_all[:, :hidden])
        return grad_input, grad_hx, grad_wih, grad_whh, grad_bih, grad_bhh, None, None, None


class LSTMSequence(Function):
    """Every step of an LSTM over packed input, for one direction; each step as `LSTMCell`
    (gates i, f, g, o):

        i, f, o = sigmoid(.), g = tanh(.) of x W_ih.T + b_ih + h W_hh.T + b_hh
        c' = f * c + i * g,  h' = o * tanh(c')

    Backward per step, with dh', dc' and t = tanh(c'): dc = dc' + dh' o (1 - t^2); the
    gates get di = dc g, df = dc c, dg = dc i, do = dh' t times their derivatives, then
    dh = d(gates) W_hh and dc_prev = dc f; the weight gradients are one product each.
    Inside, the gates are kept in the order i, f, o, g, the three sigmoids as one block.

    Returns (N + 2B, H): every row's h, then each sequence's final h, then its final c.
    """

    @staticmethod
    def forward(ctx: ContextManager, input: Tensor, hx: Optional[Tensor], cx: Optional[Tensor],
                weight_ih: Tensor, weight_hh: Tensor, bias_ih: Optional[Tensor],
                bias_hh: Optional[Tensor], batch_sizes: Any, reverse: bool = False,
                sorted_indices: Any = None) -> Tensor:
        walk = _Walk("LSTMSequence", 4, input, (hx, cx), (weight_ih, weight_hh, bias_ih, bias_hh),
                     batch_sizes, reverse, sorted_indices)
        rows, batch, hidden = walk.rows, walk.batch, walk.hidden
        # The pre-activations become the gates [i, f, o] and g of every row, in place.
        ifo_all, g_all = _start(ctx, walk, input, (hx, cx), weight_ih, weight_hh, bias_ih,
                                bias_hh, 3 * hidden, 4 * hidden, _LSTM_ORDER)
        cells = np.empty((rows, hidden), walk.dtype)  # c of every row
        out = np.empty((rows + 2 * batch, hidden), walk.dtype)
        initial, initial_c = ctx.initial, walk.initial(cx)
        w_ifo, w_g = _hidden_weights(ctx)
        for step in walk.steps():
            start, size = step[:2]
            stop = start + size
            h = walk.previous(out, initial, step)
            ifo, g = ifo_all[start:stop], g_all[start:stop]
            ifo += h @ w_ifo.T
            _sigmoid(ifo, out=ifo)
            g += h @ w_g.T
            np.tanh(g, out=g)
            c = cells[start:stop]
            np.multiply(ifo[:, hidden:2 * hidden], walk.previous(cells, initial_c, step), out=c)
            c += ifo[:, :hidden] * g
            new = out[start:stop]
            np.tanh(c, out=new)
            new *= ifo[:, 2 * hidden:]
        walk.put_finals(out[rows:rows + batch], out)
        walk.put_finals(out[rows + batch:], cells)
        result = Tensor(out)
        ctx.save_for_backward(result)
        ctx.initial_c, ctx.ifo, ctx.g, ctx.cells = initial_c, ifo_all, g_all, cells
        return result

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        walk, ifo_all, g_all, cells = ctx.walk, ctx.ifo, ctx.g, ctx.cells
        out, (w_ifo, w_g) = ctx.saved_tensors[-1].data, _hidden_weights(ctx)
        grad, rows, batch, hidden = grad_output.data, walk.rows, walk.batch, walk.hidden
        grad_ifo_all, grad_g_all = np.empty_like(ifo_all), np.empty_like(g_all)
        # d(the running states h and c), sorted: now the finals'.
        grad_h = walk.sorted(grad[rows:rows + batch])
        grad_c = walk.sorted(grad[rows + batch:])
        for step in walk.steps(backward=True):
            start, size = step[:2]
            stop = start + size
            gh, gc = grad_h[:size], grad_c[:size]
            gh += grad[start:stop]
            ifo, g = ifo_all[start:stop], g_all[start:stop]
            grad_ifo, grad_g = grad_ifo_all[start:stop], grad_g_all[start:stop]
            tanh_c = np.tanh(cells[start:stop])
            gc += gh * ifo[:, 2 * hidden:] * (1 - tanh_c * tanh_c)
            np.multiply(gc, g, out=grad_ifo[:, :hidden])
            np.multiply(gc, walk.previous(cells, ctx.initial_c, step), out=grad_ifo[:, hidden:2 * hidden])
            np.multiply(gh, tanh_c, out=grad_ifo[:, 2 * hidden:])
            grad_ifo *= ifo * (1 - ifo)
            np.multiply(gc, ifo[:, :hidden], out=grad_g)
            grad_g *= 1 - g * g
            np.matmul(grad_ifo, w_ifo, out=gh)
            gh += grad_g @ w_g
            gc *= ifo[:, hidden:2 * hidden]
        needs = ctx.needs_input_grad
        grad_hx = walk.unsorted(grad_h, ctx.state_dtypes[0]) if needs[1] else None
        grad_cx = walk.unsorted(grad_c, ctx.state_dtypes[1]) if needs[2] else None
        grad_input, grad_wih, grad_whh, grad_bih, grad_bhh = _weight_grads(
            ctx, [grad_ifo_all, grad_g_all], out)
        return (grad_input, grad_hx, grad_cx, grad_wih, grad_whh, grad_bih, grad_bhh,
                None, None, None)
