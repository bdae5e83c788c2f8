"""nn.Parameter, ModuleList, ModuleDict, buffers and the Module methods PyTorch users call."""
import numpy as np
import pytest

from mytorch import Tensor, nn, optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        self.heads = nn.ModuleDict({"logits": nn.Linear(3, 4), "norm": nn.BatchNorm1d(4)})
        self.register_buffer("steps", Tensor(np.zeros(1)))

    def forward(self, x):
        x = x * self.scale
        for block in self.blocks:
            x = block(x).relu()
        return self.heads["norm"](self.heads["logits"](x))


# ------------------------------------------------------------------------ Parameter

def test_parameter_is_a_leaf_tensor_that_requires_grad_and_registers():
    data = np.arange(3.0)
    p = nn.Parameter(data)
    assert isinstance(p, Tensor) and type(p) is nn.Parameter
    assert (p.requires_grad, p.is_leaf, p.is_parameter, p.grad_fn) == (True, True, True, None)
    assert p.data is data  # shares memory, as the handout's Tensor(...) does
    assert nn.Parameter([1, 2]).dtype == np.float64  # integers become the default float dtype
    frozen = nn.Parameter(np.ones(2), requires_grad=False)
    assert frozen.is_parameter and not frozen.requires_grad
    assert repr(nn.Parameter(np.array([1.0]))) == "Parameter containing:\ntensor([1.], requires_grad=True)"
    (p * 2).sum().backward()
    assert type(p.grad) is Tensor and not p.grad.is_parameter
    np.testing.assert_array_equal(p.grad.data, [2, 2, 2])


def test_parameter_and_the_handouts_form_are_interchangeable():
    layer = nn.Linear(3, 2)
    assert type(layer.weight) is Tensor  # the handout's form, which its autograder checks by name
    layer.weight = nn.Parameter(np.zeros((2, 3)))
    layer.extra = Tensor(np.ones(1), requires_grad=True, is_parameter=True)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias", "extra"]
    optimizer = optim.SGD(layer.parameters(), lr=1.0)
    layer(Tensor(np.ones((1, 3)))).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(layer.weight.data, -np.ones((2, 3)))
    assert type(layer.weight) is nn.Parameter and layer.weight.is_leaf


# ----------------------------------------------------------------------- containers

def test_module_list_registers_its_modules_and_acts_like_a_list():
    first, second, third = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3)
    layers = nn.ModuleList([first, second])
    assert len(layers) == 2 and layers[0] is first and layers[-1] is second and list(layers) == [first, second]
    layers.append(third)
    layers += [nn.Tanh()]
    assert [name for name, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "ReLU", "Linear", "Tanh"]
    assert layers.pop(1) is first
    del layers[0]
    assert list(layers) == [second, third, layers[2]] and list(layers._modules) == ["0", "1", "2"]
    assert [name for name, _ in layers.named_parameters()] == ["1.weight", "1.bias"]
    assert isinstance(layers[1:], nn.ModuleList) and list(layers[1:]) == [third, layers[2]]
    layers[0] = first
    assert layers[0] is first and first.weight in set(layers.parameters())
    with pytest.raises(IndexError, match="ModuleList: index 3 is out of range for 3 layers"):
        layers[3]
    with pytest.raises(ValueError, match="ModuleList: index must be an integer, got 'a'"):
        layers["a"]
    with pytest.raises(TypeError, match="must be a Module, got int"):
        layers.append(3)
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        layers(Tensor(np.ones(2)))


def test_sequential_gains_the_list_methods_and_slices_to_a_sequential():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    head = model[1:]
    assert isinstance(head, nn.Sequential) and head(Tensor(np.ones((4, 3)))).shape == (4, 1)
    model.insert(1, nn.BatchNorm1d(3))
    assert [type(m).__name__ for m in model.layers] == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert "1.running_mean" in model.state_dict()
    del model[1]
    assert model(Tensor(np.ones((4, 2)))).shape == (4, 1) and len(model) == 3


