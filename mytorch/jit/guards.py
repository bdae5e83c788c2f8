"""Guards: what must still hold for a program to stand for a call.

The signature of a call (its arguments' types, shapes, dtypes, strides and
`requires_grad`, grad mode, anomaly mode and the default dtype) is the cache key,
computed by `signature`. Everything else the trace depended on is checked by a generated
`check()` function, one boolean expression:

- each tensor the call touched still holds the same array, `requires_grad`, no hooks,
  and, if the call read it, the same `.grad`;
- each module in the trees of the modules called has the attributes it had when the
  call began (training mode, hyperparameters by value; parameters, buffers and
  submodules by identity; the same attribute names);
- each optimizer traced at the NumPy level has the same attributes, parameter groups
  (their number, their parameters, `lr` and every other hyperparameter by value) and
  state arrays (by identity: `load_state_dict` replaces them);
- the step function's globals and closure variables are the same objects (numbers by value).
"""
import functools
import keyword
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from mytorch import grad_mode
from mytorch import tensor as tensor_module
from mytorch.jit.capture import _MISSING, Trace
from mytorch.nn.module import Module
from mytorch.tensor import Tensor

_BY_VALUE = (bool, int, float, complex, str, bytes, np.generic, np.dtype)


# ------------------------------------------------------------------ the cache key

class Signature:
    """The key of a call and its flattened arguments: the arrays the replay is given
    (one per tensor or ndarray, in order) and the tensors among them."""

    __slots__ = ("key", "arrays", "tensors", "keep")

    def __init__(self) -> None:
        self.key: Any = None
        self.arrays: List[np.ndarray] = []
        self.tensors: List[Optional[Tensor]] = []
        self.keep: List[Any] = []  # objects keyed by identity, so their ids stay theirs


def signature(args: tuple, kwargs: dict) -> Signature:
    result = Signature()
    parts: List[Any] = [grad_mode._grad_enabled, grad_mode._anomaly_enabled,
                        tensor_module._default_dtype]
    for value in args:
        parts.append(_key(value, result))
    if kwargs:
        for name in sorted(kwargs):
            parts.append((name, _key(kwargs[name], result)))
    result.key = tuple(parts)
    return result


def _key(value: Any, result: Signature) -> Any:
    if isinstance(value, Tensor):
        # (Guard.matcher tests these fields, in this order, without building the tuple.)
        data = value.data
        result.arrays.append(data)
        result.tensors.append(value)
        return (type(value), data.shape, data.dtype, data.strides, data.base is None,
                value._requires_grad, value.grad_fn is None, not value._hooks)
    if isinstance(value, np.ndarray):
        result.arrays.append(value)
        result.tensors.append(None)
        return (type(value), value.shape, value.dtype, value.strides, value.base is None)
    if isinstance(value, (tuple, list)):
        return (type(value),) + tuple(_key(item, result) for item in value)
    if isinstance(value, dict):
        return (dict,) + tuple((key, _key(value[key], result)) for key in sorted(value, key=repr))
    if isinstance(value, _BY_VALUE) or value is None:
        return (type(value), value)
    result.keep.append(value)
    return ("object", id(value))


# ------------------------------------------------------------------ guard functions

