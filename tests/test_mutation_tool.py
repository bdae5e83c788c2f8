"""The mutation tool's mutants: each changes one thing, compiles, and leaves docstrings,
messages and annotations alone."""
import json
import subprocess
import textwrap

import pytest

from tools import mutation

SOURCE = textwrap.dedent('''\
    """Module docstring: 1 + 1."""
    def f(x: int = 0, flag=True) -> int:
        """Docstring with 2 * 3."""
        if x > 1 and flag:
            raise ValueError(f"bad {x + 1}")
        y = -x * 2
        y += 1
        check(y)
        return not y.copy() + y.astype(int, copy=False)
    ''')


@pytest.fixture
def module(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "REPO", tmp_path)
    (tmp_path / "m.py").write_text(SOURCE)
    return "m.py"


def test_each_mutant_changes_one_thing_and_compiles(module):
    found = mutation.mutants(module)
    descriptions = {m.description for m in found}
    assert {"> -> >=", "and -> or", "condition negated", "raise dropped", "unary - dropped",
            "* -> /", "augassign dropped", "expr dropped", "not dropped", ".copy() dropped",
            "0 -> 1", "True -> False", "2 -> 3"} <= descriptions
    for mutant in found:
        assert mutant.source != SOURCE
        compile(mutant.source, mutant.path, "exec")
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.splitlines(), mutant.source.splitlines()))
                   if a != b]
        assert changed == [mutant.line - 1], mutant.description


def test_docstrings_messages_and_annotations_are_left_alone(module):
    lines = {m.line for m in mutation.mutants(module)}
    assert 1 not in lines and 3 not in lines  # docstrings
    messages = [m for m in mutation.mutants(module) if m.line == 5]
    assert [m.description for m in messages] == ["raise dropped"]  # not `x + 1` in the f-string
    # `copy=False -> True` only adds a copy; `y.copy()` dropped may alias, so it stays.
    assert {m.description for m in mutation.mutants(module) if m.line == 9} == {
        "not dropped", ".copy() dropped", "+ -> -"}


def test_a_default_argument_is_tested_through_its_function(module):
    (default,) = [m for m in mutation.mutants(module) if m.description == "0 -> 1"]
    tests = mutation._tests_for(default, {4: ["tests/test_m.py::test_f"]})
    assert default.line == 2 and tests == ["tests/test_m.py::test_f"]


def test_keys_name_the_original_line(module):
    mutant = next(m for m in mutation.mutants(module) if m.description == "> -> >=")
    assert mutant.key == "m.py | if x > 1 and flag: | > -> >="
    (mutation.REPO / module).write_text("\n" + SOURCE)  # the file changes during a run
    assert mutant.key == "m.py | if x > 1 and flag: | > -> >="


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        mutation.main(["--sample", "-1"])
    assert exit_info.value.code == 2 and "--sample must be 0 or more" in capsys.readouterr().err


CALC = textwrap.dedent('''\
    def clamp(x):
        if x > 10:
            return 10
        return x
    ''')
