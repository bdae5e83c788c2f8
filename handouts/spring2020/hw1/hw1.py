"""The multilayer perceptron of 11-785 Spring 2020 HW1P1, with hand-derived backprop.

`MLP` chains Linear -> BatchNorm (on the first `num_bn_layers` layers) -> activation
at any depth; `backward(labels)` applies the chain rule layer by layer with the
derivatives of mytorch/'s modules, and `step` is SGD with the handout's momentum.
`get_training_stats` is the handout's training loop.

Like the handout, this file imports mytorch/'s modules by their file names
(`activation`, `loss`, `linear`, `batchnorm`), so that folder goes on the path.
"""
import sys
from numbers import Integral
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

_MYTORCH = str(Path(__file__).resolve().parents[1] / "mytorch")
if _MYTORCH not in sys.path:
    sys.path.append(_MYTORCH)

from activation import Activation  # noqa: E402  (needs the path above)
from batchnorm import BatchNorm  # noqa: E402
from validation import float_matrix, positive_int, real_in_range, same_shape  # noqa: E402
from linear import Linear  # noqa: E402
from loss import Criterion  # noqa: E402

Split = Tuple[np.ndarray, np.ndarray]


class MLP:
    """A multilayer perceptron trained with minibatch SGD and momentum.

    Layer i maps `sizes[i]` to `sizes[i + 1]`, `sizes = [input_size, *hiddens,
    output_size]`; the first `num_bn_layers` layers put a BatchNorm between the Linear
    and the activation.

    Args:
        input_size, output_size: sizes of an input sample and of the output.
        hiddens: widths of the hidden layers; may be empty.
        activations: one `Activation` per layer, `len(hiddens) + 1` of them.
        weight_init_fn: `weight_init_fn(in, out)` returns a layer's (in, out) weight. It
            is called once per layer, in layer order, and the MLP draws nothing else
            at random, so seeding NumPy reproduces the weights.
        bias_init_fn: `bias_init_fn(out)` returns a layer's bias, (1, out) or (out,).
        criterion: the loss, e.g. `SoftmaxCrossEntropy()`.
        lr: learning rate, >= 0.
        momentum: the momentum factor, in [0, 1].
        num_bn_layers: how many hidden layers, from the first, get a BatchNorm.

    Raises:
        TypeError, ValueError: naming the argument and its value.
    """

    def __init__(self, input_size: int, output_size: int, hiddens: Sequence[int],
                 activations: Sequence[Activation],
                 weight_init_fn: Callable[[int, int], np.ndarray],
                 bias_init_fn: Callable[[int], np.ndarray], criterion: Criterion,
                 lr: float, momentum: float = 0.0, num_bn_layers: int = 0) -> None:
        sizes = [positive_int("input_size", input_size)]
        sizes += [positive_int(f"hiddens[{i}]", width) for i, width in enumerate(hiddens)]
        sizes.append(positive_int("output_size", output_size))
        activations = list(activations)
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"activations must hold len(hiddens) + 1 = {len(sizes) - 1} "
                             f"activations, one per layer, got {len(activations)}")
        if (isinstance(num_bn_layers, bool) or not isinstance(num_bn_layers, Integral)
                or not 0 <= num_bn_layers <= len(sizes) - 2):
            raise ValueError(f"num_bn_layers must be an integer from 0 to len(hiddens) = "
                             f"{len(sizes) - 2}, got {num_bn_layers!r}")
        self.lr = real_in_range("lr", lr, 0.0, float("inf"))
        self.momentum = real_in_range("momentum", momentum, 0.0, 1.0)
        self.train_mode = True
        self.num_bn_layers = int(num_bn_layers)
        self.bn = num_bn_layers > 0
        self.nlayers = len(sizes) - 1
        self.input_size, self.output_size = sizes[0], sizes[-1]
        self.activations = activations
        self.criterion = criterion
        self.linear_layers: List[Linear] = [
            Linear(fan_in, fan_out, weight_init_fn, bias_init_fn)
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
        self.bn_layers: List[BatchNorm] = [BatchNorm(width)
                                           for width in sizes[1:self.num_bn_layers + 1]]
        self.output: Optional[np.ndarray] = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The output for a batch x of shape (batch, input_size), an ndarray
        (batch, output_size), also kept as `self.output` for backward."""
        out = float_matrix("x", x, self.input_size)
        for i, (layer, activation) in enumerate(zip(self.linear_layers, self.activations)):
            out = layer(out)
            if i < self.num_bn_layers:
                out = self.bn_layers[i](out, eval=not self.train_mode)
            out = activation(out)
        self.output = out
        return out

    def backward(self, labels: np.ndarray) -> None:
        """Backpropagate the criterion of the last output against `labels`.

        Each layer's delta is dloss_i/d(its output) per sample i: the criterion's
        derivative, times each activation's derivative on the way down.
        Fills every Linear's dW, db and every BatchNorm's dgamma, dbeta.

        Args:
            labels: one-hot targets, shape (batch, output_size).
        """
        if self.output is None:
            raise RuntimeError("MLP.backward() called before forward()")
        labels = same_shape("labels", labels, self.output.shape)
        self.criterion(self.output, labels)
        delta = self.criterion.derivative()
        for i in reversed(range(self.nlayers)):
            delta = delta * self.activations[i].derivative()
            if i < self.num_bn_layers:
                delta = self.bn_layers[i].backward(delta)
            delta = self.linear_layers[i].backward(delta)

    def zero_grads(self) -> None:
        """Set every dW, db, dgamma and dbeta to zero."""
        for layer in self.linear_layers:
            layer.dW = np.zeros_like(layer.W)
            layer.db = np.zeros_like(layer.b)
        for bn in self.bn_layers:
            bn.dgamma = np.zeros_like(bn.gamma)
            bn.dbeta = np.zeros_like(bn.beta)

    def step(self) -> None:
        """One SGD update from the gradients of the last backward.

        Linear layers follow the handout's momentum rule, keeping the update in the
        layer: momentum_W <- momentum momentum_W - lr dW, then W <- W + momentum_W
        (likewise b). BatchNorm's gamma and beta take a plain step, gamma <- gamma -
        lr dgamma: the handout defines momentum for the Linear layer only.
        """
        for layer in self.linear_layers:
            layer.momentum_W = self.momentum * layer.momentum_W - self.lr * layer.dW
            layer.momentum_b = self.momentum * layer.momentum_b - self.lr * layer.db
            layer.W = layer.W + layer.momentum_W
            layer.b = layer.b + layer.momentum_b
        for bn in self.bn_layers:
            bn.gamma = bn.gamma - self.lr * bn.dgamma
            bn.beta = bn.beta - self.lr * bn.dbeta

    def error(self, labels: np.ndarray) -> int:
        """How many samples of the last forward are misclassified (argmax differs)."""
        if self.output is None:
            raise RuntimeError("MLP.error() called before forward()")
        labels = same_shape("labels", labels, self.output.shape)
        return int((self.output.argmax(axis=1) != labels.argmax(axis=1)).sum())

    def total_loss(self, labels: np.ndarray) -> float:
        """The criterion of the last forward's output, summed over its samples."""
        if self.output is None:
            raise RuntimeError("MLP.total_loss() called before forward()")
        return float(self.criterion(self.output, labels).sum())

    def train(self) -> None:
        """Training mode: BatchNorm uses and updates batch statistics."""
        self.train_mode = True

    def eval(self) -> None:
        """Evaluation mode: BatchNorm uses its running statistics."""
        self.train_mode = False


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Class indices (N,) as float64 one-hot rows (N, num_classes).

    Raises:
        ValueError: for labels that are not a 1-D array of integers in [0, num_classes).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D array of class indices, got shape "
                         f"{labels.shape} of dtype {labels.dtype}")
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(f"label {labels[outside][0]} is out of range for {num_classes} classes")
    return np.eye(num_classes)[labels]


