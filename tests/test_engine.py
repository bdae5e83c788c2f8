"""The autograd engine: graph structure, accumulation, shared subgraphs, depth, memory, errors."""
import gc
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.autograd_engine import AccumulateGrad, BackwardFunction, ContextManager, Function, backward


def test_writeup_example():
    a = Tensor(1, requires_grad=True)
    b = Tensor(2)
    c = Tensor(3, requires_grad=True)
    d = a * b + a
    e = (d + c) + 3
    e.backward()
    assert a.grad.item() == 3 and c.grad.item() == 1
    assert b.grad is None and d.grad is None and e.grad is None
    assert a.dtype == np.float64  # integer data that requires grad becomes float


def test_graph_structure_uses_the_handouts_names():
    a = Tensor.randn(2, 3, requires_grad=True)
    b = Tensor.randn(2, 3)
    c = a * b
    assert isinstance(c.grad_fn, BackwardFunction) and c.grad_fn.function_name == "Mul"
    assert (c.requires_grad, c.is_leaf) == (True, False)
    parent_a, parent_b = c.grad_fn.next_functions
    assert isinstance(parent_a, AccumulateGrad) and parent_a.variable is a
    assert parent_a.function_name == "AccumulateGrad" and parent_a.next_functions == []
    assert parent_b is None  # a constant
    d = c.sum(axis=0)
    assert list(d.grad_fn.next_functions) == [c.grad_fn, None, None]
    assert d.grad_fn.ctx.needs_input_grad == (True, False, False)
    assert repr(c).startswith("tensor([[") and repr(c).endswith("grad_fn=<BackwardFunction(Mul)>)")


def test_constants_make_constant_leaves():
    c = Tensor.ones(2) * 3 + Tensor.zeros(2)
    assert (c.requires_grad, c.is_leaf, c.grad_fn) == (False, True, None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.sum().backward()


def test_gradients_accumulate_until_zeroed_and_never_share_memory():
    a = Tensor.randn(3, requires_grad=True)
    b = Tensor.randn(3, requires_grad=True)
    (a + b).sum().backward()  # Add hands the same array to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2, 2, 2])
    np.testing.assert_array_equal(b.grad.data, [2, 2, 2])
    grad = a.grad
    assert (grad.grad_fn, grad.requires_grad, grad.is_parameter, grad.shape) == (None, False, False, a.shape)
    a.grad = None
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2, 2, 2])


@pytest.mark.parametrize("build", [
    lambda a, b: a + b,                                  # Add hands one array to both inputs
    lambda a, b: a.reshape(3, 2).reshape(6) + b,         # a view of that array reaches a
    lambda a, b: (a + b) + (a * 1.0),                    # a summed in the engine
    lambda a, b: -(a - b),                               # a fresh array for each input
    lambda a, b: a.T + b.T,                              # views for both
], ids=["add", "reshape-view", "sum", "neg-sub", "transposes"])
def test_leaf_grads_never_share_memory_with_each_other_or_the_seed(build):
    a, b = Tensor.randn(6, requires_grad=True), Tensor.randn(6, requires_grad=True)
    seed = np.arange(6.0)
    build(a, b).backward(Tensor(seed))
    arrays = [a.grad.data, b.grad.data, seed]
    for i, first in enumerate(arrays):
        for second in arrays[i + 1:]:
            assert not np.shares_memory(first, second)
    a.grad.data += 100  # changing one .grad changes nothing else
    np.testing.assert_array_equal(seed, np.arange(6.0))
    assert np.all(b.grad.data < 50)


def test_a_leafs_own_backward_copies_the_callers_gradient():
    a = Tensor.randn(3, requires_grad=True)
    seed = np.ones(3)
    a.backward(Tensor(seed))
    assert not np.shares_memory(a.grad.data, seed)


def test_backward_seed_defaults_to_ones_and_accepts_a_gradient():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (a * a).backward()
    np.testing.assert_array_equal(a.grad.data, [2, 4])
    a.grad = None
    (a * a).backward(Tensor(np.array([1.0, 0.5])))
    np.testing.assert_array_equal(a.grad.data, [2, 2])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        (a * a).backward(Tensor.ones(3))
    a.grad = None
    a.backward()  # a leaf's gradient with respect to itself
    np.testing.assert_array_equal(a.grad.data, [1, 1])


