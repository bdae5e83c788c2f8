"""Normalisation layers, Embedding(padding_idx), losses and F.one_hot against torch in
float64 (values and gradients to 1e-8), central differences, float32, and bad input."""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from mytorch.nn import functional as F

TOL = dict(rtol=1e-8, atol=1e-10)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _torch_module(torch, ours, theirs):
    """`theirs` in float64 with our module's parameters and buffers."""
    theirs = theirs.double()
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            target = theirs.get_parameter(name) if name in dict(theirs.named_parameters()) else theirs.get_buffer(name)
            target.copy_(torch.tensor(value.data))
    return theirs


def _assert_grads_match(torch, ours, theirs):
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), err_msg=name, **TOL)


def _run_both(torch, ours, theirs, x, steps=3, seed=1):
    """Forward and backward through both modules a few times (training), then once in eval
    mode; compare outputs, input and parameter gradients, and every buffer."""
    rng = _rng(seed)
    for step in range(steps + 1):
        if step == steps:
            ours.eval(), theirs.eval()
        data = x * (1 + step) + step
        a = Tensor(data.copy(), requires_grad=True)
        b = torch.tensor(data, requires_grad=True)
        out, out_t = ours(a), theirs(b)
        grad = rng.standard_normal(out.shape)
        for p in ours.parameters():
            p.grad = None
        theirs.zero_grad()
        out.backward(Tensor(grad))
        out_t.backward(torch.tensor(grad))
        np.testing.assert_allclose(out.data, out_t.detach().numpy(), err_msg=f"output, step {step}", **TOL)
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), err_msg=f"input grad, step {step}", **TOL)
        _assert_grads_match(torch, ours, theirs)
        for name, buffer in theirs.named_buffers():
            np.testing.assert_allclose(ours.state_dict()[name].data, buffer.numpy(), err_msg=name, **TOL)


# ----------------------------------------------------------------------- BatchNorm

BATCH_NORMS = [
    ("1d", (6, 4), {}), ("1d_sequence", (5, 4, 7), {}), ("1d_momentum_none", (6, 4), dict(momentum=None)),
    ("1d_no_affine", (5, 4, 3), dict(affine=False)), ("2d", (3, 4, 5, 6), {}),
    ("2d_untracked", (3, 4, 5, 2), dict(track_running_stats=False)),
    ("2d_momentum_eps", (2, 4, 3, 3), dict(momentum=0.3, eps=1e-3)),
]


@pytest.mark.parametrize("name, shape, kwargs", BATCH_NORMS, ids=[case[0] for case in BATCH_NORMS])
def test_batch_norm_matches_torch_in_training_and_eval(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    layer = nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d
    ours = layer(4, **kwargs)
    if ours.weight is not None:
        ours.weight.data[...] = _rng(3).uniform(0.5, 1.5, 4)
        ours.bias.data[...] = _rng(4).standard_normal(4)
    theirs = _torch_module(torch, ours, getattr(torch.nn, type(ours).__name__)(4, **kwargs))
    _run_both(torch, ours, theirs, _rng(0).standard_normal(shape) * 2 + 1)
    if ours.track_running_stats:
        assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 3
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 2)])
def test_batch_norm_gradcheck_training_and_eval(shape):
    layer = nn.BatchNorm2d(3) if len(shape) == 4 else nn.BatchNorm1d(3)
    layer.weight.data[...] = [0.5, 1.5, 2.0]
    x = Tensor(_rng(5).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda a, w, b: F.batch_norm(a, None, None, w, b, True), x, layer.weight, layer.bias)
    layer.running_var.data[...] = [0.5, 2.0, 1.5]
    assert gradcheck(lambda a: layer.eval()(a), x)


