"""Data-parallel scaling of the MNIST CNN: 1 rank against 2, images per second.

    python3 -m bench.ddp [--rounds 5] [--steps 30] [--batch 100]

Each round starts one `mpiexec -n 1` and one `mpiexec -n 2` job of this module's
worker, alternately (contenders interleaved, as bench/timing.py does in one process).
A worker trains the CNN of examples/mnist_cnn.py under DistributedDataParallel (Adam,
float32, one BLAS thread per rank) on random 28 x 28 batches of `--batch` images
globally (so `--batch / K` per rank), and times `--steps` steps after two warm-up steps.
It also times the communication on its own:
- waiting: the time `backward()` spends at its end waiting for the gradient all-reduces
  and writing the averages (the part of the communication not hidden behind backward);
- all-reduce: a bare `all_reduce` of a gradient-sized float32 array, timed apart from
  training (what one step's communication costs without anything to overlap it).
The report gives, per rank count, images per second (min / median over rounds), the
parallel efficiency (images/s on 2 ranks / (2 x images/s on 1), per round), and the
bytes a step moves, with what they would take over a network.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# Network speeds for the multi-machine estimate, in bytes per second.
LINKS = {"1 Gbit/s Ethernet": 125e6, "10 Gbit/s Ethernet": 1.25e9, "100 Gbit/s InfiniBand": 12.5e9}


def worker(steps: int, batch: int) -> None:
    """One rank of a timed job; rank 0 prints one JSON line of measurements."""
    from threadpoolctl import threadpool_limits

    import mytorch
    from examples.mnist_cnn import build_model
    from mytorch import Tensor, distributed as dist, nn, optim
    from mytorch.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch % world:
        raise ValueError(f"--batch {batch} must be a multiple of the number of ranks, {world}")
    with threadpool_limits(limits=1):
        mytorch.set_default_dtype("float32")
        mytorch.manual_seed(rank)
        model = DistributedDataParallel(build_model())
        waited = [0.0]
        finalize = model._finalize

        def timed_finalize() -> None:
            started = time.perf_counter()
            finalize()
            waited[0] += time.perf_counter() - started

        model._finalize = timed_finalize  # the wrapper queues whatever this attribute holds
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        criterion = nn.CrossEntropyLoss()
        rng = np.random.default_rng(rank)
        local = batch // world
        images = rng.random((steps + 2, local, 1, 28, 28), dtype=np.float32)
        labels = rng.integers(0, 10, (steps + 2, local))

        def step(index: int) -> None:
            optimizer.zero_grad()
            criterion(model(Tensor(images[index])), Tensor(labels[index])).backward()
            optimizer.step()

        step(0)
        step(1)
        dist.barrier()
        waited[0] = 0.0
        started = time.perf_counter()
        for index in range(2, steps + 2):
            step(index)
        seconds = time.perf_counter() - started
        gradient = Tensor(np.ones(sum(p.data.size for p in model.parameters()), np.float32))
        dist.barrier()
        repeats = 200
        started = time.perf_counter()
        for _ in range(repeats):
            dist.all_reduce(gradient)
        allreduce = (time.perf_counter() - started) / repeats
    if rank == 0:
        print(json.dumps({"ranks": world, "images_per_second": steps * batch / seconds,
                          "step_ms": 1e3 * seconds / steps, "waiting_ms": 1e3 * waited[0] / steps,
                          "allreduce_ms": 1e3 * allreduce, "gradient_bytes": gradient.data.nbytes}))
    dist.destroy_process_group()


def run_job(ranks: int, steps: int, batch: int) -> Dict[str, float]:
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("bench.ddp: no mpiexec found; install the extra: pip install -e \".[distributed]\"")
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([mpiexec, "-n", str(ranks), sys.executable, "-m", "bench.ddp", "--worker",
                             "--steps", str(steps), "--batch", str(batch)], cwd=REPO,
                            env=environment, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"bench.ddp: the {ranks}-rank job failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def spread(values: List[float], form: str) -> str:
    """'min / median (max)' of `values`."""
    return (f"{format(min(values), form)} / {format(statistics.median(values), form)} "
            f"(max {format(max(values), form)})")


def report(rounds: List[Dict[int, Dict[str, float]]], batch: int) -> None:
    print(f"\nCNN of examples/mnist_cnn.py, global batch {batch}, Adam, float32; "
          f"{len(rounds)} rounds; min / median (max)")
    for ranks in (1, 2):
        runs = [round_[ranks] for round_ in rounds]
        print(f"{ranks} rank(s): {spread([r['images_per_second'] for r in runs], '.0f')} images/s; "
              f"step {spread([r['step_ms'] for r in runs], '.2f')} ms; waiting for the "
              f"all-reduce {spread([r['waiting_ms'] for r in runs], '.3f')} ms a step; a bare "
              f"all-reduce of the gradient {spread([r['allreduce_ms'] for r in runs], '.3f')} ms")
    efficiency = [r[2]["images_per_second"] / (2 * r[1]["images_per_second"]) for r in rounds]
    speedup = [2 * e for e in efficiency]
    print(f"2 ranks against 1: speed-up {spread(speedup, '.2f')}x, parallel efficiency "
          f"{spread([100 * e for e in efficiency], '.0f')}%")
    size = rounds[0][2]["gradient_bytes"]
    step_ms = statistics.median(r[2]["step_ms"] for r in rounds)
    print(f"\nA step all-reduces {size} bytes of gradients ({size // 4} float32 values). Across "
          f"machines a ring all-reduce sends (and receives) 2 (K - 1) / K of that per rank and "
          f"step: {size} bytes for K = 2, nearly {2 * size} for many machines. For K = 2:")
    for link, speed in LINKS.items():
        print(f"  {link}: about {1e3 * size / speed:.3f} ms a step, against a {step_ms:.1f} ms "
              "step (plus the network's latency, tens of microseconds a message)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps, args.batch)
        return
    rounds = []
    for index in range(args.rounds):
        round_ = {}
        for ranks in ((1, 2) if index % 2 == 0 else (2, 1)):
            round_[ranks] = run_job(ranks, args.steps, args.batch)
        rounds.append(round_)
        print(f"round {index + 1}: " + "; ".join(
            f"{ranks} rank(s) {round_[ranks]['images_per_second']:.0f} images/s" for ranks in (1, 2)),
            flush=True)
    report(rounds, args.batch)


if __name__ == "__main__":
    main()
