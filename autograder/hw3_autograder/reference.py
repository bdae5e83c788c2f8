"""NumPy references for homework 3: packing, the RNN and GRU cells and their gradients.

Written independently of MyTorch (per sequence, where MyTorch runs packed batches), so
agreement means something. Each hand-derived gradient is itself checked against central
differences of the reference's forward pass in the tests.
"""
from typing import Dict, List, Tuple

import numpy as np

from autograder.helpers import assert_numerically_close, numerical_grads

Params = Dict[str, np.ndarray]


def pack(sequences: List[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, sorted_indices, batch_sizes) of the sequences: longest first (ties in their
    original order), then time step by time step."""
    lengths = [len(s) for s in sequences]
    order = sorted(range(len(sequences)), key=lambda i: -lengths[i])  # sorted() is stable
    rows, batch_sizes = [], []
    for t in range(max(lengths)):
        running = [i for i in order if lengths[i] > t]
        batch_sizes.append(len(running))
        rows += [sequences[i][t] for i in running]
    return np.array(rows), np.array(order), np.array(batch_sizes)


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def rnn_cell(p: Params, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return np.tanh(x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"])


def rnn_cell_grads(p: Params, x: np.ndarray, h: np.ndarray, dout: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray, Params]:
    """(dx, dh, dparams) of h' = rnn_cell(p, x, h) for dL/dh' = dout."""
    da = dout * (1 - rnn_cell(p, x, h) ** 2)
    grads = {"weight_ih": da.T @ x, "weight_hh": da.T @ h, "bias_ih": da.sum(0), "bias_hh": da.sum(0)}
    return da @ p["weight_ih"], da @ p["weight_hh"], grads


def gru_cell(p: Params, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The GRU step with the handout's twelve parameters."""
    r = sigmoid(x @ p["weight_ir"].T + p["bias_ir"] + h @ p["weight_hr"].T + p["bias_hr"])
    z = sigmoid(x @ p["weight_iz"].T + p["bias_iz"] + h @ p["weight_hz"].T + p["bias_hz"])
    n = np.tanh(x @ p["weight_in"].T + p["bias_in"] + r * (h @ p["weight_hn"].T + p["bias_hn"]))
    return (1 - z) * n + z * h


def gru_cell_grads(p: Params, x: np.ndarray, h: np.ndarray, dout: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray, Params]:
    """(dx, dh, dparams) of h' = gru_cell(p, x, h) for dL/dh' = dout."""
    r = sigmoid(x @ p["weight_ir"].T + p["bias_ir"] + h @ p["weight_hr"].T + p["bias_hr"])
    z = sigmoid(x @ p["weight_iz"].T + p["bias_iz"] + h @ p["weight_hz"].T + p["bias_hz"])
    hn = h @ p["weight_hn"].T + p["bias_hn"]
    n = np.tanh(x @ p["weight_in"].T + p["bias_in"] + r * hn)
    dn = dout * (1 - z) * (1 - n ** 2)
    dz = dout * (h - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    d_input = {"r": dr, "z": dz, "n": dn}
    d_hidden = {"r": dr, "z": dz, "n": dn * r}
    grads, dx, dh = {}, 0, dout * z
    for gate in "rzn":
        grads[f"weight_i{gate}"] = d_input[gate].T @ x
        grads[f"bias_i{gate}"] = d_input[gate].sum(0)
        grads[f"weight_h{gate}"] = d_hidden[gate].T @ h
        grads[f"bias_h{gate}"] = d_hidden[gate].sum(0)
        dx = dx + d_input[gate] @ p[f"weight_i{gate}"]
        dh = dh + d_hidden[gate] @ p[f"weight_h{gate}"]
    return dx, dh, grads


def run(cell, p: Params, sequence: np.ndarray, h0: np.ndarray) -> List[np.ndarray]:
    """The hidden state after each step of one sequence (T, I), from h0 (H,)."""
    states, h = [], h0[None, :]
    for x in sequence:
        h = cell(p, x[None, :], h)
        states.append(h[0])
    return states


def random_params(rng: np.random.Generator, names_and_shapes: Dict[str, Tuple[int, ...]]) -> Params:
    return {name: rng.uniform(-0.7, 0.7, shape) for name, shape in names_and_shapes.items()}


def rnn_shapes(input_size: int, hidden_size: int) -> Dict[str, Tuple[int, ...]]:
    return {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size),
            "bias_ih": (hidden_size,), "bias_hh": (hidden_size,)}


def gru_shapes(input_size: int, hidden_size: int) -> Dict[str, Tuple[int, ...]]:
    shapes = {}
    for gate in "rzn":
        shapes[f"weight_i{gate}"] = (hidden_size, input_size)
        shapes[f"weight_h{gate}"] = (hidden_size, hidden_size)
        shapes[f"bias_i{gate}"] = (hidden_size,)
        shapes[f"bias_h{gate}"] = (hidden_size,)
    return shapes


def check_cell_grads(cell, cell_grads, p: Params, x: np.ndarray, h: np.ndarray,
                     dout: np.ndarray, what: str) -> Tuple[np.ndarray, np.ndarray, Params]:
    """The reference's hand-derived gradients, after checking them against central
    differences of sum(cell(p, x, h) * dout)."""
    dx, dh, grads = cell_grads(p, x, h, dout)
    names = sorted(p)
    loss = lambda: float((cell(p, x, h) * dout).sum())  # noqa: E731
    numeric = numerical_grads(loss, [x, h] + [p[name] for name in names])
    for name, expected, got in zip(["x", "h"] + names, numeric, [dx, dh] + [grads[n] for n in names]):
        assert_numerically_close(got, expected, f"{what}: the reference's d{name}")
    return dx, dh, grads


def final_states(states: List[List[np.ndarray]], order: np.ndarray) -> np.ndarray:
    """The last hidden state of each sequence, longest first (the handout's order)."""
    return np.array([states[i][-1] for i in order])
