"""Tests for the autograder's own machinery: autograder/helpers.py (a comparison must
never pass without comparing) and checks of the hw1 tests that must not depend on luck."""

import time

import numpy as np
import pytest

from autograder import helpers
from autograder.hw1_autograder import test_autograd
from mytorch import autograd_engine


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_assert_close_fails_on_a_non_finite_expected_value(bad):
    # NaN in `excess` is never > 0, so a broken reference used to pass silently.
    expected = np.array([[1.0, 2.0], [3.0, bad]])
    with pytest.raises(AssertionError, match=r"x: the expected value is .* at index \(1, 1\); "
                                             "the reference is broken"):
        helpers.assert_close(np.array([[1.0, 2.0], [3.0, 4.0]]), expected, "x")


def test_assert_close_fails_on_a_non_finite_expected_scalar():
    with pytest.raises(AssertionError, match=r"the expected value is nan at index \(\)"):
        helpers.assert_close(np.float64(1.0), float("nan"), "loss")
    # None as the expected value becomes NaN in an array; it must not pass either.
    with pytest.raises(AssertionError, match="the expected value is nan"):
        helpers.assert_close(np.float64(1.0), None, "loss")


def test_assert_close_fails_when_both_sides_are_nan():
    with pytest.raises(AssertionError, match="the reference is broken"):
        helpers.assert_close(np.array([np.nan]), np.array([np.nan]), "x")


def test_assert_close_still_names_a_non_finite_actual_value():
    with pytest.raises(AssertionError, match=r"x: non-finite value inf at index \(1\)"):
        helpers.assert_close(np.array([1.0, np.inf]), np.array([1.0, 2.0]), "x")


def test_assert_numerically_close_fails_on_a_nan_reference():
    with pytest.raises(AssertionError, match="vs central differences.*reference is broken"):
        helpers.assert_numerically_close(np.zeros(3), np.full(3, np.nan), "g")


# ------------------------------------------------------------ the hw1 autograder's checks

def test_shared_subgraph_check_does_not_depend_on_the_clock(monkeypatch):
    # A loaded machine: every clock read is 10 s after the previous one. The check used
    # to time y = y + y (20 times) against 1 s and failed here.
    clock = iter(range(0, 10**6, 10))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(clock)))
    test_autograd.test_autograd_reuse()


def test_shared_subgraph_check_counts_each_node_once(monkeypatch):
    # An engine that runs one node a second time (as a walk per path does, 2**20 - 1
    # times, too slow to run here) must fail the check.
    engine_backward = autograd_engine.backward

    def backward_twice_at_the_root(grad_fn, grad_of_outputs):
        engine_backward(grad_fn, grad_of_outputs)
        grad_fn.apply(grad_of_outputs)

    monkeypatch.setattr(autograd_engine, "backward", backward_twice_at_the_root)
    with pytest.raises(AssertionError, match=r"Add.backward ran 21 times over 20 nodes"):
        test_autograd.test_autograd_reuse()
