"""Optimizers and modules where one-line bugs survived (issue 21): defaults, the base
class's contract, and state that must never be shared with a state dict."""
import numpy as np
import pytest

from mytorch import Tensor, nn, optim
from mytorch.optim.optimizer import Optimizer


def _param(values):
    return Tensor(np.array(values, dtype=float), requires_grad=True, is_parameter=True)


def test_sgd_defaults_as_pytorch():
    """torch.optim.SGD: lr=1e-3, no momentum, dampening or weight decay."""
    p = _param([1.0, -2.0])
    p.grad = Tensor(np.array([10.0, 20.0]))
    optimizer = optim.SGD([p])
    optimizer.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.01, -2.0 - 0.02], rtol=1e-15)
    group = optimizer.state_dict()["param_groups"][0]
    expected = {"lr": 0.001, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
                "maximize": False, "params": [0]}
    assert {key: group[key] for key in expected} == expected


def test_an_optimizer_without_its_update_says_which():
    class Incomplete(Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

    p = _param([1.0])
    p.grad = Tensor(np.array([1.0]))
    with pytest.raises(NotImplementedError, match="Incomplete does not define _update"):
        Incomplete([p]).step()


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1),
                                  lambda ps: optim.AdamW(ps, lr=0.1)])
def test_a_loaded_state_is_the_optimizers_own(make):
    """load_state_dict copies: the target's steps leave the loaded dict alone, and changing
    the dict afterwards does not reach the target."""
    p = _param([1.0, 2.0])
    source = make([p])
    p.grad = Tensor(np.array([0.5, -0.5]))
    source.step()
    saved = source.state_dict()
    snapshot = {index: {key: np.array(getattr(value, "data", value), copy=True)
                        for key, value in entry.items()}
                for index, entry in saved["state"].items()}

    q = _param([1.0, 2.0])
    target = make([q])
    target.load_state_dict(saved)
    q.grad = Tensor(np.array([0.5, -0.5]))
    target.step()
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(getattr(value, "data", value), snapshot[index][key],
                                          err_msg=key)
    after = {key: np.array(getattr(value, "data", value), copy=True)
             for key, value in target.state_dict()["state"][0].items()}
    for value in saved["state"][0].values():
        if isinstance(value, Tensor):
            value.data += 100.0
    for key, value in target.state_dict()["state"][0].items():
        np.testing.assert_array_equal(getattr(value, "data", value), after[key], err_msg=key)


def test_the_same_module_twice_is_one_child_and_its_parameters_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    optim.SGD(model.parameters(), lr=0.1)  # no duplicate


def test_register_parameter_takes_only_parameters():
    module = nn.Module()
    for register in (module.register_parameter, module.add_parameter):
        with pytest.raises(TypeError, match="register_parameter: 'w' must be an nn.Parameter"):
            register("w", Tensor(np.ones(2)))
    assert list(module.parameters()) == []
    weight = _param([1.0])
    module.add_parameter("w", weight)
    assert list(module.named_parameters()) == [("w", weight)]


def test_load_state_dict_wants_one_param_group_per_group():
    p = _param([1.0])
    optimizer = optim.SGD([p], lr=0.1)
    state = optimizer.state_dict()
    for groups, shown in [([], "list"), (state["param_groups"] * 2, "list"), ("x", "str")]:
        with pytest.raises(ValueError, match=rf"SGD.load_state_dict: expected 'param_groups' to be a "
                                             rf"list of 1 dict\(s\), one per parameter group, got {shown}"):
            optimizer.load_state_dict({"state": state["state"], "param_groups": groups})
    assert optimizer.state_dict() == state


# ------------------------------------------------------------- schedulers, groups, .to

def _sgd(lib, groups=1):
    """SGD with momentum over `groups` one-parameter groups, in mytorch or torch."""
    if lib == "torch":
        torch = pytest.importorskip("torch")
        params = [torch.nn.Parameter(torch.ones(2, dtype=torch.float64)) for _ in range(groups)]
        return torch.optim.SGD([{"params": [p]} for p in params], lr=0.5, momentum=0.9)
    return optim.SGD([{"params": [_param([1.0, 1.0])]} for _ in range(groups)], lr=0.5, momentum=0.9)


@pytest.mark.parametrize("name, options", [("StepLR", {"step_size": 3, "gamma": 0.5}),
                                           ("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.1}),
                                           ("ExponentialLR", {"gamma": 0.9}),
                                           ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01})])
