"""One time step of a recurrent cell as one fused op: RNN, GRU and LSTM.

A recurrent layer applies its cell once per time step, so the cell's cost in Python
(one graph node per op) is paid T times per sequence. Each cell here is one `Function`:
its forward is a handful of vectorised NumPy operations over the whole batch and its
backward is the hand-derived gradient, so a time step costs one graph node.

Shared conventions, as PyTorch's `_VF.rnn_tanh_cell` / `gru_cell` / `lstm_cell`:

    forward(ctx, x, h, weight_ih, weight_hh, bias_ih, bias_hh, ...)

x is (B, I), h is (B, H) (for the LSTM, the state [h, c] side by side: (B, 2H)),
weight_ih is (G*H, I) and weight_hh (G*H, H) with the G gates stacked in PyTorch's order,
and the biases (G*H,). `input_projection`, when given, is x @ weight_ih.T + bias_ih already
computed by the caller: a layer computes it for every time step in one matrix product
instead of one small product per step. It must equal that product; the gradients do not
depend on it.
"""
from typing import Optional, Tuple

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import ContextManager, Function
from mytorch.tensor import Tensor

Grads = Tuple[Optional[Tensor], ...]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # The same value as 1 / (1 + exp(-a)), without overflow for large negative a.
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def _projections(op: str, gates: int, x: Tensor, h: Tensor, weight_ih: Tensor,
                 weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor,
                 input_projection: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """(x @ weight_ih.T + bias_ih, h @ weight_hh.T + bias_hh), after checking every shape.

    Raises:
        ValueError naming the op and the shapes that do not fit together.
    """
    hidden = weight_hh.shape[-1] if weight_hh.ndim else 0
    width = gates * hidden
    state = 2 * hidden if op == "LSTMCell" else hidden
    if (x.ndim != 2 or weight_ih.ndim != 2 or weight_ih.shape[0] != width
            or x.shape[1] != weight_ih.shape[1]):
        raise ValueError(f"{op}: input of shape {x.shape} does not fit weight_ih of shape "
                         f"{weight_ih.shape} (expected input (batch, {weight_ih.shape[-1]}) and "
                         f"weight_ih ({width}, input_size))")
    if weight_hh.shape != (width, hidden) or bias_ih.shape != (width,) or bias_hh.shape != (width,):
        raise ValueError(f"{op}: weight_hh {weight_hh.shape}, bias_ih {bias_ih.shape} and "
                         f"bias_hh {bias_hh.shape} do not fit {gates} gates of hidden size "
                         f"{hidden} (expected ({width}, {hidden}), ({width},), ({width},))")
    if h.shape != (x.shape[0], state):
        raise ValueError(f"{op}: hidden state of shape {h.shape} for input of shape {x.shape} "
                         f"(expected ({x.shape[0]}, {state}))")
    if input_projection is None:
        input_projection = x.data @ weight_ih.data.T + bias_ih.data
    elif input_projection.shape != (x.shape[0], width):
        raise ValueError(f"{op}: input_projection of shape {input_projection.shape}, expected "
                         f"{(x.shape[0], width)}")
    return input_projection, h.data[:, :hidden] @ weight_hh.data.T + bias_hh.data


def _save(ctx: ContextManager, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
          bias_ih: Tensor, bias_hh: Tensor) -> None:
    ctx.save_for_backward(x, h, weight_ih, weight_hh)
    ctx.bias_dtypes = (bias_ih.dtype, bias_hh.dtype)


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
                bias_ih: Tensor, bias_hh: Tensor, nonlinearity: str = "tanh",
                input_projection: Optional[np.ndarray] = None) -> Tensor:
        checks.one_of("RNNCell: nonlinearity", nonlinearity, ("tanh", "relu"))
        projected, recurrent = _projections("RNNCell", 1, x, h, weight_ih, weight_hh, bias_ih,
                                            bias_hh, input_projection)
        pre = projected + recurrent
        out = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
        _save(ctx, x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.out, ctx.nonlinearity = out, nonlinearity
        return Tensor(out)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Grads:
        out, grad = ctx.out, grad_output.data
        grad_pre = grad * (1 - out * out) if ctx.nonlinearity == "tanh" else grad * (out > 0)
        return (*_linear_grads(ctx, grad_pre, grad_pre, None), None, None)


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
                bias_ih: Tensor, bias_hh: Tensor,
                input_projection: Optional[np.ndarray] = None) -> Tensor:
        projected, recurrent = _projections("GRUCell", 3, x, h, weight_ih, weight_hh, bias_ih,
                                            bias_hh, input_projection)
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
        return (*_linear_grads(ctx, grad_ih, grad_hh, grad * z), None)


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
                weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor,
                input_projection: Optional[np.ndarray] = None) -> Tensor:
        projected, recurrent = _projections("LSTMCell", 4, x, state, weight_ih, weight_hh,
                                            bias_ih, bias_hh, input_projection)
        hidden = weight_hh.shape[1]
        gates = projected + recurrent
        # i, f and o are sigmoids, g a tanh; computed in place on the one (B, 4H) array.
        activated = _sigmoid(gates)
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
        return (*_linear_grads(ctx, grad_gates, grad_gates, grad_c * f), None)
