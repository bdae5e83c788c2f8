"""Every code block of the README and of the docs site runs as written, and says what it prints.

The conventions (also on the site, docs/getting-started.md, "This site"):
- a ```python block runs as a script (`__name__ == "__main__"`) from a scratch folder, with
  `MYTORCH_DATA` set;
- a ```text block right after a block that runs is that block's output: what it prints
  must match, line by line (trailing spaces aside);
- each command of a ```bash block is checked: its program, script, module, folder or
  ./grade.sh target exists, each -option is in the program's --help, each pip extra is in
  pyproject.toml and each MYTORCH_* variable is one the project reads. A bash block after
  `<!-- docs-test: run -->` also runs, from the repository root, and must succeed;
- a ```console block is a session: its `$ ` commands are checked as bash ones are, and the
  rest is example output (times vary), not compared;
- other ```text blocks are output or layouts, and a block after
  `<!-- docs-test: skip REASON -->` is left out.
docs/distributed.md's blocks are run by tests/test_distributed.py (they need MPI).
"""
import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import pytest

import mytorch
from conftest import DATA

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
RUN_ELSEWHERE = {"docs/distributed.md": "tests/test_distributed.py runs its blocks under mpiexec"}
PAGES = [REPO / "README.md"] + sorted(page for page in DOCS.rglob("*.md")
                                      if str(page.relative_to(REPO)) not in RUN_ELSEWHERE)
LANGUAGES = ("python", "bash", "console", "text")
MARKER = re.compile(r"<!-- docs-test: (run|skip)\b(.*?)-->")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)


