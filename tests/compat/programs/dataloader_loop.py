"""A Dataset, TensorDataset and DataLoader feeding a linear model in mini-batches."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


class Squares(Dataset):
    def __init__(self, n):
        self.x = torch.arange(n, dtype=torch.float32).unsqueeze(1) / n

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], 3 * self.x[index] ** 2 + 1


data = Squares(32)
print(len(data), data[5])
loader = DataLoader(data, batch_size=8, shuffle=False)
print(len(loader))
for x, y in loader:
    print(x.shape, y.shape, y.sum())
    break

model = nn.Linear(1, 1)
nn.init.constant_(model.weight, 0.5)
nn.init.zeros_(model.bias)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(5):
    total = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    print(epoch, f"{total / len(data):.5f}")
print(model.weight.item(), model.bias.item())

pairs = TensorDataset(torch.arange(10).float(), torch.arange(10) % 2)
batches = [(a.tolist(), b.tolist()) for a, b in DataLoader(pairs, batch_size=4, drop_last=True)]
print(batches)
train, valid = random_split(pairs, [7, 3], generator=torch.Generator().manual_seed(0))
print(len(train), len(valid))
quarter, rest = random_split(range(8), [0.25, 0.75])
print(len(quarter), len(rest))
