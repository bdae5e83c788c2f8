"""Checkpoints: Module and Optimizer state dicts, and mytorch.save / mytorch.load."""
import copy
import os
import zipfile

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn, optim


def _handout_network(seed=0):
    np.random.seed(seed)
    return nn.Sequential(nn.Linear(784, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10))


def _batches(count, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((32, 784)), rng.integers(0, 10, 32)) for _ in range(count)]


def _train(model, optimizer, batches):
    for x, labels in batches:
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(Tensor(x)), Tensor(labels)).backward()
        optimizer.step()


def _snapshot(model):
    return {name: tensor.data.copy() for name, tensor in model._state_tensors().items()}


# ------------------------------------------------------------------ Module.state_dict

def test_state_dict_has_parameters_and_buffers_under_dotted_names():
    model = _handout_network()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"]
    assert [name for name, _ in model.named_buffers()] == ["1.running_mean", "1.running_var",
                                                           "1.num_batches_tracked"]
    np.testing.assert_array_equal(state["1.running_var"].data, np.ones(20))
    # As in PyTorch: detached Tensors sharing memory with the model, so training changes
    # them; a deep copy is the snapshot.
    assert all(type(value) is Tensor and not value.requires_grad for value in state.values())
    snapshot = copy.deepcopy(state)
    _train(model, optim.SGD(model.parameters(), lr=0.1), _batches(1))
    assert state["1.running_var"].data is model[1].running_var.data and state["1.num_batches_tracked"].item() == 1
    np.testing.assert_array_equal(snapshot["1.running_var"].data, np.ones(20))
    assert not np.array_equal(model[1].running_var.data, np.ones(20))


def test_load_state_dict_copies_into_the_same_tensors():
    source, target = _handout_network(0), _handout_network(1)
    _train(source, optim.SGD(source.parameters(), lr=0.1), _batches(2))
    weight = target[0].weight
    assert target.load_state_dict(source.state_dict()) == ([], [])
    assert target[0].weight is weight  # an optimizer built on target keeps working
    for name, array in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], array, err_msg=name)
    x = Tensor(np.random.default_rng(5).standard_normal((4, 784)))
    np.testing.assert_array_equal(source.eval()(x).data, target.eval()(x).data)
    tensors = {name: Tensor(array) for name, array in source.state_dict().items()}
    target.load_state_dict(tensors)  # Tensors work too


@pytest.mark.parametrize("change, match", [
    (lambda s: s.pop("1.running_mean"), r"missing key\(s\): '1.running_mean'"),
    (lambda s: s.update(extra=np.ones(2)), r"unexpected key\(s\): 'extra'"),
    (lambda s: s.update({"0.weight": np.ones((20, 10))}),
     r"size mismatch for '0.weight': the checkpoint has shape \(20, 10\), the model has shape \(20, 784\)"),
    (lambda s: s.update({"1.weight": [1.0] * 20}), r"'1.weight' must be a Tensor or an array, got list"),
])
def test_a_bad_state_dict_names_the_key_and_changes_nothing(change, match):
    model = _handout_network()
    before = _snapshot(model)
    state = _handout_network(1).state_dict()
    state["1.running_var"] = np.full(20, 7.0)  # a good entry that must not be loaded either
    change(state)
    with pytest.raises(RuntimeError, match=match) as error:
        model.load_state_dict(state)
    assert "nothing was loaded" in str(error.value)
    for name, array in _snapshot(model).items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)


def test_non_strict_loading_reports_the_keys_and_still_checks_shapes():
    model = _handout_network()
    state = {"0.bias": np.full(20, 2.0), "head.weight": np.ones(3)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert unexpected == ["head.weight"] and "0.weight" in missing and "0.bias" not in missing
    np.testing.assert_array_equal(model[0].bias.data, np.full(20, 2.0))
    with pytest.raises(RuntimeError, match="size mismatch for '0.bias'"):
        model.load_state_dict({"0.bias": np.ones(3)}, strict=False)
    with pytest.raises(TypeError, match="expected a dict of Tensors, got list"):
        model.load_state_dict([("0.bias", np.ones(20))])
    with pytest.raises(ValueError, match="strict must be True or False, got 'no'"):
        model.load_state_dict(state, strict="no")


def test_loading_bumps_versions_so_a_pending_backward_raises():
    layer = nn.Linear(3, 2)
    out = layer(Tensor(np.ones((1, 3))))
    layer.load_state_dict(nn.Linear(3, 2).state_dict())
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


# ---------------------------------------------------------------- Optimizer.state_dict

@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                                  lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99)),
                                  lambda p: optim.AdamW(p, lr=0.01)],
                         ids=["sgd", "adam", "adamw"])
