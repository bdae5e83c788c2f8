"""Checkpoints: `save` and `load` nested dicts of arrays and numbers as a NumPy .npz file.

    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": 3}, "checkpoint.npz")
    checkpoint = mytorch.load("checkpoint.npz")

The file is an ordinary .npz archive: each array is an entry named by its path in the
object ("model/0.weight"), and one more entry, `__mytorch__`, holds the structure as
JSON text (the dicts, lists and tuples, the keys with their types, and the numbers,
strings, bools and Nones). Loading reads it with `allow_pickle=False`, so a checkpoint
can hold data only, never code, unlike a pickle (`torch.load`'s default in older PyTorch).
"""
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Dict

import numpy as np

from mytorch.files import PathLike, write_atomically
from mytorch.tensor import Tensor

_HEADER = "__mytorch__"
_FORMAT = "mytorch checkpoint 1"


def save(obj: Any, path: PathLike) -> None:
    """Write `obj` to `path` as a .npz archive, atomically: the file appears whole or not at all.

    Args:
        obj: dicts (string or integer keys), lists and tuples of ndarrays, Tensors (stored
            as their data and `requires_grad`), NumPy scalars, Python numbers, strings,
            bools and None, nested to any depth.
        path: the file to write (written as given: no suffix is added). Its folder must exist.

    Raises:
        TypeError: naming the path inside `obj` of a value that cannot be stored (such
            as an arbitrary object, or an array of Python objects); nothing is written.
        FileNotFoundError: the folder of `path` does not exist.
    """
    arrays: Dict[str, np.ndarray] = {}
    structure = _encode(obj, "", arrays)
    arrays[_HEADER] = np.array(json.dumps({"format": _FORMAT, "object": structure}))
    write_atomically(path, lambda file: _write_npz(file, arrays))


def load(path: PathLike) -> Any:
    """Read back what `save` wrote, without unpickling anything.

    Arrays come back as ndarrays, Tensors as Tensors, NumPy scalars as NumPy scalars,
    tuples as tuples, and dict keys with their types (so an optimizer's integer keys stay
    integers).

    Raises:
        FileNotFoundError: there is no file at `path`.
        ValueError: `path` is not a file written by `save`, or it is damaged.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"load: no such file: {str(path)!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"load: {str(path)!r} is not a checkpoint written by mytorch.save "
                         "(not an .npz archive)")
    with np.load(path, allow_pickle=False) as archive:
        if _HEADER not in archive.files:
            raise ValueError(f"load: {str(path)!r} is an .npz archive but not a checkpoint written "
                             f"by mytorch.save (it has no {_HEADER!r} entry); read it with np.load")
        try:
            header = json.loads(str(archive[_HEADER]))
            if header.get("format") != _FORMAT:
                raise ValueError(f"unknown format {header.get('format')!r}")
            return _decode(header["object"], archive)
        except (KeyError, TypeError, ValueError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"load: {str(path)!r} is damaged: {exc}") from None


def _write_npz(file: BinaryIO, arrays: Dict[str, np.ndarray]) -> None:
    """What `np.savez` writes, one `.npy` entry per array, without its keyword clashes
    (a key called 'file' or 'allow_pickle') and never pickling."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def _encode(obj: Any, path: str, arrays: Dict[str, np.ndarray]) -> Dict[str, Any]:
    """The JSON description of `obj`, putting its arrays into `arrays` under names from `path`."""
    if isinstance(obj, Mapping):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: dict keys must be strings or integers, got {key!r} "
                                f"in {path or 'the top-level dict'}")
            items.append([key, _encode(value, f"{path}/{key}" if path else str(key), arrays)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(value, f"{path}/{index}", arrays) for index, value in enumerate(obj)]}
    if isinstance(obj, Tensor):
        return {"tensor": _store(obj.data, path, arrays), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"array": _store(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _store(np.asarray(obj), path, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"save: cannot store a {type(obj).__name__} (at {path or 'the top level'!r}); "
                    "a checkpoint holds dicts, lists, tuples, arrays, Tensors, numbers and strings")


def _store(array: np.ndarray, path: str, arrays: Dict[str, np.ndarray]) -> str:
    """Add `array` to `arrays` under a name from `path` no other entry has; return the name."""
    if array.dtype.hasobject:
        raise TypeError(f"save: the array at {path!r} holds Python objects (dtype {array.dtype}), "
                        "which cannot be stored without pickle")
    name, count = path or "array", 1
    while name in arrays or name == _HEADER:
        count += 1
        name = f"{path}#{count}"
    arrays[name] = array
    return name


def _decode(node: Dict[str, Any], archive: Any) -> Any:
    """Rebuild the object that `_encode` described as `node`."""
    (kind, content), *rest = node.items()
    if kind == "dict":
        return {key: _decode(value, archive) for key, value in content}
    if kind in ("list", "tuple"):
        values = [_decode(value, archive) for value in content]
        return tuple(values) if kind == "tuple" else values
    if kind == "tensor":
        return Tensor(archive[content], requires_grad=dict(rest)["requires_grad"])
    if kind == "array":
        return archive[content]
    if kind == "scalar":
        return archive[content][()]
    if kind == "value":
        return content
    raise ValueError(f"unknown entry {kind!r}")
