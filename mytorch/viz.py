"""Pictures of the autograd graph, drawn as the handout's figures draw it.

    from mytorch.viz import make_dot
    graph = make_dot(loss, params=dict(model.named_parameters()))
    print(graph.source)              # DOT text, for any Graphviz viewer
    graph.render("graph.svg")        # needs `pip install graphviz` and Graphviz's `dot`

Each leaf that requires grad is an AccumulateGrad node, each op's output a
BackwardFunction node labelled with the op, and each constant input a dashed node
standing for the `None` in `next_functions`. Arrows point the way gradients flow: from
the output towards the leaves (right to left, so the forward pass reads left to right).
"""
from typing import Any, Dict, List, Mapping, Optional

from mytorch import checks
from mytorch.autograd_engine import AccumulateGrad, _graph_node, _topological_order
from mytorch.files import PathLike, write_atomically
from mytorch.tensor import Tensor

FORMATS = ("svg", "png", "pdf")
_INSTALL = ("install the graphviz Python package (pip install graphviz, or pip install "
            "'mytorch[graphviz]') and Graphviz's dot program (apt install graphviz, brew "
            "install graphviz, or https://graphviz.org/download/)")
_COLOURS = {"leaf": "#d5efd5", "op": "#dbe9f6", "output": "#fdebd0"}


class Digraph:
    """The DOT source of a graph (`.source`, also `str(graph)`), which renders through
    the optional `graphviz` package. In Jupyter it displays as a picture when that works."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return "<mytorch.viz.Digraph: .source is the DOT text; .render('graph.svg') draws it>"

    def pipe(self, format: str = "svg") -> bytes:
        """The picture as bytes in `format` ('svg', 'png' or 'pdf').

        Raises:
            ImportError: the graphviz Python package is missing (the message says what to install).
            RuntimeError: Graphviz's dot program is missing.
        """
        checks.one_of("render: format", format, FORMATS)
        try:
            import graphviz
        except ImportError:
            raise ImportError(f"drawing the graph needs Graphviz: {_INSTALL}. Without it, "
                              ".source holds the DOT text.") from None
        try:
            return graphviz.Source(self.source).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(f"the graphviz package is installed but Graphviz's dot program was "
                               f"not found on PATH: {_INSTALL}") from None

    def render(self, path: PathLike, format: Optional[str] = None) -> PathLike:
        """Draw the graph into the file `path`, atomically, in `format` (by default the
        file's suffix: .svg, .png or .pdf). Returns `path`."""
        if format is None:
            format = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "svg"
        picture = self.pipe(format)
        write_atomically(path, lambda file: file.write(picture))
        return path

    def _repr_svg_(self) -> Optional[str]:
        try:
            return self.pipe("svg").decode()
        except (ImportError, RuntimeError):
            return None  # Jupyter then shows the repr


def make_dot(tensor: Tensor, params: Optional[Mapping[str, Tensor]] = None) -> Digraph:
    """The autograd graph that `tensor.backward()` would walk, as DOT source.

    Args:
        tensor: a tensor that requires grad (usually a loss).
        params: names for tensors, e.g. `dict(model.named_parameters())` or
            `{"a": a, "d": d}`: a leaf's AccumulateGrad node shows its name, and a
            named intermediate tensor's BackwardFunction node shows it too.

    Returns:
        A `Digraph`: `.source` is the DOT text; `.render(path)` draws it.
    Raises:
        ValueError: `tensor` does not require grad, so it has no graph.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"make_dot: expected a Tensor, got {type(tensor).__name__}")
    if not tensor.requires_grad:
        raise ValueError("make_dot: the tensor does not require grad, so no graph was recorded "
                         "for it (make a leaf with requires_grad=True and compute from it)")
    names = _names(params)
    root = _graph_node(tensor)
    order = list(reversed(_topological_order(root)))  # the output first
    ids = {node: f"n{index}" for index, node in enumerate(order)}
    output = names.get(id(tensor), "output")
    lines = ["digraph autograd {", "  rankdir=RL;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             f'  out [label="{_escape(output + _shape(tensor))}", shape=ellipse, '
             f'fillcolor="{_COLOURS["output"]}"];',
             f"  out -> {ids[root]};"]
    constants = 0
    for node in order:
        if isinstance(node, AccumulateGrad):
            label = f"{names.get(id(node.variable), 'leaf')}{_shape(node.variable)}\nAccumulateGrad"
            lines.append(f'  {ids[node]} [label="{_escape(label)}", fillcolor="{_COLOURS["leaf"]}"];')
            continue
        named = names.get(id(node), "")
        label = (f"{named} = " if named else "") + f"{node.function_name}\nBackwardFunction"
        lines.append(f'  {ids[node]} [label="{_escape(label)}", fillcolor="{_COLOURS["op"]}"];')
        for position in _tensor_positions(node):
            parent = node.next_functions[position]
            if parent is None:
                lines.append(f'  c{constants} [label="constant\\n(None)", style="dashed"];')
                lines.append(f'  {ids[node]} -> c{constants} [style="dashed"];')
                constants += 1
            else:
                lines.append(f"  {ids[node]} -> {ids[parent]};")
    lines.append("}")
    return Digraph("\n".join(lines) + "\n")


def _names(params: Optional[Mapping[str, Tensor]]) -> Dict[int, str]:
    """id of each named tensor (and of a non-leaf's grad_fn) -> its name."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"make_dot: params must be a dict of names to Tensors, got {type(params).__name__}")
    names = {}
    for name, value in params.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"make_dot: params[{name!r}] must be a Tensor, got {type(value).__name__}")
        names[id(value)] = str(name)
        if value.grad_fn is not None:
            names[id(value.grad_fn)] = str(name)
    return names


def _tensor_positions(node: Any) -> List[int]:
    """The positions of the op's tensor arguments that were passed, read from its
    forward's annotations; every position when the op has none (an unannotated custom
    Function). An optional tensor argument left out (a weight, a bias) has no edge."""
    function = node.function
    passed = len(node.next_functions)
    positions = [position for position, _, _ in function._inputs if position < passed]
    if function._varargs is not None:
        positions += range(function._varargs[1], passed)
    return positions if positions or function._varargs else list(range(passed))


def _shape(tensor: Tensor) -> str:
    return f" {tensor.shape}" if tensor.ndim else ""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
