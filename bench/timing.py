"""What every benchmark shares: one thread, the training steps, alternating timed rounds
and the report line.

One thread for every side of a comparison: on two cores, BLAS threads that spin between
small matrix products made every timing depend on what else the machine ran. NumPy's
BLAS is limited with threadpoolctl, as `mytorch.cli.session` limits the programs' (a
library loaded later is not limited by it, hence `import_torch`'s set_num_threads(1)).
"""
import contextlib
import statistics
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from mytorch import Tensor, nn, optim

Step = Callable[[np.ndarray, np.ndarray], float]  # (inputs, labels) -> the loss, after one update
UNITS = {"us": (1e6, ".1f"), "ms": (1e3, ".2f")}  # per-step unit: (per second, format)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with every BLAS and OpenMP pool loaded so far limited to one thread."""
    with threadpool_limits(limits=1):
        yield


def describe_threads() -> str:
    """The loaded thread pools and their sizes, e.g. 'openblas 1'."""
    return ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info())


def import_torch() -> Optional[Any]:
    """The torch module, limited to one thread, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def mytorch_stepper(model: nn.Module, optimizer: optim.Optimizer) -> Step:
    """A training step of `model`: cross-entropy, backward, `optimizer.step()`."""
    criterion = nn.CrossEntropyLoss()

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = criterion(model(Tensor(x)), Tensor(labels))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_stepper(torch: Any, model: Callable[[Any], Any], optimizer: Any) -> Step:
    """The same step in PyTorch's eager mode; `model` maps the input tensor to logits."""
    criterion = torch.nn.CrossEntropyLoss()

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = criterion(model(torch.from_numpy(x)), torch.from_numpy(labels))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def compare(name: str, steppers: Dict[str, Optional[Step]],
            batches: Sequence[Tuple[np.ndarray, np.ndarray]], repeats: int,
            unit: str = "us") -> Dict[str, float]:
    """Alternate the steppers (None ones left out) over `batches`, `repeats` timed rounds
    after one warm-up round; print and return each one's median time per step
    (`<key>_<unit>`) and the median of its per-round ratios to the first one (`<key>_ratio`).

    The per-round ratio, not the ratio of medians: the steppers of one round share
    whatever else the machine was doing then.
    """
    steppers = {key: step for key, step in steppers.items() if step is not None}
    per_second, number_format = UNITS[unit]
    times: Dict[str, List[float]] = {key: [] for key in steppers}
    for round_index in range(repeats + 1):
        for key, step in steppers.items():
            start = time.perf_counter()
            for x, labels in batches:
                step(x, labels)
            if round_index:  # the first round warms caches and allocators up
                times[key].append((time.perf_counter() - start) / len(batches) * per_second)
    baseline, *others = steppers
    result = {f"{key}_{unit}": statistics.median(values) for key, values in times.items()}
    for key in others:
        result[f"{key}_ratio"] = statistics.median(
            t / n for t, n in zip(times[key], times[baseline]))
    print(f"{name}: " + ", ".join(
        f"{key} {value:{number_format}} {unit}/step" if key.endswith(f"_{unit}")
        else f"{key} {value:.2f}x" for key, value in result.items()))
    return result
