"""PyTorch's recurrent layers, `RNN`, `GRU` and `LSTM`, and cells, `RNNCell`, `GRUCell` and
`LSTMCell`, as `torch.nn`'s.

The parameters have PyTorch's names, shapes and gate order, so a state_dict copied from
torch gives the same outputs: a layer has weight_ih_l{k} (G*H, I for k = 0, else D*H),
weight_hh_l{k} (G*H, H), bias_ih_l{k} and bias_hh_l{k} (G*H,) for each layer k (and
`..._reverse` for the second direction), a cell weight_ih, weight_hh, bias_ih, bias_hh;
G = 1 (RNN), 3 (GRU: r, z, n) or 4 (LSTM: i, f, g, o). Every one starts in
U(-1/sqrt(H), 1/sqrt(H)), as PyTorch's.

Each direction of each layer runs the whole sequence as one op
(`F.recurrent_sequence`): no graph node per time step, and the weight gradients are one
matrix product over all steps. The handout's TimeIterator API is `mytorch.nn.rnn`.
"""
import warnings
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.autograd_engine import tensor_input
from mytorch.nn import functional as F
from mytorch.nn.module import Module, factory_keywords
from mytorch.nn.rnn import RecurrentUnit, recurrent_parameter
from mytorch.nn.util import PackedSequence
from mytorch.tensor import Tensor, cat, stack

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


