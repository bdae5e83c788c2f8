"""The named pairs PyTorch's `max`, `min`, `sort` and `topk` return along a dim, as
`torch.return_types`: `values, indices = x.max(dim=1)`, or `x.max(dim=1).indices`."""
from collections import namedtuple

max = namedtuple("max", ["values", "indices"])  # noqa: A001  (PyTorch's names)
min = namedtuple("min", ["values", "indices"])  # noqa: A001
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])

__all__ = ["max", "min", "sort", "topk"]
