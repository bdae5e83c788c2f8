"""`torch.backends.mps` without Apple's Metal backend."""


def is_available() -> bool:
    """False: MyTorch has no GPU backend."""
    return False


def is_built() -> bool:
    """False: MyTorch was not built with MPS."""
    return False
