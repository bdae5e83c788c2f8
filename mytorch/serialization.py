"""Checkpoints: `save` and `load` nested dicts of arrays and numbers as a NumPy .npz file.

    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": 3}, "checkpoint.npz")
    checkpoint = mytorch.load("checkpoint.npz")

The file is an ordinary .npz archive: each array is an entry named by its path in the
object ("model/0.weight"), and one more entry, `__mytorch__`, holds the structure as
JSON text (the dicts, lists and tuples, the keys with their types, and the numbers,
strings, bools and Nones). A checkpoint holds data only, never code, unlike a pickle
(`torch.load`'s default in older PyTorch): `load` reads the archive itself, refuses any
entry of Python objects, and checks every size the file claims before allocating it, so a
damaged, cut or crafted file is a `ValueError` naming it, never a crash or a huge allocation.
"""
import json
import math
import re
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Optional, Set, Tuple

import numpy as np

from mytorch import checks, devices
from mytorch.files import PathLike, write_atomically
from mytorch.tensor import Tensor

_HEADER = "__mytorch__"
_FORMAT = "mytorch checkpoint 1"
# Dicts, lists and tuples nest at most this deep; each level is at most 3 levels of the
# JSON header, so a crafted header cannot make the reader recurse without bound.
MAX_DEPTH = 100
_JSON_DEPTH = 3 * MAX_DEPTH + 2
_ENTRY_NAME_LENGTH = 100  # characters of a key kept in its entry's name (any file system takes it)
_DEFLATE_RATIO = 1032  # deflate's largest possible expansion: the most a 1-byte entry can claim
_ZIP_MAGIC = b"PK\x03\x04"
_PIECE = 1 << 18  # bytes read at a time from an entry (np.load's piece)
# What a damaged file makes zipfile, the .npy reader and json raise (a truncated archive
# can make zipfile seek before the start: OSError EINVAL).
_DAMAGE = (zipfile.BadZipFile, OSError, EOFError, ValueError, TypeError, KeyError,
           IndexError, OverflowError, NotImplementedError, RuntimeError, zlib.error)


class _NotACheckpoint(Exception):
    """A readable file that `save` did not write (as opposed to a damaged checkpoint)."""


def save(obj: Any, path: PathLike) -> None:
    """Write `obj` to `path` as a .npz archive, atomically: the file appears whole or not at all.

    A new file gets the permissions the umask gives (as `open` does); a file that is
    replaced keeps its own.

    Any string or integer can be a dict key, and comes back from `load` as it was. The
    archive's entry names are made from the keys with every character other than ASCII
    letters, digits, '.', '_' and '-' replaced by '_', a name of only dots by '_'s, each
    key cut to 100 characters and '#2', '#3', ... added where two names clash, so
    unzipping a checkpoint never writes outside its folder (a key '../../x' is the entry
    '.._.._x.npy', one file).

    Args:
        obj: dicts (string or integer keys), lists and tuples of ndarrays, Tensors (stored
            as their data and `requires_grad`), NumPy scalars, Python numbers, strings,
            bools and None, nested at most `MAX_DEPTH` (100) deep.
        path: the file to write (written as given: no suffix is added). Its folder must exist.

    Raises:
        TypeError: naming the path inside `obj` of a value that cannot be stored (such
            as an arbitrary object, or an array of Python objects); nothing is written.
        ValueError: `obj` contains itself (a dict holding itself, say) or nests deeper
            than `MAX_DEPTH`; the message names where; nothing is written.
        FileNotFoundError: the folder of `path` does not exist.
    """
    arrays: Dict[str, np.ndarray] = {}
    structure = _encode(obj, (), (), arrays, {})
    arrays[_HEADER] = np.array(json.dumps({"format": _FORMAT, "object": structure}))
    write_atomically(path, lambda file: _write_npz(file, arrays))


