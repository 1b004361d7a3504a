"""The sweep figure: a metric against a swept parameter, mean and seeds, with honest y axes."""
from __future__ import annotations

import json
import math

import numpy as np

from ecg_utils.experiments.sweep import fmt_number, grid_points, ok_runs
from ecg_utils.io.jsonable import plain_value, value_text

# ------------------------------------------------------------------------------------------- plotting
#: What each metric of a run is, in words, for axis labels and tables.
METRIC_LABELS = {
    "roc_auc": "ROC AUC (abnormal vs normal)",
    "average_precision": "average precision",
    "roc_auc_per_class.S": "ROC AUC, S vs N",
    "roc_auc_per_class.V": "ROC AUC, V vs N",
    "roc_auc_per_class.F": "ROC AUC, F vs N",
    "detection.S.rate": "S beats flagged",
    "detection.V.rate": "V beats flagged",
    "detection.F.rate": "F beats flagged",
    "normal_fpr": "normal beats flagged (FPR)",
    "recall_at_fpr.per_class.S": "S recall at 1% normal FPR",
    "recall_at_fpr.per_class.V": "V recall at 1% normal FPR",
    "validation_loss": "validation loss (normals)",
    "fit_seconds": "training time (s)",
    "epochs_trained": "epochs trained",
}

#: The metrics every sweep notebook draws, one panel each (the sweep tables show :data:`ecg_utils.experiments.
#: overview.SWEEP_METRICS`; every metric is in the CSV beside them).
FIGURE_METRICS = ("roc_auc", "average_precision", "roc_auc_per_class.S", "roc_auc_per_class.V", "detection.S.rate",
                  "detection.V.rate", "normal_fpr", "recall_at_fpr.per_class.S", "fit_seconds", "epochs_trained")

#: Metrics that are shares or probabilities (between 0 and 1): their panels span at least :data:`MIN_SPAN`.
UNIT_METRICS = ("roc_auc", "average_precision", "detection.", "normal_fpr", "recall_at_fpr")

#: The smallest y span of a panel of a metric between 0 and 1: a 0.001 difference stays a sliver of the panel.
MIN_SPAN = 0.1


def metric_label(metric) -> str:
    """A metric's name in words (:data:`METRIC_LABELS`), or the name itself."""
    return METRIC_LABELS.get(metric, metric)


def y_range(metric, values) -> tuple:
    """The y range of a sweep panel: for a metric between 0 and 1 (:data:`UNIT_METRICS`) at least
    :data:`MIN_SPAN` wide around the data and within [0, 1]; for other non-negative metrics (seconds,
    epochs, losses) from 0 to a little above the largest value.

    >>> y_range("roc_auc", [0.981, 0.982])
    (0.9, 1.0)
    """
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if metric.startswith(UNIT_METRICS) and lo >= 0 and hi <= 1:
        span = min(1.0, max(MIN_SPAN, (hi - lo) * 1.2))
        bottom = min(max((lo + hi - span) / 2, 0.0), 1.0 - span)
        bottom = math.floor(round(bottom * 100, 6)) / 100          # hundredths: ticks at round numbers
        return (bottom, min(1.0, math.ceil(round((bottom + span) * 100, 6)) / 100))
    if lo >= 0:
        return (0.0, hi * 1.1 if hi > 0 else 1.0)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 1.0
    return (lo - pad, hi + pad)


