"""The layers and utilities PyTorch programs use beyond the basics, against PyTorch:
LeakyReLU, ELU, Softplus and SiLU (modules and functions), Dropout1d/2d/3d, Flatten's
dims and Unflatten, and gradient clipping (clip_grad_norm_, clip_grad_value_).

Values, dtypes and gradients agree with PyTorch in float64 and float32 (`compare`, as in
`test_torch_api.py`); the ops pass central differences; bad input is an error naming it.
"""
import math

import numpy as np
import pytest

import mytorch
from mytorch import Tensor, nn
from mytorch.gradcheck import gradcheck
from test_torch_api import compare, needs_torch, torch

ACTIVATIONS = {
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x),
    "leaky_relu_slope": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "LeakyReLU": lambda m, x: m.nn.LeakyReLU(negative_slope=-0.5)(x),
    "elu": lambda m, x: m.nn.functional.elu(x), "ELU_alpha": lambda m, x: m.nn.ELU(alpha=0.3)(x),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "Softplus_beta": lambda m, x: m.nn.Softplus(beta=2.0, threshold=1.5)(x),
    "Softplus_negative_beta": lambda m, x: m.nn.Softplus(beta=-1.0)(x),
    "silu": lambda m, x: m.nn.functional.silu(x), "SiLU": lambda m, x: m.nn.SiLU()(x),
    "relu_inplace_keyword": lambda m, x: m.nn.functional.relu(x, inplace=False),
    "flatten_dims": lambda m, x: m.nn.Flatten(0, 1)(x.reshape(2, 3, 2)),
    "flatten_end": lambda m, x: m.nn.Flatten(start_dim=0)(x),
    "unflatten": lambda m, x: m.nn.Unflatten(1, (2, 3))(x.reshape(2, 6)),
    "unflatten_infer": lambda m, x: m.nn.Unflatten(0, (-1, 2, 1))(x),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_and_reshaping_layers_match_pytorch(name, dtype):
    x = np.array([[-30.0, -2.5, -0.7], [0.4, 1.3, 25.0], [-1.1, 0.05, 3.0], [0.9, -0.2, 2.0]], dtype)
    compare(ACTIVATIONS[name], x)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if not n.startswith(("flatten", "unflatten"))])
def test_activations_pass_central_differences(name):
    x = np.array([[-3.0, -2.5, -0.7], [0.4, 1.3, 2.5], [-1.1, 0.05, 3.0], [0.9, -0.2, 0.6]])
    assert gradcheck(lambda a: ACTIVATIONS[name](mytorch, a), Tensor(x, requires_grad=True))


@needs_torch
@pytest.mark.parametrize("fn", [lambda m, x: m.nn.functional.leaky_relu(x), lambda m, x: m.nn.functional.elu(x),
                                lambda m, x: m.nn.functional.softplus(x), lambda m, x: m.nn.functional.silu(x)])
@pytest.mark.parametrize("shape", [(), (0, 3)])
def test_activations_of_0d_and_empty_tensors_match_pytorch(fn, shape):
    compare(fn, np.full(shape, -0.75))


def test_integer_input_is_promoted_as_for_the_other_activations():
    for layer in (nn.LeakyReLU(), nn.ELU(), nn.Softplus(), nn.SiLU()):
        assert layer(mytorch.tensor([-1, 2])).dtype == mytorch.get_default_dtype()


