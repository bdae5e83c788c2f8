"""mytorch.cli, the command-line programs' one helper, and mytorch.plots, through a tiny
example program (tests/example_mlp.py) on the shared harness `train_classifier`."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import mytorch
from mytorch import cli, nn, plots
from mytorch.data import DATASETS
from conftest import DATA as SHARED_DATA, needs_data

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "tests" / "example_mlp.py"
needs_shared_data = needs_data("mnist-10k")

sys.path.insert(0, str(EXAMPLE.parent))
import example_mlp  # noqa: E402


def run_example(args, **env):
    return subprocess.run([sys.executable, str(EXAMPLE), *args], cwd="/", capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, MYTORCH_DATA=str(SHARED_DATA), **env))


def _final(stdout):
    return float(re.search(r"final \w+ accuracy: (\d\.\d{4})", stdout).group(1))


# ------------------------------------------------------------ the harness, end to end

@needs_shared_data
def test_the_example_reaches_its_seeded_accuracy_floor_and_saves_the_plot(tmp_path):
    """One epoch of a 784-64-10 MLP with Adam(0.01), batch 100, float32: measured 0.9140
    with the default seed, 0.8985 to 0.9190 over seeds 0-9."""
    plot = tmp_path / "curves.png"
    result = run_example(["--dataset", "mnist-10k", "--plot", str(plot)])
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "mnist-10k from" in out and "8000 training, 2000 validation images" in out
    assert re.search(r"final validation accuracy: 0\.\d{4} after 1 epoch\(s\) on mnist-10k", out)
    assert _final(out) >= 0.89
    assert re.search(r"^time: \d+\.\d\d s training, \d+\.\d\d s loading data$", out, re.M)
    # Results first, then the artifact.
    assert out.index("final validation accuracy") < out.index(f"saved plot: {plot}")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file

    again = run_example(["--dataset", "mnist-10k", "--plot", str(plot)])
    assert _final(again.stdout) == _final(out)  # seeded: the same run twice
    other = run_example(["--dataset", "mnist-10k", "--plot", str(plot), "--seed", "4"])
    assert _final(other.stdout) != _final(out)


@needs_shared_data
def test_the_compile_option_trains_the_same_model_in_a_fresh_process(tmp_path):
    """`--compile` from a shell: the first compiled step loads SciPy's BLAS inside the
    trace (which once crashed every program's --compile); the run reaches eager's accuracy
    to the last printed digit."""
    results = [run_example(["--dataset", "mnist-10k", "--plot", str(tmp_path / f"{index}.png"), *extra])
               for index, extra in enumerate(([], ["--compile"]))]
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    assert _final(results[0].stdout) == _final(results[1].stdout)


@needs_shared_data
def test_fashion_mnist_is_labelled_with_its_test_split(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MYTORCH_DATA", str(SHARED_DATA))
    seen = {}
    monkeypatch.setattr(cli, "save_training_curves",
                        lambda path, *curves, **labels: seen.update(labels) or Path(path))
    status = example_mlp.main(["--dataset", "fashion-mnist", "--batch-size", "500",
                               "--plot", str(tmp_path / "f.png")])
    out = capsys.readouterr().out
    assert status == 0
    assert "60000 training, 10000 test images" in out
    assert "final test accuracy: " in out and "validation" not in out
    assert _final(out) > 0.8  # chance is 0.1; one epoch of batches of 500 measured 0.8375
    assert seen["held_out"] == "test"
    assert seen["title"].startswith("fashion-mnist, 1 epoch(s)")


@needs_shared_data
def test_dtype_reaches_the_model_and_the_data_and_is_restored(tmp_path, monkeypatch):
    monkeypatch.setenv("MYTORCH_DATA", str(SHARED_DATA))
    built, inputs = [], []

    def build_model():
        built.append(mytorch.get_default_dtype())
        model = nn.Sequential(nn.Linear(784, 10))
        original = model.forward
        model.forward = lambda x: inputs.append(x.dtype) or original(x)
        return model

    def run(dtype):
        built.clear(), inputs.clear()
        args = ["--dataset", "mnist-10k", "--plot", str(tmp_path / "p.png")]
        status = cli.train_classifier(args + ([] if dtype is None else ["--dtype", dtype]),
                                      description="d", build_model=build_model, epochs=1,
                                      plot="x.png")
        assert status == 0
        return built[0], set(inputs)

    assert run(None) == (np.float32, {np.dtype(np.float32)})  # the harness's default
    assert run("float64") == (np.float64, {np.dtype(np.float64)})
    assert mytorch.get_default_dtype() == np.float64  # left as it was


def test_prepare_maps_the_images_to_the_models_layout(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    data = cli.Data(rng.random((50, 784)), rng.integers(0, 10, 50), rng.random((20, 784)),
                    rng.integers(0, 10, 20), name="toy", held_out="validation", source="memory")
    monkeypatch.setattr(cli, "load", lambda args: data)
    shapes = []

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(784, 10)

        def forward(self, x):
            shapes.append(x.shape[1:])
            return self.linear(x.reshape(x.shape[0], 784))

    status = cli.train_classifier(["--batch-size", "10", "--plot", str(tmp_path / "p.svg")],
                                  description="d", build_model=Model, epochs=2,
                                  prepare=lambda x: x.reshape(-1, 1, 28, 28), plot="x.png")
    assert status == 0 and set(shapes) == {(1, 28, 28)}
    assert (tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")


def test_build_model_must_return_a_module(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "load", lambda args: cli.Data(
        np.zeros((4, 784)), np.zeros(4, np.int64), np.zeros((2, 784)), np.zeros(2, np.int64),
        "toy", "validation", "memory"))
    status = cli.train_classifier(["--plot", str(tmp_path / "p.png")], description="d",
                                  build_model=lambda: "a model", plot="x.png")
    assert status == 1
    assert "error: build_model must return a Module, got str" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


# ------------------------------------------------------------ options, checked up front

@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], r"--seed must be an integer in \[0, 4294967295\], got -1"),
    (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["--threads", "0"], "--threads must be a positive integer, got 0"),
    (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["--batch-size", "-5"], "--batch-size must be a positive integer, got -5"),
    (["--lr", "0"], r"--lr must be a finite number > 0, got 0\.0"),
    (["--lr", "nan"], r"--lr must be a finite number > 0, got nan"),
    (["--lr", "inf"], r"--lr must be a finite number > 0, got inf"),
    (["--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
    (["--dataset", "cifar"], "argument --dataset: invalid choice: 'cifar'"),
    (["--plot", "out.jpeg"], r"--plot must end in \.png, \.pdf, \.svg, got 'out\.jpeg'"),
    (["--plot", "/"], r"--plot must end in"),
    (["--plot", "/etc/passwd/p.png"], r"--plot: cannot write .*'/etc/passwd' is not a writable"),
])
def test_bad_options_are_usage_errors_before_any_work(args, message, capsys, monkeypatch):
    monkeypatch.setattr(cli, "load", lambda args: pytest.fail("loaded data despite bad options"))
    with pytest.raises(SystemExit) as exit_info:
        example_mlp.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "usage:" in err and "Traceback" not in err


def test_a_folder_is_not_a_plot_path(tmp_path, capsys):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(SystemExit):
        example_mlp.main(["--plot", str(tmp_path / "dir.png")])
    assert "--plot must be a file, got the folder" in capsys.readouterr().err


def test_a_plot_in_a_folder_still_to_be_made_is_accepted(tmp_path):
    parser = cli.make_parser("p", "d", plot="x.png")
    args = cli.parse_args(parser, ["--plot", str(tmp_path / "a" / "b" / "p.pdf")])
    assert args.plot == tmp_path / "a" / "b" / "p.pdf" and not (tmp_path / "a").exists()
    assert args.seed == cli.DEFAULT_SEED and args.threads == 1 and args.dtype == "float64"
    assert not hasattr(args, "epochs")  # no training options unless defaults are given


# ------------------------------------------------------------ data and failures

def test_an_offline_first_run_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    monkeypatch.setitem(DATASETS, "mnist", dict(DATASETS["mnist"], mirrors=(dead,)))
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "cache"))
    status = example_mlp.main(["--dataset", "mnist", "--plot", str(tmp_path / "p.png")])
    sock.close()
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("error: could not load 'mnist': ")
    assert "train-images-idx3-ubyte.gz" in err and "refused" in err.lower()
    # The two ways to use files you have, each said as what it is.
    assert err.rstrip().endswith("(to use files you have: --data DIR, the folder holding the "
                                 "four files, or MYTORCH_DATA=DIR, the folder holding data-set "
                                 "folders such as mnist/)")
    assert not (tmp_path / "p.png").exists() and not (tmp_path / "cache").exists()


def _data_root(tmp_path):
    """A folder of data-set folders: mnist-10k/ holds the four files."""
    (tmp_path / "data" / "mnist-10k").mkdir(parents=True)
    for name in mytorch.data.FILES:
        (tmp_path / "data" / "mnist-10k" / name).write_bytes(b"")
    (tmp_path / "data" / "README.md").write_text("data sets")
    return tmp_path / "data"


@pytest.mark.parametrize("mistake", ["--data README.md", "--data one level too high",
                                     "MYTORCH_DATA one level too deep"])
def test_data_folder_mistakes_are_one_line_errors_that_name_the_right_folder(
        tmp_path, monkeypatch, capsys, mistake):
    root = _data_root(tmp_path)
    before = sorted(root.rglob("*"))
    unreachable = ("http://127.0.0.1:9/",)
    monkeypatch.setitem(DATASETS, "mnist", dict(DATASETS["mnist"], mirrors=unreachable))
    monkeypatch.setenv("MYTORCH_DATA", str(root))
    args, expected = {
        "--data README.md": (["--data", str(root / "README.md")],
                             f"{root / 'README.md'} is a file, not a folder"),
        "--data one level too high": (["--data", str(root)],
                                      f"{root} holds data-set folders (mnist-10k/)"),
        "MYTORCH_DATA one level too deep": ([], f"set it to {root}, or name {root / 'mnist-10k'} "
                                                "as the data folder"),
    }[mistake]
    if mistake.startswith("MYTORCH_DATA"):
        monkeypatch.setenv("MYTORCH_DATA", str(root / "mnist-10k"))
    status = example_mlp.main(args + ["--plot", str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and err.startswith("error: could not load 'mnist'")
    assert expected in err and "Errno" not in err
    assert sorted(root.rglob("*")) == before  # no download began, no folder was made


def test_missing_local_files_name_the_folder(tmp_path):
    with pytest.raises(cli.Failure, match=r"could not load 'mnist-10k': mnist-10k: missing .* in "
                                          + re.escape(str(tmp_path))) as info:
        cli.load_data("mnist-10k", tmp_path)
    assert "--data DIR" not in str(info.value)  # the caller named the folder already


def test_default_dataset_is_mnist_10k_when_its_files_are_found(tmp_path, monkeypatch):
    (tmp_path / "mnist-10k").mkdir()
    for name in mytorch.data.FILES:
        (tmp_path / "mnist-10k" / name).write_bytes(b"")
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path))
    assert cli.default_dataset() == "mnist-10k"
    assert cli.default_dataset(tmp_path / "x") == "mnist"  # a folder the caller named
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "empty"))
    assert cli.default_dataset() == "mnist"


@needs_shared_data
def test_load_data_labels_the_splits_honestly():
    data = cli.load_data("mnist-10k", SHARED_DATA / "mnist-10k", np.float32)
    assert data.train_x.shape == (8000, 784) and data.train_x.dtype == np.float32
    assert data.train_y.dtype == np.int64 and data.held_out == "validation"
    assert data.describe().startswith("mnist-10k from ")
    assert {name: info["held_out"] for name, info in DATASETS.items()} == {
        "mnist": "test", "fashion-mnist": "test", "mnist-10k": "validation"}


def test_session_limits_threads_sets_dtype_and_seeds_then_restores():
    args = cli.parse_args(cli.make_parser("p", "d", plot="x.png"),
                          ["--threads", "1", "--dtype", "float32", "--seed", "3"])
    with cli.session(args):
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        assert mytorch.get_default_dtype() == np.float32
        draw = np.random.random()
    np.random.seed(3)
    assert draw == np.random.random()
    assert mytorch.get_default_dtype() == np.float64


# ------------------------------------------------------------ plots

def test_accuracy_axes_start_at_a_floor_below_the_lowest_accuracy():
    assert plots.accuracy_floor([0.912, 0.93]) == 0.8
    assert plots.accuracy_floor([0.95]) == 0.9
    assert plots.accuracy_floor([0.3, 0.9]) == 0.2
    assert plots.accuracy_floor([0.02]) == 0.0


def test_plots_are_saved_atomically_without_touching_pyplot(tmp_path, monkeypatch):
    import matplotlib
    from matplotlib.figure import Figure

    def no_global_backend(*args, **kwargs):
        raise AssertionError("matplotlib.use changes the backend for the whole process")

    monkeypatch.setattr(matplotlib, "use", no_global_backend)
    path = plots.save_training_curves(tmp_path / "sub" / "c.png", [1, 2], [0.5, 0.3], [0.4, 0.35],
                                      [0.9, 0.92], held_out="test", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["c.png"]

    def interrupted(self, fname, **kwargs):
        fname.write(b"\x89PNG trunc")
        raise KeyboardInterrupt

    before = path.read_bytes()
    monkeypatch.setattr(Figure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plots.save_line_plot(path, [1], [1], xlabel="x", ylabel="y", title="t")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["c.png"]
