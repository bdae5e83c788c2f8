"""The 11-785 Spring 2020 HW1P1 MLP, built on MyTorch's autograd.

`MLP` keeps the handout's interface (`forward`, `backward(labels)`, `zero_grads`,
`step`, `error`, `total_loss`, ...), but its layers are `mytorch.nn` modules, its
gradients come from the autograd engine and `step` is `mytorch.optim.SGD`.
`get_training_stats` is the handout's training loop. Run as a program, the file
trains the handout's sample network on MNIST and plots the curves:

    MYTORCH_DATA=/work/shared/data python -m hw1.hw1 --epochs 30
"""
import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from hw1.mnist import default_dataset, evaluating, load_data, positive_int
from hw1.plots import save_line_plot
from mytorch import Tensor, no_grad, nn, optim
from mytorch.data import DATASETS
from mytorch.nn import init
from mytorch.nn.functional import _as_tensor  # the loss wrappers' tensor-or-array helper
from mytorch.checks import non_negative as check_non_negative, positive_int as check_positive_int

Split = Tuple[np.ndarray, np.ndarray]
EpochCallback = Callable[[int, float, float, float, float], None]


class MLP(nn.Module):
    """A multilayer perceptron: (Linear -> [BatchNorm1d] -> activation) per layer.

    Layer i maps `sizes[i]` to `sizes[i + 1]`, where `sizes = [input_size, *hiddens,
    output_size]`; the first `num_bn_layers` layers put a BatchNorm1d between the
    Linear and the activation. The layers and activations are registered as
    submodules ("linear0", "bn0", "activation0", "linear1", ...), so `parameters()`,
    `train()` and `eval()` reach all of them.

    The handout's API needs the network to remember its last output: `forward` keeps
    it in `self.output` (with its graph), and `backward(labels)`, `error(labels)` and
    `total_loss(labels)` read it.

    Args:
        input_size: features per input sample.
        output_size: number of outputs (classes).
        hiddens: widths of the hidden layers; may be empty.
        activations: one activation module per layer, `len(hiddens) + 1` of them
            (use `nn.Identity()` after the last layer to output logits).
        weight_init_fn: `weight_init_fn(d0, d1)` returns the initial weight as an array
            of shape (d0, d1) = (in, out), the handout's layout; its transpose becomes
            the Linear layer's (out, in) weight.
        bias_init_fn: `bias_init_fn(d)` returns the initial bias, shape (d,) or (1, d).
        criterion: a loss module called as `criterion(output, one_hot_labels)`, e.g.
            `nn.SoftmaxCrossEntropy()`; it may return the batch mean, the sum
            (reduction='sum') or the per-sample losses (reduction='none').
        lr: learning rate, >= 0.
        momentum: momentum factor, >= 0.
        num_bn_layers: how many of the hidden layers get a BatchNorm1d, from 0 to
            `len(hiddens)`.

    Raises:
        ValueError: naming the argument, for a non-positive size, a wrong number of
            activations, a bad `num_bn_layers`, a negative `lr` or `momentum`, or an
            init function returning the wrong shape.
    """

    def __init__(self, input_size: int, output_size: int, hiddens: Sequence[int],
                 activations: Sequence[nn.Module], weight_init_fn: Callable[[int, int], Any],
                 bias_init_fn: Callable[[int], Any], criterion: nn.Module, lr: float,
                 momentum: float = 0.0, num_bn_layers: int = 0) -> None:
        super().__init__()
        check_positive_int("input_size", input_size)
        check_positive_int("output_size", output_size)
        hiddens = list(hiddens)
        for index, width in enumerate(hiddens):
            check_positive_int(f"hiddens[{index}]", width)
        activations = list(activations)
        if len(activations) != len(hiddens) + 1:
            raise ValueError(f"activations must hold len(hiddens) + 1 = {len(hiddens) + 1} "
                             f"modules, one per layer, got {len(activations)}")
        if (isinstance(num_bn_layers, bool) or not isinstance(num_bn_layers, (int, np.integer))
                or not 0 <= num_bn_layers <= len(hiddens)):
            raise ValueError(f"num_bn_layers must be an integer from 0 to len(hiddens) = "
                             f"{len(hiddens)}, got {num_bn_layers!r}")
        check_non_negative("lr", lr)
        check_non_negative("momentum", momentum)

        self.input_size, self.output_size = input_size, output_size
        self.nlayers = len(hiddens) + 1
        self.num_bn_layers = num_bn_layers
        sizes = [input_size, *hiddens, output_size]
        self.linear_layers: List[nn.Linear] = []
        self.bn_layers: List[nn.BatchNorm1d] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layer = nn.Linear(fan_in, fan_out)
            layer.weight.data = _initial_weight(weight_init_fn, fan_in, fan_out)
            layer.bias.data = _initial_bias(bias_init_fn, fan_out)
            self.add_module(f"linear{index}", layer)
            self.linear_layers.append(layer)
            if index < num_bn_layers:
                bn = nn.BatchNorm1d(fan_out)
                self.add_module(f"bn{index}", bn)
                self.bn_layers.append(bn)
            self.add_module(f"activation{index}", activations[index])
        self.activations = activations
        self.criterion = criterion
        self.optimizer = optim.SGD(self.parameters(), lr=lr, momentum=momentum)
        self.output: Optional[Tensor] = None
        self.loss: Optional[Tensor] = None

    @property
    def lr(self) -> float:
        """The learning rate `step` uses (the optimizer's)."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        check_non_negative("lr", value)
        self.optimizer.lr = value

    @property
    def momentum(self) -> float:
        """The momentum factor `step` uses (the optimizer's)."""
        return self.optimizer.momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        check_non_negative("momentum", value)
        self.optimizer.momentum = value

    @property
    def train_mode(self) -> bool:
        """The handout's name for `is_train`: True in training mode."""
        return self.is_train

    @train_mode.setter
    def train_mode(self, mode: bool) -> None:
        self.train(mode)

    def forward(self, x: Any) -> Tensor:
        """Run the layers on a batch and remember the output for `backward`.

        Args:
            x: inputs of shape (N, input_size), an ndarray or a Tensor.
        Returns:
            The output Tensor (N, output_size), also kept as `self.output`.
        """
        out = _as_tensor(x)
        if out.ndim != 2 or out.shape[1] != self.input_size:
            raise ValueError(f"MLP.forward: expected input of shape (N, {self.input_size}), "
                             f"got {out.shape}")
        for index, (layer, activation) in enumerate(zip(self.linear_layers, self.activations)):
            out = layer(out)
            if index < self.num_bn_layers:
                out = self.bn_layers[index](out)
            out = activation(out)
        self.output = out
        return out

    def backward(self, labels: Any) -> Tensor:
        """Backpropagate the criterion of the last forward's output against `labels`.

        What is backpropagated is always the batch mean, as the handout's layers
        computed their gradients: per-sample losses (reduction='none', as the
        handout's criterion returned) are averaged, and a sum (reduction='sum') is
        divided by the batch size. Gradients are added into each parameter's `.grad`
        (call `zero_grads` first, as the training loop does).

        Args:
            labels: one-hot targets (N, output_size), an ndarray or a Tensor.
        Returns:
            The mean loss per sample that was backpropagated, a 0-d Tensor, also
            kept as `self.loss`.
        """
        output = self._last_output()
        loss = self.criterion(output, _as_tensor(labels))
        if loss.ndim:
            loss = loss.mean()
        elif self._sums():
            loss = loss / output.shape[0]
        self.loss = loss
        loss.backward()
        return loss

    def zero_grads(self) -> None:
        """Forget every parameter's gradient."""
        self.zero_grad()

    def step(self) -> None:
        """Update every parameter by SGD with momentum from its current gradient.

        Equivalent to the handout's `v = momentum * v - lr * grad; param += v`.
        """
        self.optimizer.step()

    def error(self, labels: Any) -> int:
        """How many samples of the last forward the network misclassified.

        Args:
            labels: one-hot targets (N, output_size).
        Returns:
            The count of rows whose argmax of the output differs from the label's.
        """
        predicted = np.argmax(self._last_output().data, axis=1)
        return int(np.sum(predicted != np.argmax(_as_tensor(labels).data, axis=1)))

    def total_loss(self, labels: Any) -> float:
        """The criterion summed over the samples of the last forward.

        Per-sample losses are summed; a criterion with reduction 'sum' is taken as
        it is, and any other scalar (the mean) is multiplied by N.

        Args:
            labels: one-hot targets (N, output_size).
        """
        output = self._last_output()
        with no_grad():
            loss = self.criterion(output, _as_tensor(labels))
        if loss.ndim or self._sums():
            return float(loss.data.sum())
        return float(loss.data) * output.shape[0]

    def _sums(self) -> bool:
        """Whether the criterion returns the batch's sum (reduction='sum')."""
        return getattr(self.criterion, "reduction", "mean") == "sum"

    def _last_output(self) -> Tensor:
        if self.output is None:
            raise RuntimeError("MLP: call forward(x) before backward, error or total_loss")
        return self.output


def _in_place(init_fn: Callable) -> bool:
    """Whether `init_fn` is a PyTorch-style in-place initialiser (`init.xavier_uniform_`):
    PyTorch's trailing underscore marks functions that fill the tensor they are given."""
    return getattr(init_fn, "__name__", "").endswith("_")


def _initial_weight(weight_init_fn: Callable, fan_in: int, fan_out: int) -> np.ndarray:
    """weight_init_fn's (in, out) array as an (out, in) float64 weight, or an (out, in)
    weight filled by an in-place initialiser such as `init.xavier_uniform_`."""
    if _in_place(weight_init_fn):
        return weight_init_fn(Tensor(np.empty((fan_out, fan_in)))).data
    weight = np.asarray(weight_init_fn(fan_in, fan_out), dtype=np.float64)
    if weight.shape != (fan_in, fan_out):
        raise ValueError(f"weight_init_fn({fan_in}, {fan_out}) must return an array of shape "
                         f"({fan_in}, {fan_out}), got {weight.shape}")
    return np.ascontiguousarray(weight.T)


def _initial_bias(bias_init_fn: Callable, size: int) -> np.ndarray:
    """bias_init_fn's (d,) or (1, d) array as a (d,) float64 bias, or a (d,) bias filled
    by an in-place initialiser such as `init.zeros_`."""
    if _in_place(bias_init_fn):
        return bias_init_fn(Tensor(np.empty(size))).data
    bias = np.asarray(bias_init_fn(size), dtype=np.float64)
    if bias.shape not in ((size,), (1, size)):
        raise ValueError(f"bias_init_fn({size}) must return an array of shape ({size},) or "
                         f"(1, {size}), got {bias.shape}")
    return bias.reshape(size).copy()


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Class indices (N,) as float64 one-hot rows (N, num_classes).

    Raises:
        ValueError: for a label outside 0..num_classes-1.
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"label {bad} is out of range for {num_classes} classes")
    return np.eye(num_classes)[labels]


