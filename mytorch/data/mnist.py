"""MNIST-layout data sets: where they are, where to download them, and loading them.

A data set is a folder holding the four files of the standard MNIST layout
(``FILES``), each a gzip-compressed IDX file: images uint8 (N, 28, 28), labels
uint8 (N,). ``load_mnist`` finds the folder, downloads missing files from the
mirrors in ``DATASETS`` (checking the published md5) and returns the arrays;
``prepare`` turns them into what a network takes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np

from mytorch import checks
from mytorch.data.download import download
from mytorch.data.idx import read_idx

PathLike = Union[str, "os.PathLike[str]"]

# Order matters: it is the order of load_mnist's return value.
FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# md5 of the gzip files as served by the mirrors (torchvision's values for MNIST and
# Fashion-MNIST). "mnist-10k" is a local split with no public source; its md5s let a
# copy served from a mirror the caller names be verified all the same. "held_out" names
# what the t10k files are: the official test set, or (mnist-10k) a validation split.
DATASETS: dict = {
    "mnist": {
        "held_out": "test",
        "mirrors": (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        "md5": {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    },
    "fashion-mnist": {
        "held_out": "test",
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "md5": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    },
    "mnist-10k": {
        "held_out": "validation",
        "mirrors": (),
        "md5": {
            "train-images-idx3-ubyte.gz": "7db24afd2854b3f52ca1a264bc3f8cc6",
            "train-labels-idx1-ubyte.gz": "e848283caf97512b57967bd9676a38d3",
            "t10k-images-idx3-ubyte.gz": "fa98a7fff39aee3c46450656ac6302dc",
            "t10k-labels-idx1-ubyte.gz": "bafbfbc3fec38e60db849a261f00c631",
        },
    },
}

PIXELS = 28 * 28
CLASSES = 10


def dataset_dir(dataset: str = "mnist", data_dir: PathLike | None = None) -> Path:
    """Resolve the folder that holds (or will hold) a data set's four files.

    Args:
        dataset: a key of ``DATASETS``.
        data_dir: the folder itself, if the caller knows it.

    Returns:
        ``data_dir`` if given, else ``$MYTORCH_DATA/<dataset>`` if that variable is set,
        else ``~/.cache/mytorch/<dataset>``.

    Raises:
        ValueError: if ``dataset`` is not a known data set.
    """
    _dataset_info(dataset)
    if data_dir is not None:
        return Path(data_dir).expanduser()
    root = os.environ.get("MYTORCH_DATA")
    if root:
        return Path(root).expanduser() / dataset
    return Path.home() / ".cache" / "mytorch" / dataset


def load_mnist(
    dataset: str = "mnist",
    data_dir: PathLike | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load an MNIST-layout data set, downloading missing files first if allowed.

    Args:
        dataset: ``"mnist"``, ``"fashion-mnist"`` or ``"mnist-10k"`` (local only).
        data_dir: the folder holding the four files; see ``dataset_dir`` for the default.
        download: fetch missing files into that folder (only missing ones are fetched).
        mirrors: base URLs to use instead of the data set's own mirrors.

    Returns:
        ``(train_images, train_labels, test_images, test_labels)``: uint8 arrays of
        shapes (N, 28, 28), (N,), (M, 28, 28), (M,), labels in 0..9.

    Raises:
        ValueError: for an unknown data set or an invalid file.
        FileNotFoundError: if files are missing and cannot be downloaded.
        RuntimeError: if a download fails on every mirror.
    """
    directory = dataset_dir(dataset, data_dir)
    if download:
        download_dataset(dataset, data_dir, mirrors=mirrors)  # fetches only what is missing
    elif missing := _missing_files(directory):
        raise FileNotFoundError(_missing_message(dataset, data_dir, missing, download_hint=True))
    paths = [directory / name for name in FILES]
    return (*_read_split(paths[0], paths[1]), *_read_split(paths[2], paths[3]))


