"""Parameter: a Tensor that a Module registers as a trainable parameter."""
from typing import Any

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
