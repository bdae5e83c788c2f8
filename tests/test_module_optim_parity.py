"""Module and Optimizer habits from PyTorch, against torch where it runs: training mode,
registration, names and tied weights, Sequential(OrderedDict), state dicts, to(), repr;
parameter groups, per-group options, the optimizers' new options and their state."""
import copy
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.nn import functional as F


def _pair(torch):
    """The same small network in both libraries, with our weights copied into torch's."""
    np.random.seed(0)

    def build(lib):
        return lib.nn.Sequential(OrderedDict([
            ("body", lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.LayerNorm(6), lib.nn.Tanh())),
            ("drop", lib.nn.Dropout(0.0)),
            ("head", lib.nn.Linear(6, 3))]))

    ours, theirs = build(mytorch), build(torch).double()
    with torch.no_grad():
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.tensor(p.data))
    return ours, theirs


# --------------------------------------------------------------------------- modules

def test_names_order_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs, method)()], method
    assert [n for n, _ in ours.named_parameters(prefix="model")] == \
        [n for n, _ in theirs.named_parameters(prefix="model")]
    assert [n for n, _ in ours.body.named_parameters(recurse=False)] == []
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    shared, torch_shared = nn.Module(), torch.nn.Module()  # one layer under two names
    shared.a = shared.b = nn.Linear(2, 2)
    torch_shared.a = torch_shared.b = torch.nn.Linear(2, 2)
    for method in ("named_children", "named_modules", "named_parameters"):
        assert [n for n, _ in getattr(shared, method)()] == [n for n, _ in getattr(torch_shared, method)()], method
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(2, 2), nn.Linear(2, 2), nn.Tanh()])) == \
        repr(torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.Linear(2, 2),
                                  torch.nn.Linear(2, 2), torch.nn.Tanh()]))


def test_sequential_with_names_indexes_slices_and_edits_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    assert ours.head is ours[2] and ours[-1] is ours.head and len(ours) == len(theirs) == 3
    assert list(ours[1:]._modules) == list(theirs[1:]._modules) == ["drop", "head"]
    replacement = nn.Linear(6, 3)
    ours[2] = replacement
    theirs[2] = torch.nn.Linear(6, 3).double()
    assert ours.head is replacement and list(ours._modules) == list(theirs._modules)
    ours.append(nn.ReLU())
    theirs.append(torch.nn.ReLU())
    assert list(ours._modules) == list(theirs._modules) == ["body", "drop", "head", "3"]
    del ours[1]
    del theirs[1]
    assert list(ours._modules) == list(theirs._modules) == ["0", "1", "2"]  # renumbered, as torch does
    x = np.ones((2, 4))
    assert ours(Tensor(x)).shape == tuple(theirs(torch.tensor(x)).shape)


def test_training_flag_is_set_through_each_modules_own_train():
    calls = []

    class Tracked(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(Tracked(), nn.Dropout()))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert calls == [False] and not model[1][1].is_train  # the handout's name for the same flag
    model[1].is_train = True
    assert model[1].training and not model.training
    model.train()
    assert calls == [False, True] and all(m.training for m in model.modules())


def test_state_dict_shares_memory_and_load_state_dict_reports_keys_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    state = ours.state_dict()
    assert state["head.weight"].data is ours.head.weight.data and not state["head.weight"].requires_grad
    assert ours.state_dict(keep_vars=True)["head.weight"] is ours.head.weight
    partial = {k: v for k, v in ours.state_dict().items() if not k.startswith("head")}
    partial["extra.weight"] = Tensor(np.ones(2))
    theirs_partial = {k: torch.tensor(v.data) for k, v in partial.items()}
    assert tuple(ours.load_state_dict(partial, strict=False)) == \
        tuple(theirs.load_state_dict(theirs_partial, strict=False))
    # A float32 checkpoint loads into a float64 model, converted, as torch's copy_ does.
    single = {k: Tensor(v.data.astype(np.float32)) for k, v in ours.state_dict().items()}
    ours.load_state_dict(single)
    assert ours.head.weight.dtype == np.float64
    np.testing.assert_array_equal(ours.head.weight.data, single["head.weight"].data)


