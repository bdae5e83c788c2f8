#!/usr/bin/env python3
"""The local autograder of 11-785 Spring 2025 HW1P1, run from the tree's root:

    python3 autograder/hw1p1_autograder.py                 # every section
    python3 autograder/hw1p1_autograder.py MLP4 "Batch Norm"  # only these

Checks each section of the handout against references written here in plain NumPy
and against central differences, prints a line per section with the reason for any
failure, `Total score: N/100` and the handout's JSON line `{"scores": {...}}`.
A section scores all its points or none. Exits 0 only with full marks. Needs NumPy
(and SciPy for GELU's erf, as the handout allows).
"""
import argparse
import json
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

# Set before NumPy loads: on these tiny matrices BLAS threads only cost time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tree's root

RTOL, ATOL = 1e-8, 1e-10         # closed forms, float64: rounding only
FD_RTOL, FD_ATOL, FD_EPS = 1e-6, 1e-8, 1e-6
WIDTH = 72


# --------------------------------------------------------------------------- checks

def assert_close(actual: object, expected: np.ndarray, what: str, rtol: float = RTOL,
                 atol: float = ATOL) -> None:
    """An ndarray of the expected shape, equal to `expected` within tolerance."""
    if not isinstance(actual, np.ndarray):
        raise AssertionError(f"{what}: expected an ndarray, got {type(actual).__name__}")
    if actual.shape != np.shape(expected):
        raise AssertionError(f"{what}: shape {actual.shape}, expected {np.shape(expected)}")
    error = np.abs(actual - expected)
    if not np.all(error <= atol + rtol * np.abs(expected)):  # NaN fails too
        raise AssertionError(f"{what}: differs from the reference by up to {np.nanmax(error):.3g}"
                             f"\n  got      {actual.ravel()[:6]}\n  expected "
                             f"{np.ravel(expected)[:6]}")


def numerical_gradient(f: Callable[[], float], x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of x."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + FD_EPS
        plus = f()
        x[index] = saved - FD_EPS
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * FD_EPS)
    return grad


def assert_gradient(analytic: np.ndarray, f: Callable[[], float], x: np.ndarray,
                    what: str) -> None:
    assert_close(analytic, numerical_gradient(f, x), what + " (vs central differences)",
                 FD_RTOL, FD_ATOL)


def away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values with |x| in [0.1, 2], so no central difference straddles ReLU's kink."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)


# ------------------------------------------------------------------ plain references

def erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf)(x)


REFERENCE = {
    "Identity": lambda z: z,
    "Sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "Tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "ReLU": lambda z: z * (z > 0),
    "GELU": lambda z: z * (1 + erf(z / math.sqrt(2))) / 2,
    "Softmax": lambda z: np.exp(z - z.max(axis=1, keepdims=True))
    / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
}


