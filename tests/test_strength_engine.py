"""The engine's contract with ops and callers, pinned down where one-line bugs survived
(issue 21): what a backward may return, leaves whose data changed, gradients that must
never alias the caller's arrays, saved tensors, and ops called without their optional
arguments."""
import gc

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn, optim
from mytorch import ops
from mytorch.autograd_engine import AccumulateGrad, ContextManager, Function


def _returning(make_grad):
    """A Function y = 2a whose backward returns `make_grad(grad_output)`."""

    class Returning(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            return Tensor(a.data * 2)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            return make_grad(grad_output)

    return Returning


def test_a_backward_returning_the_wrong_dtype_is_refused_and_changes_no_grad():
    op = _returning(lambda g: Tensor((2 * g.data).astype(np.float32)))
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Returning\.backward returned a gradient of shape "
                                           r"\(3,\) and dtype float32 for input 0; expected "
                                           r"shape \(3,\) and dtype float64"):
        op.apply(x).sum().backward()
    assert x.grad is None


def test_a_backward_returning_the_wrong_shape_is_refused():
    op = _returning(lambda g: Tensor(np.ones(4)))
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(4,\).*expected shape \(3,\)"):
        op.apply(x).sum().backward()
    assert x.grad is None


def test_a_backward_returning_an_ndarray_is_a_type_error_naming_the_op():
    op = _returning(lambda g: 2 * g.data)
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"Returning\.backward returned a ndarray for input 0; "
                                        "gradients must be Tensors"):
        op.apply(x).sum().backward()
    assert x.grad is None


def test_a_backward_returning_too_many_gradients_is_refused():
    op = _returning(lambda g: (Tensor(2 * g.data), Tensor(g.data)))
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Returning\.backward returned 2 gradients for 1 "
                                           "forward arguments"):
        op.apply(x).sum().backward()
    # Extra Nones are fine: an op answers for optional arguments nobody passed.
    _returning(lambda g: (Tensor(2 * g.data), None, None)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2, 2, 2])


def test_a_lone_gradient_counts_as_a_one_tuple():
    x = Tensor(np.ones(3), requires_grad=True)
    _returning(lambda g: Tensor(2 * g.data)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2, 2, 2])


def test_forward_returning_an_ndarray_is_a_type_error_naming_the_op():
    class Raw(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            return a.data * 2

    with pytest.raises(TypeError, match=r"Raw\.forward returned a ndarray, not a Tensor"):
        Raw.apply(Tensor(np.ones(2), requires_grad=True))


def test_a_leaf_whose_data_changed_shape_before_backward_is_refused():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x + 1).sum()
    x.data = np.ones(4)
    with pytest.raises(RuntimeError, match=r"AccumulateGrad: gradient of shape \(3,\) for a "
                                           r"leaf of shape \(4,\)"):
        y.backward()
    assert x.grad is None


def test_a_leaf_whose_data_changed_dtype_gets_a_grad_of_its_new_dtype():
    # Exp's backward makes a new float64 array, large enough for the engine to hand it
    # over without a copy when the dtypes agree: here they do not.
    x = Tensor(np.zeros((100, 100)), requires_grad=True)
    y = x.exp().sum()
    x.data = x.data.astype(np.float32)
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (100, 100)
    np.testing.assert_array_equal(x.grad.data, 1)


@pytest.mark.parametrize("use", [lambda x: x * Tensor(np.full(3, 2.0)), lambda x: x + 1,
                                 lambda x: x.exp(), lambda x: x.tanh(), lambda x: x @ Tensor(np.ones((3, 2))),
                                 lambda x: x[[0, 0]], lambda x: x.sum(), lambda x: x / 3])
def test_a_leaf_whose_data_changed_dtype_never_gets_a_grad_of_another_dtype(use):
    """Refused with the engine's RuntimeError, or given a .grad of the leaf's new dtype."""
    x = Tensor(np.ones(3), requires_grad=True)
    y = use(x).sum()
    x.data = x.data.astype(np.float32)
    try:
        y.backward()
    except RuntimeError as error:
        assert "dtype float32" in str(error) and x.grad is None
    else:
        assert x.grad.dtype == np.float32 and x.grad.shape == (3,)


