"""Parameter: a Tensor that a Module registers as a trainable parameter."""
from typing import Any, Iterable

from mytorch import checks
from mytorch.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor with `is_parameter=True` (and, by default, `requires_grad=True`), as
    `torch.nn.Parameter`. Assigning one to a Module attribute registers it.

    It is the same as the handout's `Tensor(data, requires_grad=True, is_parameter=True)`,
    which keeps working: the library accepts either wherever a parameter is expected.
    Like that Tensor, it shares memory with an ndarray (or a Tensor's data) it is made from.

    Args:
        data: the initial values (an ndarray, a Tensor, a number or a list).
        requires_grad: whether it is trained; integer data becomes the default float dtype.
    """

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad, is_parameter=True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def zero_grads(params: Iterable[Tensor], set_to_none: bool, owner: str) -> None:
    """What `Module.zero_grad` and `Optimizer.zero_grad` do: set each parameter's `.grad`
    to None, or, with set_to_none=False, fill an existing one with zeros in place."""
    set_to_none = checks.boolean(f"{owner}: set_to_none", set_to_none)
    for param in params:
        if set_to_none:
            param.grad = None
        elif param.grad is not None:
            param.grad.data[...] = 0