def test_shared_subgraph_diamond_60_deep_runs_each_node_once():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    for _ in range(60):
        y = y * 0.5 + y * 0.5
    start = time.perf_counter()
    y.sum().backward()
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])
    assert elapsed < 1.0, f"backward over a 60-deep diamond took {elapsed:.3f} s"


def test_y_plus_y_twenty_times_gives_two_to_the_twenty():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20):
        y = y + y
    y.backward()
    assert x.grad.item() == 2 ** 20


def test_each_backward_runs_once_per_pass():
    calls = []

    class Count(Function):
        @staticmethod
        def forward(ctx, a):
            return Tensor(a.data.copy())

        @staticmethod
        def backward(ctx, grad_output):
            calls.append(1)
            return grad_output

    x = Tensor.randn(2, requires_grad=True)
    shared = Count.apply(x)
    y = shared
    for _ in range(15):
        y = y + y
    y.sum().backward()
    assert len(calls) == 1


def test_chain_of_100000_ops_has_no_recursion_limit():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad.data.tolist() == [1.0]


def test_intermediate_tensors_and_constants_keep_grad_none():
    x = Tensor.randn(4, 3, requires_grad=True)
    w = Tensor.randn(3, 2)
    h = x @ w
    out = h.relu().sum()
    out.backward()
    assert h.grad is None and w.grad is None and out.grad is None
    assert x.grad is not None


def test_failing_backward_leaves_every_grad_as_it_was():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a):
            return Tensor(a.data * 2)

        @staticmethod
        def backward(ctx, grad_output):
            raise RuntimeError("broken backward")

    a = Tensor.randn(3, requires_grad=True)
    b = Tensor.randn(3, requires_grad=True)
    (a * b).sum().backward()
    before = a.grad.data.copy(), b.grad.data.copy()
    loss = (a * b + Broken.apply(b)).sum()  # a's path succeeds before b's path fails
    with pytest.raises(RuntimeError, match="broken backward"):
        loss.backward()
    np.testing.assert_array_equal(a.grad.data, before[0])
    np.testing.assert_array_equal(b.grad.data, before[1])


def test_engine_reports_a_wrong_gradient_shape_at_its_source():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return Tensor(a.data.sum())

        @staticmethod
        def backward(ctx, grad_output):
            return Tensor(np.ones(5))

    a = Tensor.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape \(5,\).*"
                                           r"expected shape \(2, 3\)"):
        WrongShape.apply(a).backward()
    assert a.grad is None


def test_engine_reports_a_wrong_number_of_gradients():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return Tensor(a.data + b.data)

        @staticmethod
        def backward(ctx, grad_output):
            return (grad_output,)

    with pytest.raises(RuntimeError, match="TooFew.backward returned 1 gradients for 2"):
        TooFew.apply(Tensor.randn(2, requires_grad=True), Tensor.randn(2, requires_grad=True)).sum().backward()


def test_failed_forward_leaves_graph_and_grads_as_they_were():
    a = Tensor.randn(2, 3, requires_grad=True)
    y = a * 2
    grad_fn = y.grad_fn
    with pytest.raises(ValueError):
        y @ Tensor.randn(2, 3)
    assert y.grad_fn is grad_fn and a.grad is None
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 2.0))


def test_no_grad_context_and_decorator():
    a = Tensor.randn(2, requires_grad=True)
    with mytorch.no_grad():
        b = a * 2
        assert not mytorch.is_grad_enabled()
    assert mytorch.is_grad_enabled()
    assert (b.requires_grad, b.grad_fn, b.is_leaf) == (False, None, True)

    @mytorch.no_grad()
    def recurse(x, depth):
        return x if depth == 0 else recurse(x * 1.0, depth - 1)

    assert recurse(a, 3).grad_fn is None
    assert mytorch.is_grad_enabled()  # restored even after nested entries


