"""Differentiable ops: one `Function` subclass per op, forward and backward side by side.

One module per family. `forward` computes on `.data` and saves only what backward
needs; `backward` returns one gradient per forward argument (None where none is
needed), each of exactly that argument's shape and dtype. `mytorch.nn.functional`
re-exports every op and adds the lower-case wrappers.
"""
from mytorch.ops.activations import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from mytorch.ops.arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Sub
from mytorch.ops.common import unbroadcast
from mytorch.ops.dropout import Dropout
from mytorch.ops.elementwise import (Abs, Cast, Clamp, Exp, Log, Maximum, Minimum, Sqrt,
                                      Where)
from mytorch.ops.linear import Linear
from mytorch.ops.losses import NLL, MSE, CrossEntropy
from mytorch.ops.normalization import BatchNorm
from mytorch.ops.reductions import Max, Mean, Sum, Var
from mytorch.ops.shape import Expand, Index, Reshape, Transpose, View
# Sequences (issue 10): the handout's Cat and Slice, and the axis ops around them.
from mytorch.ops.shape import Cat, Slice, Squeeze, Stack, Unsqueeze
from mytorch.ops.recurrent import GRUCell, LSTMCell, RNNCell

# Convolutional networks (issue 9).
from mytorch.ops.conv import Conv1d, Conv2d, get_conv1d_output_size
from mytorch.ops.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul", "Exp", "Log", "Sqrt", "Abs",
           "Clamp", "Maximum", "Minimum", "Where", "Cast", "Sum", "Mean", "Max", "Var",
           "Transpose", "Reshape", "View", "Expand", "Index", "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax",
           "LogSoftmax", "Dropout", "Linear", "BatchNorm", "CrossEntropy", "NLL", "MSE",
           "unbroadcast"]
__all__ += ["Conv1d", "Conv2d", "get_conv1d_output_size", "MaxPool1d", "MaxPool2d", "AvgPool1d",
            "AvgPool2d"]
__all__ += ["Cat", "Slice", "Stack", "Unsqueeze", "Squeeze", "RNNCell", "GRUCell", "LSTMCell"]
