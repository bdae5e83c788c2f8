"""Learning-rate schedules in a training loop: StepLR, OneCycleLR (stepped per batch),
ReduceLROnPlateau on a validation loss, get_last_lr, and a scheduler's state_dict."""
import torch
from torch import nn, optim
from torch.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau, StepLR

inputs = torch.linspace(-2, 2, 24).reshape(12, 2)
targets = (inputs[:, :1] * 1.5 - inputs[:, 1:] * 0.5 + 0.25)


def fresh_model():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.2, -0.1]]))
        model.bias.zero_()
    return model


model = fresh_model()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
for epoch in range(8):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(epoch, f"{loss.item():.6f}", scheduler.get_last_lr())
print(scheduler.state_dict()["last_epoch"], optimizer.param_groups[0]["lr"])

model = fresh_model()
optimizer = optim.Adam(model.parameters(), lr=0.01)
batches = [(inputs[i:i + 4], targets[i:i + 4]) for i in range(0, 12, 4)]
scheduler = OneCycleLR(optimizer, max_lr=0.2, epochs=4, steps_per_epoch=len(batches))
rates = []
for epoch in range(4):
    for x, y in batches:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        rates.append(round(optimizer.param_groups[0]["lr"], 6))
    print(epoch, f"{loss.item():.6f}")
print(rates)
print(model.weight.detach().squeeze().tolist(), model.bias.item())

model = fresh_model()
optimizer = optim.SGD(model.parameters(), lr=0.05)
scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
for epoch in range(10):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    validation = round(loss.item(), 1)     # a coarse metric that plateaus
    scheduler.step(validation)
    print(epoch, validation, optimizer.param_groups[0]["lr"])
