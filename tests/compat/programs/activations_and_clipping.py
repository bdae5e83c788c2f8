"""Activation layers and their functional forms (LeakyReLU, ELU, Softplus, SiLU, GELU,
Sigmoid, Tanh), Dropout2d and Unflatten in a model, and gradient clipping with
nn.utils.clip_grad_norm_ / clip_grad_value_ in a training loop. Dropout2d zeroes random
channels, so its check is seed-independent (whole channels are 0 or doubled)."""
import torch
import torch.nn.functional as F
from torch import nn

x = torch.linspace(-3, 3, 7, requires_grad=True)
layers = [nn.ReLU(), nn.LeakyReLU(0.1), nn.LeakyReLU(), nn.ELU(), nn.ELU(alpha=0.5), nn.Softplus(),
          nn.Softplus(beta=2.0, threshold=5.0), nn.SiLU(), nn.GELU(), nn.GELU(approximate="tanh"),
          nn.Sigmoid(), nn.Tanh()]
for layer in layers:
    x.grad = None
    y = layer(x)
    y.sum().backward()
    print(type(layer).__name__, y, x.grad)
print(torch.allclose(F.leaky_relu(x, 0.2), torch.where(x > 0, x, 0.2 * x)),
      torch.allclose(F.silu(x), x * torch.sigmoid(x)), torch.allclose(F.elu(x), nn.ELU()(x)),
      torch.allclose(F.softplus(x), torch.log1p(torch.exp(x))))

model = nn.Sequential(nn.Linear(6, 12), nn.LeakyReLU(0.05), nn.Unflatten(1, (3, 2, 2)),
                      nn.Dropout2d(0.5), nn.Flatten(), nn.Linear(12, 2))
with torch.no_grad():
    for index, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 1.9 + index).reshape(p.shape) * 0.8)
inputs = torch.linspace(-1, 1, 24).reshape(4, 6)
targets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
print(model[2](torch.arange(24.0).reshape(2, 12)).shape)

optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for step in range(6):
    model.train()
    model[3].eval()
    optimizer.zero_grad()
    loss = F.mse_loss(model(inputs), targets) * 50
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    clipped = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    optimizer.step()
    print(step, round(loss.item(), 5), round(float(total), 5), round(clipped.item(), 5))
nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
print(max(p.grad.abs().max().item() for p in model.parameters()))
print(nn.utils.clip_grad_norm_([p for p in model.parameters()], 10.0, norm_type=float("inf")).item())

drop = nn.Dropout2d(p=0.5)
maps = torch.ones(50, 4, 3, 3)
out = drop(maps)
per_channel = out.sum(dim=(2, 3))
print(bool(((per_channel == 0) | (per_channel == 18)).all()), drop(maps).shape, drop.eval()(maps).equal(maps))
