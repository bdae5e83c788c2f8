"""The plumbing of the command-line programs, written once for all of them.

`hw1/mnist.py`, `autograder/hw1_autograder/test_mnist.py` and the example programs
share it:

- `make_parser` and `parse_args`: the common options (`--data`, `--dataset`, `--epochs`,
  `--batch-size`, `--lr`, `--compile`, `--seed`, `--dtype`, `--threads`, `--plot`), every value checked
  with `mytorch.checks` before any work starts, the output path included;
- `session`: BLAS and OpenMP limited to `--threads` threads (threadpoolctl), the default
  dtype set to `--dtype` and every random draw seeded with `--seed`, all restored after;
- `load`: the data set as float rows and int64 labels, or a one-line `Failure` (a first
  run without network names the files and where to put them);
- `reports_failures`: a `main` that turns a `Failure` into `error: ...` and exit code 1,
  and Ctrl-C into one line and exit code 130;
- `save_plot`: the run's last step, the plot saved (a failure is one `error:` line after
  the results);
- `train_classifier`: the example programs' whole training run, in one call.

    import sys
    from mytorch import cli, nn

    def build_model():
        return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))

    sys.exit(cli.train_classifier(sys.argv[1:], description="An MLP on MNIST.",
                                  build_model=build_model, plot="mlp.png"))
"""
import argparse
import contextlib
import functools
import os
import sys
import time
from typing import Any, Callable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import mytorch
from mytorch import checks, no_grad
from mytorch.data import DATASETS, FILES, DataLoader, TensorDataset, dataset_dir, load_mnist
from mytorch.data import prepare as prepare_arrays
from mytorch.nn import CrossEntropyLoss, Module
from mytorch.optim import Adam
from mytorch.plots import FORMATS, save_training_curves

PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_SEED = 11785
DEFAULT_THREADS = 1
DTYPES = ("float32", "float64")
INTERRUPTED = 130  # the exit code of a program stopped by Ctrl-C (128 + SIGINT), as shells give


class Failure(Exception):
    """An error a program reports as one line, `error: <message>`, and exits 1 on."""


def reports_failures(main: Callable[..., int]) -> Callable[..., int]:
    """Wrap a program's `main(argv)`: a `Failure` is printed to stderr as one `error:` line
    and gives exit code 1; Ctrl-C prints `interrupted` and gives exit code 130.

    Files are written atomically (`mytorch.files.write_atomically`), so a run stopped at
    any point leaves no partial file.
    """
    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs)
        except Failure as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return INTERRUPTED
    return wrapper


# ------------------------------------------------------------------ arguments

def make_parser(prog: Optional[str], description: str, *, plot: PathLike,
                epochs: Optional[int] = None, batch_size: Optional[int] = None,
                lr: Optional[float] = None, dtype: str = "float64",
                compile_option: bool = False) -> argparse.ArgumentParser:
    """A parser with the options every program shares; add a program's own to it.

    Args:
        prog: the program's name in usage lines (argparse's default if None).
        description: what the program does.
        plot: the default of `--plot`.
        epochs, batch_size, lr: the defaults of `--epochs`, `--batch-size` and `--lr`;
            a program that trains with fixed settings leaves them None and gets no such options.
        dtype: the default of `--dtype`.
        compile_option: offer `--compile` (with epochs given): for a program whose training
            step `mytorch.compile` can trace (not one that communicates, as DDP does).
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--data", metavar="DIR",
                        help="folder holding the four IDX files (default: $MYTORCH_DATA/<dataset>, "
                             "else ~/.cache/mytorch/<dataset>; missing mnist and fashion-mnist "
                             "files are downloaded)")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="data set (default: mnist-10k if its files are found, else mnist)")
    if epochs is not None:
        parser.add_argument("--epochs", type=int, default=epochs, metavar="N",
                            help=f"passes over the training set (default {epochs})")
        parser.add_argument("--batch-size", type=int, default=batch_size, metavar="N",
                            help=f"samples per batch (default {batch_size})")
        parser.add_argument("--lr", type=float, default=lr, metavar="X",
                            help=f"learning rate (default {lr})")
        if compile_option:
            parser.add_argument("--compile", action="store_true",
                                help="trace the training step once per batch shape and replay "
                                     "its NumPy work (mytorch.compile): the same results, faster")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                        help=f"seed of the initial weights and the shuffles (default {DEFAULT_SEED})")
    parser.add_argument("--dtype", choices=DTYPES, default=dtype,
                        help=f"float type of the data and the model (default {dtype})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, metavar="N",
                        help="BLAS threads (default 1: faster for small networks on a busy machine)")
    parser.add_argument("--plot", default=str(plot), metavar="PATH",
                        help=f"where to save the plot, {', '.join(FORMATS)} (default {plot})")
    return parser


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse `argv` and check every shared option; a bad value exits 2 with a usage line."""
    args = parser.parse_args(argv)
    option_checks = [("--seed", lambda name, value: checks.seed(value, name)),
                     ("--threads", checks.positive_int),
                     ("--epochs", checks.positive_int), ("--batch-size", checks.positive_int),
                     ("--lr", checks.finite_positive)]
    for option, check in option_checks:
        dest = option.lstrip("-").replace("-", "_")
        if hasattr(args, dest):
            setattr(args, dest, check_argument(parser, check, option, getattr(args, dest)))
    args.plot = check_argument(parser, checks.output_file, "--plot", args.plot, FORMATS)
    return args