def _evaluate(mlp: MLP, x: np.ndarray, targets: np.ndarray, batch_size: int
              ) -> Tuple[float, float]:
    """Mean loss per sample and fraction misclassified of `mlp` on x against the one-hot
    `targets`, in eval mode; the mode `mlp` was in is restored, even on an exception."""
    loss = errors = 0.0
    with evaluating(mlp):
        for start in range(0, len(x), batch_size):
            labels = targets[start:start + batch_size]
            mlp.forward(x[start:start + batch_size])
            loss += mlp.total_loss(labels)
            errors += mlp.error(labels)
    return loss / len(x), errors / len(x)


def get_training_stats(mlp: MLP, dset: Tuple[Split, Split, Split], nepochs: int,
                       batch_size: int, on_epoch: Optional[EpochCallback] = None
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train `mlp` with minibatch SGD and record its loss and error after every epoch.

    Each epoch shuffles the training set (with `np.random`), then for every batch runs
    zero_grads, forward, backward and step in training mode; the training numbers are
    measured on those batches as they are trained on. Then the validation set is
    evaluated in eval mode without recording a graph.

    Args:
        mlp: the network; left in training mode.
        dset: `(train, val, test)`, each `(x, y)` with x float (N, input_size) and y
            integer class indices (N,); test is not used.
        nepochs: number of passes over the training set.
        batch_size: samples per batch (the last batch may be smaller).
        on_epoch: called after each epoch as `on_epoch(epoch, training_loss,
            training_error, validation_loss, validation_error)`, epoch counting from 1.
    Returns:
        `(training_losses, training_errors, validation_losses, validation_errors)`,
        arrays of length nepochs: losses are mean criterion per sample, errors the
        fraction of samples misclassified.
    """
    check_positive_int("nepochs", nepochs)
    check_positive_int("batch_size", batch_size)
    (train_x, train_y), (val_x, val_y), _ = dset
    if len(train_x) != len(train_y) or len(val_x) != len(val_y):
        raise ValueError(f"dset: inputs and labels differ in length: train {len(train_x)} vs "
                         f"{len(train_y)}, val {len(val_x)} vs {len(val_y)}")
    # Checked and encoded once, not per batch.
    train_targets = one_hot(train_y, mlp.output_size)
    val_targets = one_hot(val_y, mlp.output_size)
    stats = np.zeros((4, nepochs))
    mlp.train()
    for epoch in range(nepochs):
        order = np.random.permutation(len(train_x))
        loss = errors = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            labels = train_targets[batch]
            mlp.zero_grads()
            mlp.forward(train_x[batch])
            # backward's loss is the batch mean: no second run of the criterion.
            loss += mlp.backward(labels).item() * len(batch)
            errors += mlp.error(labels)
            mlp.step()
        stats[:2, epoch] = loss / len(train_x), errors / len(train_x)
        stats[2:, epoch] = _evaluate(mlp, val_x, val_targets, batch_size)
        if on_epoch is not None:
            on_epoch(epoch + 1, *stats[:, epoch])
    return stats[0], stats[1], stats[2], stats[3]


def sample_mlp() -> MLP:
    """The handout's sample network: 784 -> 64 -> 64 -> 32 -> 10, Sigmoid hiddens.

    Xavier-uniform weights, zero biases, softmax cross-entropy, lr 0.008, momentum 0.9.
    """
    return MLP(784, 10, [64, 64, 32], [nn.Sigmoid(), nn.Sigmoid(), nn.Sigmoid(), nn.Identity()],
               init.xavier_uniform, init.zeros,
               nn.SoftmaxCrossEntropy(), 0.008, momentum=0.9, num_bn_layers=0)


def _plot_curves(curves: Sequence[Tuple[str, str, np.ndarray]], out_dir: Path) -> List[Path]:
    """Save one PNG per (file stem, y label, values) curve into out_dir."""
    return [save_line_plot(out_dir / f"{stem}.png", np.arange(1, len(values) + 1), values,
                           xlabel="epoch", ylabel=label, title=label, figsize=(6, 4),
                           markersize=3)
            for stem, label, values in curves]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Train the sample network on an MNIST-layout data set and plot its curves.

    Data sets, their defaults, argument checks and load errors are those of
    `python3 -m hw1.mnist`. Returns the exit status.
    """
    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python3 -m hw1.hw1",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="folder holding the data set's four IDX files (default: "
                             "$MYTORCH_DATA/<dataset>, else ~/.cache/mytorch/<dataset>; "
                             "missing files are downloaded)")
    parser.add_argument("--dataset", choices=sorted(DATASETS),
                        help="data set (default: mnist-10k if it is found, else mnist)")
    parser.add_argument("--epochs", type=positive_int, default=30, metavar="N")
    parser.add_argument("--batch-size", type=positive_int, default=100, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        metavar="DIR", help="folder for the PNG plots (default: hw1/)")
    args = parser.parse_args(argv)

    dataset = args.dataset or default_dataset(args.data)
    try:
        train_x, train_y, val_x, val_y = load_data(dataset, args.data)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: could not load {dataset!r}: {exc}", file=sys.stderr)
        return 1
    np.random.seed(args.seed)
    mlp = sample_mlp()
    print(f"{dataset}: {len(train_x)} training, {len(val_x)} validation samples; "
          f"{args.epochs} epochs, batch size {args.batch_size}, seed {args.seed}")

    with tqdm(total=args.epochs, unit="epoch", disable=None) as bar:  # only on a terminal
        def report(epoch: int, train_loss: float, train_error: float, val_loss: float,
                   val_error: float) -> None:
            bar.write(f"epoch {epoch:3d}  train loss {train_loss:.4f}  train error "
                      f"{train_error:.4f}  val loss {val_loss:.4f}  val error {val_error:.4f}")
            bar.update(1)

        start = time.perf_counter()
        val = (val_x, val_y)
        stats = get_training_stats(mlp, ((train_x, train_y), val, val), args.epochs,
                                   args.batch_size, on_epoch=report)
        seconds = time.perf_counter() - start

    names = [("training_loss", "training loss"), ("training_error", "training error"),
             ("validation_loss", "validation loss"), ("validation_error", "validation error")]
    paths = _plot_curves([(stem, label, values) for (stem, label), values in zip(names, stats)],
                         args.out)
    print(f"final validation error {stats[3][-1]:.4f} (loss {stats[2][-1]:.4f}) after "
          f"{args.epochs} epochs in {seconds:.1f} s")
    print("plots: " + ", ".join(str(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