def test_optimizer_state_dict_round_trip(make):
    model = _handout_network()
    optimizer = make(model.parameters())
    _train(model, optimizer, _batches(2))
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"} and state["param_groups"][0]["params"] == list(range(6))
    fresh = make(_handout_network(1).parameters())
    fresh.lr = 123.0
    fresh.load_state_dict(state)
    assert fresh.lr == optimizer.lr
    for attribute in optimizer._state_attributes.values():
        for ours, theirs in zip(getattr(fresh, attribute), getattr(optimizer, attribute)):
            np.testing.assert_array_equal(ours, theirs)
            assert not np.shares_memory(ours, theirs)
    if isinstance(optimizer, optim.Adam):
        assert state["state"][0]["step"] == 2 and fresh.steps == [2] * 6
        assert set(state["state"][5]) == {"step", "exp_avg", "exp_avg_sq"}
    else:
        assert set(state["state"][5]) == {"momentum_buffer"}


def _bad(path, value):
    def change(state):
        *keys, last = path
        target = state
        for key in keys:
            target = target[key]
        target[last] = value
    return change


@pytest.mark.parametrize("change, error, match", [
    (_bad(["state", 0, "exp_avg"], np.ones(3)), ValueError,
     r"state\[0\]\['exp_avg'\]: expected a float Tensor of shape \(20, 784\) \(the "
     r"parameter's\), got shape \(3,\) and dtype float64"),
    (_bad(["state", 1, "exp_avg_sq"], np.ones(20, np.int32)), ValueError, "got shape \\(20,\\) and dtype int32"),
    (_bad(["state", 2, "step"], -1), ValueError, r"state\[2\]\['step'\] must be a non-negative integer, got -1"),
    (_bad(["state", 3], {"step": 1}), ValueError, r"expected state\[3\] to have keys \['exp_avg', 'exp_avg_sq', 'step'\]"),
    (_bad(["param_groups", 0, "lr"], -1.0), ValueError, "Adam: lr must be a number >= 0, got -1.0"),
    (lambda state: state["param_groups"][0].pop("betas"), ValueError, r"group 0 lacks the hyperparameters \['betas'\]"),
    (_bad(["param_groups", 0, "params"], [0, 1]), ValueError, r"group 0 of the state dict is for parameters \[0, 1\]; "
                                                              r"this optimizer's group 0 has 6"),
    (_bad(["param_groups"], []), ValueError, r"expected 'param_groups' to be a list of 1 dict"),
    (_bad(["state", 6], {}), ValueError, r"'state' must map parameter indices \[0, 1, 2, 3, 4, 5\]"),
    (lambda state: state.pop("state"), TypeError, r"expected a dict with 'state' and 'param_groups'"),
])
def test_a_bad_optimizer_state_changes_nothing(change, error, match):
    model = _handout_network()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    _train(model, optimizer, _batches(1))
    before = copy.deepcopy(optimizer.state_dict())  # the live state, as PyTorch's
    source_model = _handout_network(1)
    source = optim.Adam(source_model.parameters(), lr=0.5)
    _train(source_model, source, _batches(1, seed=2))
    state = source.state_dict()
    change(state)
    with pytest.raises(error, match=match):
        optimizer.load_state_dict(state)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"] and optimizer.steps == [1] * 6
    for index in before["state"]:
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(after["state"][index][key], before["state"][index][key])


# ------------------------------------------------------------------- save and load

def test_save_and_load_round_trip_every_kind_of_value(tmp_path):
    obj = {"model": {"0.weight": np.arange(6.0).reshape(2, 3)}, "optimizer": {0: {"step": 3}},
           "epoch": 7, "lr": 0.1, "nesterov": True, "name": "mlp", "none": None,
           "betas": (0.9, 0.999), "history": [0.5, float("nan"), -float("inf")],
           "scalar": np.float32(2.5), "ints": np.arange(3, dtype=np.int16),
           "tensor": Tensor(np.ones(2), requires_grad=True), "file": np.zeros(1),
           "__mytorch__": np.ones(1)}
    path = tmp_path / "checkpoint.npz"
    mytorch.save(obj, path)
    back = mytorch.load(path)
    assert list(back) == list(obj)
    assert list(back["optimizer"]) == [0]  # an integer key stays an integer
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["epoch"] == 7 and isinstance(back["epoch"], int) and back["nesterov"] is True
    assert back["history"][0] == 0.5 and np.isnan(back["history"][1]) and back["history"][2] == -np.inf
    assert isinstance(back["scalar"], np.float32) and back["scalar"] == 2.5
    assert back["ints"].dtype == np.int16 and back["none"] is None and back["name"] == "mlp"
    assert isinstance(back["tensor"], Tensor) and back["tensor"].requires_grad
    np.testing.assert_array_equal(back["model"]["0.weight"], obj["model"]["0.weight"])
    np.testing.assert_array_equal(back["__mytorch__"], np.ones(1))
    # An ordinary .npz: NumPy reads the arrays by path, with pickling off.
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["model/0.weight"], obj["model"]["0.weight"])
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.npz"]


