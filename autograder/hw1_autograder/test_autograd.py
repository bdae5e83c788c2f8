"""Problem 1: the elementwise ops (1.1) and the autograd engine (1.2).

Each test raises AssertionError saying what differs and by how much. References are
NumPy: the values and derivatives in closed form, and central differences of the same
NumPy expression, on several seeded shapes, broadcasting ones included.
"""
from typing import Callable, Tuple

import numpy as np

from autograder.helpers import (assert_close, assert_numerically_close, check_flags,
                                check_grad, check_no_grad, check_tensor, numerical_grads,
                                random_array, sum_to_shape)
from mytorch import Tensor, no_grad
from mytorch.autograd_engine import AccumulateGrad, BackwardFunction, ContextManager
from mytorch.nn.functional import Add, Div, Mul, Sub

# (shape of a, shape of b): equal shapes, then NumPy broadcasting of every kind.
OP_SHAPES = [
    ((2, 3), (2, 3)),
    ((1, 2, 3), (1, 2, 3)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 3), (4, 1)),
    ((), (5,)),
    ((1,), (3, 1)),
    ((4, 1), ()),
]

Grads = Tuple[np.ndarray, np.ndarray]


# ------------------------------------------------------------- 1.1 elementwise ops

def test_sub() -> None:
    """c = a - b: dc/da = 1, dc/db = -1."""
    _check_binary_op("Sub", Sub, "-", np.subtract,
                     lambda a, b, g: (g, -g), seed=1)


def test_mul() -> None:
    """c = a * b: dc/da = b, dc/db = a."""
    _check_binary_op("Mul", Mul, "*", np.multiply,
                     lambda a, b, g: (g * b, g * a), seed=2)


def test_div() -> None:
    """c = a / b: dc/da = 1 / b, dc/db = -a / b**2."""
    _check_binary_op("Div", Div, "/", np.true_divide,
                     lambda a, b, g: (g / b, -g * a / b ** 2), seed=3)


def test_add() -> None:
    """c = a + b: dc/da = dc/db = 1 (the handout's freebie)."""
    _check_binary_op("Add", Add, "+", np.add, lambda a, b, g: (g, g), seed=4)


def _check_binary_op(name: str, function: type, symbol: str, numpy_op: Callable,
                     closed_form: Callable[[np.ndarray, np.ndarray, np.ndarray], Grads],
                     seed: int) -> None:
    """Check `function` called directly (forward/backward with a ContextManager, as the
    handout's tests call it), through its operator with autograd, and with Python
    numbers on either side, on every pair of OP_SHAPES."""
    rng = np.random.default_rng(seed)
    for shape_a, shape_b in OP_SHAPES:
        case = f"{name}: a{shape_a} {symbol} b{shape_b}"
        a_data = random_array(rng, shape_a)
        # Divisors away from 0, so 1/b and the differences stay well conditioned.
        b_data = random_array(rng, shape_b, low_magnitude=0.5 if function is Div else 0.0)
        grad_out = rng.standard_normal(np.broadcast_shapes(shape_a, shape_b))
        expected = numpy_op(a_data, b_data)
        grad_a, grad_b = closed_form(a_data, b_data, grad_out)
        grad_a, grad_b = sum_to_shape(grad_a, shape_a), sum_to_shape(grad_b, shape_b)
        a_fd, b_fd = a_data.copy(), b_data.copy()
        numeric_a, numeric_b = numerical_grads(
            lambda: np.sum(grad_out * numpy_op(a_fd, b_fd)), [a_fd, b_fd])

        # The Function on its own.
        a = Tensor(a_data.copy(), requires_grad=True)
        b = Tensor(b_data.copy(), requires_grad=True)
        ctx = ContextManager()
        c = function.forward(ctx, a, b)
        check_tensor(c, f"{case}: {name}.forward's result")
        assert_close(c, expected, f"{case}: {name}.forward")
        grads = function.backward(ctx, Tensor(grad_out.copy()))
        if not isinstance(grads, (tuple, list)) or len(grads) < 2:
            raise AssertionError(f"{case}: {name}.backward must return one gradient per "
                                 f"input (a, b), got {grads!r}")
        for index, (grad, closed, numeric) in enumerate(
                ((grads[0], grad_a, numeric_a), (grads[1], grad_b, numeric_b))):
            label = f"{case}: {name}.backward, gradient of {'ab'[index]}"
            check_tensor(grad, label)
            assert_close(grad, closed, label)
            assert_numerically_close(grad, numeric, label)

        # The operator, through the graph.
        a = Tensor(a_data.copy(), requires_grad=True)
        b = Tensor(b_data.copy(), requires_grad=True)
        c = _apply_operator(symbol, a, b)
        assert_close(c, expected, f"{case}: operator {symbol}")
        check_flags(c, f"{case}: c", requires_grad=True, is_leaf=False)
        c.backward(Tensor(grad_out.copy()))
        for tensor, closed, numeric, label in ((a, grad_a, numeric_a, "a"),
                                               (b, grad_b, numeric_b, "b")):
            check_grad(tensor, f"{case}: {label}")
            assert_close(tensor.grad, closed, f"{case}: {label}.grad")
            assert_numerically_close(tensor.grad, numeric, f"{case}: {label}.grad")
        check_no_grad(c, f"{case}: c")

    # A Python number on either side is a constant.
    x_data = random_array(rng, (2, 3), low_magnitude=0.5)
    for number_first in (False, True):
        x = Tensor(x_data.copy(), requires_grad=True)
        number = 2.5
        if number_first:
            c = _apply_operator(symbol, number, x)
            expected = numpy_op(number, x_data)
            grad = closed_form(np.full_like(x_data, number), x_data, np.ones_like(x_data))[1]
            case = f"{name}: {number} {symbol} x"
        else:
            c = _apply_operator(symbol, x, number)
            expected = numpy_op(x_data, number)
            grad = closed_form(x_data, np.full_like(x_data, number), np.ones_like(x_data))[0]
            case = f"{name}: x {symbol} {number}"
        check_tensor(c, case)
        assert_close(c, expected, case)
        c.backward(Tensor(np.ones(c.shape)))
        check_grad(x, f"{case}: x")
        assert_close(x.grad, grad, f"{case}: x.grad")


