"""The Elman RNN: its cell (`RNNUnit`) and the loop that runs any cell over time
(`TimeIterator`), which the GRU and LSTM layers reuse.

A cell maps (input step, state) to the next state. `TimeIterator` runs one over a
PackedSequence (or a padded tensor): step t is one call of the cell's fused op on the
`batch_sizes[t]` sequences still running, so each time step is one graph node whatever
the batch size. The input projections of all steps come from one matrix product.
"""
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.grad_mode import is_grad_enabled
from mytorch.nn.module import Module
from mytorch.nn.util import PackedSequence
from mytorch.ops import RNNCell
from mytorch.tensor import Tensor, cat, get_default_dtype


def recurrent_parameter(hidden_size: int, *shape: int) -> Tensor:
    """A parameter of `shape` drawn from U(-k, k), k = 1/sqrt(hidden_size), PyTorch's rule
    for every weight and bias of its recurrent layers, from `np.random` in the default dtype."""
    bound = 1 / np.sqrt(hidden_size)
    values = np.random.uniform(-bound, bound, shape).astype(get_default_dtype(), copy=False)
    return Tensor(values, requires_grad=True, is_parameter=True)


class RecurrentUnit(Module):
    """What every cell shares: its sizes, its forward for one step, and the interface
    TimeIterator runs it through (`fused_weights`, `cell`, `initial_state`, `output`, `final`).

    A subclass sets its parameters and `nonlinearities` (the values it accepts), and
    defines `fused_weights` and `cell`.
    """

    state_factor = 1  # the state the fused op carries is this many times H wide
    nonlinearities: Tuple[str, ...] = ("tanh",)

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = checks.positive_int(f"{name}: input_size", input_size)
        self.hidden_size = checks.positive_int(f"{name}: hidden_size", hidden_size)
        self.nonlinearity = checks.one_of(f"{name}: nonlinearity", nonlinearity, self.nonlinearities)

    def forward(self, input: Tensor, hidden: Any = None) -> Any:
        """One step: input (B, I) and the hidden value (zeros when None) give the next one."""
        input = tensor_input(type(self).__name__, "input", input)
        checks.features(type(self).__name__, input.shape, self.input_size, (2,), "(batch, input_size)")
        state = self.initial_state(hidden, input.shape[0], input.dtype)
        return self.final(self.cell(input, state, self.fused_weights()))

    def fused_weights(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) with the gates stacked, for the fused op."""
        raise NotImplementedError

    def cell(self, x: Tensor, state: Tensor, weights: Tuple[Tensor, ...],
             input_projection: Optional[np.ndarray] = None) -> Tensor:
        """The next state, from the cell's fused op."""
        raise NotImplementedError

    def initial_state(self, hidden: Any, batch: int, dtype: np.dtype) -> Tensor:
        """The state to start from: zeros of (batch, H) for None, else `hidden`."""
        if hidden is None:
            return Tensor(np.zeros((batch, self.hidden_size), dtype))
        if not isinstance(hidden, Tensor):
            raise TypeError(f"{type(self).__name__}: hidden must be a Tensor or None, "
                            f"got {type(hidden).__name__}")
        return hidden

    def output(self, states: Tensor) -> Tensor:
        """The hidden states h inside stacked states."""
        return states

    def final(self, state: Tensor) -> Any:
        """The hidden value returned to the user, from a state."""
        return state

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNUnit(RecurrentUnit):
    """h' = act(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh), as `torch.nn.RNNCell`.

    Args:
        input_size: features of each input step, I.
        hidden_size: features of the hidden state, H.
        nonlinearity: 'tanh' or 'relu'.

    Parameters weight_ih (H, I), bias_ih (H,), weight_hh (H, H), bias_hh (H,), each drawn
    from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does, in that order. `forward(input,
    hidden=None)` takes input (B, I) and hidden (B, H) (zeros when None) and returns (B, H).
    """

    nonlinearities = ("tanh", "relu")

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, nonlinearity)
        self.weight_ih = recurrent_parameter(hidden_size, hidden_size, input_size)
        self.bias_ih = recurrent_parameter(hidden_size, hidden_size)
        self.weight_hh = recurrent_parameter(hidden_size, hidden_size, hidden_size)
        self.bias_hh = recurrent_parameter(hidden_size, hidden_size)

    def fused_weights(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def cell(self, x: Tensor, state: Tensor, weights: Tuple[Tensor, ...],
             input_projection: Optional[np.ndarray] = None) -> Tensor:
        return RNNCell.apply(x, state, *weights, self.nonlinearity, input_projection)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class TimeIterator(Module):
    """Runs a cell over every time step of a batch of sequences, as the handout's TimeIterator.

    Args:
        basic_unit: the cell class (RNNUnit, GRUUnit, LSTMCell), built as
            `basic_unit(input_size, hidden_size, nonlinearity=nonlinearity)` and kept as `.unit`.
        input_size, hidden_size, nonlinearity: passed to the cell.
        batch_first: for a padded tensor input, whether it is (B, T, I) instead of (T, B, I).

    `forward(input, hidden=None)` takes:
        - a PackedSequence (of `pack_sequence`), and returns (PackedSequence of every
          hidden state, final hidden (B, H)). The final hidden states come in the packed
          order, longest sequence first (row j belongs to sequence `sorted_indices[j]`),
          as the handout specifies. This differs from PyTorch, which returns them in the
          original order and with a leading (num_layers,) axis. A `hidden` passed in is
          (B, H), in the same packed order, so a final hidden can be fed back in.
        - or a padded tensor (T, B, I) (or (B, T, I) with batch_first=True), and returns
          (every hidden state (T, B, H) (or (B, T, H)), final hidden (B, H)).
    """

    def __init__(self, basic_unit: type, input_size: int, hidden_size: int,
                 nonlinearity: str = "tanh", batch_first: bool = False) -> None:
        super().__init__()
        self.unit = basic_unit(input_size, hidden_size, nonlinearity=nonlinearity)
        self.batch_first = checks.boolean(f"{type(self).__name__}: batch_first", batch_first)

    def forward(self, input: Union[PackedSequence, Tensor], hidden: Any = None
                ) -> Tuple[Union[PackedSequence, Tensor], Any]:
        name, unit = type(self).__name__, self.unit
        if isinstance(input, PackedSequence):
            data, sorted_indices, batch_sizes = input
            checks.features(name, data.shape, unit.input_size, (2,), "packed data (rows, input_size)")
            out, final = self._run(data, np.asarray(batch_sizes), hidden)
            return PackedSequence(out, sorted_indices, batch_sizes), final
        if not isinstance(input, (Tensor, np.ndarray)):
            raise TypeError(f"{name}: input must be a PackedSequence, a Tensor or an ndarray, "
                            f"got {type(input).__name__}")
        input = tensor_input(name, "input", input)
        layout = "(batch, time, input_size)" if self.batch_first else "(time, batch, input_size)"
        checks.features(name, input.shape, unit.input_size, (3,), layout)
        x = input.transpose(0, 1) if self.batch_first else input
        steps, batch = x.shape[:2]
        if steps == 0 or batch == 0:
            raise ValueError(f"{name}: input of shape {input.shape} has no time steps or no sequences")
        # A padded batch is a packed one whose sequences all run to the end.
        out, final = self._run(x.reshape(steps * batch, x.shape[2]), np.full(steps, batch), hidden)
        out = out.reshape(steps, batch, out.shape[1])
        return (out.transpose(0, 1) if self.batch_first else out), final

    def _run(self, data: Tensor, batch_sizes: np.ndarray, hidden: Any) -> Tuple[Tensor, Any]:
        """(every hidden state, packed like data; the final hidden value, longest first)."""
        unit = self.unit
        state = unit.initial_state(hidden, int(batch_sizes[0]), data.dtype)
        expected = (int(batch_sizes[0]), unit.state_factor * unit.hidden_size)
        if state.shape != expected:
            raise ValueError(f"{type(self).__name__}: hidden state of shape {state.shape} for "
                             f"{expected[0]} sequences (expected {expected})")
        weights = unit.fused_weights()
        weight_ih, bias_ih = weights[0].data, weights[2].data
        projected = data.data @ weight_ih.T + bias_ih  # every step's input side at once
        sizes = batch_sizes.tolist()
        steps = _step_inputs(data, sizes)
        outputs, finished = [], []
        start = 0
        for size, x in zip(sizes, steps):
            if size < state.shape[0]:
                # The shortest running sequences ended at the previous step.
                finished.append(state[size:])
                state = state[:size]
            stop = start + size
            state = unit.cell(x, state, weights, projected[start:stop])
            outputs.append(state)
            start = stop
        finished.append(state)
        final = finished[0] if len(finished) == 1 else cat(finished[::-1], 0)
        states = outputs[0] if len(outputs) == 1 else cat(outputs, 0)
        return unit.output(states), unit.final(final)

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}" if self.batch_first else ""


