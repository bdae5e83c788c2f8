"""Device-agnostic code and dtypes: pick a device, move tensors and a model there, convert
dtypes, and watch PyTorch's type promotion. (The default float dtype is left alone: it
is float32 in PyTorch and float64 in MyTorch, see docs/differences.md.)"""
import torch
from torch import nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(torch.cuda.is_available(), device.type == "cpu")

x = torch.arange(6, dtype=torch.float32, device=device).reshape(2, 3)
print(x.dtype == torch.float32, x.device == device, x.is_cuda, x.device.type)
same = x.to("cpu")
print(same is x, x.cpu() is x, x.to(device).dtype == torch.float32)
wide = x.to(torch.float64)
print(wide.dtype == torch.float64, (wide + x).dtype == torch.float64, x.double().dtype == torch.double)

counts = torch.tensor([4, 7, 9])
print(counts.dtype == torch.int64, counts.dtype == torch.long)
print((counts * 2).dtype == torch.int64, (counts * 1.5).tolist(), (counts / 2).tolist())
print((counts // 2).tolist(), (counts % 4).tolist(), (counts > 5).dtype == torch.bool)
print((counts.float() * x[0]).dtype == torch.float32, counts.to(torch.float32).mean().item())
print(torch.zeros(2, dtype=torch.int32).dtype == torch.int32, torch.ones(2, 2, dtype=torch.bool).all().item())
print(torch.full((2,), 3, dtype=torch.float64).tolist(), torch.tensor([True, False]).sum().item())
print(x.type(torch.int64).tolist(), x.long().dtype == torch.long, x.int().dtype == torch.int32)
print(torch.tensor(3.7).int().item(), torch.tensor([-1.5, 2.5]).long().tolist())
like = torch.zeros_like(counts, dtype=torch.float32)
print(like.dtype == torch.float32, torch.ones_like(x).sum().item(), torch.empty(3, 2).shape)

model = nn.Linear(3, 2).to(device)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, 0.2, 0.3], [-0.3, 0.0, 0.6]]))
    model.bias.fill_(0.5)
batch = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], device=device)
out = model(batch.to(device))
print(out.detach().cpu().numpy().round(4).tolist(), next(model.parameters()).device.type)
print(out.sum().item(), model.weight.is_leaf, out.requires_grad)
