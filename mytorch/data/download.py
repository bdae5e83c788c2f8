"""A verified, atomic download: a file appears whole, with the expected md5, or not at all."""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import urllib.request
from pathlib import Path
from typing import BinaryIO, Union

from tqdm import tqdm

from mytorch.files import write_atomically

PathLike = Union[str, "os.PathLike[str]"]

_CHUNK = 1 << 16


def download(url: str, dest_path: PathLike, md5: str, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest_path`` atomically, keeping it only if its md5 matches.

    The body is streamed into a temporary file beside ``dest_path`` while its md5 is
    computed, and moved into place only if it matches (`mytorch.files.write_atomically`);
    on any failure, Ctrl-C included, the temporary file and any folder this call made
    are removed, so ``dest_path`` is either absent or complete and verified.

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

    def fetch_verified(out: BinaryIO) -> None:
        actual, size, expected_size = _stream(url, out, timeout)
        if expected_size is not None and size != expected_size:
            raise RuntimeError(f"{url}: connection closed after {size} of {expected_size} bytes")
        if actual != md5.lower():
            raise RuntimeError(
                f"{dest_path.name}: checksum mismatch for {url}: expected md5 {md5}, got {actual}"
            )

    # Folders this call creates, innermost first, to take away again if it fails.
    created = [folder for folder in dest_path.parents if not folder.exists()]
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(dest_path, fetch_verified)
    except BaseException:
        # BaseException: a KeyboardInterrupt must not leave an empty folder either.
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
