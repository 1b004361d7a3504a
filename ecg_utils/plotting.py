"""What every figure of the package shares: a bare matplotlib Figure to draw on.

Figures are :class:`matplotlib.figure.Figure` objects not registered with pyplot, so none piles up in a loop; in a
notebook a returned Figure displays like any other, and ``fig.savefig(path)`` writes it.
"""
from __future__ import annotations

from matplotlib.figure import Figure


def new_figure(fig=None, ax=None, **kwargs) -> Figure:
    """The figure to draw on: ``ax``'s, ``fig``, or a new one made with ``kwargs`` (not registered with pyplot)."""
    if ax is not None:
        return ax.figure
    return fig if fig is not None else Figure(**kwargs)
