"""Adam and AdamW."""
import math
from typing import Iterable, Tuple

import numpy as np

from mytorch import checks
from mytorch.optim.optimizer import Optimizer
from mytorch.tensor import Tensor


class Adam(Optimizer):
    """Adam with PyTorch's bias correction. Per parameter, at step t with g = grad (+ weight_decay * p):

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Parameters whose grad is None are skipped (their step count t does not advance).
    Updates happen in place, outside the graph.

    Args:
        params: the tensors to optimise.
        lr: learning rate, >= 0.
        betas: decay rates (beta1, beta2) of the moment estimates, each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty added to the gradient, >= 0.

    Attributes:
        exp_avgs, exp_avg_sqs: m and v of each parameter.
        steps: t of each parameter.
    """

    # AdamW decays the weights directly instead of adding the decay to the gradient.
    _decoupled_weight_decay = False

    _hyperparameter_names = ("lr", "betas", "eps", "weight_decay")
    _state_attributes = {"step": "steps", "exp_avg": "exp_avgs", "exp_avg_sq": "exp_avg_sqs"}

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self._set_hyperparameters(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.exp_avgs = [np.zeros_like(param.data) for param in self.params]
        self.exp_avg_sqs = [np.zeros_like(param.data) for param in self.params]
        self.steps = [0] * len(self.params)

    def _set_hyperparameters(self, lr: float, betas: Tuple[float, float], eps: float,
                             weight_decay: float) -> None:
        name = type(self).__name__
        lr = checks.non_negative(f"{name}: lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        betas = tuple(checks.in_range(f"{name}: betas[{i}]", beta, 0, 1, include_high=False)
                      for i, beta in enumerate(betas))
        eps = checks.non_negative(f"{name}: eps", eps)
        weight_decay = checks.non_negative(f"{name}: weight_decay", weight_decay)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay:
            if self._decoupled_weight_decay:
                param *= 1 - self.lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * param
        self.steps[index] += 1
        t = self.steps[index]
        m, v = self.exp_avgs[index], self.exp_avg_sqs[index]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1 ** t)
        # math.sqrt: a Python float keeps float32 state float32 (np.sqrt gives a float64 scalar).
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps
        param -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`:
    before each Adam step, p -= lr * weight_decay * p; the decay never enters m or v.

    Args:
        params, lr, betas, eps: as for `Adam`.
        weight_decay: decoupled decay coefficient, >= 0 (default 1e-2).
    """

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