def _apply_operator(symbol: str, a, b):
    """a <symbol> b with Python's operator, so Tensor's overloads are what is tested."""
    if symbol == "+":
        return a + b
    if symbol == "-":
        return a - b
    if symbol == "*":
        return a * b
    return a / b


# ------------------------------------------------------------------- 1.2 autograd

def test_autograd_writeup_example() -> None:
    """The write-up's example: d = a*b + a, e = (d + c) + 3 with a = 1 and c = 3
    requiring grad and b = 2 a constant; then the handout's variant where b requires
    grad too."""
    a = Tensor(1.0, requires_grad=True)
    b = Tensor(2.0)
    c = Tensor(3.0, requires_grad=True)
    ab = a * b
    d = ab + a
    dc = d + c
    e = dc + 3
    for tensor, value, label in ((ab, 2.0, "a*b"), (d, 3.0, "d = a*b + a"),
                                 (dc, 6.0, "d + c"), (e, 9.0, "e = (d + c) + 3")):
        assert_close(tensor, value, label)
        check_flags(tensor, label, requires_grad=True, is_leaf=False)
    check_flags(a, "a", requires_grad=True, is_leaf=True)
    check_flags(b, "b", requires_grad=False, is_leaf=True)
    check_flags(c, "c", requires_grad=True, is_leaf=True)

    # The graph the write-up draws: a BackwardFunction per op whose next_functions hold,
    # per argument, the argument's grad_fn, an AccumulateGrad for a leaf that requires
    # grad, or None for a constant.
    _check_node(e.grad_fn, "e.grad_fn", [dc.grad_fn, None])
    _check_node(dc.grad_fn, "(d + c).grad_fn", [d.grad_fn, c])
    _check_node(d.grad_fn, "d.grad_fn", [ab.grad_fn, a])
    _check_node(ab.grad_fn, "(a*b).grad_fn", [a, None])

    e.backward()
    check_grad(a, "a")
    assert_close(a.grad, 3.0, "a.grad (de/da = b + 1)")
    check_grad(c, "c")
    assert_close(c.grad, 1.0, "c.grad (de/dc = 1)")
    check_no_grad(b, "b")
    for tensor, label in ((ab, "a*b"), (d, "d"), (dc, "d + c"), (e, "e")):
        check_no_grad(tensor, label)

    # The handout's variant: b requires grad as well.
    a, b, c = (Tensor(value, requires_grad=True) for value in (1.0, 2.0, 3.0))
    e = (a * b + a + c) + 3
    e.backward()
    for tensor, value, label in ((a, 3.0, "a (de/da = b + 1)"), (b, 1.0, "b (de/db = a)"),
                                 (c, 1.0, "c (de/dc = 1)")):
        check_grad(tensor, label)
        assert_close(tensor.grad, value, f"{label}: grad")


