"""The module-level functions of the `torch` namespace: `mytorch.exp(x)`, `mytorch.max(x, 1)`,
`mytorch.allclose(a, b)`, ...

Each is the Tensor method of the same name called on its first argument, as in PyTorch
(`torch.exp(x)` is `x.exp()`), so the two spellings can never mean different things. The
first argument must be a Tensor (an ndarray is taken as a constant tensor).
"""
from typing import Any, Callable

from mytorch.autograd_engine import tensor_input
from mytorch.tensor import Tensor


def _method(name: str) -> Callable[..., Any]:
    """The function `name(input, *args, **kwargs)`: `input.name(*args, **kwargs)`."""

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(tensor_input(name, "input", input), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`input.{name}(...)`, as `torch.{name}`: see `Tensor.{name}`."
    return function


# Elementwise math.
abs = _method("abs")  # noqa: A001  (PyTorch's names shadow Python's built-ins here, as in torch)
exp = _method("exp")
log = _method("log")
log1p = _method("log1p")
expm1 = _method("expm1")
sqrt = _method("sqrt")
rsqrt = _method("rsqrt")
sin = _method("sin")
cos = _method("cos")
tan = _method("tan")
tanh = _method("tanh")
sigmoid = _method("sigmoid")
relu = _method("relu")
neg = negative = _method("neg")
reciprocal = _method("reciprocal")
square = _method("square")
sign = _method("sign")
floor = _method("floor")
ceil = _method("ceil")
trunc = _method("trunc")
round = _method("round")  # noqa: A001
clamp = clip = _method("clamp")
maximum = _method("maximum")
minimum = _method("minimum")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
masked_fill = _method("masked_fill")
tril = _method("tril")
triu = _method("triu")

# Arithmetic.
add = _method("add")
sub = subtract = _method("sub")
mul = multiply = _method("mul")
div = divide = true_divide = _method("div")
remainder = _method("remainder")
matmul = _method("matmul")
mm = _method("mm")
bmm = _method("bmm")
dot = _method("dot")

# Reductions.
sum = _method("sum")  # noqa: A001
mean = _method("mean")
var = _method("var")
std = _method("std")
max = _method("max")  # noqa: A001
min = _method("min")  # noqa: A001
amax = _method("amax")
amin = _method("amin")
argmax = _method("argmax")
argmin = _method("argmin")
logsumexp = _method("logsumexp")
norm = _method("norm")
all = _method("all")  # noqa: A001
any = _method("any")  # noqa: A001
sort = _method("sort")
argsort = _method("argsort")
topk = _method("topk")
prod = _method("prod")
cumsum = _method("cumsum")
cumprod = _method("cumprod")
bincount = _method("bincount")

# Shapes.
flatten = _method("flatten")
reshape = _method("reshape")
transpose = _method("transpose")
t = _method("t")
permute = _method("permute")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
narrow = _method("narrow")
select = _method("select")
unbind = _method("unbind")
split = _method("split")
chunk = _method("chunk")
gather = _method("gather")
index_select = _method("index_select")
scatter = _method("scatter")
scatter_add = _method("scatter_add")
flip = _method("flip")
clone = _method("clone")

# Comparisons and tests.
isnan = _method("isnan")
isinf = _method("isinf")
isfinite = _method("isfinite")
nonzero = _method("nonzero")
eq = _method("eq")
ne = _method("ne")
lt = _method("lt")
le = _method("le")
gt = _method("gt")
ge = _method("ge")
equal = _method("equal")
isclose = _method("isclose")
allclose = _method("allclose")


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001
    """input ** exponent, as `torch.pow`; either may be a number."""
    if isinstance(input, Tensor) or not isinstance(exponent, Tensor):
        return tensor_input("pow", "input", input) ** exponent
    return input ** exponent


def numel(input: Any) -> int:
    """The number of elements of `input`, as `torch.numel`."""
    return tensor_input("numel", "input", input).numel()


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a Tensor, as `torch.is_tensor`."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:
    """Whether `input` has a float dtype, as `torch.is_floating_point`."""
    return tensor_input("is_floating_point", "input", input).is_floating_point()