def test_module_dict_registers_by_name():
    heads = nn.ModuleDict([("a", nn.Linear(2, 2))])
    heads["b"] = nn.Linear(2, 3)
    heads.update({"c": nn.ReLU()})
    assert list(heads) == ["a", "b", "c"] and "b" in heads and "z" not in heads and len(heads) == 3
    assert [name for name, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert heads.keys() == ["a", "b", "c"] and heads.values()[2] is heads["c"]
    assert heads.pop("a").in_features == 2 and list(heads) == ["b", "c"]
    del heads["c"]
    assert [k for k, _ in heads.items()] == ["b"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []
    for bad, error, match in [("train", KeyError, "attribute 'train' already exists"),
                              ("a.b", KeyError, "must be non-empty and without '.'"),
                              ("", KeyError, "must be non-empty"),
                              (3, TypeError, "a module name must be a string, got 3")]:
        with pytest.raises(error, match=match):
            heads[bad] = nn.ReLU()
    with pytest.raises(TypeError, match="must be a Module, got str"):
        heads["x"] = "relu"
    with pytest.raises(TypeError, match="expected a mapping or \\(name, module\\) pairs"):
        nn.ModuleDict(["ab"])
    with pytest.raises(KeyError):
        del heads["missing"]
    assert len(heads) == 0 and callable(heads.train)


# -------------------------------------------------------------------------- Module

def test_children_named_modules_and_apply():
    net = Net()
    assert [type(m).__name__ for m in net.children()] == ["ModuleList", "ModuleDict"]
    assert [name for name, _ in net.named_children()] == ["blocks", "heads"]
    assert [name for name, _ in net.named_modules()] == ["", "blocks", "blocks.0", "blocks.1", "heads",
                                                         "heads.logits", "heads.norm"]
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    # Children first, as PyTorch.
    assert visited == ["Linear", "Linear", "ModuleList", "Linear", "BatchNorm1d", "ModuleDict", "Net"]

    def zero_linears(module):
        if isinstance(module, nn.Linear):
            module.weight.data[...] = 0
    net.apply(zero_linears)
    assert all(not m.weight.data.any() for m in net.modules() if isinstance(m, nn.Linear))


def test_buffers_are_state_not_parameters():
    net = Net()
    assert [name for name, _ in net.named_buffers()] == ["steps", "heads.norm.running_mean",
                                                         "heads.norm.running_var",
                                                         "heads.norm.num_batches_tracked"]
    assert all(not b.requires_grad and not b.is_parameter for b in net.buffers())
    assert "steps" in net.state_dict() and "steps" not in dict(net.named_parameters())
    net.steps = Tensor(np.ones(1))  # assigning a Tensor to a buffer's name replaces the buffer
    np.testing.assert_array_equal(net.state_dict()["steps"], [1.0])
    net.steps = None
    assert "steps" not in net.state_dict()
    with pytest.raises(TypeError, match="cannot assign int as buffer 'steps' of Net"):
        net.steps = 5  # anything else is refused, as in PyTorch
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        net.register_buffer("scale", Tensor(np.ones(3)))
    net.note = "plain"  # an ordinary attribute is not hidden by a parameter either
    with pytest.raises(KeyError, match="register_parameter: attribute 'note' already exists"):
        net.register_parameter("note", nn.Parameter(np.ones(2)))
    assert net.note == "plain" and "note" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="must be a Tensor that is not a parameter, or None"):
        net.register_buffer("mask", np.ones(3))
    with pytest.raises(KeyError, match="without '.'"):
        net.register_buffer("a.b", Tensor(np.ones(3)))
    del net.heads
    assert "heads.norm.running_mean" not in net.state_dict() and not hasattr(net, "heads")


def test_requires_grad_zero_grad_and_train():
    net = Net()
    net(Tensor(np.random.default_rng(0).standard_normal((5, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    assert not net(Tensor(np.ones((5, 3)))).requires_grad
    net.blocks.requires_grad_()
    assert [p.requires_grad for p in net.parameters()] == [False, True, True, True, True, False, False,
                                                           False, False]
    with pytest.raises(ValueError, match="requires_grad_: requires_grad must be True or False, got 1"):
        net.requires_grad_(1)
    with pytest.raises(ValueError, match="train: mode must be True or False, got 'eval'"):
        net.train("eval")
    assert all(m.is_train for m in net.modules())
    net.eval()
    assert not any(m.is_train for m in net.modules())


def test_to_float_and_double_convert_parameters_gradients_and_buffers():
    net = Net()
    net(Tensor(np.ones((5, 3)))).sum().backward()
    scale = net.scale
    assert net.float() is net and net.scale is scale
    tensors = list(net.parameters()) + list(net.buffers())
    # Float tensors only: BatchNorm's num_batches_tracked stays int64, as in PyTorch.
    assert [t.dtype for t in tensors if t.dtype != np.float32] == [np.int64]
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert net(Tensor(np.ones((5, 3), np.float32))).dtype == np.float32
    net.to("float64")
    assert all(t.dtype == np.float64 for t in list(net.parameters()) + list(net.buffers()) if t.dtype.kind == "f")
    counter = nn.Module()
    counter.register_buffer("count", Tensor(np.array([3])))
    counter.float()
    assert counter.count.dtype.kind == "i"  # integer buffers are left alone, as in PyTorch
    with pytest.raises(TypeError, match="to: dtype must be float32 or float64, got 'int32'"):
        net.to("int32")
    assert all(t.dtype == np.float64 for t in net.parameters())


def test_converting_a_model_invalidates_a_pending_backward():
    layer = nn.Linear(3, 2)
    out = layer(Tensor(np.ones((1, 3))))
    layer.float()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()
