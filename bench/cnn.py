"""Milliseconds per training step of the MNIST CNN: MyTorch (eager and compiled),
hand-written NumPy, PyTorch.

    python -m bench.cnn [--repeats 10] [--steps 5] [--batch 100] [--layouts] [--profile]

The network of examples/mnist_cnn.py: Conv2d(1, 8, 5) -> ReLU -> MaxPool2d(2) ->
Conv2d(8, 16, 5) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(256, 10), cross-entropy and
Adam (lr 0.01) on random batches of 28 x 28 images (100 unless --batch), in float64 and
float32.

The hand-written step is the best NumPy we could write for exactly this network, with no
autograd: each convolution is one `as_strided` view copied into one matrix of columns and
one `np.matmul` each way; the input gradient of the second folds the columns back with
one slice add per kernel offset (the first needs no input gradient); the 2 x 2 pools take
the maximum of 4 strided slices of a reshaped view; ReLU works in place. Each layer keeps
the layout that measured fastest for it, as MyTorch's convolution chooses (see
mytorch/ops/conv.py): the first convolution one (25, 576) matrix per image; the second
batch-last, its input (8, 12, 12, N) and columns (200, 64 N), so that the fold adds rows
of 8 N contiguous elements instead of 8. (A channel-last variant, (N, H, W, C) activations
with (N * positions, C * k * k) rows, was 1.1-1.4x slower.)

`--layouts` times MyTorch's step with the columns forced into each layout, against the
layout its cost model chooses. PyTorch runs eagerly; it and BLAS run on one thread
(bench/timing.py), and glibc keeps freed memory for reuse, as in bench/run.py.
Alternating rounds, per-round ratios to the first contender.
"""
import argparse
import cProfile
import io
import math
import pstats
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from bench import timing
from mytorch import nn, optim
from mytorch.ops import conv as conv_ops

BATCH, CLASSES, LR = 100, 10, 0.01
BETAS, EPS = (0.9, 0.999), 1e-8
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
as_strided = np.lib.stride_tricks.as_strided


def init_params(rng: np.random.Generator) -> List[np.ndarray]:
    """PyTorch-style U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases, PyTorch's layouts."""
    shapes = [((8, 1, 5, 5), 25), ((16, 8, 5, 5), 200), ((10, 256), 256)]
    params = []
    for shape, fan_in in shapes:
        bound = 1 / math.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, shape), rng.uniform(-bound, bound, shape[0])]
    return params


# ------------------------------------------------------------------ hand-written NumPy

def _columns(x: np.ndarray, k: int) -> np.ndarray:
    """im2col of x (N, C, H, W) for a k x k kernel, stride 1, one matrix per image:
    (N, C * k * k, Ho * Wo)."""
    n, c, h, w = x.shape
    s = x.strides
    view = as_strided(x, (n, c, k, k, h - k + 1, w - k + 1), (s[0], s[1], s[2], s[3], s[2], s[3]))
    return view.reshape(n, c * k * k, -1)


def _columns_batch_last(x: np.ndarray, k: int) -> np.ndarray:
    """im2col of x (C, H, W, N) for a k x k kernel, stride 1: (C * k * k, Ho * Wo * N)."""
    c, h, w, n = x.shape
    s = x.strides
    view = as_strided(x, (c, k, k, h - k + 1, w - k + 1, n), (s[0], s[1], s[2], s[1], s[2], s[3]))
    return view.reshape(c * k * k, -1)


def _fold_batch_last(columns: np.ndarray, shape: Tuple[int, ...], k: int) -> np.ndarray:
    """The adjoint of _columns_batch_last: add each column back where it was read from,
    one slice add (over rows of Wo * N contiguous elements) per kernel offset."""
    c, h, w, n = shape
    ho, wo = h - k + 1, w - k + 1
    columns = columns.reshape(c, k, k, ho, wo, n)
    out = np.zeros(shape, columns.dtype)
    for i in range(k):
        for j in range(k):
            out[:, i:i + ho, j:j + wo] += columns[:, i, j]
    return out


