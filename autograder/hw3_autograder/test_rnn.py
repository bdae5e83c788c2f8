"""Problems 1.1 and 1.4: the RNN cell and the time iterator, against the NumPy reference.

Cells: outputs and every gradient (input, hidden state, each parameter) against the
reference's hand-derived gradients, themselves checked by central differences. Time
iterator: the packed outputs and final hidden states against the reference run one
sequence at a time, and gradients through time against central differences.
"""
from typing import Iterator, List

import numpy as np

from autograder.helpers import assert_close, assert_numerically_close, check_grad, numerical_grads
from autograder.hw3_autograder import reference
from mytorch.tensor import Tensor
from mytorch.nn.rnn import RNN, RNNUnit, TimeIterator
from mytorch.nn.util import pack_sequence

# (input size, hidden size, sequence lengths): the handout's cases.
CASES = [(2, 2, [1]), (2, 2, [4]), (2, 4, [1, 2, 3]), (3, 3, [4, 3, 2]), (4, 3, [5, 2, 3])]


def set_params(module, params: reference.Params) -> None:
    """Give the module the reference's parameters, as the handout's tests do (via .data)."""
    for name, value in params.items():
        getattr(module, name).data = value.copy()


def unit_cases(unit_class, shapes, seed: int) -> Iterator[tuple]:
    """Each of CASES as (rng, params, unit, x, h, what): the reference's random parameters,
    a `unit_class` unit holding them, an input and a hidden state batch as long as the
    first sequence, a description, and the generator for further draws."""
    rng = np.random.default_rng(seed)
    for input_size, hidden_size, lengths in CASES:
        params = reference.random_params(rng, shapes(input_size, hidden_size))
        unit = unit_class(input_size, hidden_size)
        set_params(unit, params)
        x = rng.standard_normal((lengths[0], input_size))
        h = rng.standard_normal((lengths[0], hidden_size))
        yield rng, params, unit, x, h, f"{unit_class.__name__}({input_size}, {hidden_size})"


def check_unit_forward(unit_class, cell, shapes, seed: int) -> None:
    for _, params, unit, x, h, what in unit_cases(unit_class, shapes, seed):
        assert_close(unit(Tensor(x)), cell(params, x, np.zeros_like(h)), f"{what} without hidden")
        assert_close(unit(Tensor(x), Tensor(h)), cell(params, x, h), f"{what} with hidden")


def check_unit_backward(unit_class, cell, cell_grads, shapes, seed: int) -> None:
    for rng, params, unit, x, h, what in unit_cases(unit_class, shapes, seed):
        weights = rng.standard_normal(h.shape)
        x_tensor, h_tensor = Tensor(x.copy(), requires_grad=True), Tensor(h.copy(), requires_grad=True)
        (unit(x_tensor, h_tensor) * Tensor(weights)).sum().backward()
        dx, dh, grads = reference.check_cell_grads(cell, cell_grads, params, x, h, weights, what)
        for name, tensor, expected in [("input", x_tensor, dx), ("hidden", h_tensor, dh)] + \
                [(name, getattr(unit, name), grads[name]) for name in sorted(params)]:
            check_grad(tensor, f"{what}: {name}")
            assert_close(tensor.grad, expected, f"{what}: gradient of {name}")


def run_layer_reference(cell, params: reference.Params, sequences: List[np.ndarray],
                        hidden_size: int):
    """(packed data of every hidden state, final states longest first) by the reference."""
    states = [reference.run(cell, params, s, np.zeros(hidden_size)) for s in sequences]
    data, order, _ = reference.pack([np.array(s) for s in states])
    return data, reference.final_states(states, order)


def check_layer_forward(layer_class, unit_class, cell, shapes, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for input_size, hidden_size, lengths in CASES:
        params = reference.random_params(rng, shapes(input_size, hidden_size))
        layer = layer_class(input_size, hidden_size)
        if not isinstance(layer, TimeIterator) or not isinstance(layer.unit, unit_class):
            raise AssertionError(f"{layer_class.__name__} must be a TimeIterator over "
                                 f"{unit_class.__name__} (kept as .unit)")
        set_params(layer.unit, params)
        sequences = [rng.standard_normal((length, input_size)) for length in lengths]
        packed = pack_sequence([Tensor(s) for s in sequences])
        out, final = layer(packed)
        data, final_expected = run_layer_reference(cell, params, sequences, hidden_size)
        what = f"{layer_class.__name__}({input_size}, {hidden_size}) on lengths {lengths}"
        assert_close(out.data, data, f"{what}: packed output")
        for name in ("sorted_indices", "batch_sizes"):
            if not np.array_equal(getattr(out, name), getattr(packed, name)):
                raise AssertionError(f"{what}: the output's {name} {getattr(out, name)} differ "
                                     f"from the input's {getattr(packed, name)}")
        assert_close(final, final_expected, f"{what}: final hidden states, longest first")


def check_layer_backward(layer_class, cell, shapes, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for input_size, hidden_size, lengths in CASES:
        params = reference.random_params(rng, shapes(input_size, hidden_size))
        layer = layer_class(input_size, hidden_size)
        set_params(layer.unit, params)
        sequences = [rng.standard_normal((length, input_size)) for length in lengths]
        leaves = [Tensor(s.copy(), requires_grad=True) for s in sequences]
        out, final = layer(pack_sequence(leaves))
        out_weights = rng.standard_normal(out.data.shape)
        final_weights = rng.standard_normal(final.shape)
        ((out.data * Tensor(out_weights)).sum() + (final * Tensor(final_weights)).sum()).backward()

        names = sorted(params)
        arrays = [params[name] for name in names] + sequences

        def loss() -> float:
            data, final_states = run_layer_reference(cell, params, sequences, hidden_size)
            return float((data * out_weights).sum() + (final_states * final_weights).sum())

        numeric = numerical_grads(loss, arrays)
        what = f"{layer_class.__name__}({input_size}, {hidden_size}) on lengths {lengths}"
        tensors = [getattr(layer.unit, name) for name in names] + leaves
        labels = names + [f"sequence {i}" for i in range(len(sequences))]
        for label, tensor, expected in zip(labels, tensors, numeric):
            check_grad(tensor, f"{what}: {label}")
            assert_numerically_close(tensor.grad, expected, f"{what}: gradient of {label}")


def test_rnn_unit_forward():
    check_unit_forward(RNNUnit, reference.rnn_cell, reference.rnn_shapes, seed=10)


def test_rnn_unit_backward():
    check_unit_backward(RNNUnit, reference.rnn_cell, reference.rnn_cell_grads,
                        reference.rnn_shapes, seed=11)


def test_time_iterator_forward():
    check_layer_forward(RNN, RNNUnit, reference.rnn_cell, reference.rnn_shapes, seed=12)


def test_time_iterator_backward():
    check_layer_backward(RNN, reference.rnn_cell, reference.rnn_shapes, seed=13)
