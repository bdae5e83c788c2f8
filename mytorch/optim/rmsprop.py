"""RMSprop."""
from typing import Any, Dict, Iterable

import numpy as np

from mytorch import checks
from mytorch.optim.optimizer import Optimizer, State
from mytorch.tensor import Tensor


class RMSprop(Optimizer):
    """RMSprop, as `torch.optim.RMSprop`. Per parameter, with g = grad (-grad with
    maximize; + weight_decay * p):

        v = alpha * v + (1 - alpha) * g**2
        m = alpha * m + (1 - alpha) * g                         (centered)
        d = sqrt(v) + eps, or sqrt(v - m**2) + eps when centered
        b = momentum * b + g / d; p -= lr * b                    (momentum > 0)
        p -= lr * g / d                                          (otherwise)

    Parameters whose grad is None are skipped. Updates happen in place, outside the graph.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate, >= 0.
        alpha: smoothing constant of the squared-gradient average, >= 0.
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty added to the gradient, >= 0.
        momentum: momentum factor, >= 0.
        centered: divide by an estimate of the gradient's variance instead of its second moment.
        maximize: ascend instead of descend.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_hyperparameters(self, group: Dict[str, Any]) -> Dict[str, Any]:
        checked = dict(group)
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            checked[key] = checks.non_negative(f"RMSprop: {key}", group[key])
        for key in ("centered", "maximize"):
            checked[key] = checks.boolean(f"RMSprop: {key}", group[key])
        return checked

    def _init_state(self, param: np.ndarray, group: Dict[str, Any]) -> State:
        state = {"step": 0, "square_avg": Tensor(np.zeros_like(param))}
        if group["momentum"]:
            state["momentum_buffer"] = Tensor(np.zeros_like(param))
        if group["centered"]:
            state["grad_avg"] = Tensor(np.zeros_like(param))
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State, group: Dict[str, Any]) -> None:
        alpha = group["alpha"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        state["step"] += 1
        square_avg = state["square_avg"].data
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denom = np.sqrt(square_avg) + group["eps"]
        if group["momentum"]:
            buffer = state["momentum_buffer"].data
            buffer *= group["momentum"]
            buffer += grad / denom
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * grad / denom
