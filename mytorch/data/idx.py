"""Reading IDX files, the format of MNIST and Fashion-MNIST, with every field checked.

IDX layout: magic number ``0x0000 08 D`` (two zero bytes, dtype code 0x08 = uint8,
number of dimensions D), then D big-endian uint32 sizes, then the values in C order.
MNIST images are idx3 (magic 0x00000803), labels idx1 (0x00000801).
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

_UINT8 = 0x08


def read_idx(path: PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzip-compressed if its name ends in ``.gz``.

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
