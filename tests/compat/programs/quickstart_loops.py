"""The shape of PyTorch's quickstart: a Dataset of 28x28 "images" (deterministic patterns,
not FashionMNIST), DataLoaders, an nn.Module with nn.Flatten and a linear_relu_stack,
train() and test() loops written as the tutorial writes them, and saving the state_dict
to a file and loading it into a new model."""
import os
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Patterns(Dataset):
    def __init__(self, count, offset):
        self.count, self.offset = count, offset

    def __len__(self):
        return self.count

    def __getitem__(self, idx):
        k = idx + self.offset
        label = k % 4
        rows = torch.arange(28).float().unsqueeze(1)
        cols = torch.arange(28).float().unsqueeze(0)
        image = torch.cos(rows * (label + 1) * 0.2) * torch.sin(cols * 0.1 * (k % 3 + 1))
        return image.unsqueeze(0), label


training_data, test_data = Patterns(48, 0), Patterns(16, 100)
batch_size = 16
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)
for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype == torch.int64}")
    break

device = "cuda" if torch.cuda.is_available() else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 4),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
with torch.no_grad():
    for index, param in enumerate(model.parameters()):
        param.copy_(torch.sin(torch.arange(param.numel()) * 0.31 + index).reshape(param.shape) * 0.15)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5e-2, momentum=0.9)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")


epochs = 4
for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)
print("Done!")

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.pth")
    torch.save(model.state_dict(), path)
    model2 = NeuralNetwork().to(device)
    model2.load_state_dict(torch.load(path, weights_only=True))

classes = ["waves", "ripples", "stripes", "checks"]
model2.eval()
x, y = test_data[1][0], test_data[1][1]
with torch.no_grad():
    x = x.to(device)
    pred = model2(x)
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"', pred[0].argmax(0).item(), y)
