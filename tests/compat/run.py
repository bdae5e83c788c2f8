"""Run programs written for PyTorch, under PyTorch or under MyTorch as `torch`.

    python3 tests/compat/run.py torch programs/autograd_basics.py
    python3 tests/compat/run.py mytorch programs/autograd_basics.py
    python3 tests/compat/run.py --json mytorch programs/*.py    # each in a forked child

With `mytorch`, every `import torch`, `import torch.nn as nn`, `from torch.utils.data
import DataLoader`, ... imports the MyTorch module of the same name (`torch.X` is
`mytorch.X`), and nothing else about the program changes.

`--json` imports the library once and runs each program in a child process forked from
that one (importing torch takes seconds; forking, milliseconds), then prints
{program: {"returncode", "stdout", "stderr"}} as JSON. Before forking it takes one
optimizer step and one DataLoader batch, so that what the library imports on first use
(PyTorch's first optimizer step imports some 800 modules, about a second) is imported
once, not once per program.
"""
import importlib
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import sys
import tempfile
import traceback
from pathlib import Path


class TorchIsMyTorch(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook: `torch` and `torch.X` are `mytorch` and `mytorch.X`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("my" + spec.name)

    def exec_module(self, module):
        """Nothing to run: the MyTorch module is loaded already."""


def use(backend):
    """Make `import torch` import `backend`, and import it now."""
    if backend == "mytorch":
        # The checkout's mytorch, whatever the working directory.
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        sys.meta_path.insert(0, TorchIsMyTorch())
    torch = importlib.import_module("torch")
    if backend == "torch":
        # The programs' tensors are tiny, and PyTorch's thread pool on a busy machine made
        # each op 10-20 times slower (a 10 x 3 cross-entropy took 13 ms with two threads).
        torch.set_num_threads(1)


def warm_up():
    """One training step through the parts programs use, in this process: whatever the
    library imports on first use is then there in every child forked from it."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    for x, y in DataLoader(TensorDataset(torch.ones(2, 2), torch.ones(2, 1)), batch_size=2):
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        scheduler.step()


def run_forked(program):
    """Run `program` in a child process; its exit code and what it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: print into the files, run, and leave without cleanup
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            code = 0
            try:
                runpy.run_path(program, run_name="__main__")
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {"returncode": os.waitstatus_to_exitcode(status),
                "stdout": out.read().decode(), "stderr": err.read().decode()}


def main(argv):
    as_json = argv[:1] == ["--json"]
    argv = argv[1:] if as_json else argv
    if len(argv) < 2 or argv[0] not in ("torch", "mytorch") or (len(argv) > 2 and not as_json):
        sys.exit("usage: run.py [--json] torch|mytorch PROGRAM...")
    backend, programs = argv[0], argv[1:]
    use(backend)
    if not as_json:
        runpy.run_path(programs[0], run_name="__main__")
        return
    warm_up()
    results = {program: run_forked(program) for program in programs}
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
