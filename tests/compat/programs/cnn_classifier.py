"""A small CNN the way PyTorch's CIFAR tutorial writes one (Conv2d, BatchNorm2d, MaxPool2d,
AdaptiveAvgPool2d, Dropout), trained on deterministic 8x8 images of stripes.

Dropout draws random masks, and the two libraries draw different ones, so the training
loop keeps the Dropout layers in eval mode (a common trick for fine-tuning) while
BatchNorm trains; dropout's own behaviour is checked through seed-independent facts
(every output is 0 or scaled by 1/(1-p); eval mode is the identity)."""
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(4, 6, kernel_size=3, stride=1, padding="same", bias=False)
        self.bn2 = nn.BatchNorm2d(6)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(self.dropout(x))


def images():
    rows = torch.arange(8).reshape(8, 1).expand(8, 8).float()
    cols = torch.arange(8).reshape(1, 8).expand(8, 8).float()
    pictures, labels = [], []
    for k in range(12):
        kind = k % 3
        phase = k // 3
        if kind == 0:
            picture = torch.sin(rows * 1.2 + phase)
        elif kind == 1:
            picture = torch.sin(cols * 1.2 + phase)
        else:
            picture = torch.sin((rows + cols) * 0.8 + phase)
        pictures.append(picture)
        labels.append(kind)
    return torch.stack(pictures).unsqueeze(1), torch.tensor(labels)


x, labels = images()
print(x.shape, torch.bincount(labels).tolist())
net = Net()
with torch.no_grad():
    for index, (name, p) in enumerate(net.named_parameters()):
        if "bn" not in name:
            p.copy_(torch.cos(torch.arange(p.numel()) * 0.9 + index).reshape(p.shape) * 0.3)
print(sum(p.numel() for p in net.parameters()), net.conv2.bias is None, net.conv2.padding)

optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(15):
    net.train()
    net.dropout.eval()
    optimizer.zero_grad()
    outputs = net(x)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    if epoch % 5 == 4:
        print(epoch, round(loss.item(), 4))

net.eval()
with torch.no_grad():
    outputs = net(x)
    _, predicted = torch.max(outputs, 1)
    correct = (predicted == labels).sum().item()
print(predicted.tolist(), correct, 100 * correct // len(labels))
print(net.bn1.running_mean, net.bn2.running_var.sum().item(), net.bn1.num_batches_tracked.item())

drop = nn.Dropout(p=0.25)
ones = torch.ones(200, 10)
dropped = drop(ones)
print(drop.training, bool(((dropped == 0) | (dropped == 1 / 0.75)).all()), 0.6 < (dropped != 0).float().mean().item() < 0.9)
drop.eval()
print(torch.equal(drop(ones), ones))
