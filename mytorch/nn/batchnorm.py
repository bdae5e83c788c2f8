"""BatchNorm1d: normalise each channel with batch statistics while training."""
import numpy as np

from mytorch import checks
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.tensor import Tensor, get_default_dtype


class BatchNorm1d(Module):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta over inputs (N, C) or (N, C, L).

    Training mode uses the batch's mean and biased variance and updates the running
    statistics with the unbiased variance: `running = (1 - momentum) * running +
    momentum * batch_statistic`. Eval mode normalises with the running statistics.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of the newest batch in the running statistics, in [0, 1].

    Attributes `gamma`, `beta` (parameters, shape (C,)); `running_mean`, `running_var`
    (buffers: Tensors that are state, not parameters, saved by `state_dict()`).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = checks.positive_int("BatchNorm1d: num_features", num_features)
        self.eps = checks.positive("BatchNorm1d: eps", eps)
        self.momentum = checks.in_range("BatchNorm1d: momentum", momentum, 0, 1)
        dtype = get_default_dtype()
        self.gamma = Tensor(np.ones(num_features, dtype), requires_grad=True, is_parameter=True)
        self.beta = Tensor(np.zeros(num_features, dtype), requires_grad=True, is_parameter=True)
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.gamma, self.beta,
                            self.is_train, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
