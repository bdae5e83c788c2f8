"""Activation modules; the math lives in the functional ops."""
from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.ops.activations import GELU_APPROXIMATIONS
from mytorch.tensor import Tensor


class Identity(Module):
    """y = x (returns its input itself), a placeholder where a layer wants no activation."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    """y = max(x, 0), elementwise.

    Args:
        inplace: PyTorch's request to overwrite the input; the output here is always a
            new tensor with the same values, and the input is left as it was.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = checks.boolean("ReLU: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x where x > 0, else negative_slope * x, as `torch.nn.LeakyReLU`.

    Args:
        negative_slope: the slope for negative input.
        inplace: accepted as `ReLU`'s: the output is always a new tensor.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = checks.number("LeakyReLU: negative_slope", negative_slope)
        self.inplace = checks.boolean("LeakyReLU: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """y = x where x > 0, else alpha * (exp(x) - 1), as `torch.nn.ELU`.

    Args:
        alpha: the value y approaches for very negative x, negated.
        inplace: accepted as `ReLU`'s: the output is always a new tensor.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = checks.number("ELU: alpha", alpha)
        self.inplace = checks.boolean("ELU: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """y = log(1 + exp(beta * x)) / beta, a smooth ReLU, as `torch.nn.Softplus`.

    Args:
        beta: the sharpness (nonzero).
        threshold: where beta * x exceeds it, y = x (for numerical stability).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = checks.number("Softplus: beta", beta)
        if self.beta == 0:
            raise ValueError("Softplus: beta must be nonzero, got 0")
        self.threshold = checks.number("Softplus: threshold", threshold)

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """y = x * sigmoid(x) (swish), as `torch.nn.SiLU`.

    Args:
        inplace: accepted as `ReLU`'s: the output is always a new tensor.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = checks.boolean("SiLU: inplace", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)), elementwise; finite for any input."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    """y = x * Phi(x), Phi the standard normal CDF, as `torch.nn.GELU`.

    Args:
        approximate: 'none' for the exact form (with erf) or 'tanh' for
            x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))).
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = checks.one_of("GELU: approximate", approximate, GELU_APPROXIMATIONS)

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """y = exp(x) / sum(exp(x), dim), computed stably.

    Args:
        dim: the axis whose entries sum to 1 (checked against the input's shape on call).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        # Its range is checked against the input's shape on call.
        self.dim = checks.integer(f"{type(self).__name__}: dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x - logsumexp(x, dim), computed stably.

    Args:
        dim: the axis to normalise over (checked against the input's shape on call).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        # Its range is checked against the input's shape on call.
        self.dim = checks.integer(f"{type(self).__name__}: dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
