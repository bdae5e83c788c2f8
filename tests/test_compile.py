"""mytorch.compile: a traced and replayed step agrees with eager bit for bit, retraces
when what it depended on changes, runs eagerly (saying why) when it cannot be traced,
keeps its memory flat, and rejects bad use clearly."""
import contextlib
import functools
import gc
import re
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
from mytorch import Tensor, nn, optim
from mytorch.jit import CompileWarning
from mytorch.cli import training_step


# ------------------------------------------------------------------ helpers

class RowRNN(nn.Module):
    """The recurrent examples' network: a GRU or LSTM over the rows, last hidden -> Linear."""

    def __init__(self, layer: type) -> None:
        super().__init__()
        self.rnn = layer(12, 8, batch_first=True)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: Tensor) -> Tensor:
        _, last = self.rnn(x)
        hidden = last[0] if isinstance(last, tuple) else last  # an LSTM's is (h, c)
        return self.fc(hidden.reshape(-1, hidden.shape[-1]))  # (B, H), or (1, B, H) as PyTorch


def cnn() -> nn.Module:
    """examples/mnist_cnn.py's network."""
    return nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 10))


def handout() -> nn.Module:
    """hw1.mnist's network."""
    return nn.Sequential(nn.Linear(784, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Linear(20, 10))


# name: (network, input shape of one sample, optimizer, steps, eval every n-th step)
NETWORKS = {
    "mlp": (lambda: nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 10)), (30,),
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3), 100, None),
    "batchnorm": (handout, (784,), lambda p: optim.SGD(p, lr=0.1), 100, 4),
    "dropout": (lambda: nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Dropout(0.3),
                                      nn.Linear(32, 10)), (30,),
                lambda p: optim.SGD(p, lr=0.1, momentum=0.5), 100, 5),
    "cnn": (cnn, (1, 28, 28), lambda p: optim.Adam(p, lr=0.01), 12, None),
    "gru": (lambda: RowRNN(nn.GRU), (6, 12), lambda p: optim.SGD(p, lr=0.1), 20, None),
    "lstm": (lambda: RowRNN(nn.LSTM), (6, 12), lambda p: optim.Adam(p, lr=0.01), 20, None),
}


def training(model: nn.Module, optimizer: optim.Optimizer, criterion: Optional[nn.Module] = None):
    """The step every test compiles, the programs' own: zero_grad, forward, loss
    (cross-entropy unless given), backward, step."""
    return training_step(model, optimizer, nn.CrossEntropyLoss() if criterion is None else criterion)


def built(name: str, dtype=np.float64):
    network, _, make_optimizer, _, _ = NETWORKS[name]
    np.random.seed(0)
    model = network().to(dtype)
    optimizer = make_optimizer(list(model.parameters()))
    return model, optimizer


def batches(name: str, count: int, batch: int = 8, dtype=np.float64, seed: int = 1):
    shape = NETWORKS[name][1]
    rng = np.random.default_rng(seed)
    return [(Tensor(rng.standard_normal((batch,) + shape).astype(dtype)),
             Tensor(rng.integers(0, 10, batch))) for _ in range(count)]


def optimizer_state(optimizer: optim.Optimizer):
    return [value for values in (getattr(optimizer, attribute)
                                 for attribute in optimizer._state_attributes.values())
            for value in values]


