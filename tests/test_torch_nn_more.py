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


LAYERS = {
    "Linear": lambda m, **k: m.nn.Linear(3, 2, **k), "Conv1d": lambda m, **k: m.nn.Conv1d(2, 3, 2, **k),
    "Conv2d": lambda m, **k: m.nn.Conv2d(1, 2, 3, bias=False, **k), "BatchNorm1d": lambda m, **k: m.nn.BatchNorm1d(3, **k),
    "BatchNorm2d": lambda m, **k: m.nn.BatchNorm2d(2, **k), "LayerNorm": lambda m, **k: m.nn.LayerNorm([2, 3], **k),
    "GroupNorm": lambda m, **k: m.nn.GroupNorm(2, 4, **k), "Embedding": lambda m, **k: m.nn.Embedding(5, 2, **k),
    "RNN": lambda m, **k: m.nn.RNN(2, 3, num_layers=2, **k), "GRU": lambda m, **k: m.nn.GRU(2, 3, **k),
    "LSTM": lambda m, **k: m.nn.LSTM(2, 3, bidirectional=True, **k), "RNNCell": lambda m, **k: m.nn.RNNCell(2, 3, **k),
    "GRUCell": lambda m, **k: m.nn.GRUCell(2, 3, **k), "LSTMCell": lambda m, **k: m.nn.LSTMCell(2, 3, **k),
}


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LAYERS)
def test_layers_take_pytorchs_device_and_dtype_keywords(name, dtype):
    def state(m):
        layer = LAYERS[name](m, device=m.device("cpu"), dtype=getattr(m, dtype))
        return {key: (tuple(value.shape), str(value.dtype).replace("torch.", ""))
                for key, value in layer.state_dict().items()}
    assert state(mytorch) == state(torch)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Linear(2, 2, device="cuda"), RuntimeError, "Linear: device: device 'cuda' is not available"),
    (lambda: nn.GRU(2, 2, dtype=mytorch.int64), TypeError, "GRU: dtype must be float32 or float64, got dtype"),
    (lambda: nn.Conv2d(1, 1, 2, dtype="float16"), TypeError, "Conv2d: dtype must be float32 or float64"),
])
def test_bad_device_or_dtype_keywords_are_named_before_the_layer_is_built(call, error, match):
    np.random.seed(0)
    first = np.random.random()
    np.random.seed(0)
    with pytest.raises(error, match=match):
        call()
    assert np.random.random() == first  # no weights were drawn


def test_a_layer_built_with_dtype_computes_in_it_and_its_signature_shows_the_keywords():
    import inspect
    layer = nn.Linear(3, 2, dtype=mytorch.float32)
    assert layer(mytorch.ones(1, 3, dtype=mytorch.float32)).dtype == mytorch.float32
    parameters = inspect.signature(nn.LSTM).parameters
    assert list(parameters)[-2:] == ["device", "dtype"] and parameters["dtype"].kind == inspect.Parameter.KEYWORD_ONLY


def test_recurrent_layers_widen_a_float32_input_and_refuse_a_float64_one_into_float32():
    gru = nn.GRU(2, 3)
    x = mytorch.ones(4, 1, 2, dtype=mytorch.float32, requires_grad=True)
    out, h = gru(x, mytorch.zeros(1, 1, 3, dtype=mytorch.float32))
    assert out.dtype == h.dtype == mytorch.float64
    reference, _ = gru(x.double())
    np.testing.assert_array_equal(out.data, reference.data)
    out.sum().backward()
    assert x.grad.dtype == mytorch.float32  # the gradient flows back through the cast
    narrow = nn.LSTM(2, 3).float()
    with pytest.raises(ValueError, match="LSTM: input dtype float64 does not match the weights' dtype float32"):
        narrow(mytorch.ones(4, 1, 2))


