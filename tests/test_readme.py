"""The README stays short and leads with what a newcomer needs (issue 20): set-up and the
test command first, CI running that same command, an example, and links to how to run the
tests, grade a homework, write a layer and what differs from PyTorch. Its code blocks are
run by tests/test_docs.py, with the docs site's."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```\n", README, flags=re.DOTALL | re.MULTILINE)


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_it_says_the_three_surprises_before_the_first_command():
    top = README[:README.index("```")]
    for fact in ("float64", "ndarray", "no GPU"):
        assert fact in top


def test_the_first_block_is_the_two_setup_commands_and_ci_runs_the_same_test_command():
    language, code = BLOCKS[0]
    install, test = code.splitlines()
    assert language == "bash"
    assert "python3 -m venv .venv" in install and 'pip install -e ".[test]" torch==2.13.0' in install
    assert "python3 -m pytest" in test
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test in ci, "the README's test command and .ci/run's must be the same"


def test_then_an_example_of_a_backward_and_a_few_training_steps():
    language, code = BLOCKS[1]
    lines = [line for line in code.splitlines() if line.strip() and not line.startswith(("import", "from"))]
    assert language == "python" and ".backward()" in code and "optimizer.step()" in code
    assert 10 <= len(lines) <= 16


def test_a_newcomer_finds_the_four_things_from_the_readme():
    links = dict(re.findall(r"\|\s*([^|]+?)\s*\|\s*([^|]*\]\([^|]*)\|", README))
    wanted = {"run the tests": "docs/getting-started.md", "grade a homework": "docs/handouts/index.md",
              "write a layer": "docs/guide/modules.md#writing-a-layer",
              "know what differs from PyTorch": "docs/differences.md"}
    for task, target in wanted.items():
        assert f"({target})" in links.get(task, ""), f"the README's table should send '{task}' to {target}"
    assert "./grade.sh 1b" in README and "MYTORCH_DATA" in README
