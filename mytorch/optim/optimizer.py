"""Optimizer: the base class that holds the parameters to update."""
import numbers
from typing import Iterable, Optional

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


def check_hyperparameter(name: str, value: float, description: str,
                         upper: Optional[float] = None) -> None:
    """Raise ValueError unless 0 <= value (< upper), naming the argument and its value.

    Args:
        name: the argument's name, e.g. "lr".
        value: its value; NaN is rejected too.
        description: what it is, e.g. "learning rate", for the message
            `Invalid learning rate: -0.1 (lr must be >= 0)`.
        upper: exclusive upper bound, if any.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"Invalid {description}: {value!r} ({name} must be a number)")
    if upper is None:
        if not value >= 0:
            raise ValueError(f"Invalid {description}: {value!r} ({name} must be >= 0)")
    elif not 0 <= value < upper:
        raise ValueError(f"Invalid {description}: {value!r} ({name} must be in [0, {upper}))")
