"""Learner tools: gradient hooks, retain_grad, anomaly mode, mytorch.autograd and graph pictures."""
import shutil
import sys
import traceback

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, autograd, autograd_engine, nn
from mytorch.viz import make_dot

try:
    import torch
except ImportError:
    torch = None


# ---------------------------------------------------------------------------- hooks

def test_a_hook_sees_the_summed_gradient_once_and_may_replace_it():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda grad: seen.append(grad.data.copy()))
    y.register_hook(lambda grad: grad * 10)  # later hooks see what earlier ones return
    y.register_hook(lambda grad: seen.append(grad.data.copy()))
    (y * y + y).sum().backward()  # y used twice: its gradient is summed first
    expected = 2 * y.data + 1
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], expected)
    np.testing.assert_array_equal(seen[1], 10 * expected)
    np.testing.assert_array_equal(x.grad.data, 3 * 10 * expected)  # the replacement flows on


def test_a_leaf_hook_changes_what_grad_accumulates_and_the_handle_removes_it():
    w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    handle = w.register_hook(lambda grad: grad.clamp(-0.5, 0.5))  # gradient clipping
    (w * Tensor(np.array([2.0, -3.0]))).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.5, -0.5])
    handle.remove()
    handle.remove()  # twice is harmless
    (w * Tensor(np.array([2.0, -3.0]))).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.5, -3.5])


@pytest.mark.skipif(torch is None, reason="compares with torch")
def test_hooks_and_retain_grad_match_torch():
    def run(module, tensor):
        x = tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        w = tensor(np.array([1.5, 0.5, -2.0]), requires_grad=True)
        w.register_hook(lambda g: g * 2)
        h = x * w
        h.retain_grad()
        h.register_hook(lambda g: g + 1)
        out = (h * h).sum() + (h * x).sum()
        out.backward(retain_graph=True)  # ours always keeps the graph; the argument is accepted
        out2 = (h * 3).sum()
        out2.backward()  # retain_grad and leaf .grad accumulate over backward calls
        return [np.asarray(t.grad.detach().numpy() if module is torch else t.grad.data)
                for t in (x, w, h)]

    ours = run(mytorch, Tensor)
    theirs = run(torch, lambda data, requires_grad: torch.tensor(data, requires_grad=requires_grad))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_retain_grad_keeps_a_non_leafs_gradient_and_accumulates():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * x
    plain = x + 1
    h.retain_grad()
    x.retain_grad()  # a leaf keeps its gradient anyway: harmless
    (h * 3).sum().backward()
    np.testing.assert_array_equal(h.grad.data, [3, 3])
    assert plain.grad is None  # only the tensors that asked keep theirs
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data, 3 + 2 * h.data)
    h.grad = None
    h.sum().backward()
    np.testing.assert_array_equal(h.grad.data, [1, 1])
    np.testing.assert_array_equal(x.grad.data, 6 * x.data + 4 * x.data ** 3 + 2 * x.data)


def test_the_root_of_backward_can_retain_and_hook_its_seed():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda grad: grad * 0.5)
    y.backward(Tensor(np.array([4.0, 6.0])))
    np.testing.assert_array_equal(y.grad.data, [2, 3])
    np.testing.assert_array_equal(x.grad.data, [4, 6])


def test_hooks_get_a_read_only_gradient_so_changing_it_in_place_fails_loudly():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)

    def zero_in_place(grad):
        grad.data[...] = 0
    a.register_hook(zero_in_place)
    with pytest.raises(ValueError, match="read-only"):
        (a + b).sum().backward()  # Add hands both inputs the same array: b's would change too
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("hook, match", [
    (lambda grad: np.zeros(2), r"returned array\(\[0., 0.\]\); expected None or a Tensor of shape \(2,\)"),
    (lambda grad: Tensor(np.zeros(3)), r"returned tensor\(\[0., 0., 0.\]\); expected None or a Tensor of shape"),
    (lambda grad: Tensor(np.zeros(2, np.float32)), "and dtype float64"),
])
def test_a_bad_hook_result_stops_backward_before_any_grad_changes(hook, match):
    leaf = Tensor(np.ones(2), requires_grad=True)
    other = Tensor(np.ones(2), requires_grad=True)
    other.grad = Tensor(np.full(2, 5.0))
    middle = leaf * 2
    middle.retain_grad()
    for target in (middle, leaf):
        handle = target.register_hook(hook)
        with pytest.raises(RuntimeError, match=match):
            (middle * other).sum().backward()
        handle.remove()
        assert leaf.grad is None and middle.grad is None
        np.testing.assert_array_equal(other.grad.data, [5.0, 5.0])


