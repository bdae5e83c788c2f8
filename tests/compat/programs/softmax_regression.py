"""Softmax regression from scratch, in Dive into Deep Learning's style: a softmax built from
exp and sum, cross-entropy by picking the right log-probabilities with fancy indexing, an
accuracy helper, and an Accumulator over minibatches. The data are three fixed clusters of
points made with integer formulas, so both libraries see the same numbers."""
import torch


def make_data(n):
    k = torch.arange(n)
    labels = k % 3
    centers = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    jitter = torch.stack([torch.sin(k * 1.7), torch.cos(k * 2.3)], dim=1) * 0.9
    return centers[labels] + jitter, labels


X_all, y_all = make_data(60)
print(X_all.shape, y_all[:7].tolist(), X_all[:2])

num_inputs, num_outputs = 2, 3
W = (torch.arange(6.0).reshape(num_inputs, num_outputs) * 0.01 - 0.02).requires_grad_(True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y], cross_entropy(y_hat, y), accuracy(y_hat, y) / len(y))
probabilities = softmax(torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
print(probabilities, probabilities.sum(1))

lr = 0.1
for epoch in range(5):
    metric = Accumulator(3)
    for i in range(0, 60, 12):
        X, y = X_all[i:i + 12], y_all[i:i + 12]
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.mean().backward()
        with torch.no_grad():
            for param in (W, b):
                param -= lr * param.grad
                param.grad.zero_()
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    print(epoch + 1, round(metric[0] / metric[2], 5), metric[1] / metric[2])
with torch.no_grad():
    print(W, b, accuracy(net(X_all), y_all) / len(y_all))
