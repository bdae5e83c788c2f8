"""Building networks: nn.Sequential from an OrderedDict, nested modules, ModuleList,
named_parameters, children, modules, parameter counts, and a module's repr-free anatomy."""
from collections import OrderedDict

import torch
from torch import nn

model = nn.Sequential(OrderedDict([
    ("fc1", nn.Linear(4, 8)),
    ("act1", nn.Tanh()),
    ("fc2", nn.Linear(8, 8)),
    ("act2", nn.ReLU()),
    ("out", nn.Linear(8, 2)),
]))
print([name for name, _ in model.named_children()])
print([(name, tuple(p.shape)) for name, p in model.named_parameters()])
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
print(isinstance(model.fc1, nn.Linear), model[0] is model.fc1, len(model), model[-1].out_features)

with torch.no_grad():
    for index, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel()) * 0.7 + index).reshape(p.shape) * 0.4)

x = torch.linspace(-1, 1, 12).reshape(3, 4)
print(model(x))
print(model[:2](x).shape, nn.Sequential(*list(model.children())[:3])(x).sum().item())


class Residual(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Sequential()
        self.head.add_module("proj", nn.Linear(width, 1))

    def forward(self, x):
        for block in self.blocks:
            x = x + torch.relu(block(x))
        return self.head(self.norm(x))


net = Residual(4, 3)
with torch.no_grad():
    for index, (name, p) in enumerate(net.named_parameters()):
        if "norm" not in name:
            p.copy_(torch.sin(torch.arange(p.numel()) * 1.3 + index).reshape(p.shape) * 0.3)
print([name for name, _ in net.named_modules()])
print(sorted(net.state_dict().keys()))
y = net(x)
y.sum().backward()
print(y.squeeze(1), net.blocks[0].weight.grad.norm().item(), net.norm.weight.grad)
net.requires_grad_(False)
print(any(p.requires_grad for p in net.parameters()), net.training, net.eval().training, net.blocks[1].training)