def test_five_steps_save_load_five_steps_equals_ten_steps_bit_for_bit(tmp_path):
    batches = _batches(10)
    for make in (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=1e-3)):
        straight = _handout_network()
        optimizer = make(straight.parameters())
        _train(straight, optimizer, batches)

        first = _handout_network()
        first_optimizer = make(first.parameters())
        _train(first, first_optimizer, batches[:5])
        mytorch.save({"model": first.state_dict(), "optimizer": first_optimizer.state_dict()},
                     tmp_path / "half.npz")
        resumed = _handout_network(seed=99)  # different initial weights, all overwritten
        resumed_optimizer = make(resumed.parameters())
        checkpoint = mytorch.load(tmp_path / "half.npz")
        resumed.load_state_dict(checkpoint["model"])
        resumed_optimizer.load_state_dict(checkpoint["optimizer"])
        _train(resumed, resumed_optimizer, batches[5:])

        # Compared through the tensors themselves, not state_dict, which is under test.
        tensors = list(straight.named_parameters()) + list(straight.named_buffers())
        resumed_tensors = dict(resumed.named_parameters()) | dict(resumed.named_buffers())
        assert len(tensors) == 9
        for name, tensor in tensors:
            np.testing.assert_array_equal(resumed_tensors[name].data, tensor.data, err_msg=name)
        x = Tensor(batches[0][0])
        np.testing.assert_array_equal(resumed.eval()(x).data, straight.eval()(x).data)


@pytest.mark.parametrize("obj, match", [
    ({"model": object()}, r"cannot store a object \(at 'model'\)"),
    ({"a": {1.5: np.ones(2)}}, "dict keys must be strings or integers, got 1.5 in a"),
    ({"arr": np.array([{}, 1], dtype=object)}, "the array at 'arr' holds Python objects"),
    ([{"x": {True: 1}}], "dict keys must be strings or integers, got True"),
])
def test_save_refuses_what_it_cannot_store_and_leaves_the_old_file(tmp_path, obj, match):
    path = tmp_path / "checkpoint.npz"
    mytorch.save({"epoch": 1}, path)
    with pytest.raises(TypeError, match=match):
        mytorch.save(obj, path)
    assert mytorch.load(path) == {"epoch": 1} and os.listdir(tmp_path) == ["checkpoint.npz"]


def test_an_interrupted_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    mytorch.save({"epoch": 1}, path)
    written = []

    def failing_write(entry, array, allow_pickle):
        written.append(array)
        if len(written) == 2:
            raise KeyboardInterrupt
        return write_array(entry, array, allow_pickle=allow_pickle)

    write_array = np.lib.format.write_array
    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(KeyboardInterrupt):
        mytorch.save({"a": np.ones(3), "b": np.zeros(3)}, path)
    assert mytorch.load(path) == {"epoch": 1} and os.listdir(tmp_path) == ["checkpoint.npz"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mytorch.save({}, tmp_path / "missing" / "checkpoint.npz")


def test_load_reads_no_pickles_and_rejects_other_files(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __mytorch__=np.array('{"format": "mytorch checkpoint 1", "object": '
                                           '{"array": "evil"}}'), evil=np.array([{}], dtype=object))
    with pytest.raises(ValueError, match="is damaged: Object arrays cannot be loaded when allow_pickle=False"):
        mytorch.load(pickled)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(ValueError, match="an .npz archive but not a checkpoint written by mytorch.save"):
        mytorch.load(plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an .npz archive"):
        mytorch.load(text)
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("__mytorch__.npy", b"not an array")
    with pytest.raises(ValueError, match="is damaged"):
        mytorch.load(broken)
    with pytest.raises(FileNotFoundError, match="load: no such file: .*missing.npz"):
        mytorch.load(tmp_path / "missing.npz")
