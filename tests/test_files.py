"""mytorch.files.write_atomically, under which checkpoints, plots, graph pictures and
downloads are written: the file appears whole or not at all, with the permissions `open`
would give it (the umask's for a new file, its own for a file replaced)."""
import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import mytorch
from mytorch import plots
from mytorch.files import write_atomically

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def umask(mask):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _writers(tmp_path):
    """(name, write(path)) for each kind of file the library writes."""
    return [
        ("checkpoint", lambda path: mytorch.save({"w": np.ones(2)}, path)),
        ("plot", lambda path: plots.save_line_plot(path, [1, 2], [0.5, 0.7], xlabel="x",
                                                   ylabel="y", title="t", accuracy=True)),
        ("bytes", lambda path: write_atomically(path, lambda file: file.write(b"x"))),
    ]


@pytest.mark.parametrize("mask, expected", [(0o077, 0o600), (0o022, 0o644), (0o027, 0o640),
                                            (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, mask, expected):
    for name, write in _writers(tmp_path):
        path = tmp_path / f"{name}.png"
        with umask(mask):
            write(path)
        assert mode(path) == expected, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bytes.png", "checkpoint.png",
                                                         "plot.png"]


@pytest.mark.parametrize("old_mode", [0o600, 0o640, 0o664, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path, old_mode):
    for name, write in _writers(tmp_path):
        path = tmp_path / f"{name}.png"
        path.write_bytes(b"old")
        path.chmod(old_mode)
        with umask(0o022):  # it would give 0o644 to a new file
            write(path)
        assert mode(path) == old_mode and path.read_bytes() != b"old", name


def test_a_replacement_is_never_readable_by_more_people_than_the_file_it_replaces(tmp_path):
    path = tmp_path / "secret.npz"
    path.write_bytes(b"old")
    path.chmod(0o600)
    seen = []

    def write(file):
        seen.append(mode(file.fileno()))
        file.write(b"new")

    with umask(0o000):
        write_atomically(path, write)
    assert seen == [0o600] and mode(path) == 0o600 and path.read_bytes() == b"new"


def test_a_checkpoint_saved_by_a_program_under_umask_077_is_private(tmp_path):
    # A real umask, set by the shell, as a user's login would set it.
    code = ("import numpy as np, mytorch, sys; "
            "mytorch.save({'w': np.ones(2)}, sys.argv[1])")
    path = tmp_path / "c.npz"
    result = subprocess.run(["sh", "-c", f'umask 077 && exec "$0" -c "$1" "$2"',
                             sys.executable, code, str(path)],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert mode(path) == 0o600 and np.array_equal(mytorch.load(path)["w"], np.ones(2))


def test_a_failed_write_leaves_the_old_file_its_mode_and_no_temporary(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"old")
    path.chmod(0o640)

    def failing(file):
        file.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, failing)
    assert path.read_bytes() == b"old" and mode(path) == 0o640
    assert os.listdir(tmp_path) == ["c.npz"]
