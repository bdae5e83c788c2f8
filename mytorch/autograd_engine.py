"""Reverse-mode automatic differentiation: graph nodes, Function, and the backward pass.

Every differentiable op is a `Function` subclass. `Function.apply` runs the op's forward
and, when an input requires grad, records a `BackwardFunction` node whose
`next_functions` point at the inputs' nodes: an `AccumulateGrad` for a leaf, the
input's `grad_fn` for an intermediate tensor, `None` for a constant. `backward` walks
that graph once, in reverse topological order.
"""
import contextlib
from typing import Any, Callable, List, Optional, Sequence, Tuple

from mytorch import tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether `Function.apply` currently records the graph."""
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator that turns graph recording off.

    Ops inside still compute their results, but the results are constant leaves:
    optimizer steps and evaluation loops use it so they add nothing to the graph.
    """

    def __init__(self) -> None:
        # A stack, not one saved flag: a decorated function may call itself.
        self._previous: List[bool] = []

    def __enter__(self) -> "no_grad":
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = False
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


class _EveryInput:
    """`needs_input_grad` of a context made by hand: every gradient is wanted."""

    def __getitem__(self, index: int) -> bool:
        return True


class ContextManager:
    """Carries data from a Function's forward to its backward.

    Attributes:
        saved_tensors: tensors stored with `save_for_backward`.
        needs_input_grad: one bool per forward argument, set by `Function.apply`, so an
            op can skip gradients nobody wants (a Linear layer never computes the
            gradient of its input batch). A context made by hand, as the handout's
            tests make them to call `forward`/`backward` directly, asks for all of them.
    """

    needs_input_grad: Sequence[bool] = _EveryInput()  # Function.apply sets a tuple

    def __init__(self) -> None:
        self.saved_tensors: List["tensor.Tensor"] = []

    def save_for_backward(self, *tensors: "tensor.Tensor") -> None:
        """Store input tensors for backward.

        Save an op's *output* as a plain array attribute instead (`ctx.out = out.data`):
        the output owns this context through its grad_fn, so keeping the Tensor here
        would make a reference cycle.
        """
        for value in tensors:
            if not isinstance(value, tensor.Tensor):
                raise TypeError(f"save_for_backward takes Tensors, got {type(value).__name__}")
        self.saved_tensors.extend(tensors)


class AccumulateGrad:
    """Graph node of a leaf tensor that requires grad: adds incoming gradients to `.grad`."""

    function_name = "AccumulateGrad"

    def __init__(self, variable: "tensor.Tensor") -> None:
        self.variable = variable
        self.next_functions: List[Any] = []

    def apply(self, grad: "tensor.Tensor", owned: bool = False) -> None:
        """variable.grad += grad, creating `.grad` from a copy of grad the first time.

        Args:
            grad: the gradient, of the variable's shape.
            owned: the engine's word that nothing else holds grad's array, so `.grad`
                may take it without a copy (as PyTorch's AccumulateGrad steals an
                unshared gradient). The copy is what keeps two `.grad`s from sharing memory.
        """
        variable = self.variable
        if grad.shape != variable.shape:
            raise RuntimeError(
                f"AccumulateGrad: gradient of shape {grad.shape} for a leaf of shape {variable.shape}")
        if variable.grad is not None:
            variable.grad.data += grad.data
        elif owned and grad.dtype == variable.dtype:
            variable.grad = tensor.Tensor(grad.data)
        else:
            variable.grad = tensor.Tensor(grad.data.astype(variable.dtype))

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class BackwardFunction:
    """Graph node of an op's output: runs the op's backward with the context of its forward.

    Attributes:
        ctx: the op's ContextManager.
        next_functions: one entry per forward argument, in order: the argument's node, or
            None for constants and non-tensor arguments.
        function_name: the op's class name.
    """

    def __init__(self, function: type, ctx: ContextManager, next_functions: List[Any],
                 expected: List[Tuple[int, tuple, Any]]) -> None:
        self.ctx = ctx
        self.next_functions = next_functions
        self.function_name = function.__name__
        self._backward: Callable = function.backward
        # (index, shape, dtype) of each argument that needs a gradient, to check backward's result.
        self._expected = expected

    def apply(self, grad_output: "tensor.Tensor") -> Tuple[Optional["tensor.Tensor"], ...]:
        """Run the op's backward and check that it returned one well-formed gradient per input."""
        grads = self._backward(self.ctx, grad_output)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        count = len(self.next_functions)
        # Trailing Nones are allowed: an op with optional arguments (an axis, a bias)
        # answers for all of them even when they were not passed.
        if len(grads) != count and (len(grads) < count or any(g is not None for g in grads[count:])):
            raise RuntimeError(f"{self.function_name}.backward returned {len(grads)} gradients "
                               f"for {count} forward arguments")
        for index, shape, dtype in self._expected:
            grad = grads[index]
            if grad is None:
                continue
            if not isinstance(grad, tensor.Tensor):
                raise TypeError(f"{self.function_name}.backward returned a {type(grad).__name__} "
                                f"for input {index}; gradients must be Tensors")
            if grad.data.shape != shape or grad.data.dtype != dtype:
                raise RuntimeError(
                    f"{self.function_name}.backward returned a gradient of shape {grad.shape} "
                    f"and dtype {grad.dtype} for input {index}; expected shape {shape} "
                    f"and dtype {dtype}")
        return tuple(grads[:count])

    def __repr__(self) -> str:
        return f"<BackwardFunction({self.function_name})>"


