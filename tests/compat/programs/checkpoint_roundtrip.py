"""Saving and loading, as PyTorch's recipe does it: state_dict, a general checkpoint with
the optimizer state and the epoch, torch.save / torch.load to a temporary file, then
resuming training and checking it continues exactly where it stopped."""
import os
import tempfile

import torch
from torch import nn, optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 5)
        self.bn = nn.BatchNorm1d(5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def build():
    net = Net()
    with torch.no_grad():
        for index, p in enumerate(net.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel()) + index * 2.0).reshape(p.shape) * 0.5)
    return net


x = torch.cos(torch.arange(24.0)).reshape(8, 3)
y = x.sum(1, keepdim=True) ** 2


def train(net, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


net = build()
optimizer = optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
print(f"{train(net, optimizer, 5):.6f}")
print(list(net.state_dict().keys()))
print(net.state_dict()["bn.running_mean"], net.state_dict()["bn.num_batches_tracked"])
print(sorted(optimizer.state_dict().keys()), optimizer.state_dict()["param_groups"][0]["lr"])

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "checkpoint.pt")
    torch.save({"epoch": 5, "model_state_dict": net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "loss": 0.5}, path)
    checkpoint = torch.load(path)

    weights = os.path.join(folder, "weights.pt")
    torch.save(net.state_dict(), weights)
    copy = build()
    copy.load_state_dict(torch.load(weights))
    copy.eval()
    net.eval()
    print(torch.equal(copy(x), net(x)), torch.allclose(copy.bn.running_var, net.bn.running_var))
    net.train()

print(checkpoint["epoch"], checkpoint["loss"])
resumed = build()
resumed_optimizer = optim.Adam(resumed.parameters(), lr=0.01, weight_decay=1e-3)
resumed.load_state_dict(checkpoint["model_state_dict"])
resumed_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
resumed.train()
print(f"{train(net, optimizer, 5):.6f}", f"{train(resumed, resumed_optimizer, 5):.6f}")
print(all(torch.allclose(a, b) for a, b in zip(net.parameters(), resumed.parameters())))
result = resumed.load_state_dict({k: v for k, v in net.state_dict().items() if k != "fc2.bias"},
                                 strict=False)
print(result.missing_keys, result.unexpected_keys)