class Block(NamedTuple):
    page: str        # relative to the repository
    line: int        # of the opening fence
    language: str
    code: str
    marker: str      # "run", "skip" or ""
    output: Optional[str]  # the text block right after it, for a block that runs

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(page: Path) -> List[Block]:
    text = page.read_text()
    fences = list(FENCE.finditer(text))
    found = []
    for index, fence in enumerate(fences):
        language, code = fence.group(1), fence.group(2)
        before = text[:fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.fullmatch(before.strip())
        marker = marker.group(1) if marker else ""
        runs = language == "python" or (language == "bash" and marker == "run")
        output = None
        if runs and index + 1 < len(fences):
            following = fences[index + 1]
            if following.group(1) == "text" and not text[fence.end():following.start()].strip():
                output = following.group(2)
        line = text.count("\n", 0, fence.start()) + 1
        found.append(Block(str(page.relative_to(REPO)), line, language, code, marker, output))
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON = [block for block in BLOCKS if block.language == "python" and block.marker != "skip"]
SHELL = [block for block in BLOCKS if block.language in ("bash", "console") and block.marker != "skip"]
NEEDS_DATA = ("load_mnist(", "train_classifier(")


def same_lines(printed: str, expected: str) -> bool:
    return [line.rstrip() for line in printed.rstrip("\n").split("\n")] == \
           [line.rstrip() for line in expected.rstrip("\n").split("\n")]


def test_the_pages_have_blocks_of_known_languages():
    assert [block.name for block in BLOCKS if block.language not in LANGUAGES] == []
    assert len(PYTHON) >= 25 and len(SHELL) >= 15
    skipped = [block.name for block in BLOCKS if block.marker == "skip"]
    assert len(skipped) <= 3, f"deliberately untested blocks should stay few: {skipped}"


# ---------------------------------------------------------------- python blocks

@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A scratch folder to run in, the data where the tests find it, and the library's
    global state (default dtype, random state) put back afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MYTORCH_DATA", str(DATA))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "argv", ["block.py"])
    dtype, state = mytorch.get_default_dtype(), np.random.get_state()
    np.random.seed(0)
    yield tmp_path
    mytorch.set_default_dtype(dtype)
    np.random.set_state(state)


@pytest.mark.parametrize("block", PYTHON, ids=[block.name for block in PYTHON])
def test_python_block_runs_and_prints_what_the_page_says(block, scratch):
    if any(call in block.code for call in NEEDS_DATA) and not (DATA / "mnist-10k").is_dir():
        pytest.skip(f"no mnist-10k/ in {DATA} (the tests look in $MYTORCH_DATA, else ../shared/data)")
    script = scratch / "block.py"  # a real file, so tracebacks show the block's lines
    script.write_text(block.code)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            exec(compile(block.code, str(script), "exec"), {"__name__": "__main__"})
        except SystemExit as exit:  # a program block ends with sys.exit(main())
            assert exit.code in (0, None), f"{block.name} exited with {exit.code}"
    if block.output is not None:
        assert same_lines(printed.getvalue(), block.output), \
            f"{block.name} printed:\n{printed.getvalue()}\nthe page says:\n{block.output}"


# ----------------------------------------------------------------- shell blocks

ENVIRONMENT_READERS = [path.read_text() for folder in ("mytorch", "tests", "bench", "examples", "tools", "hw1")
                       for path in (REPO / folder).rglob("*.py") if path.name != "test_docs.py"]
ENVIRONMENT_READERS.append((REPO / "mkdocs.yml").read_text())
EXTRAS = set(re.findall(r"^(\w+) = \[", (REPO / "pyproject.toml").read_text().split(
    "[project.optional-dependencies]")[1].split("\n[")[0], flags=re.MULTILINE))
GRADE_TARGETS = set(re.findall(r"^    ([\w-]+)\)$", (REPO / "grade.sh").read_text(), flags=re.MULTILINE))
OUTSIDE_TOOLS = {"apt", "apt-get", "brew", "jupyter"}  # installed or run outside the project
_help_texts: Dict[Tuple[str, Tuple[str, ...]], str] = {}


def help_text(cwd: Path, command: Tuple[str, ...]) -> str:
    """What `command --help` prints, run once per command."""
    key = (str(cwd), command)
    if key not in _help_texts:
        result = subprocess.run([*command, "--help"], cwd=cwd, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert result.returncode == 0, f"{' '.join(command)} --help failed:\n{result.stderr}"
        _help_texts[key] = result.stdout
    return _help_texts[key]


def check_options(cwd: Path, command: Tuple[str, ...], arguments: List[str]) -> None:
    options = [argument.split("=")[0] for argument in arguments if argument.startswith("-")]
    if options:
        text = help_text(cwd, command)
        missing = [option for option in options if not re.search(rf"(?<![\w-]){re.escape(option)}\b", text)]
        assert not missing, f"{' '.join(command)}: no {missing} in its --help"


def check_python(cwd: Path, words: List[str], options: bool = True) -> None:
    if words[:1] == ["-"]:
        pytest.fail("`python3 -` reads a heredoc: mark the block <!-- docs-test: run -->")
    if words[0] == "-m":
        module = words[1]
        if module in ("pytest", "venv", "pip"):
            return
        sys.path.insert(0, str(cwd))
        try:
            assert importlib.util.find_spec(module) is not None, f"no module {module} from {cwd}"
        finally:
            sys.path.remove(str(cwd))
        if options:
            check_options(cwd, (sys.executable, "-m", module), words[2:])
    else:
        assert (cwd / words[0]).is_file(), f"no script {words[0]} in {cwd}"
        if options:
            check_options(cwd, (sys.executable, words[0]), words[1:])


def check_command(cwd: Path, words: List[str], options: bool = True) -> Path:
    """Check one simple command; returns the folder the next command runs in. `options`
    False checks that the program exists but not its options (its --help needs an extra)."""
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        variable = words.pop(0).split("=")[0]
        assert variable in ("PYTHONPATH", "PATH") or any(variable in text for text in ENVIRONMENT_READERS), \
            f"nothing in the project reads {variable}"
    program, arguments = words[0], words[1:]
    if program == "cd":
        target = Path(os.path.expanduser(arguments[0]))
        assert (cwd / target).is_dir(), f"no folder {arguments[0]} in {cwd}"
        return (cwd / target).resolve()
    if program == "./grade.sh":
        assert arguments[0] in GRADE_TARGETS | {"--help"}, f"./grade.sh has no target {arguments[0]}"
        check_options(cwd, ("./grade.sh", arguments[0]), arguments[1:])
    elif program in ("python3", "python"):
        check_python(cwd, arguments, options)
    elif program == "mpiexec":  # its programs need the distributed extra even for --help
        assert arguments[0] == "-n" and arguments[1].isdigit()
        check_command(cwd, arguments[2:], options=importlib.util.find_spec("mpi4py") is not None)
    elif program == "pip":
        assert arguments[0] == "install"
        for argument in arguments[1:]:
            extras = re.fullmatch(r"\.\[([\w,]+)\]", argument)
            for extra in extras.group(1).split(",") if extras else []:
                assert extra in EXTRAS, f"pyproject.toml has no extra {extra!r}"
    elif program in (".", "source"):
        assert arguments[0].endswith("bin/activate")
    elif program == "mkdocs":
        assert arguments[0] in ("serve", "build") and set(arguments[1:]) <= {"--strict"}
    elif program.startswith("./"):
        assert (cwd / program).is_file(), f"no program {program} in {cwd}"
    else:
        assert program in OUTSIDE_TOOLS, f"unknown program {program!r}"
    return cwd


def command_lines(block: Block) -> List[str]:
    if block.language == "console":
        return [line[2:] for line in block.code.splitlines() if line.startswith("$ ")]
    lines, heredoc = [], None
    for line in block.code.replace("\\\n", " ").splitlines():
        if heredoc:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        found = re.search(r"<<-?\s*'?(\w+)'?", line)
        heredoc = found.group(1) if found else None
        lines.append(line)
    return lines


def check_shell(block: Block) -> None:
    cwd = REPO
    for line in command_lines(block):
        lexer = shlex.shlex(line, posix=True, punctuation_chars="();&|")
        lexer.whitespace_split, lexer.commenters = True, "#"
        tokens, here = list(lexer), cwd
        words: List[str] = []
        for token in tokens + [";"]:
            if token in ("(", ")", "&&", "||", ";", "|"):
                if words:
                    here = check_command(here, words)
                words = []
            else:
                words.append(token)
        if not line.lstrip().startswith("("):  # a subshell's cd stays inside it
            cwd = here


@pytest.mark.parametrize("block", SHELL, ids=[block.name for block in SHELL])
def test_shell_block_names_things_that_exist(block):
    if block.marker != "run":
        check_shell(block)
        return
    environment = dict(os.environ, PYTHONPATH=str(REPO), MYTORCH_DATA=str(DATA), MPLBACKEND="Agg")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=REPO, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{block.name}:\n{result.stdout}{result.stderr}"
    if block.output is not None:
        assert same_lines(result.stdout, block.output), f"{block.name} printed:\n{result.stdout}"


@pytest.mark.parametrize("command", [
    "./grade.sh 7", "./grade.sh m --no-such-option", "python3 -m hw1.nothing", "python3 nothing.py",
    "pip install -e '.[nothing]'", "cd no/such/folder", "MYTORCH_NOTHING=1 ./grade.sh 1", "frobnicate",
])
def test_the_shell_check_catches_a_stale_command(command):
    with pytest.raises(AssertionError):
        check_shell(Block("made-up.md", 1, "bash", command + "\n", "", None))


def test_the_output_check_catches_a_wrong_output(scratch):
    with pytest.raises(AssertionError, match="the page says"):
        test_python_block_runs_and_prints_what_the_page_says(
            Block("made-up.md", 1, "python", "print(1 + 1)\n", "", "3\n"), scratch)


# ---------------------------------------------------------------- the site

NAV = (REPO / "mkdocs.yml").read_text().split("\nnav:\n")[1]
NOTEBOOKS = sorted(DOCS.glob("notebooks/*.ipynb"))


def test_every_page_and_notebook_is_in_the_sites_navigation():
    pages = [str(page.relative_to(DOCS)) for page in DOCS.rglob("*") if page.suffix in (".md", ".ipynb")]
    assert [page for page in pages if not re.search(rf"(: |- ){re.escape(page)}\n", NAV)] == []
    listed = re.findall(r"[\w/.-]+\.(?:md|ipynb)", NAV)
    assert [page for page in listed if not (DOCS / page).is_file()] == []


def test_the_notebooks_are_committed_without_outputs():
    import json
    assert len(NOTEBOOKS) >= 3
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code), \
            f"{notebook.name}: clear its outputs before committing (they are made in CI)"


def slug(heading: str) -> str:
    """Python-Markdown's heading ids (as MkDocs makes them), or an explicit {#id}."""
    explicit = re.search(r"\{#([\w-]+)\}\s*$", heading)
    if explicit:
        return explicit.group(1)
    text = re.sub(r"[^\w\s-]", "", heading).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set:
    text = FENCE.sub("", page.read_text())
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_the_readmes_links_lead_somewhere():
    readme = REPO / "README.md"
    links = re.findall(r"\]\(([^)\s]+)\)", FENCE.sub("", readme.read_text()))
    assert len(links) >= 20
    for link in links:
        target, _, anchor = link.partition("#")
        path = readme if not target else REPO / target
        assert path.exists(), f"README.md links to {link}, which is not there"
        if anchor:
            assert anchor in anchors(path), f"README.md links to {link}: no such heading"


def test_the_slugs_are_mkdocs_slugs():
    assert slug("Training on MNIST: `./grade.sh m` {#training-on-mnist}") == "training-on-mnist"
    assert slug("Modules and layers: writing a layer") == "modules-and-layers-writing-a-layer"
    assert slug("The course's own published autograders") == "the-courses-own-published-autograders"
