"""Optimizer: the base class that holds the parameters to update."""
from typing import Iterable

from mytorch.tensor import Tensor


class Optimizer:
    """Base class of optimizers.

    Args:
        params: the tensors to optimise (a list or a generator such as
            `model.parameters()`).
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for param in self.params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer params must be Tensors, got {type(param).__name__}")

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define step()")
