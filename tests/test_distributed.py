"""mytorch.distributed, DistributedDataParallel, SyncBatchNorm and DistributedSampler.

The checks that need several processes run in real MPI jobs started here: one
`mpiexec -n 2` job (and the same script as one plain process) runs every check of
tests/distributed_checks.py, and each check's result is a test here. They are skipped
only where mpi4py is not installed (CI installs it). The sampler, the DataLoader's
`sampler`, the engine's `queue_callback` and SyncBatchNorm's math run in this process.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, autograd_engine, nn
from mytorch.data import DataLoader, DistributedSampler, TensorDataset
from mytorch.gradcheck import gradcheck
from mytorch.ops import BatchNorm

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
HAS_MPI4PY = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(not HAS_MPI4PY, reason="mpi4py is not installed: "
                               "pip install -e \".[distributed]\" brings it and mpiexec")
JOB_TIMEOUT = 120  # seconds; a job takes about one to a few seconds

# The checks of tests/distributed_checks.py, each a test below for each world size.
CHECKS = [
    "sgd_with_momentum_matches_one_process",
    "adam_matches_one_process",
    "sync_batchnorm_matches_batchnorm_on_the_whole_batch",
    "no_sync_accumulates_locally_then_averages_the_sum",
    "an_unused_parameter_is_an_error_naming_it",
    "find_unused_parameters_averages_the_used_ones",
    "buckets_start_before_backward_ends",
    "construction_broadcasts_rank_0s_parameters_and_buffers",
    "different_models_are_an_error_on_every_rank",
    "the_samplers_cover_every_index_once_padded",
    "collectives_on_each_dtype",
    "collective_errors_name_the_argument_and_change_nothing",
]


def mpiexec() -> str:
    """The mpiexec beside this Python (where the mpich wheel puts it), else on PATH."""
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found beside python or on PATH: "
                    "pip install mpich")
    return found


def run_job(ranks: int, args, cwd=REPO, **env: str) -> subprocess.CompletedProcess:
    """`mpiexec -n ranks python3 args...` (plain python3 for ranks=0), one BLAS thread each."""
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **env)
    command = [sys.executable, *args]
    if ranks:
        command = [mpiexec(), "-n", str(ranks)] + command
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=JOB_TIMEOUT)


@pytest.fixture(scope="module", params=[2, 0], ids=["mpiexec -n 2", "one process"])
def job_results(request, tmp_path_factory):
    """{rank: {check: result}} of one run of tests/distributed_checks.py."""
    out = tmp_path_factory.mktemp("distributed")
    result = run_job(request.param, [str(REPO / "tests" / "distributed_checks.py"), str(out)])
    assert result.returncode == 0, result.stdout + result.stderr
    return {int(path.stem[4:]): json.loads(path.read_text()) for path in out.glob("rank*.json")}


@needs_mpi
def test_the_job_ran_every_check_on_every_rank(job_results):
    assert len(job_results) in (1, 2)
    for results in job_results.values():
        assert list(results) == CHECKS


@needs_mpi
@pytest.mark.parametrize("check", CHECKS)
def test_check(job_results, check):
    outcomes = {rank: results.get(check) for rank, results in job_results.items()}
    if set(outcomes.values()) == {"n/a"}:
        pytest.skip(f"{check} needs more than {len(outcomes)} rank(s)")
    failed = {rank: outcome for rank, outcome in outcomes.items() if outcome != "ok"}
    assert not failed, "\n".join(f"rank {rank}: {outcome}" for rank, outcome in failed.items())


# --------------------------------------------------------------------- faults

RAISE_ON_RANK_1 = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from mytorch import distributed as dist
    dist.init_process_group()
    if dist.get_rank() == 1:
        {failure}
    dist.barrier()  # rank 0 waits here for a rank that never comes
    print("rank", dist.get_rank(), "passed the barrier")
""")


