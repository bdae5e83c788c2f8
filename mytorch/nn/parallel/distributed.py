"""DistributedDataParallel: one model trained by several processes on their own shares of
each batch, as `torch.nn.parallel.DistributedDataParallel`.

Every rank holds a whole copy of the model. Construction copies rank 0's parameters and
buffers to the others. During `backward()` the gradients are summed across ranks and
divided by the world size, so every rank steps its optimizer with the gradient of the
mean loss over the global batch and the copies stay identical.

The gradients travel in buckets, as PyTorch's do: flat arrays of about `bucket_cap_mb`
megabytes, filled in the reverse order of the parameters' registration (roughly the
order backward produces them; the first bucket is 1 MB, to start communicating early).
A gradient hook on each parameter copies its gradient into its bucket; once a bucket is
full its non-blocking `Iallreduce` starts, while backward goes on computing the
gradients of earlier layers. A callback queued on the engine (`queue_callback`) waits
for every bucket once the pass has accumulated `.grad`, and writes the averages there,
before `backward()` returns.
"""
import contextlib
import weakref
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import numpy as np

from mytorch import checks, distributed
from mytorch.distributed.process_group import ProcessGroup, default_group
from mytorch.autograd_engine import is_grad_enabled, queue_callback
from mytorch.nn.module import Module
from mytorch.tensor import Tensor

# PyTorch's sizes: the first bucket small, so the first all-reduce starts early in backward.
FIRST_BUCKET_MB = 1.0
MEGABYTE = 1024 * 1024


class _Bucket:
    """The gradients of some parameters of one dtype, flattened into one array that is
    all-reduced in one call."""

    def __init__(self, indices: List[int], params: List[Tensor]) -> None:
        self.indices = indices
        sizes = [params[index].data.size for index in indices]
        starts = np.cumsum([0] + sizes)
        self.flat = Tensor(np.zeros(int(starts[-1]), params[indices[0]].dtype))
        # Each parameter's slot: a view of the flat array, in the parameter's shape.
        self.slots = {index: self.flat.data[start:start + size].reshape(params[index].shape)
                      for index, start, size in zip(indices, starts, sizes)}


def _assign_buckets(params: List[Tensor], cap_bytes: float) -> List[_Bucket]:
    """Buckets of the parameters, in reverse order of registration, one dtype per bucket.

    A bucket is closed once it holds `cap_bytes` (the first of each dtype once it holds
    FIRST_BUCKET_MB), so it may exceed the cap by its last gradient, as PyTorch's do.
    """
    groups: List[List[int]] = []
    filling: Dict[np.dtype, Tuple[List[int], int]] = {}  # dtype -> (indices, bytes so far)
    limits: Dict[np.dtype, float] = {}  # dtype -> the size that closes its next bucket
    for index in reversed(range(len(params))):
        dtype = params[index].dtype
        if dtype not in filling:
            filling[dtype] = ([], 0)
            groups.append(filling[dtype][0])
        indices, size = filling[dtype]
        indices.append(index)
        size += params[index].data.nbytes
        if size >= limits.get(dtype, min(cap_bytes, FIRST_BUCKET_MB * MEGABYTE)):
            del filling[dtype]
            limits[dtype] = cap_bytes
        else:
            filling[dtype] = (indices, size)
    return [_Bucket(indices, params) for indices in groups]


