"""mytorch.load on mutated checkpoints: bit flips, cuts, overwritten bytes, and edits of
the JSON header and of the arrays' .npy headers in an archive that is otherwise intact.

Each case must either load correctly or raise a ValueError naming the file: never
another exception, a crash, a hang or a large allocation. Seeded, a few hundred cases,
under a second or two."""
import io
import tracemalloc
import zipfile

import numpy as np
import pytest

import mytorch
from mytorch import Tensor

SEED = 19
CASES = 100  # per kind of mutation: 500 in all
MEMORY_LIMIT = 32 * 2**20  # bytes: the checkpoints are a few KB


def _checkpoint():
    rng = np.random.default_rng(0)
    return {
        "model": {"0.weight": rng.standard_normal((4, 3)), "0.bias": np.zeros(4, np.float32),
                  "1.running_mean": np.asfortranarray(rng.standard_normal((2, 3)))},
        "optimizer": {"state": {0: {"step": 3, "momentum": rng.standard_normal(4)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": True}]},
        "epoch": np.int64(7), "name": "mlp [v2] {a}", "none": None,
        "tensor": Tensor(np.arange(3.0), requires_grad=True),
        "labels": np.arange(5, dtype=np.uint8),
        "words": np.array(["ab", "c"]), "empty": np.zeros((0, 2)),
    }


def _same(a, b):
    """a and b are equal, types, dtypes and key types included."""
    if isinstance(a, Tensor):
        return (isinstance(b, Tensor) and a.requires_grad == b.requires_grad
                and _same(a.data, b.data))
    if isinstance(a, (np.ndarray, np.generic)):
        return (type(a) is type(b) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
                and np.array_equal(a, b))
    if isinstance(a, dict):
        return (isinstance(b, dict) and [(type(k), k) for k in a] == [(type(k), k) for k in b]
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _well_formed(obj, depth=0):
    """Only what a checkpoint can hold: what load may return for an edited but valid header."""
    assert depth <= mytorch.serialization.MAX_DEPTH
    if isinstance(obj, dict):
        return all(isinstance(k, (str, int)) and not isinstance(k, bool)
                   and _well_formed(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return all(_well_formed(v, depth + 1) for v in obj)
    if isinstance(obj, (np.ndarray, np.generic)):
        return not np.asarray(obj).dtype.hasobject
    if isinstance(obj, Tensor):
        return _well_formed(obj.data, depth)
    return obj is None or isinstance(obj, (bool, int, float, str))


def _entries(raw):
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pack(entries):
    """A well-formed archive (right sizes and CRCs) of `entries`: edits reach the reader."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy_parts(data):
    """(header text, payload) of a version 1.0 .npy file."""
    length = int.from_bytes(data[8:10], "little")
    return data[10:10 + length].decode("latin1"), data[10 + length:]


def _npy(header, payload):
    text = header.rstrip().encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + payload


# ---------------------------------------------------------------------- mutations

def flip_bits(raw, rng):
    data = bytearray(raw)
    for position in rng.integers(0, len(data) * 8, rng.integers(1, 4)):
        data[position // 8] ^= 1 << (position % 8)
    return bytes(data)


def cut(raw, rng):
    """The end cut off, or a span cut out of the middle (the zip's end record stays)."""
    start = int(rng.integers(0, len(raw)))
    if rng.random() < 0.5:
        return raw[:start]
    return raw[:start] + raw[start + int(rng.integers(1, 200)):]


def overwrite(raw, rng):
    """Random bytes over a random span; a third of the time over the file's start."""
    data = bytearray(raw)
    start = 0 if rng.random() < 1 / 3 else int(rng.integers(0, len(data)))
    length = int(rng.integers(1, 64))
    data[start:start + length] = rng.integers(0, 256, len(data[start:start + length]),
                                              dtype=np.uint8).tobytes()
    return bytes(data)


JSON_PIECES = ['{', '}', '[', ']', '"', ',', ':', '0', '-1', '1e999', 'true', 'null',
               '"dict"', '"list"', '"tuple"', '"array"', '"scalar"', '"tensor"', '"value"',
               '"requires_grad"', '"model/0.weight"', '"epoch"', '{"x": 1}', '[[1, 2]]',
               '\\', '"\\u0000"', '1' * 5000, '[' * 5000, '{"dict": [[' * 400]


def edit_header(raw, rng):
    """One edit of the JSON text, in an archive that is otherwise intact."""
    entries = _entries(raw)
    text = str(np.lib.format.read_array(io.BytesIO(entries["__mytorch__.npy"])))
    start = int(rng.integers(0, len(text)))
    end = start + int(rng.integers(0, 12))
    kind = rng.integers(0, 3)
    if kind == 0:
        text = text[:start] + JSON_PIECES[rng.integers(len(JSON_PIECES))] + text[end:]
    elif kind == 1:
        text = text[:start] + text[end:]
    else:
        text = text[:start] + text[start:end] * int(rng.integers(2, 4)) + text[end:]
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(text), allow_pickle=False)
    entries["__mytorch__.npy"] = buffer.getvalue()
    return _pack(entries)


NPY_EDITS = [("'shape': (", "'shape': (1000000000000, "), ("'shape': (", "'shape': (2, "),
             ("'shape': (", "'shape': (-1, "), ("'shape': (", "'shape': ((("),
             ("'descr': '", "'descr': '|O"), ("'descr': '", "'descr': '>"),
             ("'descr': '", "'descr': 'V"), ("'fortran_order': False", "'fortran_order': True"),
             ("'fortran_order': True", "'fortran_order': False"),
             ("{", "{'extra': 1, "), ("'", '"')]


def edit_npy_header(raw, rng):
    """One edit of an array's .npy header (shape, dtype, layout), sizes and CRCs intact."""
    entries = _entries(raw)
    name = sorted(entries)[rng.integers(len(entries))]
    header, payload = _npy_parts(entries[name])
    edits = [(old, new) for old, new in NPY_EDITS if old in header]
    old, new = edits[rng.integers(len(edits))]
    entries[name] = _npy(header.replace(old, new, 1), payload)
    return _pack(entries)


MUTATIONS = [flip_bits, cut, overwrite, edit_header, edit_npy_header]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda mutate: mutate.__name__)
def test_a_mutated_checkpoint_loads_correctly_or_is_a_value_error_naming_it(tmp_path, mutate):
    original = _checkpoint()
    path = tmp_path / "checkpoint.npz"
    mytorch.save(original, path)
    raw = path.read_bytes()
    rng = np.random.default_rng([SEED, MUTATIONS.index(mutate)])
    outcomes = {"loaded": 0, "refused": 0}
    tracemalloc.start()
    try:
        for case in range(CASES):
            mutated = mutate(raw, rng)
            path.write_bytes(mutated)
            try:
                back = mytorch.load(path)
            except ValueError as exc:
                assert str(path) in str(exc), f"case {case}: {exc}"
                assert "allow_pickle" not in str(exc), f"case {case}: {exc}"
                outcomes["refused"] += 1
                continue
            except Exception as exc:  # noqa: BLE001  anything else is the bug being looked for
                pytest.fail(f"{mutate.__name__} case {case}: {type(exc).__name__}: {exc}")
            outcomes["loaded"] += 1
            if mutate in (flip_bits, cut, overwrite):
                # Bytes changed in place: what loads must be the original (CRCs guard it).
                assert _same(original, back), f"{mutate.__name__} case {case} loaded changed data"
            else:
                assert _well_formed(back), f"{mutate.__name__} case {case}: {back!r}"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"{mutate.__name__}: {peak} bytes at the peak"
    assert outcomes["refused"] > CASES // 4, outcomes  # the mutations do reach the checks

