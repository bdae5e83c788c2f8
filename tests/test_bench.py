"""bench/run.py times the same computation in every contender: the hand-written NumPy
steps train as MyTorch and PyTorch do, step after step, so the baselines are honest; and
`python3 -m bench` says what it runs and reports min and median for each contender."""
import numpy as np
import pytest

from bench import run, timing
from mytorch import nn, optim


@pytest.mark.parametrize("network", list(run.NETWORKS))
def test_the_hand_written_steps_train_as_mytorch_and_pytorch_do(network):
    sizes, batch_norm = run.NETWORKS[network]
    rng = np.random.default_rng(3)
    params = [p.astype(np.float64) for p in run._init(sizes, rng)]
    # NumPy, MyTorch eager and compiled (where mytorch.compile exists), PyTorch (if installed)
    steppers = [step for step in run.steppers(sizes, batch_norm, params).values() if step is not None]
    for x, labels in run.batches(sizes, 4, rng, np.dtype(np.float64)):
        losses = [step(x, labels) for step in steppers]
        np.testing.assert_allclose(losses, losses[0], rtol=1e-12)


def test_float32_steps_agree_to_float32_precision():
    assert run.largest_loss_difference(*run.NETWORKS["handout"], np.dtype(np.float32)) < 1e-5


def test_the_hand_written_cross_entropy_matches_its_definition():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected_grad = np.exp(log_probs)
    expected_grad[np.arange(5), labels] -= 1
    loss, grad = run.cross_entropy_and_grad(logits.copy(), labels)
    np.testing.assert_allclose(loss, -log_probs[np.arange(5), labels].mean(), rtol=1e-14)
    np.testing.assert_allclose(grad, expected_grad / 5, rtol=1e-13, atol=1e-16)


def test_help_names_the_program_and_what_it_times(capsys):
    with pytest.raises(SystemExit):
        run.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python3 -m bench")
    for word in ("MyTorch", "PyTorch", "NumPy", "handout", "wide", "deep", "cnn", "gru", "median"):
        assert word in out


def test_unknown_network_and_bad_counts_are_rejected(capsys):
    for argv in (["lstm"], ["--repeats", "0"], ["--steps", "-1"]):
        with pytest.raises(SystemExit):
            run.main(argv)
    err = capsys.readouterr().err
    assert "unknown network 'lstm'" in err and "must be positive" in err


def test_a_run_prints_min_and_median_for_every_contender(capsys):
    run.main(["handout", "--repeats", "2", "--steps", "2"])
    out = capsys.readouterr().out
    table = out[out.index("| step |"):].splitlines()
    rows = [line for line in table if line.startswith("| handout")]
    assert [row.split(" | ")[0] for row in rows] == ["| handout 784-20(BatchNorm1d)-10 float64",
                                                      "| handout 784-20(BatchNorm1d)-10 float32"]
    for row in rows:
        cells = row.strip("| ").split(" | ")[1:]
        assert cells[0].endswith(" us") and " / " in cells[0]  # NumPy: min / median time
        assert all(cell.count("x") == 2 and " / " in cell for cell in cells[1:])  # ratios


def test_results_read_as_the_old_dict_of_medians():
    result = timing.Result("step", "us", {"numpy": [1.0, 2.0, 4.0], "mytorch": [2.0, 3.0, 4.0]})
    assert dict(result) == {"numpy_us": 2.0, "mytorch_us": 3.0, "mytorch_ratio": 1.5}
    assert result.ratios("mytorch") == (2.0, 1.5)  # fastest rounds' ratio, median per-round ratio
    assert result.cell("numpy") == "1.0 / 2.0 us" and result.cell("torch") == "-"


def test_every_stepper_is_warmed_up_before_the_timed_rounds(capsys):
    """A compiled step traces on its first calls (twice when the optimizer makes state on
    its first step) and checks its first replay: WARM_UP calls before any round is timed."""
    calls = {"numpy": 0, "compiled": 0}

    def counting(key):
        def step(x, labels):
            calls[key] += 1
            return 0.0
        return step

    result = timing.compare("fake", {key: counting(key) for key in calls}, [(None, None)], 2)
    # and one untimed step at the start of each contender's turn in each timed round
    assert calls == {"numpy": timing.WARM_UP + 2 * 2, "compiled": timing.WARM_UP + 2 * 2}
    assert len(result.times["compiled"]) == 2
    assert "fake: numpy" in capsys.readouterr().out