def get_training_stats(mlp: MLP, dset: Tuple[Split, Split, Split], nepochs: int,
                       batch_size: int, on_epoch: Optional[Callable[..., None]] = None
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train `mlp` and record its mean loss and error rate on each epoch.

    Each epoch shuffles the training set with `np.random.shuffle` on an index array,
    then runs zero_grads, forward, backward and step on every batch in training mode;
    the training numbers are measured on those batches as they are trained. Then the
    validation set is evaluated in eval mode, and training mode is restored (even if
    evaluation fails).

    Args:
        mlp: the network.
        dset: (train, val, test), each (x, labels) with x (N, input_size) and integer
            class labels (N,); test is not used.
        nepochs, batch_size: positive integers; the last batch may be smaller.
        on_epoch: called as on_epoch(epoch, training_loss, training_error,
            validation_loss, validation_error) after each epoch, counting from 1.

    Returns:
        (training_losses, training_errors, validation_losses, validation_errors),
        arrays of length nepochs: mean loss per sample and fraction misclassified.
    """
    nepochs = positive_int("nepochs", nepochs)
    batch_size = positive_int("batch_size", batch_size)
    (train_x, train_y), (val_x, val_y), _ = dset
    train_x = float_matrix("train x", train_x, mlp.input_size)
    val_x = float_matrix("validation x", val_x, mlp.input_size)
    # Encoded (and so checked) once, before any training.
    train_t = one_hot(train_y, mlp.output_size)
    val_t = one_hot(val_y, mlp.output_size)
    if len(train_t) != len(train_x) or len(val_t) != len(val_x):
        raise ValueError(f"dset: inputs and labels differ in length: train {len(train_x)} "
                         f"vs {len(train_t)}, validation {len(val_x)} vs {len(val_t)}")
    stats = np.zeros((4, nepochs))
    for epoch in range(nepochs):
        mlp.train()
        order = np.arange(len(train_x))
        np.random.shuffle(order)
        loss = errors = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            mlp.zero_grads()
            mlp.forward(train_x[batch])
            mlp.backward(train_t[batch])
            loss += mlp.total_loss(train_t[batch])
            errors += mlp.error(train_t[batch])
            mlp.step()
        stats[0, epoch], stats[1, epoch] = loss / len(train_x), errors / len(train_x)
        try:
            mlp.eval()
            loss = errors = 0.0
            for start in range(0, len(val_x), batch_size):
                mlp.forward(val_x[start:start + batch_size])
                loss += mlp.total_loss(val_t[start:start + batch_size])
                errors += mlp.error(val_t[start:start + batch_size])
        finally:
            mlp.train()
        stats[2, epoch], stats[3, epoch] = loss / len(val_x), errors / len(val_x)
        if on_epoch is not None:
            on_epoch(epoch + 1, *stats[:, epoch])
    return stats[0], stats[1], stats[2], stats[3]