class RNNBase(Module):
    """What `RNN`, `GRU` and `LSTM` share, as `torch.nn.RNNBase`.

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'GRU' or 'LSTM'.
        input_size, hidden_size: I and H.
        num_layers: stacked layers; each one's output is the next one's input.
        bias: whether the layers have biases.
        batch_first: padded input and output are (B, T, *) instead of (T, B, *).
        dropout: the probability of dropout on each layer's output but the last's, in
            training mode only.
        bidirectional: whether each layer also runs every sequence backwards, its output
            then the two directions' side by side (D = 2).

    `forward(input, hx=None)` takes a padded tensor (T, B, I) ((B, T, I) with batch_first),
    an unbatched one (T, I), or a PackedSequence; and hx (num_layers * D, B, H) (unbatched:
    (num_layers * D, H)), zeros when None; for the LSTM a pair (h_0, c_0). It returns
    (output, h_n) ((output, (h_n, c_n)) for the LSTM): output (T, B, D * H) ((B, T, D * H),
    (T, D * H), or a PackedSequence of (rows, D * H) like the input's), h_n like hx. With
    packed input, hx and h_n are in the original order of the sequences, as PyTorch's.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        self.mode = checks.one_of(f"{name}: mode", mode, tuple(_GATES))
        self.input_size = checks.positive_int(f"{name}: input_size", input_size)
        self.hidden_size = checks.positive_int(f"{name}: hidden_size", hidden_size)
        self.num_layers = checks.positive_int(f"{name}: num_layers", num_layers)
        self.bias = checks.boolean(f"{name}: bias", bias)
        self.batch_first = checks.boolean(f"{name}: batch_first", batch_first)
        self.dropout = float(checks.probability(f"{name}: dropout", dropout))
        self.bidirectional = checks.boolean(f"{name}: bidirectional", bidirectional)
        if self.dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with num_layers=1 "
                          "it does nothing", stacklevel=2)
        gates = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._all_weights: List[List[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates, input_size if layer == 0 else directions * hidden_size),
                          "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, recurrent_parameter(hidden_size, *shape))
                self._all_weights.append([kind + suffix for kind in shapes])

    @property
    def all_weights(self) -> List[List[Tensor]]:
        """Each layer and direction's parameters, [[weight_ih_l0, weight_hh_l0, ...], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights for cuDNN here; the ops here read them
        as they are. There so that PyTorch code that calls it runs."""

    def forward(self, input: Union[PackedSequence, Tensor], hx: Any = None) -> Tuple[Any, Any]:
        name = type(self).__name__
        directions = 2 if self.bidirectional else 1
        if isinstance(input, PackedSequence):
            data, sorted_indices, batch_sizes = input
            data = tensor_input(name, "input.data", data)
            checks.features(name, data.shape, self.input_size, (2,), "packed data (rows, input_size)")
            batch_sizes = np.asarray(batch_sizes)
            batch, batched = int(batch_sizes[0]), True
        else:
            input = tensor_input(name, "input", input)
            layout = "(batch, time, input_size)" if self.batch_first else "(time, batch, input_size)"
            checks.features(name, input.shape, self.input_size, (2, 3),
                            f"{layout}, or (time, input_size) unbatched")
            batched = input.ndim == 3
            x = input.transpose(0, 1) if batched and self.batch_first else input
            x = x if batched else x.unsqueeze(1)
            steps, batch = x.shape[:2]
            if steps == 0 or batch == 0:
                raise ValueError(f"{name}: input of shape {input.shape} has no time steps or "
                                 "no sequences")
            # A padded batch is a packed one whose sequences all run to the end.
            data, batch_sizes, sorted_indices = x.reshape(steps * batch, self.input_size), \
                np.full(steps, batch), None
        states = self._initial_states(hx, batch, batched)
        data, states = self._widened(data, states)
        finals: List[Tuple[Tensor, ...]] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                out, final = F.recurrent_sequence(
                    self.mode, data, batch_sizes, states[index], self._weights(index),
                    reverse=direction == 1, sorted_indices=sorted_indices)
                outputs.append(out)
                finals.append(final)
            data = outputs[0] if directions == 1 else cat(outputs, 1)
            if layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, self.training)
        # (num_layers * D, B, H) for each of h (and c)
        h_n = tuple(stack([final[k] for final in finals], 0) for k in range(len(finals[0])))
        if isinstance(input, PackedSequence):
            output = PackedSequence(data, sorted_indices, batch_sizes)
        else:
            output = data.reshape(steps, batch, directions * self.hidden_size)
            output = output.transpose(0, 1) if self.batch_first and batched else output
        if not batched:
            output = output.squeeze(1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        return output, (h_n if self.mode == "LSTM" else h_n[0])

    def _weights(self, index: int) -> Tuple[Optional[Tensor], ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer and direction `index`."""
        weights = tuple(getattr(self, name) for name in self._all_weights[index])
        return weights if self.bias else (*weights, None, None)

    def _initial_states(self, hx: Any, batch: int, batched: bool) -> List[F.States]:
        """The initial states of each layer and direction, ((h,) or (h, c), each (B, H) or None).

        Raises:
            ValueError naming the state and the shapes for one of the wrong shape; TypeError
            for one that is not a Tensor (or an LSTM's hx that is not a pair).
        """
        name = type(self).__name__
        count = self.num_layers * (2 if self.bidirectional else 1)
        names = ("h_0", "c_0") if self.mode == "LSTM" else ("h_0",)
        if hx is None:
            return [(None,) * len(names)] * count
        if self.mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{name}: hx must be a pair (h_0, c_0) of tensors, got {hx!r}")
        values = hx if self.mode == "LSTM" else (hx,)
        expected = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        states = []
        for state_name, value in zip(names, values):
            value = tensor_input(name, state_name, value)
            if value.shape != expected:
                raise ValueError(f"{name}: {state_name} of shape {value.shape}, expected "
                                 f"(num_layers * num_directions, "
                                 f"{'batch, ' if batched else ''}hidden_size) = {expected}")
            states.append(value if batched else value.unsqueeze(1))
        return [tuple(state[index] for state in states) for index in range(count)]

    def _widened(self, data: Tensor, states: List[Tuple[Optional[Tensor], ...]]
                 ) -> Tuple[Tensor, List[Tuple[Optional[Tensor], ...]]]:
        """Input and states in the weights' dtype: a narrower float (float32 into the default
        float64 layer) is widened in the graph, as `Linear` and the cells compute in the wider
        dtype; any other mismatch (float64 input into a float32 layer) is an error, as in
        PyTorch, rather than a silent loss of precision."""
        dtype = self.weight_ih_l0.dtype

        def widened(what: str, value: Optional[Tensor]) -> Optional[Tensor]:
            if value is None or value.dtype == dtype:
                return value
            if value.dtype.kind == "f" and np.promote_types(value.dtype, dtype) == dtype:
                return value.to(dtype)
            raise ValueError(f"{type(self).__name__}: {what} dtype {value.dtype} does not match "
                             f"the weights' dtype {dtype}; convert the {what} with "
                             f".to({dtype.name}) or the layer with .to({value.dtype.name})")

        return widened("input", data), [tuple(widened("hx", s) for s in layer) for layer in states]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for option, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                                ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, option) != default:
                text += f", {option}={getattr(self, option)}"
        return text