def test_batch_norm_gamma_and_beta_are_the_handouts_names_for_weight_and_bias():
    layer = nn.BatchNorm1d(3)
    assert layer.gamma is layer.weight and layer.beta is layer.bias
    layer.gamma = nn.Parameter(np.full(3, 2.0))
    assert layer.weight is layer.gamma and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_batch_norm_float32_stays_float32():
    with mytorch.autograd_engine.no_grad():
        pass
    layer = nn.BatchNorm2d(2).float()
    x = Tensor(_rng(0).standard_normal((3, 2, 2, 2)).astype(np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == layer.weight.grad.dtype == layer.running_var.dtype == np.float32
    assert layer.num_batches_tracked.dtype == np.int64


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.BatchNorm2d(3)(Tensor(np.ones((2, 3, 4)))), ValueError, r"BatchNorm2d: expected input \(N, 3, H, W\), got \(2, 3, 4\)"),
    (lambda: nn.BatchNorm1d(3)(Tensor(np.ones((2, 4)))), ValueError, r"expected input \(N, 3\) or \(N, 3, L\)"),
    (lambda: nn.BatchNorm2d(3)(Tensor(np.ones((1, 3, 1, 1)))), ValueError, "more than 1 value per channel"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features must be a positive integer, got 0"),
    (lambda: nn.BatchNorm2d(3, momentum=-0.1), ValueError, r"momentum must be a number in \[0, 1\], got -0.1"),
    (lambda: nn.BatchNorm2d(3, affine="yes"), ValueError, "affine must be True or False"),
    (lambda: F.batch_norm(Tensor(np.ones((2, 3))), None, None, training=False), ValueError, "eval mode"),
    (lambda: F.batch_norm(Tensor(np.ones((4, 3))), Tensor(np.zeros(2)), Tensor(np.ones(2)), training=True),
     ValueError, r"expected input \(N, 2\)"),
])
def test_batch_norm_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- LayerNorm, GroupNorm

NORMS = [
    ("layer_last", lambda m: m.LayerNorm(5), (4, 5)),
    ("layer_two_axes", lambda m: m.LayerNorm((3, 4)), (2, 3, 4)),
    ("layer_no_affine", lambda m: m.LayerNorm([4], elementwise_affine=False), (3, 2, 4)),
    ("layer_no_bias", lambda m: m.LayerNorm(4, eps=1e-3, bias=False), (3, 4)),
    ("group", lambda m: m.GroupNorm(3, 6), (2, 6, 5)),
    ("group_2d", lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("group_instance", lambda m: m.GroupNorm(4, 4, affine=False), (3, 4, 5)),
    ("group_layer", lambda m: m.GroupNorm(1, 4, eps=1e-2), (3, 4)),
]


@pytest.mark.parametrize("name, make, shape", NORMS, ids=[case[0] for case in NORMS])
def test_layer_and_group_norm_match_torch(name, make, shape):
    torch = pytest.importorskip("torch")
    ours = make(nn)
    for index, p in enumerate(ours.parameters()):
        p.data[...] = _rng(10 + index).uniform(0.5, 1.5, p.shape)
    theirs = _torch_module(torch, ours, make(torch.nn))
    _run_both(torch, ours, theirs, _rng(0).standard_normal(shape) * 3 - 1, steps=1)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name, make, shape", NORMS, ids=[case[0] for case in NORMS])
def test_layer_and_group_norm_gradcheck_and_float32(name, make, shape):
    layer = make(nn)
    x = Tensor(_rng(1).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda a, *params: layer(a), x, *layer.parameters())
    layer.float()
    x32 = Tensor(x.data.astype(np.float32), requires_grad=True)
    out = layer(x32)
    out.sum().backward()
    assert out.dtype == x32.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_layer_norm_of_a_reused_input_sums_both_paths():
    x = Tensor(_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.layer_norm(a, 4) * F.layer_norm(a * 2, (4,)), x)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.LayerNorm(0), "normalized_shape must be a positive integer"),
    (lambda: nn.LayerNorm((3, 4))(Tensor(np.ones((2, 4, 3)))), r"expected input of shape \(\*, 3, 4\)"),
    (lambda: nn.LayerNorm(3, eps=0), "eps must be a number > 0, got 0"),
    (lambda: nn.GroupNorm(4, 6), r"num_channels \(6\) must be divisible by num_groups \(4\)"),
    (lambda: nn.GroupNorm(2, 4)(Tensor(np.ones((2, 6, 3)))), r"GroupNorm: expected input \(N, 4, \*\)"),
    (lambda: F.group_norm(Tensor(np.ones((2, 6))), 4), "C divisible by num_groups=4"),
    (lambda: F.layer_norm(Tensor(np.ones((2, 3))), 3, Tensor(np.ones(4))), r"expected weight of shape \(3,\)"),
])
def test_norm_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------ Embedding