def test_non_persistent_buffers_and_parameters_registered_as_none():
    module = nn.Module()
    module.register_buffer("mask", Tensor(np.ones(3)), persistent=False)
    module.register_buffer("count", Tensor(np.zeros(1)))
    module.register_parameter("bias", None)
    assert [n for n, _ in module.named_buffers()] == ["mask", "count"]
    assert list(module.state_dict()) == ["count"] and module.bias is None
    module.mask = Tensor(np.zeros(3))  # a new value for a buffer keeps it non-persistent
    assert list(module.state_dict()) == ["count"] and module.mask.data.sum() == 0
    assert list(module.parameters()) == []
    module.bias = nn.Parameter(np.zeros(2))
    assert [n for n, _ in module.named_parameters()] == ["bias"]
    with pytest.raises(TypeError, match="cannot assign a Tensor that is not a parameter as parameter 'bias'"):
        module.bias = Tensor(np.zeros(2))
    with pytest.raises(TypeError, match="must be an nn.Parameter"):
        module.register_parameter("w", Tensor(np.ones(2)))


def test_to_cpu_cuda_zero_grad_apply_and_get_submodule():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert model.to("cpu") is model and model.cpu() is model and model.to(mytorch.device("cpu")) is model
    assert model.to(Tensor(np.ones(1, np.float32)))[0].weight.dtype == np.float32
    assert model.to("cpu", np.float64)[0].weight.dtype == np.float64
    assert model.to(device="cpu", dtype=mytorch.float32)[1].running_mean.dtype == np.float32
    for call in (lambda: model.to("cuda"), lambda: model.cuda(), lambda: model.to("cuda:0", np.float64)):
        with pytest.raises(RuntimeError, match="no cuda backend"):
            call()
    assert model[0].weight.dtype == np.float32  # the failed call changed nothing
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        model.to(mytorch.long)
    model(Tensor(np.ones((4, 3), np.float32))).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.get_submodule("1") is model[1] and model.get_submodule("") is model
    with pytest.raises(AttributeError, match="has no submodule 'x'"):
        model.get_submodule("1.x")
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Sequential"]


