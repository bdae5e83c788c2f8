"""A tiny example program on the shared harness: an MLP trained by mytorch.cli.train_classifier.

    python3 tests/example_mlp.py --dataset mnist-10k --epochs 1
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mytorch import cli, nn  # noqa: E402


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def main(argv=None) -> int:
    return cli.train_classifier(argv, description="An MLP (784-64-10) on MNIST.",
                                build_model=build_model, epochs=1, plot="mlp.png")


if __name__ == "__main__":
    sys.exit(main())
