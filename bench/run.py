"""Microseconds per training step: MyTorch against the same step hand-written in NumPy.

    python -m bench [--repeats 15] [--steps 50] [--system-malloc]

Each network trains on random batches of 100 (CrossEntropyLoss, SGD lr 0.1), in float64
and then in float32 (the MyTorch model converted with `model.float()`).
The hand-written step does exactly the same arithmetic with no autograd: it is the floor
an autograd library on NumPy can approach. The two (and PyTorch's CPU eager mode, when
torch is importable) alternate in one process, `--repeats` rounds of `--steps` steps
each, and the median per-round ratio is reported, since these machines are noisy.

Two settings apply to every side alike. BLAS and PyTorch run one thread (bench/timing.py,
with threadpoolctl): on two cores, threads that spin between these small matrix products
made every timing depend on what else the machine ran.
And glibc is asked to keep freed memory (`--system-malloc` skips this): by default it
hands each freed megabyte-sized array back to the kernel, so every step of the wide
network page-faults its temporaries in afresh and the timings measure the kernel.
"""
import argparse
import ctypes
from typing import Dict, List

import numpy as np

from bench import timing
from mytorch import nn, optim

BATCH, CLASSES, LR, EPS = 100, 10, 0.1, 1e-5
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _init(sizes: List[int], rng: np.random.Generator) -> List[np.ndarray]:
    """PyTorch-style uniform initialisation of the Linear layers' (weight, bias) pairs."""
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, fan_out)]
    return params


def cross_entropy_and_grad(logits: np.ndarray, labels: np.ndarray):
    """Mean cross-entropy of `logits` (N, C) for class indices `labels`, and its gradient."""
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    grad /= n
    return -log_probs[rows, labels].sum() / n, grad


def numpy_handout_step(params: List[np.ndarray], state: List[np.ndarray], x: np.ndarray,
                       labels: np.ndarray) -> float:
    """Linear -> BatchNorm1d -> ReLU -> Linear -> cross-entropy, backward and SGD, by hand."""
    w1, b1, gamma, beta, w2, b2 = params
    running_mean, running_var = state
    n = x.shape[0]
    z1 = x @ w1.T + b1
    mean = z1.mean(axis=0)
    centered = z1 - mean
    var = np.mean(centered * centered, axis=0)
    running_mean *= 0.9
    running_mean += 0.1 * mean
    running_var *= 0.9
    running_var += 0.1 * var * n / (n - 1)
    inv_std = 1 / np.sqrt(var + EPS)
    x_hat = centered * inv_std
    bn = x_hat * gamma + beta
    a1 = np.maximum(bn, 0)
    loss, dz2 = cross_entropy_and_grad(a1 @ w2.T + b2, labels)
    dw2, db2 = dz2.T @ a1, dz2.sum(axis=0)
    dbn = (dz2 @ w2) * (bn > 0)
    dgamma, dbeta = (dbn * x_hat).sum(axis=0), dbn.sum(axis=0)
    dz1 = gamma * inv_std * (dbn - dbeta / n - x_hat * (dgamma / n))
    dw1, db1 = dz1.T @ x, dz1.sum(axis=0)
    for p, g in zip(params, (dw1, db1, dgamma, dbeta, dw2, db2)):
        p -= LR * g
    return loss


