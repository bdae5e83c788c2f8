"""nn.Sequential, cross-entropy and Adam on a three-class toy problem; accuracy from argmax."""
import torch
from torch import nn, optim

features = torch.tensor([[0.0, 0.1], [0.2, 0.0], [0.1, 0.2], [1.0, 1.1], [0.9, 1.0],
                         [1.2, 0.8], [2.0, 0.0], [2.1, 0.2], [1.9, -0.1], [0.1, 1.9]])
labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 1])

model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3))
with torch.no_grad():
    for parameter in model.parameters():
        n = parameter.numel()
        parameter.copy_((torch.arange(n) % 5 - 2.0).reshape(parameter.shape) * 0.3)

loss_fn = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.05)
for step in range(40):
    logits = model(features)
    loss = loss_fn(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(step, round(loss.item(), 5))

with torch.no_grad():
    logits = model(features)
    predictions = logits.argmax(dim=1)
    probabilities = torch.softmax(logits, dim=1)
accuracy = (predictions == labels).float().mean().item()
print(predictions, accuracy)
print(probabilities.max(dim=1).values, probabilities.sum(1))
top = torch.topk(logits, 2, dim=1)
print(top.indices[:3], top.values.shape)