@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding_padding_idx_matches_torch(padding_idx):
    torch = pytest.importorskip("torch")
    np.random.seed(0)
    ours = nn.Embedding(5, 3, padding_idx=padding_idx)
    if padding_idx is not None:
        assert not ours.weight.data[padding_idx].any()
    theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    ids = np.array([[0, 3, 4, 3], [1, 0, 4, 2]])
    out, out_t = ours(ids), theirs(torch.tensor(ids))
    grad = _rng(1).standard_normal(out.shape)
    out.backward(Tensor(grad))
    out_t.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **TOL)
    assert repr(ours) == repr(theirs) and ours.padding_idx == theirs.padding_idx


def test_embedding_from_pretrained_and_gradcheck():
    table = _rng(0).standard_normal((4, 2))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.data is not table
    trained = nn.Embedding.from_pretrained(Tensor(table), freeze=False, padding_idx=1)
    # The padding row is left out: its gradient is 0 by definition, not by the math.
    assert gradcheck(lambda w: F.embedding(np.array([[3, 2], [2, 0]]), w, padding_idx=1), trained.weight)
    with pytest.raises(ValueError, match=r"padding_idx must be within num_embeddings \(4\), got 4"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="Embedding: index 7 at index 1 is out of range"):
        trained([0, 7])


# ---------------------------------------------------------------------------- losses

def _loss_inputs(shape_logits, classes, seed=0):
    rng = _rng(seed)
    logits = rng.standard_normal(shape_logits) * 2
    batch = shape_logits[:1] + shape_logits[2:] if len(shape_logits) > 1 else ()
    labels = rng.integers(0, classes, batch)
    return logits, labels


def _compare_loss(torch, ours_fn, torch_fn, inputs, grads_of, seed=3):
    """ours_fn(*Tensors) and torch_fn(*tensors) on `inputs`, differentiating the inputs
    whose positions are in `grads_of`; the values and those gradients must agree."""
    ours_in = [Tensor(a.copy(), requires_grad=i in grads_of) if a.dtype.kind == "f" else a
               for i, a in enumerate(inputs)]
    torch_in = [torch.tensor(a, requires_grad=i in grads_of) for i, a in enumerate(inputs)]
    out, out_t = ours_fn(*ours_in), torch_fn(*torch_in)
    assert out.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    if grads_of:
        grad = _rng(seed).standard_normal(out.shape)
        out.backward(Tensor(grad))
        out_t.backward(torch.tensor(grad))
        for i in grads_of:
            np.testing.assert_allclose(ours_in[i].grad.data, torch_in[i].grad.numpy(), err_msg=f"input {i}", **TOL)


CE_CASES = [
    ("plain", (6, 4), {}), ("weight", (6, 4), dict(weight=True)),
    ("ignore", (6, 4), dict(ignore=True)), ("ignore_a_class", (6, 4), dict(ignore_index=2)),
    ("smoothing", (6, 4), dict(label_smoothing=0.2)),
    ("all", (7, 5), dict(weight=True, ignore=True, label_smoothing=0.3)),
    ("k_dim", (3, 4, 2, 5), dict(weight=True, ignore=True, label_smoothing=0.1)),
    ("unbatched", (5,), dict(label_smoothing=0.25, weight=True)),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, shape, options", CE_CASES, ids=[case[0] for case in CE_CASES])
def test_cross_entropy_with_class_indices_matches_torch(name, shape, options, reduction):
    torch = pytest.importorskip("torch")
    classes = shape[1] if len(shape) > 1 else shape[0]
    logits, labels = _loss_inputs(shape, classes)
    ignore_index = options.get("ignore_index", -100)
    if options.get("ignore"):
        labels = labels.copy()
        labels.reshape(-1)[::3] = ignore_index
    weight = _rng(9).uniform(0.2, 2.0, classes) if options.get("weight") else None
    kwargs = dict(ignore_index=ignore_index, reduction=reduction,
                  label_smoothing=options.get("label_smoothing", 0.0))
    _compare_loss(torch,
                  lambda x: F.cross_entropy(x, labels, None if weight is None else Tensor(weight), **kwargs),
                  lambda x: torch.nn.functional.cross_entropy(
                      x, torch.tensor(labels), None if weight is None else torch.tensor(weight), **kwargs),
                  [logits], {0})
    # The module, with the weight as a buffer, agrees with the function.
    module = nn.CrossEntropyLoss(None if weight is None else Tensor(weight), **kwargs)
    np.testing.assert_allclose(module(Tensor(logits), labels).data,
                               F.cross_entropy(Tensor(logits), labels,
                                               None if weight is None else Tensor(weight), **kwargs).data)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, smoothing, weighted", [((5, 4), 0.0, False), ((5, 4), 0.2, True),
                                                         ((2, 3, 4), 0.1, False), ((4,), 0.3, True)])
