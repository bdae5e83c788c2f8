"""Linear: the fully connected layer y = x @ W.T + b."""
import numpy as np

from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor
from mytorch.validation import check_positive_int


class Linear(Module):
    """y = x @ weight.T + bias.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to add a learnable bias.

    The parameters are initialised like PyTorch's, uniform in +-1/sqrt(in_features).
    Attributes `weight` (out_features, in_features) and `bias` (out_features,).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        check_positive_int("in_features", in_features)
        check_positive_int("out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / np.sqrt(in_features)
        self.weight = Tensor(np.random.uniform(-bound, bound, (out_features, in_features)),
                             requires_grad=True, is_parameter=True)
        self.bias = (Tensor(np.random.uniform(-bound, bound, out_features),
                            requires_grad=True, is_parameter=True) if bias else None)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
