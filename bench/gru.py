"""The GRU training step of examples/mnist_gru.py, three ways: MyTorch, the same forward
and backward through time hand-written in NumPy, and PyTorch's CPU eager `torch.nn.GRU`.

Batch 100 of 28 time steps x 28 features, GRU(28, 64), the last hidden state into
Linear(64, 10), cross-entropy, and a plain SGD step (lr 0.1, as the other benchmarks: the
optimizer is not what is measured). PyTorch runs on one thread, as BLAS does.
"""
from typing import Dict, List, Optional

import numpy as np

from bench import timing
from bench.run import BATCH, CLASSES, LR, cross_entropy_and_grad
from mytorch import Tensor, nn, optim

STEPS, FEATURES, HIDDEN = 28, 28, 64


def init_params(rng: np.random.Generator, dtype: np.dtype) -> List[np.ndarray]:
    """[weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh, fc weight (10, H), fc bias],
    gates stacked (r, z, n) as PyTorch; U(+-1/sqrt(H)) for all, as PyTorch."""
    bound = 1 / np.sqrt(HIDDEN)
    shapes = [(3 * HIDDEN, FEATURES), (3 * HIDDEN, HIDDEN), (3 * HIDDEN,), (3 * HIDDEN,),
              (CLASSES, HIDDEN), (CLASSES,)]
    return [rng.uniform(-bound, bound, shape).astype(dtype) for shape in shapes]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def numpy_gru_step(params: List[np.ndarray], x: np.ndarray, labels: np.ndarray) -> float:
    """Forward, backward through time and SGD by hand; x is (B, T, I)."""
    w_ih, w_hh, b_ih, b_hh, w_fc, b_fc = params
    batch, steps, _ = x.shape
    hidden = w_hh.shape[1]
    xs = x.transpose(1, 0, 2).reshape(steps * batch, -1)
    projected = (xs @ w_ih.T + b_ih).reshape(steps, batch, -1)  # every step's input side
    h = np.zeros((batch, hidden), x.dtype)
    previous, saved = np.empty((steps, batch, hidden), x.dtype), []
    for t in range(steps):
        previous[t] = h
        recurrent = h @ w_hh.T + b_hh
        rz = _sigmoid(projected[t, :, :2 * hidden] + recurrent[:, :2 * hidden])
        hn = recurrent[:, 2 * hidden:]
        n = np.tanh(projected[t, :, 2 * hidden:] + rz[:, :hidden] * hn)
        h = n + rz[:, hidden:] * (h - n)
        saved.append((rz, n, hn))
    loss, grad_logits = cross_entropy_and_grad(h @ w_fc.T + b_fc, labels)
    grad_w_fc, grad_b_fc = grad_logits.T @ h, grad_logits.sum(axis=0)
    grad_h = grad_logits @ w_fc
    grad_ih = np.empty((steps, batch, 3 * hidden), x.dtype)
    grad_hh = np.empty_like(grad_ih)
    for t in reversed(range(steps)):
        rz, n, hn = saved[t]
        r, z = rz[:, :hidden], rz[:, hidden:]
        grad_n = grad_h * (1 - z) * (1 - n * n)
        grad_rz = np.concatenate([grad_n * hn, grad_h * (previous[t] - n)], axis=1) * rz * (1 - rz)
        grad_ih[t, :, :2 * hidden] = grad_hh[t, :, :2 * hidden] = grad_rz
        grad_ih[t, :, 2 * hidden:] = grad_n
        grad_hh[t, :, 2 * hidden:] = grad_n * r
        grad_h = grad_hh[t] @ w_hh + grad_h * z
    grad_ih, grad_hh = grad_ih.reshape(steps * batch, -1), grad_hh.reshape(steps * batch, -1)
    grads = [grad_ih.T @ xs, grad_hh.T @ previous.reshape(steps * batch, -1), grad_ih.sum(axis=0),
             grad_hh.sum(axis=0), grad_w_fc, grad_b_fc]
    for p, g in zip(params, grads):
        p -= LR * g
    return loss


class GRUClassifier(nn.Module):
    """The example's network: GRU(28, 64) over the rows, last hidden state -> Linear(64, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(FEATURES, HIDDEN, batch_first=True)
        self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        _, last = self.gru(x)
        return self.fc(last)


def mytorch_model(params: List[np.ndarray]) -> GRUClassifier:
    model = GRUClassifier()
    unit, hidden = model.gru.unit, HIDDEN
    for side, weight, bias in (("i", params[0], params[2]), ("h", params[1], params[3])):
        for k, gate in enumerate("rzn"):
            getattr(unit, f"weight_{side}{gate}").data = weight[k * hidden:(k + 1) * hidden].copy()
            getattr(unit, f"bias_{side}{gate}").data = bias[k * hidden:(k + 1) * hidden].copy()
    model.fc.weight.data, model.fc.bias.data = params[4].copy(), params[5].copy()
    return model


def mytorch_stepper(params: List[np.ndarray]) -> timing.Step:
    model = mytorch_model(params)
    return timing.mytorch_stepper(model, optim.SGD(model.parameters(), lr=LR))


def torch_stepper(params: List[np.ndarray]) -> Optional[timing.Step]:
    """The same step with `torch.nn.GRU` on one thread, or None without torch."""
    torch = timing.import_torch()
    if torch is None:
        return None
    dtype = getattr(torch, params[0].dtype.name)
    gru = torch.nn.GRU(FEATURES, HIDDEN, batch_first=True).to(dtype)
    fc = torch.nn.Linear(HIDDEN, CLASSES).to(dtype)
    with torch.no_grad():
        for target, value in zip([gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0,
                                  fc.weight, fc.bias], params):
            target.copy_(torch.from_numpy(value))
    optimizer = torch.optim.SGD(list(gru.parameters()) + list(fc.parameters()), lr=LR)
    return timing.torch_stepper(torch, lambda x: fc(gru(x)[1][0]), optimizer)


def measure_dtype(dtype: np.dtype, repeats: int, steps: int) -> Dict[str, float]:
    """Alternate the steppers `repeats` times; median µs/step each and median ratio to NumPy."""
    rng = np.random.default_rng(0)
    params = init_params(rng, dtype)
    batches = [(rng.standard_normal((BATCH, STEPS, FEATURES)).astype(dtype),
                rng.integers(0, CLASSES, BATCH)) for _ in range(steps)]
    numpy_params = [p.copy() for p in params]
    steppers = {"numpy": lambda x, y: numpy_gru_step(numpy_params, x, y),
                "mytorch": mytorch_stepper(params), "torch": torch_stepper(params)}
    return timing.compare(f"GRU(28, 64) + Linear(64, 10), 28 steps, {dtype.name}", steppers,
                          batches, repeats)


def measure(repeats: int, steps: int) -> Dict[str, Dict[str, float]]:
    """The GRU step in float32 (the example's dtype), then float64."""
    return {dtype: measure_dtype(np.dtype(dtype), repeats, steps) for dtype in ("float32", "float64")}
