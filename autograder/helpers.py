"""Checks shared by the autograder's tests: comparisons that say by how much they fail,
central differences, broadcasting reduction and the bookkeeping the write-up demands.

Everything here is plain NumPy: the references the tests compare MyTorch against must
not come from MyTorch itself.
"""
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

# Tolerances, float64 throughout. Closed forms differ from MyTorch only by rounding;
# central differences with step 1e-6 carry an error of about 1e-10 times the loss.
CLOSED_FORM_RTOL = 1e-8
CLOSED_FORM_ATOL = 1e-10
NUMERICAL_RTOL = 1e-6
NUMERICAL_ATOL = 1e-7
FD_EPS = 1e-6


def as_array(value: Any) -> np.ndarray:
    """The ndarray inside a MyTorch Tensor (its `.data`), or `value` as an array."""
    data = getattr(value, "data", value)
    return np.asarray(data)


def assert_close(actual: Any, expected: Any, what: str, rtol: float = CLOSED_FORM_RTOL,
                 atol: float = CLOSED_FORM_ATOL) -> None:
    """Assert |actual - expected| <= atol + rtol * |expected| elementwise, shapes equal.

    Raises:
        AssertionError naming `what`, the shapes or the largest difference, where it
        is, both values there and the tolerance; or the first NaN or infinity on either
        side (a non-finite expected value means the reference itself is broken).
    """
    if actual is None:
        raise AssertionError(f"{what}: got None, expected an array of shape {np.shape(expected)}")
    got, want = as_array(actual), np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {want.shape}")
    if got.dtype.kind not in "biuf":
        raise AssertionError(f"{what}: dtype {got.dtype} is not numeric")
    got = got.astype(np.float64)
    if not np.all(np.isfinite(want)):
        # A NaN in the reference would never compare as "too far" and pass unchecked.
        bad = _first_non_finite(want)
        raise AssertionError(f"{what}: the expected value is {float(want[bad])} at index "
                             f"{_index(bad)}; the reference is broken, so nothing was checked")
    if not np.all(np.isfinite(got)):
        bad = _first_non_finite(got)
        raise AssertionError(f"{what}: non-finite value {float(got[bad])} at index {_index(bad)}")
    excess = np.abs(got - want) - (atol + rtol * np.abs(want))
    if np.any(excess > 0):
        worst = np.unravel_index(np.argmax(excess), got.shape) if got.ndim else ()
        diff = np.abs(got - want)
        got_value, want_value = float(got[worst]), float(want[worst])
        relative = (f"relative {abs(got_value - want_value) / abs(want_value):.3g}"
                    if want_value else "expected 0")
        raise AssertionError(
            f"{what}: differs by up to {diff.max():.3g}; worst at index {_index(worst)}: "
            f"got {got_value!r}, expected {want_value!r} ({relative}; allowed {atol:g} + "
            f"{rtol:g} * |expected|; {np.count_nonzero(excess > 0)} of {got.size} "
            f"elements outside)")


def assert_numerically_close(actual: Any, expected: Any, what: str) -> None:
    """`assert_close` with the looser tolerances of central differences."""
    assert_close(actual, expected, what + " (vs central differences)",
                 rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)


