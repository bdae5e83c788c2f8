"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from typing import Any, Dict, Iterable

import numpy as np

from mytorch import checks
from mytorch.optim.optimizer import Optimizer, State
from mytorch.tensor import Tensor


class SGD(Optimizer):
    """p -= lr * v, as `torch.optim.SGD`, with g = grad + weight_decay * p (-grad with
    maximize) and the velocity v = momentum * v + (1 - dampening) * g (v = g on the
    first step, and always when momentum is 0). With nesterov=True the step uses
    g + momentum * v instead of v.

    This is PyTorch's form of momentum. It equals the handout's `v = momentum * v -
    lr * grad; p += v` while lr is constant (and dampening 0), and stays right when lr
    changes during training. Parameters whose grad is None are skipped. Updates happen
    in place, outside the graph.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate, >= 0.
        momentum: momentum factor, >= 0.
        dampening: how much of the gradient is left out of the velocity, >= 0.
        weight_decay: L2 penalty added to the gradient, >= 0.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead of descend.

    Attributes:
        momentums: the velocity v of each parameter, an array of its shape (zeros before
            its first step): the handout's name for `state[p]["momentum_buffer"]`.
    """

    _state_attributes = {"momentum_buffer": "momentums"}

    def __init__(self, params: Iterable[Any], lr: float = 0.001, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_hyperparameters(self, group: Dict[str, Any]) -> Dict[str, Any]:
        checked = dict(group)
        for name in ("lr", "momentum", "dampening", "weight_decay"):
            checked[name] = checks.non_negative(f"SGD: {name}", group[name])
        for name in ("nesterov", "maximize"):
            checked[name] = checks.boolean(f"SGD: {name}", group[name])
        if checked["nesterov"] and not (checked["momentum"] > 0 and checked["dampening"] == 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening 0, got "
                             f"momentum={checked['momentum']!r}, dampening={checked['dampening']!r}")
        return checked

    def _init_state(self, param: np.ndarray, group: Dict[str, Any]) -> State:
        return {"momentum_buffer": None} if group["momentum"] else {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State, group: Dict[str, Any]) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buffer = state["momentum_buffer"]
            if buffer is None:
                state["momentum_buffer"] = buffer = Tensor(grad.astype(param.dtype, copy=True))
            else:
                velocity = buffer.data
                velocity *= momentum
                velocity += grad if not group["dampening"] else (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer.data if group["nesterov"] else buffer.data
        self._add_scaled(param, -group["lr"], grad)
