"""Optimizers and modules where one-line bugs survived (issue 21): defaults, the base
class's contract, and state that must never be shared with a state dict."""
import numpy as np
import pytest

from mytorch import Tensor, nn, optim
from mytorch.optim.optimizer import Optimizer


def _param(values):
    return Tensor(np.array(values, dtype=float), requires_grad=True, is_parameter=True)


def test_sgd_defaults_as_pytorch():
    """torch.optim.SGD: lr=1e-3, no momentum, no weight decay."""
    p = _param([1.0, -2.0])
    p.grad = Tensor(np.array([10.0, 20.0]))
    optimizer = optim.SGD([p])
    optimizer.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.01, -2.0 - 0.02], rtol=1e-15)
    group = optimizer.state_dict()["param_groups"][0]
    assert group == {"lr": 0.001, "momentum": 0.0, "weight_decay": 0.0, "nesterov": False,
                     "params": [0]}


def test_an_optimizer_without_its_update_says_which():
    class Incomplete(Optimizer):
        pass

    p = _param([1.0])
    p.grad = Tensor(np.array([1.0]))
    optimizer = Incomplete([p])
    with pytest.raises(NotImplementedError, match="Incomplete does not define _update"):
        optimizer.step()
    with pytest.raises(NotImplementedError, match="Incomplete does not define _set_hyperparameters"):
        optimizer._set_hyperparameters(lr=0.1)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1),
                                  lambda ps: optim.AdamW(ps, lr=0.1)])
def test_a_loaded_state_is_the_optimizers_own(make):
    """Steps after state_dict and load_state_dict leave the dict alone, and changing the
    dict afterwards does not reach the optimizer."""
    p = _param([1.0, 2.0])
    source = make([p])
    p.grad = Tensor(np.array([0.5, -0.5]))
    source.step()
    saved = source.state_dict()
    snapshot = {index: {key: np.array(value, copy=True) for key, value in entry.items()}
                for index, entry in saved["state"].items()}

    q = _param([1.0, 2.0])
    target = make([q])
    target.load_state_dict(saved)
    q.grad = Tensor(np.array([0.5, -0.5]))
    target.step()
    source.step()  # a state dict is a snapshot: the source's later steps leave it alone too
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(value, snapshot[index][key], err_msg=key)
    after = target.state_dict()
    for entry in saved["state"].values():
        for value in entry.values():
            if isinstance(value, np.ndarray):
                value += 100.0
    assert all(np.array_equal(a, b) for index in after["state"]
               for a, b in zip(after["state"][index].values(), target.state_dict()["state"][index].values()))


def test_the_same_module_twice_is_one_child_and_its_parameters_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    optim.SGD(model.parameters(), lr=0.1)  # no duplicate


def test_add_parameter_takes_only_parameters():
    module = nn.Module()
    with pytest.raises(TypeError, match="add_parameter: 'w' must be a Tensor with is_parameter=True"):
        module.add_parameter("w", Tensor(np.ones(2)))
    assert list(module.parameters()) == []
    weight = _param([1.0])
    module.add_parameter("w", weight)
    assert list(module.named_parameters()) == [("w", weight)]


def test_load_state_dict_wants_one_param_group():
    p = _param([1.0])
    optimizer = optim.SGD([p], lr=0.1)
    state = optimizer.state_dict()
    for groups, shown in [([], "list"), (state["param_groups"] * 2, "list"), ("x", "str")]:
        with pytest.raises(ValueError, match=rf"SGD.load_state_dict: expected 'param_groups' to hold "
                                             rf"one dict, got {shown}"):
            optimizer.load_state_dict({"state": state["state"], "param_groups": groups})
    assert optimizer.state_dict() == state
