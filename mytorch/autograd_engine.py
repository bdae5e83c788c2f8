"""Reverse-mode automatic differentiation: graph nodes, Function, and the backward pass.

Every differentiable op is a `Function` subclass. `Function.apply` runs the op's forward
and, when an input requires grad, records a `BackwardFunction` node whose
`next_functions` point at the inputs' nodes: an `AccumulateGrad` for a leaf, the
input's `grad_fn` for an intermediate tensor, `None` for a constant. `backward` walks
that graph once, in reverse topological order.
"""
import inspect
import itertools
import numbers
import os
import sys
import traceback
import typing
import weakref
from heapq import heappop, heappush
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mytorch import grad_mode, tensor
from mytorch.hooks import run_hooks
# Re-exported: the handout and its autograders import no_grad from here.
from mytorch.grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled,  # noqa: F401
                               is_grad_enabled, no_grad)



# Numbers the graph's nodes in the order they are made (see BackwardFunction.sequence_nr).
_sequence = itertools.count()


class _EveryInput:
    """`needs_input_grad` of a context made by hand: every gradient is wanted."""

    def __getitem__(self, index: int) -> bool:
        return True


class ContextManager:
    """Carries data from a Function's forward to its backward.

    Attributes:
        needs_input_grad: one bool per forward argument, set by `Function.apply`, so an
            op can skip gradients nobody wants (a Linear layer never computes the
            gradient of its input batch). A context made by hand, as the handout's
            tests make them to call `forward`/`backward` directly, asks for all of them.
    """

    needs_input_grad: Sequence[bool] = _EveryInput()  # Function.apply sets a tuple

    # The saved tensors, and their versions when saved; Function.apply keeps a saved
    # output as a detached alias, and BackwardFunction checks the versions before
    # backward runs.
    _saved: Tuple["tensor.Tensor", ...] = ()
    _versions: Tuple[int, ...] = ()

    def save_for_backward(self, *tensors: "tensor.Tensor") -> None:
        """Keep tensors (inputs or the output) for backward, with their current versions.

        An in-place change to one of them before backward makes the backward pass raise,
        instead of letting backward compute with the new values. None may be saved too (an
        optional bias left out, as in PyTorch), and comes back as None.
        """
        versions = []
        for value in tensors:
            if value is None:
                versions.append(0)
                continue
            if not isinstance(value, tensor.Tensor):
                raise TypeError(f"save_for_backward takes Tensors or None, got {type(value).__name__}")
            counter = value._version_counter  # None until the tensor is first changed
            versions.append(0 if counter is None else counter.value)
        self._saved += tensors
        self._versions += tuple(versions)

    @property
    def saved_tensors(self) -> Tuple["tensor.Tensor", ...]:
        """The tensors given to `save_for_backward`, in order."""
        return self._saved


