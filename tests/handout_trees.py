"""Loading the handout trees (handouts/spring2020, handouts/spring2025) into the test process.

Each tree calls its package `mytorch`, like the library, and the Spring 2020 tree also
has an `hw1` of its own. `load_tree` imports a tree's modules with the tree's folders
first on sys.path and the clashing names hidden, then puts sys.path and sys.modules
back: the tree's modules live on as the objects returned, and every later
`import mytorch` or `import hw1` still finds the library's.
"""
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, Sequence

import numpy as np

from conftest import DATA

REPO = Path(__file__).resolve().parents[1]
HANDOUTS = REPO / "handouts"
SHARED_DATA = DATA  # where the tests find data sets: $MYTORCH_DATA, else ../shared/data


def load_tree(tree: Path, folders: Sequence[str], modules: Sequence[str]) -> Dict[str, ModuleType]:
    """Import `modules` from `tree`, searching its `folders` first; {name: module}."""
    tops = {name.split(".")[0] for name in modules} | {"validation"}
    saved_modules = dict(sys.modules)
    saved_path = list(sys.path)
    for key in list(sys.modules):
        if key.split(".")[0] in tops:
            del sys.modules[key]  # the library's `mytorch`, `hw1`: hidden, not lost
    sys.path[:0] = [str(tree / folder) for folder in folders]
    try:
        return {name: importlib.import_module(name) for name in modules}
    finally:
        sys.path[:] = saved_path
        for key, module in list(sys.modules.items()):
            # Only the tree's own modules go: a dependency they loaded (scipy) stays.
            if key not in saved_modules and str(tree) in str(getattr(module, "__file__", "")):
                del sys.modules[key]
        sys.modules.update(saved_modules)


def run_in(tree: Path, args: Sequence[str], timeout: float = 120,
           **env: str) -> subprocess.CompletedProcess:
    """Run a command from `tree`'s root, as a learner would, with one BLAS thread."""
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                       MPLBACKEND="Agg", **env)
    return subprocess.run(list(args), cwd=tree, env=environment, capture_output=True,
                          text=True, timeout=timeout)


def scores(stdout: str) -> Dict[str, int]:
    """The scores in an autograder's last line, {"scores": {...}}."""
    return json.loads(stdout.strip().splitlines()[-1])["scores"]


def central_differences(f: Callable[[], float], x: np.ndarray) -> np.ndarray:
    """d f() / dx by (f(x + h) - f(x - h)) / 2h, h = 1e-6, perturbing x in place."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + 1e-6
        plus = f()
        x[index] = saved - 1e-6
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / 2e-6
    return grad


def away_from_zero(rng: np.random.Generator, shape: tuple, scale: float = 2.0) -> np.ndarray:
    """Values with |x| in [0.1, scale], so no central difference straddles ReLU's kink."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, scale, shape)
