"""Checkpoints that `load` must refuse, each with the reason named (issue 21): an unknown
header, and damage the reader guards against that no other test produced."""
import json
import zipfile

import numpy as np
import pytest

import mytorch


def _arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _rewrite(path, header=None, arrays=None):
    """The checkpoint at `path` written again with its header (a dict) or arrays replaced."""
    found = _arrays(path)
    text = found.pop("__mytorch__")
    header = json.loads(str(text)) if header is None else header
    np.savez(path, __mytorch__=np.array(json.dumps(header)), **(found if arrays is None else arrays))


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "checkpoint.npz"
    mytorch.save({"w": np.arange(3.0), "step": 2}, path)
    assert mytorch.load(path)["step"] == 2
    return path


def _refused(path, reason):
    with pytest.raises(ValueError, match=rf"load: .*checkpoint\.npz' is damaged: {reason}"):
        mytorch.load(path)


def _header(path):
    return json.loads(str(_arrays(path)["__mytorch__"]))


@pytest.mark.parametrize("change, reason", [
    (lambda h: dict(h, format="mytorch checkpoint 2"), "unknown format 'mytorch checkpoint 2'"),
    (lambda h: {"object": h["object"]}, "unknown format None"),
    (lambda h: {"format": h["format"]}, "the '__mytorch__' entry has no 'object'"),
    (lambda h: dict(h, object={"pickle": "x"}), r"the description of the top level has unknown keys \['pickle'\]"),
    (lambda h: dict(h, object={"array": 5}), "an entry name must be a string, got 5"),
    (lambda h: dict(h, object={"list": 5}), "the list at the top level is 5, not a list"),
    # A crafted value is shown cut to 60 characters of its repr, the last three '...'.
    (lambda h: dict(h, format="x" * 100), r"unknown format '" + "x" * 56 + r"\.\.\., expected"),
])
def test_an_unknown_checkpoint_header_is_refused(checkpoint, change, reason):
    _rewrite(checkpoint, header=change(_header(checkpoint)))
    _refused(checkpoint, reason)


@pytest.mark.parametrize("header, shown", [(np.arange(2), r"int64 of shape \(2,\)"),
                                           (np.array(7), r"int64 of shape \(\)"),
                                           (np.array(["{}", "{}"]), r"<U2 of shape \(2,\)")])
def test_a_header_that_is_not_one_string_is_refused(checkpoint, header, shown):
    arrays = _arrays(checkpoint)
    arrays["__mytorch__"] = header
    np.savez(checkpoint, **arrays)
    _refused(checkpoint, rf"the '__mytorch__' entry is not a string but {shown}")


def test_an_entry_compressed_another_way_is_refused(checkpoint):
    arrays = _arrays(checkpoint)
    with zipfile.ZipFile(checkpoint, "w", compression=zipfile.ZIP_BZIP2) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)
    _refused(checkpoint, r"the entry '.*\.npy' uses compression method 12; a checkpoint is stored "
                         "or deflated")


def test_an_entry_of_an_unknown_npy_version_is_refused(checkpoint):
    arrays = _arrays(checkpoint)
    with zipfile.ZipFile(checkpoint, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as entry:
                np.lib.format.write_array(entry, array, version=(3, 0) if name == "w" else None,
                                          allow_pickle=False)
    _refused(checkpoint, r"the entry 'w\.npy' is a \.npy file of version \(3, 0\), which save "
                         "does not write")


def test_a_field_name_that_is_not_ascii_is_refused_on_save(tmp_path):
    path = tmp_path / "checkpoint.npz"
    with pytest.raises(TypeError, match=r"save: the array at .* has a field name that is not ASCII"):
        mytorch.save({"table": np.zeros(2, dtype=[("größe", "f8")])}, path)
    assert not path.exists()
    mytorch.save({"table": np.zeros(2, dtype=[("size", "f8")])}, path)
    assert mytorch.load(path)["table"].dtype.names == ("size",)


@pytest.mark.parametrize("nest", [lambda obj: [obj], lambda obj: (obj,), lambda obj: {"a": obj}],
                         ids=["list", "tuple", "dict"])
def test_a_checkpoint_nested_exactly_as_deep_as_allowed_loads(tmp_path, nest):
    """mytorch.serialization.MAX_DEPTH levels of any container save and load back (the
    reader's bound on the header's text must leave room for them); one more level is
    refused at save, naming where."""
    from mytorch.serialization import MAX_DEPTH
    deepest = mytorch.ones(2)
    for _ in range(MAX_DEPTH):
        deepest = nest(deepest)
    path = tmp_path / "deep.npz"
    mytorch.save(deepest, path)
    back = mytorch.load(path)
    for _ in range(MAX_DEPTH):
        back = back["a"] if isinstance(back, dict) else back[0]
    np.testing.assert_array_equal(back.data, np.ones(2))
    with pytest.raises(ValueError, match=f"is nested deeper than {MAX_DEPTH}"):
        mytorch.save(nest(deepest), tmp_path / "deeper.npz")
    assert not (tmp_path / "deeper.npz").exists()


def test_one_byte_and_empty_arrays_round_trip(tmp_path):
    """An array of one byte is read back, not taken for an empty one (which is made, not read)."""
    state = {"flag": np.array([True]), "byte": np.array(7, np.uint8), "small": np.array([-3], np.int8),
             "none": np.zeros((0, 3)), "scalar": np.float32(2.5)}
    mytorch.save(state, tmp_path / "c.npz")
    back = mytorch.load(tmp_path / "c.npz")
    for key, value in state.items():
        np.testing.assert_array_equal(back[key], value)
        assert np.asarray(back[key]).dtype == np.asarray(value).dtype and np.shape(back[key]) == np.shape(value), key
