"""Factories: new tensors from data, from a shape, or shaped like another tensor, as
`torch.tensor`, `torch.zeros`, `torch.rand`, `torch.zeros_like`, ...

Every factory takes PyTorch's `dtype=`, `device=` and `requires_grad=`. dtypes are
PyTorch's rules: Python floats (and float factories such as `rand`) give the default
dtype (`get_default_dtype`), Python ints int64, bools bool; an ndarray keeps its own.
The device is the CPU (`devices.as_device`). Only a float tensor may require grad, as
in PyTorch. Random draws come from `np.random` (seeded by `mytorch.manual_seed`) or
from the `generator=` given.
"""
import math
import numbers
from typing import Any, Callable, Optional, Tuple

import numpy as np

from mytorch import checks, random
from mytorch.devices import as_device
from mytorch.tensor import Tensor, get_default_dtype


def _finish(op: str, array: np.ndarray, device: Any, requires_grad: Any) -> Tensor:
    """The factory's result: on the CPU, requiring grad if asked (float dtypes only)."""
    as_device(f"{op}: device", device)
    if checks.boolean(f"{op}: requires_grad", requires_grad) and array.dtype.kind != "f":
        raise RuntimeError(f"{op}: only tensors of floating point dtype can require gradients, "
                           f"got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


def _dtype(op: str, dtype: Any, default: Optional[np.dtype] = None) -> np.dtype:
    """`dtype` as a NumPy dtype, or `default` (the default float dtype unless given)."""
    if dtype is None:
        return get_default_dtype() if default is None else default
    return checks.numeric_dtype(f"{op}: dtype", dtype)


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    """A float dtype (float32 or float64) for a factory that draws real numbers."""
    return get_default_dtype() if dtype is None else checks.float_dtype(f"{op}: dtype", dtype)


def _size(op: str, sizes: Tuple[Any, ...], size: Any = None) -> Tuple[int, ...]:
    """The shape from `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(size=(2, 3))`, each a
    non-negative integer."""
    if size is not None:
        if sizes:
            raise TypeError(f"{op}: give the size positionally or as size=, not both")
        sizes = (size,)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(checks.non_negative_int(f"{op}: size", s) for s in sizes)


def _shaped(op: str, make: Callable[[Tuple[int, ...]], np.ndarray], size: Tuple[Any, ...],
            options: dict, device: Any, requires_grad: Any) -> Tensor:
    """A factory taking a shape (`f(2, 3)`, `f((2, 3))` or `f(size=(2, 3))`): make(shape),
    finished as every factory's result."""
    shape = _size(op, size, options.pop("size", None))
    _no_more(op, options)
    return _finish(op, make(shape), device, requires_grad)


def _scalar_dtype(value: Any) -> np.dtype:
    """The dtype PyTorch gives a Python number: bool, int64, or the default float dtype."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return get_default_dtype()
    raise TypeError(f"expected a real number, got {value!r} ({type(value).__name__})")


def _unwrap(data: Any) -> Any:
    """Nested lists and tuples with each Tensor replaced by its one element, as
    `torch.tensor([t1, t2])` takes one-element tensors."""
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ValueError(f"tensor: only one-element tensors can be converted to Python "
                             f"scalars inside a list, got one of shape {data.shape}")
        return data.data.item()
    if isinstance(data, (list, tuple)):
        return [_unwrap(item) for item in data]
    return data


def _python_data_array(data: Any) -> np.ndarray:
    """Python numbers or nested sequences of them as an array of PyTorch's dtype: any
    float makes the default float dtype, else any int int64, else bool."""
    array = np.asarray(_unwrap(data))
    kind = array.dtype.kind
    if kind == "f":  # an empty list too: NumPy makes it float64
        return array.astype(get_default_dtype(), copy=False)
    if kind in "iu":
        return array.astype(np.int64, copy=False)
    if kind == "b":
        return array
    raise TypeError(f"tensor: could not make a tensor of {type(data).__name__} data "
                    f"(NumPy makes dtype {array.dtype} of it); give numbers or nested lists "
                    "of numbers of a regular shape")


def _data_array(data: Any) -> np.ndarray:
    """`data` as an array, by PyTorch's dtype rules; an ndarray or Tensor is not copied."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        if array.dtype.kind not in checks.NUMERIC_KINDS:
            raise TypeError(f"tensor: a NumPy array of dtype {array.dtype} is not numeric")
        return array
    return _python_data_array(data)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data`, as `torch.tensor`.

    `mytorch.tensor(...)` calls this (the module `mytorch.tensor` is callable), while
    `from mytorch.tensor import Tensor` still imports the class.

    Args:
        data: a number, a nested list or tuple of numbers (or of one-element tensors),
            an ndarray or a Tensor.
        dtype: the dtype; by default an ndarray's or Tensor's own, the default float
            dtype for Python floats, int64 for ints, bool for bools.
        device: None or "cpu".
        requires_grad: record ops on it (float dtypes only).
        pin_memory: accepted for PyTorch's sake; False is the only value.
    """
    if pin_memory:
        raise RuntimeError("tensor: pin_memory=True needs a GPU; MyTorch has none")
    array = _data_array(data)
    wanted = array.dtype if dtype is None else _dtype("tensor", dtype)
    return _finish("tensor", np.array(array, dtype=wanted), device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a tensor, sharing memory with an ndarray or Tensor of the same dtype, as
    `torch.as_tensor`: a Tensor of that dtype is returned as it is, another dtype copies."""
    if isinstance(data, Tensor) and (dtype is None or _dtype("as_tensor", dtype) == data.dtype):
        as_device("as_tensor: device", device)
        return data
    array = _data_array(data)
    wanted = array.dtype if dtype is None else _dtype("as_tensor", dtype)
    return _finish("as_tensor", array.astype(wanted, copy=False), device, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory, as `torch.from_numpy`: changes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in checks.NUMERIC_KINDS:
        raise TypeError(f"from_numpy: an array of dtype {array.dtype} is not numeric")
    return Tensor(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **options: Any) -> Tensor:
    """Zeros of shape `size` (`zeros(2, 3)` or `zeros((2, 3))`), as `torch.zeros`."""
    return _shaped("zeros", lambda shape: np.zeros(shape, _dtype("zeros", dtype)), size, options, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **options: Any) -> Tensor:
    """Ones of shape `size`, as `torch.ones`."""
    return _shaped("ones", lambda shape: np.ones(shape, _dtype("ones", dtype)), size, options, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **options: Any) -> Tensor:
    """An uninitialised tensor of shape `size`, as `torch.empty`."""
    return _shaped("empty", lambda shape: np.empty(shape, _dtype("empty", dtype)), size, options, device, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere in shape `size`, as `torch.full`; the dtype is the value's
    (bool, int64 or the default float dtype) unless given."""
    shape = _size("full", (size,))
    wanted = _dtype("full", dtype, _scalar_dtype(fill_value))
    return _finish("full", np.full(shape, fill_value, wanted), device, requires_grad)


def eye(n: int, m: Optional[int] = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m (m = n by default) identity matrix, as `torch.eye`."""
    rows = checks.non_negative_int("eye: n", n)
    columns = rows if m is None else checks.non_negative_int("eye: m", m)
    return _finish("eye", np.eye(rows, columns, dtype=_dtype("eye", dtype)), device, requires_grad)


def _real(op: str, name: str, value: Any) -> Any:
    """A bound of arange or linspace: a real number, or a one-element tensor's value."""
    if isinstance(value, Tensor):
        value = value.item()
    return checks.number(f"{op}: {name}", value)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to but excluding `end`, as `torch.arange`
    (`arange(end)` starts at 0).

    The dtype is int64 when every bound is an integer, else the default float dtype.
    Values are start + i * step computed in float64, as PyTorch computes them.
    """
    if end is None:
        start, end = 0, start
    bounds = [_real("arange", name, value) for name, value in
              (("start", start), ("end", end), ("step", step))]
    start, end, step = bounds
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the bounds {start} to {end} are inconsistent with the sign "
                         f"of step {step}")
    integral = all(isinstance(value, numbers.Integral) for value in bounds)
    wanted = _dtype("arange", dtype, np.dtype(np.int64) if integral else None)
    count = max(math.ceil((end - start) / step), 0)
    if integral and wanted.kind in "iu":
        values = np.arange(start, end, step, dtype=np.int64)
    else:
        values = start + step * np.arange(count, dtype=np.float64)
    return _finish("arange", values.astype(wanted), device, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive, as `torch.linspace`."""
    count = checks.non_negative_int("linspace: steps", steps)
    values = np.linspace(_real("linspace", "start", start), _real("linspace", "end", end), count)
    return _finish("linspace", values.astype(_dtype("linspace", dtype)), device, requires_grad)


def rand(*size: Any, generator: random.Source = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **options: Any) -> Tensor:
    """Samples of U[0, 1) of shape `size`, as `torch.rand`."""
    wanted = _float_dtype("rand", dtype)
    return _shaped("rand", lambda shape: random.uniform(shape, generator).astype(wanted, copy=False),
                   size, options, device, requires_grad)


def randn(*size: Any, generator: random.Source = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **options: Any) -> Tensor:
    """Standard normal samples of shape `size`, as `torch.randn`."""
    wanted = _float_dtype("randn", dtype)
    return _shaped("randn", lambda shape: random.normal(shape, generator).astype(wanted, copy=False),
                   size, options, device, requires_grad)


def randint(*args: Any, generator: random.Source = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **options: Any) -> Tensor:
    """Integers drawn uniformly from [low, high), as `torch.randint`: `randint(high, size)`
    or `randint(low, high, size)` (each also by keyword); int64 unless `dtype` says."""
    names = ("low", "high", "size")
    # Three arguments in all (by position or keyword) are (low, high, size); two, (high, size).
    count = len(args) + sum([name in options for name in names])
    given = dict(zip(names if count == 3 else names[1:], args))
    for name in names:
        if name in options:
            if name in given:
                raise TypeError(f"randint: got {name} twice")
            given[name] = options.pop(name)
    _no_more("randint", options)
    if "high" not in given or "size" not in given:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    low = checks.integer("randint: low", given.get("low", 0))
    high = checks.integer("randint: high", given["high"])
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _size("randint", (given["size"],))
    values = random.integers(low, high, shape, generator).astype(_dtype("randint", dtype, np.dtype(np.int64)))
    return _finish("randint", values, device, requires_grad)


def randperm(n: int, *, generator: random.Source = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """0..n-1 in a random order, as `torch.randperm`."""
    values = random.permutation(checks.non_negative_int("randperm: n", n), generator)
    return _finish("randperm", values.astype(_dtype("randperm", dtype, np.dtype(np.int64))),
                   device, requires_grad)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: random.Source = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2), as `torch.normal`: mean and std are numbers (then `size`
    gives the shape) or tensors (broadcast together; the result has their shape). They are
    mean + std * z for standard normal draws z (see `random.normal`)."""
    means, stds = (value.data if isinstance(value, Tensor) else np.asarray(value)
                   for value in (mean, std))
    if stds.size and not (stds >= 0).all():
        raise ValueError(f"normal: std must be >= 0, got {std!r}")
    if size is not None:
        shape = _size("normal", (size,))
    else:
        shape = np.broadcast_shapes(means.shape, stds.shape)
    default = next((v.dtype for v in (mean, std) if isinstance(v, Tensor) and v.dtype.kind == "f"), None)
    wanted = _float_dtype("normal", dtype if dtype is not None else default)
    values = means + stds * random.normal(shape, generator)
    return _finish("normal", np.asarray(values).astype(wanted, copy=False), device, requires_grad)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: random.Source = None) -> Tensor:
    """`num_samples` indices per row of `input` (1-d, or 2-d of rows), each drawn with
    probability proportional to its weight, as `torch.multinomial`."""
    weights = input.data if isinstance(input, Tensor) else np.asarray(input)
    count = checks.positive_int("multinomial: num_samples", num_samples)
    replace = checks.boolean("multinomial: replacement", replacement)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-d or 2-d, got shape {weights.shape}")
    rows = np.atleast_2d(weights).astype(np.float64)
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise ValueError("multinomial: weights must be finite and >= 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("multinomial: every row of weights must have a positive sum")
    if not replace and count > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {count} samples without replacement from "
                         f"{rows.shape[1]} categories")
    drawn = np.stack([random.choice(rows.shape[1], count, replace, row / total, generator)
                      for row, total in zip(rows, totals)])
    return Tensor(drawn.reshape(weights.shape[:-1] + (count,)))


def _like(op: str, factory: Callable[..., Tensor], input: Any, dtype: Any, device: Any,
          requires_grad: bool, *args: Any, floats: bool = False) -> Tensor:
    """factory(input's shape, *args) in input's dtype (or `dtype`), a float one if `floats`:
    the `*_like` factories."""
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    array = input.data if isinstance(input, Tensor) else input
    wanted = (_float_dtype(op, array.dtype if dtype is None else dtype) if floats
              else _dtype(op, dtype, array.dtype))
    return factory(array.shape, *args, dtype=wanted, device=device, requires_grad=requires_grad)


def zeros_like(input: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros of `input`'s shape and dtype (or `dtype`), as `torch.zeros_like`."""
    return _like("zeros_like", zeros, input, dtype, device, requires_grad)


def ones_like(input: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones of `input`'s shape and dtype (or `dtype`), as `torch.ones_like`."""
    return _like("ones_like", ones, input, dtype, device, requires_grad)


def empty_like(input: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of `input`'s shape and dtype, as `torch.empty_like`."""
    return _like("empty_like", empty, input, dtype, device, requires_grad)


def full_like(input: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` in `input`'s shape and dtype, as `torch.full_like`."""
    return _like("full_like", full, input, dtype, device, requires_grad, fill_value)


def rand_like(input: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """U[0, 1) samples of `input`'s shape and float dtype, as `torch.rand_like`."""
    return _like("rand_like", rand, input, dtype, device, requires_grad, floats=True)


def randn_like(input: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal samples of `input`'s shape and float dtype, as `torch.randn_like`."""
    return _like("randn_like", randn, input, dtype, device, requires_grad, floats=True)


def randint_like(input: Any, low: int = 0, high: Optional[int] = None, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers from [low, high) in `input`'s shape and dtype, as `torch.randint_like`
    (`randint_like(x, high)` starts at 0)."""
    if high is None:
        low, high = 0, low
    return _like("randint_like", lambda shape, **options: randint(low, high, shape, **options),
                 input, dtype, device, requires_grad)


def _no_more(op: str, options: dict) -> None:
    if options:
        raise TypeError(f"{op}: unexpected keyword argument(s) {', '.join(sorted(options))}")


def scalar_tensor(value: Any, like: Optional[np.dtype] = None) -> Tensor:
    """A 0-d constant for a Python number used with a tensor of dtype `like` (or alone),
    of the dtype PyTorch's promotion gives it: the tensor's own when the kinds allow
    (a float number with a float tensor, an int with an int tensor), else the number's
    (int64 or the default float dtype)."""
    number = _scalar_dtype(value)
    if like is not None and (like.kind == "f" or number.kind == "b"
                             or (number.kind in "iu" and like.kind in "iu")):
        return Tensor(np.asarray(value, dtype=like))
    return Tensor(np.asarray(value, dtype=number))

