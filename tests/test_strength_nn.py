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
