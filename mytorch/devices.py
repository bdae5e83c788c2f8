"""Where tensors live: `mytorch.device`, as `torch.device`.

MyTorch computes with NumPy on the CPU. A device object for another kind ("cuda", "mps")
can be made, as in PyTorch, so that `device("cuda" if cuda.is_available() else "cpu")`
works; putting a tensor or a module there is an error that says there is no such backend.
"""
from typing import Any, Optional

# The device kinds PyTorch knows by these names; only "cpu" computes here.
KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")
_builtin_type = type  # `type` is a parameter name below, as in PyTorch's signature


class device:  # noqa: N801  (PyTorch's name)
    """A device, as `torch.device`: `device("cpu")`, `device("cuda", 0)`, `device("cuda:0")`.

    Attributes:
        type: the kind, such as "cpu".
        index: the device's number within its kind, or None.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Optional[int] = None) -> None:  # noqa: A002
        # PyTorch's error types: a bad string or index value is a RuntimeError, an
        # argument of the wrong type a TypeError.
        if isinstance(type, device):
            if index is not None:
                raise TypeError(f"device: an index ({index!r}) cannot be given with a device ({type})")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(f"device: {type!r} names an accelerator by its index, and MyTorch "
                               f"has none: it computes with NumPy on the CPU")
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or a device, "
                            f"got {type!r} ({_builtin_type(type).__name__})")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device: index must be an integer, got {index!r} "
                            f"({_builtin_type(index).__name__})")
        kind, _, number = type.partition(":")
        if kind not in KNOWN_TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(KNOWN_TYPES)} at the start of "
                               f"the device string, got {type!r}")
        if number:
            if index is not None:
                raise RuntimeError(f"device: {type!r} already has an index; got index={index!r} too")
            if not number.isdigit():
                raise RuntimeError(f"device: the index in {type!r} must be a non-negative integer")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"device: index must be a non-negative integer, got {index!r}")
        self.type, self.index = kind, index

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:  # not a device string: unequal
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"


CPU = device("cpu")


def as_device(name: str, value: Any) -> device:
    """`value` (None, a device or a string such as "cpu") as the CPU device, the only one
    MyTorch computes on.

    Raises:
        TypeError: for a value that is not a device or a string.
        RuntimeError: for a string that names no device kind, or another kind ("cuda",
            "mps"): MyTorch has no such backend.
    """
    if value is None:
        return CPU
    wanted = device(value)
    if wanted.type != "cpu":
        raise RuntimeError(f"{name}: device {str(wanted)!r} is not available: MyTorch computes "
                           f"with NumPy on the CPU and has no {wanted.type} backend yet; use 'cpu'")
    return CPU
