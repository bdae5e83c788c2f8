"""Mutation testing: how many one-line bugs in the core does the test suite catch?

    python3 -m tools.mutation                      # the core files, 10 mutants each
    python3 -m tools.mutation mytorch/ops/reductions.py --sample 0   # every mutant of one file
    python3 -m tools.mutation mytorch/ops/reductions.py --tests tests/test_strength_ops.py
    python3 -m tools.mutation --help

Each mutant changes one thing in one file: an arithmetic or comparison operator, `and`
and `or`, a `not` or a minus dropped, a number or a bool changed, an `if` negated, a
`.copy()` removed, a check (`raise`) or a call statement dropped. The suite runs against
each mutant in a scratch copy of the repository; a mutant is caught when a test fails
(or the run times out), and survives when every test passes.

Only the tests that run the mutated line are run against it: one run of the suite under
coverage (`coverage` from PyPI) maps each line to the tests that execute it. A mutant
that survives them is run against the whole suite before it counts as a survivor, since
some tests run the library in a subprocess, out of coverage's sight; a test that fails
there must then fail on its own as well, so a flaky test catches nothing. Tests that fail
in the mapping run, without any mutant, are named and left out. The map is kept in
the temporary folder, keyed by a digest of the repository's files, so a second run of an
unchanged tree (another --seed, another file) starts at once. `--jobs N` runs N mutants
at a time, each in its own scratch copy.

A survivor is a missing assertion or an equivalent mutant (one that changes no
behaviour, such as `x >= 0` for `x > 0` where x is never 0). Equivalent mutants are
listed, with the reason, in `tools/mutation_equivalents.txt` and left out of the score.
"""
import argparse
import ast
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

REPO = Path(__file__).resolve().parent.parent
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.txt")
CORE = ["mytorch/autograd_engine.py", "mytorch/tensor.py", "mytorch/tensor_methods.py",
        "mytorch/creation.py", "mytorch/ops/*.py", "mytorch/optim/*.py", "mytorch/nn/module.py",
        "mytorch/serialization.py"]
# Python without .pyc files: a mutant of the same size written in the same second as the
# original would otherwise run the original's cached bytecode.
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1",
           OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")

_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.MatMult: ast.Mult,
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.And: ast.Or, ast.Or: ast.And,
}


class Mutant(NamedTuple):
    path: str          # relative to the repository
    line: int          # 1-based, where the change starts
    description: str   # what changed, e.g. "+ -> -"
    source: str        # the whole mutated file
    scope: Tuple[int, int]  # lines of the enclosing function (its tests, if the line has none)
    original: str      # the line's text before the change, stripped

    @property
    def key(self) -> str:
        """An identity that survives edits elsewhere in the file: path, the original
        line's text and the change."""
        return f"{self.path} | {self.original} | {self.description}"


class LineMap(NamedTuple):
    lines: Dict[str, Dict[int, List[str]]]  # path -> line -> node ids of the tests that run it
    failing: List[str]  # tests that failed in the mapping run, without any mutant


