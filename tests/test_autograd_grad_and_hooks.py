"""`torch.autograd.grad` and module forward hooks, against PyTorch.

autograd.grad returns gradients without touching any `.grad` (leaves', inputs', or those
of leaves elsewhere in the graph), for leaf and non-leaf inputs, several outputs and
grad_outputs; what it refuses, it refuses before anything changes. Forward hooks see
(and may replace) a module's inputs and output, and their handles remove them.
"""
import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn
from test_torch_api import needs_torch, torch


def _grads(m, case):
    """Run one autograd.grad case in library m; the gradients as arrays (None kept)."""
    x = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
    w = m.tensor([[1.0, 2.0], [0.5, -0.5], [3.0, 1.0]], dtype=m.float64, requires_grad=True)
    y = (x.unsqueeze(1) * w).tanh()
    result = case(m, x, w, y)
    return [None if r is None else r.detach().numpy().copy() for r in result]


CASES = {
    "leaves": lambda m, x, w, y: m.autograd.grad(y.sum(), (x, w)),
    "one_input": lambda m, x, w, y: m.autograd.grad(y.pow(2).mean(), x),
    "non_leaf": lambda m, x, w, y: m.autograd.grad((y * y).sum(), [y, w]),
    "grad_outputs": lambda m, x, w, y: m.autograd.grad(y, x, grad_outputs=m.ones_like(y) * 2),
    "two_outputs": lambda m, x, w, y: m.autograd.grad([y.sum(), (x ** 3).sum()], [x],
                                                        grad_outputs=[None, m.tensor(0.5, dtype=m.float64)]),
    "unused": lambda m, x, w, y: m.autograd.grad(x.sum(), [x, w], allow_unused=True),
    "materialize": lambda m, x, w, y: m.autograd.grad(x.sum(), [w, x], materialize_grads=True),
    "same_input_twice": lambda m, x, w, y: m.autograd.grad((x * x).sum(), [x, x]),
    "output_is_input": lambda m, x, w, y: m.autograd.grad(y, y, grad_outputs=m.ones_like(y)),
}


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_autograd_grad_matches_pytorch(name):
    mine, theirs = _grads(mytorch, CASES[name]), _grads(torch, CASES[name])
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12)