class AccumulateGrad:
    """Graph node of a leaf tensor that requires grad: adds incoming gradients to `.grad`.

    A leaf has one such node however many ops use it, so the engine sums all of a
    leaf's gradient contributions first and accumulates into `.grad` once per backward.
    """

    function_name = "AccumulateGrad"

    def __init__(self, variable: "tensor.Tensor") -> None:
        self.variable = variable
        self.next_functions: List[Any] = []
        self.sequence_nr = next(_sequence)

    def check(self, grad: "tensor.Tensor") -> None:
        """Raise, changing nothing, unless `grad` and the existing `.grad` fit the leaf."""
        variable = self.variable
        shape = variable.data.shape
        if grad.data.shape != shape:
            raise RuntimeError(f"AccumulateGrad: gradient of shape {grad.shape} for a leaf of "
                               f"shape {shape}")
        existing = variable.grad
        if existing is not None and (not isinstance(existing, tensor.Tensor)
                                     or existing.data.shape != shape):
            raise RuntimeError(f"AccumulateGrad: the leaf of shape {variable.shape} has a .grad "
                               f"of shape {getattr(existing, 'shape', None)} "
                               f"({type(existing).__name__}); set it to None or fix its shape")

    def apply(self, grad: "tensor.Tensor") -> None:
        """variable.grad += grad, after the leaf's hooks; the first time, `.grad` becomes a
        copy of the gradient."""
        grad = self.hooked(grad)
        self.check(grad)
        self.accumulate(grad, owned=False)

    def hooked(self, grad: "tensor.Tensor") -> "tensor.Tensor":
        """`grad` after the leaf's hooks (`Tensor.register_hook`): what `.grad` accumulates."""
        hooks = self.variable._hooks
        return run_hooks(hooks, grad) if hooks else grad

    def accumulate(self, grad: "tensor.Tensor", owned: bool) -> None:
        """`apply` after `hooked` and `check`, for the engine, which runs every hook and
        checks every leaf before it changes any `.grad`.

        Args:
            grad: the gradient, of the variable's shape.
            owned: the engine's word that nobody else holds grad's array (a sum the
                engine allocated, or an array only the engine holds; see `_engine_holds_alone`),
                so `.grad` may take it as is.
        """
        variable = self.variable
        if variable.grad is not None:
            variable.grad.data += grad.data
        elif owned and grad.data.dtype == variable.data.dtype:
            # A plain constant tensor (no version counter another tensor could share) becomes
            # `.grad` itself, as PyTorch's AccumulateGrad steals a gradient nobody else holds.
            plain = type(grad) is tensor.Tensor and not grad._requires_grad and grad._version_counter is None
            variable.grad = grad if plain else tensor.Tensor(grad.data)
        else:
            variable.grad = tensor.Tensor(np.array(grad.data, dtype=variable.data.dtype))

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class BackwardFunction:
    """Graph node of an op's output: runs the op's backward with the context of its forward.

    Attributes:
        ctx: the op's ContextManager.
        next_functions: one entry per forward argument, in order: the argument's node, or
            None for constants and non-tensor arguments.
        function: the op (its Function subclass); function_name: its class name.
        sequence_nr: when the node was made (as in PyTorch): after every node of its
            inputs, so the backward pass runs nodes from the highest number down.
    """

    # Set through the output tensor: its gradient hooks, and a weak reference to it
    # once `retain_grad()` asks for its `.grad`. Weak, so the graph holds no cycle.
    hooks: Optional[Dict[int, Callable]] = None
    retained: Optional["weakref.ref[tensor.Tensor]"] = None
    forward_stack: Optional[List[str]] = None  # where the op ran, in anomaly mode

    def __init__(self, function: type, ctx: ContextManager, next_functions: List[Any],
                 inputs: List[Tuple[int, Any, tuple, Any]]) -> None:
        self.ctx = ctx
        self.next_functions = next_functions
        self.function = function
        self.sequence_nr = next(_sequence)
        # (index, node, shape, dtype) of each argument that needs a gradient: where its
        # gradient goes, and what it must look like.
        self._edges = inputs

    @property
    def function_name(self) -> str:
        return self.function.__name__

    def apply(self, grad_output: "tensor.Tensor") -> Tuple[Optional["tensor.Tensor"], ...]:
        """Run the op's backward and check that it returned one well-formed gradient per input.

        Raises:
            RuntimeError: if a tensor the forward saved was changed in place since.
        """
        ctx = self.ctx
        for saved, version in zip(ctx._saved, ctx._versions):
            if saved is None:
                continue
            counter = saved._version_counter  # None until the tensor is first changed
            if counter is not None and counter.value != version:
                self._raise_modified(saved, version)
        grads = self.function.backward(ctx, grad_output)
        if type(grads) is not tuple:
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        count = len(self.next_functions)
        if len(grads) != count:
            # Trailing Nones are allowed: an op with optional arguments (an axis, a bias)
            # answers for all of them even when they were not passed.
            if len(grads) < count or grads[count:].count(None) != len(grads) - count:
                raise RuntimeError(f"{self.function_name}.backward returned {len(grads)} gradients "
                                   f"for {count} forward arguments")
            grads = grads[:count]
        for index, _, shape, dtype in self._edges:
            grad = grads[index]
            if grad is None:
                continue
            if not isinstance(grad, tensor.Tensor):
                raise TypeError(f"{self.function_name}.backward returned a {type(grad).__name__} "
                                f"for input {index}; gradients must be Tensors")
            data = grad.data
            if data.shape != shape or data.dtype != dtype:
                raise RuntimeError(
                    f"{self.function_name}.backward returned a gradient of shape {data.shape} "
                    f"and dtype {data.dtype} for input {index}; expected shape {shape} "
                    f"and dtype {dtype}")
            if grad_mode._anomaly_enabled and not np.isfinite(data).all():
                raise RuntimeError(
                    f"{self.function_name}.backward returned non-finite values (nan or inf) in "
                    f"its gradient for input {index}. The forward call that made this "
                    f"{self.function_name} (most recent call last):\n"
                    + "".join(self.forward_stack or ["(not recorded)\n"]))
        return grads

    def _raise_modified(self, saved: "tensor.Tensor", version: int) -> None:
        index = [value is saved for value in self.ctx._saved].index(True)
        raise RuntimeError(
            f"{self.function_name}.backward: {self._describe_saved(index)} (shape "
            f"{saved.shape}) was modified by an in-place operation after the forward "
            f"pass saved it: it is at version {saved._version}, expected version "
            f"{version}. Make in-place changes (such as optimizer.step()) after "
            "backward, or run the forward pass again.")

    def _describe_saved(self, index: int) -> str:
        """Which forward argument saved tensor `index` was, found through the graph."""
        saved = self.ctx._saved[index]
        if saved is getattr(self.ctx, "saved_output", None):
            return "its output"
        names = self.function._arg_names
        for position, parent in enumerate(self.next_functions):
            if parent is not None and (getattr(parent, "variable", None) is saved
                                       or saved.grad_fn is parent):
                return f"its input {names[position]!r}" if position < len(names) else f"its input {position}"
        # Not an input that requires grad: one of the constant tensor inputs.
        count = len(self.next_functions)
        constants = [name for position, name, _ in self.function._inputs
                     if position < count and self.next_functions[position] is None]
        if len(constants) == 1:
            return f"its input {constants[0]!r}"
        if constants:
            return f"saved tensor {index} (one of its constant inputs {', '.join(constants)})"
        return f"saved tensor {index}"

    def __repr__(self) -> str:
        return f"<BackwardFunction({self.function_name})>"