def _skipped(tree: ast.Module) -> Set[int]:
    """ids of the nodes that hold no behaviour worth mutating: docstrings, annotations,
    messages (f-strings), `__all__`, `if TYPE_CHECKING:` blocks and `copy=False`."""
    roots: List[ast.AST] = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            roots.append(body[0])
        if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation is not None:
            roots.append(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            roots.append(node.returns)
        if isinstance(node, ast.JoinedStr):
            roots.append(node)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            roots.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            roots.append(node)
        # `copy=False` made True only adds a copy: the same values, never a behaviour.
        if isinstance(node, ast.keyword) and node.arg == "copy" \
                and isinstance(node.value, ast.Constant) and node.value.value is False:
            roots.append(node.value)
    return {id(inner) for root in roots for inner in ast.walk(root)}


def _changes(node: ast.AST) -> Iterator[Tuple[ast.AST, str]]:
    """(replacement expression, description) for each mutation of an expression node."""
    if isinstance(node, ast.BinOp) and type(node.op) in _SWAPS:
        new = _SWAPS[type(node.op)]()
        yield ast.BinOp(node.left, new, node.right), f"{_symbol(node.op)} -> {_symbol(new)}"
    elif isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            if type(op) in _SWAPS:
                new = _SWAPS[type(op)]()
                ops = node.ops[:index] + [new] + node.ops[index + 1:]
                yield ast.Compare(node.left, ops, node.comparators), f"{_symbol(op)} -> {_symbol(new)}"
    elif isinstance(node, ast.BoolOp):
        new = _SWAPS[type(node.op)]()
        yield ast.BoolOp(new, node.values), f"{_symbol(node.op)} -> {_symbol(new)}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield node.operand, f"{_symbol(node.op)} dropped"
    elif isinstance(node, ast.Constant) and type(node.value) in (bool, int, float):
        value = node.value
        if isinstance(value, bool):
            new_value = not value
        elif value == 0:
            new_value = type(value)(1)
        elif value == 1:
            new_value = type(value)(0)
        else:
            new_value = value + 1 if isinstance(value, int) else value * 2
        yield ast.Constant(new_value), f"{value!r} -> {new_value!r}"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "copy" and not node.args and not node.keywords:
        yield node.func.value, ".copy() dropped"


def _symbol(op: ast.AST) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
            ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.Lt: "<", ast.LtE: "<=",
            ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
            ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and",
            ast.Or: "or", ast.Not: "not", ast.USub: "unary -"}[type(op)]


def _replace(lines: List[str], node: ast.AST, text: str) -> str:
    """The file with `node`'s source span replaced by `text`."""
    start, end = node.lineno - 1, node.end_lineno - 1
    head = lines[start][:node.col_offset]
    tail = lines[end][node.end_col_offset:]
    return "".join(lines[:start] + [head + text + tail] + lines[end + 1:])


def mutants(path: str) -> List[Mutant]:
    """Every mutant of one file, in source order."""
    source = (REPO / path).read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    skipped = _skipped(tree)
    # A default argument's line runs at import, outside every test: its mutants are run
    # against the tests of the function's body.
    scopes = {id(inner): (node.lineno, node.end_lineno) for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or id(node) in skipped:
            continue
        scope = scopes.get(id(node), (node.lineno, node.lineno))
        original = lines[node.lineno - 1].strip()
        if isinstance(node, ast.expr) and not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            for replacement, description in _changes(node):
                found.append(Mutant(path, node.lineno, description,
                                    _replace(lines, node, f"({ast.unparse(replacement)})"), scope,
                                    original))
        if isinstance(node, (ast.If, ast.While)):
            negated = f"(not ({ast.get_source_segment(source, node.test)}))"
            found.append(Mutant(path, node.lineno, "condition negated",
                                _replace(lines, node.test, negated), scope, original))
        dropped = (isinstance(node, (ast.Raise, ast.AugAssign))
                   or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)))
        if dropped and lines[node.lineno - 1][:node.col_offset].strip() == "":
            found.append(Mutant(path, node.lineno, f"{type(node).__name__.lower()} dropped",
                                _replace(lines, node, "pass"), scope, original))
    return sorted(found, key=lambda m: (m.line, m.description))


def _tests_for(mutant: Mutant, lines: Dict[int, List[str]]) -> List[str]:
    """The tests that run the mutated line, or else any line of its function."""
    if mutant.line in lines:
        return lines[mutant.line]
    first, last = mutant.scope
    return sorted({test for line in range(first, last + 1) for test in lines.get(line, ())})


def _compiles(mutant: Mutant) -> bool:
    try:
        compile(mutant.source, mutant.path, "exec")
        return True
    except SyntaxError:
        return False


# ---------------------------------------------------------------------- running


def _repo_files() -> List[str]:
    """The repository's files, tracked and new (not ignored), relative to it."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    return [name for name in listed if (REPO / name).is_file()]


def _copy_repo(destination: Path) -> None:
    """The repository's files copied to `destination`."""
    for name in _repo_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)