def assert_same(eager, compiled):
    """Parameters, gradients, buffers and optimizer state are equal bit for bit."""
    (model_e, opt_e), (model_c, opt_c) = eager, compiled
    for p, q in zip(model_e.parameters(), model_c.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad.data.tobytes() == q.grad.data.tobytes()
    for p, q in zip(model_e.buffers(), model_c.buffers()):
        assert p.data.tobytes() == q.data.tobytes()
    for a, b in zip(optimizer_state(opt_e), optimizer_state(opt_c)):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def replays(compiled) -> int:
    return sum(entry["replays"] for entry in compiled.explain().entries)


def traced_calls(compiled) -> int:
    """Calls that traced: one per kept trace, and one per trace not kept because an
    optimizer made its state during it (SGD's momentum buffers on its first step)."""
    explanation = compiled.explain()
    return explanation.traces + explanation.discarded


def retraced_for(compiled, what: str) -> bool:
    return any(what in reason for reason in compiled.explain().retraces)


def run_both(name: str, steps: int, dtype=np.float64, eval_every=None):
    """Train the network eagerly and compiled from the same start on the same batches (and
    the same random state, for dropout); losses must agree at every step."""
    sides = [built(name, dtype), built(name, dtype)]
    steps_of = [training(*sides[0]), mytorch.compile(training(*sides[1]))]
    np.random.seed(7)
    states = [np.random.get_state()] * 2
    for index, (x, y) in enumerate(batches(name, steps, dtype=dtype)):
        losses = []
        for k, ((model, _), step) in enumerate(zip(sides, steps_of)):
            np.random.set_state(states[k])
            model.train(not (eval_every and index % eval_every == eval_every - 1))
            losses.append(step(x, y).data.tobytes())
            states[k] = np.random.get_state()
        assert losses[0] == losses[1], f"step {index}"
    assert_same(*sides)
    return steps_of[1]


# ------------------------------------------------------------------ agreement with eager

@pytest.mark.parametrize("name", list(NETWORKS))
def test_compiled_training_matches_eager_bit_for_bit(name):
    _, _, _, steps, eval_every = NETWORKS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # no silent fallback to eager
        compiled = run_both(name, steps, eval_every=eval_every)
    assert compiled.explain().break_reasons == []
    # Every step but the traced ones is a replay.
    assert replays(compiled) == steps - traced_calls(compiled)


class Power(nn.Module):
    """x ** 2 / 4 and a variance term: Pow and Var run inside np.errstate blocks."""

    def forward(self, x: Tensor) -> Tensor:
        return x ** 2 * 0.25 + x.var(dim=1, keepdim=True)


class Shuffle(nn.Module):
    """Advanced indexing (np.add.at in backward), concatenation, where and a max: tensor
    operations outside the layers."""

    def forward(self, x: Tensor) -> Tensor:
        picked = x[:, [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]]
        joined = mytorch.cat([picked[:, :6], x[:, 6:] * 2], dim=1)
        return mytorch.where(joined.data > 0, joined, joined * 0.1) - joined.amax(dim=1, keepdim=True)


HIDDEN = 12
LAYERS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU, "power": Power,
          "shuffle": Shuffle,
          "batchnorm": lambda: nn.BatchNorm1d(HIDDEN), "layernorm": lambda: nn.LayerNorm(HIDDEN),
          "groupnorm": lambda: nn.GroupNorm(3, HIDDEN), "dropout": lambda: nn.Dropout(0.2),
          "softmax": lambda: nn.Softmax(dim=1)}
LOSSES = {"cross_entropy": (nn.CrossEntropyLoss, "labels"), "mse": (nn.MSELoss, "values"),
          "huber": (nn.HuberLoss, "values"), "bce_logits": (nn.BCEWithLogitsLoss, "values")}
OPTIMIZERS = {"sgd": lambda p: optim.SGD(p, lr=0.05),
              "nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
              "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3),
              "adamw": lambda p: optim.AdamW(p, lr=0.01)}


@settings(max_examples=25, deadline=None)
@given(layers=st.lists(st.sampled_from(sorted(LAYERS)), min_size=1, max_size=3),
       loss=st.sampled_from(sorted(LOSSES)), optimizer=st.sampled_from(sorted(OPTIMIZERS)),
       seed=st.integers(0, 2 ** 16))
def test_random_networks_match_eager_bit_for_bit(layers, loss, optimizer, seed):
    """Any stack of these layers, with any of these losses and optimizers, switching to
    eval mode now and then, compiles and trains as eager does."""
    results = []
    for compiled in (False, True):
        np.random.seed(seed)
        model = nn.Sequential(nn.Linear(10, HIDDEN), *[LAYERS[kind]() for kind in layers],
                              nn.Linear(HIDDEN, 4))
        make_loss, target = LOSSES[loss]
        step = training(model, OPTIMIZERS[optimizer](list(model.parameters())), make_loss())
        run = mytorch.compile(step) if compiled else step
        rng = np.random.default_rng(seed)
        np.random.seed(seed + 1)
        losses = []
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            for index in range(6):
                y = rng.integers(0, 4, 6) if target == "labels" else rng.random((6, 4))
                model.train(index % 3 != 2)
                losses.append(run(Tensor(rng.standard_normal((6, 10))), Tensor(y)).data.tobytes())
        results.append((losses, [p.data.tobytes() for p in model.parameters()]))
    assert results[0] == results[1]
    assert replays(run) >= 2


def test_np_errstate_blocks_are_replayed():
    """Pow's and Var's np.errstate blocks are entered and left around their calls."""
    def body(model, optimizer, criterion):
        return training(nn.Sequential(model, Power()), optimizer)

    compiled, caught = fallback_run(body)
    assert not caught and "with " in compiled.explain().entries[0]["source"]


