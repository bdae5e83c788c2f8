"""Sequential: a chain of modules applied in order."""
from typing import Any, Iterable, Tuple

from mytorch.nn.container import ModuleSequence
from mytorch.nn.module import Module


class Sequential(ModuleSequence):
    """Applies its layers in order: `Sequential(a, b)(x) == b(a(x))`.

    The layers are registered as submodules "0", "1", ...; `seq[i] = m` replaces one
    (registering the new layer), `seq.append(m)` adds one, and `insert`, `pop` and
    `del seq[i]` work as on a list.

    Attributes:
        layers: the modules, in order: a tuple read from the registered submodules,
            so it never disagrees with `parameters()`.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self.extend(layers)

    @property
    def layers(self) -> Tuple[Module, ...]:
        return tuple(self._submodules.values())

    def _like(self, modules: Iterable[Module]) -> "Sequential":
        return type(self)(*modules)

    def forward(self, x: Any) -> Any:
        for layer in self._submodules.values():
            x = layer(x)
        return x