def test_a_grad_of_the_wrong_shape_set_by_hand_is_refused_before_anything_changes():
    x = Tensor(np.ones(3), requires_grad=True)
    w = Tensor(np.ones(3), requires_grad=True)
    x.grad = Tensor(np.ones(2))
    with pytest.raises(RuntimeError, match=r"AccumulateGrad: the leaf of shape \(3,\) has a "
                                           r"\.grad of shape \(2,\)"):
        (x * w).sum().backward()
    assert w.grad is None
    np.testing.assert_array_equal(x.grad.data, [1, 1])


@pytest.mark.parametrize("size", [3, 20000])  # below and above the engine's no-copy size
def test_retain_grad_never_aliases_the_callers_gradient(size):
    x = Tensor(np.ones(size), requires_grad=True)
    y = x * 2
    y.retain_grad()
    gradient = np.full(size, 1.5)
    y.backward(gradient)
    assert not np.shares_memory(y.grad.data, gradient)
    y.backward(gradient)
    np.testing.assert_array_equal(gradient, 1.5)
    np.testing.assert_array_equal(y.grad.data, 3.0)
    np.testing.assert_array_equal(x.grad.data, 6.0)


@pytest.mark.parametrize("size", [3, 20000])
def test_a_leafs_grad_never_aliases_the_callers_gradient(size):
    x = Tensor(np.ones(size), requires_grad=True)
    gradient = np.full(size, 1.5)
    x.backward(gradient)
    x.backward(gradient)
    np.testing.assert_array_equal(gradient, 1.5)
    np.testing.assert_array_equal(x.grad.data, 3.0)
    # Through an op that passes its gradient on unchanged (Add returns grad_output's array).
    z = Tensor(np.ones(size), requires_grad=True)
    (z + 1).backward(gradient)
    (z + 1).backward(gradient)
    np.testing.assert_array_equal(gradient, 1.5)
    np.testing.assert_array_equal(z.grad.data, 3.0)


