"""Every Python example in docs/differences.md runs as written, and the page keeps its
promise: no difference listed there changes a number silently (each example asserts
what it shows)."""
import re
from pathlib import Path

import numpy as np
import pytest

import mytorch

PAGE = Path(__file__).resolve().parents[1] / "docs" / "differences.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_runs(index):
    np.random.seed(index)
    # Indented examples (inside a list item) run as their unindented text.
    lines = EXAMPLES[index].splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    code = "\n".join(line[indent:] for line in lines)
    try:
        exec(compile(code, f"docs/differences.md example {index + 1}", "exec"), {})
    finally:
        mytorch.set_default_dtype(np.float64)
