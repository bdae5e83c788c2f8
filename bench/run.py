"""Time one training step of each course network: MyTorch eager (and compiled, where
`mytorch.compile` exists), the same step written by hand in NumPy, and PyTorch's CPU eager
mode, side by side in one process.

The networks: the handout's MLP (784-20, BatchNorm1d, ReLU, 10), a wide MLP
(784-256-256-10) and a deep one (eight hidden layers of width 64), here; the MNIST CNN
(bench/cnn.py) and the GRU at batch 100 and 1 (bench/gru.py) in their own modules. Each
trains on random batches of 100 (cross-entropy; SGD lr 0.1 for the MLPs) in float64 and
float32. "memory" is the GRU's peak memory over a 10,000-step sequence, against the
arrays its backward needs.

The hand-written NumPy step does the same arithmetic with no autograd, as tightly as a
careful person would write it (in place where that is free, no `np.mean` wrappers): the
floor an autograd library on NumPy can approach, and the baseline of every ratio. The
contenders alternate, `--repeats` timed rounds of `--steps` steps each after a warm-up
round; each round takes them in a shuffled order, and each contender's turn starts with
an untimed step, so that no one's timed steps run in the caches another left. Each line
and the table at the end give the baseline's fastest and median time per step, and each
other contender's ratio to it: the ratio of the fastest rounds, and the median of the
per-round ratios (the number to quote: the machine is noisy).

MyTorch compiled is the eager step under `mytorch.compile`, with a model and optimizer of
its own: its first calls (the warm-up round, at least timing.WARM_UP calls) trace the
step and check the first replay against eager bit for bit; the timed calls replay. The
table's last column is its ratio to PyTorch's eager mode.

Two settings apply to every side alike. BLAS and PyTorch run one thread (bench/timing.py):
on two cores, threads that spin between these small matrix products made every timing
depend on what else the machine ran. And glibc is asked to keep freed memory
(`--system-malloc` skips this): by default it hands each freed megabyte-sized array back to
the kernel, so every step of the wide network page-faults its temporaries in afresh and
the timings measure the kernel.

NumPy and PyTorch do not share a BLAS: PyTorch's wheels bring Intel MKL, NumPy's
OpenBLAS. Where the matrix products dominate (the wide MLP), that difference is most of
PyTorch's lead; the last lines time the wide step's matrix products alone in each.
"""
import argparse
import ctypes
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from threadpoolctl import threadpool_info

import mytorch
from bench import timing
from mytorch import nn, optim

BATCH, CLASSES, LR, EPS = 100, 10, 0.1, 1e-5
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# name: (layer sizes, whether a BatchNorm1d follows each hidden Linear)
NETWORKS = {
    "handout": ([784, 20, 10], True),
    "wide": ([784, 256, 256, 10], False),
    "deep": ([784] + [64] * 8 + [10], False),
}
Params = List[np.ndarray]  # the Linear layers' (weight, bias) pairs, flattened
# (layer sizes, batch_norm, params) -> each contender's step, NumPy's first
Steppers = Optional[Callable[[List[int], bool, Params], Dict[str, Optional[timing.Step]]]]


def describe(sizes: List[int], batch_norm: bool) -> str:
    """e.g. '784-20(BatchNorm1d)-10', '784-64x8-10'."""
    hidden = sizes[1:-1]
    if len(hidden) > 2 and len(set(hidden)) == 1:
        middle = f"{hidden[0]}x{len(hidden)}"
    else:
        middle = "-".join(map(str, hidden))
    return f"{sizes[0]}-{middle}{'(BatchNorm1d)' if batch_norm else ''}-{sizes[-1]}"


def _init(sizes: List[int], rng: np.random.Generator) -> Params:
    """PyTorch-style uniform initialisation of the Linear layers' (weight, bias) pairs."""
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, fan_out)]
    return params


# ------------------------------------------------------------------ hand-written NumPy

def cross_entropy_and_grad(logits: np.ndarray, labels: np.ndarray):
    """Mean cross-entropy of `logits` (N, C) for class indices `labels`, and its gradient
    with respect to the logits. Overwrites `logits`."""
    n = logits.shape[0]
    rows = np.arange(n)
    logits -= logits.max(axis=1, keepdims=True)
    grad = np.exp(logits)
    total = grad.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - logits[rows, labels].sum()) / n
    total *= n
    grad /= total  # softmax / n
    grad[rows, labels] -= 1 / n
    return float(loss), grad


