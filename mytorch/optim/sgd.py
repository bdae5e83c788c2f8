"""Stochastic gradient descent with momentum."""
from typing import Iterable

import numpy as np

from mytorch.optim.optimizer import Optimizer
from mytorch.tensor import Tensor


class SGD(Optimizer):
    """p -= lr * v with v = momentum * v + grad (v = grad when momentum is 0).

    This is PyTorch's form of momentum. It equals the handout's `v = momentum * v -
    lr * grad; p += v` while lr is constant, and stays right when lr changes during
    training. Parameters whose grad is None are skipped. Updates happen in place on
    `p.data`, outside the graph.

    Args:
        params: the tensors to optimise.
        lr: learning rate, >= 0.
        momentum: momentum factor, >= 0.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, momentum: float = 0.0) -> None:
        super().__init__(params)
        if not lr >= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not momentum >= 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        self.lr, self.momentum = lr, momentum
        self.momentums = [np.zeros_like(param.data) for param in self.params]

    def step(self) -> None:
        for param, velocity in zip(self.params, self.momentums):
            if param.grad is None:
                continue
            grad = param.grad.data
            if self.momentum:
                velocity *= self.momentum
                velocity += grad
                grad = velocity
            param.data -= self.lr * grad