def tensor_input(op: str, name: str, value: Any) -> "tensor.Tensor":
    """`value` as a tensor input of `op` (an op or a layer), by the library's one rule: a
    Tensor as it is, an ndarray as a constant Tensor, anything else a TypeError naming
    the op and the argument."""
    if isinstance(value, tensor.Tensor):
        return value
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{op}: {name} must be a Tensor or an ndarray, got {type(value).__name__}")
    return tensor.Tensor(value)


def _graph_node(value: "tensor.Tensor") -> Any:
    """The node a gradient for `value`, a tensor that requires grad, flows into: its
    grad_fn, or for a leaf its AccumulateGrad."""
    return value.grad_fn if not value.is_leaf else _accumulate_grad(value)


def _accumulate_grad(leaf: "tensor.Tensor") -> AccumulateGrad:
    """The leaf's AccumulateGrad: one per leaf, kept through a weak reference as PyTorch
    does (the node holds the tensor, so a strong reference back would be a cycle)."""
    node = leaf._grad_accumulator() if leaf._grad_accumulator is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._grad_accumulator = weakref.ref(node)
    return node


def _tensor_inputs(forward: Callable) -> Tuple[List[Tuple[int, str, tuple]], Optional[Tuple[str, int]],
                                               Optional[Tuple[int, ...]]]:
    """Which of forward's arguments are tensors, read from its annotations.

    Returns ([(position, name, other accepted types)], (name, position) of a `*args: Tensor`
    or None, the positions that may hold a tensor or None for all of them).
    An argument annotated `Tensor` takes Tensors (and ndarrays, made constant Tensors);
    `Optional[Tensor]` also takes None; `Union[Tensor, float]` also takes numbers. One
    annotated as something else (a bool, a float, a callable) holds no tensor: its
    backward answer is None, so the graph needs no node for it.
    """
    try:
        hints = typing.get_type_hints(forward)
    except Exception:  # an annotation that does not resolve: check nothing
        return [], None, None
    inputs, varargs, graph = [], None, []
    parameters = list(inspect.signature(forward).parameters.values())[1:]  # after ctx
    for position, parameter in enumerate(parameters):
        hint = hints.get(parameter.name, Any)
        options = typing.get_args(hint) if typing.get_origin(hint) is typing.Union else (hint,)
        if parameter.kind == parameter.VAR_POSITIONAL:
            varargs = (parameter.name, position) if tensor.Tensor in options else None
            return inputs, varargs, None
        if tensor.Tensor in options or Any in options or object in options:
            graph.append(position)
        if tensor.Tensor in options:
            others = tuple(numbers.Real if option in (int, float) else option
                           for option in options if option is not tensor.Tensor)
            inputs.append((position, parameter.name, others))
    return inputs, varargs, tuple(graph)


