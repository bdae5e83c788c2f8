"""Scanning an MLP over time with convolutions: the handout's two CNNs.

The MLP being scanned reads 8 consecutive time steps of 24 channels, flattened time-major
(input index t * 24 + c), and has layers 192 -> 8 -> 16 -> 4 with ReLU after the first
two. It slides with stride 4 over an input of (1, 24, 128), giving 31 positions.

`init_weights` takes the MLP's three weight matrices as (out_features, in_features)
arrays, shapes (8, 192), (16, 8) and (4, 16), and sets the convolutions' weights from
them (the MLP has no biases, so the convolutions' biases are set to zero). Each new
weight is a fresh trainable leaf parameter, so nothing is added to a graph.
"""
from typing import Sequence, Tuple

import numpy as np

from mytorch.nn.activations import ReLU
from mytorch.nn.conv import Conv1d, Flatten
from mytorch.nn.sequential import Sequential
from mytorch.tensor import Tensor


def _set(layer: Conv1d, weight: np.ndarray) -> None:
    """Give `layer` a new weight (a fresh trainable leaf, so nothing joins a graph) and a zero bias."""
    dtype = layer.weight.dtype
    layer.weight = Tensor(np.ascontiguousarray(weight, dtype=dtype), requires_grad=True,
                          is_parameter=True)
    layer.bias = Tensor(np.zeros(layer.out_channel, dtype=dtype), requires_grad=True,
                        is_parameter=True)


MLP_SHAPES = ((8, 192), (16, 8), (4, 16))  # (out_features, in_features)


def _mlp_weights(weights: Sequence[np.ndarray]) -> Tuple[np.ndarray, ...]:
    """The MLP's three weights as (out_features, in_features) arrays. The transposed
    (in_features, out_features) layout, which some handouts store, is recognised by its
    shape and transposed; any other shape is a ValueError."""
    if len(weights) != 3:
        raise ValueError(f"init_weights: expected the MLP's 3 weight matrices, got {len(weights)}")
    arrays = []
    for index, (weight, shape) in enumerate(zip(weights, MLP_SHAPES)):
        weight = np.asarray(getattr(weight, "data", weight))
        if weight.shape == shape[::-1]:
            weight = weight.T
        if weight.shape != shape:
            raise ValueError(f"init_weights: weight {index} has shape {weight.shape}, expected "
                             f"{shape} (out_features, in_features)")
        arrays.append(weight)
    return tuple(arrays)


class CNN_SimpleScanningMLP:
    """The MLP as a CNN: layer 1 is a Conv1d whose kernel is the MLP's whole 8-step input
    window and whose stride is the scan's stride; layers 2 and 3 act on one position at a
    time, so they are 1-wide convolutions.

    Mappings (conv weight (out, in, kernel) from the MLP's (out, in) weights):
        conv1[o, c, t] = w1[o, t * 24 + c]    w1.reshape(8, 8, 24).transpose(0, 2, 1)
        conv2[o, i, 0] = w2[o, i]             conv3[o, i, 0] = w3[o, i]
    The output (1, 4, 31) is flattened channel-major to (1, 124).
    """

    def __init__(self) -> None:
        self.conv1 = Conv1d(24, 8, 8, 4)
        self.conv2 = Conv1d(8, 16, 1, 1)
        self.conv3 = Conv1d(16, 4, 1, 1)
        self.layers = Sequential(self.conv1, ReLU(), self.conv2, ReLU(), self.conv3, Flatten())

    def init_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Set the conv weights from the MLP's (8, 192), (16, 8) and (4, 16) weights."""
        w1, w2, w3 = _mlp_weights(weights)
        _set(self.conv1, w1.reshape(8, 8, 24).transpose(0, 2, 1))
        _set(self.conv2, w2[:, :, None])
        _set(self.conv3, w3[:, :, None])

    def forward(self, x: Tensor) -> Tensor:
        """x (B, 24, W) -> (B, 4 * positions)."""
        return self.layers(x)

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)


class CNN_DistributedScanningMLP:
    """The MLP as a CNN that shares its first layers' weights across positions.

    The scanned MLP is a distributed one: its 8 first-layer neurons are 4 blocks of 2 that
    each read 2 time steps (block b reads steps 2b and 2b + 1 with the same weights), its 16
    second-layer neurons are 2 blocks of 8 that each read 2 consecutive first-layer blocks,
    and its 4 outputs read both second-layer blocks. Neuron n of a layer is block n // width,
    unit n % width, so inputs are indexed (block position) * width + unit, time-major like
    the input. The convolutions hold one block each:
        conv1 (2, 24, 2):  conv1[o, c, t] = w1[o, t * 24 + c]   for o < 2, t < 2
        conv2 (8, 2, 2):   conv2[o, c, k] = w2[o, k * 2 + c]    for o < 8, k * 2 + c < 4
        conv3 (4, 8, 2):   conv3[o, c, k] = w3[o, k * 8 + c]
    Strides 2, 2, 1 make the output positions 4 time steps apart, as the scan's stride.
    """

    def __init__(self) -> None:
        self.conv1 = Conv1d(24, 2, 2, 2)
        self.conv2 = Conv1d(2, 8, 2, 2)
        self.conv3 = Conv1d(8, 4, 2, 1)
        self.layers = Sequential(self.conv1, ReLU(), self.conv2, ReLU(), self.conv3, Flatten())

    def init_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Set the conv weights from slices of the MLP's (8, 192), (16, 8) and (4, 16) weights."""
        w1, w2, w3 = _mlp_weights(weights)
        _set(self.conv1, w1[:2, :48].reshape(2, 2, 24).transpose(0, 2, 1))
        _set(self.conv2, w2[:8, :4].reshape(8, 2, 2).transpose(0, 2, 1))
        _set(self.conv3, w3.reshape(4, 2, 8).transpose(0, 2, 1))

    def forward(self, x: Tensor) -> Tensor:
        """x (B, 24, W) -> (B, 4 * positions)."""
        return self.layers(x)

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)