def load(path: PathLike, map_location: Any = None, *, weights_only: Optional[bool] = None) -> Any:
    """Read back what `save` wrote, without unpickling anything.

    Arrays come back as ndarrays, Tensors as Tensors, NumPy scalars as NumPy scalars,
    tuples as tuples, and dict keys with their types (so an optimizer's integer keys stay
    integers).

    `map_location` and `weights_only` are PyTorch's: the location must be the CPU (a
    device, "cpu", or None), and a checkpoint here holds data only, whatever
    `weights_only` says (PyTorch's weights_only=True reads the same kind of file).

    Raises:
        FileNotFoundError: there is no file at `path`.
        ValueError: naming `path` and what is wrong, when it is not a file written by
            `save` (another kind of file, a plain .npz) or it is damaged: cut short, bytes
            changed, an entry of Python objects, a size or a nesting depth that does not
            fit the file.
    """
    devices.as_device("load: map_location", map_location)
    if weights_only is not None:
        checks.boolean("load: weights_only", weights_only)
    name = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"load: no such file: {name!r}")
    with open(path, "rb") as file:
        try:
            return _read_checkpoint(file)
        except _NotACheckpoint as exc:
            raise ValueError(f"load: {name!r} is not a checkpoint written by mytorch.save "
                             f"({exc})") from None
        except _DAMAGE as exc:
            reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            raise ValueError(f"load: {name!r} is damaged: {reason}") from None


# ---------------------------------------------------------------------- writing

def _write_npz(file: BinaryIO, arrays: Dict[str, np.ndarray]) -> None:
    """What `np.savez` writes, one `.npy` entry per array, without its keyword clashes
    (a key called 'file' or 'allow_pickle') and never pickling."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def _encode(obj: Any, keys: Tuple[Any, ...], names: Tuple[str, ...],
            arrays: Dict[str, np.ndarray], active: Dict[int, Tuple[Any, ...]]) -> Dict[str, Any]:
    """The JSON description of `obj`, found at `keys` inside the saved object, putting its
    arrays into `arrays` under the entry names `names`.

    `active` maps the ids of the containers on the way from the top to `obj` (alive for
    the whole call, so their ids cannot be reused) to their keys: meeting one again is a
    cycle.
    """
    if isinstance(obj, (Mapping, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: the object contains itself: the {type(obj).__name__} at "
                             f"{_where(keys)} is the one at {_where(active[id(obj)])}, and a "
                             "checkpoint cannot hold a cycle")
        if len(keys) >= MAX_DEPTH:
            raise ValueError(f"save: {_where(keys)} is nested deeper than {MAX_DEPTH} "
                             "dicts, lists and tuples")
        active[id(obj)] = keys
        try:
            if isinstance(obj, Mapping):
                items = []
                for key, value in obj.items():
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise TypeError(f"save: dict keys must be strings or integers, got "
                                        f"{key!r} in {_where(keys, 'the top-level dict')}")
                    items.append([key, _encode(value, keys + (key,), names + (_entry_name(key),),
                                               arrays, active)])
                return {"dict": items}
            kind = "tuple" if isinstance(obj, tuple) else "list"
            return {kind: [_encode(value, keys + (index,), names + (str(index),), arrays, active)
                           for index, value in enumerate(obj)]}
        finally:
            del active[id(obj)]
    if isinstance(obj, Tensor):
        return {"tensor": _store(obj.data, keys, names, arrays),
                "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"array": _store(obj, keys, names, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _store(np.asarray(obj), keys, names, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"save: cannot store a {type(obj).__name__} (at {_where(keys)}); "
                    "a checkpoint holds dicts, lists, tuples, arrays, Tensors, numbers and strings")


def _short(value: Any, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters: a crafted file's values can be huge."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _where(keys: Tuple[Any, ...], top: str = "the top level") -> str:
    """The path of `keys` as messages show it: 'model/0.weight', or `top` for ()."""
    return _short("/".join(map(str, keys)), 200) if keys else top


def _entry_name(key: Any) -> str:
    """A key as a part of an entry name: ASCII letters, digits, '.', '_' and '-' only, and
    never '', '.' or '..', so the name stays inside the folder it is unzipped into."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(key))[:_ENTRY_NAME_LENGTH]
    return name if name.strip(".") else "_" * max(len(name), 1)


def _store(array: np.ndarray, keys: Tuple[Any, ...], names: Tuple[str, ...],
           arrays: Dict[str, np.ndarray]) -> str:
    """Add `array` to `arrays` under a name from `names` no other entry has; return the name."""
    if array.dtype.hasobject:
        raise TypeError(f"save: the array at {_where(keys)} holds Python objects (dtype "
                        f"{array.dtype}), which cannot be stored without pickle")
    if any(not name.isascii() for name in array.dtype.names or ()):
        # A .npy header is Latin-1 text unless a field name needs more (format 3.0).
        raise TypeError(f"save: the array at {_where(keys)} has a field name that is not "
                        f"ASCII (dtype {array.dtype})")
    base = "/".join(names) or "array"
    name, count = base, 1
    while name in arrays or name == _HEADER:
        count += 1
        name = f"{base}#{count}"
    arrays[name] = array
    return name


