"""MNIST-layout data sets: validated IDX parsing, lookup and a verified, atomic download.

A data set is a folder holding the four files of the standard MNIST layout
(``FILES``), each a gzip-compressed IDX file: images uint8 (N, 28, 28), labels
uint8 (N,). ``load_mnist`` finds the folder, downloads missing files from the
mirrors in ``DATASETS`` (checking the published md5) and returns the arrays.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import os
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np
from tqdm import tqdm

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
# copy served from a mirror the caller names be verified all the same.
DATASETS: dict = {
    "mnist": {
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
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "md5": {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    },
    "mnist-10k": {
        "mirrors": (),
        "md5": {
            "train-images-idx3-ubyte.gz": "7db24afd2854b3f52ca1a264bc3f8cc6",
            "train-labels-idx1-ubyte.gz": "e848283caf97512b57967bd9676a38d3",
            "t10k-images-idx3-ubyte.gz": "fa98a7fff39aee3c46450656ac6302dc",
            "t10k-labels-idx1-ubyte.gz": "bafbfbc3fec38e60db849a261f00c631",
        },
    },
}

_UINT8 = 0x08
_CHUNK = 1 << 16


def read_idx(path: PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzip-compressed if its name ends in ``.gz``.

    IDX layout: magic number ``0x0000 08 D`` (two zero bytes, dtype code 0x08 = uint8,
    number of dimensions D), then D big-endian uint32 sizes, then the values in C order.
    MNIST images are idx3 (magic 0x00000803), labels idx1 (0x00000801).

    Args:
        path: the file to read.
        ndim: if given, the number of dimensions the file must have.

    Returns:
        A writable uint8 array with the shape given in the header.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the file is not valid gzip or IDX, or its payload does not match
            its header; the message names the path and the problem.
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: not a valid gzip file ({exc})") from None

    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != _UINT8 or raw[3] == 0:
        raise ValueError(
            f"{path}: bad magic number 0x{magic:08x}, expected 0x000008NN "
            "(IDX of uint8 with NN >= 1 dimensions)"
        )
    if ndim is not None and raw[3] != ndim:
        raise ValueError(
            f"{path}: bad magic number 0x{magic:08x}, expected 0x{0x800 | ndim:08x} "
            f"(IDX of uint8 with {ndim} dimension{'s' if ndim != 1 else ''})"
        )

    header_size = 4 + 4 * raw[3]
    if len(raw) < header_size:
        raise ValueError(
            f"{path}: header truncated: needs {header_size} bytes, file has {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(4, header_size, 4))
    # Python ints: np.prod wraps around at 2**64, so a corrupt header could claim a size
    # matching the payload, e.g. (65536,) * 4 for an empty one.
    expected = math.prod(shape)
    found = len(raw) - header_size
    if found != expected:
        kind = {1: "label ", 3: "image "}.get(len(shape), "")
        raise ValueError(
            f"{path}: expected {expected} bytes of {kind}data for shape {shape}, found {found}"
        )
    # copy: frombuffer over bytes is read-only, and callers shuffle or normalise in place.
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


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
        download_dataset(dataset, directory, mirrors=mirrors)  # fetches only what is missing
    elif missing := _missing_files(directory):
        raise FileNotFoundError(_missing_message(dataset, directory, missing, download_hint=True))
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
    ``DATASETS[dataset]["md5"]``.

    Args:
        dataset: a key of ``DATASETS``.
        directory: where to put the files; defaults to ``dataset_dir(dataset)``.
        mirrors: base URLs to use instead of ``DATASETS[dataset]["mirrors"]``.
        timeout: seconds to wait on a connection or read before giving up on a mirror.

    Returns:
        The directory.

    Raises:
        FileNotFoundError: if files are missing and there is no mirror to try.
        RuntimeError: if a file fails on every mirror; names the files, the directory,
            the URLs tried and the last error.
    """
    info = _dataset_info(dataset)
    directory = dataset_dir(dataset, directory)
    mirrors = tuple(info["mirrors"] if mirrors is None else mirrors)
    missing = _missing_files(directory)
    if missing and not mirrors:
        raise FileNotFoundError(_missing_message(dataset, directory, missing))
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


def download(url: str, dest_path: PathLike, md5: str, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest_path`` atomically, keeping it only if its md5 matches.

    The body is streamed into a temporary file beside ``dest_path`` while its md5 is
    computed, then renamed into place; on any failure, Ctrl-C included, the temporary
    file is deleted, so ``dest_path`` is either absent or complete and verified.

    Args:
        url: what to fetch.
        dest_path: where to put it; parent folders are created.
        md5: expected hex md5 of the body.
        timeout: seconds to wait on the connection or on any read.

    Returns:
        ``dest_path``.

    Raises:
        RuntimeError: if the request fails (HTTP error, refused, timeout, short body)
            or the md5 does not match; the message names the URL.
    """
    dest_path = Path(dest_path)
    # Folders this call creates, innermost first, to take away again if it fails.
    created = [folder for folder in dest_path.parents if not folder.exists()]
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(
        dir=dest_path.parent, prefix=f".{dest_path.name}.", suffix=".part", delete=False
    )
    try:
        with tmp:
            actual, size, expected_size = _stream(url, tmp, timeout)
        if expected_size is not None and size != expected_size:
            raise RuntimeError(f"{url}: connection closed after {size} of {expected_size} bytes")
        if actual != md5.lower():
            raise RuntimeError(
                f"{dest_path.name}: checksum mismatch for {url}: expected md5 {md5}, got {actual}"
            )
        os.replace(tmp.name, dest_path)
    except BaseException:
        # BaseException: a KeyboardInterrupt must not leave a partial file either.
        Path(tmp.name).unlink(missing_ok=True)
        for folder in created:
            with contextlib.suppress(OSError):  # not empty: another file got there
                folder.rmdir()
        raise
    return dest_path


def _stream(url: str, out, timeout: float) -> tuple[str, int, int | None]:
    """Copy ``url`` into ``out``; return (md5 hex, bytes read, Content-Length or None)."""
    # Some mirrors refuse urllib's default User-Agent.
    request = urllib.request.Request(url, headers={"User-Agent": "mytorch"})
    digest = hashlib.md5()
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected_size = int(length) if length and length.isdigit() else None
            name = url.rsplit("/", 1)[-1]
            with tqdm(
                total=expected_size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=name,
                file=sys.stderr,
                leave=False,
                disable=None,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
    # URLError, HTTPError, timeouts and resets are OSErrors; a malformed reply is not.
    except (OSError, http.client.HTTPException) as exc:
        raise RuntimeError(f"{url}: download failed: {exc}") from exc
    return digest.hexdigest(), size, expected_size


def _dataset_info(dataset: str) -> dict:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    return DATASETS[dataset]


def _missing_files(directory: Path) -> list[str]:
    """The names in ``FILES`` that are not files in ``directory``."""
    return [name for name in FILES if not (directory / name).is_file()]


def _missing_message(
    dataset: str, directory: Path, missing: Sequence[str], download_hint: bool = False
) -> str:
    message = (
        f"{dataset}: missing {', '.join(missing)} in {directory}. Put the files "
        f"{', '.join(FILES)} there (or set MYTORCH_DATA to a folder holding {dataset}/)"
    )
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
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise ValueError(
            f"{labels_path}: label {labels[bad[0]]} at index {bad[0]} is outside 0..9 "
            f"({bad.size} such labels)"
        )
    return images, labels