def test_cross_entropy_with_probabilities_that_need_not_sum_to_one(shape, smoothing, weighted, reduction):
    torch = pytest.importorskip("torch")
    classes = shape[1] if len(shape) > 1 else shape[0]
    logits = _rng(0).standard_normal(shape)
    probs = _rng(1).uniform(0, 1.5, shape)  # rows summing to anything
    weight = _rng(2).uniform(0.5, 2, classes) if weighted else None
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    _compare_loss(torch,
                  lambda x, p: F.cross_entropy(x, p, None if weight is None else Tensor(weight), **kwargs),
                  lambda x, p: torch.nn.functional.cross_entropy(
                      x, p, None if weight is None else torch.tensor(weight), **kwargs),
                  [logits, probs], {0, 1})


def test_cross_entropy_options_gradcheck():
    logits, labels = _loss_inputs((5, 4, 3), 4, seed=4)
    labels[0, 1] = -100
    weight = Tensor(_rng(5).uniform(0.5, 2, 4))
    x = Tensor(logits, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda a: F.cross_entropy(a, labels, weight, reduction=reduction, label_smoothing=0.2), x)
    probs = Tensor(_rng(6).uniform(0, 1, (5, 4, 3)), requires_grad=True)
    assert gradcheck(lambda a, p: F.cross_entropy(a, p, weight, reduction="sum", label_smoothing=0.1), x, probs)


def test_cross_entropy_with_every_target_ignored_is_nan_as_in_torch():
    loss = F.cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), np.array([-100, -100]))
    assert np.isnan(loss.item())
    assert F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([-100, -100]), reduction="sum").item() == 0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, weighted, ignore", [((6, 4), False, False), ((6, 4), True, True),
                                                      ((3, 4, 5), True, False), ((4,), False, False)])
def test_nll_loss_matches_torch(shape, weighted, ignore, reduction):
    torch = pytest.importorskip("torch")
    classes = shape[1] if len(shape) > 1 else shape[0]
    log_probs, labels = _loss_inputs(shape, classes, seed=2)
    if ignore:
        labels.reshape(-1)[1::2] = 1
    weight = _rng(3).uniform(0.5, 2, classes) if weighted else None
    kwargs = dict(ignore_index=1 if ignore else -100, reduction=reduction)
    _compare_loss(torch,
                  lambda x: F.nll_loss(x, labels, None if weight is None else Tensor(weight), **kwargs),
                  lambda x: torch.nn.functional.nll_loss(x, torch.tensor(labels),
                                                         None if weight is None else torch.tensor(weight), **kwargs),
                  [log_probs], {0})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 1)])
def test_binary_cross_entropy_matches_torch(weight_shape, reduction):
    torch = pytest.importorskip("torch")
    probs = _rng(0).uniform(0.02, 0.98, (3, 4))
    target = _rng(1).uniform(0, 1, (3, 4))
    weight = None if weight_shape is None else _rng(2).uniform(0.5, 2, weight_shape)
    _compare_loss(torch,
                  lambda x, y: F.binary_cross_entropy(x, y, None if weight is None else Tensor(weight), reduction=reduction),
                  lambda x, y: torch.nn.functional.binary_cross_entropy(
                      x, y, None if weight is None else torch.tensor(weight), reduction=reduction),
                  [probs, target], {0, 1})
    module = nn.BCELoss(None if weight is None else Tensor(weight), reduction=reduction)
    np.testing.assert_allclose(module(Tensor(probs), target).data,
                               F.binary_cross_entropy(Tensor(probs), target, None if weight is None else Tensor(weight),
                                                      reduction=reduction).data)


