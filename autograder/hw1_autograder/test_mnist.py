#!/usr/bin/env python3
"""Problem 3 (not autograded): train the handout's MNIST network and check its accuracy.

    python3 autograder/hw1_autograder/test_mnist.py [--dataset NAME] [--data DIR]

Uses the handout's `.npy` layout when it is there (`autograder/hw1_autograder/data/
{train,val}_{data,labels}.npy`, or the folder given with --npy), else an MNIST-layout
data set found by `mytorch.data`: mnist-10k when $MYTORCH_DATA (or the cache) has it,
else mnist. Trains with the handout's settings (3 epochs, batch 100, lr 0.1), saves
the plot to hw1/validation_accuracy.png and exits 0 when the final validation accuracy
reaches the floor: 0.88 (0.82 for fashion-mnist, which is harder).
"""
import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence, Tuple

if __name__ == "__main__":
    # One BLAS thread, as in hw1/mnist.py: faster for this small network.
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run from a checkout, without installing

import numpy as np  # noqa: E402

from hw1.mnist import (DEFAULT_PLOT, DEFAULT_SEED, default_dataset, load_data,  # noqa: E402
                       mnist, plot_validation_accuracy, prepare, run_validation_steps)
from mytorch.data import DATASETS  # noqa: E402

NPY_DIR = Path(__file__).resolve().parent / "data"
NPY_FILES = ("train_data.npy", "train_labels.npy", "val_data.npy", "val_labels.npy")
MIN_ACCURACY = {"fashion-mnist": 0.82}
DEFAULT_MIN_ACCURACY = 0.88

Arrays = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_npy(directory: Path) -> Arrays:
    """The handout's layout: {train,val}_{data,labels}.npy, images as (N, 784) or
    (N, 28, 28), floats in [0, 1] or integers 0..255."""
    train_x, train_y, val_x, val_y = (np.load(directory / name) for name in NPY_FILES)
    return (*prepare(train_x, train_y), *prepare(val_x, val_y))


def has_npy(directory: Path) -> bool:
    return all((directory / name).is_file() for name in NPY_FILES)


def accuracy(text: str) -> float:
    """An argparse type: a number in [0, 1] (NaN, which every run would fail, is not)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text}")
    return value


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="test_mnist.py",
        description="Train the handout's MNIST network with the handout's settings and "
                    "check the final validation accuracy.")
    parser.add_argument("--npy", metavar="DIR", type=Path,
                        help=f"folder with the handout's {', '.join(NPY_FILES)} "
                             f"(default: {NPY_DIR.relative_to(REPO_ROOT)}, used if present)")
    parser.add_argument("--data", metavar="DIR", help="folder holding the four IDX files")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="IDX data set (default: mnist-10k if found, else mnist)")
    parser.add_argument("--min-accuracy", type=accuracy, metavar="X",
                        help=f"accuracy floor (default {DEFAULT_MIN_ACCURACY}, "
                             f"{MIN_ACCURACY['fashion-mnist']} for fashion-mnist)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                        help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--plot", default=str(DEFAULT_PLOT), metavar="PATH",
                        help="where to save the plot (default hw1/validation_accuracy.png)")
    args = parser.parse_args(argv)

    use_npy = args.npy is not None or (args.data is None and args.dataset is None
                                       and has_npy(NPY_DIR))
    try:
        if use_npy:
            directory = args.npy or NPY_DIR
            if not has_npy(directory):
                raise FileNotFoundError(f"{directory} lacks some of {', '.join(NPY_FILES)}")
            source, data = f"the .npy files in {directory}", load_npy(directory)
            dataset = "npy"
        else:
            dataset = args.dataset or default_dataset(args.data)
            source, data = dataset, load_data(dataset, args.data)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: could not load the data: {exc}", file=sys.stderr)
        return 1
    floor = (args.min_accuracy if args.min_accuracy is not None
             else MIN_ACCURACY.get(dataset, DEFAULT_MIN_ACCURACY))
    print(f"MNIST: training on {source} ({len(data[0])} training, {len(data[2])} "
          "validation images)")

    np.random.seed(args.seed)
    started = time.perf_counter()
    val_accuracies = mnist(*data)
    elapsed = time.perf_counter() - started
    print("validation accuracies: " + ", ".join(f"{acc:.4f}" for acc in val_accuracies))
    steps = run_validation_steps(len(data[0]))
    path = plot_validation_accuracy(val_accuracies, args.plot, steps, title=f"MNIST: {dataset}")
    print(f"saved plot: {path}")
    final = val_accuracies[-1]
    verdict = "ok" if final >= floor else "FAILED"
    print(f"final validation accuracy {final:.4f} (floor {floor}) in {elapsed:.2f} s: {verdict}")
    return 0 if final >= floor else 1


if __name__ == "__main__":
    sys.exit(main())
