"""`mytorch.cuda`, as `torch.cuda` on a machine without a GPU: MyTorch has no GPU backend."""
from typing import Any

from mytorch import checks


def is_available() -> bool:
    """False: MyTorch computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    """0: there are no GPUs to use."""
    return 0


def manual_seed(seed: Any) -> None:
    """Does nothing with a valid seed, as `torch.cuda.manual_seed` does without a GPU
    (`mytorch.manual_seed` seeds the CPU's draws)."""
    checks.seed(seed)


manual_seed_all = manual_seed
