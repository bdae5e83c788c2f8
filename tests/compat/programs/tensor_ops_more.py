"""Tensor operations beyond the basics, as tutorials and answers use them: cumsum/cumprod/
prod, repeat/expand, flip, index_select, scatter/scatter_add, masked_fill, tril/triu,
clamp with tensor bounds, and their gradients."""
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
print(torch.cumsum(x, dim=1), x.cumsum(0), x.cumprod(dim=1), torch.prod(x), x.prod(1))
print(x.repeat(2, 1), x.repeat(1, 2, 1).shape, x[:, :1].expand(2, 4), torch.flip(x, [0, 1]), x.flip(1))
index = torch.tensor([2, 0])
print(torch.index_select(x, 1, index), x.index_select(0, torch.tensor([1])))
mask = x > 3
print(x.masked_fill(mask, 0.0), torch.masked_fill(x, ~mask, -1.0))
print(torch.tril(x), torch.triu(x, diagonal=1), torch.tril(torch.ones(3, 4), diagonal=-1))
low, high = torch.tensor([2.0, 2.5, 2.0]), torch.tensor([5.0, 4.0, 3.5])
print(torch.clamp(x, min=low, max=high), x.clamp(max=torch.tensor(4.5)), x.clamp(min=2.5))

target = torch.zeros(3, 5)
src = torch.arange(1.0, 11.0).reshape(2, 5)
positions = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
print(target.scatter(0, positions, src), torch.scatter_add(target, 0, positions, src))
labels = torch.tensor([3, 0, 1])
print(torch.zeros(3, 4).scatter_(1, labels.unsqueeze(1), 1.0))
counts = torch.zeros(4).scatter_add_(0, torch.tensor([0, 1, 1, 3, 3, 3]), torch.ones(6))
print(counts)

y = (x.cumsum(1) * torch.tensor([1.0, -1.0, 2.0])).sum() + x.prod() / 100 + x.flip(0)[0].sum()
y = y + x.repeat(2, 2).pow(2).sum() / 10 + x.index_select(1, index).sum() * 3
y = y + x.masked_fill(mask, 0.0).sum() + torch.tril(x).sum() + x.clamp(low, high).sum()
y = y + torch.cumprod(x, 1)[:, -1].sum() / 10
y.backward()
print(y.item(), x.grad)
w = torch.tensor([0.5, -1.0, 2.0, 3.0], requires_grad=True)
z = torch.zeros(2, 4).scatter(1, torch.tensor([[1, 3], [0, 2]]), w.reshape(2, 2) * 1.0)
(z * torch.arange(8.0).reshape(2, 4)).sum().backward()
print(z, w.grad)
