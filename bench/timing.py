"""What every benchmark shares: one thread, the training steps, alternating timed rounds,
the report line and the summary table.

One thread for every side of a comparison: on two cores, BLAS threads that spin between
small matrix products made every timing depend on what else the machine ran. NumPy's
BLAS is limited with threadpoolctl, as `mytorch.cli.session` limits the programs' (a
library loaded later is not limited by it, hence `import_torch`'s set_num_threads(1)).

A benchmark module (bench/run.py's networks, bench/cnn.py, bench/gru.py) times its
steppers with `compare`, which returns a `Result`; its `run(repeats, steps)` returns
those Results (a list, or a dict of them), and `python3 -m bench` prints them all in one
table (`table`).
"""
import contextlib
import dataclasses
import random
import statistics
import time
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.cli import training_step

Step = Callable[[np.ndarray, np.ndarray], float]  # (inputs, labels) -> the loss, after one update
UNITS = {"us": (1e6, ".1f"), "ms": (1e3, ".2f")}  # per-step unit: (per second, format)
# Calls of each stepper before the timed rounds: a compiled step traces (twice, when its
# optimizer makes state on its first step) and checks its first replay against eager.
WARM_UP = 4
# The contenders, in the table's order. The first one a comparison has is its baseline.
CONTENDERS = {"numpy": "NumPy by hand", "floor": "floor (bench/floor.py)", "mytorch": "MyTorch eager",
              "compiled": "MyTorch compiled", "torch": "PyTorch eager"}


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


def train_step(model: nn.Module, optimizer: optim.Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """`step(x, labels)`: the programs' training step with cross-entropy (zero_grad,
    forward, loss, backward, `optimizer.step()`), returning the loss; the function
    `mytorch.compile` takes."""
    return training_step(model, optimizer, nn.CrossEntropyLoss())


def mytorch_stepper(model: nn.Module, optimizer: optim.Optimizer) -> Step:
    """A training step of `model` in MyTorch's eager mode."""
    step = train_step(model, optimizer)
    return lambda x, labels: step(Tensor(x), Tensor(labels)).item()


def compiled_stepper(model: nn.Module, optimizer: optim.Optimizer) -> Optional[Step]:
    """The same step through `mytorch.compile`, or None in a MyTorch without it. Give it a
    model and optimizer of its own: it trains them as the eager stepper trains its own.
    Its first calls trace and check the replay against eager (see `compare`'s warm-up)."""
    compile_step = getattr(mytorch, "compile", None)
    if compile_step is None:
        return None
    step = compile_step(train_step(model, optimizer))

    def stepper(x: np.ndarray, labels: np.ndarray) -> float:
        return step(Tensor(x), Tensor(labels)).item()

    stepper.compiled = step  # its CompiledFunction, for explain()
    return stepper


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


@dataclasses.dataclass
class Result(Mapping):
    """The timed rounds of one comparison: `times[contender]` holds one time per step for
    each round, in `unit`, the rounds of all contenders interleaved.

    Also a read-only dict of the medians: `result["<contender>_<unit>"]`, the median time
    per step, and `result["<contender>_ratio"]`, the median per-round ratio to the baseline.
    """

    name: str
    unit: str
    times: Dict[str, List[float]]

    def _medians(self) -> Dict[str, float]:
        medians = {f"{key}_{self.unit}": self.median(key) for key in self.times}
        medians.update({f"{key}_ratio": self.ratios(key)[1] for key in self.times if key != self.baseline})
        return medians

    def __getitem__(self, key: str) -> float:
        return self._medians()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._medians())

    def __len__(self) -> int:
        return len(self._medians())

    @property
    def baseline(self) -> str:
        return next(iter(self.times))

    def fastest(self, key: str) -> float:
        return min(self.times[key])

    def median(self, key: str) -> float:
        return statistics.median(self.times[key])

    def ratios(self, key: str, against: Optional[str] = None) -> Tuple[float, float]:
        """`key` against the baseline (or contender `against`): (the ratio of their fastest
        rounds, the median of the per-round ratios). Per round, because the contenders of
        one round share whatever else the machine was doing then."""
        baseline = self.times[against or self.baseline]
        return (self.fastest(key) / min(baseline),
                statistics.median(t / b for t, b in zip(self.times[key], baseline)))

    def cell(self, key: str, against: Optional[str] = None) -> str:
        """'min / median' of `key`: times for the baseline, ratios to it (or to `against`)
        for the others."""
        if key not in self.times or (against is not None and against not in self.times):
            return "-"
        if key == self.baseline and against is None:
            number_format = UNITS[self.unit][1]
            return f"{self.fastest(key):{number_format}} / {self.median(key):{number_format}} {self.unit}"
        fastest, median = self.ratios(key, against)
        return f"{fastest:.2f}x / {median:.2f}x"

    def line(self) -> str:
        return f"{self.name}: " + ", ".join(f"{key} {self.cell(key)}" for key in self.times)


def compare(name: str, steppers: Dict[str, Optional[Step]],
            batches: Sequence[Tuple[np.ndarray, np.ndarray]], repeats: int,
            unit: str = "us") -> Result:
    """Alternate the steppers (None ones left out) over `batches`, `repeats` timed rounds
    after a warm-up round (at least WARM_UP calls of each); print the fastest and median
    time per step of the first one and each other's ratios to it (min / median), and
    return them all.

    Each timed round runs the contenders in an order of its own (shuffled, the same in
    every run), and each contender's turn starts with one untimed step: a step right after
    another contender's runs in the caches that one left (the CNN's compiled step took a
    tenth longer after MyTorch's eager one), which training, one contender alone, never
    does."""
    steppers = {key: step for key, step in steppers.items() if step is not None}
    per_second = UNITS[unit][0]
    result = Result(name, unit, {key: [] for key in steppers})
    warm_up = list(batches) * -(-WARM_UP // len(batches))
    order = list(steppers)
    shuffler = random.Random(0)
    for round_index in range(repeats + 1):
        for key in order:
            step = steppers[key]
            if round_index:
                step(*batches[0])
            start = time.perf_counter()
            for x, labels in batches if round_index else warm_up:
                step(x, labels)
            if round_index:  # the first round warms caches, allocators and traces up
                result.times[key].append((time.perf_counter() - start) / len(batches) * per_second)
        shuffler.shuffle(order)
    print(result.line(), flush=True)
    return result


def flatten(results: Any) -> List[Result]:
    """The Results in what a benchmark's run() returned: a Result, or lists and dicts of them."""
    if isinstance(results, Result):
        return [results]
    values: Iterable[Any] = results.values() if isinstance(results, Mapping) else results
    return [result for value in values for result in flatten(value)]


def table(results: Sequence[Result]) -> str:
    """A Markdown table: one row per comparison, one column per contender (min / median),
    and, where both ran, compiled MyTorch's ratio to PyTorch's eager mode."""
    keys = [key for key in CONTENDERS if any(key in result.times for result in results)]
    columns = [(key, None) for key in keys]
    if "compiled" in keys and "torch" in keys:
        columns.append(("compiled", "torch"))
    names = [CONTENDERS[key] if against is None else f"{CONTENDERS[key]} / {CONTENDERS[against]}"
             for key, against in columns]
    lines = ["| step | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(columns)]
    lines += ["| " + result.name + " | "
              + " | ".join(result.cell(key, against) for key, against in columns) + " |"
              for result in results]
    return "\n".join(lines)