def _graph_node(value: Any) -> Any:
    """The node a gradient for `value` flows into: AccumulateGrad, its grad_fn, or None."""
    if not isinstance(value, tensor.Tensor) or not value.requires_grad:
        return None
    if value.is_leaf:
        return AccumulateGrad(value)
    return value.grad_fn


class Function:
    """Base class of differentiable ops.

    A subclass defines `forward(ctx, *args)` returning a Tensor and
    `backward(ctx, grad_output)` returning one gradient per forward argument (a Tensor,
    or None for non-tensor arguments and inputs that need none). Use it via `apply`.

    Gradients are new arrays or views of grad_output, never arrays the op keeps (on ctx
    or elsewhere): a leaf may take a returned array as its `.grad` without a copy.
    """

    @staticmethod
    def forward(ctx: ContextManager, *args: Any) -> "tensor.Tensor":
        raise NotImplementedError

    @staticmethod
    def backward(ctx: ContextManager, grad_output: "tensor.Tensor") -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> "tensor.Tensor":
        """Run forward and, if any input requires grad, record the op in the graph."""
        ctx = ContextManager()
        parents = [_graph_node(arg) for arg in args] if _grad_enabled else []
        records = parents.count(None) != len(parents)
        if records:
            ctx.needs_input_grad = tuple([parent is not None for parent in parents])
        output = cls.forward(ctx, *args)
        if not isinstance(output, tensor.Tensor):
            raise TypeError(f"{cls.__name__}.forward returned a {type(output).__name__}, "
                            "not a Tensor")
        if any(output is arg for arg in args):
            output = tensor.Tensor(output.data)  # never relabel an input as this op's output
        if records:
            expected = [(index, arg.data.shape, arg.data.dtype)
                        for index, (arg, parent) in enumerate(zip(args, parents)) if parent is not None]
            output.requires_grad = True
            output.is_leaf = False
            output.grad_fn = BackwardFunction(cls, ctx, parents, expected)
        return output


def _topological_order(root: Any) -> List[Any]:
    """Every node reachable from `root`, each after all the nodes its gradient flows to.

    A post-order depth-first search with an explicit stack, so graph depth is not
    limited by Python's recursion limit, and a visited set, so shared subgraphs are
    visited once.
    """
    order = []
    visited = {root}
    stack = [(root, iter(root.next_functions))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent is not None and parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.next_functions)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backward(grad_fn: Any, grad_of_outputs: "tensor.Tensor") -> None:
    """Backpropagate `grad_of_outputs` from node `grad_fn` into the `.grad` of every leaf.

    Each node runs once, after the gradients from all of its consumers have been summed
    (reverse topological order), so the cost is linear in the size of the graph. Leaf
    gradients are accumulated only after every backward has succeeded: an exception
    leaves every `.grad` as it was.

    Args:
        grad_fn: the node of the tensor to differentiate (BackwardFunction or AccumulateGrad).
        grad_of_outputs: dL/d(that tensor), a Tensor of its shape.
    """
    grads = {grad_fn: grad_of_outputs}
    # Ids of leaf gradients that are new arrays, neither views nor grad_output passed
    # through (backward functions never return arrays they keep): a leaf may keep one as
    # its .grad without a copy, unless another leaf already took the same array.
    owned = set()
    leaf_grads = []
    for node in reversed(_topological_order(grad_fn)):
        grad = grads.pop(node, None)
        if grad is None:
            continue  # every path from the output to this node carried no gradient
        if isinstance(node, AccumulateGrad):
            leaf_grads.append((node, grad))
            continue
        for parent, parent_grad in zip(node.next_functions, node.apply(grad)):
            if parent is None or parent_grad is None:
                continue
            previous = grads.get(parent)
            if previous is None:
                grads[parent] = parent_grad
                if (isinstance(parent, AccumulateGrad) and parent_grad.data.base is None
                        and parent_grad.data is not grad.data):
                    owned.add(id(parent_grad))
            else:
                # Out of place: an op may hand the same array to several inputs.
                grads[parent] = summed = tensor.Tensor(previous.data + parent_grad.data)
                owned.discard(id(previous))  # it may be freed now, and its id reused
                owned.add(id(summed))
    taken = set()  # ids of the arrays leaves have kept
    for node, grad in leaf_grads:
        node.apply(grad, owned=id(grad) in owned and id(grad.data) not in taken)
        taken.add(id(grad.data))
