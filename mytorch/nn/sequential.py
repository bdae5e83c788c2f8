"""Sequential: a chain of modules applied in order."""
from typing import Any, Iterator, Tuple, Union

from mytorch.nn.module import Module


class Sequential(Module):
    """Applies its layers in order: `Sequential(a, b)(x) == b(a(x))`.

    The layers are registered as submodules "0", "1", ...; `seq[i] = m` replaces one
    (registering the new layer), `seq.append(m)` adds one.

    Attributes:
        layers: the modules, in order: a tuple read from the registered submodules,
            so it never disagrees with `parameters()`.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for layer in layers:
            self.append(layer)

    @property
    def layers(self) -> Tuple[Module, ...]:
        return tuple(self._submodules.values())

    def append(self, layer: Module) -> "Sequential":
        """Add `layer` at the end."""
        self.add_module(str(len(self._submodules)), layer)
        return self

    def forward(self, x: Any) -> Any:
        for layer in self._submodules.values():
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self._submodules)

    def __getitem__(self, index: Union[int, slice]) -> Union[Module, "Sequential"]:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __setitem__(self, index: int, layer: Module) -> None:
        """Replace the layer at `index` (negative counts from the end)."""
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"Sequential: index {index} is out of range for {size} layers")
        self.add_module(str(index % size), layer)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
