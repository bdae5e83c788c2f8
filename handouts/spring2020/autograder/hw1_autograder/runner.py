#!/usr/bin/env python3
"""The local autograder of 11-785 Spring 2020 HW1P1, run from the tree's root:

    python3 autograder/hw1_autograder/runner.py        # every test
    python3 autograder/hw1_autograder/runner.py -v     # also each test's time

Runs the handout's 25 tests (in checks.py) with that year's points, prints a line per
test and the reason for each failure, `Total score: N/95` and a JSON line
`{"scores": {...}}`. Exits 0 only with full marks (1 otherwise, 2 for bad options, 130
on Ctrl-C). Needs only NumPy.
"""
import argparse
import json
import os
import sys
import time
import traceback
from typing import Dict, Optional, Sequence

# Set before NumPy loads: on these small matrices BLAS threads cost more than they
# save, and on a busy machine their spinning made the run 30 times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# (test, the handout's problem name, points), in the handout's order: 95 points.
PROBLEMS = (
    ("test_mcq", "Multiple Choice Questions", 5),
    ("test_sigmoid_forward", "Sigmoid Non-Linearity (forward)", 2),
    ("test_sigmoid_derivative", "Sigmoid Non-Linearity (derivative)", 2),
    ("test_tanh_forward", "Tanh Non-Linearity (forward)", 2),
    ("test_tanh_derivative", "Tanh Non-Linearity (derivative)", 2),
    ("test_relu_forward", "ReLU Non-Linearity (forward)", 2),
    ("test_relu_derivative", "ReLU Non-Linearity (derivative)", 2),
    ("test_softmax_cross_entropy_forward", "Softmax Cross Entropy (forward)", 2),
    ("test_softmax_cross_entropy_derivative", "Softmax Cross Entropy (derivative)", 2),
    ("test_batch_norm_train", "Batch Normalization (training time)", 10),
    ("test_batch_norm_inference", "Batch Normalization (inference time)", 5),
    ("test_linear_layer_forward", "Linear Layer (Forward)", 2),
    ("test_linear_layer_backward", "Linear Layer (Backward)", 2),
    ("test_linear_classifier_forward", "Linear Classifier (forward)", 2),
    ("test_linear_classifier_backward", "Linear Classifier (backward)", 2),
    ("test_linear_classifier_step", "Linear Classifier (step)", 1),
    ("test_single_hidden_forward", "Single Hidden Layer (forward)", 5),
    ("test_single_hidden_backward", "Single Hidden Layer (backward)", 5),
    ("test_mystery_hidden_forward1", "N Hidden Layer (forward) 1", 5),
    ("test_mystery_hidden_forward2", "N Hidden Layer (forward) 2", 5),
    ("test_mystery_hidden_forward3", "N Hidden Layer (forward) 3", 5),
    ("test_mystery_hidden_backward1", "N Hidden Layer (backward) 1", 5),
    ("test_mystery_hidden_backward2", "N Hidden Layer (backward) 2", 5),
    ("test_mystery_hidden_backward3", "N Hidden Layer (backward) 3", 5),
    ("test_momentum", "Momentum", 10),
)
WIDTH = 72


def run(verbose: bool = False) -> Dict[str, int]:
    """Run every test, print a line per test, and return the score per problem name."""
    try:
        import checks
    except Exception as exc:  # the tree does not import: every test fails
        print(f"could not import the tree: {type(exc).__name__}: {exc}")
        return {problem: 0 for _, problem, _ in PROBLEMS}
    scores = {}
    for name, problem, points in PROBLEMS:
        started = time.perf_counter()
        try:
            getattr(checks, name)()
            failure = None
        except AssertionError as exc:
            failure = str(exc)
        except Exception as exc:  # a crash costs this test only
            frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[-3:])
            failure = f"{type(exc).__name__}: {exc}\n{''.join(frames).rstrip()}"
        scores[problem] = 0 if failure else points
        result = f"{scores[problem]}/{points}"
        timing = f" ({time.perf_counter() - started:.2f} s)" if verbose else ""
        print(f"{problem} {'.' * max(2, WIDTH - len(problem) - len(result) - 2)} {result}{timing}")
        if failure:
            print("    " + failure.replace("\n", "\n    "))
    return scores


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="runner.py", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print each test's time")
    args = parser.parse_args(argv)
    print("Autograder for 11-785 Spring 2020 HW1P1")
    print("-" * WIDTH)
    try:
        scores = run(args.verbose)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    total = sum(points for _, _, points in PROBLEMS)
    print("-" * WIDTH)
    print(f"Total score: {sum(scores.values())}/{total}")
    print(json.dumps({"scores": scores}))
    return 0 if sum(scores.values()) == total else 1


if __name__ == "__main__":
    sys.exit(main())
