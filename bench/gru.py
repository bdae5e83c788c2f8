"""The GRU training step of examples/mnist_gru.py, four ways: the same forward and backward
through time hand-written in NumPy, MyTorch eager and compiled, and PyTorch's CPU eager
`torch.nn.GRU`; and the memory a long sequence keeps for backward.

    python3 -m bench.gru [--repeats 15] [--steps 10]     # time, batch 1 and 100, f32 and f64
    python3 -m bench.gru --memory [--length 10000]        # peak memory of one long sequence

Batches of 28 time steps x 28 features, GRU(28, 64), the last hidden state into
Linear(64, 10), cross-entropy, and a plain SGD step (lr 0.1, as the other benchmarks: the
optimizer is not what is measured). Everything runs on one thread. Batch 1 runs ten times
the steps per round of batch 100.
"""
import argparse
import tracemalloc
from typing import Any, Dict, List, Optional

import numpy as np

from bench import timing
from bench.run import BATCH, CLASSES, LR, cross_entropy_and_grad, retain_freed_memory
from mytorch import Tensor, nn, optim

STEPS, FEATURES, HIDDEN = 28, 28, 64
DTYPES = ("float32", "float64")


def init_params(rng: np.random.Generator, dtype: np.dtype) -> List[np.ndarray]:
    """[weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh, fc weight (10, H), fc bias],
    gates stacked (r, z, n) as PyTorch; U(+-1/sqrt(H)) for all, as PyTorch."""
    bound = 1 / np.sqrt(HIDDEN)
    shapes = [(3 * HIDDEN, FEATURES), (3 * HIDDEN, HIDDEN), (3 * HIDDEN,), (3 * HIDDEN,),
              (CLASSES, HIDDEN), (CLASSES,)]
    return [rng.uniform(-bound, bound, shape).astype(dtype) for shape in shapes]


def _sigmoid_(a: np.ndarray) -> None:
    """a = 1 / (1 + exp(-a)), in place, without overflow."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def numpy_gru_step(params: List[np.ndarray], x: np.ndarray, labels: np.ndarray) -> float:
    """Forward, backward through time and SGD by hand; x is (B, T, I). As MyTorch's op does
    it: in place wherever that is free, the input side of every step and each weight
    gradient in one product, and the gates [r, z] and n in arrays of their own, so that a
    step's rows of each are contiguous (NumPy is 2-3x slower on strided column slices)."""
    w_ih, w_hh, b_ih, b_hh, w_fc, b_fc = params
    batch, steps, _ = x.shape
    hidden = w_hh.shape[1]
    xs = x.transpose(1, 0, 2).reshape(steps * batch, -1)
    # Every step's input side, made the gates in place; r and z add both biases, once here.
    rz_all = xs @ w_ih[:2 * hidden].T
    rz_all += b_ih[:2 * hidden]
    rz_all += b_hh[:2 * hidden]
    n_all = xs @ w_ih[2 * hidden:].T
    n_all += b_ih[2 * hidden:]
    rz_all = rz_all.reshape(steps, batch, 2 * hidden)
    n_all = n_all.reshape(steps, batch, hidden)
    w_rz, w_n, b_hn = w_hh[:2 * hidden], w_hh[2 * hidden:], b_hh[2 * hidden:]
    hn = np.empty((steps, batch, hidden), x.dtype)
    states = np.empty((steps + 1, batch, hidden), x.dtype)  # h_0 = 0, then every h_t
    states[0] = 0
    for t in range(steps):
        rz, n, h = rz_all[t], n_all[t], states[t + 1]
        rz += states[t] @ w_rz.T
        _sigmoid_(rz)
        np.matmul(states[t], w_n.T, out=hn[t])
        hn[t] += b_hn
        n += rz[:, :hidden] * hn[t]
        np.tanh(n, out=n)
        np.subtract(states[t], n, out=h)
        h *= rz[:, hidden:]
        h += n
    last = states[steps]
    loss, grad_logits = cross_entropy_and_grad(last @ w_fc.T + b_fc, labels)
    grad_w_fc, grad_b_fc = grad_logits.T @ last, grad_logits.sum(axis=0)
    grad_h = grad_logits @ w_fc
    grad_rz_all, grad_n_all = np.empty_like(rz_all), np.empty_like(n_all)
    grad_nr = np.empty((batch, hidden), x.dtype)  # a step's dn * r
    for t in reversed(range(steps)):
        rz, n, grad_rz, grad_n = rz_all[t], n_all[t], grad_rz_all[t], grad_n_all[t]
        one_minus = 1 - rz
        np.multiply(grad_h, one_minus[:, hidden:], out=grad_n)
        grad_n *= 1 - n * n
        np.multiply(grad_n, hn[t], out=grad_rz[:, :hidden])
        np.subtract(states[t], n, out=grad_rz[:, hidden:])
        grad_rz[:, hidden:] *= grad_h
        one_minus *= rz
        grad_rz *= one_minus
        np.multiply(grad_n, rz[:, :hidden], out=grad_nr)
        grad_h *= rz[:, hidden:]
        grad_h += grad_rz @ w_rz
        grad_h += grad_nr @ w_n
    rows = steps * batch
    grad_rz_all, grad_n_all = grad_rz_all.reshape(rows, -1), grad_n_all.reshape(rows, -1)
    grad_w_ih = np.concatenate([grad_rz_all.T @ xs, grad_n_all.T @ xs])
    grad_b_ih = np.concatenate([grad_rz_all.sum(axis=0), grad_n_all.sum(axis=0)])
    grad_n_all *= rz_all.reshape(rows, -1)[:, :hidden]  # the hidden side: dn * r
    previous = states[:steps].reshape(rows, -1)
    grad_w_hh = np.concatenate([grad_rz_all.T @ previous, grad_n_all.T @ previous])
    grad_b_hh = grad_b_ih.copy()  # the two sides differ only in the n gate's columns
    grad_b_hh[2 * hidden:] = grad_n_all.sum(axis=0)
    for p, g in zip(params, (grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, grad_w_fc, grad_b_fc)):
        p -= LR * g
    return loss


