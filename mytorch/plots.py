"""Plots of training runs, saved as image files (matplotlib, imported only when drawing).

Each plot is drawn on a Figure with its own Agg canvas, so it needs no display and leaves
pyplot's global state (its backend, its current figure) alone, and it is saved with
`mytorch.files.write_atomically`, so an interrupted save never leaves a truncated image
where create_tarball.sh would pack it.

Accuracy axes start at a floor below the lowest value (see `accuracy_floor`) and end at
1, so a change of one point looks like one point and not like a cliff.
"""
import math
import os
from pathlib import Path
from typing import Any, Sequence, Union

from mytorch.files import write_atomically

PathLike = Union[str, "os.PathLike[str]"]
FORMATS = (".png", ".pdf", ".svg")  # what the Agg canvas saves without a display


def accuracy_floor(accuracies: Sequence[float]) -> float:
    """The bottom of an accuracy axis: a multiple of 0.1, at least 0.05 below the lowest
    accuracy, and not below 0 (0.912 gives 0.8, 0.95 gives 0.9, 0.3 gives 0.2)."""
    return max(0.0, math.floor(min(accuracies) * 10 - 0.5) / 10)


def save_line_plot(path: PathLike, x: Sequence[float], y: Sequence[float], *, xlabel: str,
                   ylabel: str, title: str, accuracy: bool = False) -> Path:
    """Plot y against x with markers and a light grid, and save it to `path`.

    Args:
        path: the image file to write (one of `FORMATS`); its folder is created.
        x, y: the points.
        xlabel, ylabel, title: the axes' labels and the title.
        accuracy: y is an accuracy: the axis runs from `accuracy_floor(y)` to 1.

    Returns:
        `path`, as a Path.
    """
    figure, (axes,) = _figure(1)
    _draw(axes, x, {ylabel: y}, xlabel=xlabel, ylabel=ylabel, accuracy=accuracy)
    figure.suptitle(title)
    return _save(figure, path)


def save_training_curves(path: PathLike, epochs: Sequence[int], train_loss: Sequence[float],
                         held_out_loss: Sequence[float], accuracy: Sequence[float], *,
                         held_out: str, title: str) -> Path:
    """Two panels against epochs: training and held-out loss; held-out accuracy.

    Args:
        path: the image file to write (one of `FORMATS`); its folder is created.
        epochs: 1, 2, ...
        train_loss: mean training loss of each epoch.
        held_out_loss, accuracy: measured on the held-out split after each epoch.
        held_out: that split's name ("validation" or "test"), for the labels.
        title: the figure's title.

    Returns:
        `path`, as a Path.
    """
    figure, (loss_axes, accuracy_axes) = _figure(2)
    _draw(loss_axes, epochs, {"training": train_loss, held_out: held_out_loss},
          xlabel="epoch", ylabel="cross-entropy loss")
    _draw(accuracy_axes, epochs, {held_out: accuracy}, xlabel="epoch",
          ylabel=f"{held_out} accuracy", accuracy=True)
    figure.suptitle(title)
    return _save(figure, path)


def _figure(panels: int) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5 * panels, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, panels, squeeze=False)[0]


def _draw(axes: Any, x: Sequence[float], lines: dict, *, xlabel: str, ylabel: str,
          accuracy: bool = False) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and batches are counts
    for label, y in lines.items():
        axes.plot(list(x), list(y), marker="o", markersize=5, label=label)
    if len(lines) > 1:
        axes.legend()
    if accuracy:
        axes.set_ylim(accuracy_floor([value for y in lines.values() for value in y]), 1.0)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)


def _save(figure: Any, path: PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image_format = path.suffix.lstrip(".").lower()
    return write_atomically(path, lambda file: figure.savefig(file, format=image_format, dpi=100))