class DistributedDataParallel(Module):
    """Wrap `module` so that `backward()` averages its gradients across every rank.

    Each rank feeds the wrapper its own share of every batch (a `DistributedSampler`
    deals them out) and steps its own optimizer over `parameters()`. Call the wrapper,
    not `module`: the forward pass is where it prepares for the gradients.

    Args:
        module: the model; its parameters and buffers are overwritten with rank 0's.
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to
            every rank at the start of each forward pass, as PyTorch does.
        bucket_cap_mb: the size of a gradient bucket, in megabytes.
        find_unused_parameters: allow parameters that take no part in a forward pass;
            the wrapper then walks the output's graph after each forward to find them.
            A parameter unused on every rank keeps its `.grad`; one unused on some ranks
            gets the average with a zero (or its accumulated `.grad`) from those.

    Attributes:
        module: the wrapped model. `state_dict()` keys start with "module.", as PyTorch's.
        require_backward_grad_sync: False inside `no_sync()`.

    Raises:
        ValueError: the process group is not initialised (`init_process_group`).
        RuntimeError: the ranks' models differ in their parameters' names, shapes or
            dtypes, or no parameter requires grad.
    """

    def __init__(self, module: Module, broadcast_buffers: bool = True, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a Module, got "
                            f"{type(module).__name__}")
        self.broadcast_buffers = checks.boolean("DistributedDataParallel: broadcast_buffers",
                                                broadcast_buffers)
        cap = checks.finite_positive("DistributedDataParallel: bucket_cap_mb", bucket_cap_mb)
        self.bucket_cap_mb = cap
        self.find_unused_parameters = checks.boolean(
            "DistributedDataParallel: find_unused_parameters", find_unused_parameters)
        group = default_group()
        self.rank, self.world_size = group.rank, group.size
        named = [(name, param) for name, param in module.named_parameters() if param.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel: the module has no parameter that "
                               "requires grad, so there is nothing to average")
        _check_same_everywhere(group, module)
        self.module = module
        self._names = [name for name, _ in named]
        self._params = [param for _, param in named]
        for tensor in list(module.parameters()) + list(module.buffers()):
            distributed.broadcast(tensor, 0)
        self._buckets = _assign_buckets(self._params, cap * MEGABYTE)
        self._bucket_of = {index: position for position, bucket in enumerate(self._buckets)
                           for index in bucket.indices}
        self.require_backward_grad_sync = True
        # One backward's bookkeeping, set by `_prepare_for_backward` in the forward pass.
        self._expect_hooks = False  # the last forward asked for its gradients to be averaged
        self._started = False  # a hook of this backward pass has run; `_finalize` is queued
        self._ready: List[bool] = []
        self._waiting: List[int] = []  # per bucket, its gradients not yet in it
        self._next_bucket = 0  # buckets start in order: MPI needs one order on every rank
        self._works: List[distributed.Work] = []
        self._used: Optional[np.ndarray] = None  # with find_unused_parameters: 1 where used
        this = weakref.ref(self)  # parameters outlive the wrapper; they must not keep it
        for index, param in enumerate(self._params):
            param.register_hook(lambda grad, index=index: _on_gradient(this, index, grad))

    # ------------------------------------------------------------------------ use

    def forward(self, *inputs: Any) -> Any:
        if self._started:
            raise RuntimeError(
                "DistributedDataParallel: the previous backward pass did not finish averaging "
                "the gradients (it raised before the end), so the ranks are out of step; "
                "start the job again")
        if self.broadcast_buffers:
            for buffer in self.module.buffers():
                distributed.broadcast(buffer, 0)
        output = self.module(*inputs)
        self._expect_hooks = is_grad_enabled() and self.require_backward_grad_sync
        if self._expect_hooks:
            self._prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within the block, forward passes leave their gradients local (accumulated in
        `.grad` on each rank, no communication); the first backward after a forward
        outside it averages the whole accumulated `.grad`, as PyTorch's."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return (f"world_size={self.world_size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}")

    # ----------------------------------------------------------------- the backward

    def _prepare_for_backward(self, output: Any) -> None:
        # Buckets that find_unused_parameters started in a forward with no backward after it.
        for work in self._works:
            work.wait()
        self._ready = [False] * len(self._params)
        self._waiting = [len(bucket.indices) for bucket in self._buckets]
        self._next_bucket, self._works = 0, []
        if self.find_unused_parameters:
            reached = _leaves_reached(output)
            self._used = np.array([id(param) in reached for param in self._params], np.int32)
            for index in np.flatnonzero(self._used == 0):
                self._fill(int(index), None)

    def _fill(self, index: int, grad: Optional[Tensor]) -> None:
        """Put parameter `index`'s gradient in its bucket: its `.grad` plus `grad` (the
        whole accumulated gradient, which is what gets averaged), and start every bucket
        that is full, in order."""
        slot = self._buckets[self._bucket_of[index]].slots[index]
        accumulated = self._params[index].grad
        if grad is None:
            slot[...] = 0 if accumulated is None else accumulated.data
        elif accumulated is None:
            slot[...] = grad.data
        else:
            np.add(accumulated.data, grad.data, out=slot)
        self._ready[index] = True
        self._waiting[self._bucket_of[index]] -= 1
        while self._next_bucket < len(self._buckets) and not self._waiting[self._next_bucket]:
            flat = self._buckets[self._next_bucket].flat
            self._works.append(distributed.all_reduce(flat, async_op=True))
            self._next_bucket += 1
        for work in self._works:  # MPI moves data while it is called: let it
            work.is_completed()

    def _finalize(self) -> None:
        """After the pass: wait for every bucket and write the averages into `.grad`."""
        self._expect_hooks = False
        missing = [name for name, ready in zip(self._names, self._ready) if not ready]
        if missing:
            raise RuntimeError(
                f"DistributedDataParallel: on rank {self.rank}, the parameter(s) "
                f"{', '.join(map(repr, missing))} received no gradient in this backward pass, "
                "so their gradients cannot be averaged. Pass find_unused_parameters=True if "
                "some parameters take no part in the loss, or make them take part")
        for work in self._works:
            work.wait()
        used_anywhere = None
        if self._used is not None:
            counts = Tensor(self._used)
            distributed.all_reduce(counts)
            used_anywhere = counts.data > 0
        for bucket in self._buckets:
            bucket.flat.data /= self.world_size
            for index, slot in bucket.slots.items():
                if used_anywhere is not None and not used_anywhere[index]:
                    continue
                param = self._params[index]
                if param.grad is None:
                    param.grad = Tensor(slot.copy())
                else:
                    param.grad.data[...] = slot
        self._started = False


