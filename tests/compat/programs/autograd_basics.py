"""Autograd: gradients of scalar functions, accumulation, no_grad and detach."""
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 2 + 3 * x).sum()
y.backward()
print(y.item(), x.grad)

x.grad.zero_()
z = torch.exp(x).mean() + torch.sin(x).sum() * torch.cos(x[0])
z.backward()
print(f"{z.item():.6f}", x.grad)

w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
b = torch.tensor([0.1, -0.2], requires_grad=True)
inputs = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
out = torch.sigmoid(inputs @ w + b)
loss = ((out - 0.5) ** 2).mean()
loss.backward()
print(loss.item(), w.grad, b.grad)

for _ in range(2):                 # gradients add up until zeroed
    (w * w).sum().backward()
print(w.grad)

with torch.no_grad():
    frozen = w * 2
print(frozen.requires_grad, w.detach().requires_grad, (w * 2).requires_grad)

h = x * 2
h.retain_grad()
(h.tanh().sum()).backward()
print(h.grad)

v = torch.tensor([3.0, 4.0], requires_grad=True)
v.norm().backward()
print(v.grad, v.std(), torch.tensor([5.0, 5.0], requires_grad=True).std())
