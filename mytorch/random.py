"""The random state: the library draws from NumPy's global generator (`np.random`)."""
from typing import Any, Callable, Optional

import numpy as np

from mytorch import checks

# When set, it makes every draw that goes through `draw`, as `observer(distribution, args)`:
# `mytorch.compile` records a traced step's draws there, so each replay draws afresh, as
# the eager step would.
_observer: Optional[Callable[[str, tuple], Any]] = None


def manual_seed(seed: Any) -> None:
    """Seed every random draw the library makes, as `torch.manual_seed`: `Tensor.randn`,
    `randn_like`, layer initialisation, `nn.init` and dropout masks.

    It is `np.random.seed(seed)`, which the course's handouts call for the same effect.

    Args:
        seed: an integer in [0, 2**32 - 1].
    """
    np.random.seed(checks.seed(seed))


def draw(distribution: str, *args: Any) -> Any:
    """`np.random.<distribution>(*args)`, from the global generator.

    Ops that draw during a training step (dropout's mask) call this instead of
    `np.random` directly, so that `mytorch.compile` can record the draw and make it again,
    with the same arguments and from the same generator, at every replay.
    """
    observer = _observer
    if observer is not None:
        return observer(distribution, args)
    return getattr(np.random, distribution)(*args)
