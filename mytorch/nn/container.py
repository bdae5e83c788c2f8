"""Containers of modules: ModuleList and ModuleDict (Sequential builds on the list's base)."""
from typing import Any, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from mytorch import checks
from mytorch.nn.module import Module, _indent


class ModuleSequence(Module):
    """Modules registered as submodules "0", "1", ... in order: indexing, `len`,
    iteration, `append`, `extend`, `insert`, `pop` and `del`, which renumber the rest.
    The base of `ModuleList` and `Sequential`."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def _position(self, index: Any) -> int:
        """`index` (negative counts from the end) as a position in [0, len)."""
        size = len(self)
        checks.integer(f"{type(self).__name__}: index", index)
        if not -size <= index < size:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {size} layers")
        return index % size

    def __getitem__(self, index: Union[int, slice]) -> Union[Module, "ModuleSequence"]:
        if isinstance(index, slice):
            return self._like(list(self._modules.items())[index])
        return list(self._modules.values())[self._position(index)]

    def _like(self, named: List[Tuple[str, Module]]) -> "ModuleSequence":
        """A new container of this kind holding the (name, module) pairs `named` (for slicing)."""
        raise NotImplementedError

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at `index` (negative counts from the end), keeping its name."""
        self.add_module(list(self._modules)[self._position(index)], module)

    def __delitem__(self, index: Union[int, slice]) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._position(index)]
        self._renumber(modules)

    def append(self, module: Module) -> "ModuleSequence":
        """Add `module` at the end. Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleSequence":
        """Append each of `modules`. Returns self."""
        for module in modules:
            self.append(module)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleSequence":
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index`, as `list.insert`."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.insert: expected a Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        modules.insert(checks.integer(f"{type(self).__name__}.insert: index", index), module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at `index` (the last by default)."""
        module = self[index]
        del self[index]
        return module

    def _renumber(self, modules: Iterable[Module]) -> None:
        """Register `modules` as "0", "1", ... in place of the current ones."""
        for name in list(self._modules):
            delattr(self, name)
        self.extend(modules)


class ModuleList(ModuleSequence):
    """A list of modules whose parameters the owning module sees, as `torch.nn.ModuleList`.

    A plain Python list of layers is invisible to `parameters()`; a ModuleList
    registers each one (as "0", "1", ...). It has no forward: iterate over it.

        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

    Args:
        modules: the initial modules, in order.
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _like(self, named: List[Tuple[str, Module]]) -> "ModuleList":
        return type(self)(module for _, module in named)

    def __repr__(self) -> str:
        """PyTorch's: a run of equal modules is one line, "(0-2): 3 x Linear(...)"."""
        if not self._modules:
            return f"{type(self).__name__}()"
        runs: List[List[Any]] = []  # [first index, last index, repr]
        for index, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = [(f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x ")
                 + _indent(text) for first, last, text in runs]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules by name whose parameters the owning module sees, as
    `torch.nn.ModuleDict`. Names are strings without '.', and must not hide a Module
    attribute or method (such as 'train'). Insertion order is kept.

    Args:
        modules: a mapping or an iterable of (name, module) pairs.
    """

    def __init__(self, modules: Union[None, Mapping[str, Module], Iterable[Tuple[str, Module]]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, module)

    def __delitem__(self, name: str) -> None:
        if name not in self._modules:
            raise KeyError(name)
        delattr(self, name)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def keys(self) -> Iterable[str]:
        return list(self._modules.keys())

    def values(self) -> Iterable[Module]:
        return list(self._modules.values())

    def items(self) -> Iterable[Tuple[str, Module]]:
        return list(self._modules.items())

    def update(self, modules: Union[Mapping[str, Module], Iterable[Tuple[str, Module]]]) -> None:
        """Add or replace modules from a mapping or from (name, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: expected a mapping or (name, module) pairs, "
                                f"got the element {pair!r}")
            self[pair[0]] = pair[1]

    def pop(self, name: str) -> Module:
        """Remove and return the module called `name`."""
        module = self[name]
        del self[name]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for name in list(self._modules):
            delattr(self, name)
