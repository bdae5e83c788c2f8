#!/usr/bin/env bash
# Grade homework 1 locally.
#   ./grade.sh 1              the autograder: a score per problem (exit 0 when every autograded
#                             problem has full marks: 100/110, as 3 MNIST is not autograded)
#   ./grade.sh m [OPTIONS]    train the MNIST network and save the validation-accuracy plot;
#                             OPTIONS go to `python3 -m hw1.mnist` (see ./grade.sh m --help)
#   ./grade.sh 1b             the homework 1 bonus's autograder (Adam, Dropout, BatchNorm)
#   ./grade.sh 2              homework 2's autograder (Conv1d, Flatten, scanning MLPs, CNN)
#   ./grade.sh 2b             the homework 2 bonus's autograder (Conv2d, MaxPool2d, AvgPool2d)
#   ./grade.sh 3              the homework 3 autograder (sequences and recurrent networks)
#   ./grade.sh spring2020     the Spring 2020 handout tree's autograder (handouts/spring2020)
#   ./grade.sh spring2025     the Spring 2025 handout tree's autograder (handouts/spring2025)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON="${PYTHON:-python3}"

usage() {
    cat <<'USAGE'
usage: ./grade.sh 1              run the autograder (a score per problem)
       ./grade.sh m [OPTIONS]    train the MNIST network and save the plot
                                 (OPTIONS: see ./grade.sh m --help)
       ./grade.sh 1b             run the homework 1 bonus's autograder (25 points)
       ./grade.sh 2              run homework 2's autograder (95 points)
       ./grade.sh 2b             run the homework 2 bonus's autograder (15 points)
       ./grade.sh 3              run the homework 3 autograder (100 points)
       ./grade.sh spring2020     run the Spring 2020 tree's autograder (95 points)
       ./grade.sh spring2025     run the Spring 2025 tree's autograder (100 points)

Exit status of an autograder: 0 when every autograded problem has full marks, 1
otherwise, 2 for bad arguments. Homework 1's problem 3 (MNIST, 10 points) is not
autograded, so `./grade.sh 1` exits 0 at 100/110; train it with `./grade.sh m`, which
exits 0 once it has printed the accuracy and saved the plot, 1 after a one-line error
and 130 on Ctrl-C.
USAGE
}

case "${1:-}" in
    1)
        shift
        exec "$PYTHON" autograder/hw1_autograder/runner.py "$@"
        ;;
    m)
        shift
        exec "$PYTHON" -m hw1.mnist "$@"
        ;;
    1b)
        shift
        exec "$PYTHON" autograder/hw1_bonus_autograder/runner.py "$@"
        ;;
    2)
        shift
        exec "$PYTHON" autograder/hw2_autograder/runner.py "$@"
        ;;
    2b)
        shift
        exec "$PYTHON" autograder/hw2_bonus_autograder/runner.py "$@"
        ;;
    3)
        shift
        exec "$PYTHON" autograder/hw3_autograder/runner.py "$@"
        ;;
    spring2020)
        # Each tree's autograder runs from the tree's root, as that year's handout says.
        shift
        cd handouts/spring2020
        exec "$PYTHON" autograder/hw1_autograder/runner.py "$@"
        ;;
    spring2025)
        shift
        cd handouts/spring2025
        exec "$PYTHON" autograder/hw1p1_autograder.py "$@"
        ;;
    -h|--help)
        usage
        ;;
    *)
        if [[ $# -eq 0 ]]; then
            echo "grade.sh: missing argument" >&2
        else
            echo "grade.sh: unknown argument '$1'" >&2
        fi
        usage >&2
        exit 2
        ;;
esac