def check_argument(parser: argparse.ArgumentParser, check: Callable[..., Any], option: str,
                   value: Any, *rule: Any) -> Any:
    """`check(option, value, *rule)` from `mytorch.checks`; its error becomes a usage error."""
    try:
        return check(option, value, *rule)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))


# -------------------------------------------------------------------- the run

@contextlib.contextmanager
def session(args: argparse.Namespace) -> Iterator[None]:
    """Run the block with `args.threads` BLAS threads, `args.dtype` as the default dtype
    and the random state seeded with `args.seed`; threads and dtype are restored after.

    Threads: the networks here multiply small matrices, where threads cost more than they
    save; on a busy 2-core machine, 3 epochs of Fashion-MNIST in hw1.mnist trained in
    2.5 to 9.4 s with 2 OpenBLAS threads and in 1.3 s with one.
    """
    previous_dtype = mytorch.get_default_dtype()
    with threadpool_limits(limits=args.threads):
        mytorch.set_default_dtype(args.dtype)
        mytorch.manual_seed(args.seed)
        try:
            yield
        finally:
            mytorch.set_default_dtype(previous_dtype)


class Data(NamedTuple):
    """A data set ready to train on: float rows (N, 784) in [0, 1] and int64 labels."""

    train_x: np.ndarray
    train_y: np.ndarray
    held_out_x: np.ndarray
    held_out_y: np.ndarray
    name: str  # the data set's name, e.g. "mnist-10k"; runs are labelled with it
    held_out: str  # what the held-out split is: "validation" or "test"
    source: str  # where the files came from

    def describe(self) -> str:
        """e.g. 'mnist-10k from DIR: 8000 training, 2000 validation images'."""
        return (f"{self.name} from {self.source}: {len(self.train_x)} training, "
                f"{len(self.held_out_x)} {self.held_out} images")


def default_dataset(data_dir: Optional[PathLike] = None) -> str:
    """The data set a program loads when none is named.

    'mnist' for a `data_dir` given by the caller (its files say what it holds, and
    'mnist' is the set that can fill in missing ones); otherwise 'mnist-10k' when its
    files are already where `load_mnist` looks (for example when MYTORCH_DATA points at
    the shared data), else 'mnist' (which can be downloaded).
    """
    if data_dir is not None:
        return "mnist"
    folder = dataset_dir("mnist-10k")
    return "mnist-10k" if all((folder / name).is_file() for name in FILES) else "mnist"