# ---------------------------------------------------------------------- reading

def _read_checkpoint(file: BinaryIO) -> Any:
    """The object in the checkpoint `file`; raises one of `_DAMAGE` or `_NotACheckpoint`."""
    size = file.seek(0, 2)
    file.seek(0)
    starts_as_zip = file.read(4) == _ZIP_MAGIC
    if not zipfile.is_zipfile(file):
        if starts_as_zip:
            raise ValueError("it begins as a zip archive but its end (the central directory) "
                             "is missing: the file was cut short or overwritten")
        raise _NotACheckpoint("not an .npz archive")
    with zipfile.ZipFile(file) as archive:
        if f"{_HEADER}.npy" not in archive.namelist():
            raise _NotACheckpoint(f"an .npz or zip archive without a {_HEADER!r} entry; if it "
                                  "is an .npz of arrays, read it with np.load")
        reader = _EntryReader(archive, size)
        header = reader.array(_HEADER)
        if header.shape != () or header.dtype.kind != "U":
            raise ValueError(f"the {_HEADER!r} entry is not a string but {header.dtype} "
                             f"of shape {header.shape}")
        text = str(header)
        if _json_depth(text) > _JSON_DEPTH:
            raise ValueError(f"the {_HEADER!r} entry nests deeper than a checkpoint can "
                             f"({MAX_DEPTH} dicts, lists and tuples)")
        content = json.loads(text)
        if not isinstance(content, dict) or content.get("format") != _FORMAT:
            found = content.get("format") if isinstance(content, dict) else content
            raise ValueError(f"unknown format {_short(found)}, expected {_FORMAT!r}")
        if "object" not in content:
            raise ValueError(f"the {_HEADER!r} entry has no 'object'")
        return _decode(content["object"], reader, ())


