"""Programs written the way PyTorch's tutorials write them (`programs/*.py`) print the same
numbers under PyTorch and under `import mytorch as torch`.

Each program runs twice (`run.py`): once with real torch, once with `torch` imported as
MyTorch, each in a process of its own (forked from one that imported the library). The numbers each prints (and its True/False words)
must agree, to 1e-4 relative and absolute: PyTorch prints tensors to 4 decimals and
computes in float32 by default, MyTorch prints NumPy's digits and computes in float64.
Words, reprs and dtype names are not compared.

To add a program: write `programs/<name>.py` as a PyTorch user would, with `import torch`,
printing the numbers that matter. Its output must not depend on random draws (the two
libraries' generators differ): initialise from fixed values, e.g. `nn.init.constant_`
or `weight.copy_(torch.linspace(...))` under `no_grad`, make data with formulas, and
check what is random (dropout masks, `torch.normal` data, samples) only through facts
that hold whatever is drawn, saying so in the program's docstring.
"""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted((HERE / "programs").glob("*.py"))
# A number not glued to a name ("float32", "Backward0"), or nan/inf; and True/False.
TOKEN = re.compile(r"(?<![\w.])(?:[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan|True|False)(?![\w])")
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def outputs():
    """What every program printed, by backend: each backend imported once, each program
    run in a process forked from it (`run.py --json`)."""
    pytest.importorskip("torch")
    results = {}
    for backend in ("torch", "mytorch"):
        done = subprocess.run([sys.executable, str(HERE / "run.py"), "--json", backend,
                               *map(str, PROGRAMS)], capture_output=True, text=True,
                              timeout=600, cwd=HERE)
        assert done.returncode == 0, f"run.py --json {backend} failed:\n{done.stderr}"
        results[backend] = json.loads(done.stdout)
    return results


def tokens(output):
    """The numbers and truth values an output prints, in order."""
    return TOKEN.findall(output)


def _same(mine, theirs):
    if theirs in ("True", "False") or mine in ("True", "False"):
        return mine == theirs
    a, b = float(mine), float(theirs)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= TOLERANCE * (1 + abs(b))


def test_there_are_programs():
    assert len(PROGRAMS) >= 25  # issue 16: at least 25 programs, each run under both libraries


def test_tokens_skip_names_and_keep_numbers():
    assert tokens("tensor([1., -2.5e-03], dtype=torch.float32) AddBackward0 x1 nan -inf True") == \
        ["1.", "-2.5e-03", "nan", "-inf", "True"]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_the_same_numbers_under_pytorch_and_mytorch(program, outputs):
    printed = {}
    for backend in ("torch", "mytorch"):
        result = outputs[backend][str(program)]
        assert result["returncode"] == 0, f"{program.name} failed under {backend}:\n{result['stderr']}"
        printed[backend] = result["stdout"]
    theirs, mine = printed["torch"], printed["mytorch"]
    expected, got = tokens(theirs), tokens(mine)
    assert expected, f"{program.name} prints no numbers"
    assert len(got) == len(expected), (
        f"{program.name}: {len(got)} numbers under MyTorch, {len(expected)} under PyTorch\n"
        f"--- PyTorch:\n{theirs}\n--- MyTorch:\n{mine}")
    for index, (a, b) in enumerate(zip(got, expected)):
        assert _same(a, b), (f"{program.name}: number {index}: MyTorch {a}, PyTorch {b}\n"
                             f"--- PyTorch:\n{theirs}\n--- MyTorch:\n{mine}")