def _pytest(workdir: Path, tests: Sequence[str], timeout: float) -> Tuple[str, float, List[str]]:
    """Run pytest on `tests` in `workdir`: ("passed" | "failed" | "timeout", seconds, the
    node ids of the tests that failed)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(command, cwd=workdir, env=ENV, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, []
    return ("passed" if result.returncode == 0 else "failed"), time.perf_counter() - start, _failed(result.stdout)


def _cached_coverage_map(workdir: Path, paths: Sequence[str]) -> LineMap:
    """`_coverage_map` of `paths` and the core, kept in the temporary folder under a digest
    of the repository's files but the list of equivalents: any other edit makes a new map,
    and a run over one file reuses the map of a run over the core."""
    paths = sorted(set(paths) | set(_expand(CORE)))
    digest = hashlib.sha256("\n".join(paths).encode())
    for name in sorted(set(_repo_files()) - {str(EQUIVALENTS.relative_to(REPO))}):
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes())
    cache = Path(tempfile.gettempdir()) / f"mytorch-mutation-coverage-{digest.hexdigest()[:16]}.json"
    if cache.exists():
        print(f"lines mapped to tests: reusing {cache}", flush=True)
        stored = json.loads(cache.read_text())
        mapping = LineMap({path: {int(line): tests for line, tests in lines.items()}
                           for path, lines in stored["lines"].items()}, stored["failing"])
    else:
        print("mapping lines to tests (one run of the suite under coverage) ...", flush=True)
        mapping = _coverage_map(workdir, paths)
        cache.write_text(json.dumps(mapping._asdict()))
    if mapping.failing:
        print(f"{len(mapping.failing)} test(s) failed without any mutant (flaky, or broken); "
              "every run leaves them out:\n  " + "\n  ".join(mapping.failing), flush=True)
    return mapping


def _coverage_map(workdir: Path, paths: Sequence[str]) -> LineMap:
    """Which tests run each line of `paths`, from one run of the suite under coverage,
    less the tests that failed in that run: with them, every mutant would seem caught."""
    try:
        import coverage  # only this tool needs it
    except ImportError:
        raise SystemExit("mutation: maps lines to tests with coverage: pip install -e '.[mutation]'") from None
    rc = workdir / ".coveragerc-mutation"
    rc.write_text("[run]\ndynamic_context = test_function\n"
                  f"include =\n" + "".join(f"    */{p}\n" for p in paths))
    result = subprocess.run([sys.executable, "-m", "coverage", "run", f"--rcfile={rc}",
                             "--data-file=.coverage-mutation", "-m", "pytest", "-q", "-p",
                             "no:cacheprovider"], cwd=workdir, env=ENV, capture_output=True, text=True)
    failing = sorted(set(_failed(result.stdout)))
    if result.returncode != 0 and not failing:  # no test ran, or pytest itself failed
        raise SystemExit("mutation: the suite does not run without any mutant:\n"
                         + "\n".join(result.stdout.splitlines()[-5:]))
    left_out = {test.split("[")[0] for test in failing}  # the map names tests, not their cases
    data = coverage.CoverageData(basename=str(workdir / ".coverage-mutation"))
    data.read()
    test_files = {p.stem: p.relative_to(workdir).as_posix()
                  for p in (workdir / "tests").rglob("test_*.py")}
    mapping: Dict[str, Dict[int, List[str]]] = {}
    for measured in data.measured_files():
        relative = Path(measured).resolve().relative_to(workdir.resolve()).as_posix()
        lines = {}
        for line, contexts in data.contexts_by_lineno(measured).items():
            ids = set()
            for context in contexts:
                module, _, rest = context.partition(".")
                if module in test_files and rest:
                    ids.add(test_files[module] + "::" + rest.replace(".", "::"))
            if ids - left_out:
                lines[line] = sorted(ids - left_out)
        mapping[relative] = lines
    return LineMap(mapping, failing)


def _failed(output: str) -> List[str]:
    """The node ids of the failed tests in pytest's summary."""
    return [line.split(" ", 1)[1].split(" - ")[0] for line in output.splitlines()
            if line.startswith(("FAILED ", "ERROR "))]