def test_a_grad_made_by_an_op_is_not_shared_between_two_leaves():
    # One backward's array may become one leaf's .grad without a copy, never two leaves'.
    class Same(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
            return Tensor(a.data + b.data)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            shared = Tensor(grad_output.data * 1.0)
            return shared, shared

    a = Tensor(np.zeros(20000), requires_grad=True)
    b = Tensor(np.zeros(20000), requires_grad=True)
    Same.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data += 1
    np.testing.assert_array_equal(b.grad.data, 1.0)


def test_a_grad_never_aliases_an_array_the_op_keeps():
    class Keeps(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            ctx.kept = np.full(a.shape, 3.0)
            return Tensor(a.data * 3)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            return Tensor(ctx.kept)

    a = Tensor(np.zeros(20000), requires_grad=True)
    out = Keeps.apply(a)
    out.sum().backward()
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, 6.0)
    np.testing.assert_array_equal(out.grad_fn.ctx.kept, 3.0)


def test_a_grad_never_aliases_a_tensor_the_op_saved():
    class ReturnsSaved(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            ctx.save_for_backward(Tensor(np.full(a.shape, 3.0)))
            return Tensor(a.data * 3)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            return Tensor(ctx.saved_tensors[0].data)

    a = Tensor(np.zeros(20000), requires_grad=True)
    out = ReturnsSaved.apply(a)
    out.sum().backward()
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, 6.0)
    np.testing.assert_array_equal(out.grad_fn.ctx.saved_tensors[0].data, 3.0)


def test_accumulate_grad_called_by_hand_copies_the_gradient_it_is_given():
    """The handout's tests call AccumulateGrad.apply directly."""
    x = Tensor(np.zeros(20000), requires_grad=True)
    gradient = np.ones(20000)
    node = AccumulateGrad(x)
    node.apply(Tensor(gradient))
    node.apply(Tensor(gradient))
    np.testing.assert_array_equal(x.grad.data, 2.0)
    np.testing.assert_array_equal(gradient, 1.0)
    with pytest.raises(RuntimeError, match=r"AccumulateGrad: gradient of shape \(3,\)"):
        node.apply(Tensor(np.ones(3)))


def test_two_save_for_backward_calls_add_up():
    class Twice(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor, b: Tensor) -> Tensor:
            ctx.save_for_backward(a)
            ctx.save_for_backward(b)
            return Tensor(a.data * b.data)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            a, b = ctx.saved_tensors
            return Tensor(grad_output.data * b.data), Tensor(grad_output.data * a.data)

    a = Tensor(np.array([2.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    out = Twice.apply(a, b)
    assert out.grad_fn.ctx.saved_tensors == (a, b)
    out.backward()
    assert (a.grad.item(), b.grad.item()) == (3.0, 2.0)
    # The second call's tensor is version-checked like the first's.
    out = Twice.apply(a, b)
    with mytorch.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match=r"Twice\.backward: its input 'b' .* modified by an "
                                           "in-place operation"):
        out.backward()


def test_save_for_backward_takes_only_tensors():
    ctx = ContextManager()
    with pytest.raises(TypeError, match="save_for_backward takes Tensors or None, got ndarray"):
        ctx.save_for_backward(Tensor(1.0), np.ones(2))
    assert ctx.saved_tensors == ()


def test_a_saved_output_changed_in_place_is_named():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    with mytorch.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"Exp\.backward: its output \(shape \(3,\)\) was "
                                           "modified .* at version 1, expected version 0"):
        y.sum().backward()


def test_a_saved_constant_input_changed_in_place_is_named():
    x = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.full(3, 2.0))
    y = x * c
    c.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul\.backward: its input 'b' \(shape \(3,\)\)"):
        y.sum().backward()


# -------------------------------------------------- ops called without optional arguments

def _rng():
    return np.random.default_rng(21)


def _leaf(*shape):
    return Tensor(_rng().standard_normal(shape), requires_grad=True)


def _recurrent_args(gates, state):
    rng = _rng()
    hidden, size = 3, 2
    return [Tensor(rng.standard_normal(s), requires_grad=True) for s in
            [(4, size), (4, state * hidden), (gates * hidden, size), (gates * hidden, hidden),
             (gates * hidden,), (gates * hidden,)]]


# (op, its required arguments, the defaults of the optional ones it may leave out)
OPTIONAL = [
    (ops.Linear, lambda: [_leaf(4, 3), _leaf(2, 3)], [None]),
    (ops.Conv1d, lambda: [_leaf(2, 3, 7), _leaf(4, 3, 3)], [None, 1, 0]),
    (ops.Conv2d, lambda: [_leaf(2, 3, 5, 5), _leaf(4, 3, 3, 3)], [None, 1, 0]),
    (ops.RNNCell, lambda: _recurrent_args(1, 1), ["tanh"]),
    (ops.Softmax, lambda: [_leaf(3, 4)], [-1]),
    (ops.LogSoftmax, lambda: [_leaf(3, 4)], [-1]),
    (ops.GELU, lambda: [_leaf(3, 4)], ["none"]),
    (ops.Dropout, lambda: [_leaf(3, 4)], [0.5, False]),
    (ops.Clamp, lambda: [_leaf(3, 4), -0.5], [None]),
    (ops.Sum, lambda: [_leaf(3, 4)], [None, False]),
    (ops.Mean, lambda: [_leaf(3, 4)], [None, False]),
    (ops.Max, lambda: [_leaf(3, 4)], [None, False]),
    (ops.Var, lambda: [_leaf(3, 4)], [None, False, 1]),
    (ops.Transpose, lambda: [_leaf(3, 4)], [None]),
    (ops.Unsqueeze, lambda: [_leaf(3, 4)], [0]),
    (ops.Squeeze, lambda: [_leaf(3, 1)], [None]),
    (ops.MaxPool1d, lambda: [_leaf(2, 3, 8), 2], [None]),
    (ops.AvgPool1d, lambda: [_leaf(2, 3, 8), 2], [None]),
    (ops.MaxPool2d, lambda: [_leaf(2, 3, 4, 4), 2], [None]),
    (ops.AvgPool2d, lambda: [_leaf(2, 3, 4, 4), 2], [None]),
    (ops.CrossEntropy, lambda: [_leaf(3, 4), Tensor(np.array([0, 3, 1]))], ["mean"]),
    (ops.NLL, lambda: [_leaf(3, 4), Tensor(np.array([0, 3, 1]))], ["mean"]),
    (ops.MSE, lambda: [_leaf(3, 4), _leaf(3, 4)], ["mean"]),
]


@pytest.mark.parametrize("op, required, defaults", OPTIONAL, ids=[o[0].__name__ for o in OPTIONAL])
def test_an_op_without_its_optional_arguments_runs_backward_as_with_them(op, required, defaults):
    """The conv-without-bias crash (issue 21) for every op: backward may ask
    `needs_input_grad` about arguments the caller left out."""
    short, full = required(), required()
    op.apply(*short).sum().backward()
    op.apply(*full, *defaults).sum().backward()
    assert len(op.apply(*short).grad_fn.ctx.needs_input_grad) == len(op._arg_names)
    for left, right in zip(short, full):
        if isinstance(left, Tensor) and left.requires_grad:
            np.testing.assert_array_equal(left.grad.data, right.grad.data)


def test_a_handmade_context_asks_for_every_gradient():
    """The handout's tests call forward and backward directly with a context they made."""
    ctx = ContextManager()
    assert ctx.needs_input_grad[0] and ctx.needs_input_grad[7]
    x, w = _leaf(4, 3), _leaf(2, 3)
    out = ops.Linear.forward(ctx, x, w)
    grad_x, grad_w, grad_b = ops.Linear.backward(ctx, Tensor(np.ones(out.shape)))
    np.testing.assert_allclose(grad_x.data, np.ones((4, 2)) @ w.data)
    np.testing.assert_allclose(grad_w.data, np.ones((2, 4)) @ x.data)


def test_tied_weights_are_listed_once_and_an_optimizer_builds():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]
    assert len(list(model.parameters())) == 3
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((2, 3)))
    model(x).sum().backward()
    # The tied weight gets both uses' gradients, once: the sum of what each layer alone gives.
    grad = a.weight.grad.data.copy()
    before = a.weight.data.copy()
    optimizer.step()
    np.testing.assert_allclose(a.weight.data, before - 0.1 * grad)
    assert b.weight is a.weight
    with pytest.raises(ValueError, match="the same parameter .* twice"):
        optim.SGD([a.weight, b.weight], lr=0.1)


