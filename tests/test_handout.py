"""The handout's tooling: the autograder runner, grade.sh, create_tarball.sh, sandbox.py,
hw1/mnist.py (functions and command line) and autograder/hw1_autograder/test_mnist.py."""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from autograder import helpers
from conftest import DATA as SHARED_DATA, needs_data
from autograder.hw1_autograder import runner
from autograder.hw1_autograder import test_mnist as mnist_script
from hw1 import mnist as hw1_mnist
import mytorch
from mytorch import Tensor, cli, is_grad_enabled
from mytorch.data import prepare
from mytorch.nn import BatchNorm1d, CrossEntropyLoss, Linear, Module, ReLU, Sequential
from mytorch.nn import functional as F
from mytorch.optim import SGD

REPO = Path(__file__).resolve().parents[1]
needs_shared_data = needs_data("mnist-10k")


def run(args, timeout=120, **kwargs):
    """Run a command from the repository root with the shared data and one BLAS thread."""
    env = dict(os.environ, MYTORCH_DATA=str(SHARED_DATA), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env.update(kwargs.pop("env", {}))
    return subprocess.run(args, cwd=kwargs.pop("cwd", REPO), env=env, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


# ------------------------------------------------------------------------ runner

def _scores(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith('{"scores"')]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])["scores"]


def test_runner_full_marks_with_only_numpy():
    # torch, tqdm and matplotlib made unimportable: the autograder needs NumPy only.
    code = ("import runpy, sys\n"
            "for name in ('torch', 'tqdm', 'matplotlib'):\n"
            "    sys.modules[name] = None\n"
            f"sys.argv = ['runner.py']\n"
            f"runpy.run_path({str(REPO / 'autograder/hw1_autograder/runner.py')!r}, "
            "run_name='__main__')\n")
    result = run([sys.executable, "-c", code], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total score: 100/110" in result.stdout
    assert re.search(r"^3 MNIST \.+ not autograded \(run \./grade\.sh m\)$", result.stdout, re.M)
    scores = _scores(result.stdout)
    values = {problem.name: problem.value for problem in runner.PROBLEMS}
    assert set(scores) == set(values)
    assert all(scores[name] == values[name] for name in values if name != "3 MNIST")
    assert scores["3 MNIST"] == 0 and sum(scores.values()) == 100


def test_problem_points_are_the_handouts():
    values = {problem.name: problem.value for problem in runner.PROBLEMS}
    assert values == {"1.1.1 Subtraction": 5, "1.1.2 Multiplication": 5, "1.1.3 Division": 5,
                      "1.2 Autograd": 25, "2.1 Linear": 5, "2.2 ReLU": 10, "2.3 SGD": 10,
                      "2.4 BatchNorm": 10, "2.5 Cross-entropy": 15, "2.6 Momentum": 10,
                      "3 MNIST": 10}
    tests = runner.load_tests()
    for problem in runner.PROBLEMS:
        if problem.tests is not None:
            assert sum(points for _, points in problem.tests) == problem.value, problem.name
            assert all(name in tests for name, _ in problem.tests)


def test_runner_reports_a_wrong_gradient_and_exits_1(monkeypatch):
    original = F.Sub.backward

    def wrong_backward(ctx, grad_output):
        grad_a, grad_b = original(ctx, grad_output)[:2]
        return grad_a, grad_a if grad_a.shape == grad_b.shape else grad_b  # dc/db = +1

    monkeypatch.setattr(F.Sub, "backward", staticmethod(wrong_backward))
    out = io.StringIO()
    with redirect_stdout(out):
        status = runner.main(["1.1.1", "2.1"])
    text = out.getvalue()
    assert status == 1
    assert re.search(r"^1\.1\.1 Subtraction \.+ 0/5$", text, re.M), text
    assert re.search(r"^2\.1 Linear \.+ 5/5$", text, re.M), text
    assert "FAILED test_sub (-5 points)" in text
    assert "Sub.backward, gradient of b: differs by up to" in text
    assert "Total score: 5/10" in text
    assert _scores(text) == {"1.1.1 Subtraction": 0, "2.1 Linear": 5}


def test_runner_reports_a_crash_with_its_location(monkeypatch):
    def broken_forward(ctx, a, b):
        raise RuntimeError("Mul is broken")

    monkeypatch.setattr(F.Mul, "forward", staticmethod(broken_forward))
    out = io.StringIO()
    with redirect_stdout(out):
        status = runner.main(["1.1.2"])
    assert status == 1
    assert "RuntimeError: Mul is broken" in out.getvalue()
    assert "in broken_forward" in out.getvalue()  # the traceback's last frames


def test_runner_bad_problem_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        runner.main(["9.9"])
    assert exit_info.value.code == 2
    assert "unknown problem 9.9" in capsys.readouterr().err


# ---------------------------------------------------------------- autograder helpers

def test_assert_close_says_where_and_by_how_much():
    helpers.assert_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], "ok")
    with pytest.raises(AssertionError, match=r"x: differs by up to 0\.5; worst at index \(1\)"):
        helpers.assert_close(np.array([1.0, 2.5]), [1.0, 2.0], "x")
    with pytest.raises(AssertionError, match=r"x: shape \(2,\), expected \(3,\)"):
        helpers.assert_close(np.zeros(2), np.zeros(3), "x")
    with pytest.raises(AssertionError, match="got None"):
        helpers.assert_close(None, np.zeros(3), "x")