def test_forward_takes_keyword_arguments():
    class Scaled(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    assert Scaled()(Tensor(np.ones(2)), scale=3.0).data.tolist() == [3.0, 3.0]


# -------------------------------------------------------------------- tied weights

def test_tied_weights_are_one_parameter_that_trains_as_in_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        embed, out = lib.nn.Linear(3, 5, bias=False), lib.nn.Linear(5, 3, bias=False)
        model = lib.nn.Sequential(embed, lib.nn.Tanh(), out)
        return model

    np.random.seed(1)
    ours, theirs = build(mytorch), build(torch).double()
    ours[2].weight = nn.Parameter(np.ascontiguousarray(ours[0].weight.data.T))  # untie the shapes first
    tied = nn.Sequential(nn.Linear(4, 4, bias=False), nn.Tanh(), nn.Linear(4, 4, bias=False))
    tied[2].weight = tied[0].weight
    torch_tied = torch.nn.Sequential(torch.nn.Linear(4, 4, bias=False), torch.nn.Tanh(),
                                     torch.nn.Linear(4, 4, bias=False)).double()
    torch_tied[2].weight = torch_tied[0].weight
    with torch.no_grad():
        torch_tied[0].weight.copy_(torch.tensor(tied[0].weight.data))
    assert len(list(tied.parameters())) == len(list(torch_tied.parameters())) == 1
    assert [n for n, _ in tied.named_parameters()] == [n for n, _ in torch_tied.named_parameters()]
    assert list(tied.state_dict()) == list(torch_tied.state_dict())  # both names, as torch
    optimizer = optim.SGD(tied.parameters(), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(torch_tied.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(2).standard_normal((5, 4))
    for _ in range(3):
        optimizer.zero_grad(), torch_optimizer.zero_grad()
        (tied(Tensor(x)) ** 2).sum().backward()
        (torch_tied(torch.tensor(x)) ** 2).sum().backward()
        optimizer.step(), torch_optimizer.step()
    np.testing.assert_allclose(tied[2].weight.data, torch_tied[2].weight.detach().numpy(), rtol=1e-12)
    assert tied[0].weight is tied[2].weight


@st.composite
def _tied_trees(draw):
    """A random tree of Linear layers in nested Sequentials, some sharing a weight or a
    whole module with an earlier one."""
    layers, shared_modules = [], []
    count = draw(st.integers(1, 6))
    for index in range(count):
        choice = draw(st.sampled_from(["new", "tie_weight", "reuse_module"])) if layers else "new"
        if choice == "reuse_module":
            layers.append(draw(st.sampled_from(layers)))
            shared_modules.append(index)
        else:
            layer = nn.Linear(3, 3, bias=draw(st.booleans()))
            if choice == "tie_weight":
                layer.weight = draw(st.sampled_from(layers)).weight
            layers.append(layer)
    split = draw(st.integers(0, count))
    return nn.Sequential(nn.Sequential(*layers[:split]), *layers[split:]), layers


@settings(max_examples=60, deadline=None)
@given(_tied_trees())
def test_every_tensor_is_listed_once_under_its_first_name_and_an_optimizer_builds(tree):
    model, layers = tree
    distinct = {id(t): t for layer in layers for t in (layer.weight, layer.bias) if t is not None}
    params = list(model.parameters())
    assert len(params) == len({id(p) for p in params}) == len(distinct)
    first_names = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        first_names.setdefault(id(p), name)
    assert [n for n, _ in model.named_parameters()] == [first_names[id(p)] for p in params]
    assert len(list(model.named_parameters(remove_duplicate=False))) == len(model.state_dict())
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    model(Tensor(np.ones((2, 3)))).sum().backward()
    optimizer.step()
    assert all(optimizer.state[p]["step"] == 1 for p in params)


# ------------------------------------------------------------------------ optimizers

OPTIONS = [
    ("sgd_dampening", "SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("sgd_maximize_wd", "SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("sgd_nesterov_maximize", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("adam_amsgrad", "Adam", dict(lr=0.05, amsgrad=True)),
    ("adam_amsgrad_wd_maximize", "Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("adam_decoupled", "Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("adamw_amsgrad", "AdamW", dict(lr=0.03, amsgrad=True, betas=(0.8, 0.95))),
    ("rmsprop", "RMSprop", dict(lr=0.01)),
    ("rmsprop_centered_momentum_wd", "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                                     weight_decay=0.1)),
    ("rmsprop_maximize", "RMSprop", dict(lr=0.005, eps=1e-6, maximize=True)),
]


def _train_both(torch, ours, theirs, optimizer, torch_optimizer, steps=8, seed=3):
    rng = np.random.default_rng(seed)
    for step in range(steps):
        x, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
        optimizer.zero_grad(), torch_optimizer.zero_grad()
        F.cross_entropy(ours(Tensor(x)), y).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        optimizer.step(), torch_optimizer.step()
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}, step {step}")


@pytest.mark.parametrize("name, optimizer, options", OPTIONS, ids=[case[0] for case in OPTIONS])
def test_optimizer_options_match_torch(name, optimizer, options):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    mine = getattr(optim, optimizer)(ours.parameters(), **options)
    torch_optimizer = getattr(torch.optim, optimizer)(theirs.parameters(), **options)
    _train_both(torch, ours, theirs, mine, torch_optimizer)
    ours_keys = set(mine.param_groups[0]) - {"params"}
    assert ours_keys <= set(torch_optimizer.param_groups[0])
    for key in ours_keys:
        assert mine.param_groups[0][key] == torch_optimizer.param_groups[0][key], key
    torch_state = torch_optimizer.state_dict()
    state = mine.state_dict()
    assert set(state["state"]) == set(torch_state["state"])
    for index, entry in state["state"].items():
        assert set(entry) == set(torch_state["state"][index])
        for key, value in entry.items():
            np.testing.assert_allclose(getattr(value, "data", value), np.asarray(torch_state["state"][index][key]),
                                       rtol=1e-9, atol=1e-12)


def test_parameter_groups_with_their_own_options_and_a_group_added_later_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)

    def groups(model):
        return [{"params": model.body.parameters(), "lr": 0.01, "momentum": 0.5},
                {"params": [model.head.weight], "weight_decay": 0.1, "nesterov": True}]

    mine = optim.SGD(groups(ours), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(groups(theirs), lr=0.1, momentum=0.9)
    assert [{k: v for k, v in g.items() if k != "params"} for g in mine.param_groups] == \
        [{k: g[k] for k in mine.param_groups[0] if k != "params"} for g in torch_optimizer.param_groups]
    _train_both(torch, ours, theirs, mine, torch_optimizer, steps=4)
    mine.add_param_group({"params": ours.head.bias, "lr": 0.2, "dampening": 0.1})
    torch_optimizer.add_param_group({"params": theirs.head.bias, "lr": 0.2, "dampening": 0.1})
    _train_both(torch, ours, theirs, mine, torch_optimizer, steps=4, seed=4)
    assert mine.state_dict()["param_groups"][2]["params"] == torch_optimizer.state_dict()["param_groups"][2]["params"]
    assert mine.defaults == {k: v for k, v in torch_optimizer.defaults.items() if k in mine.defaults}


def test_changing_a_groups_lr_changes_the_step_and_optimizer_lr_follows_the_groups():
    w = Tensor(np.zeros(2), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    optimizer = optim.SGD([w, b], lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.5
    assert optimizer.lr == 0.5
    w.grad, b.grad = Tensor(np.ones(2)), Tensor(np.ones(1))
    optimizer.step()
    assert w.data.tolist() == [-0.5, -0.5]
    optimizer.lr = 0.25  # the handout's attribute sets every group
    assert optimizer.param_groups[0]["lr"] == 0.25
    with pytest.raises(ValueError, match="SGD: lr must be a number >= 0, got -1"):
        optimizer.lr = -1
    assert optimizer.lr == 0.25
    optimizer.add_param_group({"params": [Tensor(np.zeros(1), requires_grad=True)], "lr": 0.9})
    with pytest.raises(AttributeError, match=r"different values \[0.25, 0.9\]"):
        optimizer.lr


def test_state_is_keyed_by_parameter_and_the_handouts_lists_read_it():
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.ones(3))
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    torch_w = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    torch_optimizer = torch.optim.SGD([torch_w], lr=0.1, momentum=0.9)
    assert optimizer.state == {} and len(torch_optimizer.state) == 0
    assert [m.tolist() for m in optimizer.momentums] == [[0.0, 0.0, 0.0]]
    w.grad, torch_w.grad = Tensor(np.full(3, 2.0)), torch.full((3,), 2.0, dtype=torch.float64)
    optimizer.step(), torch_optimizer.step()
    buffer = optimizer.state[w]["momentum_buffer"]
    assert isinstance(buffer, Tensor) and optimizer.momentums[0] is buffer.data
    np.testing.assert_array_equal(buffer.data, torch_optimizer.state[torch_w]["momentum_buffer"].numpy())


def test_zero_grad_set_to_none_and_step_with_closure():
    w = Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.Adam([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 2.0 and w.data.tolist() == pytest.approx([0.9, 0.9])
    optimizer.zero_grad(set_to_none=False)
    assert w.grad.data.tolist() == [0.0, 0.0]
    optimizer.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5),
                                  lambda p: optim.Adam(p, amsgrad=True, maximize=True),
                                  lambda p: optim.RMSprop(p, momentum=0.9, centered=True),
                                  lambda p: optim.AdamW([{"params": p[:1]}, {"params": p[1:], "lr": 0.5}])])
def test_a_bad_gradient_leaves_every_parameter_and_all_state_unchanged(make):
    params = [Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)]
    optimizer = make(params)
    for p in params:
        p.grad = Tensor(np.full(p.shape, 0.5))
    optimizer.step()
    before = copy.deepcopy(optimizer.state_dict())
    values = [p.data.copy() for p in params]
    versions = [p._version for p in params]
    params[1].grad = Tensor(np.ones(4))  # the second is bad: the first must not move either
    with pytest.raises(RuntimeError, match=r"parameter 1 of shape \(3,\) and dtype float64 has a .grad of shape \(4,\)"):
        optimizer.step()
    for p, value, version in zip(params, values, versions):
        np.testing.assert_array_equal(p.data, value)
        assert p._version == version
    after = optimizer.state_dict()
    for index, entry in before["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(getattr(after["state"][index][key], "data", after["state"][index][key]),
                                          getattr(value, "data", value))


@pytest.mark.parametrize("grad", [np.full(3, 0.5, np.float32), np.arange(3)], ids=["float32", "int64"])
def test_a_gradient_of_another_dtype_is_refused_as_pytorch_refuses_it(grad):
    """PyTorch refuses `p.grad = g` when g's dtype is not p's; the step refuses it here,
    before it moves anything."""
    param = Tensor(np.ones(3), requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = Tensor(grad)
    with pytest.raises(RuntimeError, match=rf"dtype float64 has a .grad of shape \(3,\) and dtype {grad.dtype}"):
        optimizer.step()
    np.testing.assert_array_equal(param.data, np.ones(3))
    assert optimizer.state_dict()["state"] == {}


def test_an_optimizer_takes_attributes_of_its_own_and_lr_reaches_every_group():
    """Setting any attribute works as on a Python object; a hyperparameter's name (the
    handout's `optimizer.lr = ...`) sets it in every group."""
    params = [Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)]
    optimizer = optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1)
    optimizer.note = "warm-up"
    optimizer.lr = 0.01
    assert optimizer.note == "warm-up" and [g["lr"] for g in optimizer.param_groups] == [0.01, 0.01]



def test_optimizer_checkpoint_with_groups_and_a_scheduler_round_trips(tmp_path):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    optimizer = optim.Adam([{"params": ours.body.parameters()}, {"params": ours.head.parameters(), "lr": 0.05}],
                           lr=0.01, amsgrad=True)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 2)
    _train_both(torch, ours, theirs, optimizer, torch.optim.Adam(theirs.parameters()), steps=0)
    x = Tensor(np.ones((2, 4)))
    for _ in range(3):
        optimizer.zero_grad()
        ours(x).sum().backward()
        optimizer.step()
        scheduler.step()
    mytorch.save({"model": ours.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": scheduler.state_dict()}, tmp_path / "checkpoint.npz")
    loaded = mytorch.load(tmp_path / "checkpoint.npz")
    fresh_model = _pair(torch)[0]
    fresh_model.load_state_dict(loaded["model"])
    fresh = optim.Adam([{"params": fresh_model.body.parameters()}, {"params": fresh_model.head.parameters()}],
                       lr=0.5)
    fresh.load_state_dict(loaded["optimizer"])
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in optimizer.param_groups]
    assert [g["initial_lr"] for g in fresh.param_groups] == [0.01, 0.05]
    assert set(fresh.state[fresh_model.head.weight]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    for model, opt in ((ours, optimizer), (fresh_model, fresh)):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    for (name, p), (_, q) in zip(ours.named_parameters(), fresh_model.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD({p[0]}), TypeError, "ordered collection"),
    (lambda p: optim.SGD([{"params": p[:1]}, {"params": p[:1]}]), ValueError, "same parameter .* twice, at indices 0 and 1"),
    (lambda p: optim.SGD([{"lr": 0.1}]), TypeError, "expected a dict with a 'params' entry"),
    (lambda p: optim.SGD([{"params": []}]), ValueError, "empty parameter list"),
    (lambda p: optim.SGD([{"params": p, "momentum": -1}]), ValueError, "SGD: momentum must be a number >= 0, got -1"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "Nesterov momentum needs momentum > 0 and dampening 0"),
    (lambda p: optim.SGD(p, maximize="yes"), ValueError, "SGD: maximize must be True or False"),
    (lambda p: optim.Adam(p, amsgrad=1), ValueError, "Adam: amsgrad must be True or False, got 1"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), ValueError, "RMSprop: alpha must be"),
    (lambda p: optim.RMSprop(p, centered="yes"), ValueError, "RMSprop: centered must be True or False"),
    (lambda p: optim.Adam([{"params": p, "betas": (0.9, 1.0)}]), ValueError, r"betas\[1\] must be a number in"),
])
def test_bad_groups_and_options(make, error, match):
    with pytest.raises(error, match=match):
        make([Tensor(np.ones(2), requires_grad=True)])


def test_repr_lists_each_group_as_torch():
    torch = pytest.importorskip("torch")
    ours = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    ours_lines = repr(ours).splitlines()
    theirs_lines = [line for line in repr(theirs).splitlines()
                    if line.split(":")[0].strip() not in ("foreach", "differentiable", "fused")]
    assert ours_lines == theirs_lines


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: optim.Adam(p, lr=0.01)], ids=["sgd", "adam"])
def test_a_parameter_in_any_memory_layout_steps_the_same(make):
    """A transposed (non-contiguous) parameter, or a gradient sharing its memory, takes
    NumPy's path instead of BLAS's in-place update: the same values either way."""
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal((3, 4)), rng.standard_normal((3, 3, 4))
    layouts = {"contiguous": start.copy(), "transposed": np.ascontiguousarray(start.T).T}
    results = {}
    for name, array in layouts.items():
        param = nn.Parameter(array)
        optimizer = make([param])
        for grad in grads:
            param.grad = Tensor(grad.copy(order="F" if name == "transposed" else "C"))
            optimizer.step()
        results[name] = param.data.copy()
    np.testing.assert_allclose(results["transposed"], results["contiguous"], rtol=1e-15, atol=1e-15)
    moved = results["contiguous"]
    assert not np.allclose(moved, start)