def test_custom_function_with_non_tensor_argument():
    class Scale(Function):
        """b = a * factor"""

        @staticmethod
        def forward(ctx, a, factor):
            ctx.factor = factor
            return Tensor(a.data * factor)

        @staticmethod
        def backward(ctx, grad_output):
            return Tensor(grad_output.data * ctx.factor), None

    a = Tensor.randn(3, requires_grad=True)
    out = Scale.apply(a, 4.0)
    assert out.grad_fn.next_functions[1] is None
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [4, 4, 4])


def test_forward_returning_its_input_does_not_relabel_the_input():
    class Identity(Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    a = Tensor.randn(3, requires_grad=True)
    out = Identity.apply(a)
    assert out is not a and (a.is_leaf, a.grad_fn) == (True, None)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2, 2, 2])


def test_context_manager_saves_tensors_and_none_only():
    ctx = ContextManager()
    a = Tensor.ones(2)
    ctx.save_for_backward(a, None)
    assert ctx.saved_tensors == (a, None)
    with pytest.raises(TypeError, match="save_for_backward takes Tensors or None, got ndarray"):
        ctx.save_for_backward(np.ones(2))


class _LinearFunction(Function):
    """PyTorch's custom-Function tutorial: y = x @ w.T + b, with the bias optional and
    saved even when it is None."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight, bias)
        out = x.data @ weight.data.T
        return Tensor(out if bias is None else out + bias.data)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, bias = ctx.saved_tensors
        grad_bias = None if bias is None else Tensor(grad_output.data.sum(0))
        return Tensor(grad_output.data @ weight.data), Tensor(grad_output.data.T @ x.data), grad_bias


@pytest.mark.parametrize("with_bias", [True, False])
def test_a_function_may_save_none_for_an_optional_input(with_bias):
    rng = np.random.default_rng(0)
    x, w, b = (Tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((4, 3), (2, 3), (2,)))
    out = _LinearFunction.apply(x, w, b) if with_bias else _LinearFunction.apply(x, w)
    (out * out).sum().backward()
    expected_w = 2 * (out.data.T @ x.data)
    np.testing.assert_allclose(w.grad.data, expected_w)
    np.testing.assert_allclose(x.grad.data, 2 * out.data @ w.data)
    assert (b.grad is not None) == with_bias


def test_direct_engine_call():
    a = Tensor.randn(3, requires_grad=True)
    y = a * 3
    backward(y.grad_fn, Tensor.ones(3))
    np.testing.assert_array_equal(a.grad.data, [3, 3, 3])


def test_training_memory_stays_flat_without_gc():
    """No reference cycles between tensors and nodes: each step's graph is freed by refcounting."""
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(50, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    x = Tensor(np.random.randn(32, 50))
    labels = Tensor(np.random.randint(0, 10, 32))

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), labels) + (model[0].weight * model[0].weight).sum() * 1e-4
        loss.backward()
        optimizer.step()
        return weakref.ref(loss), weakref.ref(loss.grad_fn.ctx)

    gc_was_enabled = gc.isenabled()
    gc.collect()  # start from no garbage: earlier tests leave cycles of their own
    gc.disable()
    try:
        # CPython's free lists of small objects fill over the first few hundred steps;
        # only after that is growth a leak.
        for _ in range(800):
            step()
        tracemalloc.start()
        for _ in range(100):
            step()
        middle, _ = tracemalloc.get_traced_memory()
        for _ in range(200):
            graph_refs = step()
            assert all(ref() is None for ref in graph_refs), "a step's graph outlived the step"
        end, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert gc.collect() == 0, "the training loop left reference cycles behind"
    finally:
        if gc_was_enabled:
            gc.enable()
    # Measured: under 100 bytes. A leaked graph would be over 20 KB a step, and 64 KB over
    # 200 steps catches a leak of a single Tensor a step.
    assert end - middle < 64 * 1024, f"memory grew by {end - middle} bytes over 200 steps"


