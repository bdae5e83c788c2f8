"""Check autograd gradients against central finite differences, like `torch.autograd.gradcheck`."""
from typing import Callable, List, Sequence

import numpy as np

from mytorch.tensor import Tensor


def numerical_grad(fn: Callable[..., Tensor], inputs: Sequence[Tensor], output_grad: np.ndarray,
                   eps: float = 1e-6) -> List[np.ndarray]:
    """Central differences of sum(output_grad * fn(*inputs)) with respect to each input.

    d/dx_k ~= (f(x + eps e_k) - f(x - eps e_k)) / (2 eps), one element at a time, written
    into the input's own array (whatever its memory layout); the inputs are restored
    afterwards.
    """
    grads = []
    for tensor in inputs:
        grad = np.zeros(tensor.shape, dtype=np.float64)
        data = tensor.data
        for k in np.ndindex(data.shape):
            original = data[k]
            data[k] = original + eps
            plus = np.sum(output_grad * fn(*inputs).data)
            data[k] = original - eps
            minus = np.sum(output_grad * fn(*inputs).data)
            data[k] = original
            grad[k] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-6,
              rtol: float = 1e-5, seed: int = 0) -> bool:
    """Compare autograd's gradients of `fn` with central differences, for float64 inputs.

    The output is contracted with a random weight tensor first, so every output element
    is checked, not just their sum.

    Args:
        fn: maps the input Tensors to one output Tensor.
        inputs: float64 Tensors; those with requires_grad=True are checked.
        eps: finite-difference step.
        atol, rtol: tolerances, as in `np.allclose`.
        seed: seed for the random output weights.
    Returns:
        True when every gradient matches.
    Raises:
        AssertionError: a gradient does not match (the message names the input and the
            largest difference).
        TypeError: an input is not a float64 Tensor.
    """
    for index, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or tensor.dtype != np.float64:
            raise TypeError(f"gradcheck: input {index} must be a float64 Tensor, got {tensor!r}")
    checked = [tensor for tensor in inputs if tensor.requires_grad]
    for tensor in checked:
        tensor.grad = None
    output = fn(*inputs)
    output_grad = np.random.default_rng(seed).standard_normal(output.shape)
    output.backward(Tensor(output_grad))
    expected = numerical_grad(fn, checked, output_grad, eps)
    for tensor, numeric in zip(checked, expected):
        index = next(i for i, t in enumerate(inputs) if t is tensor)
        analytic = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad.data
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            worst = np.max(np.abs(analytic - numeric))
            raise AssertionError(f"gradcheck: input {index} of shape {tensor.shape}: autograd and "
                                 f"finite differences differ by up to {worst:.3g}\n"
                                 f"autograd:\n{analytic}\nnumerical:\n{numeric}")
    return True
