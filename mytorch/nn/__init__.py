"""Layers, losses and the functional ops they are built from."""
from mytorch.nn import functional
from mytorch.nn.activations import Identity, ReLU, Sigmoid, Tanh
from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.linear import Linear
from mytorch.nn.loss import CrossEntropyLoss, SoftmaxCrossEntropy
from mytorch.nn.module import Module
from mytorch.nn.sequential import Sequential

__all__ = ["functional", "Module", "Sequential", "Linear", "BatchNorm1d",
           "Identity", "ReLU", "Sigmoid", "Tanh",
           "CrossEntropyLoss", "SoftmaxCrossEntropy"]
