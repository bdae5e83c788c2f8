"""Long short-term memory: `LSTMCell` (one step) and `LSTM` (the layer over time), as PyTorch's."""
from typing import Any, Optional, Tuple

import numpy as np

from mytorch.nn.rnn import RecurrentUnit, TimeIterator, recurrent_parameter
from mytorch.ops import LSTMCell as LSTMCellOp
from mytorch.tensor import Tensor, cat


class LSTMCell(RecurrentUnit):
    """One LSTM step, as `torch.nn.LSTMCell`, gates in PyTorch's order (i, f, g, o):

        i, f, o = sigmoid(x W_ih.T + b_ih + h W_hh.T + b_hh) in their rows; g = tanh(...)
        c' = f * c + i * g,  h' = o * tanh(c')

    Args:
        input_size, hidden_size: I and H.
        nonlinearity: only 'tanh', as in PyTorch (there so TimeIterator builds every cell alike).

    Parameters weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), each
    from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does.

    `forward(input, hx=None)` takes input (B, I) and hx = (h, c), each (B, H) (zeros when
    None), and returns (h', c').
    """

    state_factor = 2  # the fused op's state is [h, c] side by side

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, nonlinearity)
        self.weight_ih = recurrent_parameter(hidden_size, 4 * hidden_size, input_size)
        self.weight_hh = recurrent_parameter(hidden_size, 4 * hidden_size, hidden_size)
        self.bias_ih = recurrent_parameter(hidden_size, 4 * hidden_size)
        self.bias_hh = recurrent_parameter(hidden_size, 4 * hidden_size)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, Tensor]:
        return super().forward(input, hx)

    def fused_weights(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def cell(self, x: Tensor, state: Tensor, weights: Tuple[Tensor, ...],
             input_projection: Optional[np.ndarray] = None) -> Tensor:
        return LSTMCellOp.apply(x, state, *weights, input_projection)

    def initial_state(self, hidden: Any, batch: int, dtype: np.dtype) -> Tensor:
        """[h, c] (batch, 2H): zeros for None, else the pair (h, c) side by side."""
        if hidden is None:
            return Tensor(np.zeros((batch, 2 * self.hidden_size), dtype))
        if not isinstance(hidden, (tuple, list)) or len(hidden) != 2:
            raise ValueError(f"LSTMCell: the hidden state must be a pair (h, c), got {hidden!r}")
        h, c = hidden
        if h.shape != c.shape:
            raise ValueError(f"LSTMCell: h of shape {h.shape} and c of shape {c.shape} differ")
        return cat([h, c], 1)

    def output(self, states: Tensor) -> Tensor:
        return states[:, :self.hidden_size]

    def final(self, state: Tensor) -> Tuple[Tensor, Tensor]:
        return state[:, :self.hidden_size], state[:, self.hidden_size:]


class LSTM(TimeIterator):
    """An LSTM over a sequence: TimeIterator over LSTMCell, as `torch.nn.LSTM` with one layer.

    Args:
        input_size, hidden_size: I and H.
        batch_first: see TimeIterator.

    `forward(input, hx=None)` returns (output, (h_n, c_n)); output and the packed order of
    h_n and c_n (each (B, H)) are as TimeIterator's. Parameters: those of `unit` (LSTMCell).
    """

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False) -> None:
        super().__init__(LSTMCell, input_size, hidden_size, batch_first=batch_first)
