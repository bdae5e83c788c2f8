"""Sequential: a chain of modules applied in order."""
from collections import OrderedDict
from typing import Any, List, Tuple

from mytorch.nn.container import ModuleSequence
from mytorch.nn.module import Module


class Sequential(ModuleSequence):
    """Applies its layers in order: `Sequential(a, b)(x) == b(a(x))`, as `torch.nn.Sequential`.

    `Sequential(a, b)` registers the layers as submodules "0", "1", ...;
    `Sequential(OrderedDict([("fc", a), ("act", b)]))` under those names (`seq.fc`,
    `state_dict()` keys "fc.weight", ...). `seq[i]` and `seq[i] = m` (keeping the name),
    `seq[1:]` (a Sequential keeping the names), `len`, iteration, `append`, `extend`,
    `insert`, `pop` and `del seq[i]` work as in PyTorch; the last three renumber the
    layers "0", "1", ... as PyTorch does.

    Attributes:
        layers: the modules, in order: a tuple read from the registered submodules,
            so it never disagrees with `parameters()` (the handout's attribute).
    """

    def __init__(self, *layers: Any) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            self.extend(layers)

    @property
    def layers(self) -> Tuple[Module, ...]:
        return tuple(self._modules.values())

    def _like(self, named: List[Tuple[str, Module]]) -> "Sequential":
        return type(self)(OrderedDict(named))

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x