def test_dataloader_takes_a_collate_fn_and_pytorchs_worker_keywords():
    from mytorch.utils.data import DataLoader
    samples = [(mytorch.arange(n), n) for n in (3, 1, 2, 4)]

    def pad(batch):
        longest = max(len(seq) for seq, _ in batch)
        return mytorch.stack([mytorch.cat([seq, mytorch.zeros(longest - len(seq), dtype=seq.dtype)])
                              for seq, _ in batch]), [n for _, n in batch]

    loader = DataLoader(samples, batch_size=2, collate_fn=pad, num_workers=2, pin_memory=True)
    batches = list(loader)
    assert [b[0].tolist() for b in batches] == [[[0, 1, 2], [0, 0, 0]], [[0, 1, 0, 0], [0, 1, 2, 3]]]
    assert [b[1] for b in batches] == [[3, 1], [2, 4]]
    for kwargs, error, match in [({"collate_fn": 3}, TypeError, "DataLoader: collate_fn must be callable, got int"),
                                 ({"num_workers": -1}, ValueError, "DataLoader: num_workers must be"),
                                 ({"pin_memory": "yes"}, ValueError, "DataLoader: pin_memory must be True or False")]:
        with pytest.raises(error, match=match):
            DataLoader(samples, **kwargs)


def test_load_takes_pytorchs_map_location_and_weights_only(tmp_path):
    path = tmp_path / "model.pth"
    model = nn.Linear(2, 1)
    mytorch.save(model.state_dict(), path)
    for kwargs in ({}, {"map_location": "cpu"}, {"map_location": mytorch.device("cpu"), "weights_only": True},
                   {"weights_only": False}):
        state = mytorch.load(path, **kwargs)
        assert state["weight"].equal(model.weight)
    with pytest.raises(RuntimeError, match="load: map_location: device 'cuda' is not available"):
        mytorch.load(path, map_location="cuda")
    with pytest.raises(ValueError, match="load: weights_only must be True or False"):
        mytorch.load(path, weights_only="yes")


FUNCTIONS = {
    "pad_last": lambda m, x: m.nn.functional.pad(x, (1, 2)),
    "pad_two_axes": lambda m, x: m.nn.functional.pad(x, (0, 1, 2, 0), value=-1.5),
    "pad_crop": lambda m, x: m.nn.functional.pad(x, (-1, 1, 1, -1)),
    "pad_keyword_mode": lambda m, x: m.nn.functional.pad(x, [1, 1], mode="constant", value=2.0),
    "pad_0d_pairs": lambda m, x: m.nn.functional.pad(x, ()),
    "normalize": lambda m, x: m.nn.functional.normalize(x),
    "normalize_dim0_p1": lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0),
    "cosine_similarity": lambda m, x: m.nn.functional.cosine_similarity(x, x.flip(0)),
    "cosine_similarity_broadcast": lambda m, x: m.nn.functional.cosine_similarity(x, x[:1] * 2 + 1, dim=1),
    "cosine_similarity_dim0": lambda m, x: m.nn.functional.cosine_similarity(x, x ** 2, dim=0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_pad_normalize_and_cosine_similarity_match_pytorch(name, dtype):
    x = (np.arange(12.0).reshape(3, 4) / 5 - 1.1).astype(dtype)
    compare(FUNCTIONS[name], x)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_pad_normalize_and_cosine_similarity_pass_central_differences(name):
    x = np.random.default_rng(2).uniform(0.5, 1.5, (3, 4)) * np.array([1, -1, 1, -1])
    assert gradcheck(lambda a: FUNCTIONS[name](mytorch, a), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("call, error, match", [
    (lambda x: mytorch.nn.functional.pad(x, (1,)), ValueError, "pad: expected an even number of pad sizes"),
    (lambda x: mytorch.nn.functional.pad(x, (1, 1, 1, 1, 1, 1)), ValueError, "at most the 2 axes"),
    (lambda x: mytorch.nn.functional.pad(x, (-2, -2)), ValueError, r"crops a tensor of shape \(2, 3\) to a negative size"),
    (lambda x: mytorch.nn.functional.pad(x, (1, 1), mode="reflect"), ValueError, "pad: mode must be one of"),
    (lambda x: mytorch.nn.functional.pad(x, (1.5, 1)), ValueError, "pad: size must be an integer"),
    (lambda x: mytorch.nn.functional.normalize(x, eps=-1.0), ValueError, "normalize: eps must be"),
    (lambda x: mytorch.nn.functional.cosine_similarity(x, mytorch.ones(4, 1)), ValueError, "cannot be broadcast"),
])
def test_bad_pad_and_similarity_arguments_are_named(call, error, match):
    x = mytorch.ones(2, 3, requires_grad=True)
    with pytest.raises(error, match=match):
        call(x)
    assert x.grad is None
