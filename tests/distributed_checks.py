"""Checks of mytorch.distributed that need real processes, run inside one MPI job:

    mpiexec -n 2 python3 tests/distributed_checks.py OUT_DIR     # (or plain python3: a world of one)

Every rank runs every check, in order, and writes OUT_DIR/rank<r>.json mapping each
check's name to "ok", "n/a" (a check that needs more ranks) or its traceback.
tests/test_distributed.py starts the job and turns each entry into a test. One job runs
them all because starting one costs more than the checks.
"""
import json
import sys
import traceback
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's mytorch

import mytorch  # noqa: E402
from mytorch import Tensor, nn, optim  # noqa: E402
from mytorch import distributed as dist  # noqa: E402
from mytorch.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from mytorch.nn.parallel import DistributedDataParallel  # noqa: E402

TOLERANCE = 1e-10
GLOBAL_BATCH = 8
RNG = np.random.default_rng(7)
X = RNG.standard_normal((40, 6))
Y = RNG.integers(0, 3, 40)
CHECKS: Dict[str, Callable[[], None]] = {}


def check(function: Callable[[], None]) -> Callable[[], None]:
    CHECKS[function.__name__] = function
    return function


class NotApplicable(Exception):
    """A check that needs more ranks than the job has."""


def rank() -> int:
    return dist.get_rank()


def world() -> int:
    return dist.get_world_size()


def build(seed: int, norm: type = None) -> nn.Module:
    """The model of the training checks, its initial weights drawn from `seed`."""
    mytorch.manual_seed(seed)
    layers = [nn.Linear(6, 8)] + ([norm(8)] if norm is not None else []) + [nn.Tanh(), nn.Linear(8, 3)]
    return nn.Sequential(*layers)


def gathered(array: np.ndarray) -> List[np.ndarray]:
    """Every rank's `array`, in rank order."""
    parts = [Tensor(np.empty_like(array)) for _ in range(world())]
    dist.all_gather(parts, Tensor(np.ascontiguousarray(array)))
    return [part.data for part in parts]


def assert_same_on_every_rank(tensors: List[Tensor]) -> None:
    for tensor in tensors:
        for other, part in enumerate(gathered(tensor.data)):
            assert np.array_equal(part, tensor.data), f"rank {other} differs from rank {rank()}"


def assert_close(mine: List[Tensor], reference: List[Tensor], what: str) -> None:
    for position, (a, b) in enumerate(zip(mine, reference)):
        error = np.abs(a.data - b.data).max()
        assert error <= TOLERANCE, f"{what} {position}: max difference {error:.3g}"


def train(model: nn.Module, make_optimizer: Callable, sampler: DistributedSampler,
          batch: int, epochs: int = 3) -> None:
    """Cross-entropy training over `sampler`'s share of (X, Y), `batch` samples a step."""
    optimizer = make_optimizer(model.parameters())
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, Y), batch_size=batch, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for inputs, labels in loader:
            optimizer.zero_grad()
            criterion(model(inputs), labels).backward()
            optimizer.step()