class Guard:
    """What one trace depended on, and a generated `check()` that it still holds.

    Each item is (how, holder, key, expected, what): `holder[key]` (or `getattr(holder,
    key)` for "attr" items) must be `expected` ("is"), equal it ("eq"), or be falsy
    ("falsy"); "len" items check `len(holder)`. `check()` is one generated boolean
    expression, a test per item written out (`H0.data is V0 and H1['lr'] == V1 and ...`):
    the interpreter specialises each attribute read and subscript in place, which made
    it twice as fast as testing the items in C loops of `map`.
    """

    def __init__(self) -> None:
        self.items: List[Tuple[str, Any, Any, Any, str]] = []
        self.check: Callable[[], bool] = lambda: True
        self._seen: set = set()

    def add(self, how: str, holder: Any, key: Any, expected: Any, what: str) -> None:
        marker = (how, id(holder), key if isinstance(key, (str, int)) else id(key))
        if marker not in self._seen:
            self._seen.add(marker)
            self.items.append((how, holder, key, expected, what))

    def value(self, holder: Any, key: Any, value: Any, what: str, depth: int = 0,
              attribute: bool = False) -> None:
        """Items that `holder[key]` (an attribute with attribute=True) is still `value`:
        numbers and strings by value, lists and dicts item by item, the rest by identity."""
        prefix = "attr " if attribute else ""
        if value is None or isinstance(value, bool):
            self.add(prefix + "is", holder, key, value, what)
        elif isinstance(value, _BY_VALUE) or (isinstance(value, tuple) and all(
                isinstance(item, _BY_VALUE) or item is None for item in value)):
            self.add(prefix + "eq", holder, key, value, what)
        else:
            self.add(prefix + "is", holder, key, value, what)
            if isinstance(value, (list, dict)) and depth < 3:
                self.add("len", value, None, len(value), f"the length of {what}")
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for item_key, item in items:
                    self.value(value, item_key, item, f"{what}[{_label(item_key)}]", depth + 1)

    def compile(self) -> None:
        namespace: Dict[str, Any] = {}
        self.check = _test_function("check", "", self._expression(namespace), namespace)

    def matcher(self, signature: "Signature", args: tuple, kwargs: dict) -> Optional[Callable[..., bool]]:
        """For a call whose arguments are all Tensors (a training step's batch and labels),
        a generated `matches(*arguments)`: whether another call's arguments have this
        call's `signature` (as it was when the call began) and this guard holds, in one
        expression. After a replay's NumPy work both are cold in the CPU's caches, where
        `signature`'s tuples and the cache's dict cost three times what direct tests do.
        None for other calls: they take `signature` and `check`."""
        if kwargs or not args or len(signature.tensors) != len(args) or \
                not all(isinstance(arg, Tensor) for arg in args):
            return None
        grad_enabled, anomaly, default_dtype, *keys = signature.key
        namespace: Dict[str, Any] = {"GM": grad_mode, "TM": tensor_module, "GRAD": grad_enabled,
                                     "ANOMALY": anomaly, "DEFAULT": default_dtype}
        tests = ["GM._grad_enabled is GRAD", "GM._anomaly_enabled is ANOMALY",
                 "TM._default_dtype is DEFAULT"]
        for i, key in enumerate(keys):
            # `_key`'s fields of a Tensor, named A*: the items use H, V and K. A dtype is
            # tested by identity: an equal one of another identity takes the slower path.
            namespace.update({f"A{name}{i}": value for name, value in zip("CSDRBQGH", key)})
            a, d = f"a{i}", f"d{i}"
            tests.append(f"type({a}) is AC{i} and ({d} := {a}.data).shape == AS{i} "
                         f"and {d}.dtype is AD{i} and {d}.strides == AR{i} "
                         f"and ({d}.base is None) is AB{i} and {a}._requires_grad is AQ{i} "
                         f"and ({a}.grad_fn is None) is AG{i} and (not {a}._hooks) is AH{i}")
        expression = " and ".join(tests) + "\n            and " + self._expression(namespace)
        parameters = ", ".join(f"a{i}" for i in range(len(keys)))
        return _test_function("matches", parameters, expression, namespace)

    def _expression(self, namespace: Dict[str, Any]) -> str:
        """The items' tests as one Python expression; the objects it names go in `namespace`."""
        tests = []
        for index, (how, holder, key, expected, _) in enumerate(self.items):
            holder_name, value_name = f"H{index}", f"V{index}"
            namespace[holder_name], namespace[value_name] = holder, expected
            if how == "len":
                tests.append(f"len({holder_name}) == {value_name}")
                continue
            if how.startswith("attr"):
                read = (f"{holder_name}.{key}" if key.isidentifier() and not keyword.iskeyword(key)
                        else f"getattr({holder_name}, {key!r})")
            elif type(key) in (str, int):
                read = f"{holder_name}[{key!r}]"
            else:
                namespace[f"K{index}"] = key
                read = f"{holder_name}[K{index}]"
            if how.endswith("eq"):  # identity first, as tuple comparison does (a NaN equals itself)
                tests.append(f"({read} is {value_name} or {read} == {value_name})")
            else:
                tests.append(f"not {read}" if how.endswith("falsy") else f"{read} is {value_name}")
        return "\n            and ".join(tests) or "True"

    def failed(self) -> Optional[str]:
        """What the items that no longer hold check ('SGD.lr, BatchNorm1d.is_train'), or None."""
        failures: List[str] = []
        for how, holder, key, expected, what in self.items:
            try:
                if how == "len":
                    holds = len(holder) == expected
                else:
                    value = getattr(holder, key) if how.startswith("attr") else holder[key]
                    holds = (value is expected if how.endswith("is") else
                             not value if how.endswith("falsy") else bool(value == expected))
            except Exception:
                holds = False
            if not holds and what not in failures:
                failures.append(what)
        return ", ".join(failures) or None