def load_data(dataset: Optional[str] = None, data_dir: Optional[PathLike] = None,
              dtype: Any = np.float64) -> Data:
    """Load an MNIST-layout data set with `mytorch.data.load_mnist` and `prepare` it.

    Args:
        dataset: a key of `mytorch.data.DATASETS`; `default_dataset(data_dir)` if None.
        data_dir: the folder holding the four IDX files; see `mytorch.data.dataset_dir`.
        dtype: float32 or float64, the images' dtype.

    Raises:
        Failure: one line naming the data set and what went wrong (a missing or corrupt
            file, a failed download), and how to point the program at files.
    """
    dataset = dataset or default_dataset(data_dir)
    try:
        train_images, train_labels, held_images, held_labels = load_mnist(dataset, data_dir)
        arrays = (*prepare_arrays(train_images, train_labels, dtype),
                  *prepare_arrays(held_images, held_labels, dtype))
    except (OSError, ValueError, RuntimeError) as exc:
        # A failed download (RuntimeError) is the offline first run: say how to use files
        # already there. A missing or misplaced file's message says where to put it.
        hint = "" if data_dir is not None or not isinstance(exc, RuntimeError) else (
            f" (to use files you have: --data DIR, the folder holding the four files, or "
            f"MYTORCH_DATA=DIR, the folder holding data-set folders such as {dataset}/)")
        raise Failure(f"could not load {dataset!r}: {exc}{hint}") from exc
    return Data(*arrays, name=dataset, held_out=DATASETS[dataset]["held_out"],
                source=str(dataset_dir(dataset, data_dir)))


def load(args: argparse.Namespace) -> Data:
    """`load_data` for the parsed options `--dataset`, `--data` and `--dtype`."""
    return load_data(args.dataset, args.data, args.dtype)


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


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, batch_size: int = 1000,
             criterion: Optional[Module] = None) -> Tuple[float, Optional[float]]:
    """Accuracy of `model` on (x, y), in [0, 1], and the mean of `criterion` if given.

    Runs under `evaluating`: BatchNorm uses its running statistics, no graph is
    recorded and no state changes.
    """
    correct, loss_sum = 0, 0.0
    with evaluating(model):
        for inputs, labels in DataLoader(TensorDataset(x, y), batch_size=batch_size):
            logits = model(inputs)
            correct += int(np.count_nonzero(np.argmax(logits.data, axis=1) == labels.data))
            if criterion is not None:
                loss_sum += criterion(logits, labels).item() * len(labels.data)
    return correct / len(x), (loss_sum / len(x) if criterion is not None else None)


def progress_bar(total: int, enabled: bool = True) -> tqdm:
    """A progress bar over `total` batches on stderr, shown only on a terminal."""
    return tqdm(total=total, unit="batch", disable=None if enabled else True, file=sys.stderr,
                dynamic_ncols=True)


def print_result(data: Data, accuracy: float, epochs: int, detail: str = "") -> None:
    """The run's result, labelled with the held-out split's name and the data set's."""
    print(f"final {data.held_out} accuracy: {accuracy:.4f} after {epochs} epoch(s){detail} "
          f"on {data.name}")


def print_times(training: float, loading: float) -> None:
    print(f"time: {training:.2f} s training, {loading:.2f} s loading data")


def save_plot(path: PathLike, save: Callable[[], Any]) -> None:
    """Call `save()`, which writes the plot to `path`, and print `saved plot: PATH`.

    The programs save last, after printing their results, so a run that trained for
    minutes has shown what it learned even if the plot cannot be written.

    Raises:
        Failure: the file could not be written (the folder became unwritable or full, or
            a folder was made at its path since the options were checked), naming it.
    """
    try:
        save()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise Failure(f"could not save the plot to {str(path)!r}: {reason}") from exc
    print(f"saved plot: {path}")


# ------------------------------------------------------------ the examples' harness

def training_step(model: Module, optimizer: Any, criterion: Callable[..., Any],
                  compiled: bool = False) -> Callable[[Any, Any], Any]:
    """One training step on a batch (zero_grad, forward, loss, backward, optimizer step),
    returning the loss; with compiled=True, `mytorch.compile` of it (`--compile`)."""
    def step(inputs: Any, labels: Any) -> Any:
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    return mytorch.compile(step) if compiled else step