def sgd(params: Params, grads: List[np.ndarray]) -> None:
    """p -= lr * g, in place, the gradients used as scratch."""
    for p, g in zip(params, grads):
        g *= LR
        p -= g


def numpy_handout_step(params: Params, state: List[np.ndarray], x: np.ndarray,
                       labels: np.ndarray) -> float:
    """Linear -> BatchNorm1d -> ReLU -> Linear -> cross-entropy, backward and SGD, by hand.
    params: w1, b1, gamma, beta, w2, b2; state: the running mean and variance."""
    w1, b1, gamma, beta, w2, b2 = params
    running_mean, running_var = state
    n = x.shape[0]
    z = x @ w1.T
    z += b1
    mean = z.sum(axis=0) / n
    z -= mean                                   # centred
    var = (z * z).sum(axis=0) / n
    running_mean *= 0.9
    running_mean += 0.1 * mean
    running_var *= 0.9
    running_var += (0.1 * n / (n - 1)) * var
    inv_std = 1 / np.sqrt(var + EPS)
    z *= inv_std                                # x_hat
    x_hat = z
    a = x_hat * gamma
    a += beta
    np.maximum(a, 0, out=a)                     # ReLU(BatchNorm(z)); a > 0 where it passes
    logits = a @ w2.T
    logits += b2
    loss, grad_logits = cross_entropy_and_grad(logits, labels)
    grad_w2, grad_b2 = grad_logits.T @ a, grad_logits.sum(axis=0)
    grad_bn = grad_logits @ w2
    grad_bn *= a > 0
    grad_gamma, grad_beta = (grad_bn * x_hat).sum(axis=0), grad_bn.sum(axis=0)
    # dz = gamma / std * (dbn - dbeta / n - x_hat * dgamma / n), in grad_bn's memory
    x_hat *= grad_gamma / n
    grad_bn -= x_hat
    grad_bn -= grad_beta / n
    grad_bn *= gamma * inv_std
    grad_w1, grad_b1 = grad_bn.T @ x, grad_bn.sum(axis=0)
    sgd(params, [grad_w1, grad_b1, grad_gamma, grad_beta, grad_w2, grad_b2])
    return loss