def _pool(x: np.ndarray, axes: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """2 x 2 max pool of x over its two spatial `axes`; returns the output and the offset
    (0-3) of each window's first maximum, PyTorch's rule for ties, counted as the number
    of offsets before it."""
    h, w = axes
    shape = list(x.shape)
    shape[h:h + 1], shape[w + 1:w + 2] = [x.shape[h] // 2, 2], [x.shape[w] // 2, 2]
    windows = x.reshape(shape)
    take = [slice(None)] * len(shape)
    offsets = []
    for i in range(2):
        for j in range(2):
            take[h + 1], take[w + 2] = i, j
            offsets.append(windows[tuple(take)])
    out = np.maximum(offsets[0], offsets[1])
    np.maximum(out, offsets[2], out=out)
    np.maximum(out, offsets[3], out=out)
    arg = np.zeros(out.shape, np.uint8)
    found = offsets[0] == out
    for index in (1, 2, 3):
        arg += ~found
        if index < 3:
            found |= offsets[index] == out
    return out, arg


def _unpool(grad: np.ndarray, arg: np.ndarray, axes: Tuple[int, int]) -> np.ndarray:
    """The gradient of _pool: each window's gradient written at its maximum, 0 elsewhere."""
    h, w = axes
    shape = list(grad.shape)
    shape[h:h + 1], shape[w + 1:w + 2] = [grad.shape[h], 2], [grad.shape[w], 2]
    out = np.empty(shape, grad.dtype)
    take = [slice(None)] * len(shape)
    for k in range(4):
        take[h + 1], take[w + 2] = k // 2, k % 2
        np.multiply(arg == k, grad, out=out[tuple(take)])
    merged = list(grad.shape)
    merged[h], merged[w] = 2 * grad.shape[h], 2 * grad.shape[w]
    return out.reshape(merged)


def numpy_stepper(params: List[np.ndarray]) -> timing.Step:
    """The network by hand. Each layer keeps the layout that is fastest for it (measured,
    see the module docstring): the first convolution one column matrix per image, as it
    needs no input gradient; the second batch-last (C, H, W, N), so its input gradient
    folds over long rows, and its ReLU, pooling and Flatten stay in that layout."""
    weights = [params[0].reshape(8, -1).copy(), params[1][:, None].copy(),
               params[2].reshape(16, -1).copy(), params[3][:, None].copy(),
               params[4].copy(), params[5].copy()]
    m = [np.zeros_like(p) for p in weights]
    v = [np.zeros_like(p) for p in weights]
    t = [0]

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        w1, b1, w2, b2, w3, b3 = weights
        n = x.shape[0]
        columns1 = _columns(x, 5)                              # (n, 25, 576)
        a1 = np.matmul(w1, columns1)                           # (n, 8, 576)
        a1 += b1
        np.maximum(a1, 0, out=a1)                              # ReLU in place: a1 > 0 is its mask
        p1, arg1 = _pool(a1.reshape(n, 8, 24, 24), (2, 3))     # (n, 8, 12, 12)
        x2 = np.ascontiguousarray(p1.transpose(1, 2, 3, 0))    # (8, 12, 12, n)
        columns2 = _columns_batch_last(x2, 5)                  # (200, 64 n)
        a2 = w2 @ columns2                                     # (16, 64 n)
        a2 += b2
        np.maximum(a2, 0, out=a2)
        p2, arg2 = _pool(a2.reshape(16, 8, 8, n), (1, 2))      # (16, 4, 4, n)
        flat = np.ascontiguousarray(p2.reshape(256, n).T)      # (n, 256), PyTorch's Flatten order
        logits = flat @ w3.T
        logits += b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.log(total[:, 0]).sum() / n - shifted[rows, labels].sum() / n)
        dlogits = exp
        dlogits /= total
        dlogits[rows, labels] -= 1
        dlogits /= n
        dw3, db3 = dlogits.T @ flat, dlogits.sum(axis=0)
        dp2 = (dlogits @ w3).T.reshape(16, 4, 4, n)
        dz2 = _unpool(dp2, arg2, (1, 2)).reshape(16, -1)
        dz2 *= a2 > 0
        dw2, db2 = dz2 @ columns2.T, dz2.sum(axis=1)
        dx2 = _fold_batch_last(w2.T @ dz2, x2.shape, 5)       # (8, 12, 12, n)
        dz1 = _unpool(dx2.transpose(3, 0, 1, 2), arg1, (2, 3)).reshape(n, 8, 576)
        dz1 *= a1 > 0
        dw1, db1 = np.matmul(dz1, columns1.transpose(0, 2, 1)).sum(axis=0), dz1.sum(axis=(0, 2))
        t[0] += 1
        beta1, beta2 = BETAS
        step_size = LR / (1 - beta1 ** t[0])
        correction = math.sqrt(1 - beta2 ** t[0])
        for p, g, m_, v_ in zip(weights, (dw1, db1[:, None], dw2, db2[:, None], dw3, db3), m, v):
            m_ *= beta1
            m_ += (1 - beta1) * g
            v_ *= beta2
            v_ += (1 - beta2) * g * g
            denominator = np.sqrt(v_)
            denominator /= correction
            denominator += EPS
            p -= step_size * m_ / denominator
        return loss

    return step


# --------------------------------------------------------------------- MyTorch, PyTorch

def mytorch_model() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 10))


def mytorch_stepper(params: List[np.ndarray], compiled: bool = False) -> Optional[timing.Step]:
    """MyTorch's step, eager or through `mytorch.compile` (None in a MyTorch without it),
    training a model and optimizer of its own from `params`."""
    model = mytorch_model()
    for param, value in zip(model.parameters(), params):
        param.data = value.copy()
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    return (timing.compiled_stepper if compiled else timing.mytorch_stepper)(model, optimizer)


