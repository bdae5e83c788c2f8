"""How fast can an eager step on these ops be? The MLP steps of bench/run.py driven by the
least machinery that records one graph node per op, beside NumPy by hand, MyTorch eager
and compiled.

The floor step calls MyTorch's own ops (`Linear`, `BatchNorm`, `ReLU`, `CrossEntropy`:
their forward and backward, with the checks inside them) in the network's order, each
through a bare apply that keeps a node on a tape, then runs the tape backwards and
updates each parameter with BLAS's axpy. It has none of the rest: no argument rules,
version counters or gradient checks, no modules, no optimizer object, no hooks. So

- floor / NumPy is what recording a node per op costs on these ops, whatever the library
  around them: an eager step cannot be faster than that while it runs these ops;
- eager / floor is what MyTorch's machinery around the ops costs (its modules, the checks
  of Function.apply, the engine and the optimizer).

The floor computes what eager computes: its losses and parameters equal eager's
(tests/test_bench.py). It is not a library: it handles these networks and nothing else.
"""
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from bench import run, timing
from mytorch import Tensor, nn
from mytorch.autograd_engine import ContextManager
from mytorch.ops.activations import ReLU
from mytorch.ops.linear import Linear
from mytorch.ops.losses import CrossEntropy
from mytorch.ops.normalization import BatchNorm
from mytorch.optim.optimizer import _axpy

Node = Tuple[type, ContextManager, List[Tuple[int, Any]]]  # (op, its context, (position, input))


def _apply(tape: List[Node], op: type, *args: Any) -> Tensor:
    """`op`'s forward on `args`; when an input requires grad, its node goes on the tape."""
    needs = tuple(isinstance(arg, Tensor) and arg.requires_grad for arg in args)
    ctx = ContextManager()
    ctx.needs_input_grad = needs
    output = op.forward(ctx, *args)
    if any(needs):
        inputs = [(position, arg) for position, arg in enumerate(args) if needs[position]]
        tape.append((op, ctx, inputs))
        output.requires_grad, output.grad_fn = True, len(tape) - 1  # grad_fn: its node's place
    return output


def _backward(tape: List[Node], loss: Tensor) -> None:
    """Run the tape from its last node back, each op's backward once. In these chains each
    tensor feeds one op, so each gradient arrives once: at its input's node (a later place
    on the tape is a later op), or as its leaf's `.grad` (None since the step began)."""
    grads: Dict[int, Tensor] = {loss.grad_fn: Tensor(np.ones((), loss.dtype))}
    for place in reversed(range(len(tape))):
        op, ctx, inputs = tape[place]
        results = op.backward(ctx, grads.pop(place))
        results = results if isinstance(results, tuple) else (results,)
        for position, value in inputs:
            if value.grad_fn is None:
                value.grad = results[position]
            else:
                grads[value.grad_fn] = results[position]
    tape.clear()


def floor_stepper(model: nn.Sequential, lr: float) -> timing.Step:
    """The floor step of an MLP made by `run.mytorch_model` (Linear, BatchNorm1d, ReLU
    layers), training its parameters with SGD at `lr`."""
    tape: List[Node] = []
    params = list(model.parameters())
    axpy = _axpy(params[0].dtype)
    calls: List[Callable[[Tensor], Tensor]] = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            calls.append(lambda x, layer=layer: _apply(tape, Linear, x, layer.weight, layer.bias))
        elif isinstance(layer, nn.BatchNorm1d):
            calls.append(lambda x, layer=layer: _apply(
                tape, BatchNorm, x, layer.running_mean, layer.running_var, layer.weight,
                layer.bias, True, layer.momentum, layer.eps))
        elif isinstance(layer, nn.ReLU):
            calls.append(lambda x: _apply(tape, ReLU, x))
        else:
            raise TypeError(f"floor_stepper: no floor for a {type(layer).__name__} layer")

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        for param in params:
            param.grad = None
        output = Tensor(x)
        for call in calls:
            output = call(output)
        loss = _apply(tape, CrossEntropy, output, Tensor(labels))
        _backward(tape, loss)
        for param in params:
            axpy(param.grad.data.ravel(), param.data.ravel(), a=-lr)
        return float(loss.data)

    return step


def steppers(sizes: List[int], batch_norm: bool, params: run.Params) -> Dict[str, Optional[timing.Step]]:
    """NumPy by hand, the floor, MyTorch eager and compiled: each with parameters of its own."""
    return {"numpy": run.numpy_stepper(sizes, batch_norm, params),
            "floor": floor_stepper(run.mytorch_model(sizes, batch_norm, params), run.LR),
            **run.mytorch_steppers(sizes, batch_norm, params)}


def main(argv: Optional[List[str]] = None) -> None:
    args = run.parse_args(argv, "python3 -m bench.floor", __doc__, tuple(run.NETWORKS), ("handout", "deep"))
    retained = not args.system_malloc and run.retain_freed_memory()
    with timing.one_thread():
        print(f"batch {run.BATCH}; threads: {timing.describe_threads()}; {args.repeats} alternating "
              f"rounds; malloc: {'freed memory retained' if retained else 'system default'}; "
              "min / median: times for hand-written NumPy, ratios to it for the others")
        results = [result for name in args.networks
                   for result in run.measure(name, args.repeats, args.steps, steppers)]
    print()
    print(timing.table(results))


if __name__ == "__main__":
    main()
