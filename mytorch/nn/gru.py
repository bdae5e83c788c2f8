"""The handout's gated recurrent unit: its cell (`GRUUnit`) and the layer over time (`GRU`,
imported from this module as the handout's autograder does; `mytorch.nn.GRU` is PyTorch's)."""
from typing import Tuple

from mytorch.nn.rnn import RecurrentUnit, TimeIterator, recurrent_parameter
from mytorch.tensor import Tensor, cat

_GATES = ("r", "z", "n")


class GRUUnit(RecurrentUnit):
    """One GRU step, as `torch.nn.GRUCell`:

        r = sigmoid(x W_ir.T + b_ir + h W_hr.T + b_hr)
        z = sigmoid(x W_iz.T + b_iz + h W_hz.T + b_hz)
        n = tanh(x W_in.T + b_in + r * (h W_hn.T + b_hn))
        h' = (1 - z) * n + z * h

    Args:
        input_size, hidden_size: I and H.
        nonlinearity: the candidate's nonlinearity; only 'tanh', as in PyTorch (the
            argument is the handout's).

    Parameters, the handout's names: weight_ir, weight_iz, weight_in (H, I), weight_hr,
    weight_hz, weight_hn (H, H), and the biases bias_ir ... bias_hn (H,), each drawn from
    U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does, in that order. The fused op sees them
    stacked in PyTorch's (r, z, n) order: `fused_weights()`.
    """

    kind = "GRU"

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, nonlinearity)
        for gate in _GATES:
            setattr(self, f"weight_i{gate}", recurrent_parameter(hidden_size, hidden_size, input_size))
        for gate in _GATES:
            setattr(self, f"weight_h{gate}", recurrent_parameter(hidden_size, hidden_size, hidden_size))
        for side in "ih":
            for gate in _GATES:
                setattr(self, f"bias_{side}{gate}", recurrent_parameter(hidden_size, hidden_size))

    def fused_weights(self) -> Tuple[Tensor, ...]:
        """(weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,)), each the
        three gates' parameters concatenated (r, z, n), so gradients reach each of them."""
        return tuple(cat([getattr(self, f"{kind}_{side}{gate}") for gate in _GATES], 0)
                     for kind, side in (("weight", "i"), ("weight", "h"), ("bias", "i"), ("bias", "h")))


class GRU(TimeIterator):
    """The handout's GRU over a sequence: TimeIterator over GRUUnit, one layer.

    (`mytorch.nn.GRU` is PyTorch's layer; this one is `mytorch.nn.gru.GRU`, the handout's.)

    Args:
        input_size, hidden_size: I and H.
        batch_first: see TimeIterator.

    Parameters: those of `unit` (GRUUnit), initialised as PyTorch. Input, output and the
    order of the final hidden states: see TimeIterator.
    """

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False) -> None:
        super().__init__(GRUUnit, input_size, hidden_size, batch_first=batch_first)