def _read_equivalents() -> Dict[str, str]:
    """key -> reason, from `tools/mutation_equivalents.txt` (`path | line | change | reason`)."""
    equivalents = {}
    if EQUIVALENTS.exists():
        for row in EQUIVALENTS.read_text().splitlines():
            if row.strip() and not row.startswith("#"):
                *key, reason = [part.strip() for part in row.split(" | ")]
                equivalents[" | ".join(key)] = reason
    return equivalents


def run(paths: Sequence[str], sample: int, seed: int, timeout: float, jobs: int,
        report: Optional[Path], only: Sequence[str] = ()) -> float:
    """Run the mutants of `paths` and print the score per file; return the overall score.
    With `only` (test files or node ids), each mutant meets those tests alone: no map of
    lines to tests, no rerun of the suite; a quick look while strengthening them."""
    equivalents = _read_equivalents()
    chosen: List[Mutant] = []
    stale = {key for key in equivalents if key.split(" | ")[0] in paths}
    for path in paths:
        every = [m for m in mutants(path) if _compiles(m)]
        stale -= {m.key for m in every}
        if sample and len(every) > sample:
            every = sorted(random.Random(f"{seed}:{path}").sample(every, sample),
                           key=lambda m: m.line)
        chosen += every
    for key in sorted(stale):  # the line changed since it was judged: judge it again
        print(f"{EQUIVALENTS.name} names no mutant of the code as it is now: {key}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mytorch-mutation-") as scratch:
        workdirs: "Queue[Path]" = Queue()
        for index in range(jobs):
            workdir = Path(scratch) / str(index)
            _copy_repo(workdir)
            workdirs.put(workdir)
        mapping = LineMap({}, []) if only else _cached_coverage_map(Path(scratch) / "0", paths)

        def attempt(mutant: Mutant) -> Tuple[bool, int, float]:
            workdir = workdirs.get()  # a copy no other mutant is using
            try:
                if only:
                    return _caught(workdir, mutant, list(only), timeout, rerun=False)
                return _caught(workdir, mutant, _tests_for(mutant, mapping.lines.get(mutant.path, {})),
                               timeout, left_out=mapping.failing)
            finally:
                workdirs.put(workdir)

        results = []
        with ThreadPoolExecutor(jobs) as pool:
            for number, (mutant, (caught, tests, seconds)) in enumerate(
                    zip(chosen, pool.map(attempt, chosen)), 1):
                status = "caught" if caught else ("equivalent" if mutant.key in equivalents else "SURVIVED")
                results.append((mutant, status, tests))
                print(f"[{number}/{len(chosen)}] {status:10} {mutant.path}:{mutant.line} "
                      f"{mutant.description} ({tests} tests, {seconds:.0f} s)", flush=True)
    return _summarise(results, equivalents, report)


def _caught(workdir: Path, mutant: Mutant, tests: List[str], timeout: float,
            rerun: bool = True, left_out: Sequence[str] = ()) -> Tuple[bool, int, float]:
    """Whether the suite in `workdir` fails with `mutant` in place: first `tests` (those that
    run its line), then, if they pass (or there are none) and `rerun`, the whole suite but
    `left_out`. Also how many tests there were, and the seconds it took."""
    target = workdir / mutant.path
    original = target.read_text()
    target.write_text(mutant.source)
    outcome, seconds, rerun_seconds = "failed", 0.0, 0.0
    try:
        if tests:
            outcome, seconds, _ = _pytest(workdir, tests, timeout)
        if rerun and (outcome == "passed" or not tests):
            suite = ["tests"] + [f"--deselect={test}" for test in left_out]
            outcome, rerun_seconds, failed = _pytest(workdir, suite, timeout * 4)
            if outcome == "failed" and failed:
                # A test that fails only among all the others (a flaky one, or one that
                # shares a resource with another run on the machine) catches nothing:
                # it must fail on its own too.
                outcome, alone, _ = _pytest(workdir, failed[:1], timeout)
                rerun_seconds += alone
    finally:
        target.write_text(original)
    return outcome != "passed", len(tests), seconds + rerun_seconds


