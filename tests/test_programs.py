"""Every program ends in one clear way: Ctrl-C (a real SIGINT to a real process) prints one
line, leaves no partial file and exits 130; a failure after training prints one `error:`
line after the results and exits 1; `--help` describes and exits 0 without running."""
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from autograder.hw1_autograder import test_mnist as mnist_script
from conftest import DATA, needs_data
from hw1 import mnist as hw1_mnist
from mytorch import cli

REPO = Path(__file__).resolve().parents[1]
SPRING2020 = REPO / "handouts" / "spring2020"
sys.path.insert(0, str(REPO / "tests"))
import example_mlp  # noqa: E402


def _env():
    return dict(os.environ, MYTORCH_DATA=str(DATA), PYTHONUNBUFFERED="1", MPLBACKEND="Agg",
                OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")


def interrupt(args, ready, cwd=REPO, timeout=120):
    """Start `args`, wait for a line of stdout matching `ready` (the program is at work),
    send it SIGINT as Ctrl-C does, and return (exit code, stdout, stderr)."""
    process = subprocess.Popen(args, cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, process.kill)  # a program that hangs fails the test
    watchdog.start()
    seen = []
    try:
        while not any(re.search(ready, line) for line in seen):
            line = process.stdout.readline()
            assert line, f"ended before {ready!r}: {seen}, {process.stderr.read()}"
            seen.append(line)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, "".join(seen) + out, err


def _no_partial_files(folder):
    return [p.name for p in Path(folder).rglob("*") if p.suffix in (".part", ".png")]


MNIST_PROGRAMS = {
    "hw1.mnist": [sys.executable, "-m", "hw1.mnist", "--epochs", "1000"],
    "examples/mnist_cnn.py": [sys.executable, "examples/mnist_cnn.py", "--epochs", "1000"],
    "examples/mnist_gru.py": [sys.executable, "examples/mnist_gru.py", "--epochs", "1000"],
}


@needs_data("mnist-10k")
@pytest.mark.parametrize("program", MNIST_PROGRAMS)
def test_ctrl_c_during_training_is_one_line_exit_130_and_no_plot(tmp_path, program):
    status, out, err = interrupt(
        MNIST_PROGRAMS[program] + ["--dataset", "mnist-10k", "--plot", str(tmp_path / "p.png")],
        ready=r"^mnist-10k from .*: 8000 training")
    assert status == 130, err
    assert err == "interrupted\n"
    assert "final" not in out and _no_partial_files(tmp_path) == []


@needs_data("fashion-mnist")
def test_ctrl_c_stops_the_autograders_mnist_check(tmp_path):
    # The handout's fixed 3 epochs: Fashion-MNIST's 60,000 images keep it training for
    # seconds after it has said what it loaded.
    status, out, err = interrupt(
        [sys.executable, "autograder/hw1_autograder/test_mnist.py", "--dataset", "fashion-mnist",
         "--plot", str(tmp_path / "p.png")], ready=r"^fashion-mnist from ")
    assert (status, err) == (130, "interrupted\n")
    assert "final" not in out and _no_partial_files(tmp_path) == []


@needs_data("mnist-10k")
def test_ctrl_c_stops_the_spring2020_training_program(tmp_path):
    status, out, err = interrupt(
        [sys.executable, "autograder/hw1_autograder/test.py", "--outpath", str(tmp_path)],
        ready=r"^epoch +1 ", cwd=SPRING2020)
    assert (status, err) == (130, "interrupted\n")
    assert "final" not in out and _no_partial_files(tmp_path) == []


def test_ctrl_c_stops_the_spring2020_autograder(tmp_path):
    # A copy of the tree whose first test takes long enough to be interrupted in.
    tree = tmp_path / "tree"
    subprocess.run(["cp", "-r", str(SPRING2020), str(tree)], check=True)
    checks = tree / "autograder" / "hw1_autograder" / "checks.py"
    checks.write_text(checks.read_text() + "\n\ndef test_mcq():\n"
                      "    print('waiting', flush=True)\n    import time\n    time.sleep(60)\n")
    status, out, err = interrupt([sys.executable, "autograder/hw1_autograder/runner.py"],
                                 ready="^waiting", cwd=tree)
    assert (status, err) == (130, "interrupted\n")
    assert "Total score" not in out


def test_ctrl_c_stops_a_grade_sh_autograder(tmp_path):
    # A runner built on autograder/grading.py, as ./grade.sh 1 to 3 are, whose one test
    # takes long enough to be interrupted in.
    script = tmp_path / "runner.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from autograder.grading import Problem, runner_main\n"
        "def test_slow():\n    print('waiting', flush=True)\n    time.sleep(60)\n"
        "main = runner_main('a slow homework', (Problem('1 Slow', 5, (('test_slow', 5),)),),\n"
        "                   lambda: {'test_slow': test_slow})\n"
        "sys.exit(main())\n")
    status, out, err = interrupt([sys.executable, str(script)], ready="^waiting")
    assert (status, err) == (130, "interrupted\n")
    assert "Total score" not in out