def _json_depth(text: str) -> int:
    """How deeply JSON `text` nests arrays and objects, found without recursing."""
    skeleton = re.sub(r'"[^"\\]*(?:\\.[^"\\]*)*"', "", text)  # strings may hold brackets
    codes = np.frombuffer(skeleton.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    steps = (np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
             - np.isin(codes, (ord("]"), ord("}"))))
    return int(np.cumsum(steps).max(initial=0))


class _EntryReader:
    """Reads the archive's .npy entries, each at most once, checking every size it claims
    against the archive before allocating anything."""

    def __init__(self, archive: zipfile.ZipFile, size: int) -> None:
        self.archive = archive
        self.size = size
        self.read: Set[str] = set()

    def array(self, name: str) -> np.ndarray:
        if not isinstance(name, str):
            raise ValueError(f"an entry name must be a string, got {_short(name)}")
        if name in self.read:
            # save never shares an entry; a header naming one many times could make a
            # small file fill the memory
            raise ValueError(f"the entry {_short(name)} is used twice")
        self.read.add(name)
        try:
            info = self.archive.getinfo(f"{name}.npy")
        except KeyError:
            raise ValueError(f"the entry {_short(name + '.npy')} is missing") from None
        self._check_sizes(info)
        with self.archive.open(info) as entry:
            shape, fortran_order, dtype = _read_npy_header(entry, info.filename)
            if dtype.hasobject:
                raise ValueError(f"the entry {_short(info.filename)} holds Python objects (dtype "
                                 f"{dtype}), which a checkpoint never does")
            # Python ints: NumPy's product wraps around, so a crafted shape could seem small.
            claimed = math.prod(shape) * dtype.itemsize
            found = info.file_size - entry.tell()
            if claimed != found:
                raise ValueError(f"the entry {_short(info.filename)} claims {claimed} bytes (shape "
                                 f"{shape}, dtype {dtype}) but holds {found}")
            data = _read_exactly(entry, claimed, info.filename)
        if claimed == 0:
            return np.zeros(shape, dtype)
        return data.view(dtype).reshape(shape, order="F" if fortran_order else "C")

    def _check_sizes(self, info: zipfile.ZipInfo) -> None:
        """The entry's stored bytes lie inside the file and could expand to what it claims."""
        if info.header_offset + info.compress_size > self.size:
            raise ValueError(f"the entry {_short(info.filename)} runs past the end of the file "
                             f"({self.size} bytes): the file was cut short")
        if info.compress_type == zipfile.ZIP_STORED:
            most = info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:  # np.savez_compressed
            most = info.compress_size * _DEFLATE_RATIO
        else:
            raise ValueError(f"the entry {_short(info.filename)} uses compression method "
                             f"{info.compress_type}; a checkpoint is stored or deflated")
        if info.file_size > most:
            raise ValueError(f"the entry {_short(info.filename)} claims {info.file_size} bytes but "
                             f"the archive holds at most {most} for it")


def _read_exactly(entry: BinaryIO, size: int, name: str) -> np.ndarray:
    """The `size` bytes left in `entry` as a uint8 array, read in pieces as `np.load` reads
    them (one copy in memory, not two); reading to the end makes zipfile check the CRC."""
    data = np.empty(size, np.uint8)
    filled = 0
    while filled < size:
        piece = entry.read(min(size - filled, _PIECE))
        if not piece:
            raise ValueError(f"the entry {_short(name)} ends after {filled} of its {size} bytes")
        data[filled:filled + len(piece)] = np.frombuffer(piece, np.uint8)
        filled += len(piece)
    if entry.read(1):
        raise ValueError(f"the entry {_short(name)} holds more than its {size} bytes")
    return data


def _read_npy_header(entry: BinaryIO, name: str) -> Tuple[Tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from the .npy header at the start of `entry`."""
    version = np.lib.format.read_magic(entry)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"the entry {_short(name)} is a .npy file of version {version}, "
                         "which save does not write")
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    try:
        return read_header(entry)
    # NumPy parses the header's Python literal with tokenize and ast; what a crafted one
    # makes them raise differs between versions (ValueError, SyntaxError, TokenError, ...).
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"the entry {_short(name)} has a bad .npy header: "
                         f"{type(exc).__name__}: {exc}") from None


_NODE_KEYS = {"dict": {"dict"}, "list": {"list"}, "tuple": {"tuple"}, "array": {"array"},
              "scalar": {"scalar"}, "value": {"value"}, "tensor": {"tensor", "requires_grad"}}


def _decode(node: Any, reader: _EntryReader, keys: Tuple[Any, ...]) -> Any:
    """Rebuild the object that `_encode` described as `node`, found at `keys`."""
    if not isinstance(node, dict) or not node:
        raise ValueError(f"the description of {_where(keys)} is {_short(node)}, not an entry")
    kind = next(iter(node))
    if _NODE_KEYS.get(kind) != set(node):
        raise ValueError(f"the description of {_where(keys)} has unknown keys "
                         f"{_short(sorted(map(str, node)))}")
    content = node[kind]
    if kind in ("dict", "list", "tuple"):
        if len(keys) >= MAX_DEPTH:
            raise ValueError(f"{_where(keys)} is nested deeper than {MAX_DEPTH} levels")
        if not isinstance(content, list):
            raise ValueError(f"the {kind} at {_where(keys)} is {_short(content)}, not a list")
        if kind == "dict":
            return {key: _decode(value, reader, keys + (key,))
                    for key, value in (_dict_item(item, keys) for item in content)}
        values: List[Any] = [_decode(value, reader, keys + (index,))
                             for index, value in enumerate(content)]
        return tuple(values) if kind == "tuple" else values
    if kind == "value":
        if content is not None and not isinstance(content, (bool, int, float, str)):
            raise ValueError(f"the value at {_where(keys)} is {_short(content)}, not a number, "
                             "string, bool or None")
        return content
    array = reader.array(content)
    if kind == "array":
        return array
    if kind == "scalar":
        if array.shape != ():
            raise ValueError(f"the scalar at {_where(keys)} has shape {array.shape}")
        return array[()]
    if not isinstance(node["requires_grad"], bool):
        raise ValueError(f"requires_grad of the tensor at {_where(keys)} is "
                         f"{_short(node['requires_grad'])}, not a bool")
    return Tensor(array, requires_grad=node["requires_grad"])


def _dict_item(item: Any, keys: Tuple[Any, ...]) -> Tuple[Any, Any]:
    """A [key, node] pair of a dict's description, its key a string or an integer."""
    if (not isinstance(item, list) or len(item) != 2 or isinstance(item[0], bool)
            or not isinstance(item[0], (str, int))):
        raise ValueError(f"an item of the dict at {_where(keys)} is {_short(item)}, not a "
                         "[key, entry] pair with a string or integer key")
    return item[0], item[1]
