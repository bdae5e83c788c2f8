"""The NumPy twin of homework 1's layers, loss and SGD: the write-up's formulas for every
layer's forward and backward, written for clarity. Homework 1 and its bonus compare
MyTorch against it, and check its gradients against central differences."""
from typing import Any, List, Sequence, Tuple

import numpy as np

from mytorch import Tensor
from mytorch.nn import BatchNorm1d, Linear, ReLU, Sequential


class ReferenceLinear:
    """y = x W^T + b;  dx = dy W,  dW = dy^T x,  db = sum_i dy_i."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.weight, self.bias = weight.copy(), bias.copy()
        self.params = [self.weight, self.bias]

    def forward(self, x: np.ndarray, training: bool) -> Tuple[np.ndarray, Any]:
        return x @ self.weight.T + self.bias, x

    def backward(self, cache: Any, dy: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
        x = cache
        return dy @ self.weight, [dy.T @ x, dy.sum(axis=0)]


class ReferenceReLU:
    """y = max(z, 0);  dz = dy where z > 0, else 0."""

    params: List[np.ndarray] = []

    def forward(self, z: np.ndarray, training: bool) -> Tuple[np.ndarray, Any]:
        return np.maximum(z, 0.0), z

    def backward(self, cache: Any, dy: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
        z = cache
        return dy * (z > 0), []


class ReferenceBatchNorm:
    """The write-up's batch normalisation over a batch of m rows.

    Training: mu = mean(x), var = mean((x - mu)^2), x_hat = (x - mu) / sqrt(var + eps),
    y = gamma x_hat + beta; the running statistics move towards mu and the unbiased
    variance var * m / (m - 1) by `momentum`. Eval: x_hat uses the running statistics.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                 running_var: np.ndarray, eps: float, momentum: float) -> None:
        self.gamma, self.beta = gamma.copy(), beta.copy()
        self.running_mean, self.running_var = running_mean.copy(), running_var.copy()
        self.eps, self.momentum = eps, momentum
        self.params = [self.gamma, self.beta]

    def forward(self, x: np.ndarray, training: bool) -> Tuple[np.ndarray, Any]:
        if training:
            mu = x.mean(axis=0)
            var = ((x - mu) ** 2).mean(axis=0)
        else:
            mu, var = self.running_mean, self.running_var
        x_hat = (x - mu) / np.sqrt(var + self.eps)
        return self.gamma * x_hat + self.beta, (training, x, mu, var, x_hat)

    def update_running_stats(self, cache: Any) -> None:
        training, x, mu, var, _ = cache
        if training:
            m = x.shape[0]
            self.running_mean[...] = (1 - self.momentum) * self.running_mean + self.momentum * mu
            self.running_var[...] = ((1 - self.momentum) * self.running_var
                                     + self.momentum * var * m / (m - 1))

    def backward(self, cache: Any, dy: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
        training, x, mu, var, x_hat = cache
        dgamma = (dy * x_hat).sum(axis=0)
        dbeta = dy.sum(axis=0)
        dx_hat = dy * self.gamma
        if not training:
            return dx_hat / np.sqrt(var + self.eps), [dgamma, dbeta]
        m = x.shape[0]
        # The write-up's chain rule, term by term.
        dvar = np.sum(dx_hat * (x - mu) * -0.5 * (var + self.eps) ** -1.5, axis=0)
        dmu = (-np.sum(dx_hat / np.sqrt(var + self.eps), axis=0)
               - 2.0 / m * dvar * np.sum(x - mu, axis=0))
        dx = dx_hat / np.sqrt(var + self.eps) + dvar * 2.0 * (x - mu) / m + dmu / m
        return dx, [dgamma, dbeta]


def reference_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> Tuple[float, np.ndarray]:
    """Mean over the batch of -log softmax(logits)[label], and its gradient
    (softmax - one_hot) / N. Softmax is computed after subtracting each row's max."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_softmax[np.arange(n), labels].mean()
    one_hot = np.zeros_like(logits)
    one_hot[np.arange(n), labels] = 1.0
    return float(loss), (np.exp(log_softmax) - one_hot) / n


class ReferenceMLP:
    """The NumPy twin of a MyTorch Sequential of Linear, ReLU and BatchNorm1d layers."""

    def __init__(self, model: Sequential) -> None:
        self.layers = []
        for index, layer in enumerate(model):
            if isinstance(layer, Linear):
                self.layers.append(ReferenceLinear(_array(layer.weight), _array(layer.bias)))
            elif isinstance(layer, ReLU):
                self.layers.append(ReferenceReLU())
            elif isinstance(layer, BatchNorm1d):
                self.layers.append(ReferenceBatchNorm(
                    _array(layer.gamma), _array(layer.beta), _array(layer.running_mean),
                    _array(layer.running_var), layer.eps, layer.momentum))
            else:
                raise TypeError(f"layer {index}: no reference for {type(layer).__name__}")

    def params(self) -> List[np.ndarray]:
        return [param for layer in self.layers for param in layer.params]

    def forward(self, x: np.ndarray, training: bool) -> Tuple[np.ndarray, List[Any]]:
        caches = []
        for layer in self.layers:
            x, cache = layer.forward(x, training)
            caches.append(cache)
        return x, caches

    def backward(self, caches: List[Any], dy: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
        grads: List[List[np.ndarray]] = []
        for layer, cache in zip(reversed(self.layers), reversed(caches)):
            dy, layer_grads = layer.backward(cache, dy)
            grads.insert(0, layer_grads)
        return dy, [grad for layer_grads in grads for grad in layer_grads]

    def update_running_stats(self, caches: List[Any]) -> None:
        for layer, cache in zip(self.layers, caches):
            if isinstance(layer, ReferenceBatchNorm):
                layer.update_running_stats(cache)


class ReferenceSGD:
    """The write-up's SGD with momentum: v = momentum * v - lr * grad; p = p + v."""

    def __init__(self, params: Sequence[np.ndarray], lr: float, momentum: float) -> None:
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.velocities = [np.zeros_like(param) for param in self.params]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        for param, velocity, grad in zip(self.params, self.velocities, grads):
            velocity[...] = self.momentum * velocity - self.lr * grad
            param += velocity


def _array(tensor: Tensor) -> np.ndarray:
    return np.array(tensor.data, dtype=np.float64)
