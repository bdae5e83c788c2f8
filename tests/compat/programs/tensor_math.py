"""The module-level math tutorials reach for: reductions with dims, max/min/sort/topk,
gather, where, softmax, comparisons and broadcasting."""
import torch

t = torch.tensor([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0], [5.0, 3.0, 5.0, 8.0]])
print(t.sum(), t.sum(dim=0), t.mean(1), t.sum(dim=1, keepdim=True))
print(t.var(), t.var(1, False), t.std(dim=0), t.std(0, unbiased=False))
values, indices = torch.max(t, dim=1)
print(values, indices)
print(torch.max(t), torch.min(t, 0), torch.max(t, torch.full_like(t, 4.0)))
print(t.argmax(), t.argmin(dim=1), t.amax(dim=0))
print(torch.sort(t[0]), t.sort(dim=1, descending=True).values)
print(torch.topk(t[:2], 2).indices, t.topk(1, dim=0, largest=False).values)
print(torch.gather(t, 1, torch.tensor([[0], [1], [3]])))
print(torch.where(t > 4, t, torch.zeros_like(t)), torch.where(t > 4, 1.0, 0.0))
print(torch.softmax(t, dim=1)[0], torch.log_softmax(t[0], dim=0))
print(torch.logsumexp(t, dim=1), t.norm(), torch.clamp(t, 2, 6))
print(torch.exp(torch.tensor(1.0)), torch.log(torch.tensor([1.0, 10.0])), torch.sqrt(t[0]))
print(t @ t.T, torch.matmul(t[0], t[1]), torch.mm(t, t.t()).shape)
print(t + torch.tensor([1.0, 2.0, 3.0, 4.0]), t * torch.tensor([[2.0], [0.5], [1.0]]))
print(torch.allclose(t, t + 1e-7), torch.equal(t, t.clone()), (t == 5).sum(), (t > 3).any())
print(torch.abs(torch.tensor([-1.5, 2.0])), torch.pow(2, torch.tensor([1.0, 3.0])), torch.arange(7) // 2)
print(torch.tensor([2.5, 3.5, -0.5]).round(), torch.floor(torch.tensor(-1.5)), torch.sign(torch.tensor([-2.0, 0.0, 3.0])))
print(torch.cumsum if False else torch.numel(t), torch.is_tensor(t), t.type(), t.long().type())