def _step_inputs(data: Tensor, sizes: List[int]) -> List[Tensor]:
    """The rows of each time step: data split into blocks of `sizes` rows.

    A slice's gradient is an array of its whole input's shape, so slicing every step
    straight out of an input that requires grad would cost O(steps * rows) in backward.
    Halving instead (each half sliced from its parent) costs O(rows * log(steps)).
    """
    if not (data.requires_grad and is_grad_enabled()):
        ends = np.cumsum(sizes).tolist()
        return [data[stop - size:stop] for size, stop in zip(sizes, ends)]
    if len(sizes) == 1:
        return [data]
    half = len(sizes) // 2
    rows = sum(sizes[:half])
    return _step_inputs(data[:rows], sizes[:half]) + _step_inputs(data[rows:], sizes[half:])


class RNN(TimeIterator):
    """An Elman RNN over a sequence: TimeIterator over RNNUnit, as `torch.nn.RNN` with one layer.

    Args:
        input_size, hidden_size: I and H.
        nonlinearity: 'tanh' or 'relu'.
        batch_first: see TimeIterator.

    Parameters: `unit.weight_ih` (H, I), `unit.weight_hh` (H, H), `unit.bias_ih` and
    `unit.bias_hh` (H,), each from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch. Input, output and
    the order of the final hidden states: see TimeIterator.
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 batch_first: bool = False) -> None:
        super().__init__(RNNUnit, input_size, hidden_size, nonlinearity, batch_first)
