"""The line-plot helper of hw1: the MNIST validation-accuracy plot.

It draws on a Figure with its own Agg canvas, so it needs no display and leaves
pyplot's global state (its backend, its current figure) alone, and it saves
atomically, so an interrupted save never leaves a truncated PNG where
create_tarball.sh would pack it.
"""
import os
import tempfile
from pathlib import Path
from typing import Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]


def save_line_plot(path: PathLike, x: Sequence[float], y: Sequence[float], *, xlabel: str,
                   ylabel: str, title: str, figsize: Tuple[float, float] = (7, 4.5),
                   markersize: float = 6) -> Path:
    """Plot y against x, with markers and a light grid, and save it to `path`.

    The image goes to a temporary file in the same folder, renamed over `path` only
    once it is complete; on any failure (Ctrl-C included) the temporary file is
    removed and `path` is left as it was.

    Args:
        path: the image file to write; its folder is created and its suffix picks
            the format (PNG for ".png").
        x, y: the points.
        xlabel, ylabel, title: the axes' labels and the title.
        figsize: width and height in inches (at 100 dpi).
        markersize: size of the point markers.

    Returns:
        `path`, as a Path.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot(list(x), list(y), marker="o", markersize=markersize)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part",
                                      delete=False)
    try:
        with tmp:
            figure.savefig(tmp, format=path.suffix.lstrip(".").lower() or "png", dpi=100)
        # NamedTemporaryFile makes the file private (0600); a plot is an ordinary file.
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, path)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return path