def _on_gradient(wrapper: "weakref.ref[DistributedDataParallel]", index: int,
                 grad: Tensor) -> None:
    """The gradient hook of parameter `index`: its gradient is ready for its bucket."""
    ddp = wrapper()
    if ddp is None or not ddp._expect_hooks:
        return  # a backward the wrapper's forward did not prepare (or inside no_sync)
    if ddp._ready[index]:
        raise RuntimeError(
            f"DistributedDataParallel: the parameter {ddp._names[index]!r} received a gradient "
            "twice after one forward pass (find_unused_parameters=True found it unused)")
    if not ddp._started:
        ddp._started = True
        queue_callback(ddp._finalize)
    ddp._fill(index, grad)


def _leaves_reached(output: Any) -> Set[int]:
    """The ids of the leaf tensors whose gradients backward from `output` would reach."""
    tensors = _tensors_in(output)
    reached = {id(tensor) for tensor in tensors if tensor.is_leaf}
    stack = [tensor.grad_fn for tensor in tensors if tensor.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)  # an AccumulateGrad: a leaf's node
        if variable is not None:
            reached.add(id(variable))
        stack.extend(parent for parent in node.next_functions if parent is not None)
    return reached


def _tensors_in(output: Any) -> List[Tensor]:
    """The Tensors in a forward's output: itself, or those in a (nested) tuple, list or dict."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return [tensor for item in output for tensor in _tensors_in(item)]
    return []


def _check_same_everywhere(group: ProcessGroup, module: Module) -> None:
    """Raise on every rank, naming the difference, unless every rank's model has the same
    parameters and buffers (names, shapes, dtypes) as rank 0's."""
    own = [(name, tensor.shape, str(tensor.dtype))
           for name, tensor in module._state_tensors().items()]
    everyone = group.comm.allgather(own)
    for rank, theirs in enumerate(everyone):
        if theirs != everyone[0]:
            difference = next((pair for pair in zip(everyone[0], theirs) if pair[0] != pair[1]),
                              (f"{len(everyone[0])} tensors", f"{len(theirs)} tensors"))
            raise RuntimeError(
                f"DistributedDataParallel: rank {rank}'s model differs from rank 0's: rank 0 has "
                f"{difference[0]}, rank {rank} has {difference[1]}; every rank must build the "
                "same model")