def torch_stepper(params: List[np.ndarray]) -> Optional[timing.Step]:
    """The same network in PyTorch's CPU eager mode on one thread, or None without torch."""
    torch = timing.import_torch()
    if torch is None:
        return None
    dtype = getattr(torch, params[0].dtype.name)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 5),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(256, 10)).to(dtype)
    for param, value in zip(model.parameters(), params):
        param.data = torch.tensor(value.copy())
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    return timing.torch_stepper(torch, model, optimizer)


def _batches(rng: np.random.Generator, steps: int, dtype: np.dtype, batch: int = BATCH):
    return [(rng.standard_normal((batch, 1, 28, 28)).astype(dtype), rng.integers(0, CLASSES, batch))
            for _ in range(steps)]


def check_same_losses(dtype: np.dtype) -> float:
    """The steppers' losses over 3 steps agree (the largest relative difference)."""
    rng = np.random.default_rng(1)
    params = [p.astype(dtype) for p in init_params(rng)]
    steppers = [step for step in (numpy_stepper(params), mytorch_stepper(params),
                                  mytorch_stepper(params, compiled=True), torch_stepper(params))
                if step is not None]
    worst = 0.0
    for x, labels in _batches(rng, 3, dtype):
        losses = [step(x, labels) for step in steppers]
        worst = max(worst, max(abs(loss - losses[0]) / abs(losses[0]) for loss in losses))
    return worst


def measure(repeats: int, steps: int, dtype: np.dtype, batch: int = BATCH) -> Any:
    """Alternate the steppers `repeats` times; `timing.compare`'s result."""
    rng = np.random.default_rng(0)
    params = [p.astype(dtype) for p in init_params(rng)]
    batches = _batches(rng, steps, dtype, batch)
    steppers = {"numpy": numpy_stepper(params), "mytorch": mytorch_stepper(params),
                "compiled": mytorch_stepper(params, compiled=True), "torch": torch_stepper(params)}
    return timing.compare(f"MNIST CNN {dtype.name}, batch {batch}", steppers, batches, repeats,
                          unit="ms")


def _with_row_cost(step: timing.Step, row_cost: Optional[int]) -> timing.Step:
    """`step` with the convolution's layout cost model set to `row_cost` while it runs:
    0 never chooses batch-last, a huge cost always does (where the input gradient is
    needed), None leaves the model as it is."""
    if row_cost is None:
        return step

    def forced(x: np.ndarray, labels: np.ndarray) -> float:
        chosen = conv_ops.ROW_COST
        conv_ops.ROW_COST = row_cost
        try:
            return step(x, labels)
        finally:
            conv_ops.ROW_COST = chosen

    return forced


def measure_layouts(repeats: int, steps: int, dtype: np.dtype, batch: int = BATCH) -> Any:
    """MyTorch's step with every convolution's columns per sample, with the second's
    batch-last (the first needs no input gradient, so it stays per sample), and as the
    cost model chooses."""
    rng = np.random.default_rng(0)
    params = [p.astype(dtype) for p in init_params(rng)]
    batches = _batches(rng, steps, dtype, batch)
    steppers = {name: _with_row_cost(mytorch_stepper(params), cost)
                for name, cost in (("per_sample", 0), ("batch_last", 10 ** 9), ("chosen", None))}
    return timing.compare(f"MNIST CNN layouts {dtype.name}, batch {batch}", steppers, batches,
                          repeats, unit="ms")


def profile(dtype: np.dtype, steps: int = 20) -> str:
    """The top of MyTorch's step profile: where the time goes."""
    rng = np.random.default_rng(0)
    step = mytorch_stepper([p.astype(dtype) for p in init_params(rng)])
    batches = _batches(rng, steps, dtype)
    step(*batches[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for x, labels in batches:
        step(x, labels)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def run(repeats: int, steps: int, batch: int = BATCH) -> Dict[str, Any]:
    """Every dtype; what `python -m bench` calls."""
    for dtype in DTYPES:
        difference = check_same_losses(dtype)
        print(f"MNIST CNN {dtype.name}: the steppers' losses agree to {difference:.1e} (relative)")
    return {dtype.name: measure(repeats, steps, dtype, batch) for dtype in DTYPES}


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--steps", type=int, default=5, help="training steps per round (default 5)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"images per step (default {BATCH})")
    parser.add_argument("--layouts", action="store_true",
                        help="time MyTorch with the convolutions' columns in each layout instead")
    parser.add_argument("--profile", action="store_true", help="print MyTorch's float32 profile")
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's malloc settings as they are")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.steps < 1 or args.batch < 1:
        parser.error(f"--repeats, --steps and --batch must be positive, got {args.repeats}, "
                     f"{args.steps} and {args.batch}")
    from bench.run import retain_freed_memory  # bench.run imports this module

    if not args.system_malloc:
        retain_freed_memory()
    with timing.one_thread():
        if args.layouts:
            for dtype in DTYPES:
                measure_layouts(args.repeats, args.steps, dtype, args.batch)
        else:
            run(args.repeats, args.steps, args.batch)
        if args.profile:
            print(profile(np.dtype(np.float32)))


if __name__ == "__main__":
    main()
