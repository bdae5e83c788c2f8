"""Autograd beyond backward(): requires_grad_, retain_grad, hooks on tensors,
torch.autograd.grad, set_grad_enabled, detach, and forward hooks on modules."""
import torch
from torch import nn

x = torch.tensor([0.5, -1.0, 2.0])
print(x.requires_grad, x.is_leaf)
x.requires_grad_()
y = x * x
y.retain_grad()
seen = []
y.register_hook(lambda grad: seen.append(grad.clone()))
handle = x.register_hook(lambda grad: grad * 10)
z = (y * torch.tensor([1.0, 2.0, 3.0])).sum()
z.backward()
print(x.grad, y.grad, seen[0], y.is_leaf, z.grad_fn is not None)
handle.remove()
x.grad = None
(x ** 3).sum().backward()
print(x.grad)

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
f = a ** 2 * b + torch.sin(b)
da, db = torch.autograd.grad(f, (a, b))
print(round(da.item(), 4), round(db.item(), 4), a.grad is None, b.grad is None)
u = torch.linspace(-1, 1, 5, requires_grad=True)
(du,) = torch.autograd.grad((u.exp() * u).sum(), u)
print(du)
v = u * 3
(dv,) = torch.autograd.grad(v.pow(2).sum(), [v])
print(dv, u.grad is None)

with torch.set_grad_enabled(False):
    print((a * 2).requires_grad)
print((a * 2).requires_grad, torch.is_grad_enabled())


@torch.no_grad()
def evaluate(t):
    return t * 2


print(evaluate(a).requires_grad)
d = (a * 3).detach()
print(d.requires_grad, d.grad_fn is None, d.item())

net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-1.0, 1.0, p.numel()).reshape(p.shape) * (i + 1) / 3)
activations = {}


def keep(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


hooks = [net[0].register_forward_hook(keep("linear")), net[1].register_forward_hook(keep("relu"))]
doubled = net[2].register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,))
out = net(torch.tensor([[1.0, -2.0], [0.5, 0.5]]))
print(out, activations["linear"], activations["relu"])
for h in hooks + [doubled]:
    h.remove()
activations.clear()
print(net(torch.tensor([[1.0, -2.0]])), len(activations))
