"""Adam, AdamW and SGD's weight decay / Nesterov against torch.optim step for step;
hyperparameter validation; parameters without gradients; and nn.init."""
import math

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.nn import functional as F
from mytorch.nn import init

# (our optimizer, the torch optimizer's name, keyword arguments shared by both)
OPTIMIZERS = {
    "adam": (optim.Adam, "Adam", dict(lr=0.01)),
    "adam_l2": (optim.Adam, "Adam", dict(lr=0.02, weight_decay=0.1)),
    "adam_betas_eps": (optim.Adam, "Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    "adamw_default": (optim.AdamW, "AdamW", dict()),
    "adamw": (optim.AdamW, "AdamW", dict(lr=0.05, weight_decay=0.1, betas=(0.5, 0.9))),
    "sgd_wd": (optim.SGD, "SGD", dict(lr=0.1, weight_decay=0.01)),
    "sgd_momentum_wd": (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    "sgd_nesterov": (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_nesterov_wd": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.1)),
}


def _models(torch):
    """A small MLP in mytorch and the same one, with copied weights, in torch."""
    np.random.seed(0)
    ours = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.tensor(p.data))
    return ours, theirs


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours_cls, torch_name, kwargs = OPTIMIZERS[name]
    ours, theirs = _models(torch)
    opt = ours_cls(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, torch_name)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    for step in range(10):
        x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
        opt.zero_grad()
        F.cross_entropy(ours(Tensor(x)), y).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-8,
                                       err_msg=f"{name}, step {step}")


def test_sgd_keeps_positional_order_and_momentums():
    w = Tensor(np.ones(3), requires_grad=True, is_parameter=True)
    opt = optim.SGD([w], 0.5, 0.9)
    assert (opt.lr, opt.momentum, opt.weight_decay, opt.nesterov) == (0.5, 0.9, 0.0, False)
    w.grad = Tensor(np.ones(3))
    opt.step()
    opt.step()
    np.testing.assert_allclose(opt.momentums[0], 1.9)
    np.testing.assert_allclose(w.data, 1 - 0.5 * (1 + 1.9))


def test_sgd_nesterov_and_weight_decay_by_hand():
    w = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True)
    w.grad = Tensor(np.array([1.0]))
    opt.step()
    g = 1.0 + 0.1 * 2.0  # grad + weight_decay * p
    v = g
    assert w.data[0] == pytest.approx(2.0 - 0.1 * (g + 0.5 * v))


def test_adam_first_step_is_lr_times_sign():
    w = Tensor(np.array([1.0, -1.0, 3.0]), requires_grad=True)
    opt = optim.Adam([w], lr=0.1, eps=0)
    w.grad = Tensor(np.array([0.5, -2.0, 1e-3]))
    opt.step()
    np.testing.assert_allclose(w.data, [0.9, -0.9, 2.9])
    assert opt.steps == [1]


def test_adamw_decays_weights_without_gradient_signal():
    w = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    assert opt.weight_decay == 0.5 and optim.AdamW([w]).weight_decay == 1e-2
    w.grad = Tensor(np.array([0.0]))
    opt.step()
    assert w.data[0] == pytest.approx(2.0 * (1 - 0.1 * 0.5))
    np.testing.assert_array_equal(opt.exp_avgs[0], [0.0])


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr=-0.1), "SGD: lr must be a number >= 0, got -0.1"),
    (lambda p: optim.SGD(p, lr=float("nan")), "SGD: lr must be a number >= 0, got nan"),
    (lambda p: optim.SGD(p, momentum=-0.5), "SGD: momentum must be a number >= 0, got -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1), "SGD: weight_decay must be a number >= 0, got -1"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum needs momentum > 0 and dampening 0, got momentum=0,"),
    (lambda p: optim.SGD(p, lr="0.1"), r"lr must be a number"),
    (lambda p: optim.Adam(p, lr=-1e-3), "Adam: lr must be a number >= 0, got -0.001"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"Adam: betas\[0\] must be a number in \[0, 1\), got 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"betas\[1\] must be a number in \[0, 1\), got -0.1"),
    (lambda p: optim.Adam(p, betas=(0.9,)), "betas must be a pair"),
    (lambda p: optim.Adam(p, betas=0.9), "betas must be a pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Adam: eps must be a number >= 0, got -1e-08"),
    (lambda p: optim.Adam(p, weight_decay=-0.1), "Adam: weight_decay must be a number >= 0, got -0.1"),
    (lambda p: optim.AdamW(p, lr=-1), "AdamW: lr must be a number >= 0, got -1"),
    (lambda p: optim.AdamW(p, betas=(0.9, 1.5)), "betas\\[1\\]"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), "AdamW: weight_decay must be a number >= 0, got -0.01"),
])
def test_hyperparameters_validated(make, match):
    params = [Tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match=match):
        make(params)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, weight_decay=0.1), lambda p: optim.AdamW(p)])
