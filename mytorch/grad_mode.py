"""Grad mode and anomaly mode: the two switches that change what `Function.apply` does.

`no_grad` / `enable_grad` (and PyTorch's `set_grad_enabled(mode)` and `inference_mode()`)
turn graph recording off and on for a block or a decorated function; `detect_anomaly` makes backward check every gradient for NaN and inf. Both
nest, and both restore the previous setting when the block ends.
"""
import contextlib
from typing import Any, List

_grad_enabled = True
_anomaly_enabled = False


def is_grad_enabled() -> bool:
    """Whether `Function.apply` currently records the graph."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Sets grad mode for a block (or a decorated function) and restores it afterwards."""

    enabled = True

    def __init__(self) -> None:
        # A stack, not one saved flag: a decorated function may call itself.
        self._previous: List[bool] = []

    def __enter__(self) -> "_GradMode":
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.enabled
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


class no_grad(_GradMode):
    """Context manager and decorator that turns graph recording off.

    Ops inside still compute their results, but the results are constant leaves:
    optimizer steps and evaluation loops use it so they add nothing to the graph.
    """

    enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns graph recording back on inside `no_grad`."""

    enabled = True


class inference_mode(_GradMode):
    """`no_grad` under PyTorch's name for inference: `with mytorch.inference_mode():`,
    or `inference_mode(False)` to leave recording as it is.

    PyTorch also marks the tensors made inside as inference tensors, which autograd
    later refuses; here they are ordinary constant tensors.
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        if not isinstance(mode, bool):
            raise ValueError(f"inference_mode: mode must be True or False, got {mode!r}")
        self.mode = mode

    def __enter__(self) -> "inference_mode":
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = _grad_enabled and not self.mode
        return self


class set_grad_enabled:
    """Turn graph recording on or off, as `torch.set_grad_enabled`: called as a function
    it switches at once (`set_grad_enabled(False)`); as a context manager
    (`with set_grad_enabled(is_train):`) it switches for the block and then restores the
    previous setting."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        if not isinstance(mode, bool):
            raise ValueError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self._previous = _grad_enabled
        _grad_enabled = mode

    def __enter__(self) -> "set_grad_enabled":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager and decorator that finds the op whose backward made a NaN or an inf.

    While it is on, `Function.apply` remembers where each op was called, and a
    backward that returns a non-finite gradient raises a RuntimeError naming the op and
    showing that forward call. Off (the default), nothing is recorded or checked.
    Available as `mytorch.autograd.detect_anomaly`.
    """

    def __init__(self) -> None:
        self._previous: List[bool] = []

    def __enter__(self) -> "detect_anomaly":
        global _anomaly_enabled
        self._previous.append(_anomaly_enabled)
        _anomaly_enabled = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _anomaly_enabled
        _anomaly_enabled = self._previous.pop()


def is_anomaly_enabled() -> bool:
    """Whether `detect_anomaly` is on."""
    return _anomaly_enabled
