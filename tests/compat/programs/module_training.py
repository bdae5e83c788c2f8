"""An nn.Module trained with SGD and momentum on a regression problem, with fixed
initial weights so both libraries start from the same point."""
import torch
import torch.nn as nn


class TwoLayerNet(nn.Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, hidden)
        self.output = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.output(torch.tanh(self.hidden(x)))


torch.manual_seed(0)
model = TwoLayerNet(3, 8, 1)
with torch.no_grad():
    for index, parameter in enumerate(model.parameters()):
        values = torch.linspace(-0.5, 0.5, parameter.numel()) * (index + 1) / 4
        parameter.copy_(values.reshape(parameter.shape))

x = torch.linspace(-1, 1, 60).reshape(20, 3)
y = (x[:, :1] * 2 - x[:, 1:2] + 0.5 * x[:, 2:] ** 2)

criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(60):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.6f}")

print(sum(p.numel() for p in model.parameters()))
print(model.hidden.weight.grad.abs().sum().item() > 0)
model.eval()
with torch.no_grad():
    print(model(torch.tensor([[0.5, -0.5, 0.25]])))
