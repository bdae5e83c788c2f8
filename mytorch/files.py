"""Writing a file atomically: it appears whole at its path, or not at all."""
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Union

PathLike = Union[str, "os.PathLike[str]"]


def write_atomically(path: PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(file)` on a temporary file beside `path`, then move it to `path`.

    A crash or an exception in `write` leaves `path` as it was (an earlier version, or
    nothing) and no temporary file behind.

    Raises:
        FileNotFoundError: the folder of `path` does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} "
                                "does not exist")
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part",
                                      delete=False)
    try:
        with tmp:
            write(tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, 0o644)  # NamedTemporaryFile makes it private; this is an ordinary file
        os.replace(tmp.name, path)
    except BaseException:
        # BaseException: an interrupted write must not leave a partial file behind either.
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return path