def test_assigning_a_tensor_that_requires_grad_into_a_constant_is_refused():
    x = Tensor(np.zeros(3))
    y = Tensor(np.array(5.0), requires_grad=True)
    for value in (y, y * 2):
        with pytest.raises(RuntimeError, match="__setitem__: assigning a tensor that requires "
                                               "grad into another tensor is not supported"):
            x[0] = value
    np.testing.assert_array_equal(x.data, 0)
    assert x._version == 0 and not x.requires_grad
    with mytorch.no_grad():  # outside the graph it is an ordinary write
        x[0] = y
    np.testing.assert_array_equal(x.data, [5, 0, 0])
    assert x._version == 1


def test_anomaly_modes_forward_stack_ends_at_the_users_line():
    """The library's own frames (Tensor methods, Function.apply) are cut from the end."""
    x = Tensor(np.array([0.0]), requires_grad=True)
    with mytorch.autograd.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.log()  # the last line of the stack
        with pytest.raises(RuntimeError) as error:
            y.sum().backward()
    stack = str(error.value).split("(most recent call last):\n", 1)[1]
    assert stack.rstrip().endswith("y = x.log()  # the last line of the stack")
    assert "mytorch/" not in stack.rsplit(__file__, 1)[1]


def test_a_function_without_forward_or_backward_says_so():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            return Tensor(a.data * 2)

    class NoForward(Function):
        pass

    out = NoBackward.apply(Tensor(np.ones(2), requires_grad=True))
    with pytest.raises(NotImplementedError):
        out.sum().backward()
    with pytest.raises(NotImplementedError):
        NoForward.apply(Tensor(np.ones(2), requires_grad=True))