# ------------------------------------------------------------- failures after training

def _toy_data(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 784)), np.arange(60) % 10
    data = cli.Data(x, y, x[:20], y[:20], "toy", "validation", "memory")
    monkeypatch.setattr(cli, "load", lambda args: data)


def _block(plot):
    """A folder where the plot goes, made after the options were checked (as a full disk
    or a folder made read-only would fail the save, but also as root)."""
    def after(train):
        def wrapper(*args, **kwargs):
            result = train(*args, **kwargs)
            plot.mkdir()
            return result
        return wrapper
    return after


@pytest.mark.parametrize("program", ["hw1.mnist", "test_mnist.py", "train_classifier"])
def test_a_plot_that_cannot_be_saved_is_one_error_line_after_the_results(
        tmp_path, monkeypatch, capsys, program):
    _toy_data(monkeypatch)
    plot = tmp_path / "p.png"
    args = ["--plot", str(plot)]
    if program == "hw1.mnist":
        monkeypatch.setattr(hw1_mnist, "mnist", _block(plot)(hw1_mnist.mnist))
        status = hw1_mnist.main(args + ["--epochs", "1"])
    elif program == "test_mnist.py":
        monkeypatch.setattr(mnist_script, "mnist", _block(plot)(mnist_script.mnist))
        status = mnist_script.main(args + ["--dataset", "mnist"])
    else:
        monkeypatch.setattr(cli, "_fit", _block(plot)(cli._fit))
        status = example_mlp.main(args)
    out, err = capsys.readouterr()
    assert status == 1
    assert re.search(r"final validation accuracy:? \d\.\d{4}", out), out  # the results stand
    assert err == f"error: could not save the plot to {str(plot)!r}: Is a directory\n"
    assert "saved plot" not in out and os.listdir(tmp_path) == ["p.png"]  # no temporary file


@needs_data("mnist-10k")
def test_the_spring2020_program_reports_plots_it_cannot_save_after_the_results(tmp_path):
    blocked = tmp_path / "plots"
    blocked.write_text("a file where the plots' folder should be")
    result = subprocess.run([sys.executable, "autograder/hw1_autograder/test.py", "--epochs", "1",
                             "--outpath", str(blocked)], cwd=SPRING2020, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "final validation error" in result.stdout
    assert re.fullmatch(rf"error: could not save the plots in {re.escape(str(blocked))}: "
                        r"File exists\n", result.stderr), result.stderr


# ------------------------------------------------------------------ help and exit codes

def test_sandbox_help_describes_it_and_runs_nothing(tmp_path):
    results = {args: subprocess.run([sys.executable, str(REPO / "sandbox.py"), args],
                                    cwd=tmp_path, capture_output=True, text=True, timeout=60)
               for args in ("--help", "--bogus")}
    assert [result.returncode for result in results.values()] == [0, 2]
    assert all("1. The write-up's example" not in result.stdout  # the examples did not run
               for result in results.values())
    help_text = results["--help"].stdout
    assert help_text.startswith("usage: sandbox.py [-h]")
    assert "the write-up's autograd example" in help_text and "exits with status 1" in help_text
    assert "unrecognized arguments: --bogus" in results["--bogus"].stderr


def test_grade_sh_says_what_its_exit_status_means_and_does_it():
    help_text = subprocess.run(["bash", str(REPO / "grade.sh"), "--help"], capture_output=True,
                               text=True, timeout=60)
    assert help_text.returncode == 0
    assert ("Exit status of an autograder: 0 when every autograded problem has full marks, 1\n"
            "otherwise, 2 for bad arguments.") in help_text.stdout
    assert "`./grade.sh 1` exits 0 at 100/110" in help_text.stdout
    graded = subprocess.run(["bash", str(REPO / "grade.sh"), "1"], capture_output=True,
                            text=True, timeout=300)
    assert graded.returncode == 0 and "Total score: 100/110" in graded.stdout
