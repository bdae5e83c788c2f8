"""Problem 3: train the handout's MLP on MNIST and plot its validation accuracy.

The handout's functions keep their names and contracts: `mnist` builds the network,
loss and optimizer and calls `train`, which runs the epochs and calls `validate` every
100 batches. Run as a program, this module loads the data, trains and saves the plot:

    MYTORCH_DATA=../shared/data python3 -m hw1.mnist --dataset mnist-10k [--compile]

All the command-line plumbing (options, data, threads, dtype, seeds) is `mytorch.cli`'s.
"""
import sys
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from mytorch import checks, cli
from mytorch.data import DataLoader, TensorDataset
from mytorch.nn import BatchNorm1d, CrossEntropyLoss, Linear, Module, ReLU, Sequential
from mytorch.optim import SGD, Optimizer
from mytorch.plots import save_line_plot

# The handout's settings.
BATCH_SIZE = 100
NUM_EPOCHS = 3
LEARNING_RATE = 0.1
VALIDATE_EVERY = 100  # batches
DEFAULT_PLOT = Path(__file__).resolve().parent / "validation_accuracy.png"

PathLike = Union[str, Path]


# ---------------------------------------------------------------- the handout's API

def mnist(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray, *,
          num_epochs: int = NUM_EPOCHS, batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE,
          progress: bool = False, compile: bool = False) -> List[float]:
    """Build the handout's network and train it; return the validation accuracies.

    The network is Linear(784, 20) -> BatchNorm1d(20) -> ReLU -> Linear(20, 10), trained
    with cross-entropy and SGD. Parameters are initialised from `np.random`, so
    `np.random.seed` makes a run reproducible.

    Args:
        train_x, val_x: float images, shape (N, 784), values in [0, 1].
        train_y, val_y: integer labels 0..9, shape (N,).
        num_epochs, batch_size, lr: the handout's 3, 100 and 0.1 unless given.
        progress: show a progress bar on stderr.
        compile: train with `mytorch.compile` (see `train`).

    Returns:
        The validation accuracies, in [0, 1], in the order `train` measured them.
    """
    model = Sequential(Linear(784, 20), BatchNorm1d(20), ReLU(), Linear(20, 10))
    criterion = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr)
    return train(model, optimizer, criterion, train_x, train_y, val_x, val_y,
                 batch_size=batch_size, num_epochs=num_epochs, progress=progress, compile=compile)


def train(model: Module, optimizer: Optimizer, criterion: Module, train_x: np.ndarray,
          train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
          batch_size: int = BATCH_SIZE, num_epochs: int = NUM_EPOCHS, *,
          validate_every: int = VALIDATE_EVERY, rng: Optional[np.random.Generator] = None,
          progress: bool = False, compile: bool = False) -> List[float]:
    """Train `model` with minibatch SGD, validating every `validate_every` batches.

    Each epoch visits the training set in a new random order. Inputs and labels are
    constant Tensors (they never require grad). Validation happens after every
    `validate_every`-th batch, counted over the whole run, and after the last batch,
    so the last accuracy is the trained model's (see `validation_steps`).

    Args:
        model: maps (B, 784) inputs to (B, 10) logits.
        optimizer: updates `model`'s parameters.
        criterion: loss of (logits, labels).
        train_x, train_y, val_x, val_y: as for `mnist`.
        batch_size: samples per batch, at least 2, because BatchNorm cannot
            normalise one sample; for the same reason a last batch of a single
            sample is skipped each epoch (`num_batches` counts the batches kept).
        num_epochs: passes over the training set.
        validate_every: batches between validations.
        rng: source of the shuffles; `np.random` (seeded by `np.random.seed`) if None.
        progress: show a progress bar on stderr with the epoch, batch, running loss
            and last validation accuracy.
        compile: trace the training step once per batch shape and replay it
            (`mytorch.compile`): the same results, faster.

    Returns:
        The validation accuracies, in order.

    Raises:
        ValueError: naming the argument, for bad data, a `batch_size` below 2 or
            a non-positive `num_epochs` or `validate_every`; before any training.
    """
    _check_split("train", train_x, train_y)
    _check_split("val", val_x, val_y)
    for name, value in (("batch_size", batch_size), ("num_epochs", num_epochs),
                        ("validate_every", validate_every)):
        checks.positive_int(name, value)
    total = num_batches(len(train_x), batch_size) * num_epochs
    checkpoints = set(validation_steps(total, validate_every))
    # A new order each epoch, drawn from rng (np.random's global state if None).
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=batch_size, shuffle=True,
                        generator=rng)

    val_accuracies: List[float] = []
    model.train()
    training_step = cli.training_step(model, optimizer, criterion, compile)
    step = 0
    with cli.progress_bar(total, progress) as bar:
        for epoch in range(num_epochs):
            bar.set_description(f"epoch {epoch + 1}/{num_epochs}")
            loss_sum = 0.0
            for index, (inputs, labels) in enumerate(loader, 1):
                if len(labels.data) < 2:
                    break  # the last batch, of one sample: BatchNorm cannot normalise it
                loss = training_step(inputs, labels)
                step += 1
                loss_sum += loss.item()
                if step in checkpoints:
                    val_accuracies.append(validate(model, val_x, val_y))
                if not bar.disable:
                    postfix = {"loss": f"{loss_sum / index:.4f}"}
                    if val_accuracies:
                        postfix["val_acc"] = f"{val_accuracies[-1]:.4f}"
                    bar.set_postfix(postfix, refresh=False)
                bar.update()
    return val_accuracies


