"""Property tests at the edges where one-line bugs survived the fixed cases (issue 21):
empty tensors, mixed float dtypes, and models whose layers share parameters.

Each draws cases with hypothesis and compares with PyTorch (float64) where it is
installed, and with the library's own float64 results otherwise. Quick and derandomized
by default; for a long run:
    MYTORCH_PROPERTY_EXAMPLES=20000 python3 -m pytest tests/test_properties_edges.py
"""
import os
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.nn import functional as F

try:
    import torch
except ImportError:  # the PyTorch comparisons are skipped
    torch = None

EXAMPLES = int(os.environ.get("MYTORCH_PROPERTY_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=EXAMPLES <= 500, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")


# ------------------------------------------------------------------ empty tensors

# name -> (mytorch, torch) callables of a tensor x, whose shape has a 0, and y, a tensor
# broadcastable with it.
EMPTY_OPS: Dict[str, Tuple[Callable, Callable]] = {
    "add": (lambda x, y: x + y, lambda x, y: x + y),
    "mul": (lambda x, y: x * y, lambda x, y: x * y),
    "div": (lambda x, y: x / (y * y + 1), lambda x, y: x / (y * y + 1)),
    "pow": (lambda x, y: (x * x + 1) ** y, lambda x, y: (x * x + 1) ** y),
    "maximum": (lambda x, y: x.maximum(y), lambda x, y: torch.maximum(x, y)),
    "exp": (lambda x, y: x.exp(), lambda x, y: x.exp()),
    "tanh": (lambda x, y: F.tanh(x), lambda x, y: torch.tanh(x)),
    "relu": (lambda x, y: F.relu(x), lambda x, y: torch.relu(x)),
    "sum": (lambda x, y: x.sum(), lambda x, y: x.sum()),
    "sum_last": (lambda x, y: x.sum(axis=-1), lambda x, y: x.sum(dim=-1)),
    "sum_first_keep": (lambda x, y: x.sum(axis=0, keepdims=True), lambda x, y: x.sum(0, keepdim=True)),
    "mean_last": (lambda x, y: x.mean(axis=-1), lambda x, y: x.mean(dim=-1)),
    "softmax": (lambda x, y: F.softmax(x, dim=-1), lambda x, y: torch.softmax(x, -1)),
    "softmax_first": (lambda x, y: F.softmax(x, dim=0), lambda x, y: torch.softmax(x, 0)),
    "log_softmax": (lambda x, y: F.log_softmax(x, dim=-1), lambda x, y: torch.log_softmax(x, -1)),
    "transpose_matmul": (lambda x, y: x.T @ x, lambda x, y: x.T @ x),
    "matmul_transpose": (lambda x, y: x @ x.T, lambda x, y: x @ x.T),
    "reshape": (lambda x, y: x.reshape(-1), lambda x, y: x.reshape(-1)),
    "linear": (lambda x, y: F.linear(x, Tensor(np.ones((2, x.shape[-1])))),
               lambda x, y: torch.nn.functional.linear(x, torch.ones((2, x.shape[-1]), dtype=x.dtype))),
    "cat": (lambda x, y: mytorch.cat([x, x * 2], 0), lambda x, y: torch.cat([x, x * 2], 0)),
    "index": (lambda x, y: x[[0, 0]] if x.shape[0] else x[[]], lambda x, y: x[[0, 0]] if x.shape[0] else x[[]]),
}


@st.composite
def empty_cases(draw: Callable) -> Tuple[str, Tuple[int, ...], Tuple[int, ...]]:
    """An op, a 2-d shape with a 0 in it, and a shape that broadcasts with it."""
    shape = [draw(st.integers(0, 3)), draw(st.integers(0, 3))]
    shape[draw(st.integers(0, 1))] = 0
    other = tuple(draw(st.sampled_from([1, size])) for size in shape[draw(st.integers(0, 2)):])
    return draw(st.sampled_from(sorted(EMPTY_OPS))), tuple(shape), other


@needs_torch
@SETTINGS
@given(empty_cases())
def test_ops_on_empty_tensors_match_pytorch(case):
    name, shape, other = case
    ours, theirs = EMPTY_OPS[name]
    rng = np.random.default_rng(0)
    x_data, y_data = rng.standard_normal(shape), rng.standard_normal(other)
    x, y = Tensor(x_data, requires_grad=True), Tensor(y_data, requires_grad=True)
    out = ours(x, y)
    seed = rng.standard_normal(out.shape)
    out.backward(seed)
    tx = torch.tensor(x_data, requires_grad=True)
    ty = torch.tensor(y_data, requires_grad=True)
    expected = theirs(tx, ty)
    expected.backward(torch.tensor(seed))
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
    if ty.grad is None:
        assert y.grad is None
    else:  # PyTorch gives a leaf that only met empty tensors a zero gradient, as we do
        np.testing.assert_allclose(y.grad.data, ty.grad.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ mixed dtypes

BINARY: Dict[str, Callable] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": lambda a, b: a.maximum(b),
    "where": lambda a, b: mytorch.where(a > b, a, b * 2),
}
UNARY: Dict[str, Callable] = {
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "square": lambda a: a * a,
    "sum_keep": lambda a: a.sum(axis=-1, keepdims=True),
    "mean_keep": lambda a: a.mean(axis=0, keepdims=True),
}


@st.composite
def mixed_programs(draw: Callable) -> Tuple[List[Any], List[Tuple[str, Tuple[int, ...]]]]:
    """2-3 leaves of shape (2, 3), (3,) or (), each float32 or float64, and 2-6 ops that
    combine them, reusing values."""
    shapes = [(2, 3)] + [draw(st.sampled_from([(2, 3), (3,), (1, 3), ()]))
                         for _ in range(draw(st.integers(1, 2)))]
    dtypes = [draw(st.sampled_from([np.float32, np.float64])) for _ in shapes]
    program = []
    count = len(shapes)
    for _ in range(draw(st.integers(2, 6))):
        pick = st.integers(0, count - 1)
        if draw(st.booleans()):
            program.append((draw(st.sampled_from(sorted(BINARY))), (draw(pick), draw(pick))))
        else:
            program.append((draw(st.sampled_from(sorted(UNARY))), (draw(pick),)))
        count += 1
    return list(zip(shapes, dtypes)), program


def _evaluate(leaves: List[Tensor], program: List[Tuple[str, Tuple[int, ...]]]) -> Tensor:
    values = list(leaves)
    for name, args in program:
        function = BINARY[name] if name in BINARY else UNARY[name]
        values.append(function(*[values[i] for i in args]))
    return sum(value.sum() for value in values[len(leaves):])  # every op reaches the output


@SETTINGS
@given(mixed_programs(), st.integers(0, 2 ** 32 - 1))
def test_mixed_dtype_graphs_give_each_leaf_a_gradient_of_its_dtype(case, seed):
    """Each leaf's .grad has the leaf's dtype, however float32 and float64 meet on the way,
    and matches the same graph in float64 to float32's precision."""
    specs, program = case
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-2, 2, shape) for shape, _ in specs]
    mixed = [Tensor(v.astype(dtype), requires_grad=True) for v, (_, dtype) in zip(values, specs)]
    wide = [Tensor(v.astype(dtype).astype(np.float64), requires_grad=True)
            for v, (_, dtype) in zip(values, specs)]
    _evaluate(mixed, program).backward()
    _evaluate(wide, program).backward()
    for leaf, reference in zip(mixed, wide):
        if reference.grad is None:  # a leaf the program never used
            assert leaf.grad is None
            continue
        assert leaf.grad.dtype == leaf.dtype and leaf.grad.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad.data, reference.grad.data, rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------ tied parameters