class _Scaled(Function):
    """A non-tensor argument before `*tensors`: the checks must start at the tensors."""

    @staticmethod
    def forward(ctx: ContextManager, factor: float, *tensors: Tensor) -> Tensor:
        ctx.factor, ctx.count = factor, len(tensors)
        return Tensor(factor * sum(t.data for t in tensors))

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor):
        return (None,) + tuple(Tensor(ctx.factor * grad_output.data) for _ in range(ctx.count))


def test_tensor_varargs_after_a_plain_argument_are_checked_from_their_own_position():
    a = Tensor(np.ones(3), requires_grad=True)
    out = _Scaled.apply(2.0, a, np.full(3, 5.0))  # the ndarray becomes a constant
    np.testing.assert_array_equal(out.data, 12.0)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, 2.0)
    with pytest.raises(TypeError, match=r"_Scaled: tensors\[1\] must be a Tensor or an ndarray, got list"):
        _Scaled.apply(2.0, a, [1.0, 2.0, 3.0])


class _Relabel(Function):
    """Returns a Tensor on its input's own array, however the context holds things."""

    @staticmethod
    def forward(ctx, a: Tensor, mode: str) -> Tensor:
        out = Tensor(a.data) if mode != "input itself" else a
        if mode == "ctx keeps the array":
            ctx.kept = out.data
        if mode == "ctx saves the output":
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


@pytest.mark.parametrize("mode", ["plain", "ctx keeps the array", "ctx saves the output", "input itself"])
def test_an_output_on_an_inputs_array_shares_its_version_however_it_is_held(mode):
    """Function.apply recognises a new output by reference counts and leaves anything else
    to the full check: an output on the input's array, or the input itself, must share the
    input's version, whatever else holds them."""
    a = Tensor(np.ones(3))
    out = _Relabel.apply(a, mode)
    assert out is not a
    a.add_(1.0)
    assert out._version == a._version == 1


@pytest.mark.parametrize("keep", [False, True])
def test_a_new_output_gets_a_version_of_its_own(keep):
    class Fresh(Function):
        @staticmethod
        def forward(ctx, a: Tensor) -> Tensor:
            out = Tensor(a.data * 2)
            if keep:  # held twice: the reference counts send it through the full check
                ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            return Tensor(grad_output.data * 2)

    a = Tensor(np.ones(3), requires_grad=True)
    out = Fresh.apply(a)
    with mytorch.no_grad():
        a.add_(1.0)
    assert a._version == 1 and out._version == 0
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, 2.0)


def test_arguments_annotated_as_non_tensors_are_not_graph_inputs():
    """Only arguments that may hold a tensor (annotated Tensor, unannotated, or Any) get a
    node: backward answers None for the others, so a node there would never be reached."""
    class Scale(Function):
        @staticmethod
        def forward(ctx, a: Tensor, factor: float, b) -> Tensor:
            ctx.factor = factor
            return Tensor(a.data * b.data * 2)

        @staticmethod
        def backward(ctx, grad_output):
            return Tensor(grad_output.data * 2), None, None

    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    factor = Tensor(np.ones(()), requires_grad=True)
    out = Scale.apply(a, factor, b)
    assert Scale._graph_positions == (0, 2) and Scale._tensor_positions == (0,)
    assert out.grad_fn.next_functions[1] is None and out.grad_fn.next_functions[2] is not None
    assert out.grad_fn.ctx.needs_input_grad == (True, False, True)


def test_nodes_run_after_every_consumer_whenever_their_inputs_were_made():
    """The backward pass runs nodes by creation order (sequence_nr): a leaf's node made for
    an earlier graph, and a branch computed long before it is used, still run last."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    early = w * 2.0        # made first, used last
    kept = w * 10.0        # another graph that keeps w's AccumulateGrad alive
    middle = (w * 3.0).exp()
    late = (middle * 0.0 + early * early).sum() + (w * 4.0).sum()
    assert early.grad_fn.sequence_nr < middle.grad_fn.sequence_nr < late.grad_fn.sequence_nr
    late.backward()
    np.testing.assert_allclose(w.grad.data, 8.0 * w.data + 4.0)
    assert kept.grad_fn.next_functions[0] is early.grad_fn.next_functions[0]  # one node for w
