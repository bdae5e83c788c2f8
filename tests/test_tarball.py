"""create_tarball.sh packs what it can stand behind: no earlier archive, nothing a link
leads to outside the project, a linked file as its content, each link named in a note;
and what it packs extracts under Python's safe `data` filter."""
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _project(tmp_path):
    """A small project beside an outside folder, with the links a student may leave."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    for folder in (project / "mytorch", project / "hw1" / "sub", project / "notes", outside):
        folder.mkdir(parents=True)
    (project / "create_tarball.sh").write_bytes((REPO / "create_tarball.sh").read_bytes())
    (project / "mytorch" / "tensor.py").write_text("tensor = 1\n")
    (project / "hw1" / "mnist.py").write_text("mnist = 2\n")
    (project / "hw1" / "sub" / "with space.py").write_text("x = 3\n")
    (project / "hw1" / "validation_accuracy.png").write_bytes(b"\x89PNG plot")
    (project / "notes" / "helper.py").write_text("helper = 4\n")
    (outside / "secret.txt").write_text("not for the submission\n")
    links = {
        "hw1/helper.py": "../notes/helper.py",        # a file in the project: packed as content
        "mytorch/alias.py": "tensor.py",               # the same, beside it
        "hw1/data": str(outside),                      # a folder outside: left out
        "mytorch/secret.txt": str(outside / "secret.txt"),  # a file outside: left out
        "mytorch/notes": "../notes",                   # a folder inside: left out
        "mytorch/broken.py": "missing.py",             # to nothing: left out
    }
    for link, target in links.items():
        os.symlink(target, project / link)
    return project


def _pack(project, *args):
    return subprocess.run(["bash", "create_tarball.sh", *args], cwd=project, capture_output=True,
                          text=True, timeout=60)


def test_links_are_packed_as_content_or_left_out_and_each_is_named(tmp_path):
    project = _project(tmp_path)
    result = _pack(project)
    assert result.returncode == 0, result.stderr
    with tarfile.open(project / "handin.tar") as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert all(member.isfile() for member in members.values())  # no link, no folder
        contents = {name: archive.extractfile(member).read() for name, member in members.items()}
    assert contents == {
        "hw1/helper.py": b"helper = 4\n", "hw1/mnist.py": b"mnist = 2\n",
        "hw1/sub/with space.py": b"x = 3\n", "hw1/validation_accuracy.png": b"\x89PNG plot",
        "mytorch/alias.py": b"tensor = 1\n", "mytorch/tensor.py": b"tensor = 1\n"}
    outside = tmp_path / "outside"
    assert sorted(result.stderr.splitlines()) == sorted([
        f"note: left out hw1/data: a link to {outside}, outside the project",
        "note: packed hw1/helper.py, a link to notes/helper.py, as that file's content",
        "note: left out mytorch/broken.py: a link to missing.py, which does not exist",
        "note: packed mytorch/alias.py, a link to mytorch/tensor.py, as that file's content",
        "note: left out mytorch/notes: a link to the folder notes",
        f"note: left out mytorch/secret.txt: a link to {outside / 'secret.txt'}, outside the "
        "project"])


def test_earlier_archives_stay_out_when_run_twice(tmp_path):
    project = _project(tmp_path)
    assert _pack(project, "hw1/").returncode == 0  # the archive lands inside a packed folder
    (project / "mytorch" / "old submission.tar").write_bytes(b"an older archive")
    result = _pack(project, "hw1/")
    assert result.returncode == 0, result.stderr
    with tarfile.open(project / "hw1" / "handin.tar") as archive:
        names = archive.getnames()
    assert not [name for name in names if name.endswith(".tar")], names
    assert "hw1/mnist.py" in names


@pytest.mark.skipif(not hasattr(tarfile, "data_filter"), reason="tarfile has no data filter")
def test_the_archive_extracts_under_the_data_filter_as_the_project_reads(tmp_path):
    project = _project(tmp_path)
    assert _pack(project).returncode == 0
    destination = tmp_path / "extracted"
    with tarfile.open(project / "handin.tar") as archive:
        archive.extractall(destination, filter="data")  # raises on links leading out
    for path in destination.rglob("*"):
        if path.is_file():
            relative = path.relative_to(destination)
            assert path.read_bytes() == (project / relative).read_bytes(), relative
            assert not path.is_symlink()
    assert (destination / "hw1" / "helper.py").read_text() == "helper = 4\n"
    assert not (destination / "mytorch" / "secret.txt").exists()
