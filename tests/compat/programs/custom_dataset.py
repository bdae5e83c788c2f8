"""Data pipelines as PyTorch's data tutorial writes them: a map-style Dataset with a
transform returning dicts, DataLoader with a collate_fn, random_split and Subset,
iterating batches, and a model trained on them. Shuffled orders differ between the
libraries, so shuffling is off where the numbers depend on the order."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


class Points(Dataset):
    """Points on two interleaved spirals, labelled by arm."""

    def __init__(self, n, transform=None):
        t = torch.arange(n).float() / n * 6
        arm = torch.arange(n) % 2
        radius = 0.5 + t / 6
        angle = t + arm * 3.14159
        self.points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
        self.labels = arm
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        sample = {"point": self.points[idx], "label": self.labels[idx]}
        if self.transform:
            sample = self.transform(sample)
        return sample


def scale(sample):
    return {"point": sample["point"] * 2, "label": sample["label"]}


dataset = Points(40, transform=scale)
print(len(dataset), dataset[3]["point"], dataset[3]["label"].item())
loader = DataLoader(dataset, batch_size=8, shuffle=False)
batch = next(iter(loader))
print(sorted(batch.keys()), batch["point"].shape, batch["label"].tolist())


def collate(samples):
    points = torch.stack([s["point"] for s in samples])
    labels = torch.tensor([int(s["label"]) for s in samples])
    return points, labels


train_set, valid_set = random_split(dataset, [30, 10], generator=torch.Generator().manual_seed(42))
print(len(train_set), len(valid_set), sorted(set(train_set.indices) | set(valid_set.indices)) == list(range(40)))
first = Subset(dataset, range(10))
print(len(first), first[9]["label"].item())

loader = DataLoader(dataset, batch_size=10, collate_fn=collate, drop_last=False)
model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
with torch.no_grad():
    for index, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 2.1 + index).reshape(p.shape) * 0.7)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(20):
    total, correct = 0.0, 0
    for points, labels in loader:
        optimizer.zero_grad()
        logits = model(points)
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        correct += (logits.argmax(1) == labels).sum().item()
    if epoch % 5 == 4:
        print(epoch, round(total / len(dataset), 5), correct)

shuffled = DataLoader(TensorDataset(torch.arange(12.0), torch.arange(12) * 10), batch_size=5, shuffle=True)
seen = torch.cat([x for x, _ in shuffled])
pairs_ok = all(bool((y == x.long() * 10).all()) for x, y in shuffled)
print(len(shuffled), sorted(seen.tolist()) == list(range(12)), pairs_ok, [len(x) for x, _ in shuffled])