def test_where_takes_a_number_on_either_side_in_the_tensors_dtype():
    condition = Tensor(np.array([True, False, True]))
    x = Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    left, right = mytorch.where(condition, x, 5.0), mytorch.where(condition, 5.0, x)
    np.testing.assert_array_equal(left.data, [1, 5, 3])
    np.testing.assert_array_equal(right.data, [5, 2, 5])
    assert left.dtype == right.dtype == np.float32
    (left + right * 10).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1, 10, 1])


def test_cat_and_stack_default_to_the_first_axis():
    a, b = Tensor(np.zeros((1, 2))), Tensor(np.ones((1, 2)))
    assert mytorch.cat([a, b]).shape == (2, 2)
    assert mytorch.stack([a, b]).shape == (2, 1, 2)
    np.testing.assert_array_equal(mytorch.cat([a, b]).data, [[0, 0], [1, 1]])


@pytest.mark.parametrize("function", [mytorch.cat, mytorch.stack])
def test_cat_and_stack_take_a_list_or_tuple_only(function):
    a = Tensor(np.ones((1, 2)))
    name = function.__name__
    for seq, kind in [(a, "Tensor"), ((t for t in [a, a]), "generator"), ({0: a}, "dict")]:
        with pytest.raises(TypeError, match=rf"{name}: expected a list or tuple of tensors, got {kind}"):
            function(seq)
    assert function((a, a)).shape == function([a, a]).shape


# ------------------------------------------------- lines no test ran (the tool's line map)

def test_accumulate_grad_has_the_handouts_repr():
    x = Tensor(np.ones(2), requires_grad=True)
    assert repr((x * 2).grad_fn.next_functions[0]) == "<AccumulateGrad>"


