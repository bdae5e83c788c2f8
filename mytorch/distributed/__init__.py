"""Data-parallel training across processes on MPI, with `torch.distributed`'s names.

    mpiexec -n 2 python3 program.py

    from mytorch import distributed as dist
    dist.init_process_group("mpi")          # rank and world size come from mpiexec
    dist.all_reduce(tensor)                 # in place: the sum over every rank

Under plain `python3` the world is one process. The MPI library and its Python binding
come with the optional extra: `pip install -e ".[distributed]"` (mpi4py and mpich).
`import mytorch` never imports them; `mytorch.nn.parallel.DistributedDataParallel` and
`mytorch.data.DistributedSampler` build on this package.
"""
try:
    from mpi4py import MPI  # noqa: F401  (initialises MPI: every rank runs this import)
except ImportError as exc:
    raise ImportError(
        "mytorch.distributed needs mpi4py and an MPI library, which the optional extra "
        "installs: pip install -e \".[distributed]\" (or: pip install mpi4py mpich)") from exc

from mytorch.distributed.collectives import (ReduceOp, Work, all_gather, all_reduce, barrier,
                                             broadcast, reduce)
from mytorch.distributed.process_group import (abort, destroy_process_group, get_backend, get_rank,
                                               get_world_size, init_process_group, is_initialized)

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "get_backend",
           "get_rank", "get_world_size", "abort", "ReduceOp", "Work", "all_reduce", "broadcast",
           "all_gather", "reduce", "barrier"]
