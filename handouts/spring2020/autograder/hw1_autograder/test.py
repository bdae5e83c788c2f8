#!/usr/bin/env python3
"""Train the handout's sample network on mnist-10k and plot the four training curves.

    python3 autograder/hw1_autograder/test.py --outpath hw1 [--data DIR] [--epochs 30]

The network is MLP(784, 10, [64, 64, 32], Sigmoid x3 + Identity), Xavier-uniform
weights, zero biases, softmax cross-entropy, lr 0.008, momentum 0.9, batch 100.
`get_training_stats` trains it; the training and validation loss and error are
saved as training_loss.png, training_error.png, validation_loss.png and
validation_error.png in the output folder.

The data are the four gzip IDX files of mnist-10k (8,000 training and 2,000
validation digits), read from --data DIR, else from $MYTORCH_DATA/mnist-10k.
"""
import argparse
import gzip
import math
import os
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

# Set before NumPy loads: one BLAS thread trains this small network faster than two.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

TREE = Path(__file__).resolve().parents[2]
for folder in ("mytorch", "hw1"):  # the handout's flat imports
    if str(TREE / folder) not in sys.path:
        sys.path.append(str(TREE / folder))

import hw1  # noqa: E402
from activation import Identity, Sigmoid  # noqa: E402
from loss import SoftmaxCrossEntropy  # noqa: E402

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CURVES = ("training_loss", "training_error", "validation_loss", "validation_error")


def read_idx(path: Path) -> np.ndarray:
    """The uint8 array in a gzip IDX file (magic 0x0801 labels, 0x0803 images).

    Raises:
        ValueError: naming the file, for a wrong magic number or a size that does not
            match the header.
    """
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    magic = int.from_bytes(data[:4], "big")
    if magic not in (0x0801, 0x0803):
        raise ValueError(f"{path}: not an IDX file of uint8 labels or images "
                         f"(magic number {magic:#06x})")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != math.prod(shape):
        raise ValueError(f"{path}: the header gives shape {shape}, but the file holds "
                         f"{body.size} values")
    return body.reshape(shape)


def data_folder(data: Optional[Path]) -> Path:
    """--data if given, else $MYTORCH_DATA/mnist-10k.

    Raises:
        ValueError: when neither is given.
    """
    if data is not None:
        return data
    if os.environ.get("MYTORCH_DATA"):
        return Path(os.environ["MYTORCH_DATA"]) / "mnist-10k"
    raise ValueError("no data folder: pass --data DIR or set MYTORCH_DATA")


def load_mnist(folder: Path) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """((train_x, train_y), (val_x, val_y)): images as float64 rows in [0, 1], labels
    as integers.

    Raises:
        FileNotFoundError: naming the folder and the files it lacks.
        ValueError: for a malformed file, or images and labels that differ in number.
    """
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}")
    arrays = [read_idx(folder / name) for name in FILES]
    splits = []
    for images, labels in (arrays[:2], arrays[2:]):
        if len(images) != len(labels):
            raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
        splits.append((images.reshape(len(images), -1) / 255.0, labels.astype(np.int64)))
    return splits[0], splits[1]


def xavier_uniform(fan_in: int, fan_out: int) -> np.ndarray:
    """An (in, out) weight drawn from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-bound, bound, (fan_in, fan_out))


def zeros_bias(fan_out: int) -> np.ndarray:
    """A (1, out) bias of zeros."""
    return np.zeros((1, fan_out))


def sample_mlp() -> "hw1.MLP":
    """The handout's sample network: 784 -> 64 -> 64 -> 32 -> 10, Sigmoid hiddens."""
    return hw1.MLP(784, 10, [64, 64, 32], [Sigmoid(), Sigmoid(), Sigmoid(), Identity()],
                   xavier_uniform, zeros_bias, SoftmaxCrossEntropy(), 0.008, momentum=0.9,
                   num_bn_layers=0)


def save_curves(stats: Sequence[np.ndarray], outpath: Path) -> List[Path]:
    """One PNG per curve in `outpath`, named after CURVES, each written whole or not at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    outpath.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, values in zip(CURVES, stats):
        figure = Figure(figsize=(6, 4))
        FigureCanvasAgg(figure)
        axes = figure.subplots()
        axes.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name.replace("_", " "))
        axes.grid(True, alpha=0.3)
        figure.tight_layout()
        paths.append(outpath / f"{name}.png")
        save_atomically(figure, paths[-1])
    return paths


def save_atomically(figure, path: Path) -> None:
    """Save `figure` as a PNG at `path` through a hidden file beside it, moved into place
    when complete: Ctrl-C or a full disk never leaves a truncated image."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    file = open(tmp, "xb")  # a new file, with the mode the umask gives, as open() makes
    try:
        with file:
            figure.savefig(file, format="png")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def positive_int(text: str) -> int:
    """An argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Train, print each epoch's numbers, save the plots; exit status 0, 1 after a one-line
    error (data that cannot be loaded, plots that cannot be saved), 2 for bad options,
    130 on Ctrl-C."""
    try:
        return train_and_plot(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def train_and_plot(argv: Optional[Sequence[str]]) -> int:
    parser = argparse.ArgumentParser(prog="test.py", description=__doc__.splitlines()[0])
    parser.add_argument("--outpath", type=Path, default=TREE / "hw1", metavar="DIR",
                        help="folder for the four PNG curves (default: hw1/)")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="folder of the four mnist-10k IDX files "
                             "(default: $MYTORCH_DATA/mnist-10k)")
    parser.add_argument("--epochs", type=positive_int, default=30, metavar="N")
    parser.add_argument("--batch-size", type=positive_int, default=100, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)

    try:
        folder = data_folder(args.data)
        train, val = load_mnist(folder)
    except (OSError, ValueError) as exc:
        print(f"error: could not load mnist-10k: {exc}", file=sys.stderr)
        return 1
    print(f"mnist-10k from {folder}: {len(train[0])} training, {len(val[0])} validation "
          f"images; {args.epochs} epochs, batch {args.batch_size}, seed {args.seed}")
    np.random.seed(args.seed)
    mlp = sample_mlp()

    def report(epoch: int, *values: float) -> None:
        print(f"epoch {epoch:3d}  " + "  ".join(
            f"{name.replace('_', ' ')} {value:.4f}" for name, value in zip(CURVES, values)))

    started = time.perf_counter()
    stats = hw1.get_training_stats(mlp, (train, val, val), args.epochs, args.batch_size,
                                   on_epoch=report)
    seconds = time.perf_counter() - started
    print(f"final validation error {stats[3][-1]:.4f} (loss {stats[2][-1]:.4f}) "
          f"in {seconds:.1f} s")
    try:
        paths = save_curves(stats, args.outpath)
    except OSError as exc:  # after the results: one line, not a traceback over them
        print(f"error: could not save the plots in {args.outpath}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    print("plots: " + ", ".join(str(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
