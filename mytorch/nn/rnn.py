"""The handout's recurrent API (Fall 2020 HW3): what every cell shares (`RecurrentUnit`),
the Elman cell (`RNNUnit`), the loop over time (`TimeIterator`) and the Elman layer on it
(`RNN`, imported from this module as the handout's autograder does).

PyTorch's layers, `mytorch.nn.RNN`, `GRU` and `LSTM`, are in `mytorch/nn/recurrent.py`.
The two differ where the handout fixes the API: a TimeIterator takes and returns the
final hidden state as (B, H) in the packed order, longest sequence first; PyTorch's
layers as (num_layers * directions, B, H) in the original order.

Both run a whole sequence as one op per layer and direction
(`mytorch.nn.functional.recurrent_sequence`): no graph node per time step.
"""
from typing import Any, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.nn.util import PackedSequence
from mytorch.tensor import Tensor, get_default_dtype


def recurrent_parameter(hidden_size: int, *shape: int) -> Tensor:
    """A parameter of `shape` drawn from U(-k, k), k = 1/sqrt(hidden_size), PyTorch's rule
    for every weight and bias of its recurrent layers, from `np.random` in the default dtype."""
    bound = 1 / np.sqrt(hidden_size)
    values = np.random.uniform(-bound, bound, shape).astype(get_default_dtype(), copy=False)
    return Tensor(values, requires_grad=True, is_parameter=True)


class RecurrentUnit(Module):
    """What every cell shares: its sizes, its step, and what TimeIterator runs it by.

    A subclass sets `kind` ('RNN', 'GRU' or 'LSTM'), its parameters and `nonlinearities`
    (the values it accepts), and defines `fused_weights`; the LSTM's cell also `states`
    and `hidden`, for its pair (h, c).
    """

    kind = "RNN"
    nonlinearities: Tuple[str, ...] = ("tanh",)

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = checks.positive_int(f"{name}: input_size", input_size)
        self.hidden_size = checks.positive_int(f"{name}: hidden_size", hidden_size)
        self.nonlinearity = checks.one_of(f"{name}: nonlinearity", nonlinearity, self.nonlinearities)

    @property
    def mode(self) -> str:
        """PyTorch's name for the cell's kind: 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM'."""
        return f"RNN_{self.nonlinearity.upper()}" if self.kind == "RNN" else self.kind

    def forward(self, input: Tensor, hidden: Any = None) -> Any:
        """One step: input (B, I) and the hidden value (zeros when None) give the next one.
        Unbatched, as PyTorch's cells: input (I,) and hidden (H,) give (H,)."""
        name = type(self).__name__
        input = tensor_input(name, "input", input)
        checks.features(name, input.shape, self.input_size, (1, 2),
                        "(batch, input_size) or (input_size,)")
        states = self.states(hidden)
        if input.ndim == 2:
            return self.hidden(F.recurrent_step(self.mode, input, states, self.fused_weights()))
        states = tuple(None if state is None else state.unsqueeze(0) for state in states)
        new = F.recurrent_step(self.mode, input.unsqueeze(0), states, self.fused_weights())
        return self.hidden(tuple(state.squeeze(0) for state in new))

    def fused_weights(self) -> Tuple[Tensor, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) with the gates stacked, for the ops;
        the biases may be None."""
        raise NotImplementedError

    def states(self, hidden: Any) -> F.States:
        """The ops' states from the user's hidden value: (h,), or (None,) for zeros."""
        if hidden is None:
            return (None,)
        return (tensor_input(type(self).__name__, "hidden", hidden),)

    def hidden(self, states: Tuple[Tensor, ...]) -> Any:
        """The user's hidden value from the ops' states: h."""
        return states[0]

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

    def fused_weights(self) -> Tuple[Tensor, ...]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class TimeIterator(Module):
    """Runs a cell over every time step of a batch of sequences, as the handout's TimeIterator.

    Args:
        basic_unit: the cell class (RNNUnit, GRUUnit, or PyTorch's RNNCell, GRUCell,
            LSTMCell), built as `basic_unit(input_size, hidden_size)` (with
            `nonlinearity=` when it is not 'tanh') and kept as `.unit`.
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
    For an LSTM cell the hidden value is the pair (h, c).

    The whole sequence is one op (`F.recurrent_sequence`), whatever its length.
    """

    def __init__(self, basic_unit: type, input_size: int, hidden_size: int,
                 nonlinearity: str = "tanh", batch_first: bool = False) -> None:
        super().__init__()
        options = {} if nonlinearity == "tanh" else {"nonlinearity": nonlinearity}
        self.unit = basic_unit(input_size, hidden_size, **options)
        self.batch_first = checks.boolean(f"{type(self).__name__}: batch_first", batch_first)

    def forward(self, input: Union[PackedSequence, Tensor], hidden: Any = None
                ) -> Tuple[Union[PackedSequence, Tensor], Any]:
        name, unit = type(self).__name__, self.unit
        if isinstance(input, PackedSequence):
            data, sorted_indices, batch_sizes = input
            data = tensor_input(name, "input.data", data)
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
        states = unit.states(hidden)
        expected = (int(batch_sizes[0]), unit.hidden_size)
        for state in states:
            if state is not None and state.shape != expected:
                raise ValueError(f"{type(self).__name__}: hidden state of shape {state.shape} for "
                                 f"{expected[0]} sequences (expected {expected})")
        out, finals = F.recurrent_sequence(unit.mode, data, batch_sizes, states, unit.fused_weights())
        return out, unit.hidden(finals)

    def extra_repr(self) -> str:
        return f"batch_first={self.batch_first}" if self.batch_first else ""


class RNN(TimeIterator):
    """The handout's Elman RNN over a sequence: TimeIterator over RNNUnit, one layer.

    (`mytorch.nn.RNN` is PyTorch's layer; this one is `mytorch.nn.rnn.RNN`, the handout's.)

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
