"""The local autograders of the HW1 bonus, HW2 and the HW2 bonus: each gives full marks
against MyTorch, exits 0 through grade.sh, needs only NumPy, and can fail."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from autograder.grading import run_problems

REPO = Path(__file__).resolve().parents[1]

GRADERS = {  # grade.sh argument: (runner, total points, problems' point values)
    "1b": ("autograder/hw1_bonus_autograder/runner.py", 25,
           {"1.1 Adam": 5, "1.2 Dropout": 10, "1.3 BatchNorm": 10}),
    "2": ("autograder/hw2_autograder/runner.py", 95,
          {"1.1 Conv1d forward": 20, "1.2 Conv1d backward": 30, "2 Flatten": 10,
           "3.1 Simple scanning MLP": 10, "3.2 Distributed scanning MLP": 10, "4 CNN": 15}),
    "2b": ("autograder/hw2_bonus_autograder/runner.py", 15,
           {"1 Conv2d": 5, "2 MaxPool2d": 5, "3 AvgPool2d": 5}),
}


@pytest.mark.parametrize("part", GRADERS)
def test_grade_sh_gives_full_marks_with_only_numpy(part):
    runner, total, values = GRADERS[part]
    # torch made unimportable, as on a machine without it.
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "no_torch"))
    result = subprocess.run(["bash", str(REPO / "grade.sh"), part], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Total score: {total}/{total}" in result.stdout
    scores = json.loads(result.stdout.strip().splitlines()[-1])["scores"]
    assert scores == values


def test_the_hw2_autograder_fails_a_wrong_convolution(monkeypatch):
    """A Conv1d whose weight gradient is off by a factor loses exactly the backward points."""
    from autograder.hw2_autograder import runner
    from mytorch.ops import conv

    original = conv._Convolution.backward

    def wrong(ctx, grad_output):
        grads = list(original(ctx, grad_output))
        if grads[1] is not None:
            grads[1].data *= 1.01
        return tuple(grads)

    monkeypatch.setattr(conv._Convolution, "backward", staticmethod(wrong))
    with open(os.devnull, "w") as out:
        scores = run_problems(runner.PROBLEMS, runner.load_tests(), out=out)
    assert scores["1.2 Conv1d backward"] == 0 and scores["1.1 Conv1d forward"] == 20
    assert scores["4 CNN"] == 0


def test_the_hw2_bonus_autograder_fails_ties_routed_to_the_last_maximum(monkeypatch):
    from autograder.hw2_bonus_autograder import runner
    from mytorch.ops import pooling

    original = pooling._MaxPool.pool

    def last_max(ctx, op, spatial, x, *arguments):
        out = original(ctx, op, spatial, x, *arguments)
        windows = pooling.unfold(x.data, ctx.geometry.kernel, ctx.geometry.stride)
        rows = windows.reshape(windows.shape[:2 + spatial] + (-1,))
        ctx.argmax = rows.shape[-1] - 1 - rows[..., ::-1].argmax(axis=-1)  # the last maximum
        return out

    monkeypatch.setattr(pooling._MaxPool, "pool", staticmethod(last_max))
    with open(os.devnull, "w") as out:
        scores = run_problems(runner.PROBLEMS, runner.load_tests(), out=out)
    assert scores["2 MaxPool2d"] == 2 and scores["1 Conv2d"] == 5  # forward values still agree
