"""Answers to the multiple-choice part of 11-785 Spring 2020 HW1P1.

Each `question_k()` returns the letter of the one correct option, in lower case, as
the handout's autograder compares it. The docstrings restate each question in our
own words, with the reason for the answer.
"""


def question_1() -> str:
    """Shapes after summing a (3, 4, 5) array over axis 0, with and without keepdims.

    Answer (b): keepdims=True keeps the summed axis with length 1, giving (1, 4, 5);
    without it the axis is dropped, giving (4, 5).
    """
    return "b"


def question_2() -> str:
    """What batch norm's mean and variance are taken over.

    Answer (a): each neuron (feature) of the layer has its own mean and variance,
    computed over the samples of the batch, not over the layer's neurons or the test
    set.
    """
    return "a"


def question_3() -> str:
    """Whether batch norm must keep running averages of the mean and variance.

    Answer (a): yes. At inference there may be a single sample, whose own statistics
    would normalise it to nothing, so the estimates gathered during training are used.
    """
    return "a"


def question_4() -> str:
    """Whether the suggested reading on Python's zip was enjoyed.

    Answer (a): yes; zip pairs consecutive layer sizes, which builds every Linear layer
    in one line.
    """
    return "a"


def question_5() -> str:
    """Which expression is a valid layer, with x (batch, in), w (in, out), b (1, out).

    Answer (c): the activation applies to the affine map x w + b as a whole.
    """
    return "c"
