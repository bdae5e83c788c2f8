"""`torch.backends.cudnn` without cuDNN: plain flags, read by nothing."""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    """False: MyTorch has no GPU backend."""
    return False