@factory_keywords
class RNN(RNNBase):
    """An Elman RNN, as `torch.nn.RNN`: h_t = act(x_t W_ih.T + b_ih + h_{t-1} W_hh.T + b_hh).

    Args (PyTorch's order):
        input_size, hidden_size, num_layers=1, nonlinearity='tanh' (or 'relu'), bias=True,
        batch_first=False, dropout=0.0, bidirectional=False: see RNNBase.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False) -> None:
        checks.one_of("RNN: nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity


@factory_keywords
class GRU(RNNBase):
    """A gated recurrent unit layer, as `torch.nn.GRU` (gates r, z, n; see `GRUCell`).

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False: see RNNBase.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)


@factory_keywords
class LSTM(RNNBase):
    """A long short-term memory layer, as `torch.nn.LSTM` (gates i, f, g, o; see `LSTMCell`).

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False: see RNNBase. hx and the returned state are pairs
    (h, c).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)


class RNNCellBase(RecurrentUnit):
    """What PyTorch's cells share, as `torch.nn.RNNCellBase`: weight_ih (G*H, I),
    weight_hh (G*H, H), bias_ih and bias_hh (G*H,) (None without bias), each from
    U(-1/sqrt(H), 1/sqrt(H)). `forward(input, hx=None)` runs one step on input (B, I) or
    (I,); a TimeIterator runs one over whole sequences."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, nonlinearity)
        self.bias = checks.boolean(f"{type(self).__name__}: bias", bias)
        width = self.gates * hidden_size
        self.weight_ih = recurrent_parameter(hidden_size, width, input_size)
        self.weight_hh = recurrent_parameter(hidden_size, width, hidden_size)
        if bias:
            self.bias_ih = recurrent_parameter(hidden_size, width)
            self.bias_hh = recurrent_parameter(hidden_size, width)
        else:
            self.bias_ih = self.bias_hh = None

    def forward(self, input: Tensor, hx: Any = None) -> Any:
        """One step on input (B, I) or (I,) from hx (zeros when None): PyTorch's names."""
        return super().forward(input, hx)

    def fused_weights(self) -> Tuple[Optional[Tensor], ...]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        text += "" if self.bias else ", bias=False"
        return text if self.nonlinearity == "tanh" else f"{text}, nonlinearity={self.nonlinearity!r}"


@factory_keywords
class RNNCell(RNNCellBase):
    """h' = act(x W_ih.T + b_ih + h W_hh.T + b_hh), as `torch.nn.RNNCell`.

    Args: input_size, hidden_size, bias=True, nonlinearity='tanh' (or 'relu').
    `forward(input, hx=None)`: input (B, I) and hx (B, H) (zeros when None) give h' (B, H).
    """

    nonlinearities = ("tanh", "relu")


@factory_keywords
class GRUCell(RNNCellBase):
    """One GRU step, as `torch.nn.GRUCell`, gates stacked (r, z, n):

        r = sigmoid(x W_ir.T + b_ir + h W_hr.T + b_hr)
        z = sigmoid(x W_iz.T + b_iz + h W_hz.T + b_hz)
        n = tanh(x W_in.T + b_in + r * (h W_hn.T + b_hn)),  h' = (1 - z) * n + z * h

    Args: input_size, hidden_size, bias=True. `forward(input, hx=None)` as RNNCell's.
    """

    kind, gates = "GRU", 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)


@factory_keywords
class LSTMCell(RNNCellBase):
    """One LSTM step, as `torch.nn.LSTMCell`, gates stacked (i, f, g, o):

        i, f, o = sigmoid(.), g = tanh(.) of x W_ih.T + b_ih + h W_hh.T + b_hh
        c' = f * c + i * g,  h' = o * tanh(c')

    Args: input_size, hidden_size, bias=True. `forward(input, hx=None)` takes hx = (h, c),
    each (B, H) (zeros when None), and returns (h', c').
    """

    kind, gates = "LSTM", 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)

    def states(self, hidden: Any) -> F.States:
        """(h, c) from the pair, or (None, None) for zeros.

        Raises:
            ValueError: anything but a pair of tensors of one shape.
        """
        name = type(self).__name__
        if hidden is None:
            return None, None
        if not isinstance(hidden, (tuple, list)) or len(hidden) != 2:
            raise ValueError(f"{name}: the hidden state must be a pair (h, c), got {hidden!r}")
        h, c = (tensor_input(name, part, value) for part, value in zip("hc", hidden))
        if h.shape != c.shape:
            raise ValueError(f"{name}: h of shape {h.shape} and c of shape {c.shape} differ")
        return h, c

    def hidden(self, states: Tuple[Tensor, ...]) -> Tuple[Tensor, Tensor]:
        return states[0], states[1]
