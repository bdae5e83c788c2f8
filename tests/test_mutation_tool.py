"""The mutation tool's mutants: each changes one thing, compiles, and leaves docstrings,
messages and annotations alone."""
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
        return not y.copy()
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


def test_a_default_argument_is_tested_through_its_function(module):
    (default,) = [m for m in mutation.mutants(module) if m.description == "0 -> 1"]
    tests = mutation._tests_for(default, {4: ["tests/test_m.py::test_f"]})
    assert default.line == 2 and tests == ["tests/test_m.py::test_f"]


def test_keys_name_the_original_line(module):
    mutant = next(m for m in mutation.mutants(module) if m.description == "> -> >=")
    assert mutant.key == "m.py | if x > 1 and flag: | > -> >="


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        mutation.main(["--sample", "-1"])
    assert exit_info.value.code == 2 and "--sample must be 0 or more" in capsys.readouterr().err
