"""Problem 2: the GRU cell and the GRU over time, against the NumPy reference."""
from autograder.hw3_autograder import reference
from autograder.hw3_autograder.test_rnn import (check_layer_forward, check_unit_backward,
                                                check_unit_forward)
from mytorch.nn.gru import GRU, GRUUnit


def test_gru_unit_forward():
    check_unit_forward(GRUUnit, reference.gru_cell, reference.gru_shapes, seed=20)


def test_gru_unit_backward():
    check_unit_backward(GRUUnit, reference.gru_cell, reference.gru_cell_grads,
                        reference.gru_shapes, seed=21)


def test_gru_forward():
    check_layer_forward(GRU, GRUUnit, reference.gru_cell, reference.gru_shapes, seed=22)