def plot_sweep(df, x, metrics, ax=None, hue=None):
    """One panel per metric: mean over seeds vs the swept parameter ``x``, ± one std as error bars, every seed a dot.

    The y axes are not fitted to the data: a metric between 0 and 1 (ROC AUC, rates) spans at least
    :data:`MIN_SPAN` (:func:`y_range`), other metrics start at 0, so a 0.001 difference does not fill a panel.
    Each panel's title states how far apart the means are and the largest seed std, so the effect can be read
    against the spread; the y label names the metric in words (:data:`METRIC_LABELS`).

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`collect`'s table; only successful runs are drawn.
    x : str
        The swept parameter: numeric (plotted at its values, on a log axis when it spans 30x or more) or
        categorical (strings such as optimizer names, at evenly spaced positions).
    metrics : str or list of str
    ax : Axes or sequence of Axes, optional
        One per metric; ``None`` makes a figure (a bare Figure, not registered with pyplot, so a notebook shows
        it once: when it is displayed).
    hue : str, optional
        One line per value of a second parameter.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if ax is None:
        ncols = min(3, len(metrics))          # three across: the labels stay readable at a report's width
        nrows = -(-len(metrics) // ncols)
        fig = Figure(figsize=(4.0 * ncols, 3.2 * nrows), layout="constrained")
        grid = fig.subplots(nrows, ncols, squeeze=False)
        axes = list(grid.ravel()[:len(metrics)])
        for spare in grid.ravel()[len(metrics):]:
            spare.set_visible(False)
    else:
        axes = list(np.atleast_1d(ax))
        if len(axes) != len(metrics):
            raise ValueError(f"{len(metrics)} metrics need {len(metrics)} axes, got {len(axes)}")
        fig = axes[0].figure
    ok = ok_runs(df)
    xs = sorted(ok[x].dropna().unique(), key=_sort_key)
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in xs)
    groups = [(None, ok)] if hue is None else [(h, ok[ok[hue] == h]) for h in
                                                sorted(ok[hue].dropna().unique(), key=_sort_key)]
    width = 0.25 if len(groups) > 1 else 0.0
    for metric, a in zip(metrics, axes):
        means, stds = [], []
        for i, (h, sub) in enumerate(groups):
            offset = (i - (len(groups) - 1) / 2) * width / max(1, len(groups) - 1) if not numeric else 0.0
            pos = {v: (float(v) if numeric else j + offset) for j, v in enumerate(xs)}
            stats = sub.groupby(x)[metric].agg(["mean", "std"]).reindex([v for v in xs if v in set(sub[x])])
            means += list(stats["mean"].dropna())
            stds += list(stats["std"].dropna())
            label = None if h is None else f"{hue}={value_text(plain_value(h))}"
            line = a.errorbar([pos[v] for v in stats.index], stats["mean"], yerr=stats["std"].fillna(0),
                              marker="o", capsize=3, label=label)
            a.scatter([pos[v] for v in sub[x]], sub[metric], s=12, alpha=0.5, color=line[0].get_color(),
                      zorder=3)
        if not numeric:
            a.set_xticks(range(len(xs)), [str(plain_value(v)) for v in xs], rotation=20 if len(xs) > 3 else 0,
                         ha="right" if len(xs) > 3 else "center")
        elif len(xs) > 1 and min(xs) > 0 and max(xs) / min(xs) >= 30:
            a.set_xscale("log")  # learning rates and the like span decades
        lo, hi = y_range(metric, list(ok[metric]) + [m + s for m, s in zip(means, stds)]
                         + [m - s for m, s in zip(means, stds)])
        a.set_ylim(lo, hi)
        a.set_xlabel(x)
        a.set_ylabel(metric_label(metric))
        gap = (max(means) - min(means)) if means else float("nan")
        spread = f"seed std up to {fmt_number(max(stds))}" if stds else "one seed: spread unknown"
        a.set_title(f"{metric} (y from {lo:.3g} to {hi:.3g})\nmeans differ by {fmt_number(gap)}; {spread}", fontsize=9)
    if hue is not None:
        axes[0].legend(fontsize=8)                # one legend: the lines are the same in every panel
    fig.suptitle(f"against {x}: mean ± std over seeds, each seed a dot; y ranges at least {MIN_SPAN:g} wide "
                 "for metrics between 0 and 1, from 0 for the others", fontsize=9)
    return fig


def _sort_key(v):
    return (0, float(v), "") if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else (1, 0, str(v))


def swept_columns(grid) -> list:
    """The parameters a grid varies (a dict of lists: its keys with more than one value; a list of points:
    the keys whose values differ between points), for ``by=`` in :func:`summarize` and :func:`reading`.
    Points that all carry a ``label`` are known by it alone."""
    points = grid_points(grid)
    if all("label" in p for p in points):
        return ["label"]
    keys = sorted({k for p in points for k in p}, key=lambda k: [k in p for p in points].index(True))
    varied = [k for k in keys if len({json.dumps(p.get(k), sort_keys=True) for p in points}) > 1]
    return varied or keys