def test_numerical_grads_and_sum_to_shape():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    b = np.array([0.25, 4.0])
    grad_a, grad_b = helpers.numerical_grads(lambda: np.sum(a * a * b), [a, b])
    np.testing.assert_allclose(grad_a, 2 * a * b, rtol=1e-7)
    np.testing.assert_allclose(grad_b, (a * a).sum(axis=0), rtol=1e-7)
    assert helpers.sum_to_shape(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0]] * 3
    assert helpers.sum_to_shape(np.ones((2, 3)), ()) == 6.0


def test_reference_agrees_with_torch():
    """The autograder's NumPy reference (not MyTorch) against PyTorch, as a third opinion."""
    torch = pytest.importorskip("torch")
    from autograder.hw1_autograder.test_mlp import ReferenceMLP, reference_cross_entropy

    np.random.seed(0)
    model = Sequential(Linear(6, 5), BatchNorm1d(5), ReLU(), Linear(5, 4))
    reference = ReferenceMLP(model)
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((8, 6)), rng.integers(0, 4, 8)

    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                              torch.nn.Linear(5, 4)).double()
    with torch.no_grad():
        for index in (0, 3):
            net[index].weight.copy_(torch.from_numpy(model[index].weight.data))
            net[index].bias.copy_(torch.from_numpy(model[index].bias.data))
    x_torch = torch.tensor(x, requires_grad=True)
    loss_torch = torch.nn.functional.cross_entropy(net(x_torch), torch.from_numpy(labels))
    loss_torch.backward()

    out, caches = reference.forward(x, training=True)
    loss, grad_out = reference_cross_entropy(out, labels)
    grad_x, grads = reference.backward(caches, grad_out)
    reference.update_running_stats(caches)
    np.testing.assert_allclose(loss, loss_torch.item(), rtol=1e-10)
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), rtol=1e-8, atol=1e-12)
    torch_grads = [net[0].weight.grad, net[0].bias.grad, net[1].weight.grad, net[1].bias.grad,
                   net[3].weight.grad, net[3].bias.grad]
    for grad, expected in zip(grads, torch_grads):
        np.testing.assert_allclose(grad, expected.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(reference.layers[1].running_mean, net[1].running_mean.numpy())
    np.testing.assert_allclose(reference.layers[1].running_var, net[1].running_var.numpy())


# ---------------------------------------------------------------- grade.sh, tarball

@pytest.mark.parametrize("args", [[], ["x"], ["4"], ["mnist"]])
def test_grade_sh_bad_argument_prints_usage(args):
    result = run(["bash", str(REPO / "grade.sh"), *args])
    assert result.returncode != 0
    assert "usage: ./grade.sh 1" in result.stderr


def test_grade_sh_1_runs_the_autograder():
    result = run(["bash", str(REPO / "grade.sh"), "1", "1.2"], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total score: 25/25" in result.stdout


@needs_shared_data
def test_grade_sh_m_trains_and_forwards_options(tmp_path):
    plot = tmp_path / "plot.png"
    result = run(["bash", str(REPO / "grade.sh"), "m", "--dataset", "mnist-10k", "--epochs", "1",
                  "--plot", str(plot)], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "after 1 epoch(s) (80 batches)" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_create_tarball_packs_code_and_plot_only(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy2(REPO / "create_tarball.sh", tree)
    for folder in ("mytorch", "hw1"):
        shutil.copytree(REPO / folder, tree / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    # Things that must stay out, and the plot, which must go in.
    (tree / "hw1" / "__pycache__").mkdir()
    (tree / "hw1" / "__pycache__" / "mnist.cpython-311.pyc").write_bytes(b"x")
    (tree / "hw1" / "train_data.npy").write_bytes(b"x")
    (tree / "mytorch" / "t10k-images-idx3-ubyte.gz").write_bytes(b"x")
    (tree / "hw1" / "validation_accuracy.png").write_bytes(b"png")
    (tree / "hw1" / "training_loss.png").write_bytes(b"png")  # any other plot stays out
    (tree / "README.md").write_text("not part of the submission")

    result = run(["bash", "create_tarball.sh"], cwd=tree)
    assert result.returncode == 0, result.stderr
    with tarfile.open(tree / "handin.tar") as archive:
        files = {member.name for member in archive.getmembers() if member.isfile()}
    expected = {str(path.relative_to(tree)) for folder in ("mytorch", "hw1")
                for path in (tree / folder).rglob("*") if path.is_file()
                and "__pycache__" not in path.parts and path.suffix not in (".npy", ".gz", ".png")}
    assert files == expected | {"hw1/validation_accuracy.png"}
    assert "hw1/mnist.py" in files and "hw1/training_loss.png" not in files
    assert sorted(p.name for p in tree.iterdir()) == [
        "README.md", "create_tarball.sh", "handin.tar", "hw1", "mytorch"]  # no temporary file
    assert f"packed {len(files)} files into handin.tar" in result.stdout

    # An output path, relative to where the script is run from.
    (tmp_path / "out").mkdir()
    result = run(["bash", str(tree / "create_tarball.sh"), "out/submission.tar"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tarfile.is_tarfile(tmp_path / "out" / "submission.tar")

    # The later homeworks' folders go in when they exist.
    shutil.copytree(REPO / "hw2", tree / "hw2", ignore=shutil.ignore_patterns("__pycache__"))
    result = run(["bash", "create_tarball.sh"], cwd=tree)
    assert result.returncode == 0, result.stderr
    with tarfile.open(tree / "handin.tar") as archive:
        names = archive.getnames()
    assert "hw2/hw2.py" in names and "hw2/mlp_scan.py" in names and "hw1/mnist.py" in names


def test_create_tarball_takes_a_folder_and_explains_bad_arguments(tmp_path):
    script = str(REPO / "create_tarball.sh")
    (tmp_path / "out").mkdir()
    result = run(["bash", script, "out"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tarfile.is_tarfile(tmp_path / "out" / "handin.tar")
    assert f"into {tmp_path / 'out' / 'handin.tar'}" in result.stdout

    help_text = run(["bash", script, "--help"], cwd=tmp_path)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: ./create_tarball.sh")
    for args, status, message in [
            (["missing/handin.tar"], 1, f"the folder {tmp_path / 'missing'} does not exist"),
            (["-o"], 2, "unknown option '-o'"),
            (["a.tar", "b.tar"], 2, "expected at most one argument, got 2")]:
        result = run(["bash", script, *args], cwd=tmp_path)
        assert result.returncode == status and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_create_tarball_interrupted_leaves_the_old_archive_alone(tmp_path):
    tree = tmp_path / "tree"
    for folder in ("mytorch", "hw1"):
        (tree / folder).mkdir(parents=True)
        (tree / folder / "x.py").write_text("")
    shutil.copy2(REPO / "create_tarball.sh", tree)
    (tree / "handin.tar").write_bytes(b"the previous submission")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "tar").write_text('#!/bin/sh\nprintf truncated > "$2"\nexit 2\n')  # tar -cf FILE
    (fake / "tar").chmod(0o755)

    result = run(["bash", "create_tarball.sh"], cwd=tree,
                 env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert result.returncode != 0
    assert (tree / "handin.tar").read_bytes() == b"the previous submission"
    assert sorted(p.name for p in tree.iterdir()) == ["create_tarball.sh", "handin.tar",
                                                      "hw1", "mytorch"]


# ---------------------------------------------------------------------- sandbox

def test_sandbox_runs_the_writeup_example():
    result = run([sys.executable, str(REPO / "sandbox.py")], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"a\.grad\s+= 3\.\s+expected 3\.\s+ok", out)
    assert re.search(r"b\.grad\s+= None\s+expected None\s+ok", out)
    assert re.search(r"c\.grad\s+= 1\.\s+expected 1\.\s+ok", out)
    for node in ("AccumulateGrad", "BackwardFunction(Add)", "BackwardFunction(Mul)",
                 "constant (no node)"):
        assert node in out
    assert "MISMATCH" not in out and "all gradients as expected" in out


# --------------------------------------------------------------- hw1/mnist.py API

def _synthetic(count: int, seed: int = 0):
    """Images whose first pixel encodes the row (to follow the shuffles) and labels."""
    rng = np.random.default_rng(seed)
    x = rng.random((count, 784))
    x[:, 0] = np.arange(count) / 1000
    return x, np.arange(count) % 10


class Recorder(Module):
    """Wraps a model and records, per call, what the contract is about."""

    def __init__(self, inner: Module, calls: list) -> None:
        super().__init__()
        self.inner = inner
        self.calls = calls

    def forward(self, x):
        self.calls.append({"rows": np.rint(x.data[:, 0] * 1000).astype(int),
                           "x_requires_grad": x.requires_grad, "grad": is_grad_enabled(),
                           "train": self.is_train and self.inner.is_train})
        return self.inner(x)


def test_train_shuffles_validates_and_never_differentiates_the_data():
    train_x, train_y = _synthetic(40)
    val_x, val_y = _synthetic(30, seed=1)
    calls, targets = [], []

    class Criterion(CrossEntropyLoss):
        def forward(self, predicted, target):
            targets.append(target.requires_grad if isinstance(target, Tensor) else False)
            return super().forward(predicted, target)

    np.random.seed(0)
    model = Recorder(Sequential(Linear(784, 8), BatchNorm1d(8), ReLU(), Linear(8, 10)), calls)
    accuracies = hw1_mnist.train(model, SGD(model.parameters(), lr=0.1), Criterion(),
                                 train_x, train_y, val_x, val_y, batch_size=10, num_epochs=2,
                                 validate_every=3, rng=np.random.default_rng(0))
    # 8 batches: validation after batches 3 and 6, and after the last one.
    assert hw1_mnist.validation_steps(8, 3) == [3, 6, 8]
    assert len(accuracies) == 3 and all(0.0 <= acc <= 1.0 for acc in accuracies)
    training = [call for call in calls if call["train"]]
    validation = [call for call in calls if not call["train"]]
    assert len(training) == 8 and len(validation) == 3  # one validation batch of 30 each
    assert not any(call["x_requires_grad"] for call in calls) and not any(targets)
    assert all(call["grad"] for call in training) and not any(call["grad"] for call in validation)
    epoch_1 = np.concatenate([call["rows"] for call in training[:4]])
    epoch_2 = np.concatenate([call["rows"] for call in training[4:]])
    assert sorted(epoch_1) == sorted(epoch_2) == list(range(40))  # every sample, once
    assert list(epoch_1) != list(range(40)) and list(epoch_1) != list(epoch_2)  # shuffled
    assert model.is_train  # left in training mode


class Oracle(Module):
    """Logits that pick the class encoded in the first ten pixels."""

    def forward(self, x):
        return x[:, :10] * 1.0


def test_validate_returns_accuracy_in_eval_mode_and_changes_nothing():
    val_x = np.zeros((40, 784))
    val_y = np.arange(40) % 10
    predicted = val_y.copy()
    predicted[:10] = (predicted[:10] + 1) % 10  # the first 10 are wrong
    val_x[np.arange(40), predicted] = 1.0
    assert hw1_mnist.validate(Oracle(), val_x, val_y) == 0.75
    assert hw1_mnist.validate(Oracle(), val_x, val_y, batch_size=7) == 0.75

    np.random.seed(0)
    model = Sequential(Linear(784, 8), BatchNorm1d(8), ReLU(), Linear(8, 10))
    before = [param.data.copy() for param in model.parameters()]
    stats = (model[1].running_mean.data.copy(), model[1].running_var.data.copy())
    accuracy = hw1_mnist.validate(model, *_synthetic(50))
    assert 0.0 <= accuracy <= 1.0
    assert model.is_train and all(layer.is_train for layer in model)
    assert all(param.grad is None for param in model.parameters())
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    assert np.array_equal(stats[0], model[1].running_mean.data)
    assert np.array_equal(stats[1], model[1].running_var.data)
    model.eval()
    hw1_mnist.validate(model, *_synthetic(50))
    assert not model.is_train  # the mode it was in


def test_mnist_builds_the_handout_network(monkeypatch):
    seen = {}

    def fake_train(model, optimizer, criterion, *data, **kwargs):
        seen.update(model=model, optimizer=optimizer, criterion=criterion, data=data, **kwargs)
        return [0.5]

    monkeypatch.setattr(hw1_mnist, "train", fake_train)
    x, y = _synthetic(20)
    assert hw1_mnist.mnist(x, y, x, y) == [0.5]
    model = seen["model"]
    assert [type(layer) for layer in model] == [Linear, BatchNorm1d, ReLU, Linear]
    assert model[0].weight.shape == (20, 784) and model[3].weight.shape == (10, 20)
    assert model[1].gamma.shape == (20,)
    assert isinstance(seen["criterion"], CrossEntropyLoss)
    assert isinstance(seen["optimizer"], SGD) and seen["optimizer"].lr == 0.1
    assert {id(p) for p in seen["optimizer"].params} == {id(p) for p in model.parameters()}
    assert seen["batch_size"] == 100 and seen["num_epochs"] == 3


def test_train_rejects_batch_size_1_before_training():
    x, y = _synthetic(20)
    calls = []
    model = Recorder(Sequential(Linear(784, 4), BatchNorm1d(4), ReLU(), Linear(4, 10)), calls)
    with pytest.raises(ValueError, match=r"batch_size must be at least 2.*got 1"):
        hw1_mnist.train(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss(),
                        x, y, x, y, batch_size=1)
    assert calls == []  # nothing ran
    with pytest.raises(ValueError, match="at least 2"):
        hw1_mnist.num_batches(10, 1)
    # A trailing one-sample batch is dropped: 21 samples make 2 batches of 10.
    assert hw1_mnist.num_batches(21, 10) == 2 and hw1_mnist.num_batches(22, 10) == 3


def test_train_and_prepare_reject_bad_input():
    x, y = _synthetic(20)
    model = Sequential(Linear(784, 10))
    optimizer, criterion = SGD(model.parameters(), lr=0.1), CrossEntropyLoss()
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        hw1_mnist.train(model, optimizer, criterion, x, y, x, y, batch_size=0)
    with pytest.raises(ValueError, match=r"train_x must be an array of shape \(N, 784\)"):
        hw1_mnist.train(model, optimizer, criterion, x[:, :100], y, x, y)
    with pytest.raises(ValueError, match="val_y must be integer labels"):
        hw1_mnist.train(model, optimizer, criterion, x, y, x, y.astype(float))
    with pytest.raises(ValueError, match="784 pixels"):
        prepare(np.zeros((3, 10, 10), np.uint8), np.zeros(3, np.uint8))
    images, labels = prepare(np.full((2, 28, 28), 255, np.uint8),
                                       np.array([3, 4], np.uint8))
    assert images.shape == (2, 784) and images.dtype == np.float64 and images.max() == 1.0
    assert labels.dtype == np.int64 and labels.tolist() == [3, 4]
    assert hw1_mnist.validation_steps(240) == [100, 200, 240]
    assert hw1_mnist.validation_steps(200) == [100, 200]
    assert hw1_mnist.num_batches(101, 100) == 1  # a last batch of one sample is dropped


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((0, 784)), np.zeros(0, np.int64), r"at least one image, got .* shape \(0, 784\)"),
    (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), "at least one image"),
    (np.zeros((3, 784)), np.zeros(2, np.int64), "3 images but 2 labels"),
    (np.zeros((3, 784)), np.array([1, 10, 12]), r"label 10 at index 1 is outside 0\.\.9 \(2 such"),
    (np.zeros((3, 784)), np.array([1, 2, -1]), r"label -1 at index 2 is outside 0\.\.9"),
    (np.zeros((3, 784)), np.array([1.0, 2.0, 11.0]), "label 11 at index 2"),
])
def test_prepare_names_the_problem(images, labels, message):
    with pytest.raises(ValueError, match=message):
        prepare(images, labels)


def test_test_mnist_rejects_out_of_range_npy_labels(tmp_path, capsys):
    for name, array in zip(mnist_script.NPY_FILES, (np.zeros((4, 784)), np.array([0, 1, 2, 10]),
                                                    np.zeros((2, 784)), np.array([0, 1]))):
        np.save(tmp_path / name, array)
    assert mnist_script.main(["--npy", str(tmp_path), "--plot", str(tmp_path / "p.png")]) == 1
    assert "label 10 at index 3 is outside 0..9" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_run_validation_steps_is_the_plots_x_axis():
    assert hw1_mnist.run_validation_steps(8000) == [100, 200, 240]  # 80 batches x 3 epochs
    assert hw1_mnist.run_validation_steps(201, 100, 1, 1) == [1, 2]  # the 1-sample batch dropped
    assert hw1_mnist.run_validation_steps(1000, 10, 2, 30) == [30, 60, 90, 120, 150, 180, 200]


@needs_shared_data
def test_one_epoch_on_a_small_slice_learns():
    train_x, train_y, val_x, val_y = cli.load_data("mnist-10k", SHARED_DATA / "mnist-10k")[:4]
    assert train_x.shape == (8000, 784) and val_x.shape == (2000, 784)
    assert train_x.dtype == np.float64 and 0.0 <= train_x.min() and train_x.max() <= 1.0
    assert train_y.dtype == np.int64
    np.random.seed(0)
    accuracies = hw1_mnist.mnist(train_x[:2000], train_y[:2000], val_x, val_y, num_epochs=1)
    assert len(accuracies) == 1  # 20 batches: validated after the last one
    # Chance is 0.1. From the starter code's small initial weights, seeds 0-5 reached
    # 0.51 to 0.59 after these 20 batches.
    assert accuracies[0] > 0.45


# ------------------------------------------------------------ command lines

@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
    (["--lr", "-0.1"], "--lr must be a finite number > 0, got -0.1"),
    (["--dataset", "cifar"], "invalid choice"),
    (["--dtype", "half"], "invalid choice"),
    (["--plot", "plot.txt"], "--plot must end in .png, .pdf, .svg, got 'plot.txt'"),
])
def test_mnist_cli_rejects_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        hw1_mnist.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_mnist_cli_prints_the_batch_size_error_of_train(tmp_path, capsys, monkeypatch):
    # The CLI has no check of its own: train's ValueError is printed, before any training.
    x, y = _synthetic(20)
    monkeypatch.setattr(cli, "load", lambda args: cli.Data(x, y, x, y, "toy", "validation", "-"))
    status = hw1_mnist.main(["--batch-size", "1", "--plot", str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: batch_size must be at least 2") and "got 1" in err
    assert "Traceback" not in err and not (tmp_path / "p.png").exists()


def test_mnist_cli_reports_missing_data(tmp_path, capsys):
    status = hw1_mnist.main(["--data", str(tmp_path), "--dataset", "mnist-10k",
                             "--plot", str(tmp_path / "p.png")])
    assert status == 1
    err = capsys.readouterr().err
    assert "could not load 'mnist-10k'" in err and "missing" in err
    assert not (tmp_path / "p.png").exists()


@needs_shared_data
def test_mnist_cli_one_epoch(tmp_path):
    plot = tmp_path / "acc.png"
    result = run([sys.executable, "-m", "hw1.mnist", "--epochs", "1", "--dataset", "mnist-10k",
                  "--plot", str(plot)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8000 training, 2000 validation images" in result.stdout
    assert re.search(r"final validation accuracy: 0\.\d{4} after 1 epoch", result.stdout)
    assert re.search(r"time: \d+\.\d\d s training", result.stdout)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_shared_data
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mnist_cli_dtype_reaches_the_network_and_the_data(dtype, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MYTORCH_DATA", str(SHARED_DATA))
    seen = {}

    def fake_train(model, optimizer, criterion, train_x, *data, **kwargs):
        seen.update(weight=model[0].weight.dtype, gamma=model[1].gamma.dtype, data=train_x.dtype)
        return [0.25, 0.5, 0.5]  # validated after batches 100, 200 and 240

    monkeypatch.setattr(hw1_mnist, "train", fake_train)
    plotted = {}
    monkeypatch.setattr(hw1_mnist, "save_line_plot",
                        lambda path, x, y, **labels: plotted.update(labels, x=list(x)) or path)
    assert hw1_mnist.main(["--dataset", "mnist-10k", "--dtype", dtype,
                           "--plot", str(tmp_path / "p.png")]) == 0
    assert seen == {"weight": np.dtype(dtype), "gamma": np.dtype(dtype), "data": np.dtype(dtype)}
    # The title names the data set and the epoch count; the accuracy axis gets its floor.
    assert plotted["title"] == f"mnist-10k, 3 epoch(s): batch 100, SGD lr 0.1, {dtype}, seed 11785"
    assert plotted["accuracy"] and plotted["ylabel"] == "validation accuracy"
    assert plotted["x"] == [100, 200, 240]
    assert mytorch.get_default_dtype() == np.float64  # restored after the run
    assert "final validation accuracy: 0.5000" in capsys.readouterr().out


@needs_shared_data
def test_handout_settings_reach_the_accuracy_floor_on_mnist_10k(tmp_path):
    """3 epochs, batch 100, lr 0.1, seeded: validation accuracy >= 0.88 (NumPy: ~0.90)."""
    result = run([sys.executable, str(REPO / "autograder/hw1_autograder/test_mnist.py"),
                  "--plot", str(tmp_path / "plot.png")], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mnist-10k from" in result.stdout  # found through MYTORCH_DATA
    final = float(re.search(r"final validation accuracy (\d\.\d+)", result.stdout).group(1))
    assert final >= 0.88


@needs_shared_data
def test_handout_settings_reach_the_accuracy_floor_on_fashion_mnist(tmp_path):
    """Full Fashion-MNIST (60,000 / 10,000), 3 epochs, seeded: test accuracy >= 0.82 (NumPy: ~0.84)."""
    result = run([sys.executable, str(REPO / "autograder/hw1_autograder/test_mnist.py"),
                  "--dataset", "fashion-mnist", "--plot", str(tmp_path / "plot.png")], cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "60000 training, 10000 test images" in result.stdout
    final = float(re.search(r"final test accuracy (\d\.\d+)", result.stdout).group(1))
    assert final >= 0.82


@pytest.mark.parametrize("value, message", [
    ("nan", "--min-accuracy must be a number in [0, 1], got nan"),
    ("-0.1", "--min-accuracy must be a number in [0, 1], got -0.1"),
    ("1.01", "--min-accuracy must be a number in [0, 1], got 1.01"),
    ("inf", "--min-accuracy must be a number in [0, 1], got inf"),
    ("high", "argument --min-accuracy: invalid float value: 'high'"),
])
def test_test_mnist_rejects_a_min_accuracy_outside_0_1(value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        mnist_script.main(["--min-accuracy", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_test_mnist_accepts_the_handout_npy_layout(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1200)
    images = rng.integers(0, 40, (1200, 28, 28)).astype(np.uint8)
    images[np.arange(1200), labels, :] = 255  # learnable: the label's row lights up
    np.save(tmp_path / "train_data.npy", images[:1000].reshape(1000, 784) / 255.0)  # floats
    np.save(tmp_path / "train_labels.npy", labels[:1000])
    np.save(tmp_path / "val_data.npy", images[1000:])  # uint8 (N, 28, 28)
    np.save(tmp_path / "val_labels.npy", labels[1000:].astype(np.float64))
    plot = tmp_path / "plot.png"

    status = mnist_script.main(["--npy", str(tmp_path), "--plot", str(plot),
                                "--min-accuracy", "0.5"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"npy from {tmp_path}: 1000 training, 200 validation images" in out
    assert plot.is_file()
    # A floor the run does not reach fails.
    monkeypatch.setattr(mnist_script, "mnist", lambda *data: [0.9])  # 30 batches: validated once
    assert mnist_script.main(["--npy", str(tmp_path), "--plot", str(plot),
                              "--min-accuracy", "0.95"]) == 1
    assert "final validation accuracy 0.9000 (floor 0.95)" in capsys.readouterr().out
    # A folder without the files is an error, not a silent fallback.
    assert mnist_script.main(["--npy", str(tmp_path / "nothing")]) == 1
    assert "lacks some of train_data.npy" in capsys.readouterr().err
