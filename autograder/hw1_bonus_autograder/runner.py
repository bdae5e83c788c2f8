#!/usr/bin/env python3
"""The local autograder of the homework 1 bonus (Adam, Dropout, BatchNorm): a score per problem.

    python3 autograder/hw1_bonus_autograder/runner.py        # every problem
    python3 autograder/hw1_bonus_autograder/runner.py 1.2    # only Dropout
    python3 autograder/hw1_bonus_autograder/runner.py -v     # also list every test

Prints `Total score: N/25`; exits 0 only at full marks. Needs only NumPy.
"""
import sys
from pathlib import Path

# The checkout first: run from it, without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograder.grading import Problem, runner_main, tests_in  # noqa: E402

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

load_tests = tests_in("autograder.hw1_autograder.test_mlp",
                      "autograder.hw1_bonus_autograder.test_bonus")
main = runner_main("the homework 1 bonus: Adam, Dropout and BatchNorm", PROBLEMS, load_tests)

if __name__ == "__main__":
    sys.exit(main())