class GRUClassifier(nn.Module):
    """The example's network: GRU(28, 64) over the rows, last hidden state -> Linear(64, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(FEATURES, HIDDEN, batch_first=True)
        self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def mytorch_stepper(params: List[np.ndarray], compiled: bool = False) -> Optional[timing.Step]:
    """MyTorch's step, eager or through `mytorch.compile` (None in a MyTorch without it),
    training a model and optimizer of its own from `params`."""
    model = GRUClassifier().to(params[0].dtype)
    state = dict(zip(["gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0",
                      "fc.weight", "fc.bias"], params))
    model.load_state_dict({name: value.copy() for name, value in state.items()})
    optimizer = optim.SGD(model.parameters(), lr=LR)
    return (timing.compiled_stepper if compiled else timing.mytorch_stepper)(model, optimizer)


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
    return timing.torch_stepper(torch, lambda x: fc(gru(x)[1][-1]), optimizer)


def measure_case(batch: int, dtype: np.dtype, repeats: int, steps: int):
    """Alternate the steppers `repeats` rounds of `steps` steps; timing.compare's result."""
    rng = np.random.default_rng(0)
    params = init_params(rng, dtype)
    batches = [(rng.standard_normal((batch, STEPS, FEATURES)).astype(dtype),
                rng.integers(0, CLASSES, batch)) for _ in range(steps)]
    numpy_params = [p.copy() for p in params]
    steppers = {"numpy": lambda x, y: numpy_gru_step(numpy_params, x, y),
                "mytorch": mytorch_stepper(params),
                "compiled": mytorch_stepper(params, compiled=True), "torch": torch_stepper(params)}
    return timing.compare(f"GRU(28, 64) + Linear(64, 10), 28 steps, batch {batch}, {dtype.name}",
                          steppers, batches, repeats)


def measure(repeats: int, steps: int) -> Dict[str, Any]:
    """The step at batch 1 (10 x `steps` steps a round) and at batch 100, float32 (the
    example's dtype) then float64."""
    return {f"batch {batch}, {dtype}": measure_case(batch, np.dtype(dtype), repeats,
                                                    steps * (10 if batch == 1 else 1))
            for batch in (1, BATCH) for dtype in DTYPES}


def backward_bytes(length: int, batch: int, dtype: np.dtype) -> int:
    """What backward through time needs kept, as the hand-written step keeps it: five
    (batch, H) arrays per step (h_prev, r, z, n and h W_hn.T + b_hn)."""
    return 5 * length * batch * HIDDEN * np.dtype(dtype).itemsize


def peak_bytes(length: int, dtype: np.dtype) -> int:
    """tracemalloc's peak over MyTorch's forward and backward of GRU(28, 64) on one sequence
    of `length` steps (batch 1), counted from after the input exists. Only h_n is kept, as
    in the example's classifier, where the output of every step is dropped in forward."""
    gru = nn.GRU(FEATURES, HIDDEN).to(dtype)
    x = Tensor(np.random.default_rng(0).standard_normal((length, 1, FEATURES)).astype(dtype))
    tracemalloc.start()
    try:
        h_n = gru(x)[1]
        h_n.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def memory(length: int) -> Dict[str, float]:
    """Print and return the peak over the arrays backward needs, float32 and float64."""
    result = {}
    for dtype in DTYPES:
        peak, needed = peak_bytes(length, np.dtype(dtype)), backward_bytes(length, 1, dtype)
        result[dtype] = peak / needed
        print(f"GRU(28, 64), one sequence of {length} steps, batch 1, {dtype}: peak "
              f"{peak / 1e6:.2f} MB, the arrays backward needs {needed / 1e6:.2f} MB: "
              f"{peak / needed:.2f}x")
    return result


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="alternating rounds (default 15)")
    parser.add_argument("--steps", type=int, default=10,
                        help="training steps per round at batch 100 (default 10; x10 at batch 1)")
    parser.add_argument("--memory", action="store_true",
                        help="measure the peak memory of one long sequence instead")
    parser.add_argument("--length", type=int, default=10_000,
                        help="that sequence's length (default 10000)")
    args = parser.parse_args(argv)
    if min(args.repeats, args.steps, args.length) < 1:
        parser.error("--repeats, --steps and --length must be positive")
    if args.memory:
        memory(args.length)
        return
    retain_freed_memory()
    with timing.one_thread():
        print(f"threads: {timing.describe_threads()}, PyTorch 1; {args.repeats} alternating "
              "rounds; ratios against the hand-written NumPy step")
        measure(args.repeats, args.steps)


if __name__ == "__main__":
    main()
