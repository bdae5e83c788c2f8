"""hw1/mc.py: every answer is one letter a-d and every question documents itself."""

import importlib.util
import inspect
from pathlib import Path

import pytest

MC_PATH = Path(__file__).resolve().parent.parent / "hw1" / "mc.py"


def _load_mc():
    # Loaded by path: hw1 need not be an importable package for this test.
    spec = importlib.util.spec_from_file_location("hw1_mc", MC_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mc = _load_mc()
QUESTIONS = [getattr(mc, f"question_{k}") for k in range(1, 6)]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.__name__)
def test_answer_is_a_single_letter_a_to_d(question):
    answer = question()
    assert isinstance(answer, str)
    assert answer in {"a", "b", "c", "d"}


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.__name__)
def test_question_has_a_docstring_with_its_reasoning(question):
    doc = inspect.getdoc(question)
    assert doc and doc.strip()
    assert f"Answer ({question()})" in doc


def test_module_says_the_questions_are_reconstructed():
    assert "reconstruction" in (mc.__doc__ or "")
