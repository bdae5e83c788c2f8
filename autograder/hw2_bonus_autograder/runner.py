#!/usr/bin/env python3
"""The local autograder of the homework 2 bonus (Conv2d, MaxPool2d, AvgPool2d): a score per problem.

    python3 autograder/hw2_bonus_autograder/runner.py        # every problem
    python3 autograder/hw2_bonus_autograder/runner.py -v     # also list every test

Prints `Total score: N/15`; exits 0 only at full marks. Needs only NumPy.
"""
import sys
from pathlib import Path

# The checkout first: run from it, without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograder.grading import Problem, runner_main, tests_in  # noqa: E402

# The handout's problems and point values.
PROBLEMS = (
    Problem("1 Conv2d", 5, (("test_conv2d_forward", 2), ("test_conv2d_backward", 3))),
    Problem("2 MaxPool2d", 5, (("test_maxpool2d_forward", 2), ("test_maxpool2d_backward", 3))),
    Problem("3 AvgPool2d", 5, (("test_avgpool2d_forward", 2), ("test_avgpool2d_backward", 3))),
)

load_tests = tests_in("autograder.hw2_bonus_autograder.test_bonus")
main = runner_main("the homework 2 bonus: Conv2d, MaxPool2d and AvgPool2d", PROBLEMS, load_tests)

if __name__ == "__main__":
    sys.exit(main())
