"""optim.lr_scheduler against torch.optim.lr_scheduler: the lr (and momentum) of every
parameter group over many steps, checkpoints, and bad arguments."""
import math

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, optim
from mytorch.optim import lr_scheduler

STEPS = 80


def _groups(lib, tensor):
    """Two parameter groups with their own lr, as lib's optimizer arguments."""
    return [{"params": [tensor(np.ones(3))]}, {"params": [tensor(np.ones(2))], "lr": 0.03}]


def _ours(make_optimizer):
    return make_optimizer(optim, _groups(optim, lambda a: Tensor(a, requires_grad=True)))


def _theirs(torch, make_optimizer):
    return make_optimizer(torch.optim, _groups(torch.optim, lambda a: torch.tensor(a, requires_grad=True)))


def _sgd(lib, groups):
    return lib.SGD(groups, lr=0.1, momentum=0.9)


def _adam(lib, groups):
    return lib.Adam(groups, lr=0.01, betas=(0.9, 0.99))


class Twice:
    """A callable object: LambdaLR's state_dict keeps its attributes."""

    def __init__(self):
        self.scale = 0.5

    def __call__(self, epoch):
        return self.scale ** (epoch // 7)


# (name, how to build it from a scheduler module and an optimizer, the optimizer)
SCHEDULERS = [
    ("step", lambda m, o: m.StepLR(o, step_size=7, gamma=0.5), _sgd),
    ("step_default_gamma", lambda m, o: m.StepLR(o, 3), _adam),
    ("multistep", lambda m, o: m.MultiStepLR(o, milestones=[30, 5, 12, 12], gamma=0.3), _sgd),
    ("exponential", lambda m, o: m.ExponentialLR(o, gamma=0.95), _sgd),
    ("cosine", lambda m, o: m.CosineAnnealingLR(o, T_max=20, eta_min=0.001), _sgd),
    ("cosine_zero_floor", lambda m, o: m.CosineAnnealingLR(o, T_max=9), _adam),
    ("lambda", lambda m, o: m.LambdaLR(o, lambda epoch: 1 / (1 + 0.1 * epoch)), _sgd),
    ("lambda_per_group", lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + e]), _adam),
    ("onecycle_cos", lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS + 1), _sgd),
    ("onecycle_linear_adam", lambda m, o: m.OneCycleLR(o, max_lr=[0.2, 0.1], epochs=9, steps_per_epoch=9,
                                                       anneal_strategy="linear", pct_start=0.25), _adam),
    ("onecycle_three_phase", lambda m, o: m.OneCycleLR(o, 1.0, total_steps=STEPS + 1, three_phase=True,
                                                       div_factor=10.0, final_div_factor=100.0), _sgd),
    ("onecycle_no_momentum", lambda m, o: m.OneCycleLR(o, 0.3, total_steps=STEPS + 1, cycle_momentum=False),
     _sgd),
]


def _settings(optimizer):
    return [(group["lr"], group.get("momentum"), tuple(group.get("betas", ()))) for group in optimizer.param_groups]


def _assert_same(ours, theirs, optimizer, torch_optimizer, what):
    np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=0, err_msg=what)
    for mine, torch_group in zip(_settings(optimizer), _settings(torch_optimizer)):
        np.testing.assert_allclose(mine[0], torch_group[0], rtol=1e-12, atol=0, err_msg=what)
        if torch_group[1] is not None:
            np.testing.assert_allclose(mine[1], torch_group[1], rtol=1e-12, atol=0, err_msg=what)
        np.testing.assert_allclose(mine[2], torch_group[2], rtol=1e-12, atol=0, err_msg=what)


