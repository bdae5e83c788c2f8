"""Sequential: a chain of modules applied in order."""
from typing import Any, Iterator

from mytorch.nn.module import Module


class Sequential(Module):
    """Applies `layers` in order: `Sequential(a, b)(x) == b(a(x))`.

    Attributes:
        layers: the modules, in order (also registered as submodules "0", "1", ...).
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self.layers = list(layers)
        for index, layer in enumerate(self.layers):
            self.add_module(str(index), layer)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
