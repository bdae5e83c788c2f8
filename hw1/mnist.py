"""Problem 3: train the handout's MLP on MNIST and plot its validation accuracy.

The handout's functions keep their names and contracts: `mnist` builds the network,
loss and optimizer and calls `train`, which runs the epochs and calls `validate` every
100 batches. Run as a program, this module loads the data, trains and saves the plot:

    MYTORCH_DATA=../shared/data python3 -m hw1.mnist --dataset mnist-10k
"""
import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

if __name__ == "__main__":
    # One BLAS thread, unless the caller chose otherwise. This network multiplies small
    # matrices (100 x 784 by 784 x 20), where threads cost more than they save; on a busy
    # 2-core machine, 3 epochs of Fashion-MNIST took 17 s with 2 OpenBLAS threads and
    # 2 s with one. Only a program can do this: BLAS reads it when numpy is first imported.
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from hw1.plots import save_line_plot  # noqa: E402
from mytorch import Tensor, no_grad  # noqa: E402
from mytorch.data import DATASETS, FILES, dataset_dir, load_mnist  # noqa: E402
from mytorch.nn import BatchNorm1d, CrossEntropyLoss, Linear, Module, ReLU, Sequential  # noqa: E402
from mytorch.optim import SGD, Optimizer  # noqa: E402
from mytorch.checks import positive_int as check_positive_int  # noqa: E402

# The handout's settings.
BATCH_SIZE = 100
NUM_EPOCHS = 3
LEARNING_RATE = 0.1
VALIDATE_EVERY = 100  # batches
DEFAULT_SEED = 11785
DEFAULT_PLOT = Path(__file__).resolve().parent / "validation_accuracy.png"

PathLike = Union[str, Path]


# ---------------------------------------------------------------- the handout's API

def mnist(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray, *,
          num_epochs: int = NUM_EPOCHS, batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE,
          progress: bool = False) -> List[float]:
    """Build the handout's network and train it; return the validation accuracies.

    The network is Linear(784, 20) -> BatchNorm1d(20) -> ReLU -> Linear(20, 10), trained
    with cross-entropy and SGD. Parameters are initialised from `np.random`, so
    `np.random.seed` makes a run reproducible.

    Args:
        train_x, val_x: float images, shape (N, 784), values in [0, 1].
        train_y, val_y: integer labels 0..9, shape (N,).
        num_epochs, batch_size, lr: the handout's 3, 100 and 0.1 unless given.
        progress: show a progress bar on stderr.

    Returns:
        The validation accuracies, in [0, 1], in the order `train` measured them.
    """
    model = Sequential(Linear(784, 20), BatchNorm1d(20), ReLU(), Linear(20, 10))
    criterion = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr)
    return train(model, optimizer, criterion, train_x, train_y, val_x, val_y,
                 batch_size=batch_size, num_epochs=num_epochs, progress=progress)