def ref_linear(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ni,oi->no", A, W) + b[:, 0]


def ref_mlp(A: np.ndarray, params: List[tuple]) -> List[np.ndarray]:
    """[A0, Z0, A1, Z1, ...] of a Linear -> ReLU chain."""
    values = [A]
    for W, b in params:
        values.append(ref_linear(values[-1], W, b))
        values.append(np.maximum(values[-1], 0))
    return values


def ref_batchnorm(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, M: np.ndarray,
                  V: np.ndarray) -> np.ndarray:
    return BW * (Z - M) / np.sqrt(V + 1e-8) + Bb


# ------------------------------------------------------------------------ sections

def check_linear() -> None:
    from mytorch.nn import Linear

    rng = np.random.default_rng(1)
    for n, fan_in, fan_out in [(4, 2, 3), (1, 5, 1), (7, 3, 6)]:
        layer = Linear(fan_in, fan_out, debug=True)
        assert layer.W.shape == (fan_out, fan_in) and layer.b.shape == (fan_out, 1), \
            f"Linear({fan_in}, {fan_out}): W {layer.W.shape}, b {layer.b.shape}"
        assert not layer.W.any() and not layer.b.any(), "W and b must start at zero"
        layer.W, layer.b = rng.standard_normal((fan_out, fan_in)), rng.standard_normal((fan_out, 1))
        A, R = rng.standard_normal((n, fan_in)), rng.standard_normal((n, fan_out))
        assert_close(layer.forward(A), ref_linear(A, layer.W, layer.b), "Z")
        dLdA = layer.backward(R)
        assert_close(layer.dLdA, dLdA, "linear.dLdA (kept in debug mode)")
        probe = lambda: float(np.sum(R * ref_linear(A, layer.W, layer.b)))  # noqa: E731
        assert_gradient(dLdA, probe, A, "dLdA")
        assert_gradient(layer.dLdW, probe, layer.W, "dLdW")
        assert_gradient(layer.dLdb, probe, layer.b, "dLdb")


def check_activations() -> None:
    from mytorch import nn

    rng = np.random.default_rng(2)
    for name, reference in REFERENCE.items():
        for Z in (away_from_zero(rng, (5, 4)), away_from_zero(rng, (3, 6)) * 4):
            R = rng.standard_normal(Z.shape)
            layer = getattr(nn, name)()
            assert_close(layer.forward(Z), reference(Z), f"{name}.forward")
            assert_gradient(layer.backward(R), lambda: float(np.sum(R * reference(Z))), Z,
                            f"{name}.backward")
    huge = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        for name in ("Sigmoid", "Tanh", "Softmax"):
            out = getattr(nn, name)().forward(huge)
            assert np.all(np.isfinite(out)), f"{name}.forward overflows at |Z| = 1000: {out}"
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("Tanh.forward calls np.tanh, which the handout forbids")

    original, np.tanh = np.tanh, forbidden
    try:
        nn.Tanh().forward(np.ones((2, 2)))
    finally:
        np.tanh = original


def check_mlp(model_name: str, sizes: Sequence[int]) -> Callable[[], None]:
    def check() -> None:
        import models

        rng = np.random.default_rng(len(sizes))
        model = getattr(models, model_name)(debug=True)
        linears = model.layers[::2]
        shapes = [layer.W.shape for layer in linears]
        expected_shapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
        assert shapes == expected_shapes, f"weights {shapes}, expected {expected_shapes}"
        params = []
        for layer in linears:
            layer.W = rng.standard_normal(layer.W.shape)
            layer.b = rng.standard_normal(layer.b.shape)
            params.append((layer.W, layer.b))
        A0 = away_from_zero(rng, (6, sizes[0]))
        expected = ref_mlp(A0, params)
        assert_close(model.forward(A0), expected[-1], f"{model_name}.forward")
        for i, value in enumerate(expected):
            assert_close(model.A[i], value, f"{model_name}.A[{i}]")
            name = f"{'AZ'[i % 2]}{i // 2}"
            assert_close(getattr(model, name), value, f"{model_name}.{name}")
        R = rng.standard_normal(expected[-1].shape)
        probe = lambda: float(np.sum(R * ref_mlp(A0, params)[-1]))  # noqa: E731
        dLdA0 = model.backward(R)
        assert_gradient(dLdA0, probe, A0, f"{model_name} dLdA0")
        assert_close(model.dLdA[0], dLdA0, f"{model_name}.dLdA[0]")
        assert_close(model.dLdA0, dLdA0, f"{model_name}.dLdA0")
        assert_close(model.dLdA[-1], R, f"{model_name}.dLdA[-1]")
        for k, (layer, (W, b)) in enumerate(zip(linears, params)):
            assert_gradient(layer.dLdW, probe, W, f"{model_name} layer {2 * k} dLdW")
            assert_gradient(layer.dLdb, probe, b, f"{model_name} layer {2 * k} dLdb")
            # dL/dZk: the gradient at layer 2k's output, by the handout's name.
            assert_close(getattr(model, f"dLdZ{k}"), model.dLdA[2 * k + 1], f"dLdZ{k}")
    return check


def check_losses() -> None:
    from mytorch.nn import CrossEntropyLoss, MSELoss

    rng = np.random.default_rng(4)
    A = rng.standard_normal((5, 3)) * 2
    Y = np.eye(3)[rng.integers(0, 3, 5)]
    references = {
        "MSELoss": lambda: float(np.mean((A - Y) ** 2)),
        "CrossEntropyLoss": lambda: float(np.mean(
            np.log(np.exp(A).sum(axis=1)) - np.sum(Y * A, axis=1))),
    }
    for cls in (MSELoss, CrossEntropyLoss):
        criterion = cls()
        L = criterion.forward(A, Y)
        assert isinstance(L, np.floating), \
            f"{cls.__name__}.forward returned {type(L).__name__}, expected a NumPy scalar"
        assert_close(np.asarray(L), np.asarray(references[cls.__name__]()), cls.__name__)
        assert_gradient(criterion.backward(), references[cls.__name__], A,
                        f"{cls.__name__}.backward")
    # Probabilities rather than one-hot rows, and logits that would overflow exp.
    Y = rng.dirichlet(np.ones(3), 5)
    huge = A * 1000
    expected = np.mean(np.log(np.exp(huge - huge.max(axis=1, keepdims=True)).sum(axis=1))
                       + huge.max(axis=1) - np.sum(Y * huge, axis=1))
    assert_close(np.asarray(CrossEntropyLoss().forward(huge, Y)), np.asarray(expected),
                 "CrossEntropyLoss at |A| ~ 1000")


def check_sgd() -> None:
    from mytorch.nn import Linear, ReLU
    from mytorch.optim import SGD

    rng = np.random.default_rng(5)
    for momentum in (0.0, 0.9):
        class Model:
            layers = [Linear(3, 2), ReLU(), Linear(2, 4)]

        linears = Model.layers[::2]
        for layer in linears:
            layer.W, layer.b = rng.standard_normal(layer.W.shape), rng.standard_normal(layer.b.shape)
        expected = [(layer.W.copy(), layer.b.copy()) for layer in linears]
        velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in expected]
        optimizer = SGD(Model, lr=0.3, momentum=momentum)
        for _ in range(3):
            for k, layer in enumerate(linears):
                layer.dLdW = rng.standard_normal(layer.W.shape)
                layer.dLdb = rng.standard_normal(layer.b.shape)
                vW = momentum * velocity[k][0] + layer.dLdW
                vb = momentum * velocity[k][1] + layer.dLdb
                velocity[k] = (vW, vb)
                expected[k] = (expected[k][0] - 0.3 * vW, expected[k][1] - 0.3 * vb)
            optimizer.step()
        for k, layer in enumerate(linears):
            assert_close(layer.W, expected[k][0], f"W of layer {2 * k}, momentum {momentum}")
            assert_close(layer.b, expected[k][1], f"b of layer {2 * k}, momentum {momentum}")