def _check_node(node, what: str, expected) -> None:
    """`node` is a BackwardFunction whose next_functions match `expected`: a node
    itself, a leaf Tensor (meaning its AccumulateGrad) or None."""
    if not isinstance(node, BackwardFunction):
        raise AssertionError(f"{what}: expected a BackwardFunction, got {node!r}")
    parents = list(node.next_functions)
    if len(parents) != len(expected):
        raise AssertionError(f"{what}.next_functions has {len(parents)} entries, expected "
                             f"{len(expected)} (one per argument of the op)")
    for index, (parent, want) in enumerate(zip(parents, expected)):
        label = f"{what}.next_functions[{index}]"
        if want is None:
            if parent is not None:
                raise AssertionError(f"{label}: expected None for a constant, got {parent!r}")
        elif isinstance(want, Tensor):
            if not isinstance(parent, AccumulateGrad) or parent.variable is not want:
                raise AssertionError(f"{label}: expected an AccumulateGrad of the leaf, "
                                     f"got {parent!r}")
        elif parent is not want:
            raise AssertionError(f"{label}: expected the argument's grad_fn {want!r}, "
                                 f"got {parent!r}")


def test_autograd_constants() -> None:
    """Constants get no gradient and no node; an op on constants only records nothing."""
    rng = np.random.default_rng(5)
    a_data, b_data = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    a = Tensor(a_data.copy(), requires_grad=True)
    b = Tensor(b_data.copy())
    c = a * b + b
    check_flags(c, "c = a*b + b (a requires grad)", requires_grad=True, is_leaf=False)
    c.backward(Tensor(np.ones((2, 3))))
    check_grad(a, "a")
    assert_close(a.grad, b_data, "a.grad")
    check_no_grad(b, "b (a constant)")
    check_flags(b, "b after backward", requires_grad=False, is_leaf=True)

    x, y = Tensor(a_data.copy()), Tensor(b_data.copy())
    z = x * y - x / (y * y + 1.0)
    check_flags(z, "z = x*y - x/(y*y + 1) of constants", requires_grad=False, is_leaf=True)
    assert_close(z, a_data * b_data - a_data / (b_data * b_data + 1.0), "z")


def test_autograd_broadcast() -> None:
    """Broadcasting in Add (and the ops after it): the gradient of an input is summed
    over the positions it was copied to."""
    rng = np.random.default_rng(6)
    for shape_x, shape_bias in (((3, 4), (4,)), ((3, 4), (1, 4)), ((2, 3, 4), (3, 1)),
                                ((5,), ()), ((2, 1), (1, 3))):
        case = f"x{shape_x} + bias{shape_bias}"
        x_data, bias_data = rng.standard_normal(shape_x), rng.standard_normal(shape_bias)
        out_shape = np.broadcast_shapes(shape_x, shape_bias)
        grad_out = rng.standard_normal(out_shape)
        x = Tensor(x_data.copy(), requires_grad=True)
        bias = Tensor(bias_data.copy(), requires_grad=True)
        y = (x + bias) * 2.0
        assert_close(y, (x_data + bias_data) * 2.0, f"{case}: (x + bias) * 2")
        y.backward(Tensor(grad_out))
        for tensor, shape, label in ((x, shape_x, "x"), (bias, shape_bias, "bias")):
            check_grad(tensor, f"{case}: {label}")
            assert_close(tensor.grad, sum_to_shape(2.0 * grad_out, shape), f"{case}: {label}.grad")


