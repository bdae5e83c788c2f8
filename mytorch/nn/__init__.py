"""Layers, losses and the functional ops they are built from."""
from mytorch.nn import functional
from mytorch.nn import init
from mytorch.nn.activations import GELU, Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.container import ModuleDict, ModuleList
from mytorch.nn.dropout import Dropout
from mytorch.nn.linear import Linear
from mytorch.nn.loss import CrossEntropyLoss, MSELoss, NLLLoss, SoftmaxCrossEntropy
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter
from mytorch.nn.sequential import Sequential
# Sequences and recurrent networks (issue 10).
from mytorch.nn import util
from mytorch.nn.embedding import Embedding
from mytorch.nn.gru import GRU, GRUUnit
from mytorch.nn.lstm import LSTM, LSTMCell
from mytorch.nn.rnn import RNN, RNNUnit, TimeIterator
# Convolutional networks (issue 9).
from mytorch.nn.conv import Conv1d, Conv2d, Flatten
from mytorch.nn.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
           "Linear", "BatchNorm1d", "Dropout", "Identity", "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
           "MSELoss", "NLLLoss", "CrossEntropyLoss", "SoftmaxCrossEntropy"]
__all__ += ["util", "Embedding", "RNNUnit", "TimeIterator", "RNN", "GRUUnit", "GRU",
            "LSTMCell", "LSTM"]
__all__ += ["Conv1d", "Conv2d", "Flatten", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]
