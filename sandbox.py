#!/usr/bin/env python3
"""A place to try MyTorch: the write-up's autograd example, step by step, and its graph.

    python3 sandbox.py

Each example prints what it computes and, beside each gradient, the value it should
be. Change the numbers, add your own ops, and run it again. It exits with status 1 if
a gradient differs from what is expected, 0 if none does.
"""
import argparse
import sys
from pathlib import Path

# Before the examples run: `--help` only describes them.
argparse.ArgumentParser(prog="sandbox.py", description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run from a checkout

import numpy as np  # noqa: E402

from mytorch import Tensor, nn  # noqa: E402
from mytorch.autograd_engine import AccumulateGrad, BackwardFunction  # noqa: E402
from mytorch.gradcheck import numerical_grad  # noqa: E402
from mytorch.viz import make_dot  # noqa: E402

mismatches = 0


def node_type(tensor: Tensor) -> str:
    """What backward would reach for this tensor: its grad_fn, an AccumulateGrad
    (a leaf that requires grad) or nothing (a constant)."""
    if tensor.grad_fn is not None:
        return f"BackwardFunction({tensor.grad_fn.function_name})"
    if tensor.requires_grad:
        return "AccumulateGrad (leaf)"
    return "constant (no node)"


def show(name: str, tensor: Tensor) -> None:
    print(f"  {name:<4} = {tensor.data!s:<8} requires_grad={tensor.requires_grad!s:<5} "
          f"is_leaf={tensor.is_leaf!s:<5} node: {node_type(tensor)}")


def show_graph(node, names: dict, depth: int = 0) -> None:
    """Print the graph below `node`, one line per node, its inputs indented below it.

    `names` maps tensors to their names, to label the nodes that belong to them.
    """
    indent = "    " + "  " * depth
    if node is None:
        print(indent + "None (a constant: no gradient flows there)")
    elif isinstance(node, AccumulateGrad):
        print(indent + f"AccumulateGrad -> {names.get(id(node.variable), 'a leaf')}.grad")
    elif isinstance(node, BackwardFunction):
        owner = names.get(id(node), "")
        print(indent + f"BackwardFunction({node.function_name})"
              + (f"  of {owner}" if owner else ""))
        for parent in node.next_functions:
            show_graph(parent, names, depth + 1)


def check(name: str, actual, expected) -> None:
    """Print a gradient beside its expected value, and count mismatches.

    Matrices are summarised by their largest difference from the expected values.
    """
    global mismatches
    if expected is None or actual is None:
        ok = actual is None and expected is None
        got = "None" if actual is None else f"a gradient of shape {actual.shape}"
        print(f"  {name:<9} = {got:<26} expected {'None' if expected is None else 'a gradient'}"
              f"   {'ok' if ok else 'MISMATCH'}")
    else:
        value, expected = actual.data, np.asarray(expected)
        ok = value.shape == expected.shape and np.allclose(value, expected, rtol=1e-6, atol=1e-8)
        if expected.ndim < 2:
            got = np.array2string(value, precision=4)
            print(f"  {name:<9} = {got:<26} expected {np.array2string(expected, precision=4)}"
                  f"   {'ok' if ok else 'MISMATCH'}")
        else:
            difference = (np.max(np.abs(value - expected)) if value.shape == expected.shape
                          else np.inf)
            print(f"  {name:<9} : shape {value.shape}, largest difference from the expected "
                  f"values {difference:.1e}   {'ok' if ok else 'MISMATCH'}")
    mismatches += not ok


# --------------------------------------------------------------------------------
print("1. The write-up's example: d = a*b + a, e = (d + c) + 3\n")

a = Tensor(1.0, requires_grad=True)  # a leaf we want the gradient of
b = Tensor(2.0)                      # a constant: requires_grad=False
c = Tensor(3.0, requires_grad=True)
d = a * b + a
e = (d + c) + 3                      # the 3 becomes a constant Tensor

for name, tensor in (("a", a), ("b", b), ("c", c), ("d", d), ("e", e)):
    show(name, tensor)
print("\n  the graph backward walks, from e down to the leaves:")
show_graph(e.grad_fn, {id(a): "a", id(c): "c", id(d.grad_fn): "d", id(e.grad_fn): "e"})

e.backward()
print("\n  after e.backward():")
check("a.grad", a.grad, 3.0)   # de/da = b + 1
check("b.grad", b.grad, None)  # b does not require grad
check("c.grad", c.grad, 1.0)   # de/dc = 1
check("d.grad", d.grad, None)  # non-leaf tensors keep no gradient

# --------------------------------------------------------------------------------
print("\n2. Broadcasting: y = x + bias, x of shape (3, 4), bias of shape (4,)\n")

x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
bias = Tensor(np.array([0.5, -1.0, 2.0, 0.0]), requires_grad=True)
y = x + bias
print(f"  y = x + bias has shape {y.shape}; each bias element is added to 3 rows")
y.sum().backward()
check("x.grad", x.grad, np.ones((3, 4)))
check("bias.grad", bias.grad, np.full(4, 3.0))  # summed over the 3 rows it was copied to

# --------------------------------------------------------------------------------
print("\n3. A Linear layer's gradients against finite differences\n")

np.random.seed(0)
layer = nn.Linear(4, 3)
inputs = Tensor(np.random.standard_normal((5, 4)), requires_grad=True)
weights = np.random.standard_normal((5, 3))  # loss = sum(weights * layer(inputs))
loss = (layer(inputs) * Tensor(weights)).sum()
loss.backward()
print(f"  loss = sum(weights * Linear(4, 3)(x)) = {loss.item():.6f}")
print("  closed forms: dW = weights^T x, db = column sums of weights, dx = weights W\n")
check("W.grad", layer.weight.grad, weights.T @ inputs.data)
check("b.grad", layer.bias.grad, weights.sum(axis=0))
check("x.grad", inputs.grad, weights @ layer.weight.data)


def loss_of(x: Tensor, weight: Tensor, bias_: Tensor) -> Tensor:
    return x @ weight.T + bias_


numeric = numerical_grad(loss_of, [inputs, layer.weight, layer.bias], weights)
for name, tensor, expected in (("x", inputs, numeric[0]), ("W", layer.weight, numeric[1]),
                               ("b", layer.bias, numeric[2])):
    difference = np.max(np.abs(tensor.grad.data - expected))
    print(f"  {name}.grad vs central differences: largest difference {difference:.1e}")
    mismatches += not difference < 1e-6

# --------------------------------------------------------------------------------
print("\n4. Example 1's graph as a picture: mytorch.viz.make_dot(e)\n")

# Green: AccumulateGrad (a, c); blue: BackwardFunction, labelled with the op; dashed: the
# constants b and 3 (None in next_functions). Arrows point the way gradients flow.
graph = make_dot(e, params={"a": a, "c": c, "d": d, "e": e})
picture = Path(__file__).resolve().parent / "sandbox_graph.svg"
try:
    graph.render(picture)
    print(f"  drawn into {picture}")
except (ImportError, RuntimeError, OSError) as exc:
    print(f"  not drawn: {exc}\n\n  The graph in Graphviz's DOT language (paste it into any "
          "Graphviz viewer):\n")
    print("    " + graph.source.replace("\n", "\n    ").rstrip())

print(f"\n{'all gradients as expected' if not mismatches else f'{mismatches} MISMATCH(ES)'}")
sys.exit(1 if mismatches else 0)