@needs_mpi
@pytest.mark.parametrize("failure, message", [
    ("raise ValueError('boom')", "[rank 1] ValueError: boom"),
    ("dist.abort(3)", ""),
])
def test_a_failing_rank_ends_the_job_instead_of_hanging(failure, message):
    started = time.perf_counter()
    result = run_job(2, ["-c", RAISE_ON_RANK_1.format(repo=str(REPO), failure=failure)])
    assert result.returncode != 0, result.stdout + result.stderr
    assert "passed the barrier" not in result.stdout
    assert message in result.stderr, result.stderr
    if message:
        assert "[rank 1] Traceback (most recent call last):" in result.stderr, result.stderr
        assert "[rank 1] aborting all 2 processes of the job" in result.stderr, result.stderr
    assert time.perf_counter() - started < JOB_TIMEOUT / 2


# ------------------------------------------------------------------ the program

@needs_mpi
@pytest.mark.skipif(not (SHARED_DATA / "mnist-10k").is_dir(), reason=f"no shared data at {SHARED_DATA}")
def test_the_ddp_example_trains_on_two_ranks_and_only_rank_0_reports(tmp_path):
    plot = tmp_path / "ddp.png"
    result = run_job(2, ["-m", "examples.mnist_ddp", "--dataset", "mnist-10k", "--epochs", "1",
                         "--plot", str(plot)], MYTORCH_DATA=str(SHARED_DATA), MPLBACKEND="Agg")
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.findall(r"final validation accuracy: (0\.\d{4}) after 1 epoch\(s\) with 2 "
                       r"process\(es\) on mnist-10k", result.stdout)
    assert len(found) == 1, result.stdout  # printed once: by rank 0 only
    assert float(found[0]) >= 0.9, result.stdout  # 0.9495 with the default seed
    assert re.search(r"throughput: \d+ images/s training \(8000 images in [0-9.]+ s on 2 "
                     r"process\(es\)\)", result.stdout), result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_mpi
def test_the_ddp_example_rejects_a_batch_the_ranks_cannot_share():
    result = run_job(2, ["-m", "examples.mnist_ddp", "--batch-size", "101"])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--batch-size 101 must be a multiple of the number of processes, 2" in result.stderr


# ---------------------------------------------------------------- the extra

def test_import_mytorch_never_loads_mpi():
    code = ("import sys, mytorch, mytorch.nn, mytorch.data, mytorch.utils.data, mytorch.cli\n"
            "from mytorch.nn import SyncBatchNorm, parallel\n"
            "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("statement", ["import mytorch.distributed",
                                       "from mytorch.nn.parallel import DistributedDataParallel"])
def test_without_mpi4py_the_import_names_the_extra(statement):
    code = f"import sys\nsys.modules['mpi4py'] = None  # as if not installed\n{statement}"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "ImportError: mytorch.distributed needs mpi4py" in result.stderr, result.stderr
    assert 'pip install -e ".[distributed]"' in result.stderr, result.stderr


# ------------------------------------------------------------- the sampler

@pytest.mark.parametrize("count", [0, 1, 5, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_deals_and_pads_as_pytorch(count, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(count), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(count), replicas, rank, shuffle=False,
                                               drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("count, replicas", [(10, 2), (11, 3), (2, 5)])
def test_shuffled_shares_cover_every_index_each_epoch(count, replicas):
    def shares(epoch):
        samplers = [DistributedSampler(range(count), replicas, rank, seed=4) for rank in range(replicas)]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(sampler) for sampler in samplers]

    for epoch in range(3):
        dealt = shares(epoch)
        assert len({len(share) for share in dealt}) == 1
        every = np.concatenate(dealt).astype(int)
        assert set(every) == set(range(count))
        padding = len(every) - count
        assert padding < replicas or count < replicas
        assert dealt == shares(epoch)  # the same order on every rank that asks
    if count >= 10:  # (two indices have only two orders)
        assert shares(0) != shares(1)  # set_epoch draws a new order


def test_shuffle_false_keeps_the_order_and_drop_last_cuts_it():
    assert list(DistributedSampler(range(7), 2, 1, shuffle=False)) == [1, 3, 5, 0]
    assert list(DistributedSampler(range(7), 2, 1, shuffle=False, drop_last=True)) == [1, 3, 5]


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(num_replicas=2, rank=2), ValueError, "DistributedSampler: rank must be a rank in [0, 1], got 2"),
    (dict(num_replicas=2, rank=-1), ValueError, "got -1"),
    (dict(num_replicas=0, rank=0), ValueError, "num_replicas must be a positive integer, got 0"),
    (dict(num_replicas=2, rank=0, shuffle="yes"), ValueError, "shuffle must be True or False"),
    (dict(num_replicas=2, rank=0, seed=-3), ValueError, "seed"),
])
def test_sampler_bad_arguments(kwargs, error, text):
    with pytest.raises(error) as caught:
        DistributedSampler(range(4), **kwargs)
    assert text in str(caught.value)