def test_np_errstate_as_a_decorator_works_while_a_step_traces():
    """Code imported or run during a trace may use np.errstate as a decorator, as numpy.ma
    does at import; each call enters a context of its own."""
    model = nn.Linear(3, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def step(x):
        @np.errstate(divide="ignore")
        def reciprocal(values):
            calls.append(np.geterr()["divide"])
            return 1 / values

        reciprocal(np.zeros(1))
        reciprocal(np.zeros(1))
        optimizer.zero_grad()
        loss = model(x).sum()
        loss.backward()
        optimizer.step()
        return loss

    compiled = mytorch.compile(step)
    compiled(Tensor(np.ones((4, 3))))
    assert calls == ["ignore", "ignore"]


def test_a_first_compiled_sgd_step_in_a_fresh_process_trains():
    """SGD imports SciPy's BLAS at its first step, which imports numpy.ma; under a trace
    that import once failed on the traced np.errstate."""
    program = ("import numpy as np\n"
               "from mytorch import Tensor, nn, optim\n"
               "from mytorch.cli import training_step\n"
               "model = nn.Linear(4, 3)\n"
               "step = training_step(\n"
               "    model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), compiled=True)\n"
               "x, y = Tensor(np.ones((5, 4))), Tensor(np.array([0, 1, 2, 0, 1]))\n"
               "losses = [step(x, y).item() for _ in range(3)]\n"
               "assert losses[2] < losses[0], losses\n"
               "print('trained')\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "trained"


def test_compiled_float32_matches_eager():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        compiled = run_both("batchnorm", 30, dtype=np.float32, eval_every=7)
    assert replays(compiled) == 30 - traced_calls(compiled)


def test_dropout_draws_a_fresh_mask_every_call():
    model, optimizer = built("dropout")
    model.eval()
    model[2].train()  # only dropout is random
    compiled = mytorch.compile(lambda x: model(x) * 1.0)
    x = Tensor(np.ones((4, 30)))
    outputs = [compiled(x).data.copy() for _ in range(4)]
    assert not any(np.array_equal(outputs[0], other) for other in outputs[1:])
    assert replays(compiled) == 3


@pytest.mark.parametrize("draw", ["global", "generator"])
def test_noise_from_mytorch_random_is_drawn_afresh_as_eager_draws_it(draw):
    """mytorch.randn (NumPy's global state) and mytorch.rand(generator=g) go through
    mytorch.random.draw: each replay draws again, from the same source."""
    sides = [built("mlp"), built("mlp")]
    generators = [mytorch.Generator().manual_seed(5), mytorch.Generator().manual_seed(5)]

    def body(model, optimizer, generator):
        step = training(model, optimizer)

        def noisy(x, y):
            noise = (mytorch.randn(*x.shape) if draw == "global"
                     else mytorch.rand(*x.shape, generator=generator))
            return step(x + noise * 0.01, y)
        return noisy

    steps = [body(*sides[0], generators[0]), mytorch.compile(body(*sides[1], generators[1]))]
    for index, (x, y) in enumerate(batches("mlp", 6)):
        losses = []
        for step in steps:
            np.random.seed(index)
            losses.append(step(x, y).item())
        assert losses[0] == losses[1]
    assert_same(*sides)
    assert replays(steps[1]) == 6 - traced_calls(steps[1])


def test_grads_and_results_of_a_replay_are_new_arrays():
    """A caller that keeps a step's loss or a .grad never sees the next step overwrite it."""
    model, optimizer = built("mlp")
    compiled = mytorch.compile(training(model, optimizer))
    kept = []
    for x, y in batches("mlp", 5):
        loss = compiled(x, y)
        kept.append((loss, loss.data.copy(), model[0].weight.grad, model[0].weight.grad.data.copy()))
    for loss, loss_values, grad, grad_values in kept:
        assert np.array_equal(loss.data, loss_values) and np.array_equal(grad.data, grad_values)
        assert loss.grad_fn is None
    assert len({id(grad.data) for _, _, grad, _ in kept}) == len(kept)


def test_arrays_and_python_values_as_arguments():
    model, optimizer = built("mlp")
    step = training(model, optimizer)
    compiled = mytorch.compile(lambda x, y, scale: step(Tensor(x * scale), Tensor(y)))
    eager_model, eager_optimizer = built("mlp")
    eager = training(eager_model, eager_optimizer)
    for x, y in batches("mlp", 4):
        assert compiled(x.data, y.data, 2.0).item() == eager(Tensor(x.data * 2.0), y).item()
    assert replays(compiled) == 4 - traced_calls(compiled)
    compiled(x.data, y.data, 3.0)  # another value of a Python argument: another trace
    assert compiled.explain().traces == 2


# ------------------------------------------------------------------ guards

def guarded_run(change, name: str = "mlp", calls: int = 6, at: int = 3):
    """Train eagerly and compiled, applying `change(model, optimizer)` to both before call
    `at` (from the same random state); they must agree throughout. Returns the compiled step."""
    sides = [built(name), built(name)]
    steps = [training(*sides[0]), mytorch.compile(training(*sides[1]))]
    for index, (x, y) in enumerate(batches(name, calls)):
        if index == at:
            for model, optimizer in sides:
                np.random.seed(2)
                change(model, optimizer)
        losses = []
        for step in steps:
            np.random.seed(index)
            losses.append(step(x, y).item())
        assert losses[0] == losses[1], f"call {index}"
    assert_same(*sides)
    return steps[1]


def test_a_new_signature_retraces():
    model, optimizer = built("mlp")
    compiled = mytorch.compile(training(model, optimizer))
    for batch in (8, 8, 8, 5, 5, 8):
        x, y = batches("mlp", 1, batch=batch)[0]
        compiled(x, y)
    assert compiled.explain().traces == 2 and replays(compiled) == 3


class _Marked(Tensor):
    """A Tensor subclass: a call with one has another signature."""


@contextlib.contextmanager
def _default_dtype(dtype):
    before = mytorch.get_default_dtype()
    mytorch.set_default_dtype(dtype)
    try:
        yield
    finally:
        mytorch.set_default_dtype(before)


@pytest.mark.parametrize("argument, mode", [
    (lambda x, y: (Tensor(x.data.astype(np.float32)), y), None),               # another dtype
    (lambda x, y: (Tensor(x.data.astype(np.int64)), y), None),                 # ... of the same size
    (lambda x, y: (Tensor(np.asfortranarray(x.data)), y), None),               # other strides
    (lambda x, y: (Tensor(x.data[:4].copy()), Tensor(y.data[:4].copy())), None),  # another batch size
    (lambda x, y: (Tensor(np.concatenate([x.data] * 2)[:8]), y), None),        # a view (has a base)
    (lambda x, y: (_Marked(x.data), y), None),                                 # a Tensor subclass
    (lambda x, y: (Tensor(x.data.copy(), requires_grad=True), y), None),       # requires grad
    (lambda x, y: (Tensor(x.data.copy(), requires_grad=True) * 1.0, y), None),  # part of a graph
    (lambda x, y: (x, y), mytorch.no_grad),                                    # grad mode
    (lambda x, y: (x, y), lambda: mytorch.autograd.detect_anomaly()),          # anomaly mode
    (lambda x, y: (x, y), lambda: _default_dtype(mytorch.float32)),            # default dtype
])
def test_a_call_that_differs_from_the_last_replay_is_not_replayed_as_it(argument, mode):
    """Once a step replays, the next call is tested against the last replay's signature and
    guard in one generated expression; each way a call can differ must fail that test and
    run as eager would (a new trace, or eager itself)."""
    sides = [built("mlp"), built("mlp")]
    steps = [training(*sides[0]), mytorch.compile(training(*sides[1]))]
    calls = batches("mlp", 5, batch=8)
    calls.append(argument(*batches("mlp", 1, batch=8, seed=7)[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, (inputs, labels) in enumerate(calls):
            results = []
            replayed = replays(steps[1])
            for step in steps:
                changed_mode = mode is not None and index == len(calls) - 1
                with mode() if changed_mode else contextlib.nullcontext():
                    try:
                        results.append(("value", np.array(step(inputs, labels).data)))
                    except Exception as error:  # as eager raises, so must the compiled step
                        results.append(("error", type(error), str(error)))
            assert results[0][0] == results[1][0], (index, results)
            if results[0][0] == "value":
                assert results[0][1].tobytes() == results[1][1].tobytes(), index
    # Calls 3 to 5 replayed; the last, whatever it gave, did not replay their program.
    assert replays(steps[1]) == replayed == 3
    assert_same(*sides)


@pytest.mark.parametrize("change, what", [
    (lambda model, optimizer: setattr(optimizer, "lr", 0.05), "SGD.param_groups[0]['lr']"),
    (lambda model, optimizer: optimizer.param_groups[0].update(lr=0.05), "SGD.param_groups[0]['lr']"),
    (lambda model, optimizer: optimizer.add_param_group({"params": [nn.Parameter(np.ones(3))]}),
     "SGD.param_groups"),
    (lambda model, optimizer: model.eval(), "Dropout.training"),
    (lambda model, optimizer: model[0].requires_grad_(False), "requires_grad"),
    (lambda model, optimizer: optimizer.load_state_dict(optimizer.state_dict()), "SGD.state[<tensor"),
    (lambda model, optimizer: model.__setitem__(0, nn.Linear(30, 32)), "Sequential._modules['0']"),
])
def test_a_change_the_trace_depended_on_retraces(change, what):
    compiled = guarded_run(change, "dropout")
    # (A replaced layer's parameters are not the optimizer's: their .grads accumulate,
    # which a third trace follows.)
    assert compiled.explain().traces >= 2
    assert retraced_for(compiled, what)


def test_a_mode_the_trace_never_read_needs_no_retrace():
    """Without dropout or batch norm, eval mode changes nothing the step computes."""
    compiled = guarded_run(lambda model, optimizer: model.eval())
    assert compiled.explain().traces == 1


def test_a_learning_rate_schedule_per_epoch_stays_compiled():
    """A new learning rate each epoch retraces once an epoch; beyond 8 traces the least
    recently used gives way, since each was replayed all epoch."""
    sides = [built("mlp"), built("mlp")]
    schedulers = [optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9) for _, optimizer in sides]
    steps = [training(*sides[0]), mytorch.compile(training(*sides[1]))]
    data = batches("mlp", 10)
    for epoch in range(12):
        for x, y in data:
            assert steps[0](x, y).item() == steps[1](x, y).item()
        for scheduler in schedulers:
            scheduler.step()
    assert_same(*sides)
    explanation = steps[1].explain()
    assert explanation.break_reasons == [] and explanation.evicted == 12 - 8
    # Each epoch's trace is replayed for the rest of its epoch (all but its first call).
    assert [entry["replays"] for entry in explanation.entries] == [9] * 8


def test_a_learning_rate_changed_at_every_step_runs_eagerly_after_8_traces():
    model, optimizer = built("mlp")
    compiled = mytorch.compile(training(model, optimizer))
    x, y = batches("mlp", 1)[0]
    with pytest.warns(CompileWarning, match="replayed too little"):
        for index in range(12):
            optimizer.lr = 0.1 / (index + 1)
            compiled(x, y)
    assert compiled.explain().traces == 9  # 8, and the eager one


def test_loading_a_model_state_needs_no_retrace():
    """Module.load_state_dict copies into the same arrays, which a replay reads afresh."""
    saved = {}

    def change(model, optimizer):
        saved.setdefault(id(model), model.state_dict())
        model.load_state_dict({name: value * 0.5 for name, value in saved[id(model)].items()})

    compiled = guarded_run(change)
    assert compiled.explain().traces == 1


def test_a_global_the_step_reads_is_guarded():
    globals()["SCALE"] = 1.0
    model, optimizer = built("mlp")
    criterion = nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x) * SCALE, y)  # noqa: F821 (a module global, set above)
        loss.backward()
        optimizer.step()
        return loss

    compiled = mytorch.compile(step)
    x, y = batches("mlp", 1)[0]
    first = [compiled(x, y).item() for _ in range(2)]
    globals()["SCALE"] = 2.0
    model_e, optimizer_e = built("mlp")
    compiled(x, y)
    assert retraced_for(compiled, "SCALE")
    assert first[0] != first[1]


def test_a_step_that_sets_the_mode_itself_replays_the_change():
    """model.train() inside the step: its entry mode does not matter, and every replay
    leaves the model in training mode, as eager does."""
    sides = [built("dropout"), built("dropout")]

    def body(model, optimizer):
        step = training(model, optimizer)

        def train_step(x, y):
            model.train()
            return step(x, y)
        return train_step

    steps = [body(*sides[0]), mytorch.compile(body(*sides[1]))]
    for index, (x, y) in enumerate(batches("dropout", 6)):
        losses = []
        for (model, _), step in zip(sides, steps):
            model.eval()
            np.random.seed(index)
            losses.append(step(x, y).item())
            assert all(module.is_train for module in model.modules())
        assert losses[0] == losses[1]
    assert_same(*sides)
    assert steps[1].explain().traces == 1 and replays(steps[1]) == 6 - traced_calls(steps[1])


class Trainer:
    """A training step as a method, and as the object's __call__."""

    def __init__(self):
        self.model, self.optimizer = built("mlp")
        self.criterion = nn.CrossEntropyLoss()
        self.scale = 1.0

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(x) * self.scale, y)
        loss.backward()
        self.optimizer.step()
        return loss

    __call__ = step


def scaled_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x) * SCALE, y)  # noqa: F821 (a module global)
    loss.backward()
    optimizer.step()
    return loss


