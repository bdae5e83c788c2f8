#!/usr/bin/env python3
"""Problem 3 (not autograded): train the handout's MNIST network and check its accuracy.

    python3 autograder/hw1_autograder/test_mnist.py [--npy DIR] [--dataset NAME] [--data DIR]

Uses the handout's `.npy` layout when it is there (`autograder/hw1_autograder/data/
{train,val}_{data,labels}.npy`, or the folder given with --npy), else an MNIST-layout
data set found by `mytorch.data`: mnist-10k when $MYTORCH_DATA (or the cache) has it,
else mnist. Trains with the handout's settings (3 epochs, batch 100, lr 0.1), saves
the plot to hw1/validation_accuracy.png and exits 0 when the final accuracy on the
held-out split reaches the floor: 0.88 (0.82 for fashion-mnist, which is harder); 1
below it or after a one-line error (such as a plot that cannot be saved), 130 on Ctrl-C.
The other options (--data, --dataset, --seed, --dtype, --threads, --plot) are the
shared ones of `mytorch.cli`.
"""
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run from a checkout, without installing

import numpy as np  # noqa: E402

from hw1.mnist import (BATCH_SIZE, DEFAULT_PLOT, LEARNING_RATE, NUM_EPOCHS, mnist,  # noqa: E402
                      plot_title, plot_validation_accuracy, run_validation_steps)
from mytorch import checks, cli  # noqa: E402
from mytorch.data import prepare  # noqa: E402

NPY_DIR = Path(__file__).resolve().parent / "data"
NPY_FILES = ("train_data.npy", "train_labels.npy", "val_data.npy", "val_labels.npy")
MIN_ACCURACY = {"fashion-mnist": 0.82}
DEFAULT_MIN_ACCURACY = 0.88


def load_npy(directory: Path, dtype: str = "float64") -> cli.Data:
    """The handout's layout: {train,val}_{data,labels}.npy, images as (N, 784) or
    (N, 28, 28), floats in [0, 1] or integers 0..255.

    Raises:
        cli.Failure: naming the folder and the problem.
    """
    if not has_npy(directory):
        raise cli.Failure(f"{directory} lacks some of {', '.join(NPY_FILES)}")
    try:
        train_x, train_y, val_x, val_y = (np.load(directory / name) for name in NPY_FILES)
        arrays = (*prepare(train_x, train_y, dtype), *prepare(val_x, val_y, dtype))
    except (OSError, ValueError) as exc:
        raise cli.Failure(f"could not load the .npy files in {directory}: {exc}") from exc
    return cli.Data(*arrays, name="npy", held_out="validation", source=str(directory))


def has_npy(directory: Path) -> bool:
    return all((directory / name).is_file() for name in NPY_FILES)


@cli.reports_failures
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = cli.make_parser(
        "test_mnist.py", "Train the handout's MNIST network with the handout's settings and "
                         "check the final accuracy.", plot=DEFAULT_PLOT)
    parser.add_argument("--npy", metavar="DIR", type=Path,
                        help=f"folder with the handout's {', '.join(NPY_FILES)} "
                             f"(default: {NPY_DIR.relative_to(REPO_ROOT)}, used if present)")
    parser.add_argument("--min-accuracy", type=float, metavar="X",
                        help=f"accuracy floor (default {DEFAULT_MIN_ACCURACY}, "
                             f"{MIN_ACCURACY['fashion-mnist']} for fashion-mnist)")
    args = cli.parse_args(parser, argv)
    if args.min_accuracy is not None:
        cli.check_argument(parser, checks.in_range, "--min-accuracy", args.min_accuracy, 0, 1)

    use_npy = args.npy is not None or (args.data is None and args.dataset is None
                                       and has_npy(NPY_DIR))
    with cli.session(args):
        data = load_npy(args.npy or NPY_DIR, args.dtype) if use_npy else cli.load(args)
        print(data.describe())
        started = time.perf_counter()
        val_accuracies = mnist(*data[:4])
        elapsed = time.perf_counter() - started

    floor = (args.min_accuracy if args.min_accuracy is not None
             else MIN_ACCURACY.get(data.name, DEFAULT_MIN_ACCURACY))
    print(f"{data.held_out} accuracies: " + ", ".join(f"{acc:.4f}" for acc in val_accuracies))
    final = val_accuracies[-1]
    verdict = "ok" if final >= floor else "FAILED"
    print(f"final {data.held_out} accuracy {final:.4f} (floor {floor}) in {elapsed:.2f} s: "
          f"{verdict}")
    cli.save_plot(args.plot, lambda: plot_validation_accuracy(
        val_accuracies, args.plot, run_validation_steps(len(data.train_x)),
        title=plot_title(data.name, NUM_EPOCHS, BATCH_SIZE, LEARNING_RATE, args.dtype, args.seed),
        held_out=data.held_out))
    return 0 if final >= floor else 1


if __name__ == "__main__":
    sys.exit(main())
