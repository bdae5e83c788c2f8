"""Collective operations on Tensors, as `torch.distributed`'s: every rank calls the same
ones in the same order, and each works in place on the Tensor's array.

Each is MPI's non-blocking collective (`Iallreduce`, `Ibcast`, ...): with async_op=True
it returns a `Work` to `wait()` on, so a caller computes while the data moves; without,
it waits before returning.
"""
import enum
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from mpi4py import MPI

from mytorch import checks
from mytorch.distributed.process_group import default_group
from mytorch.tensor import Tensor

# The dtypes the collectives move: MPI's types for NumPy's float and integer arrays.
DTYPES = tuple(np.dtype(name) for name in ("float32", "float64", "int32", "int64"))


class ReduceOp(enum.Enum):
    """How `all_reduce` and `reduce` combine the ranks' values, elementwise."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


_MPI_OPS = {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX}


class Work:
    """A collective in flight, as PyTorch's `Work`: its tensors hold the result after `wait()`."""

    def __init__(self, request: MPI.Request, finish: Callable[[], None]) -> None:
        self._request, self._finish = request, finish
        self._done = False

    def is_completed(self) -> bool:
        """Whether the collective has finished (if so, its result is in place); never blocks."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self) -> bool:
        """Block until the collective has finished and its result is in place. Returns True."""
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        self._finish()


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, async_op: bool = False) -> Optional[Work]:
    """tensor = op over every rank of their `tensor`s, on every rank.

    Args:
        tensor: a float32, float64, int32 or int64 Tensor, of one shape on every rank.
        op: a `ReduceOp` (default the sum).
        async_op: return a `Work` instead of waiting.
    """
    async_op = checks.boolean("all_reduce: async_op", async_op)
    buffer, finish = _in_place("all_reduce", tensor)
    request = default_group().comm.Iallreduce(MPI.IN_PLACE, buffer, op=_mpi_op("all_reduce", op))
    return _started(request, finish, async_op)


def broadcast(tensor: Tensor, src: int, async_op: bool = False) -> Optional[Work]:
    """tensor = rank `src`'s `tensor`, on every rank."""
    async_op = checks.boolean("broadcast: async_op", async_op)
    group = default_group()
    src = checks.rank("broadcast: src", src, group.size)
    buffer, finish = _in_place("broadcast", tensor)
    return _started(group.comm.Ibcast(buffer, root=src), finish, async_op)


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM,
           async_op: bool = False) -> Optional[Work]:
    """On rank `dst`, tensor = op over every rank of their `tensor`s; the others' stay as they are."""
    async_op = checks.boolean("reduce: async_op", async_op)
    group = default_group()
    dst = checks.rank("reduce: dst", dst, group.size)
    mpi_op = _mpi_op("reduce", op)
    buffer, finish = _in_place("reduce", tensor)
    if group.rank == dst:
        request = group.comm.Ireduce(MPI.IN_PLACE, buffer, op=mpi_op, root=dst)
    else:
        request = group.comm.Ireduce(buffer, None, op=mpi_op, root=dst)
        finish = _nothing
    return _started(request, finish, async_op)


def all_gather(tensor_list: Sequence[Tensor], tensor: Tensor,
               async_op: bool = False) -> Optional[Work]:
    """tensor_list[r] = rank r's `tensor`, for every rank r, on every rank.

    Args:
        tensor_list: one Tensor per rank, each of `tensor`'s shape and dtype, written in place.
        tensor: this rank's contribution.
    """
    async_op = checks.boolean("all_gather: async_op", async_op)
    group = default_group()
    send, _ = _in_place("all_gather", tensor)
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != group.size:
        count = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list).__name__
        raise ValueError(f"all_gather: tensor_list must be a list of {group.size} Tensors "
                         f"(one per rank), got {count}")
    for index, out in enumerate(tensor_list):
        _in_place(f"all_gather: tensor_list[{index}]", out)
        if out.shape != tensor.shape or out.dtype != tensor.dtype:
            raise ValueError(f"all_gather: tensor_list[{index}] has shape {out.shape} and dtype "
                             f"{out.dtype}; expected those of tensor, {tensor.shape} and {tensor.dtype}")
    gathered = np.empty((group.size,) + tensor.shape, tensor.dtype)

    def finish() -> None:
        for out, part in zip(tensor_list, gathered):
            out.data[...] = part
            out._counter().value += 1

    return _started(group.comm.Iallgather(send, gathered), finish, async_op)


def barrier() -> None:
    """Wait until every rank has called `barrier`."""
    default_group().comm.Barrier()


def _in_place(op: str, tensor: Tensor) -> Tuple[np.ndarray, Callable[[], None]]:
    """The contiguous array MPI reads and writes for `tensor` (its own, or a copy), and
    what makes the result the tensor's: the copy written back, and its version bumped, so
    a backward pass that saved it sees the in-place change."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.dtype not in DTYPES:
        raise TypeError(f"{op}: a Tensor of dtype {tensor.dtype} cannot be communicated; "
                        f"expected one of {', '.join(str(dtype) for dtype in DTYPES)}")
    data = tensor.data
    buffer = data if data.flags.c_contiguous and data.flags.writeable else np.ascontiguousarray(data).copy()

    def finish() -> None:
        if buffer is not data:
            data[...] = buffer
        tensor._counter().value += 1

    return buffer, finish


def _nothing() -> None:
    """The finish of a collective that leaves this rank's tensor as it was."""


def _started(request: MPI.Request, finish: Callable[[], None], async_op: bool) -> Optional[Work]:
    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def _mpi_op(name: str, op: ReduceOp) -> MPI.Op:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a ReduceOp (SUM, PRODUCT, MIN, MAX), got {op!r}")
    return _MPI_OPS[op]


__all__: List[str] = ["ReduceOp", "Work", "all_reduce", "broadcast", "reduce", "all_gather",
                      "barrier"]
