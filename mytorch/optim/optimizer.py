"""Optimizer: the base class that holds the parameters to update."""
from typing import Iterable, List

import numpy as np

from mytorch.tensor import Tensor


class Optimizer:
    """Base class of optimizers.

    A subclass implements `_update(index, param, grad)`: the in-place update of one
    parameter's array from its gradient's. `step` checks every gradient first, so a bad
    one leaves every parameter and every piece of optimizer state as it was, and it
    bumps the version of each parameter it updates, so a backward that saved the old
    values raises instead of using the new ones.

    Args:
        params: the tensors to optimise: an iterable such as `model.parameters()` or
            a list, each tensor once.
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors, such as model.parameters() "
                            f"or [tensor], got a Tensor of shape {params.shape}")
        self.params: List[Tensor] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        seen = {}
        for index, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer params must be Tensors, got {type(param).__name__} "
                                f"at index {index}")
            if id(param) in seen:
                raise ValueError(f"optimizer got the same parameter (shape {param.shape}) twice, "
                                 f"at indices {seen[id(param)]} and {index}")
            seen[id(param)] = index

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient; skip those whose `.grad` is None."""
        updates = []
        for index, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if not isinstance(grad, Tensor) or grad.shape != param.shape:
                raise RuntimeError(
                    f"{type(self).__name__}.step: parameter {index} of shape {param.shape} has a "
                    f".grad of shape {getattr(grad, 'shape', None)} ({type(grad).__name__}); "
                    "nothing was updated")
            updates.append((index, param, grad.data))
        for index, param, grad in updates:
            self._update(index, param.data, grad)
            param._counter().value += 1

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update()")
