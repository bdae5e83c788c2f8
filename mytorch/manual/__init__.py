"""Hand-derived backpropagation, no autograd: the 11-785 Spring 2025 HW1P1 API.

An independent second implementation of the basic layers, used to
cross-check the autograd library. It follows the handout's names, shapes and
equations (``W`` is (out, in), ``b`` is (out, 1), layers store what their
``backward`` needs on ``self``), so its classes can be compared term by term
with the handout and with the autograd modules.
"""

from .activation import GELU, Identity, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm1d
from .linear import Linear
from .loss import CrossEntropyLoss, MSELoss
from .models import MLP0, MLP1, MLP4, Sequential
from .sgd import SGD

__all__ = [
    "BatchNorm1d",
    "CrossEntropyLoss",
    "GELU",
    "Identity",
    "Linear",
    "MLP0",
    "MLP1",
    "MLP4",
    "MSELoss",
    "ReLU",
    "SGD",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