def numerical_grads(loss: Callable[[], float], arrays: Sequence[np.ndarray],
                    eps: float = FD_EPS) -> List[np.ndarray]:
    """Central differences of the scalar `loss()` with respect to each array.

    `loss` reads the arrays; each element is perturbed in place by +-eps and
    restored, so the arrays must be writable float64 arrays owned by the caller.

        d loss / d a_k ~= (loss(a + eps e_k) - loss(a - eps e_k)) / (2 eps)
    """
    grads = []
    for array in arrays:
        if not (isinstance(array, np.ndarray) and array.dtype == np.float64
                and array.flags.writeable and array.flags.c_contiguous):
            raise TypeError("numerical_grads needs writable, C-contiguous float64 arrays")
        grad = np.zeros_like(array)
        flat, grad_flat = array.reshape(-1), grad.reshape(-1)  # views
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = float(loss())
            flat[k] = original - eps
            minus = float(loss())
            flat[k] = original
            grad_flat[k] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def sum_to_shape(grad: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """The gradient of an input of `shape` that NumPy broadcast to `grad.shape`.

    An input element copied to several output positions gets the sum of their
    gradients: sum over the axes broadcasting added in front, then over the axes
    where the input had size 1.
    """
    grad = np.asarray(grad, dtype=np.float64)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad.reshape(shape)


def random_array(rng: np.random.Generator, shape: Tuple[int, ...], low_magnitude: float = 0.0
                 ) -> np.ndarray:
    """Standard normal values of `shape`, pushed to magnitude >= `low_magnitude` (to keep
    divisors away from 0 and ReLU inputs away from its kink)."""
    values = rng.standard_normal(shape)
    if low_magnitude:
        values = np.where(values >= 0, 1.0, -1.0) * (np.abs(values) + low_magnitude)
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------- bookkeeping checks

def check_tensor(value: Any, what: str) -> None:
    """Assert `value` is a MyTorch Tensor."""
    from mytorch.tensor import Tensor  # the class under test, not a reference

    if not isinstance(value, Tensor):
        raise AssertionError(f"{what}: expected a mytorch Tensor, got {type(value).__name__}")


def check_grad(tensor: Any, what: str, expected_shape: Optional[Tuple[int, ...]] = None) -> None:
    """Assert `tensor.grad` is a constant Tensor of the tensor's shape: no grad_fn,
    not requiring grad (the write-up: gradients live outside the graph)."""
    grad = tensor.grad
    if grad is None:
        raise AssertionError(f"{what}.grad is None; expected a gradient after backward()")
    check_tensor(grad, f"{what}.grad")
    shape = tensor.shape if expected_shape is None else expected_shape
    if grad.shape != shape:
        raise AssertionError(f"{what}.grad has shape {grad.shape}, expected {shape}")
    if grad.grad_fn is not None:
        raise AssertionError(f"{what}.grad has grad_fn {grad.grad_fn!r}; a gradient must not "
                             "be part of the graph")
    if grad.requires_grad:
        raise AssertionError(f"{what}.grad requires grad; a gradient must be a constant Tensor")


def check_no_grad(tensor: Any, what: str) -> None:
    """Assert `tensor.grad` is None (constants and non-leaf tensors keep no gradient)."""
    if tensor.grad is not None:
        raise AssertionError(f"{what}.grad should stay None (it is "
                             f"{'a non-leaf' if not tensor.is_leaf else 'a constant'}), "
                             f"got {tensor.grad!r}")


def check_flags(tensor: Any, what: str, requires_grad: bool, is_leaf: bool,
                is_parameter: Optional[bool] = None) -> None:
    """Assert the autograd flags of `tensor`, and that grad_fn is set exactly for non-leaves."""
    check_tensor(tensor, what)
    for name, expected in (("requires_grad", requires_grad), ("is_leaf", is_leaf),
                           ("is_parameter", is_parameter)):
        if expected is not None and getattr(tensor, name) != expected:
            raise AssertionError(f"{what}.{name} is {getattr(tensor, name)!r}, "
                                 f"expected {expected!r}")
    if is_leaf and tensor.grad_fn is not None:
        raise AssertionError(f"{what} is a leaf but has grad_fn {tensor.grad_fn!r}")
    if not is_leaf and tensor.grad_fn is None:
        raise AssertionError(f"{what} is the result of an op on tensors that require grad, "
                             "but its grad_fn is None")


def check_parameter(param: Any, what: str) -> None:
    """Assert `param` is still a trainable leaf parameter (as after an optimizer step)."""
    check_flags(param, what, requires_grad=True, is_leaf=True, is_parameter=True)


def _first_non_finite(values: np.ndarray) -> Tuple[int, ...]:
    """The index of the first NaN or infinity in `values`."""
    return np.unravel_index(np.argmax(~np.isfinite(values)), values.shape) if values.ndim else ()


def _index(index: Tuple[int, ...]) -> str:
    return "()" if not index else "(" + ", ".join(str(int(i)) for i in index) + ")"
