"""The machinery every local autograder shares: problems worth points, a score per
problem, a total, and an exit status that is 0 only at full marks.

An autograder's runner lists its `Problem`s, names the modules of its test functions,
and makes its `main` with `runner_main`:

    PROBLEMS = (Problem("1.1.1 Subtraction", 5, (("test_sub", 5),)), ...)
    load_tests = tests_in("autograder.hw1_autograder.test_autograd", ...)
    main = runner_main("homework 1: Autograd and MLPs", PROBLEMS, load_tests)

    if __name__ == "__main__":
        sys.exit(main())

It prints each problem's score, failing tests with what differs and by how much,
`Total score: N/M` and a JSON line `{"scores": {...}}`. Exit status: 0 when every
autograded problem has full marks, 1 otherwise, 2 for bad arguments, 130 after Ctrl-C.
"""
import argparse
import functools
import importlib
import json
import os
import sys
import time
import traceback
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, TextIO, Tuple

Tests = Dict[str, Callable[[], object]]

NOT_AUTOGRADED = "not autograded"
# Where importlib's own frames come from (`tests_in` imports through import_module): they
# say nothing about an error, so tracebacks leave them out.
IMPORT_MACHINERY = ("<frozen importlib", os.path.dirname(importlib.__file__))
WIDTH = 72
INTERRUPTED = 130  # the exit code after Ctrl-C (128 + SIGINT), as shells give


class Problem(NamedTuple):
    """A problem of the handout: its name, points and (test name, points) pairs.

    `tests` is None for a problem that is not autograded.
    """

    name: str
    value: int
    tests: Optional[Tuple[Tuple[str, int], ...]]


def tests_of(*modules) -> Tests:
    """Every function named test_* of the modules, by name."""
    tests = {}
    for module in modules:
        tests.update({name: getattr(module, name) for name in dir(module)
                      if name.startswith("test_")})
    return tests


def tests_in(*module_names: str) -> Callable[[], Tests]:
    """A `load_tests` for `grade`: every test function of the named modules, by name.

    The modules are imported only when it is called, inside `grade`, so that a MyTorch that
    cannot be imported (ImportError, or whatever importing it raises) is reported and
    scored 0 rather than crashing the runner.
    """
    def load_tests() -> Tests:
        return tests_of(*map(importlib.import_module, module_names))
    return load_tests


def runner_main(title: str, problems: Sequence[Problem], load_tests: Callable[[], Tests],
                not_autograded: str = NOT_AUTOGRADED) -> Callable[..., int]:
    """A runner's `main(argv=None)`: `grade` with this autograder's settings."""
    return functools.partial(grade, title=title, prog="runner.py", problems=problems,
                             load_tests=load_tests, not_autograded=not_autograded)


def run_test(test: Callable[[], object]) -> Optional[str]:
    """Run one test; None if it passed, else why it failed."""
    try:
        result = test()
    except AssertionError as exc:
        return str(exc) or "assertion failed:\n" + _traceback_tail(exc)
    except Exception as exc:  # a crash in the code under test costs this test only
        return f"{type(exc).__name__}: {exc}\n{_traceback_tail(exc)}"
    if result is False:  # the handout's tests returned False to fail
        return "the test returned False"
    return None


def run_problems(problems: Sequence[Problem], tests: Dict[str, Callable[[], object]],
                 verbose: bool = False, out: Optional[TextIO] = None,
                 not_autograded: str = NOT_AUTOGRADED) -> Dict[str, int]:
    """Run the problems' tests, print a score per problem (to `out`, default stdout)
    and return the scores."""
    out = sys.stdout if out is None else out
    scores = {}
    for problem in problems:
        if problem.tests is None:
            print(_line(problem.name, not_autograded), file=out)
            scores[problem.name] = 0
            continue
        score = 0
        failures: List[Tuple[str, int, str]] = []
        timings: List[Tuple[str, int, float, bool]] = []
        for name, points in problem.tests:
            started = time.perf_counter()
            failure = run_test(tests[name])
            timings.append((name, points, time.perf_counter() - started, failure is None))
            if failure is None:
                score += points
            else:
                failures.append((name, points, failure))
        scores[problem.name] = score
        print(_line(problem.name, f"{score}/{problem.value}"), file=out)
        if verbose:
            for name, points, seconds, passed in timings:
                print(f"    {'ok  ' if passed else 'FAIL'} {name} ({_points(points)}, "
                      f"{seconds:.2f} s)", file=out)
        for name, points, failure in failures:
            print(f"    FAILED {name} (-{_points(points)}):", file=out)
            print("      " + failure.rstrip().replace("\n", "\n      "), file=out)
    return scores


def grade(argv: Optional[Sequence[str]] = None, *, title: str, prog: str,
          problems: Sequence[Problem], load_tests: Callable[[], Tests],
          not_autograded: str = NOT_AUTOGRADED) -> int:
    """Parse the command line, run the chosen problems and return the exit status."""
    all_problems = problems
    parser = argparse.ArgumentParser(
        prog=prog, description=f"Local autograder of {title}: a score per problem.")
    parser.add_argument("problems", nargs="*", metavar="PROBLEM",
                        help="run only these problems, by number (e.g. 1.2 2.4)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every test with its points and time")
    args = parser.parse_args(argv)
    problems = list(all_problems)
    if args.problems:
        numbers = {problem.name.split()[0]: problem for problem in all_problems}
        unknown = [number for number in args.problems if number not in numbers]
        if unknown:
            parser.error(f"unknown problem {', '.join(unknown)}; choose from "
                         f"{', '.join(numbers)}")
        problems = [numbers[number] for number in dict.fromkeys(args.problems)]

    try:
        return _run(title, problems, load_tests, args.verbose, not_autograded)
    except KeyboardInterrupt:  # Ctrl-C: one line, as every program of the project
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


def _run(title: str, problems: Sequence[Problem], load_tests: Callable[[], Tests],
         verbose: bool, not_autograded: str) -> int:
    """Import the tests, run the problems, print the scores; the exit status."""
    print(f"Autograder for {title}")
    print("-" * WIDTH)
    started = time.perf_counter()
    try:
        tests = load_tests()
    except Exception as exc:
        print(f"could not import the tests or MyTorch: {type(exc).__name__}: {exc}")
        print(_traceback_tail(exc, limit=6))
        tests = {}
    if not tests:
        scores = {problem.name: 0 for problem in problems}
    else:
        scores = run_problems(problems, tests, verbose=verbose,
                              not_autograded=not_autograded)
    elapsed = time.perf_counter() - started

    total = sum(problem.value for problem in problems)
    graded = [problem for problem in problems if problem.tests is not None]
    gradable = sum(problem.value for problem in graded)
    print("-" * WIDTH)
    print(f"Total score: {sum(scores.values())}/{total}")
    if gradable != total:
        print(f"(full local score is {gradable}/{total}: "
              f"{', '.join(p.name for p in problems if p.tests is None)} is not autograded)")
    print(f"({elapsed:.1f} s)")
    print(json.dumps({"scores": scores}))
    full_marks = bool(tests) and all(scores[p.name] == p.value for p in graded)
    return 0 if full_marks else 1


def _line(name: str, result: str) -> str:
    dots = "." * max(2, WIDTH - len(name) - len(result) - 2)
    return f"{name} {dots} {result}"


def _points(points: int) -> str:
    return f"{points} point{'' if points == 1 else 's'}"


def _traceback_tail(exc: BaseException, limit: int = 3) -> str:
    """The last `limit` frames of the exception's traceback: where it happened."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith(IMPORT_MACHINERY)][-limit:]
    return "".join(traceback.format_list(frames)).rstrip()
