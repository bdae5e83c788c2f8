"""Gradient hooks: functions that see, and may replace, the gradient flowing into a tensor.

`Tensor.register_hook` stores them; the engine runs them with `run_hooks` before any
`.grad` changes.
"""
from typing import Callable, Dict

from mytorch import tensor


class RemovableHandle:
    """Returned by `Tensor.register_hook` and `Module.register_forward_hook`; `remove()`
    unregisters the hook."""

    def __init__(self, hooks: Dict[int, Callable], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def run_hooks(hooks: Dict[int, Callable], grad: "tensor.Tensor") -> "tensor.Tensor":
    """Pass `grad` through each hook in order; a hook returning a Tensor replaces it.

    Each hook sees a read-only view: the array may be shared with other gradients (Add
    hands the same one to both inputs), so a hook that changed it in place would change
    them too. It fails loudly instead; a hook returns a new Tensor to change the gradient.
    """
    for hook in list(hooks.values()):
        view = grad.data.view()
        view.flags.writeable = False
        result = hook(tensor.Tensor(view))
        if result is not None:
            if (not isinstance(result, tensor.Tensor) or result.shape != grad.shape
                    or result.dtype != grad.dtype):
                raise RuntimeError(f"the gradient hook {getattr(hook, '__name__', hook)!r} returned "
                                   f"{result!r}; expected None or a Tensor of shape {grad.shape} "
                                   f"and dtype {grad.dtype}")
            grad = result
    return grad
