"""Differentiable ops: one `Function` subclass per op, forward and backward side by side.

One module per family. `forward` computes on `.data` and saves only what backward
needs; `backward` returns one gradient per forward argument (None where none is
needed), each of exactly that argument's shape and dtype. `mytorch.nn.functional`
re-exports every op and adds the lower-case wrappers.
"""
from mytorch.ops.activations import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from mytorch.ops.arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub
from mytorch.ops.common import unbroadcast
from mytorch.ops.conv import Conv1d, Conv2d, get_conv1d_output_size
from mytorch.ops.dropout import Dropout
from mytorch.ops.elementwise import (Abs, Cast, Clamp, Exp, Log, Maximum, Minimum, Sqrt,
                                      Where)
from mytorch.ops.linear import Embedding, Linear
from mytorch.ops.losses import (L1, NLL, MSE, BinaryCrossEntropy, BinaryCrossEntropyWithLogits,
                                 CrossEntropy, Huber)
from mytorch.ops.normalization import BatchNorm, GroupNorm, LayerNorm
from mytorch.ops.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from mytorch.ops.recurrent import (GRUCell, GRUSequence, LSTMCell, LSTMSequence, RNNCell,
                                    RNNSequence)
from mytorch.ops.reductions import Max, Mean, Sum, Var
from mytorch.ops.shape import (Cat, Expand, Index, Reshape, Slice, Squeeze, Stack, Transpose,
                               Unsqueeze, View)

__all__ = [
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul",                      # arithmetic
    "Exp", "Log", "Sqrt", "Abs", "Clamp", "Maximum", "Minimum", "Where", "Cast",  # elementwise
    "Sum", "Mean", "Max", "Var",                                              # reductions
    "Transpose", "Reshape", "View", "Expand", "Index", "Slice", "Cat", "Stack",
    "Unsqueeze", "Squeeze",                                                   # shape
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",               # activations
    "Dropout", "Linear", "BatchNorm", "CrossEntropy", "NLL", "MSE",           # network ops
    "LayerNorm", "GroupNorm", "Embedding", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "L1", "Huber",
    "Conv1d", "Conv2d", "get_conv1d_output_size",                             # conv
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",                       # pooling
    "RNNCell", "GRUCell", "LSTMCell",                                         # recurrent
    "RNNSequence", "GRUSequence", "LSTMSequence",
    "unbroadcast",
]
