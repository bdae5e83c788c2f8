"""The local HW3 autograder (./grade.sh 3) gives full marks and exits 0."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_grade_sh_3_gives_full_marks():
    result = subprocess.run(["bash", str(ROOT / "grade.sh"), "3"], capture_output=True, text=True,
                            env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total score: 100/100" in result.stdout
    scores = json.loads(result.stdout.strip().splitlines()[-1])["scores"]
    assert sum(scores.values()) == 100 and len(scores) == 16


def test_a_wrong_gru_loses_the_gru_points(monkeypatch, capsys):
    import numpy as np

    from autograder.hw3_autograder import runner
    from mytorch.ops import recurrent

    def wrong_sigmoid(a, out=None):
        return np.divide(1, 1 + np.exp(-1.001 * a), out=out)

    # The GRU's gates (the RNN has none): the cell and the whole-sequence op both use it.
    monkeypatch.setattr(recurrent, "_sigmoid", wrong_sigmoid)
    assert runner.main([]) == 1
    out = capsys.readouterr().out
    assert "Total score: 80/100" in out and "2.2 GRU" in out
