"""create_tarball.sh decides on tar's options from `tar --help` without a race: a help
text long enough that a reader stopping early cuts tar off must still be read whole."""
import os
import stat
import subprocess
import tarfile

from test_tarball import _pack, _project


def test_a_long_tar_help_still_gives_hard_dereference(tmp_path):
    project = _project(tmp_path)
    wrapper = tmp_path / "bin" / "tar"
    wrapper.parent.mkdir()
    real = subprocess.run(["bash", "-c", "command -v tar"], capture_output=True, text=True).stdout.strip()
    # The option first, then 4 MB more: a reader that stops at the option leaves tar
    # writing into a closed pipe.
    wrapper.write_text(f'#!/usr/bin/env bash\nif [[ "$1" == --help ]]; then\n'
                       f'    echo "      --hard-dereference"\n    exec head -c 4000000 /dev/zero\n'
                       f'fi\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    environment = dict(os.environ, PATH=f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "create_tarball.sh"], cwd=project, capture_output=True,
                            text=True, timeout=60, env=environment)
    assert result.returncode == 0, result.stderr
    with tarfile.open(project / "handin.tar") as archive:
        assert all(member.isfile() for member in archive.getmembers())  # no hard link
    assert _pack(project).returncode == 0  # and with the real tar
