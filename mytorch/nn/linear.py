"""Linear: the fully connected layer y = x @ W.T + b."""
import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module, factory_keywords
from mytorch.tensor import Tensor, get_default_dtype


@factory_keywords
class Linear(Module):
    """y = x @ weight.T + bias.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to add a learnable bias.

    Attributes `weight` (out_features, in_features) and `bias` (out_features,), in the
    default float dtype. They are initialised as the Fall 2020 starter code does, so a
    seeded run reproduces the course's reference results: weight =
    (U[0, 1) - 0.5) / in_features, then bias likewise, both drawn from `np.random` in
    that order. PyTorch's scheme, U(-k, k) with k = 1/sqrt(in_features) for both, is
    two calls away: `nn.init.uniform_(layer.weight, -k, k)`, then the same for the bias.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = checks.positive_int("Linear: in_features", in_features)
        self.out_features = checks.positive_int("Linear: out_features", out_features)
        dtype = get_default_dtype()
        weight = (np.random.rand(out_features, in_features) - 0.5) / in_features
        self.weight = Tensor(weight.astype(dtype, copy=False), requires_grad=True, is_parameter=True)
        self.bias = None
        if checks.boolean("Linear: bias", bias):
            bias_values = (np.random.rand(out_features) - 0.5) / in_features
            self.bias = Tensor(bias_values.astype(dtype, copy=False), requires_grad=True,
                               is_parameter=True)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