class Function:
    """Base class of differentiable ops.

    A subclass defines `forward(ctx, *args)` returning a Tensor and
    `backward(ctx, grad_output)` returning one gradient per forward argument (a Tensor,
    or None for non-tensor arguments and inputs that need none). Use it via `apply`.

    Arguments annotated `Tensor` in `forward` are checked by `apply`: an ndarray there
    becomes a constant Tensor, and any other type is a TypeError naming the op.
    """

    _inputs: List[Tuple[int, str, tuple]] = []
    _varargs: Optional[Tuple[str, int]] = None  # (name, position) of `*args: Tensor`
    _arg_names: List[str] = []
    _arg_count = 0  # len(_arg_names)
    _tensor_positions: Tuple[int, ...] = ()  # the positions of `_inputs`, in order
    _graph_positions: Optional[Tuple[int, ...]] = None  # those that may hold a tensor; None: all

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls._inputs, cls._varargs, cls._graph_positions = _tensor_inputs(cls.forward)
            cls._arg_names = list(inspect.signature(cls.forward).parameters)[1:]
            cls._arg_count = len(cls._arg_names)
            cls._tensor_positions = tuple(position for position, _, _ in cls._inputs)

    @staticmethod
    def forward(ctx: ContextManager, *args: Any) -> "tensor.Tensor":
        raise NotImplementedError

    @staticmethod
    def backward(ctx: ContextManager, grad_output: "tensor.Tensor") -> Any:
        raise NotImplementedError

    @classmethod
    def _check_inputs(cls, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
        """`args` with ndarrays at tensor positions made constant Tensors; TypeError for others."""
        converted = None
        for position, name, others in cls._inputs:
            if position >= len(args):
                break
            value = args[position]
            if not isinstance(value, tensor.Tensor) and not (others and isinstance(value, others)):
                converted = converted or list(args)
                converted[position] = cls._as_input(name, value)
        if cls._varargs is not None:
            name, start = cls._varargs
            for position in range(start, len(args)):
                if not isinstance(args[position], tensor.Tensor):
                    converted = converted or list(args)
                    converted[position] = cls._as_input(f"{name}[{position - start}]", args[position])
        return args if converted is None else tuple(converted)

    @classmethod
    def _as_input(cls, name: str, value: Any) -> "tensor.Tensor":
        return tensor_input(cls.__name__, name, value)

    @classmethod
    def apply(cls, *args: Any) -> "tensor.Tensor":
        """Run forward and, if any input requires grad, record the op in the graph."""
        Tensor = tensor.Tensor
        if cls._varargs is not None:
            args = cls._check_inputs(args)
        count = len(args)
        ctx = ContextManager()
        # Each argument's node (None for constants and non-tensors) and, for those that
        # need a gradient, their position, node, and the shape and dtype backward must
        # return for them. One plain loop: this runs for every op.
        recording = grad_mode._grad_enabled
        parents = [None] * count
        needs = [False] * (count if count > cls._arg_count else cls._arg_count)
        inputs = []
        for position in cls._graph_positions or range(count):
            if position >= count:
                break
            arg = args[position]
            if isinstance(arg, Tensor):
                if recording and arg._requires_grad:
                    parents[position] = node = arg.grad_fn if not arg.is_leaf else _accumulate_grad(arg)
                    needs[position] = True
                    data = arg.data
                    inputs.append((position, node, data.shape, data.dtype))
            elif position in cls._tensor_positions:
                # Not a Tensor where one belongs: the argument rules (an ndarray becomes a
                # constant, None or a number may be allowed, anything else is a TypeError).
                checked = cls._check_inputs(args)
                if checked is not args:
                    return cls.apply(*checked)
        if inputs:
            # One entry per forward parameter, passed or not, so an op may ask about an
            # optional argument (a bias) its caller left out.
            ctx.needs_input_grad = tuple(needs)
        output = cls.forward(ctx, *args)
        if not isinstance(output, Tensor):
            raise TypeError(f"{cls.__name__}.forward returned a {type(output).__name__}, "
                            "not a Tensor")
        # An output that only this function holds, with an array only it holds, is new;
        # otherwise (a view, an input's array, the input itself) _as_new_output decides.
        if output.data.base is not None or _references(output) != _NEW_OUTPUT:
            output = _as_new_output(output, args)
        if inputs:
            if ctx._saved:
                _keep_saved_output(ctx, output)
            if output.data.dtype.kind == "f":
                output._requires_grad = True
            else:
                output.requires_grad = True  # the setter promotes integer output
            output.is_leaf = False
            output.grad_fn = node = BackwardFunction(cls, ctx, parents, inputs)
            if grad_mode._anomaly_enabled:
                node.forward_stack = _forward_call_stack()
        return output


_LIBRARY = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _forward_call_stack() -> List[str]:
    """The formatted stack of the current forward call, for anomaly mode, ending at the
    line that called the op: the library's own frames after it (Tensor methods, layers,
    Function.apply) are left out."""
    frames = traceback.extract_stack()
    while frames and frames[-1].filename.startswith(_LIBRARY):
        frames.pop()
    return traceback.format_list(frames)


def _keep_saved_output(ctx: ContextManager, output: "tensor.Tensor") -> None:
    """Keep a saved output as an alias without its grad_fn (which owns ctx), so no cycle
    forms; the alias shares the output's data and version counter."""
    for saved in ctx._saved:
        if saved is output:
            alias = ctx.saved_output = output.detach()
            ctx._saved = tuple([alias if value is output else value for value in ctx._saved])
            return


def _as_new_output(output: "tensor.Tensor", args: Sequence[Any]) -> "tensor.Tensor":
    """The op's output, never one of its inputs relabelled; a view of an input shares the
    input's version counter, as in PyTorch, so an in-place change through either is seen."""
    data = output.data
    root = data if data.base is None else data.base
    for arg in args:
        if isinstance(arg, tensor.Tensor) and (arg.data is root or arg.data.base is root):
            if output is arg:
                output = tensor.Tensor(data)
            output._version_counter = arg._counter()
            break
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
                if not parent.next_functions:
                    order.append(parent)  # a leaf's node: nothing to visit first
                    continue
                stack.append((parent, iter(parent.next_functions)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


# One list per running backward pass, innermost last: the callbacks `queue_callback` queued.
_callback_queues: List[List[Callable[[], None]]] = []


def queue_callback(callback: Callable[[], None]) -> None:
    """Run `callback()` once the running backward pass has accumulated every `.grad`, as
    PyTorch's `Variable._execution_engine.queue_callback`.

    A gradient hook uses it to finish work after the whole pass: DistributedDataParallel
    waits there for its gradient all-reduces and writes the averages into `.grad`.
    Callbacks run in the order they were queued; one may queue another. A backward pass
    that raises runs none of its callbacks.

    Raises:
        RuntimeError: when no backward pass is running.
    """
    if not _callback_queues:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a "
                           "gradient hook during backward()")
    _callback_queues[-1].append(callback)


def backward(grad_fn: Any, grad_of_outputs: "tensor.Tensor") -> None:
    """`_backward`, then the callbacks queued during it (`queue_callback`)."""
    callbacks: List[Callable[[], None]] = []
    _callback_queues.append(callbacks)
    try:
        _backward(grad_fn, grad_of_outputs)
        for callback in callbacks:  # iterating a growing list runs the ones queued here too
            callback()
    finally:
        _callback_queues.pop()


def _backward(grad_fn: Any, grad_of_outputs: "tensor.Tensor") -> None:
    """Backpropagate `grad_of_outputs` from node `grad_fn` into the `.grad` of every leaf.

    Each node runs once, after the gradients from all of its consumers have been summed:
    nodes wait in a heap and run from the highest `sequence_nr` down, and a node's
    consumers were all made after it (as PyTorch's engine orders them). So the cost is
    linear in the size of the graph (times a log for the heap), there is no recursion,
    and each leaf is accumulated into once. `.grad`s change only after every backward
    has succeeded and every leaf's gradient has been checked: an exception leaves them
    all as they were.

    Args:
        grad_fn: the node of the tensor to differentiate (BackwardFunction or AccumulateGrad).
        grad_of_outputs: dL/d(that tensor), a Tensor of its shape.
    """
    grads = {grad_fn: grad_of_outputs}  # the gradient summed so far for each node reached
    waiting = [(-grad_fn.sequence_nr, grad_fn)]
    owned = set()  # leaves whose gradient array nothing but the engine holds
    leaves, retained = [], []
    while waiting:
        node = heappop(waiting)[1]
        grad = grads.pop(node)
        if type(node) is AccumulateGrad:
            # A hook saw a view of the array and may keep it: then the leaf copies.
            hooks = node.variable._hooks
            leaves.append((node, node.hooked(grad), False) if hooks else (node, grad, node in owned))
            continue
        if node.hooks:
            grad = run_hooks(node.hooks, grad)
        if node.retained is not None:
            retained.append((node.retained, grad))
        # A list of the engine's own: the op may keep the sequence its backward returned.
        results = list(node.apply(grad))
        for index, parent, _, _ in node._edges:
            parent_grad = results[index]
            if parent_grad is None:
                continue
            previous = grads.get(parent)
            if previous is None:
                # The leaf may keep this array as its .grad, without a copy, when nothing
                # but this loop holds it (see _UNSHARED).
                if (type(parent) is AccumulateGrad and parent_grad.data.base is None
                        and _references(parent_grad) == _UNSHARED):
                    owned.add(parent)
                grads[parent] = parent_grad
                heappush(waiting, (-parent.sequence_nr, parent))
            else:
                grads[parent] = tensor.Tensor(previous.data + parent_grad.data)
                if type(parent) is AccumulateGrad:
                    owned.add(parent)
    for node, grad, _ in leaves:
        node.check(grad)
    for reference, grad in retained:
        _retain(reference(), grad)
    for node, grad, unshared in leaves:
        node.accumulate(grad, unshared)


def _references(grad: "tensor.Tensor") -> Tuple[int, int]:
    """How many references hold `grad` and its array, as `sys.getrefcount` counts them."""
    return sys.getrefcount(grad), sys.getrefcount(grad.data)


class _Gradient:
    """Holds an array as a Tensor does: a stand-in to count references on."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


def _references_of_an_unshared_gradient() -> Tuple[int, int]:
    """`_references` of an op's result that `backward` alone holds, counted as `backward`
    counts them: held once in a list of results and once in a loop variable."""
    results = [_Gradient(np.empty(1))]
    parent_grad = results[0]
    return _references(parent_grad)


# A leaf keeps an op's gradient array as its .grad without a copy only when these are the
# counts and the array owns its memory (no base). Any other holder adds a reference,
# wherever it is: the op's context, a saved tensor, a global, the incoming gradient, a
# leaf's data, another result of the same backward (a second Tensor on the array, or the
# same Tensor twice), a view (whose base is the array), a hook. Whatever its size.
_UNSHARED = _references_of_an_unshared_gradient()


def _references_of_a_new_output() -> Tuple[int, int]:
    """`_references` of an op's output as `Function.apply` holds it after forward returns:
    in a local variable only, its array in the output only."""
    output = _Gradient(np.empty(1))
    return _references(output)


_NEW_OUTPUT = _references_of_a_new_output()


def _retain(variable: Optional["tensor.Tensor"], grad: "tensor.Tensor") -> None:
    """Accumulate `grad` into the `.grad` of a non-leaf that asked to retain it."""
    if variable is None:
        return
    if variable.grad is None:
        variable.grad = tensor.Tensor(np.array(grad.data))
    else:
        variable.grad.data += grad.data