def data_parallel_matches_one_process(make_optimizer: Callable, norm: type = None,
                                      reference_norm: type = None, **ddp_options: object) -> None:
    """K ranks, each with its share of every global batch and its own initial weights,
    end where one process ends after training on the whole batches from rank 0's weights."""
    ddp = DistributedDataParallel(build(100 + rank(), norm), **ddp_options)
    train(ddp, make_optimizer, DistributedSampler(X, shuffle=True, seed=5), GLOBAL_BATCH // world())
    reference = build(100, reference_norm)
    train(reference, make_optimizer, DistributedSampler(X, 1, 0, shuffle=True, seed=5), GLOBAL_BATCH)
    assert_close(list(ddp.parameters()), list(reference.parameters()), "parameter")
    assert_close(list(ddp.buffers()), list(reference.buffers()), "buffer")
    assert_same_on_every_rank(list(ddp.parameters()))


@check
def sgd_with_momentum_matches_one_process() -> None:
    # A tiny bucket cap: one bucket per gradient, each started from its own hook.
    data_parallel_matches_one_process(lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                      bucket_cap_mb=1e-6)


@check
def adam_matches_one_process() -> None:
    data_parallel_matches_one_process(lambda p: optim.Adam(p, lr=0.01))


@check
def sync_batchnorm_matches_batchnorm_on_the_whole_batch() -> None:
    data_parallel_matches_one_process(lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                      norm=nn.SyncBatchNorm, reference_norm=nn.BatchNorm1d)


def share(array: np.ndarray) -> np.ndarray:
    """This rank's contiguous share of a global batch."""
    size = len(array) // world()
    return array[rank() * size:(rank() + 1) * size]


def gradients_of(model: nn.Module, batches: List[slice]) -> List[np.ndarray]:
    """`.grad` of every parameter after one backward per batch of (X, Y), accumulated."""
    criterion = nn.CrossEntropyLoss()
    for rows in batches:
        criterion(model(Tensor(X[rows])), Tensor(Y[rows])).backward()
    return [param.grad for param in model.parameters()]


@check
def no_sync_accumulates_locally_then_averages_the_sum() -> None:
    ddp = DistributedDataParallel(build(100 + rank()), bucket_cap_mb=1e-6)
    criterion = nn.CrossEntropyLoss()
    first, second = np.arange(0, 8), np.arange(8, 16)
    with ddp.no_sync():
        criterion(ddp(Tensor(share(X[first]))), Tensor(share(Y[first]))).backward()
    # No communication yet: each rank holds the gradient of its own share.
    local = build(100)
    assert_close(list(ddp.parameters()), list(local.parameters()), "parameter")
    own = gradients_of(local, [share(first)])
    assert_close([param.grad for param in ddp.parameters()], own, "no_sync gradient")
    criterion(ddp(Tensor(share(X[second]))), Tensor(share(Y[second]))).backward()
    expected = gradients_of(build(100), [first, second])
    assert_close([param.grad for param in ddp.parameters()], expected, "accumulated gradient")
    assert_same_on_every_rank([param.grad for param in ddp.parameters()])


class WithUnused(nn.Module):
    """A model whose last-registered layer takes no part in forward."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        mytorch.manual_seed(seed)
        self.body = nn.Linear(6, 3)
        self.unused = nn.Linear(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


@check
def an_unused_parameter_is_an_error_naming_it() -> None:
    ddp = DistributedDataParallel(WithUnused(100 + rank()))
    loss = nn.CrossEntropyLoss()(ddp(Tensor(share(X[:8]))), Tensor(share(Y[:8])))
    try:
        loss.backward()
    except RuntimeError as exc:
        assert "'unused.weight', 'unused.bias'" in str(exc) and "find_unused_parameters=True" in str(exc), exc
    else:
        raise AssertionError("backward with an unused parameter did not raise")
    try:
        ddp(Tensor(X[:2]))
    except RuntimeError as exc:
        assert "did not finish" in str(exc), exc
    else:
        raise AssertionError("forward after a failed reduction did not raise")


@check
def find_unused_parameters_averages_the_used_ones() -> None:
    ddp = DistributedDataParallel(WithUnused(100 + rank()), find_unused_parameters=True)
    got = gradients_of(ddp, [share(np.arange(8))])
    expected = gradients_of(WithUnused(100), [slice(0, 8)])
    assert got[2] is None and got[3] is None, "an unused parameter got a .grad"
    assert_close(got[:2], expected[:2], "gradient")


@check
def buckets_start_before_backward_ends() -> None:
    model = build(100 + rank())
    seen = []
    # Registered before the wrapper's, so this hook runs first on the first layer's
    # weight, the last gradient backward produces: the later layers' buckets are sent.
    model[0].weight.register_hook(lambda grad: seen.append(len(ddp._works)))
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-6)
    assert len(ddp._buckets) == 4, ddp._buckets
    gradients_of(ddp, [share(np.arange(8))])
    assert seen and seen[0] >= 2, seen  # at least the two buckets of Linear(8, 3)


@check
def construction_broadcasts_rank_0s_parameters_and_buffers() -> None:
    model = build(100 + rank(), nn.BatchNorm1d)
    model[1].running_mean.data[...] = rank()
    ddp = DistributedDataParallel(model)
    assert_close(list(ddp.parameters()), list(build(100, nn.BatchNorm1d).parameters()), "parameter")
    assert np.all(model[1].running_mean.data == 0), model[1].running_mean
    assert list(ddp.state_dict())[:2] == ["module.0.weight", "module.0.bias"], list(ddp.state_dict())
    assert ddp.module is model


@check
def different_models_are_an_error_on_every_rank() -> None:
    if world() < 2:
        raise NotApplicable
    try:
        DistributedDataParallel(nn.Linear(6, 8 + rank()))
    except RuntimeError as exc:
        assert "differs from rank 0" in str(exc) and "(8, 6)" in str(exc), exc
    else:
        raise AssertionError("models of different shapes were accepted")


@check
def the_samplers_cover_every_index_once_padded() -> None:
    for count in (40, 41):
        sampler = DistributedSampler(range(count), seed=3)
        sampler.set_epoch(2)
        indices = np.array(list(sampler))
        parts = gathered(indices)
        assert all(len(part) == -(-count // world()) for part in parts), parts
        seen = np.bincount(np.concatenate(parts), minlength=count)
        padding = len(indices) * world() - count
        assert seen.min() == 1 and (seen == 2).sum() == padding and seen.max() <= 2, seen


@check
def collectives_on_each_dtype() -> None:
    me, size = rank(), world()
    for dtype in ("float32", "float64", "int32", "int64"):
        values = Tensor(np.arange(6, dtype=dtype).reshape(2, 3) + me)
        dist.all_reduce(values)
        expected = sum(np.arange(6, dtype=dtype).reshape(2, 3) + r for r in range(size))
        assert values.dtype == np.dtype(dtype) and np.array_equal(values.data, expected), values
        for op, combine in ((dist.ReduceOp.MAX, max), (dist.ReduceOp.MIN, min),
                            (dist.ReduceOp.PRODUCT, np.prod)):
            values = Tensor(np.array([me + 1, 5 - me], dtype))
            dist.all_reduce(values, op=op)
            expected = [combine([r + 1 for r in range(size)]), combine([5 - r for r in range(size)])]
            assert np.array_equal(values.data, np.array(expected, dtype)), (op, values)
        for src in range(size):
            values = Tensor(np.full(4, me * 10 + 1, dtype))
            version = values._version
            dist.broadcast(values, src)
            assert np.array_equal(values.data, np.full(4, src * 10 + 1, dtype)), values
            assert values._version == version + 1
        parts = [Tensor(np.zeros(2, dtype)) for _ in range(size)]
        dist.all_gather(parts, Tensor(np.array([me, -me], dtype)))
        assert all(np.array_equal(part.data, np.array([r, -r], dtype)) for r, part in enumerate(parts))
        for dst in range(size):
            values = Tensor(np.array([me + 1.5], dtype))
            own = values.data.copy()
            dist.reduce(values, dst)
            total = sum(np.array([r + 1.5], dtype) for r in range(size))
            assert np.array_equal(values.data, total if me == dst else own), (dst, values)
        work = dist.all_reduce(Tensor(np.ones(3, dtype)), async_op=True)
        assert work.wait() and work.is_completed()
    # A non-contiguous tensor: the result lands in its own (strided) array.
    base = Tensor(np.arange(12.0).reshape(3, 4))
    column = Tensor(base.data[:, 1])
    dist.all_reduce(column)
    assert np.array_equal(base.data[:, 1], np.array([1.0, 5.0, 9.0]) * size), base


@check
def collective_errors_name_the_argument_and_change_nothing() -> None:
    size = world()
    values = Tensor(np.ones(3, np.float16))
    expect_error(TypeError, "float16", dist.all_reduce, values)
    values = Tensor(np.ones(3))
    expect_error(ValueError, f"broadcast: src must be a rank in [0, {size - 1}], got {size}",
                 dist.broadcast, values, size)
    expect_error(ValueError, "reduce: dst", dist.reduce, values, -1)
    expect_error(TypeError, "ReduceOp", dist.all_reduce, values, "sum")
    expect_error(TypeError, "expected a Tensor, got ndarray", dist.all_reduce, np.ones(3))
    expect_error(ValueError, f"list of {size} Tensors", dist.all_gather, [values] * (size + 1), values)
    expect_error(ValueError, "shape (2,)", dist.all_gather, [Tensor(np.ones(2))] * size, values)
    assert np.array_equal(values.data, np.ones(3)) and values._version == 0
    expect_error(RuntimeError, "already initialised", dist.init_process_group)
    expect_error(ValueError, "must be one of 'mpi'", dist.init_process_group, "nccl")


def expect_error(kind: type, text: str, function: Callable, *args: object) -> None:
    try:
        function(*args)
    except kind as exc:
        assert text in str(exc), f"{kind.__name__} without {text!r}: {exc}"
    else:
        raise AssertionError(f"{function.__name__}{args} did not raise {kind.__name__}")


def main(out_dir: str) -> None:
    mytorch.set_default_dtype("float64")
    dist.init_process_group("mpi")
    results = {}
    for name, function in CHECKS.items():
        try:
            function()
            results[name] = "ok"
        except NotApplicable:
            results[name] = "n/a"
        except Exception:
            results[name] = traceback.format_exc()
    dist.barrier()
    Path(out_dir, f"rank{rank()}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