def check_batchnorm() -> None:
    from mytorch.nn import BatchNorm1d

    rng = np.random.default_rng(6)
    bn = BatchNorm1d(3, alpha=0.8)
    bn.BW, bn.Bb = rng.uniform(0.5, 2.0, (1, 3)), rng.standard_normal((1, 3))
    running_M, running_V = np.zeros((1, 3)), np.ones((1, 3))
    for _ in range(2):
        Z = rng.standard_normal((6, 3)) * 2 + 1
        M, V = Z.mean(axis=0, keepdims=True), ((Z - Z.mean(axis=0)) ** 2).mean(axis=0, keepdims=True)
        assert_close(bn.forward(Z), ref_batchnorm(Z, bn.BW, bn.Bb, M, V), "BZ (training)")
        running_M, running_V = 0.8 * running_M + 0.2 * M, 0.8 * running_V + 0.2 * V
        assert_close(bn.running_M, running_M, "running_M")
        assert_close(bn.running_V, running_V, "running_V")
    R = rng.standard_normal(Z.shape)

    def probe() -> float:
        M, V = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
        return float(np.sum(R * ref_batchnorm(Z, bn.BW, bn.Bb, M, V)))

    assert_gradient(bn.backward(R), probe, Z, "dLdZ")
    assert_gradient(bn.dLdBW, probe, bn.BW, "dLdBW")
    assert_gradient(bn.dLdBb, probe, bn.Bb, "dLdBb")
    Z = rng.standard_normal((4, 3))
    assert_close(bn.forward(Z, eval=True), ref_batchnorm(Z, bn.BW, bn.Bb, running_M, running_V),
                 "BZ (eval)")
    assert_close(bn.running_M, running_M, "running_M after an eval forward")


# The handout's sections and points: 100 in all.
SECTIONS = {
    "Linear Layer": (15, check_linear),
    "Activation": (10, check_activations),
    "MLP0": (10, check_mlp("MLP0", [2, 3])),
    "MLP1": (10, check_mlp("MLP1", [2, 3, 2])),
    "MLP4": (15, check_mlp("MLP4", [2, 4, 8, 8, 4, 2])),
    "Loss": (10, check_losses),
    "SGD": (10, check_sgd),
    "Batch Norm": (20, check_batchnorm),
}


def run(names: Sequence[str]) -> Dict[str, int]:
    """Run the named sections, print a line each (and why one failed), return the scores."""
    scores = {}
    for name in names:
        points, check = SECTIONS[name]
        try:
            check()
            failure = None
        except AssertionError as exc:
            failure = str(exc)
        except Exception as exc:  # a crash costs this section only
            frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[-3:])
            failure = f"{type(exc).__name__}: {exc}\n{''.join(frames).rstrip()}"
        scores[name] = 0 if failure else points
        result = f"{scores[name]}/{points}"
        print(f"{name} {'.' * max(2, WIDTH - len(name) - len(result) - 2)} {result}")
        if failure:
            print("    " + failure.replace("\n", "\n    "))
    return scores


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="hw1p1_autograder.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"run only these ({', '.join(SECTIONS)})")
    names = parser.parse_args(argv).sections or list(SECTIONS)
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(map(repr, unknown))}; choose from "
                     f"{', '.join(SECTIONS)}")
    print("Autograder for 11-785 Spring 2025 HW1P1")
    print("-" * WIDTH)
    scores = run(list(dict.fromkeys(names)))
    total = sum(SECTIONS[name][0] for name in scores)
    print("-" * WIDTH)
    print(f"Total score: {sum(scores.values())}/{total}")
    print(json.dumps({"scores": scores}))
    return 0 if sum(scores.values()) == total else 1


if __name__ == "__main__":
    sys.exit(main())
