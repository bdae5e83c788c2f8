"""Concise linear regression, in Dive into Deep Learning's style: a TensorDataset and a
shuffling DataLoader, nn.Sequential(nn.Linear), nn.MSELoss and optim.SGD, then reading
the learned weights back. The data are fixed numbers (features from sin/cos, exact labels),
so the shuffled order does not change where training ends up: the printed parameters are
rounded to 3 decimals, and the loss is compared to a threshold."""
import torch
from torch import nn
from torch.utils import data

true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
steps = torch.arange(200).float()
features = torch.stack([torch.sin(steps * 0.7), torch.cos(steps * 1.3)], dim=1)
labels = (features @ true_w + true_b).reshape(-1, 1)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


batch_size = 10
data_iter = load_array((features, labels), batch_size)
X, y = next(iter(data_iter))
print(X.shape, y.shape, len(data_iter))

net = nn.Sequential(nn.Linear(2, 1))
with torch.no_grad():
    net[0].weight.normal_(0, 0.01)
    net[0].bias.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
num_epochs = 8
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f"epoch {epoch + 1}, loss below 1e-6: {l.item() < 1e-6}")

w = net[0].weight.data
b = net[0].bias.data
print("error in estimating w:", [round(float(v), 3) for v in (true_w - w.reshape(true_w.shape))])
print("error in estimating b:", round(float(true_b - b[0]), 3))
print(round(float(w[0, 0]), 3), round(float(b[0]), 3))
