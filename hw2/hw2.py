"""The handout's 1-d CNN, and the output size of a stack of Conv1d layers."""
from typing import Iterable

from mytorch.nn.activations import ReLU, Sigmoid, Tanh
from mytorch.nn.conv import Conv1d, Flatten
from mytorch.nn.functional import get_conv1d_output_size
from mytorch.nn.linear import Linear
from mytorch.nn.module import Module
from mytorch.nn.sequential import Sequential
from mytorch.tensor import Tensor

FIRST_INPUT_SIZE = 60  # the width of the input to the first convolution
FIRST_IN_CHANNEL = 24  # its channels


class CNN(Module):
    """Conv1d(24, 56, 5, 1) -> Tanh -> Conv1d(56, 28, 6, 2) -> ReLU -> Conv1d(28, 14, 2, 2)
    -> Sigmoid -> Flatten -> Linear(14 * 13, 10), for inputs (B, 24, 60).

    The Linear layer's input size comes from `get_final_conv_output_size`.
    """

    def __init__(self) -> None:
        super().__init__()
        layers = [
            Conv1d(FIRST_IN_CHANNEL, 56, 5, 1), Tanh(),
            Conv1d(56, 28, 6, 2), ReLU(),
            Conv1d(28, 14, 2, 2), Sigmoid(),
            Flatten(),
        ]
        width = get_final_conv_output_size(layers, FIRST_INPUT_SIZE)
        channels = [layer for layer in layers if isinstance(layer, Conv1d)][-1].out_channel
        layers.append(Linear(channels * width, 10))
        self.layers = Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """x (B, 24, 60) -> logits (B, 10)."""
        return self.layers(x)


def get_final_conv_output_size(layers: Iterable[Module], input_size: int) -> int:
    """The width of the data after the Conv1d layers among `layers` (before Flatten), for
    an input of width `input_size`; other layers leave the width alone.

    Args:
        layers: Conv1d layers, activations and Flatten, in order.
        input_size: the width of the input.
    Returns:
        The final width, a Python int.
    """
    size = input_size
    for layer in layers:
        if isinstance(layer, Conv1d):
            size = get_conv1d_output_size(size, layer.kernel_size, layer.stride, layer.padding)
    return size