def test_no_contender_always_follows_the_same_one(capsys):
    """The step after another runs in what that one left in the caches: across the timed
    rounds each contender's turn (an untimed step, then the timed ones) must follow more
    than one other's."""
    sequence = []

    def recording(key):
        def step(x, labels):
            sequence.append(key)
            return 0.0
        return step

    keys = ["numpy", "mytorch", "compiled", "torch"]
    timing.compare("fake", {key: recording(key) for key in keys}, [(None, None)] * 3, 15)
    warm_up = 3 * -(-timing.WARM_UP // 3)  # whole passes over the 3 batches
    rounds = sequence[len(keys) * warm_up:]
    turns = [key for index, key in enumerate(rounds) if index % 4 == 0]  # an untimed step, 3 timed
    assert all(rounds[4 * index:4 * index + 4] == [key] * 4 for index, key in enumerate(turns))
    assert sorted(turns) == sorted(keys * 15)
    for key in keys:
        before = {turns[i - 1] for i in range(1, len(turns)) if turns[i] == key}
        assert len(before - {key}) > 1, f"{key} always follows {before}"


@pytest.mark.parametrize("network", ["cnn", "gru"])
def test_the_cnn_and_gru_have_a_compiled_column_beside_pytorch(network, capsys):
    from bench import cnn, gru
    if network == "cnn":
        result = cnn.measure(1, 1, np.dtype(np.float32), batch=2)
    else:
        result = gru.measure_case(1, np.dtype(np.float64), 1, 1)
    assert {"numpy", "mytorch", "compiled"} <= set(result.times)
    row = timing.table([result]).splitlines()[-1]
    cells = row.strip("| ").split(" | ")
    assert all(cell.count("x") == 2 for cell in cells[2:])  # no "-": every column has a ratio
    if "torch" in result.times:
        assert timing.table([result]).splitlines()[0].endswith("MyTorch compiled / PyTorch eager |")
        assert result.cell("compiled", "torch") == "{:.2f}x / {:.2f}x".format(
            *result.ratios("compiled", "torch"))


@pytest.mark.parametrize("network", ["handout", "deep"])
def test_the_floor_step_computes_what_eager_computes(network):
    """bench/floor.py's bare apply, tape and update drive MyTorch's own ops: from the same
    start its losses, parameters and BatchNorm statistics are eager's, bit for bit."""
    from bench import floor
    sizes, batch_norm = run.NETWORKS[network]
    rng = np.random.default_rng(5)
    params = [p.astype(np.float64) for p in run._init(sizes, rng)]
    floor_model, eager_model = (run.mytorch_model(sizes, batch_norm, params) for _ in range(2))
    floor_step = floor.floor_stepper(floor_model, run.LR)
    eager_step = timing.mytorch_stepper(eager_model, optim.SGD(eager_model.parameters(), lr=run.LR))
    for x, labels in run.batches(sizes, 4, rng, np.dtype(np.float64)):
        assert floor_step(x, labels) == eager_step(x, labels)
    floor_state, eager_state = floor_model.state_dict(), eager_model.state_dict()
    assert list(floor_state) == list(eager_state)
    # num_batches_tracked is the BatchNorm module's count, and the floor has no modules.
    for name in [name for name in eager_state if not name.endswith("num_batches_tracked")]:
        np.testing.assert_array_equal(floor_state[name].data, eager_state[name].data, err_msg=name)


def test_the_floor_benchmark_prints_a_table_and_refuses_bad_arguments(capsys):
    from bench import floor
    floor.main(["handout", "--repeats", "1", "--steps", "1"])
    out = capsys.readouterr().out
    assert out.startswith("batch 100; threads: ") and "1 alternating rounds" in out
    assert "malloc: freed memory retained" in out
    header, rule, *rows = out[out.index("| step |"):].splitlines()
    assert header.startswith("| step | NumPy by hand | floor (bench/floor.py) | MyTorch eager |")
    assert [row.split(" | ")[0] for row in rows] == ["| handout 784-20(BatchNorm1d)-10 float64",
                                                      "| handout 784-20(BatchNorm1d)-10 float32"]
    for argv in (["wide", "gru"], ["--steps", "0"], ["--repeats", "0"]):
        with pytest.raises(SystemExit):
            floor.main(argv)
    err = capsys.readouterr().err
    assert "unknown network 'gru'" in err and err.count("must be positive") == 2
    floor.main(["handout", "--repeats", "1", "--steps", "1", "--system-malloc"])
    assert "malloc: system default" in capsys.readouterr().out
    with pytest.raises(TypeError, match="no floor for a Sigmoid layer"):
        floor.floor_stepper(nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), run.LR)


def test_the_floor_benchmark_says_what_it_measures(capsys):
    from bench import floor
    with pytest.raises(SystemExit):
        floor.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python3 -m bench.floor")
    assert out.count("How fast can an eager step on these ops be?") == 1  # the description, once
    assert "floor / NumPy is what recording a node per op costs" in out  # and the epilog
    assert "It is not a library" in out