def validate(model: Module, val_x: np.ndarray, val_y: np.ndarray, batch_size: int = 1000) -> float:
    """Fraction of `val_x` that `model` classifies as `val_y`, a number in [0, 1].

    Runs in eval mode (BatchNorm uses its running statistics) under `no_grad`, so it
    records no graph and changes no state; the model's mode is restored afterwards.
    """
    _check_split("val", val_x, val_y)
    checks.positive_int("batch_size", batch_size)
    return cli.evaluate(model, val_x, val_y, batch_size)[0]


def validation_steps(total_batches: int, validate_every: int = VALIDATE_EVERY) -> List[int]:
    """The batches (counted from 1 over the whole run) after which `train` validates.

    Every `validate_every`-th batch, plus the last one.
    """
    steps = list(range(validate_every, total_batches + 1, validate_every))
    if total_batches and (not steps or steps[-1] != total_batches):
        steps.append(total_batches)
    return steps


def num_batches(count: int, batch_size: int = BATCH_SIZE) -> int:
    """Batches per epoch that `train` makes of `count` samples: a last batch of a single
    sample is dropped, because BatchNorm cannot normalise one sample.

    Raises:
        ValueError: for a `batch_size` below 2 (for the same reason) or fewer than 2 samples.
    """
    checks.positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2, because BatchNorm cannot normalise "
                         f"a single sample, got {batch_size}")
    if count < 2:
        raise ValueError(f"need at least 2 training samples, got {count}")
    return -(-count // batch_size) - (count % batch_size == 1)


def run_validation_steps(count: int, batch_size: int = BATCH_SIZE, num_epochs: int = NUM_EPOCHS,
                         validate_every: int = VALIDATE_EVERY) -> List[int]:
    """`validation_steps` of a `train` run on `count` samples: the x-axis of its plot."""
    return validation_steps(num_batches(count, batch_size) * num_epochs, validate_every)


# ---------------------------------------------------------------------------- plot

def plot_validation_accuracy(val_accuracies: Sequence[float], path: PathLike = DEFAULT_PLOT,
                             steps: Optional[Sequence[int]] = None, title: str = "",
                             held_out: str = "validation") -> Path:
    """Save a plot of validation accuracy against batches trained to `path` (PNG).

    Drawn and saved by `mytorch.plots.save_line_plot`: no display needed, pyplot's
    global state left alone, the file written atomically, and the accuracy axis
    starting at a floor below the lowest accuracy rather than at it.

    Args:
        val_accuracies: the accuracies `train` returned.
        path: the image file to write; its folder is created.
        steps: the batch after which each accuracy was measured; 1, 2, ... if None.
        title: the plot's title.
        held_out: what the accuracies were measured on: "validation" or "test".

    Returns:
        The path written.
    """
    if steps is None:
        steps = range(1, len(val_accuracies) + 1)
    return save_line_plot(path, steps, val_accuracies, xlabel="batches trained",
                          ylabel=f"{held_out} accuracy",
                          title=title or f"{held_out.capitalize()} accuracy", accuracy=True)


def plot_title(dataset: str, epochs: int, batch_size: int, lr: float, dtype: str,
               seed: int) -> str:
    """The plot's title: the data set, the epoch count and the settings of the run."""
    return f"{dataset}, {epochs} epoch(s): batch {batch_size}, SGD lr {lr}, {dtype}, seed {seed}"


# ------------------------------------------------------------------- command line

@cli.reports_failures
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Train the handout's network on an MNIST-layout data set and plot the result."""
    parser = cli.make_parser(
        "python3 -m hw1.mnist",
        "Train the handout's MNIST network (Linear(784, 20) -> BatchNorm1d(20) -> ReLU -> "
        "Linear(20, 10), SGD) and plot its validation accuracy.",
        plot=DEFAULT_PLOT, epochs=NUM_EPOCHS, batch_size=BATCH_SIZE, lr=LEARNING_RATE,
        compile_option=True)
    args = cli.parse_args(parser, argv)
    with cli.session(args):
        started = time.perf_counter()
        data = cli.load(args)
        loaded = time.perf_counter()
        print(data.describe())
        try:
            val_accuracies = mnist(*data[:4], num_epochs=args.epochs, batch_size=args.batch_size,
                                   lr=args.lr, progress=True, compile=args.compile)
        except ValueError as exc:  # train checks its arguments before it starts
            raise cli.Failure(str(exc)) from exc
        trained = time.perf_counter()

    steps = run_validation_steps(len(data.train_x), args.batch_size, args.epochs)
    cli.print_result(data, val_accuracies[-1], args.epochs, f" ({steps[-1]} batches)")
    cli.print_times(trained - loaded, loaded - started)
    cli.save_plot(args.plot, lambda: plot_validation_accuracy(
        val_accuracies, args.plot, steps, held_out=data.held_out,
        title=plot_title(data.name, args.epochs, args.batch_size, args.lr, args.dtype, args.seed)))
    return 0


# --------------------------------------------------------------------- helpers

def _check_split(name: str, x: Any, y: Any) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"{name}_x must be an array of shape (N, 784), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if not isinstance(y, np.ndarray) or y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise ValueError(f"{name}_y must be integer labels of shape ({len(x)},), got "
                         f"{getattr(y, 'dtype', type(y).__name__)} of shape "
                         f"{getattr(y, 'shape', None)}")
    if len(x) == 0:
        raise ValueError(f"{name}_x is empty")


if __name__ == "__main__":
    sys.exit(main())
