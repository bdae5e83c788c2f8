"""Training one model on several processes, as `torch.nn.parallel`.

`DistributedDataParallel` needs the `distributed` extra (mpi4py and an MPI library); it
is imported on first use, so that `import mytorch` never loads MPI.
"""
from typing import Any

__all__ = ["DistributedDataParallel"]


def __getattr__(name: str) -> Any:
    if name == "DistributedDataParallel":
        from mytorch.nn.parallel.distributed import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
