"""The process group: which rank this process is, among how many, and ending them together."""
import os
import sys
import time
import traceback
import types
from typing import Callable, NoReturn, Optional, Type

from mpi4py import MPI

from mytorch import checks

BACKENDS = ("mpi",)
_OUTPUT_GRACE = 0.5  # seconds a failing rank waits for its output to be forwarded


class ProcessGroup:
    """The processes mpiexec started, talking through a communicator of their own.

    The communicator duplicates MPI's COMM_WORLD, so the library's messages never match
    those of a program's own MPI calls.
    """

    def __init__(self) -> None:
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()


_group: Optional[ProcessGroup] = None
ExceptHook = Callable[[Type[BaseException], BaseException, Optional[types.TracebackType]], None]
_previous_excepthook: Optional[ExceptHook] = None


def init_process_group(backend: str = "mpi", world_size: int = -1, rank: int = -1) -> None:
    """Join the processes of this job, as `torch.distributed.init_process_group`.

    `mpiexec -n K` starts K processes with ranks 0 to K - 1; MPI tells each its rank and
    the world size, so `world_size` and `rank` need not be given (-1), and must agree
    with MPI's if they are. Under plain `python3` the world is one process.

    In a world of more than one process, an exception that reaches the top of any rank
    then prints its traceback, each line marked with the rank, and ends every rank
    (`abort`): the others would otherwise wait forever for a message from it.

    Raises:
        ValueError: a backend other than "mpi", or a world_size or rank that MPI contradicts.
        RuntimeError: the process group is already initialised.
    """
    global _group, _previous_excepthook
    checks.one_of("init_process_group: backend", backend, BACKENDS)
    if _group is not None:
        raise RuntimeError("init_process_group: the process group is already initialised; "
                           "call destroy_process_group() first to start again")
    world = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, world.Get_size()),
                                ("rank", rank, world.Get_rank())):
        checks.integer(f"init_process_group: {name}", given)
        if given != -1 and given != actual:
            raise ValueError(f"init_process_group: {name}={given}, but MPI started this process "
                             f"with {name} {actual} (mpiexec -n K sets both; leave them out)")
    _group = ProcessGroup()
    if _group.size > 1:
        _previous_excepthook, sys.excepthook = sys.excepthook, _abort_on_uncaught


def destroy_process_group() -> None:
    """Leave the process group (after which `init_process_group` may be called again).

    Raises:
        ValueError: the process group is not initialised.
    """
    global _group, _previous_excepthook
    group = default_group()
    if _previous_excepthook is not None:
        sys.excepthook, _previous_excepthook = _previous_excepthook, None
    group.comm.Free()
    _group = None


def is_initialized() -> bool:
    """Whether `init_process_group` has been called (and not undone)."""
    return _group is not None


def default_group() -> ProcessGroup:
    """The initialised process group; ValueError, as PyTorch, if there is none."""
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    return _group


def get_backend() -> str:
    """The process group's backend: "mpi"."""
    default_group()
    return BACKENDS[0]


def get_rank() -> int:
    """This process's rank, from 0 to `get_world_size() - 1`."""
    return default_group().rank


def get_world_size() -> int:
    """The number of processes in the group."""
    return default_group().size


def abort(errorcode: int = 1) -> NoReturn:
    """End every process of the job at once (MPI_Abort), with exit code `errorcode`.

    For a rank that has failed while the others may be waiting for it: a rank that just
    exits leaves them waiting forever.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    # mpiexec passes each rank's output on through a proxy process; an Abort sent at once
    # could end the job before the proxy has forwarded the error just written (seen under
    # load: the job ended with empty output). A moment's wait lets it through.
    time.sleep(_OUTPUT_GRACE)
    MPI.COMM_WORLD.Abort(errorcode)
    # MPICH's Abort can return before mpiexec ends this process: it must not go on.
    os._exit(errorcode)


def _abort_on_uncaught(kind: Type[BaseException], value: BaseException,
                       trace: Optional[types.TracebackType]) -> None:
    """sys.excepthook in a world of more than one: the traceback, marked with the rank, then `abort`."""
    group = _group
    prefix = f"[rank {MPI.COMM_WORLD.Get_rank()}] "
    text = "".join(traceback.format_exception(kind, value, trace))
    sys.stderr.write("".join(prefix + line for line in text.splitlines(keepends=True)))
    size = group.size if group is not None else MPI.COMM_WORLD.Get_size()
    sys.stderr.write(f"{prefix}aborting all {size} processes of the job\n")
    abort(1)