def train(model: Module, optimizer: Optimizer, criterion: Module, train_x: np.ndarray,
          train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
          batch_size: int = BATCH_SIZE, num_epochs: int = NUM_EPOCHS, *,
          validate_every: int = VALIDATE_EVERY, rng: Optional[np.random.Generator] = None,
          progress: bool = False) -> List[float]:
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
        check_positive_int(name, value)
    batches = _batch_bounds(len(train_x), batch_size)
    total = len(batches) * num_epochs
    checkpoints = set(validation_steps(total, validate_every))
    shuffler = np.random if rng is None else rng

    val_accuracies: List[float] = []
    model.train()
    step = 0
    with tqdm(total=total, unit="batch", disable=None if progress else True,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for epoch in range(num_epochs):
            bar.set_description(f"epoch {epoch + 1}/{num_epochs}")
            # One permutation per epoch; each batch gathers its rows with it.
            order = shuffler.permutation(len(train_x))
            loss_sum = 0.0
            for index, (start, stop) in enumerate(batches, 1):
                rows = order[start:stop]
                optimizer.zero_grad()
                loss = criterion(model(Tensor(train_x[rows])), Tensor(train_y[rows]))
                loss.backward()
                optimizer.step()
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
    check_positive_int("batch_size", batch_size)
    correct = 0
    with evaluating(model):
        for start in range(0, len(val_x), batch_size):
            logits = model(Tensor(val_x[start:start + batch_size]))
            predicted = np.argmax(logits.data, axis=1)
            correct += int(np.count_nonzero(predicted == val_y[start:start + batch_size]))
    return correct / len(val_x)


@contextlib.contextmanager
def evaluating(model: Module) -> Iterator[Module]:
    """Run the block with `model` in eval mode and without recording a graph.

    The model's mode is restored afterwards, even if the block raises.
    """
    was_training = model.is_train
    model.eval()
    try:
        with no_grad():
            yield model
    finally:
        model.train(was_training)


def validation_steps(total_batches: int, validate_every: int = VALIDATE_EVERY) -> List[int]:
    """The batches (counted from 1 over the whole run) after which `train` validates.

    Every `validate_every`-th batch, plus the last one.
    """
    steps = list(range(validate_every, total_batches + 1, validate_every))
    if total_batches and (not steps or steps[-1] != total_batches):
        steps.append(total_batches)
    return steps


def num_batches(count: int, batch_size: int = BATCH_SIZE) -> int:
    """Batches per epoch that `train` makes of `count` samples."""
    return len(_batch_bounds(count, batch_size))


def run_validation_steps(count: int, batch_size: int = BATCH_SIZE, num_epochs: int = NUM_EPOCHS,
                         validate_every: int = VALIDATE_EVERY) -> List[int]:
    """`validation_steps` of a `train` run on `count` samples: the x-axis of its plot."""
    return validation_steps(num_batches(count, batch_size) * num_epochs, validate_every)


# ---------------------------------------------------------------------------- data

def prepare(images: np.ndarray, labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Images as float64 rows in [0, 1], shape (N, 784); labels as int64, shape (N,).

    Integer images are divided by 255; float images are taken to be scaled already.

    Raises:
        ValueError: naming the problem, for no images, images that are not of
            28x28 = 784 pixels, a different number of labels, labels that are not
            integers, or a label outside 0..9 (with its index and value).
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim < 2 or int(np.prod(images.shape[1:])) != 784:
        raise ValueError(f"expected N images of 28x28 = 784 pixels, got an array of shape "
                         f"{images.shape}")
    if len(images) == 0:
        raise ValueError(f"expected at least one image, got an array of shape {images.shape}")
    x = images.reshape(len(images), 784).astype(np.float64)
    if images.dtype.kind in "iub":
        x /= 255.0
    labels = labels.reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integer class indices, got dtype {labels.dtype}")
    # Caught here, not by the loss in the middle of training.
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise ValueError(f"label {labels[bad[0]]} at index {bad[0]} is outside 0..9 "
                         f"({bad.size} such labels)")
    return x, labels.astype(np.int64)


def default_dataset(data_dir: Optional[PathLike] = None) -> str:
    """The data set `load_data` loads when none is named.

    'mnist' for a `data_dir` given by the caller (its files say what it holds, and
    'mnist' is the set that can fill in missing ones); otherwise 'mnist-10k' when
    its files are already where `load_mnist` looks (for example when MYTORCH_DATA
    points at the shared data), else 'mnist' (which can be downloaded).
    """
    if data_dir is not None:
        return "mnist"
    folder = dataset_dir("mnist-10k")
    return "mnist-10k" if all((folder / name).is_file() for name in FILES) else "mnist"


def load_data(dataset: Optional[str] = None, data_dir: Optional[PathLike] = None
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load a data set with `mytorch.data.load_mnist` and `prepare` it.

    The official test split (t10k) serves as the validation set.

    Args:
        dataset: a key of `mytorch.data.DATASETS`; `default_dataset(data_dir)` if None.
        data_dir: the folder holding the four IDX files; see `mytorch.data.dataset_dir`.

    Returns:
        (train_x, train_y, val_x, val_y), prepared.
    """
    train_images, train_labels, val_images, val_labels = load_mnist(
        dataset or default_dataset(data_dir), data_dir)
    return (*prepare(train_images, train_labels), *prepare(val_images, val_labels))


# ---------------------------------------------------------------------------- plot

def plot_validation_accuracy(val_accuracies: Sequence[float], path: PathLike = DEFAULT_PLOT,
                             steps: Optional[Sequence[int]] = None, title: str = "") -> Path:
    """Save a plot of validation accuracy against batches trained to `path` (PNG).

    Drawn and saved by `hw1.plots.save_line_plot`: no display needed, pyplot's
    global state left alone, and the file written atomically.

    Args:
        val_accuracies: the accuracies `train` returned.
        path: the image file to write; its folder is created.
        steps: the batch after which each accuracy was measured; 1, 2, ... if None.
        title: the plot's title.

    Returns:
        The path written.
    """
    if steps is None:
        steps = range(1, len(val_accuracies) + 1)
    return save_line_plot(path, steps, val_accuracies, xlabel="batches trained",
                          ylabel="validation accuracy", title=title or "Validation accuracy")


# ------------------------------------------------------------------- command line

def main(argv: Optional[Sequence[str]] = None) -> int:
    """Train the handout's network on an MNIST-layout data set and plot the result."""
    parser = argparse.ArgumentParser(
        prog="python3 -m hw1.mnist",
        description="Train the handout's MNIST network (Linear(784, 20) -> BatchNorm1d(20) "
                    "-> ReLU -> Linear(20, 10), SGD) and plot its validation accuracy.")
    parser.add_argument("--data", metavar="DIR",
                        help="folder holding the four IDX files (default: "
                             "$MYTORCH_DATA/<dataset>, else ~/.cache/mytorch/<dataset>; "
                             "missing files are downloaded)")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="data set (default: mnist-10k if it is found, else mnist)")
    parser.add_argument("--epochs", type=positive_int, default=NUM_EPOCHS, metavar="N",
                        help=f"passes over the training set (default {NUM_EPOCHS})")
    parser.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE, metavar="N",
                        help=f"samples per batch (default {BATCH_SIZE})")
    parser.add_argument("--lr", type=positive_float, default=LEARNING_RATE, metavar="X",
                        help=f"learning rate (default {LEARNING_RATE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                        help="seed of the initial weights and the shuffles "
                             f"(default {DEFAULT_SEED})")
    parser.add_argument("--plot", default=str(DEFAULT_PLOT), metavar="PATH",
                        help="where to save the plot (default hw1/validation_accuracy.png)")
    args = parser.parse_args(argv)

    dataset = args.dataset or default_dataset(args.data)
    started = time.perf_counter()
    try:
        train_x, train_y, val_x, val_y = load_data(dataset, args.data)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: could not load {dataset!r}: {exc}", file=sys.stderr)
        return 1
    loaded = time.perf_counter()
    print(f"{dataset} from {dataset_dir(dataset, args.data)}: {len(train_x)} training, "
          f"{len(val_x)} validation images")

    np.random.seed(args.seed)
    try:
        val_accuracies = mnist(train_x, train_y, val_x, val_y, num_epochs=args.epochs,
                               batch_size=args.batch_size, lr=args.lr, progress=True)
    except ValueError as exc:  # train checks its arguments before it starts
        print(f"error: {exc}", file=sys.stderr)
        return 1
    trained = time.perf_counter()

    steps = run_validation_steps(len(train_x), args.batch_size, args.epochs)
    path = plot_validation_accuracy(
        val_accuracies, args.plot, steps,
        title=f"{dataset}: batch size {args.batch_size}, lr {args.lr}, seed {args.seed}")
    print(f"final validation accuracy: {val_accuracies[-1]:.4f} after {args.epochs} epoch(s) "
          f"({steps[-1]} batches)")
    print(f"time: {trained - loaded:.2f} s training, {loaded - started:.2f} s loading data")
    print(f"saved plot: {path}")
    return 0


# --------------------------------------------------------------------- helpers

def _batch_bounds(count: int, batch_size: int) -> List[Tuple[int, int]]:
    """(start, stop) of each batch; a last batch of one sample is dropped (see `train`).

    The one place that knows a batch needs 2 samples: `train`, `num_batches` and so
    the command line rely on its ValueError.
    """
    check_positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2, because BatchNorm cannot normalise "
                         f"a single sample, got {batch_size}")
    bounds = [(start, min(start + batch_size, count)) for start in range(0, count, batch_size)]
    if bounds and bounds[-1][1] - bounds[-1][0] < 2:
        bounds.pop()
    if not bounds:
        raise ValueError(f"need at least 2 training samples, got {count}")
    return bounds


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


def positive_int(text: str) -> int:
    """An argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
