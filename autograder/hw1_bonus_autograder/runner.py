#!/usr/bin/env python3
"""The local autograder of the homework 1 bonus (Adam, Dropout, BatchNorm): a score per problem.

    python3 autograder/hw1_bonus_autograder/runner.py        # every problem
    python3 autograder/hw1_bonus_autograder/runner.py 1.2    # only Dropout
    python3 autograder/hw1_bonus_autograder/runner.py -v     # also list every test

Prints `Total score: N/25`; exits 0 only at full marks. Needs only NumPy.
"""
import sys
from pathlib import Path
from typing import Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run from a checkout, without installing

from autograder.grading import Problem, Tests, grade, tests_of  # noqa: E402

# The handout's problems and point values.
PROBLEMS = (
    Problem("1.1 Adam", 5, (("test_linear_adam", 1), ("test_big_linear_bn_relu_xeloss_adam", 4))),
    Problem("1.2 Dropout", 10, (
        ("test_dropout_forward", 3),
        ("test_dropout_backward", 3),
        ("test_big_linear_relu_dropout_adam", 4),
    )),
    # Homework 1's BatchNorm checks (forward, backward, train/eval, big train/eval).
    Problem("1.3 BatchNorm", 10, (
        ("test_linear_batchnorm_relu_forward_train", 1),
        ("test_linear_batchnorm_relu_backward_train", 1),
        ("test_linear_batchnorm_relu_train_eval", 2),
        ("test_big_linear_batchnorm_relu_train_eval", 6),
    )),
)


def load_tests() -> Tests:
    from autograder.hw1_autograder import test_mlp
    from autograder.hw1_bonus_autograder import test_bonus

    return tests_of(test_mlp, test_bonus)


def main(argv: Optional[Sequence[str]] = None) -> int:
    return grade(argv, title="the homework 1 bonus: Adam, Dropout and BatchNorm",
                 prog="runner.py", problems=PROBLEMS, load_tests=load_tests)


if __name__ == "__main__":
    sys.exit(main())