def _test_function(name: str, parameters: str, expression: str,
                   namespace: Dict[str, Any]) -> Callable[..., bool]:
    """A generated `name(parameters)` that returns bool(expression), the names it reads
    bound in `namespace`, and False where evaluating it raises (a holder that lost a key)."""
    source = (f"def {name}({parameters}):\n    try:\n        return bool({expression})\n"
              f"    except Exception:\n        return False\n")
    exec(compile(source, "<mytorch.compile guard>", "exec"), namespace)
    return namespace[name]


def build(trace: Trace, globals_: List[Tuple[str, Any, Any, Any]], opaque: List[Any]) -> Guard:
    """The guard of a trace.

    Args:
        trace: the traced call.
        globals_: (description, holder, key, value) of each global or closure variable the
            step function reads, as `snapshot_globals` found them when the call began.
        opaque: optimizers whose step the replay calls as is (their state is theirs).
    """
    guard = Guard()
    for record in trace.touched.values():
        if record.argument is not None:
            continue
        tensor = record.tensor
        what = f"of a tensor of shape {tensor.shape}"
        if record.data is not None:
            guard.add("attr is", tensor, "data", record.data, f"the array {what}")
        guard.add("attr is", tensor, "_requires_grad", record.requires_grad,
                  f"requires_grad {what}")
        guard.add("attr falsy", tensor, "_hooks", None, f"the hooks {what}")
        if record.grad_read:
            guard.add("attr is", tensor, "grad", record.grad, f"the .grad {what}")
    opaque_ids = {id(optimizer) for optimizer in opaque}
    for (_, name), (owner, value) in trace.reads.items():
        if id(owner) in opaque_ids:
            continue
        label = f"{type(owner).__name__}.{name}"
        guard.value(vars(owner), name, value, label)
    for module in trace.modules:
        guard.add("len", vars(module), None, _entry_size(module, trace),
                  f"the attributes of a {type(module).__name__}")
    for what, holder, key, value in globals_:
        guard.value(holder, key, value, what, attribute=isinstance(holder, _CellType))
    guard.compile()
    return guard


def _label(key: Any) -> str:
    """A short name for a container's key: a parameter (optimizer state is keyed by them)
    by its shape, not its values."""
    if isinstance(key, (str, int)):
        return repr(key)
    if isinstance(key, Tensor):
        return f"<tensor of shape {key.shape}>"
    return f"<{type(key).__name__}>"


def _entry_size(module: Module, trace: Trace) -> int:
    """How many attributes the module had when the call began."""
    size = len(vars(module))
    for (key, name), entry in trace.module_entry.items():
        if key == id(module):
            size += (entry is not _MISSING) - (name in vars(module))
    return size


def snapshot_globals(fn: Callable) -> List[Tuple[str, Any, Any, Any]]:
    """(description, holder, key, value) of each global name the function's code reads
    that its globals define (holder: the globals dict), and of each closure variable
    (holder: its cell, key "cell_contents", read as an attribute)."""
    found: List[Tuple[str, Any, Any, Any]] = []
    while isinstance(fn, functools.partial):  # its own arguments are fixed objects
        fn = fn.func
    if not hasattr(fn, "__code__") and not hasattr(fn, "__func__") and hasattr(fn, "__call__"):
        fn = fn.__call__  # an object's __call__: a method, whose object is guarded below
    function = getattr(fn, "__func__", fn)
    code = getattr(function, "__code__", None)
    if code is None:
        return found
    namespace = getattr(function, "__globals__", {})
    for name in code.co_names:
        if name in namespace:
            found.append((f"global {name!r}", namespace, name, namespace[name]))
    for name, cell in zip(code.co_freevars, function.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # not yet assigned
            continue
        found.append((f"closure variable {name!r}", cell, "cell_contents", value))
    owner = getattr(fn, "__self__", None)
    if owner is not None and hasattr(owner, "__dict__") and not isinstance(owner, type):
        state = vars(owner)
        for name, value in state.items():
            found.append((f"{type(owner).__name__}.{name} (of the step's object)", state, name, value))
    return found


_CellType = type((lambda value: lambda: value)(None).__closure__[0])