@pytest.mark.parametrize("kind", ["method", "object", "partial"])
def test_what_a_method_an_object_or_a_partial_step_reads_is_guarded(kind):
    trainer = Trainer()
    globals()["SCALE"] = 1.0
    compiled = mytorch.compile({"method": trainer.step, "object": trainer,
                                "partial": functools.partial(scaled_step, trainer.model,
                                                             trainer.optimizer)}[kind])
    data = batches("mlp", 4)
    for x, y in data[:3]:
        compiled(x, y)
    trainer.scale = 2.0
    globals()["SCALE"] = 2.0
    compiled(*data[3])
    assert retraced_for(compiled, "global 'SCALE'" if kind == "partial" else "Trainer.scale")


def test_a_compiled_function_called_while_another_traces_runs_inline():
    model, optimizer = built("mlp")
    inner = mytorch.compile(training(model, optimizer))
    outer = mytorch.compile(lambda x, y: inner(x, y) * 1.0)
    for x, y in batches("mlp", 3):
        outer(x, y)
    # (inner ran on its own only in outer's checks against eager)
    assert replays(outer) == 3 - traced_calls(outer) and replays(inner) == 0


# ------------------------------------------------------------------ what falls back to eager

def fallback_run(body, calls: int = 5, **compile_options):
    """Run a step built by `body(model, optimizer, criterion)` eagerly and compiled; they
    must agree. Returns (compiled step, CompileWarnings)."""
    sides = [built("mlp"), built("mlp")]
    steps = [body(*sides[0], nn.CrossEntropyLoss()),
             mytorch.compile(body(*sides[1], nn.CrossEntropyLoss()), **compile_options)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for x, y in batches("mlp", calls):
            np.random.seed(3)
            expected = steps[0](x, y).item()
            np.random.seed(3)
            assert steps[1](x, y).item() == expected
    assert_same(*sides)
    return steps[1], [str(w.message) for w in caught if w.category is CompileWarning]


def test_item_in_the_middle_runs_eagerly_with_its_reason():
    def body(model, optimizer, criterion):
        def step(x, y):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            if loss.item() > 2.0:  # a Python branch on a value that changes every call
                loss = loss * 0.5
            loss.backward()
            optimizer.step()
            return loss
        return step

    compiled, caught = fallback_run(body)
    reason = compiled.explain().break_reasons[0]
    assert ".item()" in reason and "changed" in reason and "test_compile.py" in reason
    assert len(caught) == 1 and reason in caught[0]


def test_a_stable_branch_on_values_is_guarded_and_falls_back_when_it_flips():
    def body(model, optimizer, criterion):
        def step(x, y):
            optimizer.zero_grad()
            out = model(x)
            if (out.data > 1).any():  # false for these batches until the last one
                out = out * 0.1
            loss = criterion(out, y)
            loss.backward()
            optimizer.step()
            return loss
        return step

    sides = [built("mlp"), built("mlp")]
    steps = [body(*sides[0], nn.CrossEntropyLoss()), mytorch.compile(body(*sides[1], nn.CrossEntropyLoss()))]
    data = batches("mlp", 5)
    data[4] = (Tensor(data[4][0].data * 1000), data[4][1])  # flips the branch
    for x, y in data:
        assert steps[0](x, y).item() == steps[1](x, y).item()
    assert_same(*sides)
    info = steps[1].explain().entries[0]
    assert (info["status"], info["fallbacks"]) == ("replayed", 1)
    assert info["replays"] == 5 - traced_calls(steps[1]) - 1


@pytest.mark.parametrize("body, reason", [
    (lambda model, optimizer, criterion: lambda x, y: _with_hook(model, optimizer, criterion, x, y),
     "register_hook"),
    (lambda model, optimizer, criterion: lambda x, y: _with_numpy_random(model, optimizer, criterion, x, y),
     "mytorch.random.draw"),
    (lambda model, optimizer, criterion: lambda x, y: _in_anomaly_mode(model, optimizer, criterion, x, y),
     "anomaly"),
])
def test_what_cannot_be_traced_runs_eagerly_with_its_reason(body, reason):
    compiled, caught = fallback_run(body)
    assert reason in compiled.explain().break_reasons[0]
    assert len(caught) == 1 and reason in caught[0]


def _with_hook(model, optimizer, criterion, x, y):
    optimizer.zero_grad()
    out = model(x)
    out.register_hook(lambda grad: grad * 2)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()
    return loss


def _with_numpy_random(model, optimizer, criterion, x, y):
    optimizer.zero_grad()
    loss = criterion(model(x) * Tensor(np.random.rand(10)), y)
    loss.backward()
    optimizer.step()
    return loss


def _in_anomaly_mode(model, optimizer, criterion, x, y):
    with mytorch.autograd.detect_anomaly():
        return training(model, optimizer)(x, y)


def test_draws_from_a_numpy_generator_run_eagerly_with_their_reason():
    """A np.random.Generator fills its output in C, out of the tracer's sight."""
    def body(model, optimizer, criterion):
        rng = np.random.default_rng(0)
        step = training(model, optimizer)
        return lambda x, y: step(Tensor(x.data + 0.01 * rng.standard_normal(x.shape)), y)

    compiled, caught = fallback_run(body)
    assert "np.empty" in compiled.explain().break_reasons[0] and len(caught) == 1


def test_anomaly_mode_at_call_time_runs_eagerly():
    model, optimizer = built("mlp")
    compiled = mytorch.compile(training(model, optimizer))
    x, y = batches("mlp", 1)[0]
    with mytorch.autograd.detect_anomaly(), pytest.warns(CompileWarning, match="anomaly"):
        assert compiled(x, y).grad_fn is not None  # an eager result
    compiled(x, y)
    assert compiled.explain().traces == 2


def test_an_array_leaked_out_of_the_tracer_is_caught_by_the_check_against_eager():
    """ndarray.view through the base class hands out plain memory the tracer cannot follow;
    what is computed from it is stale in a replay, which the first replay's check finds."""
    def body(model, optimizer, criterion):
        def step(x, y):
            optimizer.zero_grad()
            plain = np.ndarray.view(x.data, np.ndarray)
            loss = criterion(model(Tensor(plain * 2.0)), y)
            loss.backward()
            optimizer.step()
            return loss
        return step

    compiled, caught = fallback_run(body)
    assert "differed from eager" in compiled.explain().break_reasons[0]


def test_a_step_that_raises_while_traced_raises_as_eager_and_leaves_plain_arrays():
    model, optimizer = built("mlp")
    criterion = nn.CrossEntropyLoss()

    def failing(x, y):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        raise KeyError("after backward")

    compiled = mytorch.compile(failing)
    with pytest.raises(KeyError, match="after backward"):
        compiled(*batches("mlp", 1)[0])
    for param in model.parameters():  # set by the backward before the error, as eagerly
        assert type(param.grad.data) is np.ndarray and type(param.data) is np.ndarray
    assert compiled.explain().traces == 0


def test_fullgraph_raises_and_leaves_the_state_as_it_was():
    model, optimizer = built("mlp")
    before = [p.data.copy() for p in model.parameters()]
    compiled = mytorch.compile(lambda x, y: _with_hook(model, optimizer, nn.CrossEntropyLoss(), x, y),
                               fullgraph=True)
    with pytest.raises(RuntimeError, match="register_hook"):
        compiled(*batches("mlp", 1)[0])
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())


