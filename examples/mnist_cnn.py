"""A small CNN on MNIST, trained with MyTorch's convolution and pooling layers.

    python3 examples/mnist_cnn.py                            # mnist-10k if found, else MNIST
    python3 examples/mnist_cnn.py --dataset fashion-mnist --epochs 3 --plot cnn.png

Conv2d(1, 8, 5) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 5) -> ReLU -> MaxPool2d(2) ->
Flatten -> Linear(256, 10), trained with Adam (lr 0.01) and cross-entropy on batches of
100 for 3 epochs in float32. The options (--data, --dataset, --epochs, --batch-size, --lr,
--compile, --seed, --dtype, --threads, --plot) are the shared ones of `mytorch.cli`; the program shows
a progress bar, prints the final accuracy on the held-out split and the training time,
and saves a plot of the loss and accuracy curves.
"""
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mytorch import cli, nn  # noqa: E402

DEFAULT_PLOT = Path(__file__).resolve().parent / "mnist_cnn.png"


def build_model() -> nn.Module:
    """The network: 28 x 28 -> 8 x 24 x 24 -> 8 x 12 x 12 -> 16 x 8 x 8 -> 16 x 4 x 4 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 10),
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    return cli.train_classifier(
        argv, description="A small CNN (two Conv2d + MaxPool2d, then Linear) on MNIST.",
        build_model=build_model, prepare=lambda x: x.reshape(-1, 1, 28, 28), epochs=3,
        batch_size=100, lr=0.01, dtype="float32", plot=DEFAULT_PLOT)


if __name__ == "__main__":
    sys.exit(main())
