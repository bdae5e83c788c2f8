"""Writing a file atomically: it appears whole at its path, or not at all."""
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Callable, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]


def write_atomically(path: PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(file)` on a temporary file beside `path`, then move it to `path`.

    A crash or an exception in `write` (Ctrl-C included) leaves `path` as it was (an
    earlier version, or nothing) and no temporary file behind.

    Permissions are those `open` would give: a new file gets the mode the umask leaves of
    0o666 (0o644 under umask 022, 0o600 under 077), and a file that is replaced keeps its
    own mode.

    Raises:
        FileNotFoundError: the folder of `path` does not exist.
        OSError: the folder cannot be written (PermissionError), the disk is full, ...
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} "
                                "does not exist")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    # A new file is created as open() would create it: the kernel applies the umask (and
    # any default ACL). A replacement starts private and gets the old file's mode when
    # complete, so the new contents are never readable by more people than the old.
    tmp, descriptor = _create_beside(path, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        # BaseException: an interrupted write must not leave a partial file behind either.
        tmp.unlink(missing_ok=True)
        raise
    return path


def _create_beside(path: Path, mode: int) -> Tuple[Path, int]:
    """Create a new hidden file in the folder of `path` with `mode` (less the umask);
    return its path and a descriptor open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:
            continue  # taken by another writer: draw another name
    raise FileExistsError(f"cannot write {str(path)!r}: no free temporary name beside it")
