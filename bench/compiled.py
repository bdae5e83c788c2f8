"""`mytorch.compile` beside eager MyTorch, hand-written NumPy and PyTorch, for every network.

    python -m bench.compiled [--repeats 15] [--steps 20] [--networks handout wide ...]

The networks and their NumPy and PyTorch steps are those of bench/run.py (handout, wide,
and an MLP of 8 hidden layers of width 64, SGD lr 0.1, batch 100), bench/cnn.py (the
MNIST CNN, Adam) and bench/gru.py (GRU(28, 64) + Linear, SGD, at batch 100 and 1), in
float64 and float32. The compiled step is the eager one (`timing.mytorch_stepper`'s)
under `mytorch.compile`, warmed up by WARM_UP calls (its traces and the replay checked
against eager) before the timed rounds. Rounds alternate the steppers in one process, one BLAS
thread each, and the median per-round ratio to NumPy is reported (bench/timing.py).
"""
import argparse
from typing import Dict, List, Optional

import numpy as np

from bench import cnn, gru, run, timing
from mytorch import Tensor, cli, nn, optim

DEEP = [784] + [64] * 8 + [10]
WARM_UP = 4
NETWORKS = ("handout", "wide", "deep", "cnn", "gru", "gru1")


def compiled_stepper(model: nn.Module, optimizer: optim.Optimizer) -> timing.Step:
    """`timing.mytorch_stepper`'s step, compiled: zero_grad, cross-entropy, backward, step."""
    step = cli.training_step(model, optimizer, nn.CrossEntropyLoss(), compiled=True)

    def stepper(x: np.ndarray, labels: np.ndarray) -> float:
        return step(Tensor(x), Tensor(labels)).item()

    stepper.compiled = step  # its CompiledFunction, for explain()
    return stepper


def warmed(step: timing.Step, batches: List) -> timing.Step:
    """`step` after WARM_UP calls: the traces (an optimizer's first step makes its state, so
    the second call traces again) and the check against eager, out of the timed rounds."""
    for _ in range(WARM_UP):
        step(*batches[0])
    return step


def mlp(name: str, sizes: List[int], batch_norm: bool, dtype: np.dtype, repeats: int,
        steps: int) -> Dict[str, float]:
    rng = np.random.default_rng(0)
    params = [p.astype(dtype) for p in run._init(sizes, rng)]
    batches = [(rng.standard_normal((run.BATCH, sizes[0])).astype(dtype),
                rng.integers(0, run.CLASSES, run.BATCH)) for _ in range(steps)]
    numpy_params = [p.copy() for p in params]
    state: List[np.ndarray] = []
    numpy_step = run.numpy_mlp_step
    if batch_norm:
        hidden = sizes[1]
        numpy_params[2:2] = [np.ones(hidden, dtype), np.zeros(hidden, dtype)]
        state = [np.zeros(hidden, dtype), np.ones(hidden, dtype)]
        numpy_step = run.numpy_handout_step
    eager, compiled = (run.mytorch_model(sizes, batch_norm, params).to(dtype) for _ in range(2))
    steppers = {
        "numpy": lambda x, y: numpy_step(numpy_params, state, x, y),
        "mytorch": timing.mytorch_stepper(eager, optim.SGD(eager.parameters(), lr=run.LR)),
        "compiled": warmed(compiled_stepper(compiled, optim.SGD(compiled.parameters(), lr=run.LR)),
                           batches),
        "torch": run.torch_stepper(sizes, batch_norm, params),
    }
    return timing.compare(f"{name} {np.dtype(dtype).name}", steppers, batches, repeats)


def through_eager(make_stepper, *args) -> timing.Step:
    """The stepper `make_stepper(*args)` makes (a module's eager `mytorch_stepper`), its model
    and optimizer built just as for eager, with the step compiled: `timing.mytorch_stepper`
    is `compiled_stepper` while it runs."""
    eager = timing.mytorch_stepper
    timing.mytorch_stepper = compiled_stepper
    try:
        return make_stepper(*args)
    finally:
        timing.mytorch_stepper = eager