def test_hooks_and_retain_grad_need_a_tensor_that_requires_grad():
    constant = Tensor(np.ones(2))
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that does not require grad"):
        constant.register_hook(lambda grad: grad)
    with pytest.raises(RuntimeError, match="cannot retain the gradient of a tensor that does not require grad"):
        constant.retain_grad()


# ----------------------------------------------------------------------- anomaly mode

def test_anomaly_mode_names_the_op_and_shows_the_forward_call():
    x = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    with autograd.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = x.log() * 0.0 + x  # the line the message must point at
        with pytest.raises(RuntimeError) as error:
            y.sum().backward()
    message = str(error.value)
    assert message.startswith("Log.backward returned non-finite values (nan or inf) in its "
                              "gradient for input 0")
    assert "y = x.log() * 0.0 + x  # the line the message must point at" in message
    assert __file__ in message and x.grad is None
    assert not autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nothing_is_captured_or_checked(monkeypatch):
    def no_stacks(*args, **kwargs):
        raise AssertionError("a forward stack was captured outside anomaly mode")
    monkeypatch.setattr(traceback, "extract_stack", no_stacks)
    x = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.log() * 0.0 + x
        assert y.grad_fn.forward_stack is None
        y.sum().backward()  # the NaN goes through unchecked, as in PyTorch
    assert np.isnan(x.grad.data[1])


def test_anomaly_mode_is_a_decorator_and_nests():
    @autograd.detect_anomaly()
    def inner():
        return autograd.is_anomaly_enabled()

    assert inner() and not autograd.is_anomaly_enabled()
    with autograd.detect_anomaly():
        with autograd.detect_anomaly():
            pass
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


# --------------------------------------------------------------------- mytorch.autograd

def test_autograd_module_is_pytorchs_face():
    assert autograd.Function is autograd_engine.Function and autograd.no_grad is autograd_engine.no_grad
    assert autograd.gradcheck is mytorch.gradcheck.gradcheck and autograd.enable_grad is mytorch.enable_grad
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array(3.0), requires_grad=True)
    autograd.backward([(a * a).sum(), a * b], [None, Tensor(np.array([1.0, 10.0]))])
    np.testing.assert_array_equal(a.grad.data, [2 + 3, 4 + 30])
    np.testing.assert_array_equal(b.grad.data, 1 + 20)
    autograd.backward(b * 2)
    np.testing.assert_array_equal(b.grad.data, 23)
    with pytest.raises(RuntimeError, match=r"a tensor of shape \(\) does not require grad"):
        autograd.backward([b * 2, Tensor(1.0)])
    with pytest.raises(ValueError, match="got 1 gradients for 2 tensors"):
        autograd.backward([b * 2, b * 3], [None])
    np.testing.assert_array_equal(b.grad.data, 23)  # nothing ran
    assert autograd.gradcheck(lambda t: (t * t).sum(), Tensor(np.array([0.5, 1.5]), requires_grad=True))


# ---------------------------------------------------------------------------- viz

def _writeup_example():
    a = Tensor(1.0, requires_grad=True)
    b = Tensor(2.0)
    c = Tensor(3.0, requires_grad=True)
    d = a * b + a
    e = (d + c) + 3
    return a, c, d, e


def _dot_nodes_and_edges(source):
    lines = [line.strip().rstrip(";") for line in source.splitlines()]
    nodes = {line.split(" ", 1)[0]: line for line in lines if " [label=" in line}
    edges = [tuple(line.split(" [")[0].split(" -> ")) for line in lines if " -> " in line]
    return nodes, edges