def test_params_without_grad_are_skipped_and_nothing_is_recorded(make):
    a = Tensor(np.ones((2, 3)), requires_grad=True, is_parameter=True)
    b = Tensor(np.ones(3), requires_grad=True, is_parameter=True)
    opt = make([a, b])
    a_data, b_data = a.data, b.data
    (a * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert b.grad is None
    opt.step()
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(3))
    assert not np.array_equal(a.data, np.ones((2, 3)))
    # In place, outside the graph: the same arrays, still leaves without grad_fn.
    assert a.data is a_data and b.data is b_data
    for p in (a, b):
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert np.array_equal(a.grad.data, np.arange(6.0).reshape(2, 3))
    if hasattr(opt, "steps"):
        assert opt.steps == [2, 0]


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_sgd_updates_parameters_of_dtypes_blas_does_not_take(dtype):
    """BLAS's axpy takes float32 and float64; other float dtypes take NumPy's update."""
    param = nn.Parameter(Tensor(np.array([1.0, 2.0, 4.0], dtype)))
    param.grad = Tensor(np.array([0.5, -1.0, 2.0], dtype))
    optim.SGD([param], lr=0.5).step()
    assert param.dtype == dtype
    assert param.data.tolist() == [0.75, 2.5, 3.0]


def test_an_update_into_an_array_blas_must_copy_still_lands_in_it():
    """SciPy's axpy writes into a copy of an array it cannot take as it is (a misaligned
    one); the update is then made in NumPy, into the parameter's own memory."""
    from mytorch.optim.optimizer import Optimizer
    memory = np.zeros(8 * 5 + 1, np.uint8)
    target = memory[1:].view(np.float64)  # C-contiguous, misaligned
    target[:] = np.arange(5.0)
    assert not target.flags.aligned and target.flags.c_contiguous
    assert Optimizer._add_scaled(target, -0.5, np.ones(5)) is target
    assert target.tolist() == [-0.5, 0.5, 1.5, 2.5, 3.5]


def test_an_update_from_an_array_that_overlaps_the_target_reads_the_old_values():
    """target += alpha * update where the two share memory: NumPy's meaning, every update
    value read before any is written (BLAS's axpy would read values it already changed)."""
    from mytorch.optim.optimizer import Optimizer
    values = np.array([1.0, 2.0, 3.0, 4.0])
    Optimizer._add_scaled(values[1:], 1.0, values[:-1])
    assert values.tolist() == [1.0, 3.0, 5.0, 7.0]


def test_loading_a_state_without_entries_forgets_the_state_there_was():
    """load_state_dict replaces the state: a momentum buffer not in the loaded state is gone,
    and the next step starts momentum afresh, as a new optimizer's would."""
    def sgd(start):
        param = nn.Parameter(Tensor(np.array(start)))
        return param, optim.SGD([param], lr=0.1, momentum=0.9)

    param, optimizer = sgd([1.0, 2.0])
    for _ in range(2):
        param.grad = Tensor(np.array([1.0, -1.0]))
        optimizer.step()
    fresh_param, fresh = sgd(param.data.tolist())
    optimizer.load_state_dict(fresh.state_dict())
    assert optimizer.state == {}
    for p, o in ((param, optimizer), (fresh_param, fresh)):
        p.grad = Tensor(np.array([1.0, -1.0]))
        o.step()
    assert param.data.tolist() == fresh_param.data.tolist()


def test_an_optimizer_before_its_init_answers_lookups_with_attribute_error():
    """copy and pickle make objects without calling __init__: a hyperparameter lookup
    there must be an AttributeError, not an endless recursion."""
    import copy
    blank = optim.SGD.__new__(optim.SGD)
    assert not hasattr(blank, "lr") and not hasattr(blank, "param_groups")
    param = nn.Parameter(Tensor(np.ones(3)))
    optimizer = optim.SGD([param], lr=0.1, momentum=0.9)
    clone = copy.deepcopy(optimizer)
    assert clone.lr == 0.1 and clone.param_groups[0]["params"][0].shape == (3,)


def test_optimizers_exported():
    assert {"SGD", "Adam", "AdamW", "Optimizer"} <= set(optim.__all__)


# ------------------------------------------------------------------------- init

def _weight(*shape):
    return Tensor(np.zeros(shape), requires_grad=True, is_parameter=True)


def test_xavier_uniform_bound_and_spread():
    np.random.seed(0)
    w = _weight(300, 200)
    data = w.data
    assert init.xavier_uniform_(w) is w and w.data is data
    bound = math.sqrt(6 / (200 + 300))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    assert w.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.data).max() <= 2 * bound and np.abs(w.data).max() > 1.98 * bound


def test_xavier_normal_std():
    np.random.seed(1)
    w = init.xavier_normal_(_weight(400, 100), gain=init.calculate_gain("tanh"))
    assert w.data.std() == pytest.approx(5 / 3 * math.sqrt(2 / 500), rel=0.02)
    assert abs(w.data.mean()) < 0.01


