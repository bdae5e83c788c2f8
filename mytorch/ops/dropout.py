"""Dropout: zero random elements while training."""
from typing import Tuple

from mytorch import checks, random
from mytorch.autograd_engine import ContextManager, Function
from mytorch.ops.common import float_data
from mytorch.tensor import Tensor


class Dropout(Function):
    """b = a * mask / (1 - p) while training, mask_i ~ Bernoulli(1 - p); b = a otherwise.
    db/da = mask / (1 - p), or 1.

    The mask is drawn as the handout's starter code draws it,
    `np.random.binomial(1, 1 - p, a.shape)` (through `mytorch.random.draw`, which
    `mytorch.compile` records), so a run seeded with `np.random.seed` reproduces the
    course's reference results. With p = 1 every element is dropped.
    With `spatial` = k > 0, the last k axes share one draw, so whole channels are dropped
    (`Dropout1d`/`Dropout2d`/`Dropout3d`: the mask has shape a.shape[:-k] + (1,) * k).
    """

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, p: float = 0.5, is_train: bool = False,
                spatial: int = 0) -> Tensor:
        checks.probability("dropout: p", p)
        if not is_train:
            ctx.mask = None
            return a
        x = float_data(a)
        shape = a.shape[:a.ndim - spatial] + (1,) * spatial
        ctx.mask = random.draw("binomial", 1, 1 - p, shape).astype(x.dtype)
        ctx.divisor = 1 - p if p < 1 else 1.0  # all dropped: 0 / 1, not 0 / 0
        return Tensor(x * ctx.mask / ctx.divisor)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor) -> Tuple[Tensor, None, None, None]:
        if ctx.mask is None:
            return grad_output, None, None, None
        return Tensor(grad_output.data * ctx.mask / ctx.divisor), None, None, None