def numpy_mlp_step(params: List[np.ndarray], state: List[np.ndarray], x: np.ndarray,
                   labels: np.ndarray) -> float:
    """(Linear -> ReLU) * k -> Linear -> cross-entropy, backward and SGD, by hand."""
    activations = [x]
    for w, b in zip(params[:-2:2], params[1:-2:2]):
        activations.append(np.maximum(activations[-1] @ w.T + b, 0))
    loss, grad = cross_entropy_and_grad(activations[-1] @ params[-2].T + params[-1], labels)
    grads = []
    for layer in reversed(range(len(params) // 2)):
        w = params[2 * layer]
        grads[:0] = [grad.T @ activations[layer], grad.sum(axis=0)]
        if layer:
            grad = (grad @ w) * (activations[layer] > 0)
    for p, g in zip(params, grads):
        p -= LR * g
    return loss


def mytorch_model(sizes: List[int], batch_norm: bool, params: List[np.ndarray]) -> nn.Sequential:
    layers: List[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(fan_out)] if batch_norm else []
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
    for layer, (w, b) in zip(linears, zip(params[::2], params[1::2])):
        layer.weight.data, layer.bias.data = w.copy(), b.copy()
    return model


def torch_stepper(sizes: List[int], batch_norm: bool, params: List[np.ndarray]):
    """The same network in PyTorch's CPU eager mode on one thread, in the params' dtype, or
    None without torch."""
    torch = timing.import_torch()
    if torch is None:
        return None
    dtype = getattr(torch, params[0].dtype.name)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out).to(dtype)
        linear.weight.data = torch.tensor(params[2 * i].copy())
        linear.bias.data = torch.tensor(params[2 * i + 1].copy())
        layers.append(linear)
        if i < len(sizes) - 2:
            layers += [torch.nn.BatchNorm1d(fan_out).to(dtype)] if batch_norm else []
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    return timing.torch_stepper(torch, model, torch.optim.SGD(model.parameters(), lr=LR))


def measure(name: str, sizes: List[int], batch_norm: bool, repeats: int,
            steps: int) -> Dict[str, Dict[str, float]]:
    """`measure_dtype` in each of DTYPES: {dtype name: its results}."""
    return {dtype.name: measure_dtype(f"{name} {dtype.name}", sizes, batch_norm, repeats, steps, dtype)
            for dtype in DTYPES}


def measure_dtype(name: str, sizes: List[int], batch_norm: bool, repeats: int, steps: int,
                  dtype: np.dtype) -> Dict[str, float]:
    """Alternate the steppers `repeats` times; median µs/step each and median ratio to NumPy."""
    rng = np.random.default_rng(0)
    params = [p.astype(dtype) for p in _init(sizes, rng)]
    batches = [(rng.standard_normal((BATCH, sizes[0])).astype(dtype), rng.integers(0, CLASSES, BATCH))
               for _ in range(steps)]
    numpy_params = [p.copy() for p in params]
    if batch_norm:
        hidden = sizes[1]
        numpy_params[2:2] = [np.ones(hidden, dtype), np.zeros(hidden, dtype)]
        state = [np.zeros(hidden, dtype), np.ones(hidden, dtype)]
        numpy_step = numpy_handout_step
    else:
        state = []
        numpy_step = numpy_mlp_step
    model = mytorch_model(sizes, batch_norm, params).to(dtype)
    steppers = {
        "numpy": lambda x, y: numpy_step(numpy_params, state, x, y),
        "mytorch": timing.mytorch_stepper(model, optim.SGD(model.parameters(), lr=LR)),
        "torch": torch_stepper(sizes, batch_norm, params),
    }
    return timing.compare(name, steppers, batches, repeats)


def retain_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse; False where that is not possible."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
                and libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024))


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="alternating rounds (default 15)")
    parser.add_argument("--steps", type=int, default=50, help="training steps per round (default 50)")
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's malloc settings as they are")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.steps < 1:
        parser.error(f"--repeats and --steps must be positive, got {args.repeats} and {args.steps}")
    retained = not args.system_malloc and retain_freed_memory()
    with timing.one_thread():
        print(f"batch {BATCH}, float64 then float32, SGD lr {LR}; median of {args.repeats} "
              f"alternating rounds of {args.steps} steps; ratios are against the hand-written "
              f"NumPy step")
        print(f"threads: {timing.describe_threads()}, PyTorch 1; "
              f"malloc: {'freed memory retained' if retained else 'system default'}")
        measure("handout 784-20(BatchNorm1d)-10", [784, 20, 10], True, args.repeats, args.steps)
        measure("wide 784-256-256-10", [784, 256, 256, 10], False, args.repeats, args.steps)
        # The MNIST CNN's step costs ~100x an MLP step, so it runs a tenth of the steps per round.
        from bench import cnn
        cnn.run(args.repeats, max(1, args.steps // 10))
        # The GRU step of examples/mnist_gru.py.
        from bench import gru
        gru.measure(args.repeats, max(1, args.steps // 5))

if __name__ == "__main__":
    main()