def download_dataset(
    dataset: str,
    directory: PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download the files of a data set that are missing from ``directory``.

    Each file is tried on every mirror in order and kept only if its md5 matches
    ``DATASETS[dataset]["md5"]``. Nothing is downloaded into a folder that looks like a
    mistake (see ``FileNotFoundError`` below).

    Args:
        dataset: a key of ``DATASETS``.
        directory: where to put the files; defaults to ``dataset_dir(dataset)``.
        mirrors: base URLs to use instead of ``DATASETS[dataset]["mirrors"]``.
        timeout: seconds to wait on a connection or read before giving up on a mirror.

    Returns:
        The directory.

    Raises:
        FileNotFoundError: if files are missing and there is no mirror to try, or the
            folder looks like a mistake: it is a file, it holds data-set folders (one level
            too high), or the folder above it holds the files (one level too deep); the
            message names the folder to use instead.
        RuntimeError: if a file fails on every mirror; names the files, the directory,
            the URLs tried and the last error.
    """
    info = _dataset_info(dataset)
    data_dir = directory
    directory = dataset_dir(dataset, data_dir)
    mirrors = tuple(info["mirrors"] if mirrors is None else mirrors)
    missing = _missing_files(directory)
    if missing and (not mirrors or _folder_mistake(dataset, data_dir)):
        raise FileNotFoundError(_missing_message(dataset, data_dir, missing))
    for name in missing:
        urls = [f"{mirror.rstrip('/')}/{name}" for mirror in mirrors]
        error: RuntimeError | None = None
        for url in urls:
            try:
                download(url, directory / name, info["md5"][name], timeout=timeout)
                break
            except RuntimeError as exc:
                error = exc  # this mirror failed; the next one may still work
        else:
            raise RuntimeError(
                f"could not download {name} of {dataset!r}; tried {', '.join(urls)}; "
                f"last error: {error}. Get the files {', '.join(FILES)} by hand "
                f"and put them in {directory}"
            ) from error
    return directory


def _dataset_info(dataset: str) -> dict:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    return DATASETS[dataset]


def _missing_files(directory: Path) -> list[str]:
    """The names in ``FILES`` that are not files in ``directory``."""
    return [name for name in FILES if not (directory / name).is_file()]


def _dataset_folders(directory: Path) -> list[Path]:
    """The folders in ``directory`` that hold files of an MNIST-layout data set."""
    try:
        children = sorted(child for child in directory.iterdir() if child.is_dir())
    except OSError:  # not a folder, or not readable: nothing to suggest
        return []
    return [child for child in children if any((child / name).is_file() for name in FILES)]


def _where(dataset: str, data_dir: PathLike | None) -> str:
    """The folder ``dataset_dir`` gives, and why: the caller's, MYTORCH_DATA's or the cache."""
    directory = dataset_dir(dataset, data_dir)
    if data_dir is not None:
        return str(directory)
    if os.environ.get("MYTORCH_DATA"):
        return f"{directory} (MYTORCH_DATA/{dataset})"
    return f"{directory} (the cache; MYTORCH_DATA was not set)"


def _folder_mistake(dataset: str, data_dir: PathLike | None) -> str | None:
    """What is wrong with the folder ``dataset_dir`` gives, when it is a likely mistake,
    and the folder to use instead; None when it is a plausible place for the files.

    The data folder (``data_dir``, the programs' ``--data``) holds the four files;
    MYTORCH_DATA holds data-set folders such as ``mnist-10k/``. A folder one level too
    high holds data-set folders, one too deep lies under a folder holding the files.
    """
    directory = dataset_dir(dataset, data_dir)
    if directory.exists() and not directory.is_dir():
        return f"{directory} is a file, not a folder"
    folders = _dataset_folders(directory)
    if folders:
        names = ", ".join(f"{folder.name}/" for folder in folders)
        return (f"{directory} holds data-set folders ({names}) rather than the files: name "
                f"one of them as the data folder (data_dir, --data), or {directory} as "
                "MYTORCH_DATA, which names a folder of data-set folders")
    if _missing_files(directory.parent):
        return None
    if data_dir is None and os.environ.get("MYTORCH_DATA"):
        return (f"MYTORCH_DATA={os.environ['MYTORCH_DATA']} holds the files itself, but "
                f"MYTORCH_DATA names a folder of data-set folders: set it to "
                f"{directory.parent.parent}, or name {directory.parent} as the data folder "
                "(data_dir, --data)")
    return f"the folder above it, {directory.parent}, holds the files: use that one"


def _missing_message(
    dataset: str, data_dir: PathLike | None, missing: Sequence[str], download_hint: bool = False
) -> str:
    message = f"{dataset}: missing {', '.join(missing)} in {_where(dataset, data_dir)}"
    mistake = _folder_mistake(dataset, data_dir)
    if mistake:
        return f"{message}; {mistake}"
    files = "them" if len(missing) == len(FILES) else f"the files {', '.join(FILES)}"
    message += f". Put {files} there (or set MYTORCH_DATA to a folder holding {dataset}/)"
    if not DATASETS[dataset]["mirrors"]:
        return message + f"; {dataset!r} has no download source"
    if download_hint:
        return message + ", or pass download=True to fetch them"
    return message


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read and cross-check one images/labels pair."""
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected images of 28x28, found {images.shape[1:]}")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    _check_labels(labels, f"{labels_path}: ")
    return images, labels


def prepare(images: Any, labels: Any, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Images as float rows in [0, 1], shape (N, 784); labels as int64, shape (N,).

    Integer images are divided by 255; float images are taken to be scaled already.
    Float labels holding whole numbers (as some .npy files do) become integers.

    Args:
        images: (N, 28, 28) or (N, 784) pixels.
        labels: (N,) class indices 0..9.
        dtype: float32 or float64, the dtype of the returned images.

    Raises:
        ValueError: naming the problem, for no images, images that are not of
            28x28 = 784 pixels, a different number of labels, labels that are not
            integers, or a label outside 0..9 (with its index and value).
    """
    dtype = checks.float_dtype("prepare: dtype", dtype)
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim < 2 or int(np.prod(images.shape[1:])) != PIXELS:
        raise ValueError(f"expected N images of 28x28 = 784 pixels, got an array of shape "
                         f"{images.shape}")
    if len(images) == 0:
        raise ValueError(f"expected at least one image, got an array of shape {images.shape}")
    x = images.reshape(len(images), PIXELS).astype(dtype)
    if images.dtype.kind in "iub":
        x /= 255
    labels = labels.reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integer class indices, got dtype {labels.dtype}")
    _check_labels(labels)  # here, not by the loss in the middle of training
    return x, labels.astype(np.int64)


def _check_labels(labels: np.ndarray, where: str = "") -> None:
    """Every label in 0..9; the error gives the first bad one, its index and the count."""
    bad = np.flatnonzero((labels < 0) | (labels >= CLASSES))
    if bad.size:
        raise ValueError(
            f"{where}label {labels[bad[0]]} at index {bad[0]} is outside 0..{CLASSES - 1} "
            f"({bad.size} such labels)"
        )
