"""Adam and AdamW."""
import math
from typing import Any, Dict, Iterable, Tuple

import numpy as np

from mytorch import checks
from mytorch.optim.optimizer import Optimizer, State
from mytorch.tensor import Tensor


class Adam(Optimizer):
    """Adam with PyTorch's bias correction, as `torch.optim.Adam`. Per parameter, at step t
    with g = grad (-grad with maximize; + weight_decay * p unless the decay is decoupled):

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)                                     (amsgrad)
        p -= lr / (1 - beta1**t) * m / (sqrt(v or v_max) / sqrt(1 - beta2**t) + eps)

    Decoupled weight decay (AdamW) instead multiplies p by 1 - lr * weight_decay first.
    Parameters whose grad is None are skipped (their step count t does not advance).
    Updates happen in place, outside the graph.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate, >= 0.
        betas: decay rates (beta1, beta2) of the moment estimates, each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty added to the gradient (decayed directly when
            decoupled), >= 0.
        amsgrad: divide by the largest v seen so far (Reddi et al.).
        maximize: ascend instead of descend.
        decoupled_weight_decay: AdamW's weight decay.

    Attributes:
        exp_avgs, exp_avg_sqs: m and v of each parameter; steps: t of each parameter
            (the handout's names for the entries of `state`).
    """

    _state_attributes = {"step": "steps", "exp_avg": "exp_avgs", "exp_avg_sq": "exp_avg_sqs"}

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_hyperparameters(self, group: Dict[str, Any]) -> Dict[str, Any]:
        name = type(self).__name__
        checked = dict(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        checked["betas"] = tuple(checks.in_range(f"{name}: betas[{i}]", beta, 0, 1, include_high=False)
                                 for i, beta in enumerate(betas))
        for key in ("lr", "eps", "weight_decay"):
            checked[key] = checks.non_negative(f"{name}: {key}", group[key])
        for key in ("amsgrad", "maximize", "decoupled_weight_decay"):
            checked[key] = checks.boolean(f"{name}: {key}", group[key])
        return checked

    def _init_state(self, param: np.ndarray, group: Dict[str, Any]) -> State:
        state = {"step": 0, "exp_avg": Tensor(np.zeros_like(param)), "exp_avg_sq": Tensor(np.zeros_like(param))}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = Tensor(np.zeros_like(param))
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State, group: Dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        if group["maximize"]:
            grad = -grad
        if weight_decay:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        m *= beta1
        self._add_scaled(m, 1 - beta1, grad)
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"].data, v, out=state["max_exp_avg_sq"].data)
        step_size = lr / (1 - beta1 ** t)
        # math.sqrt: a Python float keeps float32 state float32 (np.sqrt gives a float64 scalar).
        denom = np.sqrt(v)
        denom /= math.sqrt(1 - beta2 ** t)
        denom += group["eps"]
        param -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`:
    before each Adam step, p -= lr * weight_decay * p; the decay never enters m or v.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as for `Adam`.
        weight_decay: decoupled decay coefficient, >= 0 (default 1e-2).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