TEST_CALC = textwrap.dedent('''\
    from calc import clamp


    def test_clamp():
        assert clamp(11) == 10 and clamp(4) == 4
    ''')


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A one-function repository with its own list of equivalents."""
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "calc.py").write_text(CALC)
    (repo / "tests" / "test_calc.py").write_text(TEST_CALC)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    monkeypatch.setattr(mutation, "REPO", repo)
    monkeypatch.setattr(mutation, "CORE", ["calc.py"])
    monkeypatch.setattr(mutation, "EQUIVALENTS", repo / "equivalents.txt")
    monkeypatch.setattr(mutation.tempfile, "tempdir", str(tmp_path))  # scratch and line maps
    return repo


def test_a_run_catches_mutants_and_leaves_listed_equivalents_out(project, tmp_path, capsys):
    """`x >= 10` for `x > 10` survives (clamp(10) is 10 either way): listed as equivalent,
    it is left out of the score; the three other mutants are caught."""
    pytest.importorskip("coverage")
    mutation.EQUIVALENTS.write_text("calc.py | if x > 10: | > -> >= | clamp(10) is 10 either way\n")
    report = tmp_path / "report.json"
    score = mutation.run(["calc.py"], sample=0, seed=0, timeout=60, jobs=2, report=report)
    statuses = {row["key"]: row["status"] for row in json.loads(report.read_text())}
    assert statuses == {"calc.py | if x > 10: | > -> >=": "equivalent",
                        "calc.py | if x > 10: | 10 -> 11": "caught",
                        "calc.py | if x > 10: | condition negated": "caught",
                        "calc.py | return 10 | 10 -> 11": "caught"}
    assert score == 1.0
    out = capsys.readouterr().out
    assert "Survivors" not in out and "\nall " in out and "4       1       3  100.0%" in out


def test_survivors_are_listed_in_the_form_of_the_equivalents_file(project, capsys):
    mutant = next(m for m in mutation.mutants("calc.py") if m.description == "> -> >=")
    score = mutation._summarise([(mutant, "SURVIVED", 1)], {}, None)
    assert score == 0.0
    assert "calc.py | if x > 10: | > -> >=   (calc.py:2)" in capsys.readouterr().out


def test_the_line_map_is_reused_until_a_file_changes(project, monkeypatch):
    made = []
    monkeypatch.setattr(mutation, "_coverage_map",
                        lambda workdir, paths: made.append(paths) or mutation.LineMap(
                            {"calc.py": {2: [str(len(made))]}}, []))
    first = mutation._cached_coverage_map(project, ["calc.py"])
    mutation.EQUIVALENTS.write_text("# edited\n")  # not a reason to map again
    assert mutation._cached_coverage_map(project, ["calc.py"]) == first == ({"calc.py": {2: ["1"]}}, [])
    (project / "tests" / "test_calc.py").write_text(TEST_CALC + "\n")
    assert mutation._cached_coverage_map(project, ["calc.py"]).lines == {"calc.py": {2: ["2"]}}
    assert made == [["calc.py"], ["calc.py"]]


def test_only_given_tests_run_each_mutant_without_the_line_map_or_the_rerun(project, monkeypatch):
    ran = []
    monkeypatch.setattr(mutation, "_pytest", lambda workdir, tests, timeout: ran.append(tests) or ("passed", 0, []))
    monkeypatch.setattr(mutation, "_cached_coverage_map", lambda *args: pytest.fail("mapped"))
    score = mutation.run(["calc.py"], sample=0, seed=0, timeout=60, jobs=1, report=None,
                         only=["tests/test_calc.py::test_clamp"])
    assert ran == [["tests/test_calc.py::test_clamp"]] * 4 and score == 0.0


def test_an_equivalent_whose_line_changed_is_named(project, monkeypatch, capsys):
    monkeypatch.setattr(mutation, "_pytest", lambda workdir, tests, timeout: ("failed", 0, []))
    mutation.EQUIVALENTS.write_text("calc.py | if x >= 10: | >= -> > | clamp(10) is 10 either way\n"
                                    "other.py | y = 1 | 1 -> 0 | a file this run leaves alone\n")
    mutation.run(["calc.py"], sample=0, seed=0, timeout=60, jobs=1, report=None, only=["tests"])
    out = capsys.readouterr().out
    assert "equivalents.txt names no mutant of the code as it is now: calc.py | if x >= 10:" in out
    assert "other.py" not in out


def test_a_test_that_fails_only_in_the_whole_suite_catches_nothing(project, monkeypatch):
    """The mapped tests pass; the whole suite fails; the failing test passes on its own."""
    ran = []

    def pytest_run(workdir, tests, timeout):
        ran.append(tests)
        if tests == ["tests"]:
            return "failed", 0, ["tests/test_other.py::test_flaky[a - b]"]
        return "passed", 0, []

    monkeypatch.setattr(mutation, "_pytest", pytest_run)
    mutant = mutation.mutants("calc.py")[0]
    assert mutation._caught(project, mutant, ["tests/test_calc.py::test_clamp"], 60)[0] is False
    assert ran == [["tests/test_calc.py::test_clamp"], ["tests"], ["tests/test_other.py::test_flaky[a - b]"]]


def test_pytest_names_the_tests_that_failed(project):
    (project / "tests" / "test_calc.py").write_text(TEST_CALC + "\n\ndef test_broken():\n    assert False\n")
    outcome, _, failed = mutation._pytest(project, ["tests"], 60)
    assert outcome == "failed" and failed == ["tests/test_calc.py::test_broken"]


def test_tests_that_fail_without_a_mutant_are_left_out(project, capsys, monkeypatch):
    pytest.importorskip("coverage")
    (project / "tests" / "test_calc.py").write_text(
        TEST_CALC + "\n\ndef test_broken():\n    assert clamp(3) == 4\n")
    mapping = mutation._coverage_map(project, ["calc.py"])
    assert mapping.failing == ["tests/test_calc.py::test_broken"]
    assert mapping.lines["calc.py"][2] == ["tests/test_calc.py::test_clamp"]
    ran = []
    monkeypatch.setattr(mutation, "_pytest", lambda workdir, tests, timeout: ran.append(tests) or ("passed", 0, []))
    mutation._caught(project, mutation.mutants("calc.py")[0], [], 60, left_out=mapping.failing)
    assert ran == [["tests", "--deselect=tests/test_calc.py::test_broken"]]


def test_a_suite_that_does_not_run_stops_the_run(project):
    pytest.importorskip("coverage")
    (project / "tests" / "test_calc.py").unlink()  # pytest: "no tests ran"
    with pytest.raises(SystemExit, match="the suite does not run without any mutant"):
        mutation._coverage_map(project, ["calc.py"])