@needs_torch
def test_autograd_grad_changes_no_leafs_grad_and_fills_retained_grads_as_pytorch():
    results = []
    for m in (mytorch, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        other = m.tensor([3.0, 4.0], requires_grad=True)
        other.grad = m.tensor([7.0, 7.0])
        hidden, plain = x * other, x * 2
        hidden.retain_grad()
        loss = (hidden ** 2).sum() + plain.sum()
        (dx,) = m.autograd.grad(loss, x, retain_graph=True)
        state = [dx.tolist(), x.grad, other.grad.tolist(), hidden.grad.tolist()]
        (dhidden, dplain) = m.autograd.grad(loss, [hidden, plain], retain_graph=True)
        state += [dhidden.tolist(), dplain.tolist(), hidden.grad.tolist(), plain.retains_grad if m is torch else None]
        loss.backward()  # the graph is still there
        state += [x.grad.tolist(), hidden.grad.tolist()]
        results.append(state)
    mine, theirs = results
    mine[-3] = theirs[-3] = None  # (retains_grad is PyTorch's own attribute)
    assert mine == theirs
    assert mine[1] is None and mine[2] == [7.0, 7.0] and mine[6] == [12.0, 32.0] and mine[-1] == [18.0, 48.0]


def test_autograd_grad_runs_tensor_hooks_and_a_gradient_is_a_new_tensor():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    x.register_hook(lambda grad: grad * 3)
    (dx,) = mytorch.autograd.grad((x * 2).sum(), x)
    assert dx.tolist() == [6.0, 6.0] and not dx.requires_grad and x.grad is None


@pytest.mark.parametrize("call, error, match", [
    (lambda x, y: mytorch.autograd.grad(y, x), RuntimeError,
     r"grad: output 0 has shape \(2,\); a gradient can be implicitly created only for one-element outputs"),
    (lambda x, y: mytorch.autograd.grad(y.sum(), mytorch.ones(2)), RuntimeError,
     r"grad: input 0 \(shape \(2,\)\) does not require grad"),
    (lambda x, y: mytorch.autograd.grad(mytorch.ones(1), x), RuntimeError, "grad: output 0 .* does not require grad"),
    (lambda x, y: mytorch.autograd.grad(y.sum(), [x, Tensor(np.ones(1), requires_grad=True)]), RuntimeError,
     r"grad: input 1 \(shape \(1,\)\) was not used to compute the outputs; pass allow_unused=True"),
    (lambda x, y: mytorch.autograd.grad(y.sum(), x, create_graph=True), NotImplementedError,
     "create_graph=True and is_grads_batched=True are not supported"),
    (lambda x, y: mytorch.autograd.grad(y.sum(), [x, 2.0]), TypeError, "grad: inputs must be Tensors, got float at position 1"),
    (lambda x, y: mytorch.autograd.grad([y.sum()], x, grad_outputs=[None, None]), ValueError,
     "grad: got 2 grad_outputs for 1 outputs"),
    (lambda x, y: mytorch.autograd.grad(y, x, grad_outputs=mytorch.ones(3)), ValueError, r"gradient of shape \(3,\)"),
])
def test_autograd_grad_refuses_bad_input_and_changes_nothing(call, error, match):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.grad = Tensor(np.array([5.0, 5.0]))
    y = x * 3
    with pytest.raises(error, match=match):
        call(x, y)
    assert x.grad.tolist() == [5.0, 5.0]


def _hooked_net(m):
    net = m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU(), m.nn.Linear(3, 1))
    with m.no_grad():
        for index, p in enumerate(net.parameters()):
            p.copy_(m.linspace(-1.0, 1.0, p.numel()).reshape(p.shape) * (index + 1))
    return net


@needs_torch
def test_forward_hooks_see_and_replace_inputs_and_outputs_as_pytorch():
    results = []
    for m in (mytorch, torch):
        net = _hooked_net(m)
        seen = []
        handles = [net[0].register_forward_hook(lambda mod, args, out: seen.append((args[0].sum().item(), out.sum().item()))),
                   net[1].register_forward_hook(lambda mod, args, out: out * 2),
                   net[2].register_forward_pre_hook(lambda mod, args: args[0] + 1),
                   net.register_forward_pre_hook(lambda mod, args: None)]
        x = m.tensor([[1.0, -2.0], [0.5, 0.5]], requires_grad=True)  # the default dtypes
        out = net(x)
        out.sum().backward()
        for handle in handles:
            handle.remove()
        plain = net(x)
        results.append((out.detach().numpy(), x.grad.numpy(), seen, plain.detach().numpy()))
    (out, grad, seen, plain), (t_out, t_grad, t_seen, t_plain) = results
    np.testing.assert_allclose(out, t_out, rtol=1e-6)  # PyTorch computes in float32 here
    np.testing.assert_allclose(grad, t_grad, rtol=1e-6)
    np.testing.assert_allclose(seen, t_seen, rtol=1e-6)
    np.testing.assert_allclose(plain, t_plain, rtol=1e-6)
    assert len(seen) == 1  # removed hooks do not run


def test_forward_hooks_run_in_order_and_refuse_what_is_not_callable():
    layer = nn.Identity()
    calls = []
    layer.register_forward_hook(lambda mod, args, out: calls.append("first"))
    layer.register_forward_hook(lambda mod, args, out: calls.append("second"))
    layer(mytorch.ones(1))
    assert calls == ["first", "second"]
    with pytest.raises(TypeError, match="Identity.register_forward_hook: the hook must be callable, got int"):
        layer.register_forward_hook(3)
    with pytest.raises(TypeError, match="register_forward_pre_hook: the hook must be callable"):
        layer.register_forward_pre_hook(None)

    class Forgetful(nn.Module):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\) first in Forgetful"):
        Forgetful().register_forward_hook(lambda *args: None)