def test_binary_cross_entropy_at_zero_and_one_clamps_the_log_as_torch():
    torch = pytest.importorskip("torch")
    probs, target = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    _compare_loss(torch, lambda x: F.binary_cross_entropy(x, target, reduction="none"),
                  lambda x: torch.nn.functional.binary_cross_entropy(x, torch.tensor(target), reduction="none"),
                  [probs], {0})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted, pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_binary_cross_entropy_with_logits_matches_torch(weighted, pos_weighted, reduction):
    torch = pytest.importorskip("torch")
    logits = _rng(0).standard_normal((5, 3)) * 4
    logits[0] = [60.0, -60.0, 0.0]  # large logits stay finite and exact
    target = _rng(1).uniform(0, 1, (5, 3))
    weight = _rng(2).uniform(0.5, 2, (5, 1)) if weighted else None
    pos_weight = _rng(3).uniform(0.5, 3, 3) if pos_weighted else None

    def ours(x, y):
        return F.binary_cross_entropy_with_logits(x, y, None if weight is None else Tensor(weight), reduction=reduction,
                                                  pos_weight=None if pos_weight is None else Tensor(pos_weight))

    def theirs(x, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(
            x, y, None if weight is None else torch.tensor(weight), reduction=reduction,
            pos_weight=None if pos_weight is None else torch.tensor(pos_weight))

    _compare_loss(torch, ours, theirs, [logits, target], {0, 1})
    x, y = Tensor(logits / 10, requires_grad=True), Tensor(target, requires_grad=True)
    assert gradcheck(ours, x, y)
    module = nn.BCEWithLogitsLoss(None if weight is None else Tensor(weight), reduction=reduction,
                                  pos_weight=None if pos_weight is None else Tensor(pos_weight))
    np.testing.assert_allclose(module(Tensor(logits), target).data, ours(Tensor(logits), Tensor(target)).data)


REGRESSION = [
    ("l1", lambda f: f.l1_loss, {}), ("smooth_l1", lambda f: f.smooth_l1_loss, {}),
    ("smooth_l1_beta", lambda f: f.smooth_l1_loss, dict(beta=0.5)),
    ("smooth_l1_beta_0", lambda f: f.smooth_l1_loss, dict(beta=0.0)),
    ("huber", lambda f: f.huber_loss, {}), ("huber_delta", lambda f: f.huber_loss, dict(delta=2.5)),
    ("mse", lambda f: f.mse_loss, {}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, pick, kwargs", REGRESSION, ids=[case[0] for case in REGRESSION])
def test_regression_losses_match_torch_and_central_differences(name, pick, kwargs, reduction):
    torch = pytest.importorskip("torch")
    predicted = _rng(0).standard_normal((4, 5)) * 3
    target = predicted + _rng(1).choice([-4.0, -0.3, 0.2, 1.7], (4, 5))  # both sides of each kink, none on it
    _compare_loss(torch, lambda x, y: pick(F)(x, y, reduction=reduction, **kwargs),
                  lambda x, y: pick(torch.nn.functional)(x, y, reduction=reduction, **kwargs),
                  [predicted, target], {0, 1})
    assert gradcheck(lambda x, y: pick(F)(x, y, reduction=reduction, **kwargs),
                     Tensor(predicted, requires_grad=True), Tensor(target, requires_grad=True))


@pytest.mark.parametrize("module, kwargs", [(nn.L1Loss, {}), (nn.SmoothL1Loss, dict(beta=0.3)),
                                            (nn.HuberLoss, dict(delta=0.7)), (nn.MSELoss, {})])
def test_regression_loss_modules_and_0d_input(module, kwargs):
    torch = pytest.importorskip("torch")
    _compare_loss(torch, lambda x, y: module(**kwargs)(x, y),
                  lambda x, y: getattr(torch.nn, module.__name__)(**kwargs)(x, y),
                  [np.array(1.25), np.array(0.5)], {0, 1})
    assert repr(module(**kwargs)) == repr(getattr(torch.nn, module.__name__)(**kwargs))


LOSS_CALLS = {
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 2, 1]), label_smoothing=0.1),
    "cross_entropy_probs": lambda x: F.cross_entropy(x, _rng(1).uniform(0, 1, (3, 4)).astype(np.float32)),
    "nll": lambda x: F.nll_loss(x, np.array([0, 2, 1]), Tensor(np.ones(4, np.float32))),
    "bce": lambda x: F.binary_cross_entropy(F.sigmoid(x), np.full((3, 4), 0.5, np.float32)),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, np.full((3, 4), 0.5, np.float32),
                                                               pos_weight=Tensor(np.full(4, 2.0, np.float32))),
    "l1": lambda x: F.l1_loss(x, np.zeros((3, 4), np.float32)),
    "smooth_l1": lambda x: F.smooth_l1_loss(x, np.zeros((3, 4), np.float32), beta=0.5),
    "huber": lambda x: F.huber_loss(x, np.zeros((3, 4), np.float32)),
    "group_norm": lambda x: F.group_norm(x.reshape(3, 4, 1), 2),
    "layer_norm": lambda x: F.layer_norm(x, 4),
}


