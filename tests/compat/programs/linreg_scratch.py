"""Linear regression from scratch, as Dive into Deep Learning's chapter writes it:
synthetic data from torch.normal, a shuffling minibatch iterator, a hand-written model,
squared loss and minibatch SGD under no_grad.

torch.normal draws differ between the libraries, so the program prints what does not
depend on the draw: that the learned parameters recover the true ones to within 0.01
(rounded to two decimals), and the shapes."""
import random

import torch


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
torch.manual_seed(0)
random.seed(0)
features, labels = synthetic_data(true_w, true_b, 1000)
print("features:", features.shape, "label:", labels.shape)


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f"epoch {epoch + 1}, loss below 1e-3: {bool(train_l.mean() < 1e-3)}")

print((true_w - w.reshape(true_w.shape)).abs().max().item() < 0.01, abs(true_b - b.item()) < 0.01)
print([round(v, 2) for v in w.reshape(-1).tolist()], round(b.item(), 2))
print(w.grad.abs().sum().item(), w.shape, b.shape)