def numpy_mlp_step(params: Params, state: List[np.ndarray], x: np.ndarray,
                   labels: np.ndarray) -> float:
    """(Linear -> ReLU) * k -> Linear -> cross-entropy, backward and SGD, by hand."""
    activations = [x]
    for w, b in zip(params[:-2:2], params[1:-2:2]):
        z = activations[-1] @ w.T
        z += b
        activations.append(np.maximum(z, 0, out=z))
    logits = activations[-1] @ params[-2].T
    logits += params[-1]
    loss, grad = cross_entropy_and_grad(logits, labels)
    grads: List[np.ndarray] = []
    for layer in reversed(range(len(params) // 2)):
        grads[:0] = [grad.T @ activations[layer], grad.sum(axis=0)]
        if layer:
            grad = grad @ params[2 * layer]
            grad *= activations[layer] > 0
    sgd(params, grads)
    return loss


def numpy_stepper(sizes: List[int], batch_norm: bool, params: Params) -> timing.Step:
    params = [p.copy() for p in params]
    if not batch_norm:
        return lambda x, labels: numpy_mlp_step(params, [], x, labels)
    hidden, dtype = sizes[1], params[0].dtype
    params[2:2] = [np.ones(hidden, dtype), np.zeros(hidden, dtype)]  # gamma, beta
    state = [np.zeros(hidden, dtype), np.ones(hidden, dtype)]
    return lambda x, labels: numpy_handout_step(params, state, x, labels)


# --------------------------------------------------------------------- MyTorch, PyTorch

def mytorch_model(sizes: List[int], batch_norm: bool, params: Params) -> nn.Sequential:
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
    return model.to(params[0].dtype)


def mytorch_steppers(sizes: List[int], batch_norm: bool,
                     params: Params) -> Dict[str, Optional[timing.Step]]:
    """MyTorch eager and compiled, each with a model and optimizer of its own."""
    steppers = {}
    for key, make in (("mytorch", timing.mytorch_stepper), ("compiled", timing.compiled_stepper)):
        model = mytorch_model(sizes, batch_norm, params)
        steppers[key] = make(model, optim.SGD(model.parameters(), lr=LR))
    return steppers


def torch_stepper(sizes: List[int], batch_norm: bool, params: Params) -> Optional[timing.Step]:
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


def steppers(sizes: List[int], batch_norm: bool, params: Params) -> Dict[str, Optional[timing.Step]]:
    """Every contender's step, in the table's order, NumPy first."""
    return {"numpy": numpy_stepper(sizes, batch_norm, params),
            **mytorch_steppers(sizes, batch_norm, params),
            "torch": torch_stepper(sizes, batch_norm, params)}


def batches(sizes: List[int], count: int, rng: np.random.Generator, dtype: np.dtype):
    return [(rng.standard_normal((BATCH, sizes[0])).astype(dtype), rng.integers(0, CLASSES, BATCH))
            for _ in range(count)]


def largest_loss_difference(sizes: List[int], batch_norm: bool, dtype: np.dtype,
                            steps: int = 3, make: Steppers = None) -> float:
    """The contenders' losses (`make`'s steppers, by default `steppers`) over `steps` steps
    from the same start: the largest relative difference from the first one's, NumPy's. A
    hand-written step that drifted from the network shows here."""
    rng = np.random.default_rng(1)
    params = [p.astype(dtype) for p in _init(sizes, rng)]
    stepping = [step for step in (make or steppers)(sizes, batch_norm, params).values() if step is not None]
    worst = 0.0
    for x, labels in batches(sizes, steps, rng, dtype):
        losses = [step(x, labels) for step in stepping]
        worst = max(worst, max(abs(loss - losses[0]) / abs(losses[0]) for loss in losses))
    return worst


def measure(name: str, repeats: int, steps: int, make: Steppers = None) -> List[timing.Result]:
    """One network in each of DTYPES, with `make`'s steppers (by default `steppers`)."""
    make = make or steppers
    sizes, batch_norm = NETWORKS[name]
    results = []
    for dtype in DTYPES:
        title = f"{name} {describe(sizes, batch_norm)} {dtype.name}"
        difference = largest_loss_difference(sizes, batch_norm, dtype, make=make)
        print(f"{title}: the losses agree to {difference:.1e} (relative)", flush=True)
        rng = np.random.default_rng(0)
        params = [p.astype(dtype) for p in _init(sizes, rng)]
        results.append(timing.compare(title, make(sizes, batch_norm, params),
                                      batches(sizes, steps, rng, dtype), repeats))
    return results


def gemm_comparison(repeats: int) -> List[str]:
    """The wide step's eight matrix products alone, NumPy's BLAS against PyTorch's, one
    thread each, alternating: how much of PyTorch's lead on that network is its BLAS."""
    torch = timing.import_torch()
    if torch is None:
        return []
    sizes = NETWORKS["wide"][0]
    lines = []
    for dtype in DTYPES:
        rng = np.random.default_rng(0)
        weights = [rng.standard_normal((fan_out, fan_in)).astype(dtype)
                   for fan_in, fan_out in zip(sizes, sizes[1:])]
        inputs = [rng.standard_normal((BATCH, size)).astype(dtype) for size in sizes[:-1]]
        grads = [rng.standard_normal((BATCH, size)).astype(dtype) for size in sizes[1:]]

        def products(library: Callable[[np.ndarray], object]) -> timing.Step:
            w, a, g = ([library(m) for m in group] for group in (weights, inputs, grads))

            def step(_x: np.ndarray, _labels: np.ndarray) -> float:
                for layer in range(len(w)):
                    a[layer] @ w[layer].T            # forward
                    g[layer].T @ a[layer]            # weight gradient
                    if layer:
                        g[layer] @ w[layer]          # input gradient
                return 0.0
            return step

        result = timing.compare(f"the wide step's matrix products alone, {dtype.name}",
                                {"numpy": products(lambda m: m), "torch": products(torch.from_numpy)},
                                [(None, None)] * 10, repeats)
        lines.append(f"{dtype.name}: PyTorch's (MKL) take {result.ratios('torch')[1]:.2f}x the time "
                     f"of NumPy's ({result.cell('numpy')})")
    return lines


def blas_libraries() -> str:
    """Which BLAS each library uses: NumPy's from threadpoolctl, PyTorch's from its build."""
    numpy_blas = sorted({pool["internal_api"] for pool in threadpool_info()
                         if pool["user_api"] == "blas"}) or ["unknown"]
    torch = timing.import_torch()
    if torch is None:
        return f"NumPy's BLAS: {', '.join(numpy_blas)}"
    torch_blas = "MKL" if torch.backends.mkl.is_available() else "not MKL (see torch.__config__.show())"
    return f"NumPy's BLAS: {', '.join(numpy_blas)}; PyTorch's: {torch_blas}"


def retain_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse; False where that is not possible."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
                and libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024))


