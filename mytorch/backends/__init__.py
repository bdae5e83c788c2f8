"""`mytorch.backends`, as `torch.backends` on a machine with neither CUDA nor Apple's MPS:
the flags tutorials set (`backends.cudnn.deterministic = True`) are accepted and change
nothing, because MyTorch computes with NumPy on the CPU, deterministically."""
from mytorch.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