@pytest.mark.parametrize("name, make, make_optimizer", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_learning_rates_match_torch_for_many_steps(name, make, make_optimizer):
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(make_optimizer), _theirs(torch, make_optimizer)
    ours, theirs = make(lr_scheduler, optimizer), make(torch.optim.lr_scheduler, torch_optimizer)
    _assert_same(ours, theirs, optimizer, torch_optimizer, "after construction")
    assert ours.last_epoch == theirs.last_epoch == 0
    for step in range(STEPS):
        optimizer.step()
        torch_optimizer.step()
        ours.step()
        theirs.step()
        _assert_same(ours, theirs, optimizer, torch_optimizer, f"{name}, step {step + 1}")
    assert ours.last_epoch == theirs.last_epoch == STEPS
    assert ours.base_lrs == pytest.approx(theirs.base_lrs, rel=1e-15)


def test_a_changed_lr_carries_on_as_in_torch():
    """The chainable schedulers scale the current group["lr"], so a change by hand stays."""
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(_sgd), _theirs(torch, _sgd)
    ours = lr_scheduler.StepLR(optimizer, 4, 0.5)
    theirs = torch.optim.lr_scheduler.StepLR(torch_optimizer, 4, 0.5)
    for step in range(20):
        if step == 6:
            optimizer.param_groups[0]["lr"] = torch_optimizer.param_groups[0]["lr"] = 0.7
        optimizer.step(), torch_optimizer.step(), ours.step(), theirs.step()
        _assert_same(ours, theirs, optimizer, torch_optimizer, f"step {step}")


def test_two_schedulers_on_one_optimizer_chain_as_in_torch():
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(_sgd), _theirs(torch, _sgd)
    ours = [lr_scheduler.ExponentialLR(optimizer, 0.9), lr_scheduler.MultiStepLR(optimizer, [3, 8], 0.1)]
    theirs = [torch.optim.lr_scheduler.ExponentialLR(torch_optimizer, 0.9),
              torch.optim.lr_scheduler.MultiStepLR(torch_optimizer, [3, 8], 0.1)]
    for step in range(12):
        optimizer.step(), torch_optimizer.step()
        for a, b in zip(ours, theirs):
            a.step(), b.step()
        _assert_same(ours[1], theirs[1], optimizer, torch_optimizer, f"step {step}")


@pytest.mark.parametrize("kwargs", [
    dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.01),
    dict(patience=1, cooldown=2, threshold_mode="abs", threshold=0.05, min_lr=[0.004, 0.002]),
    dict(mode="max", threshold_mode="abs", patience=0, min_lr=0.01, eps=1e-3),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(_adam), _theirs(torch, _adam)
    ours = lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **kwargs)
    metrics = np.random.default_rng(0).normal(1.0, 0.05, STEPS) + np.linspace(0, 0.3, STEPS) * np.sin(
        np.arange(STEPS) / 5)
    for value in metrics:
        ours.step(Tensor(np.array(value)))  # a 0-d Tensor, as a loss would be
        theirs.step(value)
        _assert_same(ours, theirs, optimizer, torch_optimizer, f"metric {value}")
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == pytest.approx(
            (theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter))
    assert ours.last_epoch == theirs.last_epoch == STEPS


@pytest.mark.parametrize("name, make, make_optimizer",
                         SCHEDULERS + [("plateau", lambda m, o: m.ReduceLROnPlateau(o, patience=1), _adam)],
                         ids=[s[0] for s in SCHEDULERS] + ["plateau"])
def test_checkpoint_mid_schedule_resumes_exactly(tmp_path, name, make, make_optimizer):
    """Save the optimizer and scheduler after some steps, load them into fresh ones, go on:
    the same lrs as an uninterrupted run."""
    metric = (lambda step: 1.0 / (1 + step % 5))

    def advance(scheduler, optimizer, steps, start):
        lrs = []
        for step in range(start, start + steps):
            optimizer.step()
            if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
                scheduler.step(metric(step))
            else:
                scheduler.step()
            lrs.append([group["lr"] for group in optimizer.param_groups])
        return lrs

    optimizer = _ours(make_optimizer)
    straight = advance(make(lr_scheduler, optimizer), optimizer, 40, 0)

    optimizer = _ours(make_optimizer)
    scheduler = make(lr_scheduler, optimizer)
    first = advance(scheduler, optimizer, 25, 0)
    mytorch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "c.npz")
    checkpoint = mytorch.load(tmp_path / "c.npz")
    fresh_optimizer = _ours(make_optimizer)
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    fresh = make(lr_scheduler, fresh_optimizer)
    fresh.load_state_dict(checkpoint["scheduler"])
    assert fresh.last_epoch == scheduler.last_epoch and fresh.get_last_lr() == scheduler.get_last_lr()
    rest = advance(fresh, fresh_optimizer, 15, 25)
    np.testing.assert_allclose(first + rest, straight, rtol=1e-15, atol=0)


def test_state_dict_leaves_out_the_optimizer_and_plain_functions():
    optimizer = _ours(_sgd)
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0, Twice()])
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["lr_lambdas"] == [None, {"scale": 0.5}]
    assert state["last_epoch"] == 0 and state["base_lrs"] == [0.1, 0.03]
    fresh_lambda = Twice()
    fresh_lambda.scale = 0.9
    fresh = lr_scheduler.LambdaLR(_ours(_sgd), [lambda e: 1.0, fresh_lambda])
    fresh.load_state_dict(state)
    assert fresh_lambda.scale == 0.5 and scheduler.state_dict()["lr_lambdas"] == [None, {"scale": 0.5}]


