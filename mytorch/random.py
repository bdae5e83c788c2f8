"""The random state: the library draws from NumPy's global generator (`np.random`)."""
from typing import Any

import numpy as np

from mytorch import checks


def manual_seed(seed: Any) -> None:
    """Seed every random draw the library makes, as `torch.manual_seed`: `Tensor.randn`,
    `randn_like`, layer initialisation, `nn.init` and dropout masks.

    It is `np.random.seed(seed)`, which the course's handouts call for the same effect.

    Args:
        seed: an integer in [0, 2**32 - 1].
    """
    np.random.seed(checks.seed(seed))