def convolutional(dtype: np.dtype, repeats: int, steps: int) -> Dict[str, float]:
    rng = np.random.default_rng(0)
    params = [p.astype(dtype) for p in cnn.init_params(rng)]
    batches = [(rng.standard_normal((cnn.BATCH, 1, 28, 28)).astype(dtype),
                rng.integers(0, cnn.CLASSES, cnn.BATCH)) for _ in range(steps)]
    steppers = {"numpy": cnn.numpy_stepper(params), "mytorch": cnn.mytorch_stepper(params),
                "compiled": warmed(through_eager(cnn.mytorch_stepper, params), batches),
                "torch": cnn.torch_stepper(params)}
    return timing.compare(f"MNIST CNN {np.dtype(dtype).name}", steppers, batches, repeats, unit="ms")


def recurrent(dtype: np.dtype, batch: int, repeats: int, steps: int) -> Dict[str, float]:
    rng = np.random.default_rng(0)
    params = gru.init_params(rng, dtype)
    batches = [(rng.standard_normal((batch, gru.STEPS, gru.FEATURES)).astype(dtype),
                rng.integers(0, gru.CLASSES, batch)) for _ in range(steps)]
    numpy_params = [p.copy() for p in params]
    steppers = {"numpy": lambda x, y: gru.numpy_gru_step(numpy_params, x, y),
                "mytorch": gru.mytorch_stepper(params),
                "compiled": warmed(through_eager(gru.mytorch_stepper, params), batches),
                "torch": gru.torch_stepper(params)}
    return timing.compare(f"GRU(28, 64) batch {batch} {np.dtype(dtype).name}", steppers, batches,
                          repeats)


def measure(networks: List[str], repeats: int, steps: int) -> Dict[str, Dict[str, float]]:
    """Every network in float64 and float32: {name dtype: timing.compare's result}."""
    results = {}
    for dtype in (np.dtype(np.float64), np.dtype(np.float32)):
        for name in networks:
            key = f"{name} {dtype.name}"
            if name == "handout":
                results[key] = mlp("handout 784-20(BatchNorm1d)-10", [784, 20, 10], True, dtype,
                                   repeats, steps)
            elif name == "wide":
                results[key] = mlp("wide 784-256-256-10", [784, 256, 256, 10], False, dtype,
                                   repeats, steps)
            elif name == "deep":
                results[key] = mlp("deep 784-64x8-10", DEEP, False, dtype, repeats, steps)
            elif name == "cnn":
                results[key] = convolutional(dtype, repeats, max(2, steps // 10))
            else:
                results[key] = recurrent(dtype, 1 if name == "gru1" else run.BATCH, repeats,
                                         max(2, steps // 4) if name == "gru" else steps)
    return results


def summary(results: Dict[str, Dict[str, float]]) -> str:
    """One line per measurement: compiled / NumPy, eager / NumPy, and compiled / PyTorch."""
    lines = []
    for key, result in results.items():
        line = (f"{key}: compiled {result['compiled_ratio']:.2f}x NumPy, eager "
                f"{result['mytorch_ratio']:.2f}x")
        if "torch_ratio" in result:
            line += f", compiled / PyTorch {result['compiled_ratio'] / result['torch_ratio']:.2f}"
        lines.append(line)
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="alternating rounds (default 15)")
    parser.add_argument("--steps", type=int, default=20,
                        help="training steps per round for the MLPs (default 20; the CNN runs a "
                             "tenth, the GRU at batch 100 a quarter)")
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS),
                        help="which networks (default: all)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.steps < 1:
        parser.error(f"--repeats and --steps must be positive, got {args.repeats} and {args.steps}")
    retained = run.retain_freed_memory()
    with timing.one_thread():
        print(f"median of {args.repeats} alternating rounds; ratios against the hand-written NumPy "
              f"step; threads: {timing.describe_threads()}; malloc: "
              f"{'freed memory retained' if retained else 'system default'}")
        results = measure(args.networks, args.repeats, args.steps)
    print(summary(results))


if __name__ == "__main__":
    main()