class _SavesConstants(Function):
    """out = a * b * c, saving the two constants b and c (and nothing that requires grad)."""

    @staticmethod
    def forward(ctx: ContextManager, a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        ctx.save_for_backward(b, c)
        return Tensor(a.data * b.data * c.data)

    @staticmethod
    def backward(ctx: ContextManager, grad_output: Tensor):
        b, c = ctx.saved_tensors
        return Tensor(grad_output.data * b.data * c.data), None, None


def test_a_changed_saved_tensor_is_named_as_well_as_the_graph_allows():
    a = Tensor(np.ones(2), requires_grad=True)
    b, c = Tensor(np.full(2, 2.0)), Tensor(np.full(2, 3.0))
    out = _SavesConstants.apply(a, b, c)
    c.add_(1)
    with pytest.raises(RuntimeError, match=r"_SavesConstants\.backward: saved tensor 1 \(one of its "
                                           r"constant inputs b, c\) \(shape \(2,\)\) was modified"):
        out.sum().backward()

    class SavesItsOwn(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            ctx.save_for_backward(Tensor(a.data * 2))
            return Tensor(a.data * 2)

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            return Tensor(grad_output.data * 2)

    out = SavesItsOwn.apply(a)
    out.grad_fn.ctx.saved_tensors[0].add_(1)
    with pytest.raises(RuntimeError, match=r"SavesItsOwn\.backward: saved tensor 0 \(shape \(2,\)\)"):
        out.sum().backward()
    assert a.grad is None


def test_a_forward_whose_annotations_do_not_resolve_gets_its_arguments_unchecked():
    class Unresolved(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: "NotAName") -> Tensor:  # noqa: F821
            return Tensor(np.asarray(a) * 2)

    assert Unresolved._inputs == [] and Unresolved._varargs is None
    np.testing.assert_array_equal(Unresolved.apply([1.0, 2.0]).data, [2.0, 4.0])


def test_an_integer_output_of_a_recorded_op_becomes_float():
    class Rounds(Function):
        @staticmethod
        def forward(ctx: ContextManager, a: Tensor) -> Tensor:
            return Tensor(np.rint(a.data).astype(np.int64))

        @staticmethod
        def backward(ctx: ContextManager, grad_output: Tensor):
            return Tensor(np.zeros_like(grad_output.data))

    out = Rounds.apply(Tensor(np.array([0.4, 1.6]), requires_grad=True))
    assert out.requires_grad and out.dtype.kind == "f"
    np.testing.assert_array_equal(out.data, [0.0, 2.0])


def test_retain_grad_on_a_tensor_that_is_gone_is_harmless():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y + 1).sum()  # Add keeps no reference to y
    del y
    gc.collect()
    z.backward()
    np.testing.assert_array_equal(x.grad.data, 2.0)


def test_a_tensor_made_as_a_non_leaf_says_so():
    assert Tensor(np.ones(2), is_leaf=False).is_leaf is False
    assert Tensor(np.ones(2)).is_leaf is True


@pytest.mark.parametrize("update, factor", [("mul", 2.0), ("div", 0.5)])
def test_in_place_mul_and_div_of_a_recorded_tensor_rebind_it(update, factor):
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 1
    first = y
    if update == "mul":
        y *= 2
    else:
        y /= 2
    assert y is not first and y.grad_fn.function_name == ("Mul" if update == "mul" else "Div")
    np.testing.assert_array_equal(first.data, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, factor)
    leaf = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"(\*|/)=: a leaf tensor that requires grad cannot be changed"):
        if update == "mul":
            leaf *= 2
        else:
            leaf /= 2
    with pytest.raises(RuntimeError, match=r"__setitem__: a leaf tensor that requires grad cannot be changed"):
        leaf[0] = 5.0
    np.testing.assert_array_equal(leaf.data, [1.0, 1.0])


def test_where_with_two_numbers():
    out = mytorch.where(Tensor(np.array([True, False])), 1.5, -2.0)
    np.testing.assert_array_equal(out.data, [1.5, -2.0])
    assert out.dtype.kind == "f"


class _SumAll(Function):
    """y = sum of the inputs, each saved: an op with `*tensors`, as Cat and Stack have."""

    @staticmethod
    def forward(ctx, *tensors: Tensor):
        ctx.save_for_backward(*tensors)
        return Tensor(sum(t.data for t in tensors))

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(Tensor(grad_output.data.copy()) for _ in ctx.saved_tensors)


def test_a_changed_input_past_the_named_arguments_is_named_by_position():
    """An op with `*tensors` names its one parameter; its later inputs are named by position."""
    a, b, c = (Tensor(np.ones(2), requires_grad=True) for _ in range(3))
    y = _SumAll.apply(a, b, c)
    with mytorch.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match=r"_SumAll\.backward: its input 1 \(shape \(2,\)\) was modified"):
        y.sum().backward()


def test_a_function_subclass_passes_class_keywords_on_as_python_does():
    """Function's __init_subclass__ calls up the chain: a mixin's hook runs, and a keyword
    nothing takes is Python's TypeError, not silently dropped."""
    seen = []

    class Registered:
        def __init_subclass__(cls, tag=None, **kwargs):
            super().__init_subclass__(**kwargs)
            seen.append((cls.__name__, tag))

    class Tagged(Function, Registered, tag="mine"):
        @staticmethod
        def forward(ctx, x: Tensor):
            return Tensor(x.data * 2)

        @staticmethod
        def backward(ctx, grad_output):
            return Tensor(grad_output.data * 2)

    assert seen == [("Tagged", "mine")]
    np.testing.assert_array_equal(Tagged.apply(Tensor(np.ones(2))).data, [2.0, 2.0])
    with pytest.raises(TypeError):
        class Untaken(Function, flavour="sweet"):
            pass