@reports_failures
def train_classifier(argv: Optional[Sequence[str]], *, description: str,
                     build_model: Callable[[], Module],
                     prepare: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                     epochs: int = 3, batch_size: int = 100, lr: float = 0.01,
                     dtype: str = "float32", plot: PathLike) -> int:
    """Train a classifier on an MNIST-layout data set: the example programs' whole run.

    Parses `argv` (the shared options, with these defaults), loads the data, builds the
    model (after seeding and after the default dtype is set, so its initial weights are
    reproducible and of `--dtype`), trains it with Adam(lr) and cross-entropy over a
    shuffled, seeded DataLoader with a progress bar, evaluates it on the held-out split
    after each epoch, prints the final accuracy (labelled "validation" or "test", as the
    data set's held-out split is) and the time, and then saves a plot of the loss and
    accuracy curves.

    Args:
        argv: the command-line arguments, without the program's name (None: sys.argv's).
        description: what the program does, for --help.
        build_model: returns the Module to train; it maps a batch to (B, 10) logits.
        prepare: maps the (N, 784) image array to the model's input layout, e.g.
            `lambda x: x.reshape(-1, 1, 28, 28)`; the identity if None.
        epochs, batch_size, lr, dtype: defaults of the options.
        plot: the default of `--plot`.

    Returns:
        The exit code: 0, or 1 after a one-line error (2 for bad options, from argparse;
        130 after Ctrl-C).
    """
    parser = make_parser(None, description, plot=plot, epochs=epochs, batch_size=batch_size,
                         lr=lr, dtype=dtype, compile_option=True)
    args = parse_args(parser, argv)
    reshape = prepare if prepare is not None else (lambda images: images)
    with session(args):
        started = time.perf_counter()
        data = load(args)
        loaded = time.perf_counter()
        print(data.describe())
        model = build_model()
        if not isinstance(model, Module):
            raise Failure(f"build_model must return a Module, got {type(model).__name__}")
        train_x, held_out_x = reshape(data.train_x), reshape(data.held_out_x)
        history = _fit(model, args, TensorDataset(train_x, data.train_y),
                       (held_out_x, data.held_out_y))
        trained = time.perf_counter()

    print_result(data, history[-1][3], args.epochs)
    print_times(trained - loaded, loaded - started)
    epochs_done, train_loss, held_out_loss, accuracy = zip(*history)
    save_plot(args.plot, lambda: save_training_curves(
        args.plot, epochs_done, train_loss, held_out_loss, accuracy, held_out=data.held_out,
        title=f"{data.name}, {args.epochs} epoch(s): batch {args.batch_size}, Adam lr {args.lr}, "
              f"{args.dtype}, seed {args.seed}"))
    return 0


def _fit(model: Module, args: argparse.Namespace, train: TensorDataset,
         held_out: Tuple[np.ndarray, np.ndarray]) -> List[Tuple[int, float, float, float]]:
    """Train for `args.epochs`; per epoch (epoch, training loss, held-out loss, accuracy)."""
    criterion = CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=args.lr)
    step = training_step(model, optimizer, criterion, getattr(args, "compile", False))
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, generator=args.seed)
    history: List[Tuple[int, float, float, float]] = []
    with progress_bar(len(loader) * args.epochs) as bar:
        for epoch in range(1, args.epochs + 1):
            bar.set_description(f"epoch {epoch}/{args.epochs}")
            loss_sum = train_epoch(model, loader, criterion, optimizer, bar, step)
            accuracy, held_out_loss = evaluate(model, *held_out, criterion=criterion)
            history.append((epoch, loss_sum / len(train), held_out_loss, accuracy))
            bar.set_postfix(loss=f"{history[-1][1]:.4f}", accuracy=f"{accuracy:.4f}")
    return history


def train_epoch(model: Module, loader: DataLoader, criterion: Module, optimizer: Any,
                bar: tqdm, step: Optional[Callable[[Any, Any], Any]] = None) -> float:
    """One pass over `loader` in training mode, one optimizer step per batch, each counted
    on `bar`. Returns the sum over the samples of their loss (each batch's mean loss
    times its size). `step` is `training_step`'s (compiled for `--compile`, made once for
    every epoch); None is the eager one."""
    if step is None:
        step = training_step(model, optimizer, criterion)
    model.train()
    loss_sum = 0.0
    for inputs, labels in loader:
        loss = step(inputs, labels)
        loss_sum += loss.item() * len(labels.data)
        bar.update()
    return loss_sum