# ------------------------------------------------------------------ memory

def test_replay_memory_does_not_grow():
    """After a few calls (the interpreter's own caches), replays allocate nothing that stays:
    a leak of even the smallest gradient (10 floats) per call would show as 8 KB."""
    model, optimizer = built("gru")
    compiled = mytorch.compile(training(model, optimizer))
    data = batches("gru", 2)

    def calls(count):
        for index in range(count):
            compiled(*data[index % 2])
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    calls(5)
    tracemalloc.start()
    try:
        calls(50)
        first = calls(50)
        last = calls(100)
    finally:
        tracemalloc.stop()
    assert replays(compiled) == 205 - traced_calls(compiled)
    assert last - first < 1024, f"memory grew by {last - first} bytes over 100 replays"


def test_a_replay_frees_the_old_gradients_where_eager_does():
    """zero_grad drops the last step's gradients before the forward; the replay drops them
    there too, so its peak memory is no higher than eager's (not one more set of
    gradients: the first layer's alone is 784 x 64 floats, 401 KB)."""
    def peak(step, data):
        for x, y in data[:4]:  # the compiled step traces, checks and replays
            step(x, y)
        tracemalloc.start()
        try:
            for x, y in data[4:]:
                step(x, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    data = [(Tensor(np.random.default_rng(i).standard_normal((4, 784))), Tensor(np.arange(4)))
            for i in range(8)]
    peaks = []
    for compile_it in (False, True):
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        step = training(model, optim.SGD(model.parameters(), lr=0.1))
        peaks.append(peak(mytorch.compile(step) if compile_it else step, data))
    eager, compiled = peaks
    assert compiled <= eager + 16 * 1024, f"compiled peak {compiled} B, eager {eager} B"


# ------------------------------------------------------------------ the programs

def test_the_programs_compile_option_trains_the_same_model(tmp_path, monkeypatch, capsys):
    from hw1 import mnist as hw1_mnist
    from mytorch import cli
    rng = np.random.default_rng(0)
    x, y = rng.random((90, 784)), rng.integers(0, 10, 90)
    data = cli.Data(x[:60], y[:60], x[60:], y[60:], name="toy", held_out="validation",
                    source="memory")
    monkeypatch.setattr(cli, "load", lambda args: data)
    printed = []
    for option in ([], ["--compile"]):
        args = ["--batch-size", "16", "--plot", str(tmp_path / "p.png")] + option
        assert cli.train_classifier(args, description="d", epochs=2, plot="x.png",
                                    build_model=lambda: nn.Sequential(nn.Linear(784, 10))) == 0
        assert hw1_mnist.main(["--epochs", "2", "--batch-size", "16", "--plot",
                               str(tmp_path / "h.png")] + option) == 0
        printed.append([line for line in capsys.readouterr().out.splitlines()
                        if not line.startswith("time:")])
    assert printed[0] == printed[1]
    assert "--compile" in cli.make_parser("p", "d", plot="x.png", epochs=1, batch_size=1,
                                          lr=0.1, compile_option=True).format_help()
    # Not offered by default: a data-parallel step communicates where the tracer cannot see.
    assert "--compile" not in cli.make_parser("p", "d", plot="x.png", epochs=1, batch_size=1,
                                              lr=0.1).format_help()


def test_the_documentation_says_what_happens():
    """docs/compile.md's examples (tests/test_docs.py runs each and compares what it prints):
    the retrace example retraces twice, the fallback example falls back for `.item()`."""
    page = Path(__file__).resolve().parents[1] / "docs" / "compile.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)
    spaces = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        for index, block in enumerate(blocks):
            spaces.append({"__name__": "__main__"})
            exec(compile(block, f"docs/compile.md block {index + 1}", "exec"), spaces[-1])
    assert spaces[1]["step"].explain().traces == 3
    assert ".item()" in spaces[2]["noisy"].explain().break_reasons[0]


@pytest.mark.parametrize("network", ["gru", "cnn"])
def test_the_benchmarks_compiled_column_trains_as_its_eager_column(network):
    """bench/cnn.py and bench/gru.py build their compiled stepper as their eager one: the
    same model, optimizer and losses, bit for bit, so both columns time one computation."""
    from bench import cnn as bench_cnn, gru as bench_gru
    rng = np.random.default_rng(0)
    if network == "gru":
        params = bench_gru.init_params(rng, np.dtype(np.float64))
        make, shape, classes = bench_gru.mytorch_stepper, (2, bench_gru.STEPS, bench_gru.FEATURES), 10
    else:
        params = bench_cnn.init_params(rng)
        make, shape, classes = bench_cnn.mytorch_stepper, (3, 1, 28, 28), 10
    eager, compiled = make(params), make(params, compiled=True)
    for _ in range(5):
        x, y = rng.standard_normal(shape), rng.integers(0, classes, shape[0])
        assert eager(x, y) == compiled(x, y)
    assert replays(compiled.compiled) == 5 - traced_calls(compiled.compiled)


# ------------------------------------------------------------------ use

def test_decorator_forms():
    model, optimizer = built("mlp")

    @mytorch.compile
    def plain(x, y):
        return training(model, optimizer)(x, y)

    @mytorch.compile(fullgraph=True)
    def strict(x, y):
        return training(model, optimizer)(x, y)

    x, y = batches("mlp", 1)[0]
    for step in (plain, strict):
        assert isinstance(step, mytorch.jit.CompiledFunction) and step.__name__ in ("plain", "strict")
        for _ in range(3):
            step(x, y)
        assert replays(step) == 3 - traced_calls(step)


def test_a_tuple_of_results():
    model, optimizer = built("mlp")
    step = training(model, optimizer)

    def both(x, y):
        loss = step(x, y)
        return loss, loss * 2

    compiled = mytorch.compile(both)
    for x, y in batches("mlp", 4):
        loss, double = compiled(x, y)
        assert double.item() == 2 * loss.item()
    assert replays(compiled) == 2


def test_explain_says_what_happened():
    model, optimizer = built("mlp")
    compiled = mytorch.compile(training(model, optimizer))
    for x, y in batches("mlp", 4):
        compiled(x, y)
    text = str(compiled.explain())
    assert "1 trace(s), 1 more not kept" in text and "replayed" in text and "2 replay(s)" in text
    assert "an optimizer made its state" in text
    compiled.reset()
    assert compiled.explain().traces == 0


def test_a_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="callable.*int"):
        mytorch.compile(5)
    with pytest.raises(TypeError, match="fullgraph"):
        mytorch.compile(lambda: None, fullgraph="yes")


def test_a_step_that_returns_a_number_is_a_type_error_and_changes_nothing():
    model, optimizer = built("mlp")
    step = training(model, optimizer)
    compiled = mytorch.compile(lambda x, y: step(x, y).item())
    before = [p.data.copy() for p in model.parameters()]
    x, y = batches("mlp", 1)[0]
    with pytest.raises(TypeError, match=r"returned float .*return the loss itself"):
        compiled(x, y)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    assert optimizer_state(optimizer)[0].any() == False  # noqa: E712 (the momentum buffers)