def test_make_dot_draws_the_writeup_example_as_the_handout_does():
    a, c, d, e = _writeup_example()
    graph = make_dot(e, params={"a": a, "c": c, "d": d, "e": e})
    assert str(graph) == graph.source and graph.source.startswith("digraph autograd {")
    nodes, edges = _dot_nodes_and_edges(graph.source)
    label = {name: line.split('label="')[1].split('"')[0] for name, line in nodes.items()}
    by_label = {text: name for name, text in label.items()}
    leaf_a, leaf_c = by_label["a\\nAccumulateGrad"], by_label["c\\nAccumulateGrad"]
    top, d_node = by_label["e = Add\\nBackwardFunction"], by_label["d = Add\\nBackwardFunction"]
    middle, mul = by_label["Add\\nBackwardFunction"], by_label["Mul\\nBackwardFunction"]
    constants = [name for name, text in label.items() if text == "constant\\n(None)"]
    assert len(constants) == 2 and len(nodes) == 9  # out, 4 ops, 2 leaves, b and the 3
    # Edges point the way gradients flow: from the output towards the leaves.
    assert set(edges) == {("out", top), (top, middle), (middle, d_node), (middle, leaf_c),
                          (d_node, mul), (d_node, leaf_a), (mul, leaf_a),
                          (top, constants[0]), (mul, constants[1])}
    assert all('style="dashed"' in nodes[name] for name in constants)


def test_make_dot_names_parameters_and_shows_shapes():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    loss = model(Tensor(np.ones((2, 4)))).sum()
    source = make_dot(loss, params=dict(model.named_parameters())).source
    assert 'label="0.weight (3, 4)\\nAccumulateGrad"' in source
    assert 'label="0.bias (3,)\\nAccumulateGrad"' in source
    for op in ("Linear", "ReLU", "Sum"):
        assert f'label="{op}\\nBackwardFunction"' in source
    assert source.count("constant") == 1  # the input batch x


def test_make_dot_draws_an_op_called_without_its_optional_tensors():
    """cross_entropy passes no class weights: the op's optional tensor arguments that
    were left out get no edge (they once made make_dot index past next_functions)."""
    np.random.seed(0)
    model = nn.Linear(4, 3)
    loss = nn.CrossEntropyLoss()(model(Tensor(np.ones((2, 4)))), Tensor(np.array([0, 2])))
    nodes, edges = _dot_nodes_and_edges(make_dot(loss, params=dict(model.named_parameters())).source)
    label = {name: line.split('label="')[1].split('"')[0] for name, line in nodes.items()}
    (loss_node,) = [name for name, text in label.items() if text.startswith("CrossEntropy")]
    children = [child for parent, child in edges if parent == loss_node]
    assert len(children) == 2  # the logits' Linear and the labels (a constant); no weight edge


def test_make_dot_bad_input():
    with pytest.raises(ValueError, match="does not require grad"):
        make_dot(Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="expected a Tensor, got ndarray"):
        make_dot(np.ones(2))
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['x'\] must be a Tensor, got int"):
        make_dot(x * 2, params={"x": 3})
    assert 'label="x (2,)\\nAccumulateGrad"' in make_dot(x, params={"x": x}).source  # a lone leaf


def test_rendering_without_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if it were not installed
    graph = make_dot(_writeup_example()[3])
    with pytest.raises(ImportError, match=r"pip install graphviz.*apt install graphviz"):
        graph.render("graph.svg")
    assert graph._repr_svg_() is None
    with pytest.raises(ValueError, match="render: format must be one of 'svg', 'png', 'pdf', got 'gif'"):
        graph.pipe("gif")


def test_rendering_without_the_dot_program_says_so(monkeypatch, tmp_path):
    graphviz = pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    with pytest.raises(RuntimeError, match="dot program was not found on PATH.*apt install graphviz"):
        make_dot(_writeup_example()[3]).render(tmp_path / "graph.svg")
    assert list(tmp_path.iterdir()) == []
    assert graphviz


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_rendering_writes_svg_and_png(tmp_path):
    pytest.importorskip("graphviz")
    a, c, d, e = _writeup_example()
    graph = make_dot(e, params={"a": a, "c": c})
    svg = graph.render(tmp_path / "graph.svg")
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml") and svg == tmp_path / "graph.svg"
    graph.render(tmp_path / "graph.png")
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "AccumulateGrad" in graph._repr_svg_()
