#!/usr/bin/env python3
"""The local autograder of homework 2 (convolutional networks): a score per problem.

    python3 autograder/hw2_autograder/runner.py        # every problem
    python3 autograder/hw2_autograder/runner.py 1.2    # only Conv1d's backward
    python3 autograder/hw2_autograder/runner.py -v     # also list every test

Prints `Total score: N/95`; exits 0 only at full marks. Needs only NumPy.
"""
import sys
from pathlib import Path

# The checkout first: run from it, without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograder.grading import Problem, runner_main, tests_in  # noqa: E402

# The handout's problems and point values.
PROBLEMS = (
    Problem("1.1 Conv1d forward", 20, (("test_conv1d_forward", 20),)),
    Problem("1.2 Conv1d backward", 30, (("test_conv1d_backward", 30),)),
    Problem("2 Flatten", 10, (("test_flatten", 10),)),
    Problem("3.1 Simple scanning MLP", 10, (("test_simple_scanning_mlp", 10),)),
    Problem("3.2 Distributed scanning MLP", 10, (("test_distributed_scanning_mlp", 10),)),
    Problem("4 CNN", 15, (("test_cnn", 15),)),
)

load_tests = tests_in("autograder.hw2_autograder.test_conv",
                      "autograder.hw2_autograder.test_models")
main = runner_main("homework 2: convolutional networks", PROBLEMS, load_tests)

if __name__ == "__main__":
    sys.exit(main())