@st.composite
def tied_models(draw: Callable) -> Dict[str, Any]:
    """2-4 Linear layers of width 3 with tanh between; each later layer's weight and bias
    may be another layer's; an optimizer and its settings."""
    depth = draw(st.integers(2, 4))
    ties = [(draw(st.sampled_from([None] + list(range(i)))), draw(st.sampled_from([None] + list(range(i)))))
            for i in range(depth)]
    kind = draw(st.sampled_from(["sgd", "sgd_momentum", "adam", "adamw"]))
    return {"ties": ties, "optimizer": kind, "seed": draw(st.integers(0, 2 ** 16)),
            "steps": draw(st.integers(1, 3))}


def _build(library: Any, ties: List[Tuple[Any, Any]], rng: np.random.Generator) -> List[Any]:
    """Layers of `library` (mytorch.nn or torch.nn) with the values `rng` gives, tied as asked."""
    layers = []
    for weight_from, bias_from in ties:
        layer = library.Linear(3, 3) if library is nn else library.Linear(3, 3, dtype=torch.float64)
        weight, bias = rng.standard_normal((3, 3)), rng.standard_normal(3)
        if library is nn:
            layer.weight.data[...] = weight
            layer.bias.data[...] = bias
        else:
            with torch.no_grad():
                layer.weight.copy_(torch.tensor(weight))
                layer.bias.copy_(torch.tensor(bias))
        if weight_from is not None:
            layer.weight = layers[weight_from].weight
        if bias_from is not None:
            layer.bias = layers[bias_from].bias
        layers.append(layer)
    return layers


