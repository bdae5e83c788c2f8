#!/usr/bin/env python3
"""The local autograder of homework 3 (sequences and recurrent networks): a score per problem.

    python3 autograder/hw3_autograder/runner.py            # every problem
    python3 autograder/hw3_autograder/runner.py 1.4.1 2.2  # only these problems
    python3 autograder/hw3_autograder/runner.py -v         # also list every test

Prints each problem's score, failing tests with what differs and by how much,
`Total score: N/100` and a JSON line `{"scores": {...}}`. Exits 0 only at full marks,
1 otherwise, 2 for bad arguments. Needs only NumPy: references are written in NumPy and
checked by central differences.
"""
import sys
from pathlib import Path

# The checkout first: run from it, without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograder.grading import Problem, runner_main, tests_in  # noqa: E402

# The handout's problems and point values (100 in all).
PROBLEMS = (
    Problem("1.1.1 RNN unit forward", 10, (("test_rnn_unit_forward", 10),)),
    Problem("1.1.2 RNN unit backward", 5, (("test_rnn_unit_backward", 5),)),
    Problem("1.2.1.1 cat forward", 3, (("test_concat_forward", 3),)),
    Problem("1.2.1.2 cat backward", 4, (("test_concat_backward", 4),)),
    Problem("1.2.2.1 slice forward", 2, (("test_slice_forward", 2),)),
    Problem("1.2.2.2 slice backward", 3, (("test_slice_backward", 3),)),
    Problem("1.2.3 unsqueeze", 3, (("test_unsqueeze", 3),)),
    Problem("1.3.1.1 pack_sequence forward", 10, (("test_pack_sequence_forward", 10),)),
    Problem("1.3.1.2 pack_sequence backward", 5, (("test_pack_sequence_backward", 5),)),
    Problem("1.3.2.1 unpack_sequence forward", 10, (("test_unpack_sequence_forward", 10),)),
    Problem("1.3.2.2 unpack_sequence backward", 5, (("test_unpack_sequence_backward", 5),)),
    Problem("1.4.1 time iterator forward", 10, (("test_time_iterator_forward", 10),)),
    Problem("1.4.2 time iterator backward", 10, (("test_time_iterator_backward", 10),)),
    Problem("2.1.1 GRU unit forward", 10, (("test_gru_unit_forward", 10),)),
    Problem("2.1.2 GRU unit backward", 5, (("test_gru_unit_backward", 5),)),
    Problem("2.2 GRU", 5, (("test_gru_forward", 5),)),
)

load_tests = tests_in("autograder.hw3_autograder.test_functional",
                      "autograder.hw3_autograder.test_rnn",
                      "autograder.hw3_autograder.test_gru")
main = runner_main("homework 3: sequences and recurrent networks", PROBLEMS, load_tests)

if __name__ == "__main__":
    sys.exit(main())