def test_sampler_bad_epoch_and_dataset():
    sampler = DistributedSampler(range(4), 2, 0)
    with pytest.raises(ValueError, match="epoch must be a non-negative integer, got -1"):
        sampler.set_epoch(-1)
    assert sampler.epoch == 0
    with pytest.raises(TypeError, match="dataset must have __len__, got int"):
        DistributedSampler(4, 2, 0)


def test_sampler_is_where_pytorch_keeps_it():
    from mytorch.utils.data import DistributedSampler as from_utils
    from mytorch.utils.data.distributed import DistributedSampler as from_module
    assert from_utils is from_module is DistributedSampler


# ------------------------------------------------------- the loader's sampler

def test_loader_takes_the_samplers_indices_in_its_order():
    dataset = TensorDataset(np.arange(10) * 10)
    sampler = DistributedSampler(dataset, 3, 2, shuffle=False)  # indices 2, 5, 8, 1
    loader = DataLoader(dataset, batch_size=3, sampler=sampler)
    assert len(loader) == 2
    assert [batch[0].data.tolist() for batch in loader] == [[20, 50, 80], [10]]
    assert len(DataLoader(dataset, batch_size=3, sampler=sampler, drop_last=True)) == 1
    assert [b[0].data.tolist() for b in DataLoader(dataset, batch_size=2, sampler=[9, 0, 4])] == [[90, 0], [40]]


def test_loader_sampler_errors():
    dataset = TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(dataset, sampler=[0, 1], shuffle=True)
    with pytest.raises(TypeError, match="sampler must have __iter__ and __len__, got generator"):
        DataLoader(dataset, sampler=(index for index in range(4)))


# ------------------------------------------------------ the engine's callbacks

def test_queue_callback_runs_after_every_grad_is_accumulated():
    weight = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    bias = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    weight.grad = Tensor(np.array([10.0, 10.0]))
    seen = []

    def hook(grad):
        autograd_engine.queue_callback(lambda: seen.append(("first", weight.grad.data.copy(),
                                                            bias.grad.data.copy())))
        autograd_engine.queue_callback(lambda: autograd_engine.queue_callback(
            lambda: seen.append(("queued by a callback",))))

    handle = weight.register_hook(hook)
    (weight * 2 + bias).sum().backward()
    assert seen[0][0] == "first"
    np.testing.assert_array_equal(seen[0][1], [12.0, 12.0])  # accumulated, not just computed
    np.testing.assert_array_equal(seen[0][2], [1.0, 1.0])
    assert seen[1:] == [("queued by a callback",)]
    handle.remove()
    (weight * 2).sum().backward()  # the callbacks were for that pass only
    assert len(seen) == 2


def test_queue_callback_outside_backward_and_after_a_failed_pass():
    with pytest.raises(RuntimeError, match="queue_callback: no backward pass is running"):
        autograd_engine.queue_callback(lambda: None)
    weight = Tensor(np.ones(2), requires_grad=True)
    ran = []

    def hook(grad):
        autograd_engine.queue_callback(lambda: ran.append(True))
        raise ValueError("hook failed")

    weight.register_hook(hook)
    with pytest.raises(ValueError, match="hook failed"):
        (weight * 3).sum().backward()
    assert ran == [] and weight.grad is None
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        autograd_engine.queue_callback(lambda: None)  # the failed pass left no queue behind


# ------------------------------------------- SyncBatchNorm's math (BatchNorm's group_sum)