def run_cnn(repeats: int, steps: int) -> object:
    # The MNIST CNN's step costs ~100x an MLP step, so it runs a tenth of the steps per round.
    from bench import cnn
    return cnn.run(repeats, max(1, steps // 10))


def run_gru(repeats: int, steps: int) -> object:
    # The GRU step of examples/mnist_gru.py, at batch 100 (a fifth of the steps per round)
    # and at batch 1 (ten times that).
    from bench import gru
    return gru.measure(repeats, max(1, steps // 5))


def run_memory(repeats: int, steps: int) -> object:
    # Not a timing: the GRU's peak memory over one 10,000-step sequence against the arrays
    # backward needs; it prints its own lines.
    from bench import gru
    gru.memory(10_000)
    return []


BENCHMARKS: Dict[str, Callable[[int, int], object]] = {
    **{name: (lambda repeats, steps, name=name: measure(name, repeats, steps)) for name in NETWORKS},
    "cnn": run_cnn,
    "gru": run_gru,
    "memory": run_memory,
}


def parse_args(argv: Optional[List[str]] = None, prog: str = "python3 -m bench", doc: str = __doc__,
               choices: Sequence[str] = tuple(BENCHMARKS), default: Sequence[str] = ()) -> argparse.Namespace:
    """The command line of a benchmark of `choices` (bench/run.py's, or bench/floor.py's):
    its help is `doc`, the first two paragraphs before the options; no networks named
    means `default`, or all of them."""
    paragraphs = doc.split("\n\n")
    parser = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="\n\n".join(paragraphs[:2]), epilog="\n\n".join(paragraphs[2:]))
    parser.add_argument("networks", nargs="*", metavar="network",
                        help=f"which networks to time: any of {', '.join(choices)} "
                             f"(default: {' '.join(default) or 'all'})")
    parser.add_argument("--repeats", type=int, default=15, help="alternating timed rounds (default 15)")
    parser.add_argument("--steps", type=int, default=50,
                        help="MLP training steps per round (default 50; the CNN and the GRU of python3 -m bench run a fifth)")
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's malloc settings as they are")
    args = parser.parse_args(argv)
    unknown = [name for name in args.networks if name not in choices]
    if unknown:
        parser.error(f"unknown network {unknown[0]!r}; choose from {', '.join(choices)}")
    if args.repeats < 1 or args.steps < 1:
        parser.error(f"--repeats and --steps must be positive, got {args.repeats} and {args.steps}")
    args.networks = args.networks or list(default or choices)
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    retained = not args.system_malloc and retain_freed_memory()
    with timing.one_thread():
        print(f"batch {BATCH}, float64 then float32; {args.repeats} alternating rounds per "
              f"comparison; min / median over the rounds: times for hand-written NumPy, "
              f"ratios to it for the others")
        print(f"threads: {timing.describe_threads()}, PyTorch 1; "
              f"malloc: {'freed memory retained' if retained else 'system default'}; {blas_libraries()}")
        if not hasattr(mytorch, "compile"):
            print("MyTorch compiled: not timed (this MyTorch has no mytorch.compile)")
        results = []
        for name in args.networks:
            results += timing.flatten(BENCHMARKS[name](args.repeats, args.steps))
        notes = gemm_comparison(args.repeats) if "wide" in args.networks else []
    if results:
        print()
        print(timing.table(results))
    for note in notes:
        print(note)