@pytest.mark.parametrize("layer, shape", [(nn.Dropout1d, (40, 5, 3)), (nn.Dropout2d, (40, 5, 3, 2)),
                                          (nn.Dropout2d, (30, 3, 2)), (nn.Dropout3d, (20, 4, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels(layer, shape):
    mytorch.manual_seed(0)
    drop = layer(p=0.4)
    x = mytorch.ones(*shape, requires_grad=True)
    out = drop(x)
    per_channel = out.data.reshape(shape[:len(shape) - drop.spatial] + (-1,))
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.6).all(-1))
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.6
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, out.data)  # d out / d x is the mask / (1 - p)
    drop.eval()
    assert drop(x) is x


def test_channel_dropout_is_reproducible_with_numpys_seed_and_refuses_bad_input():
    mytorch.manual_seed(3)
    first = nn.Dropout2d()(mytorch.ones(4, 3, 2, 2))
    mytorch.manual_seed(3)
    x = mytorch.ones(4, 3, 2, 2)
    assert first.equal(mytorch.nn.functional.dropout2d(x))
    assert mytorch.nn.functional.dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match=r"Dropout2d: expected input of 3 or 4 dimensions .* got shape \(4, 3\)"):
        nn.Dropout2d()(mytorch.ones(4, 3))
    with pytest.raises(ValueError, match="Dropout2d: p must be"):
        nn.Dropout2d(p=1.5)
    with pytest.raises(ValueError, match="dropout1d: p must be"):
        mytorch.nn.functional.dropout1d(mytorch.ones(2, 2), p=-0.1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.LeakyReLU("0.1"), ValueError, "LeakyReLU: negative_slope must be a number"),
    (lambda: nn.Softplus(beta=0), ValueError, "Softplus: beta must be nonzero"),
    (lambda: mytorch.nn.functional.softplus(mytorch.ones(2), beta=0), ValueError, "softplus: beta must be nonzero"),
    (lambda: nn.ELU(alpha=None), ValueError, "ELU: alpha must be a number"),
    (lambda: nn.SiLU(inplace=1), ValueError, "SiLU: inplace must be True or False, got 1"),
    (lambda: nn.Unflatten(1, 6), TypeError, "Unflatten: unflattened_size must be a non-empty tuple"),
    (lambda: nn.Unflatten(1, (4, 2))(mytorch.ones(2, 6)), ValueError, r"cannot reshape a tensor of shape \(2, 6\)"),
    (lambda: nn.Flatten(0, 3)(mytorch.ones(2, 3)), ValueError, "flatten: dim 3 is out of range"),
])
def test_bad_layer_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _grads_of(m, arrays):
    """Parameters holding `arrays` with gradients 2 * arrays (from a backward), in library m."""
    params = [m.tensor(a, requires_grad=True) for a in arrays]
    sum((p * p).sum() for p in params).backward()
    return params


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2), (0.5, 1), (0.3, math.inf),
                                                 (0.3, "inf"), (2.0, 3.5)])
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type, dtype):
    arrays = [np.array([[0.5, -1.0], [2.0, 0.25]], dtype), np.array([-0.75, 1.5, 0.1], dtype)]
    results = []
    for m in (mytorch, torch):
        params = _grads_of(m, arrays)
        params.append(m.tensor([1.0], requires_grad=True))  # no gradient: skipped
        total = m.nn.utils.clip_grad_norm_(iter(params), max_norm, norm_type=norm_type)
        results.append((float(total), [p.grad.detach().numpy() if p.grad is not None else None for p in params]))
    (mine, my_grads), (theirs, their_grads) = results
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)
    for a, b in zip(my_grads, their_grads):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6)
            assert a.dtype == b.dtype


@needs_torch
def test_clip_grad_value_matches_pytorch_and_takes_one_tensor():
    arrays = [np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([-0.75, 1.5, 0.1])]
    clipped = []
    for m in (mytorch, torch):
        params = _grads_of(m, arrays)
        m.nn.utils.clip_grad_value_(params, 1.2)
        m.nn.utils.clip_grad_value_(params[1], 0.5)
        clipped.append([p.grad.detach().numpy() for p in params])
    for a, b in zip(*clipped):
        np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_in_a_training_loop_bounds_the_step():
    model = nn.Linear(3, 2)
    loss = (model(mytorch.ones(4, 3) * 100) ** 2).sum()
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total.item() > 1.0 and total.ndim == 0
    norm = math.sqrt(sum((p.grad.data ** 2).sum() for p in model.parameters()))
    assert abs(norm - 1.0) < 1e-5
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_bad_clipping_arguments_change_no_gradient():
    params = _grads_of(mytorch, [np.array([3.0, 4.0])])
    params[0].grad.data[0] = np.inf
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    for call, error, match in [
        (lambda: nn.utils.clip_grad_norm_(params, "1"), ValueError, "clip_grad_norm_: max_norm must be a number"),
        (lambda: nn.utils.clip_grad_norm_(params, 1.0, norm_type=0), ValueError, "norm_type must be"),
        (lambda: nn.utils.clip_grad_norm_([params[0], 3.0], 1.0), TypeError, "parameters must be Tensors, got float at position 1"),
        (lambda: nn.utils.clip_grad_value_(params, -1.0), ValueError, "clip_grad_value_: clip_value must be"),
    ]:
        with pytest.raises(error, match=match):
            call()
    assert params[0].grad.tolist() == [np.inf, 8.0]
