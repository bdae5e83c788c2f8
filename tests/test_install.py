"""The README's set-up: `pip install -e .` makes the library and the homework programs
importable from any directory, not only from the checkout."""
import site
import subprocess
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_editable_install_works_from_outside_the_checkout(tmp_path):
    # A venv that sees this interpreter's packages (NumPy, ...) but not the checkout:
    # only the install can make `mytorch` and `hw1` importable from tmp_path. A .pth
    # file lends it the packages, since this interpreter may itself be a venv's.
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    venv_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
    lent = [path for path in site.getsitepackages() if Path(path).is_dir()]
    (Path(venv_site) / "lent-packages.pth").write_text("\n".join(lent) + "\n")
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps",
                              "--disable-pip-version-check", "-e", str(REPO)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr

    where = subprocess.run([python, "-c", "import mytorch; print(mytorch.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == REPO / "mytorch" / "__init__.py"

    usage = subprocess.run([python, "-m", "hw1.mnist", "--help"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0, usage.stderr
    assert "usage:" in usage.stdout and "--data" in usage.stdout