def test_a_scheduler_stepped_to_an_epoch_takes_pytorchs_closed_form(name, options):
    torch = pytest.importorskip("torch")
    ours, theirs = _sgd("mytorch"), _sgd("torch")
    scheduler = getattr(optim.lr_scheduler, name)(ours, **options)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **options)
    for epoch in (4, 7, 2, 11, 0):
        scheduler.step(epoch)
        with pytest.warns(UserWarning):  # PyTorch deprecates the epoch argument
            reference.step(epoch)
        assert scheduler.last_epoch == epoch
        np.testing.assert_allclose(ours.param_groups[0]["lr"], theirs.param_groups[0]["lr"],
                                   rtol=1e-13, err_msg=f"epoch {epoch}")
        assert scheduler.get_last_lr() == [ours.param_groups[0]["lr"]]


def test_a_scheduler_without_get_lr_says_which():
    class Incomplete(optim.lr_scheduler.LRScheduler):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete does not define get_lr"):
        Incomplete(_sgd("mytorch"))


def test_one_cycle_momentum_needs_an_optimizer_with_momentum_or_betas():
    class Plain(Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

    with pytest.raises(ValueError, match="OneCycleLR: cycle_momentum needs an optimizer with "
                                         "momentum or betas \\(got Plain\\)"):
        optim.lr_scheduler.OneCycleLR(Plain([_param([1.0])]), max_lr=1.0, total_steps=10)
    optim.lr_scheduler.OneCycleLR(Plain([_param([1.0])]), max_lr=1.0, total_steps=10, cycle_momentum=False)


def test_plateau_min_lr_for_a_group_added_later():
    """One min_lr for every group stretches over a group added later, as in PyTorch; a list
    of them cannot and says so."""
    optimizer = _sgd("mytorch")
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.1, min_lr=0.02)
    optimizer.add_param_group({"params": [_param([1.0])], "lr": 0.1})
    scheduler.step(1.0)
    scheduler.step(2.0)  # worse: reduce
    assert [group["lr"] for group in optimizer.param_groups] == [0.05, 0.02]
    optimizer = _sgd("mytorch")
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.02])
    optimizer.add_param_group({"params": [_param([1.0])]})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match="ReduceLROnPlateau: the optimizer has 2 parameter groups "
                                           "but min_lr gave 1"):
        scheduler.step(2.0)


def test_a_groups_params_are_an_ordered_collection():
    optimizer = _sgd("mytorch")
    with pytest.raises(TypeError, match="SGD: a group's params must be an ordered collection, not a set"):
        optimizer.add_param_group({"params": {_param([1.0])}})
    assert len(optimizer.param_groups) == 1


def test_module_to_names_what_it_takes():
    model = nn.Linear(2, 2)
    for args, kwargs in [((np.float32, "cpu", 3), {}), ((), {"layout": "strided"})]:
        with pytest.raises(TypeError, match=r"Linear.to: expected to\(device\), to\(dtype\), "
                                            r"to\(device, dtype\) or to\(tensor\)"):
            model.to(*args, **kwargs)
    assert model.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="cuda:1"):
        model.cuda(1)


def test_batch_norm_names_the_per_channel_tensor_that_does_not_fit():
    from mytorch.nn import functional as F
    x = Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"batch_norm: expected weight of shape \(3,\), got \(4,\)"):
        F.batch_norm(x, Tensor(np.zeros(3)), Tensor(np.ones(3)), weight=Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"batch_norm: expected bias of shape \(3,\), got \(2,\)"):
        F.batch_norm(x, None, None, weight=Tensor(np.ones(3)), bias=Tensor(np.ones(2)), training=True)
    with pytest.raises(ValueError, match=r"batch_norm: expected input \(N, 2\) or \(N, 2, \*\), got \(4, 3\)"):
        F.batch_norm(x, None, None, bias=Tensor(np.ones(2)), training=True)


def test_embedding_wants_a_two_dimensional_table():
    from mytorch.nn import functional as F
    with pytest.raises(ValueError, match=r"Embedding: expected a weight \(num_embeddings, "
                                         r"embedding_dim\), got \(5,\)"):
        F.embedding(np.array([0, 1]), Tensor(np.ones(5), requires_grad=True))
