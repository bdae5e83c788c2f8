"""nn.init on a model (model.apply with an init function), optimizers with parameter groups
(per-group learning rates, weight decay only on weights), AdamW, SGD with nesterov,
add_param_group, zero_grad(set_to_none=True). Random initialisers are checked through
seed-independent facts: their bounds and their shapes."""
import math

import torch
from torch import nn, optim

model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


model.apply(init_weights)
bound = math.sqrt(6 / (4 + 6))
print(model[0].weight.abs().max().item() <= bound, model[0].bias.abs().sum().item())
nn.init.kaiming_uniform_(model[2].weight, a=math.sqrt(5))
print(model[2].weight.abs().max().item() <= 1 / math.sqrt(6))
nn.init.kaiming_normal_(model[0].weight, mode="fan_out", nonlinearity="relu")
nn.init.normal_(model[2].bias, mean=0.0, std=0.01)
nn.init.uniform_(model[0].bias, -0.1, 0.1)
print(model[0].bias.abs().max().item() <= 0.1, model[0].weight.shape)
print(round(nn.init.calculate_gain("relu"), 6), round(nn.init.calculate_gain("tanh"), 6),
      round(nn.init.calculate_gain("leaky_relu", 0.2), 6), nn.init.calculate_gain("sigmoid"))
square = torch.empty(3, 3)
nn.init.eye_(square)
print(square, nn.init.constant_(torch.empty(2), 0.3))
nn.init.orthogonal_(square)
print(torch.allclose(square @ square.t(), torch.eye(3), atol=1e-5))
nn.init.trunc_normal_(square, std=0.02, a=-0.04, b=0.04)
print(square.abs().max().item() <= 0.04)

with torch.no_grad():
    for index, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 1.1 + index).reshape(p.shape) * 0.5)

decay = [p for name, p in model.named_parameters() if name.endswith("weight")]
no_decay = [p for name, p in model.named_parameters() if name.endswith("bias")]
optimizer = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                         {"params": no_decay, "weight_decay": 0.0, "lr": 0.02}], lr=0.01)
print(len(optimizer.param_groups), [g["lr"] for g in optimizer.param_groups],
      optimizer.param_groups[0]["betas"], optimizer.defaults["weight_decay"])
x = torch.linspace(-1, 1, 20).reshape(5, 4)
y = torch.tensor([0, 1, 1, 0, 1])
for step in range(10):
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
print(round(loss.item(), 6), model[0].weight.grad is not None)
optimizer.zero_grad(set_to_none=True)
print(model[0].weight.grad is None, model[0].weight.sum().item(), model[2].bias.tolist())

head = nn.Linear(2, 1)
with torch.no_grad():
    head.weight.fill_(0.5)
    head.bias.fill_(-0.5)
sgd = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)
sgd.add_param_group({"params": head.parameters(), "lr": 0.1})
print(len(sgd.param_groups), sgd.param_groups[1]["momentum"], sgd.param_groups[1]["nesterov"])
for step in range(5):
    sgd.zero_grad()
    loss = ((head(model(x)) - 1) ** 2).mean()
    loss.backward()
    sgd.step()
print(round(loss.item(), 6), head.weight.tolist(), head.bias.item())
for group in sgd.param_groups:
    group["lr"] *= 0.5
print([g["lr"] for g in sgd.param_groups])