def _optimizer(library: Any, kind: str, parameters: Any) -> Any:
    if kind == "sgd":
        return library.SGD(parameters, lr=0.1)
    if kind == "sgd_momentum":
        return library.SGD(parameters, lr=0.1, momentum=0.9, weight_decay=0.01)
    if kind == "adam":
        return library.Adam(parameters, lr=0.01, weight_decay=0.01)
    return library.AdamW(parameters, lr=0.01)


def _distinct(tensors: List[Any]) -> List[Any]:
    found = []
    for value in tensors:
        if not any(value is other for other in found):
            found.append(value)
    return found


@SETTINGS
@given(tied_models())
def test_tied_parameters_are_listed_once_and_train_as_pytorchs(case):
    ties, kind = case["ties"], case["optimizer"]
    layers = _build(nn, ties, np.random.default_rng(case["seed"]))
    model = nn.Sequential(*[part for layer in layers for part in (layer, nn.Tanh())])
    every = [tensor for layer in layers for tensor in (layer.weight, layer.bias)]
    parameters = list(model.parameters())
    assert len(parameters) == len(_distinct(every))
    assert all(any(p is q for q in parameters) for p in every)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == len(parameters)
    assert all(p.is_leaf and p.requires_grad for p in parameters)
    assert len(model.state_dict()) == 2 * len(layers)  # as PyTorch: every name, tied or not

    rng = np.random.default_rng(case["seed"] + 1)
    batches = [(rng.standard_normal((4, 3)), rng.standard_normal((4, 3))) for _ in range(case["steps"])]
    optimizer = _optimizer(optim, kind, model.parameters())
    for x, target in batches:
        optimizer.zero_grad()
        F.mse_loss(model(Tensor(x)), Tensor(target)).backward()
        optimizer.step()
    for layer, (weight_from, bias_from) in zip(layers, ties):  # still tied after training
        assert weight_from is None or layer.weight is layers[weight_from].weight
        assert bias_from is None or layer.bias is layers[bias_from].bias

    if torch is None:
        return
    reference = _build(torch.nn, ties, np.random.default_rng(case["seed"]))
    torch_model = torch.nn.Sequential(*[part for layer in reference for part in (layer, torch.nn.Tanh())])
    assert [name for name, _ in torch_model.named_parameters()] == names
    torch_optimizer = _optimizer(torch.optim, kind, torch_model.parameters())
    for x, target in batches:
        torch_optimizer.zero_grad()
        torch.nn.functional.mse_loss(torch_model(torch.tensor(x)), torch.tensor(target)).backward()
        torch_optimizer.step()
    for (name, ours), (_, theirs) in zip(model.named_parameters(), torch_model.named_parameters()):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@SETTINGS
@given(tied_models())
def test_a_tied_parameters_gradient_is_the_sum_over_its_uses(case):
    """The same model untied (each layer its own copy of the values) gives gradients whose
    sum over a tied group is the tied parameter's gradient."""
    ties = case["ties"]
    tied = _build(nn, ties, np.random.default_rng(case["seed"]))
    untied = _build(nn, [(None, None)] * len(ties), np.random.default_rng(case["seed"]))
    for layer, (weight_from, bias_from) in zip(untied, ties):  # copy the values the ties give
        if weight_from is not None:
            layer.weight.data[...] = untied[weight_from].weight.data
        if bias_from is not None:
            layer.bias.data[...] = untied[bias_from].bias.data
    x = np.random.default_rng(case["seed"] + 2).standard_normal((5, 3))
    for layers in (tied, untied):
        out = Tensor(x)
        for layer in layers:
            out = F.tanh(layer(out))
        out.sum().backward()

    def root(index, which):
        source = ties[index][which]
        return index if source is None else root(source, which)

    for which, attribute in enumerate(("weight", "bias")):
        for index, layer in enumerate(tied):
            group = [j for j in range(len(ties)) if root(j, which) == root(index, which)]
            expected = sum(getattr(untied[j], attribute).grad.data for j in group)
            np.testing.assert_allclose(getattr(layer, attribute).grad.data, expected,
                                       rtol=1e-12, atol=1e-14)
