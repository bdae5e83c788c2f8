"""Differentiable ops: one `Function` subclass per op, forward and backward side by side.

One module per family. `forward` computes on `.data` and saves only what backward
needs; `backward` returns one gradient per forward argument (None where none is
needed), each of exactly that argument's shape and dtype. `mytorch.nn.functional`
re-exports every op and adds the lower-case wrappers.
"""
from mytorch.ops.activations import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax,
                                     Softplus, Tanh)
from mytorch.ops.arithmetic import Add, Div, MatMul, Mul, Neg, Pow, Remainder, Sub
from mytorch.ops.common import unbroadcast
from mytorch.ops.conv import Conv1d, Conv2d, get_conv1d_output_size
from mytorch.ops.dropout import Dropout
from mytorch.ops.elementwise import (Abs, Cast, Clamp, Cos, Exp, Expm1, Log, Log1p, Maximum,
                                      Minimum, Reciprocal, Rsqrt, Sin, Sqrt, Step, Tan, Where)
from mytorch.ops.linear import Embedding, Linear
from mytorch.ops.losses import (L1, NLL, MSE, BinaryCrossEntropy, BinaryCrossEntropyWithLogits,
                                 CrossEntropy, Huber)
from mytorch.ops.normalization import BatchNorm, GroupNorm, LayerNorm
from mytorch.ops.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,
                                 AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)
from mytorch.ops.recurrent import (GRUCell, GRUSequence, LSTMCell, LSTMSequence, RNNCell,
                                    RNNSequence)
from mytorch.ops.reductions import (Cumprod, Cumsum, LogSumExp, Max, Mean, Min, Norm, Prod, Std,
                                    Sum, Var)
from mytorch.ops.shape import (Cat, Clone, Expand, Flip, Gather, Index, Pad, Repeat, Reshape,
                               Scatter, Slice, Squeeze, Stack, Transpose, Triangle, Unsqueeze, View)

__all__ = [
    "Add", "Sub", "Mul", "Div", "Remainder", "Neg", "Pow", "MatMul",         # arithmetic
    "Exp", "Log", "Sqrt", "Abs", "Clamp", "Maximum", "Minimum", "Where", "Cast",  # elementwise
    "Log1p", "Expm1", "Reciprocal", "Rsqrt", "Sin", "Cos", "Tan", "Step",
    "Sum", "Mean", "Max", "Min", "Var", "Std", "LogSumExp", "Norm",          # reductions
    "Prod", "Cumsum", "Cumprod",
    "Transpose", "Reshape", "View", "Expand", "Index", "Slice", "Gather", "Clone", "Cat",
    "Stack", "Unsqueeze", "Squeeze", "Repeat", "Flip", "Triangle", "Scatter", "Pad",  # shape
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",               # activations
    "LeakyReLU", "ELU", "Softplus", "SiLU",
    "Dropout", "Linear", "BatchNorm", "CrossEntropy", "NLL", "MSE",           # network ops
    "LayerNorm", "GroupNorm", "Embedding", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "L1", "Huber",
    "Conv1d", "Conv2d", "get_conv1d_output_size",                             # conv
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",                       # pooling
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "RNNCell", "GRUCell", "LSTMCell",                                         # recurrent
    "RNNSequence", "GRUSequence", "LSTMSequence",
    "unbroadcast",
]
