"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""
from typing import Iterable

import numpy as np

from mytorch import checks
from mytorch.optim.optimizer import Optimizer
from mytorch.tensor import Tensor


class SGD(Optimizer):
    """p -= lr * v with v = momentum * v + g, g = grad + weight_decay * p (v = g when momentum is 0).

    This is PyTorch's form of momentum. It equals the handout's `v = momentum * v -
    lr * grad; p += v` while lr is constant, and stays right when lr changes during
    training. With nesterov=True the step uses g + momentum * v instead of v.
    Parameters whose grad is None are skipped. Updates happen in place, outside the graph.

    Args:
        params: the tensors to optimise.
        lr: learning rate, >= 0.
        momentum: momentum factor, >= 0.
        weight_decay: L2 penalty added to the gradient, >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0).

    Attributes:
        momentums: the velocity v of each parameter, an array of its shape.
    """

    _hyperparameter_names = ("lr", "momentum", "weight_decay", "nesterov")
    _state_attributes = {"momentum_buffer": "momentums"}

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params)
        self._set_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
        self.momentums = [np.zeros_like(param.data) for param in self.params]

    def _set_hyperparameters(self, lr: float, momentum: float, weight_decay: float,
                             nesterov: bool) -> None:
        lr = checks.non_negative("SGD: lr", lr)
        momentum = checks.non_negative("SGD: momentum", momentum)
        weight_decay = checks.non_negative("SGD: weight_decay", weight_decay)
        nesterov = checks.boolean("SGD: nesterov", nesterov)
        if nesterov and not momentum > 0:
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0, got momentum={momentum!r}")
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            velocity = self.momentums[index]
            velocity *= self.momentum
            velocity += grad
            grad = grad + self.momentum * velocity if self.nesterov else velocity
        param -= self.lr * grad
