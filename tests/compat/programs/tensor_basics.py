"""Tensors: creating them, their shapes and dtypes, indexing, views, in-place changes."""
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x)
print(x.shape, x.size(1), x.dim(), x.numel())
print(torch.zeros(2, 3), torch.ones(2, dtype=torch.long))
print(torch.arange(5), torch.arange(0, 1, 0.25), torch.linspace(0, 1, 5))
print(torch.eye(3))
print(torch.full((2, 2), 7))

print(x[0], x[:, 1], x[1, 2].item(), x[x > 2.5])
row = x[1]
x[1, 0] = 10.0                     # basic indexing gives a view: row sees the change
print(row)
x.add_(1)
print(x, row)

y = x.view(3, 2)
print(y, y.t(), x.reshape(-1), x.flatten())
print(x.unsqueeze(0).shape, x.unsqueeze(-1).shape, x[None].squeeze(0).shape)
print(x.transpose(0, 1), x.permute(1, 0).contiguous())

z = torch.cat([x, x * 2], dim=0)
s = torch.stack([x, x], dim=1)
print(z, z.shape, s.shape)
a, b = x.chunk(2, dim=1)
print(a, b, [t.shape for t in x.split(1, dim=0)])

ints = torch.tensor([3, 1, 2])
print(ints.dtype == torch.int64, ints.float().dtype == torch.float32, ints.sum(), ints.max())
print(ints.tolist(), float(ints[0]), int(ints[1]), f"{x.sum():.3f}")