def identity_sum(array):
    """The sum over a world of one rank."""
    return array


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_summed_over_a_group_of_one_is_batchnorm(shape):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    weight = Tensor(rng.standard_normal(3), requires_grad=True)
    bias = Tensor(rng.standard_normal(3), requires_grad=True)
    stats = [Tensor(np.zeros(3)), Tensor(np.ones(3)), Tensor(np.zeros(3)), Tensor(np.ones(3))]
    ours = BatchNorm.apply(x, stats[0], stats[1], weight, bias, True, 0.1, 1e-5, identity_sum)
    upstream = rng.standard_normal(shape)
    ours.backward(upstream)
    grads = [t.grad.data.copy() for t in (x, weight, bias)]
    for t in (x, weight, bias):
        t.grad = None
    theirs = BatchNorm.apply(x, stats[2], stats[3], weight, bias, True, 0.1, 1e-5)
    theirs.backward(upstream)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=0, atol=1e-12)
    for ours_grad, t in zip(grads, (x, weight, bias)):
        np.testing.assert_allclose(ours_grad, t.grad.data, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stats[0].data, stats[2].data, rtol=0, atol=1e-15)
    np.testing.assert_allclose(stats[1].data, stats[3].data, rtol=0, atol=1e-15)
    assert gradcheck(lambda a, w, b: BatchNorm.apply(
        a, Tensor(np.zeros(3)), Tensor(np.ones(3)), w, b, True, 0.1, 1e-5, identity_sum), x, weight, bias)


def test_batchnorm_summed_over_a_group_against_pytorch_batch_norm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    data, gamma, beta = rng.standard_normal((5, 4, 3)), rng.standard_normal(4), rng.standard_normal(4)
    x, weight, bias = (Tensor(a, requires_grad=True) for a in (data, gamma, beta))
    running_mean, running_var = Tensor(np.zeros(4)), Tensor(np.ones(4))
    out = BatchNorm.apply(x, running_mean, running_var, weight, bias, True, 0.1, 1e-5, identity_sum)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    reference = torch.nn.BatchNorm1d(4).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(gamma))
        reference.bias.copy_(torch.tensor(beta))
    tx = torch.tensor(data, requires_grad=True)
    expected = reference(tx)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(weight.grad.data, reference.weight.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(bias.grad.data, reference.bias.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(running_mean.data, reference.running_mean.numpy(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(running_var.data, reference.running_var.numpy(), rtol=0, atol=1e-15)


def test_sync_batchnorm_errors_and_conversion():
    with pytest.raises(ValueError, match=r"more than 1 value per channel when training, got "
                                         r"input of shape \(1, 3\) \(1 over all ranks\)"):
        BatchNorm.apply(Tensor(np.ones((1, 3))), Tensor(np.zeros(3)), Tensor(np.ones(3)),
                        Tensor(np.ones(3)), Tensor(np.zeros(3)), True, 0.1, 1e-5, identity_sum)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU()).eval()
    gamma, running = model[1].gamma, model[1].running_var
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and type(model[1]) is nn.SyncBatchNorm
    assert model[1].gamma is gamma and model[1].running_var is running and not model[1].is_train
    assert list(dict(model.named_parameters())) == ["0.weight", "0.bias", "1.weight", "1.bias"]


# ------------------------------------------------------------------ the docs

DOCS = REPO / "docs" / "distributed.md"
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)


def test_every_code_block_in_the_docs_is_python_or_bash():
    assert [language for language, _ in BLOCKS if language not in ("python", "bash")] == []
    assert len(BLOCKS) >= 5


@needs_mpi
@pytest.mark.skipif(not (SHARED_DATA / "mnist-10k").is_dir(), reason=f"no shared data at {SHARED_DATA}")
def test_every_code_block_in_the_docs_runs(tmp_path):
    """Python blocks are saved under the name their first line gives; bash blocks run in
    order in the same folder, with this checkout importable and this Python's mpiexec."""
    environment = dict(os.environ, PYTHONPATH=str(REPO), MYTORCH_DATA=str(SHARED_DATA),
                       MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                       PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for language, code in BLOCKS:
        if language == "python":
            name = re.match(r"# (\w+\.py):", code).group(1)
            (tmp_path / name).write_text(code)
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path,
                                env=environment, capture_output=True, text=True, timeout=JOB_TIMEOUT)
        assert result.returncode == 0, code + result.stdout + result.stderr
        if "ddp_hello.py" in code:  # each run prints the learnt weight once, from rank 0
            assert result.stdout.count("learnt weight: [[ 1.  -2.   0.5  3. ]]") == code.count("ddp_hello")