def _summarise(results: list, equivalents: Dict[str, str], report: Optional[Path]) -> float:
    by_file: Dict[str, List[int]] = {}
    for mutant, status, _ in results:
        counts = by_file.setdefault(mutant.path, [0, 0, 0])  # caught, survived, equivalent
        counts[("caught", "SURVIVED", "equivalent").index(status)] += 1
    print(f"\n{'file':42} {'mutants':>8} {'equiv.':>7} {'caught':>7} {'score':>7}")
    total = [0, 0, 0]
    for path, (caught, survived, equivalent) in sorted(by_file.items()):
        total = [total[0] + caught, total[1] + survived, total[2] + equivalent]
        print(f"{path:42} {caught + survived + equivalent:8} {equivalent:7} {caught:7} "
              f"{_percent(caught, caught + survived):>7}")
    caught, survived, equivalent = total
    print(f"{'all':42} {caught + survived + equivalent:8} {equivalent:7} {caught:7} "
          f"{_percent(caught, caught + survived):>7}")
    survivors = [m for m, status, _ in results if status == "SURVIVED"]
    if survivors:
        print("\nSurvivors (a missing test, or an equivalent mutant to list in "
              f"{EQUIVALENTS.relative_to(REPO)} with its reason):")
        for mutant in survivors:
            print(f"  {mutant.key}   ({mutant.path}:{mutant.line})")
    if report is not None:
        report.write_text(json.dumps([{"key": m.key, "line": m.line, "status": status, "tests": n}
                                      for m, status, n in results], indent=1))
    return caught / (caught + survived) if caught + survived else 1.0


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _expand(patterns: Sequence[str]) -> List[str]:
    """The Python files (not `__init__.py`) that match `patterns`, relative to the repository."""
    return sorted({str(p.relative_to(REPO)) for pattern in patterns for p in REPO.glob(pattern)
                   if p.suffix == ".py" and p.name != "__init__.py"})


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m tools.mutation",
        description="Mutation testing of MyTorch's core: make one-line bugs, run the tests "
                    "that execute the changed line, and report the share caught per file.")
    parser.add_argument("paths", nargs="*", help="files to mutate, relative to the repository "
                        "(globs allowed); default: the core (engine, tensor and its factories, "
                        "ops, optimizers, module, serialization)")
    parser.add_argument("--sample", type=int, default=10, metavar="N",
                        help="mutants per file, drawn with --seed (0: every mutant); default 10")
    parser.add_argument("--seed", type=int, default=0, help="which sample to draw; default 0")
    parser.add_argument("--timeout", type=float, default=120, metavar="SECONDS",
                        help="per mutant's test run (the full-suite rerun gets 4x); default 120")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="mutants run at a time, each in its own copy; default 1")
    parser.add_argument("--tests", nargs="+", default=(), metavar="TEST",
                        help="run each mutant against these tests only (files or node ids), "
                             "without the line map or the rerun of the suite: a quick look, "
                             "not a score")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)
    if args.sample < 0:
        parser.error(f"--sample must be 0 or more, got {args.sample}")
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, got {args.jobs}")
    paths = _expand(args.paths or CORE)
    if not paths:
        parser.error(f"no Python files match {args.paths}")
    if args.list:
        for path in paths:
            for mutant in mutants(path):
                print(f"{path}:{mutant.line}: {mutant.description}")
        return 0
    score = run(paths, args.sample, args.seed, args.timeout, args.jobs, args.json, args.tests)
    print(f"\nscore: {100 * score:.1f}% of behaviour-changing mutants caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