@pytest.mark.parametrize("name", LOSS_CALLS)
def test_float32_stays_float32(name):
    x = Tensor(_rng(0).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    out = LOSS_CALLS[name](x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_a_list_target_follows_the_default_dtype():
    previous = mytorch.get_default_dtype()
    mytorch.set_default_dtype(np.float32)
    try:
        x = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
        for criterion in (nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.BCEWithLogitsLoss()):
            loss = criterion(x, [[0.0, 1.0], [1.0, 0.0]])
            loss.backward()
            assert loss.dtype == np.float32 and x.grad.dtype == np.float32, type(criterion).__name__
    finally:
        mytorch.set_default_dtype(previous)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.mse_loss(x, np.zeros((3, 4)), "sum"), TypeError,
     r"mse_loss: got 'sum' for size_average; pass the reduction by keyword, reduction='sum'"),
    (lambda x: F.cross_entropy(x, np.array([0, 1, 2]), "mean"), TypeError, "cross_entropy: got 'mean' for weight"),
    (lambda x: nn.CrossEntropyLoss("none"), TypeError, "CrossEntropyLoss: got 'none' for weight"),
    (lambda x: nn.BCEWithLogitsLoss(pos_weight="x"), TypeError, "got 'x' for pos_weight"),
    (lambda x: F.cross_entropy(x, np.array([0, 1, 2]), Tensor(np.ones(4), requires_grad=True)), RuntimeError,
     "cross_entropy is not differentiable with respect to weight"),
    (lambda x: F.binary_cross_entropy(x, np.zeros((3, 4))), ValueError,
     r"every element of input must be a probability in \[0, 1\]"),
    (lambda x: F.binary_cross_entropy(F.sigmoid(x), np.zeros((3, 5))), ValueError,
     r"input of shape \(3, 4\) and target of shape \(3, 5\) differ"),
    (lambda x: F.binary_cross_entropy_with_logits(x, np.zeros((3, 4)), Tensor(np.ones(3))), ValueError,
     r"weight of shape \(3,\) cannot be broadcast to the input's shape \(3, 4\)"),
    (lambda x: F.smooth_l1_loss(x, np.zeros((3, 4)), beta=-1), ValueError, "beta must be a number >= 0, got -1"),
    (lambda x: F.huber_loss(x, np.zeros((3, 4)), delta=0), ValueError, "delta must be a number > 0, got 0"),
    (lambda x: F.l1_loss(x, np.zeros((4, 3))), ValueError, r"l1_loss: input of shape \(3, 4\)"),
    (lambda x: F.l1_loss(x, np.zeros((3, 4)), reduction="avg"), ValueError, "l1_loss: reduction must be one of"),
    (lambda x: F.nll_loss(x, np.array([0, 1, 2]), ignore_index=None), ValueError, "ignore_index must be an integer"),
    (lambda x: F.mse_loss(x, np.zeros((3, 4)), size_average=False), None, None),
])
def test_loss_bad_arguments(call, error, match):
    x = Tensor(_rng(0).standard_normal((3, 4)), requires_grad=True)
    if error is None:  # PyTorch's deprecated size_average=False is the sum
        assert call(x).item() == pytest.approx(float((x.data ** 2).sum()))
        return
    with pytest.raises(error, match=match):
        call(x)
    assert x.grad is None


# ---------------------------------------------------------------------------- one_hot

@pytest.mark.parametrize("labels, classes", [(np.array([0, 2, 1, 2]), -1), (np.array([[1, 0], [3, 3]]), 5),
                                             (np.array(2), 4), (np.zeros(0, np.int64), 3)])
def test_one_hot_matches_torch(labels, classes):
    torch = pytest.importorskip("torch")
    ours = F.one_hot(Tensor(labels), classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), classes)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.one_hot(np.array([0, 3]), 3), ValueError, "class value 3 at index 1 is out of range for 3"),
    (lambda: F.one_hot(np.array([-1, 0])), ValueError, "class value -1 at index 0"),
    (lambda: F.one_hot(np.array([0.0, 1.0])), TypeError, "integer class indices, got dtype float64"),
    (lambda: F.one_hot(np.zeros(0, np.int64)), ValueError, "cannot infer num_classes from an empty tensor"),
    (lambda: F.one_hot(np.array([0]), 0), ValueError, "num_classes must be -1 or a positive integer, got 0"),
])
def test_one_hot_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
