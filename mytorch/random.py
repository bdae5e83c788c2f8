"""The random state: the library draws from NumPy's global generator (`np.random`), or
from a `Generator` the caller passes, as PyTorch's `generator=` arguments."""
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from mytorch import checks
from mytorch.devices import as_device

# When set, it makes every draw that goes through `draw`, as
# `observer(source, distribution, args, kwargs)`: `mytorch.compile` records a traced step's
# draws there, so that each replay draws afresh, as the eager step would.
_observer: Optional[Callable[..., Any]] = None


def manual_seed(seed: Any) -> None:
    """Seed every random draw the library makes, as `torch.manual_seed`: `Tensor.randn`,
    `randn_like`, layer initialisation, `nn.init` and dropout masks.

    It is `np.random.seed(seed)`, which the course's handouts call for the same effect.

    Args:
        seed: an integer in [0, 2**32 - 1].
    """
    np.random.seed(checks.seed(seed))


class Generator(np.random.Generator):
    """A random number generator of its own, as `torch.Generator`: draws that take
    `generator=` use it instead of the global state, so they are reproducible whatever
    else draws. It is a `np.random.Generator` (PCG64), so NumPy code and `DataLoader`
    take it too. Its streams are NumPy's, not PyTorch's: the same seed gives other numbers.

        g = mytorch.Generator().manual_seed(2147483647)
        mytorch.rand(3, generator=g)
    """

    def __init__(self, device: Any = "cpu") -> None:
        as_device("Generator: device", device)
        self._initial_seed = int(np.random.SeedSequence().entropy % (checks.MAX_SEED + 1))
        super().__init__(np.random.PCG64(self._initial_seed))

    @property
    def device(self) -> Any:
        return as_device("Generator: device", None)

    def manual_seed(self, seed: Any) -> "Generator":
        """Restart the stream from `seed` (an integer in [0, 2**32 - 1]); returns self."""
        self._initial_seed = checks.seed(seed, "Generator.manual_seed: seed")
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def initial_seed(self) -> int:
        """The seed the current stream started from."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The generator's state, for `set_state`."""
        return self.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        """Go back to a state from `get_state`; returns self."""
        self.bit_generator.state = state
        return self


Source = Union[None, np.random.Generator]


def source(generator: Source) -> Union[np.random.Generator, Any]:
    """Where a draw comes from: `generator`, or NumPy's global state (`mytorch.manual_seed`)."""
    if generator is None:
        return np.random
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a mytorch.Generator (or a np.random.Generator), "
                        f"got {type(generator).__name__}")
    return generator


def draw(distribution: str, *args: Any, generator: Source = None, **kwargs: Any) -> Any:
    """`<distribution>(*args, **kwargs)` of NumPy's global state (`np.random`), or of
    `generator`: every draw the library makes goes through here (dropout's masks, `rand`,
    `randn`, ...), so that `mytorch.compile` can record it and make it again, from the same
    source and with the same arguments, at every replay of a traced step."""
    drawn_from = source(generator)
    observer = _observer
    if observer is not None:
        return observer(drawn_from, distribution, args, kwargs)
    return getattr(drawn_from, distribution)(*args, **kwargs)


def uniform(shape: Tuple[int, ...], generator: Source = None) -> np.ndarray:
    """Samples of U[0, 1) in float64."""
    if generator is None:
        return draw("random_sample", shape)
    return draw("random", shape, generator=generator)


def normal(shape: Tuple[int, ...], generator: Source = None) -> np.ndarray:
    """Standard normal samples in float64 (the global state draws as `Tensor.randn` always has)."""
    return draw("standard_normal", shape, generator=generator)


def integers(low: int, high: int, shape: Tuple[int, ...], generator: Source = None) -> np.ndarray:
    """Integers drawn uniformly from [low, high), int64."""
    if generator is None:
        return draw("randint", low, high, shape, dtype=np.int64)
    return draw("integers", low, high, shape, dtype=np.int64, generator=generator)


def permutation(n: int, generator: Source = None) -> np.ndarray:
    """0..n-1 in a random order, int64."""
    return draw("permutation", n, generator=generator).astype(np.int64, copy=False)


def choice(count: int, size: int, replace: bool, p: Optional[np.ndarray],
           generator: Source = None) -> np.ndarray:
    """`size` indices of 0..count-1 drawn with probabilities `p`."""
    return np.asarray(draw("choice", count, size=size, replace=replace, p=p, generator=generator),
                      np.int64)
