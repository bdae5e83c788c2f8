"""Checkpoints: Module and Optimizer state dicts, and mytorch.save / mytorch.load."""
import copy
import io
import json
import os
import re
import tracemalloc
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
    ({"a": {1.5: np.ones(2)}}, "dict keys must be strings or integers, got 1.5 in 'a'"),
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
    with pytest.raises(ValueError,
                       match="is damaged: the entry 'evil.npy' holds Python objects") as info:
        mytorch.load(pickled)
    assert "allow_pickle" not in str(info.value)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(ValueError, match=r"is not a checkpoint written by mytorch.save \(an .npz "
                                         "or zip archive without a "):
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


# ------------------------------------------------------- damaged, cut and crafted files

def _npy(header, payload=b""):
    """A version 1.0 .npy file with the header text `header`."""
    text = header.encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + payload


def _crafted(path, header_text, entries=(), compression=zipfile.ZIP_STORED):
    """An archive laid out as save lays one out, with this JSON header and these entries."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(header_text), allow_pickle=False)
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("__mytorch__.npy", buffer.getvalue())
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _header(obj):
    return json.dumps({"format": "mytorch checkpoint 1", "object": obj})


def _damaged(path, match):
    with pytest.raises(ValueError, match=match) as info:
        mytorch.load(path)
    message = str(info.value)
    assert message.startswith(f"load: {str(path)!r} ") and "allow_pickle" not in message
    return message


def test_a_flipped_byte_a_cut_or_overwritten_start_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "c.npz"
    mytorch.save({"w": np.arange(100.0)}, path)
    raw = path.read_bytes()
    inside = raw.index(np.arange(100.0).tobytes()) + 40
    path.write_bytes(raw[:inside] + bytes([raw[inside] ^ 0x10]) + raw[inside + 1:])
    _damaged(path, r"is damaged: BadZipFile: Bad CRC-32 for file 'w.npy'")
    path.write_bytes(b"\x00" * 16 + raw[16:])  # NumPy took this for a pickle
    _damaged(path, "is damaged: BadZipFile: ")
    for size in (len(raw) // 2, 30, 3):
        path.write_bytes(raw[:size])
        _damaged(path, r"is damaged: it begins as a zip archive but its end .* is missing: "
                       r"the file was cut short" if size > 3 else "not an .npz archive")
    path.write_bytes(raw[:100] + raw[400:])  # cut in the middle: NumPy's seek gave EINVAL
    _damaged(path, "is damaged: ")


def test_a_crafted_header_nested_5000_deep_is_refused_without_recursing(tmp_path):
    deep = '{"list": [' * 5000 + "]}" * 5000
    _damaged(_crafted(tmp_path / "deep.npz", _header(None)[:-1] + ', "x": ' + deep + "}"),
             r"the '__mytorch__' entry nests deeper than a checkpoint can \(100 dicts")
    # Deep enough to pass the text's bound, too deep for the structure's.
    nested = {"value": 1}
    for _ in range(101):
        nested = {"list": [nested]}
    _damaged(_crafted(tmp_path / "deep2.npz", _header(nested)), "nested deeper than 100 levels")
    # The text's bound is exact: 3 JSON levels per container level, and 2 more.
    from mytorch.serialization import MAX_DEPTH
    for extra, message in [(1, r"nests deeper than a checkpoint can \(100 dicts"), (0, "the description of the top level")]:
        brackets = 3 * MAX_DEPTH + 1 + extra  # inside the header's own object
        _damaged(_crafted(tmp_path / f"deep{extra}.npz", _header(None)[:-1] + ', "x": ' + "[" * brackets
                          + "]" * brackets + "}"), message)


def test_a_claimed_size_is_checked_against_the_archive_before_allocating(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    path = _crafted(tmp_path / "huge.npz", _header({"array": "w"}),
                    [("w.npy", _npy(header, b"\x00" * 1024))])
    tracemalloc.start()
    try:
        _damaged(path, r"the entry 'w.npy' claims 8000000000000 bytes \(shape \(1000000000000,\), "
                       r"dtype float64\) but holds 1024")
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()
    # A deflated entry (np.savez_compressed's kind) claiming more than deflate can make
    # of the bytes it has: its size in the central directory (offset 24 of the record) raised.
    small = header.replace("(1000000000000,)", "(128,)")
    _crafted(path, _header({"array": "w"}), [("w.npy", _npy(small, b"\x00" * 1024))],
             zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        stored = archive.getinfo("w.npy").compress_size
    raw = bytearray(path.read_bytes())
    record = raw.rindex(b"PK\x01\x02", 0, raw.rindex(b"w.npy"))
    raw[record + 24:record + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    _damaged(path, rf"the entry 'w.npy' claims 2147483648 bytes but the archive holds at most "
                   rf"{stored * 1032} for it")


@pytest.mark.parametrize("node, match", [
    ({"array": "w"}, r"the entry 'w.npy' holds Python objects \(dtype object\), which a "
                     "checkpoint never does"),
    ({"array": "missing"}, "the entry 'missing.npy' is missing"),
    ({"list": [{"array": "v"}, {"array": "v"}]}, "the entry 'v' is used twice"),
    ({"scalar": "v"}, r"the scalar at the top level has shape \(2,\)"),
    ({"tensor": "v", "requires_grad": "yes"}, "requires_grad of the tensor .* is 'yes'"),
    ({"dict": [[[1], {"value": 1}]]}, r"an item of the dict at the top level is \[\[1\], "),
    ({"dict": [["a", {"value": [1, 2]}]]}, r"the value at 'a' is \[1, 2\], not a number"),
    ({"pickle": "x"}, r"the description of the top level has unknown keys \['pickle'\]"),
    ([], r"the description of the top level is \[\], not an entry"),
])
def test_a_crafted_header_is_a_value_error_naming_what_is_wrong(tmp_path, node, match):
    objects = _npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\x80\x04N.")
    ones = io.BytesIO()
    np.lib.format.write_array(ones, np.ones(2))
    path = _crafted(tmp_path / "c.npz", _header(node),
                    [("w.npy", objects), ("v.npy", ones.getvalue())])
    _damaged(path, "is damaged: " + match)


def test_other_files_are_not_checkpoints(tmp_path):
    for name, content in [("notes.txt", b"hello"), ("empty.npz", b""),
                          ("array.npy", _npy("{'descr': '<f8', 'fortran_order': False, "
                                             "'shape': (0,), }"))]:
        (tmp_path / name).write_bytes(content)
        _damaged(tmp_path / name, r"is not a checkpoint written by mytorch.save \(not an .npz")
    with zipfile.ZipFile(tmp_path / "doc.zip", "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    _damaged(tmp_path / "doc.zip", "is not a checkpoint written by mytorch.save \\(an .npz or "
                                   "zip archive without a '__mytorch__' entry")
    _damaged(_crafted(tmp_path / "v2.npz", _header({"value": 1}).replace("1\"", "2\"")),
             "is damaged: unknown format 'mytorch checkpoint 2'")


# ------------------------------------------------------------ keys, cycles and depth

def test_keys_that_are_paths_stay_inside_the_folder_when_unzipped(tmp_path):
    obj = {"../../x": np.ones(1), "/etc/passwd": np.ones(2), "a\\..\\b": np.ones(3),
           "..": {"..": np.ones(4)}, "": np.ones(5), "C:x": np.ones(6), "ü ñ": np.ones(7),
           "x" * 300: np.ones(8), ".": np.ones(9)}
    path = tmp_path / "c.npz"
    mytorch.save(obj, path)
    back = mytorch.load(path)
    assert list(back) == list(obj)  # every key comes back as it was
    assert all(np.array_equal(back[key], obj[key]) for key in obj if key != "..")
    assert np.array_equal(back[".."][".."], np.ones(4))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        folder = tmp_path / "unzipped"
        archive.extractall(folder)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9._#-]+(/[A-Za-z0-9._#-]+)*\.npy", name), name
        assert not {"", ".", ".."} & set(name[:-len(".npy")].split("/")), name
        assert len(name) <= 100 + len(".npy")
    extracted = [p for p in tmp_path.rglob("*") if p.is_file() and p != path]
    assert len(extracted) == len(names) and all(folder in p.parents for p in extracted)
    assert "_.npy" in names and ".._.._x.npy" in names and "__/__.npy" in names


def test_a_cycle_is_a_value_error_naming_where_and_nothing_is_written(tmp_path):
    looped = {"model": {}}
    looped["model"]["self"] = looped
    listed = [1, 2]
    listed.append({"back": listed})
    path = tmp_path / "c.npz"
    mytorch.save({"epoch": 1}, path)
    for obj, match in [(looped, "the dict at 'model/self' is the one at the top level"),
                       (listed, "the list at '2/back' is the one at the top level")]:
        with pytest.raises(ValueError, match="save: the object contains itself: " + match):
            mytorch.save(obj, path)
    shared = np.ones(2)  # the same value twice is not a cycle
    mytorch.save({"a": [shared, shared]}, path)
    assert np.array_equal(mytorch.load(path)["a"][1], shared)
    deep = current = []
    for _ in range(mytorch.serialization.MAX_DEPTH):
        current.append([])
        current = current[0]
    with pytest.raises(ValueError, match="is nested deeper than 100 dicts, lists and tuples"):
        mytorch.save(deep, path)
    assert sorted(os.listdir(tmp_path)) == ["c.npz"]
    mytorch.save(deep[0], path)  # 100 levels is allowed, and loads
    assert mytorch.load(path) == deep[0]