@pytest.mark.parametrize("mode, fan", [("fan_in", 200), ("fan_out", 300)])
def test_kaiming(mode, fan):
    np.random.seed(2)
    w = init.kaiming_uniform_(_weight(300, 200), mode=mode)
    bound = math.sqrt(2) * math.sqrt(3 / fan)  # default leaky_relu with a=0: ReLU's gain
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    w = init.kaiming_normal_(_weight(300, 200), a=0.2, mode=mode, nonlinearity="leaky_relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / (1 + 0.04)) / math.sqrt(fan), rel=0.02)
    w = init.kaiming_uniform_(_weight(300, 200), mode=mode, nonlinearity="linear")
    assert np.abs(w.data).max() <= math.sqrt(3 / fan)


def test_fans_of_conv_shaped_weight():
    np.random.seed(3)
    w = init.xavier_uniform_(_weight(16, 8, 5))
    bound = math.sqrt(6 / (8 * 5 + 16 * 5))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound


def test_simple_fills():
    np.random.seed(4)
    w = _weight(50, 40)
    assert init.ones_(w) is w and np.all(w.data == 1)
    assert np.all(init.zeros_(w).data == 0)
    assert np.all(init.constant_(w, 0.25).data == 0.25)
    init.uniform_(w, -2.0, 3.0)
    assert w.data.min() >= -2 and w.data.max() <= 3 and w.data.mean() == pytest.approx(0.5, abs=0.1)
    init.normal_(w, mean=1.0, std=0.5)
    assert w.data.mean() == pytest.approx(1.0, abs=0.05) and w.data.std() == pytest.approx(0.5, rel=0.05)
    b = Tensor(np.ones(7))
    assert np.all(init.zeros_(b).data == 0)  # 1-D is fine where no fan is needed


def test_init_reproducible_with_seed():
    np.random.seed(9)
    first = init.kaiming_normal_(_weight(4, 5)).data.copy()
    np.random.seed(9)
    np.testing.assert_array_equal(init.kaiming_normal_(_weight(4, 5)).data, first)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for args in [("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("selu",), ("conv2d",)]:
        assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


@pytest.mark.parametrize("call, error, match", [
    (lambda: init.xavier_uniform_(_weight(5)), ValueError, r"at least 2 dimensions"),
    (lambda: init.kaiming_normal_(_weight(3)), ValueError, r"shape \(3,\)"),
    (lambda: init.kaiming_uniform_(_weight(3, 4), mode="fan_avg"), ValueError, "mode.*'fan_avg'"),
    (lambda: init.kaiming_uniform_(_weight(3, 4), nonlinearity="swish"), ValueError, "nonlinearity 'swish'"),
    (lambda: init.normal_(_weight(3, 4), std=-1), ValueError, "std=-1"),
    (lambda: init.uniform_(_weight(3, 4), 1.0, 0.0), ValueError, "a=1.0, b=0.0"),
    (lambda: init.xavier_uniform_(np.zeros((3, 4))), TypeError, "expected a Tensor, got ndarray"),
    (lambda: init.normal_(Tensor(np.zeros((3, 4), dtype=int))), TypeError, "floating-point.*int64"),
])
def test_init_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_more_initialisers_eye_trunc_normal_orthogonal():
    mytorch.manual_seed(5)
    w = _weight(3, 5)
    assert init.eye_(w) is w and np.array_equal(w.data, np.eye(3, 5))
    init.trunc_normal_(w, mean=0.5, std=2.0, a=0.0, b=1.0)
    assert w.data.min() >= 0.0 and w.data.max() <= 1.0
    big = init.trunc_normal_(_weight(200, 100), std=0.02)  # PyTorch's a=-2, b=2: no bound in reach
    assert big.data.std() == pytest.approx(0.02, rel=0.03)
    for shape in [(3, 5), (5, 3), (4, 2, 3)]:
        q = init.orthogonal_(_weight(*shape), gain=2.0).data.reshape(shape[0], -1)
        small = min(q.shape)
        gram = q @ q.T if q.shape[0] == small else q.T @ q
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)


def test_initialisers_follow_manual_seed_bump_versions_and_record_nothing():
    first = init.orthogonal_(_weight(4, 4))
    mytorch.manual_seed(11)
    a = init.trunc_normal_(_weight(3, 4)).data.copy()
    mytorch.manual_seed(11)
    b = _weight(3, 4)
    before = b._version
    init.trunc_normal_(b)
    np.testing.assert_array_equal(a, b.data)
    assert b._version == before + 1 and b.grad_fn is None and b.is_leaf and first.grad_fn is None


@pytest.mark.parametrize("call, match", [
    (lambda: init.eye_(_weight(2, 2, 2)), "2-dimensional"),
    (lambda: init.trunc_normal_(_weight(2, 2), a=1.0, b=0.0), "a <= b"),
    (lambda: init.trunc_normal_(_weight(2, 2), mean=0.0, std=1.0, a=10.0, b=11.0), "choose an interval nearer"),
    (lambda: init.orthogonal_(_weight(3)), "at least 2 dimensions"),
])
def test_more_initialisers_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
