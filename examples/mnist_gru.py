#!/usr/bin/env python3
"""A GRU that reads MNIST row by row: each 28x28 image is 28 time steps of 28 features.

GRU(28, 64) runs over the rows; its last hidden state goes to Linear(64, 10). By default
it trains with Adam at lr 0.01, batch 100, for 3 epochs, in float32:

    python3 examples/mnist_gru.py                         # mnist-10k, if it is found
    python3 examples/mnist_gru.py --epochs 1 --seed 3 --plot gru.png
    python3 examples/mnist_gru.py --compile               # trace the step once, replay it
    python3 examples/mnist_gru.py --help                  # every option

The options, progress bar, final line (`final validation accuracy: X`) and plot are
those of every example: they come from `mytorch.cli.train_classifier`.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mytorch import Tensor, cli, nn  # noqa: E402

# Beside this file, wherever it is run from (as the CNN example's).
DEFAULT_PLOT = Path(__file__).resolve().parent / "mnist_gru.png"

ROWS = COLUMNS = 28
HIDDEN, CLASSES = 64, 10


class RowGRU(nn.Module):
    """(B, 28, 28) images, read as 28 rows of 28 pixels -> GRU(28, 64) -> last hidden -> Linear(64, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(COLUMNS, HIDDEN, batch_first=True)
        self.classifier = nn.Linear(HIDDEN, CLASSES)
        # PyTorch's initialisation, U(+-1/sqrt(64)), as the GRU's: the same network as the
        # PyTorch reference run (MyTorch's Linear starts as the Fall 2020 handout's).
        bound = HIDDEN ** -0.5
        nn.init.uniform_(self.classifier.weight, -bound, bound)
        nn.init.uniform_(self.classifier.bias, -bound, bound)

    def forward(self, images: Tensor) -> Tensor:
        _, h_n = self.gru(images)  # (num_layers, B, 64): every sequence runs all 28 rows
        return self.classifier(h_n[-1])


def main(argv=None) -> int:
    return cli.train_classifier(
        argv, description="A GRU(28, 64) reading each MNIST image as 28 rows of 28 pixels, "
                          "then Linear(64, 10).",
        build_model=RowGRU, prepare=lambda x: x.reshape(-1, ROWS, COLUMNS), epochs=3,
        batch_size=100, lr=0.01, dtype="float32", plot=DEFAULT_PLOT)


if __name__ == "__main__":
    sys.exit(main())
