"""Layers, losses and the functional ops they are built from."""
from mytorch.nn import functional, init, parallel, util, utils
from mytorch.nn.activations import (ELU, GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                                    Softmax, Softplus, Tanh)
from mytorch.nn.batchnorm import BatchNorm1d, BatchNorm2d
from mytorch.nn.container import ModuleDict, ModuleList
from mytorch.nn.conv import Conv1d, Conv2d, Flatten, Unflatten
from mytorch.nn.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from mytorch.nn.embedding import Embedding
from mytorch.nn.gru import GRUUnit
from mytorch.nn.linear import Linear
from mytorch.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                             NLLLoss, SmoothL1Loss, SoftmaxCrossEntropy)
from mytorch.nn.module import Module
from mytorch.nn.normalization import GroupNorm, LayerNorm
from mytorch.nn.parallel.sync_batchnorm import SyncBatchNorm
from mytorch.nn.parameter import Parameter
from mytorch.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,
                                AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)
from mytorch.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from mytorch.nn.rnn import RNNUnit, TimeIterator
from mytorch.nn.sequential import Sequential

__all__ = [
    "functional", "init", "parallel", "util", "utils",
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Linear", "BatchNorm1d", "SyncBatchNorm", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
    "Embedding", "Flatten", "Unflatten",
    "Identity", "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "LeakyReLU", "ELU",
    "Softplus", "SiLU",
    "MSELoss", "NLLLoss", "CrossEntropyLoss", "SoftmaxCrossEntropy",
    "BatchNorm2d", "LayerNorm", "GroupNorm",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "RNNUnit", "TimeIterator", "RNN", "GRUUnit", "GRU", "LSTMCell", "LSTM",
    "RNNCell", "GRUCell",
]
