"""The losses tutorials reach for, checked on fixed numbers with their gradients:
cross-entropy with class weights and label smoothing, NLL, BCE and BCEWithLogitsLoss
(pos_weight), one-hot targets, MSE/L1/SmoothL1/Huber, and reductions."""
import torch
import torch.nn.functional as F
from torch import nn

logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0], [1.0, 1.0, -2.0]],
                      requires_grad=True)
target = torch.tensor([0, 2, 1, 1])
print(F.one_hot(target), F.one_hot(torch.tensor([1, 0]), num_classes=4))
for loss_fn in (nn.CrossEntropyLoss(), nn.CrossEntropyLoss(label_smoothing=0.1),
                nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5])),
                nn.CrossEntropyLoss(reduction="sum"), nn.CrossEntropyLoss(ignore_index=2)):
    logits.grad = None
    loss = loss_fn(logits, target)
    loss.backward()
    print(round(loss.item(), 6), logits.grad[1])
print(F.cross_entropy(logits, target, reduction="none"))
soft = F.one_hot(target, 3).float() * 0.8 + 0.2 / 3
print(F.cross_entropy(logits, soft).item())
print(F.nll_loss(F.log_softmax(logits, dim=1), target).item(), nn.NLLLoss(reduction="sum")(logits.log_softmax(1), target).item())

scores = torch.tensor([[0.8, -1.2], [2.5, 0.3], [-0.7, 0.1]], requires_grad=True)
labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
bce = nn.BCEWithLogitsLoss()
loss = bce(scores, labels)
loss.backward()
print(round(loss.item(), 6), scores.grad)
weighted = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5]))(scores, labels)
print(round(weighted.item(), 6), nn.BCELoss()(torch.sigmoid(scores), labels).item())
print(F.binary_cross_entropy(torch.sigmoid(scores), labels, reduction="none"))

prediction = torch.tensor([0.5, 2.0, -1.0, 3.5], requires_grad=True)
truth = torch.tensor([1.0, 0.0, -1.5, 1.0])
for loss_fn in (nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.SmoothL1Loss(beta=0.5),
                nn.HuberLoss(delta=2.0), nn.MSELoss(reduction="sum")):
    prediction.grad = None
    loss = loss_fn(prediction, truth)
    loss.backward()
    print(round(loss.item(), 6), prediction.grad)