def test_autograd_reuse() -> None:
    """A tensor used several times gets the sum of the gradients of every use, and a
    shared subgraph is walked once (y = y + y twenty times is instant and gives 2**20)."""
    rng = np.random.default_rng(7)
    a_data = random_array(rng, (3, 4))
    b_data = random_array(rng, (3, 4), low_magnitude=0.5)

    a = Tensor(a_data.copy(), requires_grad=True)
    y = a * a + a
    y.backward(Tensor(np.ones((3, 4))))
    check_grad(a, "a in y = a*a + a")
    assert_close(a.grad, 2 * a_data + 1, "a.grad for y = a*a + a (2a + 1)")

    # e = d*d + d/b with d = a*b shared: e = a^2 b^2 + a.
    a = Tensor(a_data.copy(), requires_grad=True)
    b = Tensor(b_data.copy(), requires_grad=True)
    d = a * b
    e = d * d + d / b
    grad_out = rng.standard_normal((3, 4))
    e.backward(Tensor(grad_out))
    a_fd, b_fd = a_data.copy(), b_data.copy()
    numeric_a, numeric_b = numerical_grads(
        lambda: np.sum(grad_out * ((a_fd * b_fd) ** 2 + a_fd * b_fd / b_fd)), [a_fd, b_fd])
    for tensor, closed, numeric, label in (
            (a, grad_out * (2 * a_data * b_data ** 2 + 1), numeric_a, "a"),
            (b, grad_out * (2 * a_data ** 2 * b_data), numeric_b, "b")):
        check_grad(tensor, f"e = d*d + d/b, d = a*b: {label}")
        assert_close(tensor.grad, closed, f"e = d*d + d/b, d = a*b: {label}.grad")
        assert_numerically_close(tensor.grad, numeric, f"e = d*d + d/b, d = a*b: {label}.grad")
    check_no_grad(d, "d = a*b (shared, non-leaf)")

    # Count Add.backward calls per node rather than time the pass: a walk per path makes
    # 2**20 - 1 calls, a walk per node 20, whatever the machine's load.
    calls = []
    add_backward = Add.backward

    def counting_backward(ctx: ContextManager, grad_output: Tensor):
        calls.append(id(ctx))
        return add_backward(ctx, grad_output)

    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    Add.backward = staticmethod(counting_backward)
    try:
        for _ in range(20):
            y = y + y
        y.backward(Tensor(np.ones(2)))
    finally:
        Add.backward = staticmethod(add_backward)
    check_grad(x, "x in y = y + y (20 times)")
    assert_close(x.grad, [2.0 ** 20] * 2, "x.grad for y = y + y (20 times)")
    if len(calls) != 20 or len(set(calls)) != 20:
        raise AssertionError(f"y = y + y (20 times): Add.backward ran {len(calls)} times over "
                             f"{len(set(calls))} nodes; backward must run each of the 20 Add "
                             "nodes once, not once per path")

    # A long chain must not hit Python's recursion limit.
    x = Tensor(np.array(0.5), requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0 + 0.001
    y.backward()
    check_grad(x, "x at the start of a 3,000-op chain")
    assert_close(x.grad, 1.0, "x.grad through a 3,000-op chain")


def test_autograd_composite() -> None:
    """A longer expression of + - * / with broadcasting, against central differences."""
    rng = np.random.default_rng(8)
    for shape_a, shape_b, shape_c in (((3, 4), (4,), (3, 1)), ((2, 2), (2, 2), ()),
                                      ((5,), (1,), (5,))):
        case = f"f(a{shape_a}, b{shape_b}, c{shape_c})"
        arrays = [random_array(rng, shape) for shape in (shape_a, shape_b, shape_c)]
        out_shape = np.broadcast_shapes(shape_a, shape_b, shape_c)
        grad_out = rng.standard_normal(out_shape)

        def f(a, b, c):
            return ((a * b - c) / (b * b + 1.0) + a) * (c - 2.0) - b / 3.0

        a, b, c = (Tensor(array.copy(), requires_grad=True) for array in arrays)
        out = f(a, b, c)
        assert_close(out, f(*arrays), f"{case}: value")
        out.backward(Tensor(grad_out))
        copies = [array.copy() for array in arrays]
        numeric = numerical_grads(lambda: np.sum(grad_out * f(*copies)), copies)
        for tensor, expected, label in zip((a, b, c), numeric, "abc"):
            check_grad(tensor, f"{case}: {label}")
            assert_numerically_close(tensor.grad, expected, f"{case}: {label}.grad")
        check_no_grad(out, f"{case}: output")


def test_autograd_accumulate() -> None:
    """Gradients accumulate over backward passes into the leaf's own .grad Tensor."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x * 2.0).backward(Tensor(np.ones(3)))
    (x * 3.0).backward(Tensor(np.ones(3)))
    check_grad(x, "x after two backward passes")
    assert_close(x.grad, [5.0, 5.0, 5.0], "x.grad after backward of 2x then of 3x")
    x.grad = None
    (x * 3.0).backward(Tensor(np.ones(3)))
    assert_close(x.grad, [3.0, 3.0, 3.0], "x.grad after resetting it and backward of 3x")


def test_autograd_no_grad() -> None:
    """Under no_grad, ops give constant leaves; recording resumes afterwards."""
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    with no_grad():
        y = x * 2.0 + 1.0
    check_flags(y, "y = x*2 + 1 under no_grad", requires_grad=False, is_leaf=True)
    assert_close(y, [3.0, -3.0], "y = x*2 + 1 under no_grad")
    z = x * 2.0
    check_flags(z, "z = x*2 after no_grad", requires_grad=True, is_leaf=False)