def test_first_step_records_initial_lr_and_resuming_needs_it():
    optimizer = _ours(_sgd)
    scheduler = lr_scheduler.ExponentialLR(optimizer, 0.5)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.03]
    assert scheduler.get_last_lr() == [0.1, 0.03]
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.05, 0.015])
    assert optimizer.state_dict()["param_groups"][0]["initial_lr"] == 0.1  # kept in checkpoints
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        lr_scheduler.StepLR(_ours(_sgd), 3, last_epoch=4)


def test_the_step_uses_the_scheduled_lr():
    """A scheduler only writes group["lr"]; the optimizer's next step reads it."""
    w = Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([w], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
    for expected_lr in (1.0, 0.5, 0.25):
        w.grad = Tensor(np.array([1.0]))
        before = w.data[0]
        optimizer.step()
        assert before - w.data[0] == pytest.approx(expected_lr) and optimizer.lr == expected_lr
        scheduler.step()


def test_onecycle_refuses_a_step_past_its_total():
    optimizer = _ours(_sgd)
    scheduler = lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="tried to step 4 times; total_steps is 3"):
        scheduler.step()


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR([1], 3), TypeError, "StepLR: list is not an Optimizer"),
    (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "step_size must be a positive integer, got 0"),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma=-1), ValueError, "gamma must be a number >= 0, got -1"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2, 2.5]), ValueError, "milestones must be an integer, got 2.5"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 0), ValueError, "T_max must be a positive integer, got 0"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1]), ValueError, "expected 2 values of lr_lambda"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda must be a function of the epoch, got 0.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError, "either total_steps or both epochs"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=0), ValueError, "total_steps must be a positive"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError, "pct_start must be a number in"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy must be one of"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must be a number in \[0, 1\)"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be one of 'min', 'max'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be a non-negative"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 values of min_lr"),
])
def test_bad_arguments_name_the_argument_and_leave_the_groups(make, error, match):
    optimizer = _ours(_sgd)
    before = [dict(group) for group in optimizer.param_groups]
    with pytest.raises(error, match=match):
        make(optimizer)
    assert [{k: v for k, v in g.items() if k != "initial_lr"} for g in optimizer.param_groups] == \
        [{k: v for k, v in g.items() if k != "initial_lr"} for g in before]


def test_cosine_annealing_closed_form_at_the_ends():
    optimizer = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.1)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(10):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)


@pytest.mark.parametrize("first", [1.0, float("nan")])
def test_reduce_lr_on_plateau_starts_as_torch(first):
    """Before any step its state is torch's; a NaN first metric is a bad epoch, as in torch."""
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(_adam), _theirs(torch, _adam)
    ours = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, patience=0)
    names = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")
    assert [ours.state_dict()[n] for n in names] == [theirs.state_dict()[n] for n in names]
    ours.step(first)
    theirs.step(first)
    assert [ours.state_dict()[n] for n in names] == [theirs.state_dict()[n] for n in names]
    _assert_same(ours, theirs, optimizer, torch_optimizer, f"first metric {first}")


@pytest.mark.parametrize("name, make", [
    ("cosine", lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001, last_epoch=4)),
    ("step", lambda m, o: m.StepLR(o, step_size=3, gamma=0.5, last_epoch=4)),
    ("exponential", lambda m, o: m.ExponentialLR(o, gamma=0.9, last_epoch=4)),
])
def test_a_scheduler_made_with_last_epoch_resumes_as_torch(name, make):
    """last_epoch=k with 'initial_lr' in every group (a resumed run): the lrs of the next
    steps are torch's."""
    torch = pytest.importorskip("torch")
    optimizer, torch_optimizer = _ours(_sgd), _theirs(torch, _sgd)
    for group in optimizer.param_groups + torch_optimizer.param_groups:
        group["initial_lr"] = group["lr"]
    ours, theirs = make(lr_scheduler, optimizer), make(torch.optim.lr_scheduler, torch_optimizer)
    for step in range(8):
        _assert_same(ours, theirs, optimizer, torch_optimizer, f"{name} step {step}")
        optimizer.step()
        torch_optimizer.step()
        ours.step()
        theirs.step()
