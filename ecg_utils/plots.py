"""Every figure: functions of data that draw on an optional ``ax`` (or ``fig`` for several panels) and return
the Figure. Nothing here reads files, trains or changes global style.

New figures are bare :class:`matplotlib.figure.Figure` objects, not registered with pyplot (no figures pile up
in loops); in a notebook with the inline backend (active once pyplot or seaborn is imported) a returned
Figure displays like any other, and ``fig.savefig(path)`` writes it.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from ecg_utils.dataset import CLASS_NAMES

COLORS = {"N": "tab:blue", "S": "tab:orange", "V": "tab:red", "F": "tab:purple", "Q": "tab:green"}


def _figure(fig, ax=None, **kwargs):
    """The figure to draw on: ``ax``'s, ``fig``, or a new one (not registered with pyplot: no leaks)."""
    if ax is not None:
        return ax.figure
    return fig if fig is not None else Figure(**kwargs)


def _color(name, i):
    return COLORS.get(name, f"C{i}")


def _time_axis(length, fs):
    """Sample positions in seconds (``fs`` given) or samples, and the axis label."""
    return (np.arange(length) / fs, "time (s)") if fs else (np.arange(length), "sample")


def _present(y, class_names):
    """(class index, name) of the classes present in ``y``, normal first."""
    return [(c, name) for c, name in enumerate(class_names) if (np.asarray(y) == c).any()]


def plot_reconstructions(X, X_hat, y, class_names=CLASS_NAMES, n_per_class=2, fs=None, seed=0, fig=None) -> Figure:
    """Original and reconstructed beats: a row per class present, ``n_per_class`` random examples each.

    Parameters
    ----------
    X, X_hat : float arrays (n, L)
        Beats and their reconstructions (same units).
    y : int array (n,)
    class_names : sequence of str
    n_per_class : int
    fs : float, optional
        Sampling rate: the x axis in seconds instead of samples.
    seed : int
        Which examples are drawn.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    X, X_hat, y = np.asarray(X), np.asarray(X_hat), np.asarray(y)
    classes = _present(y, class_names)
    fig = _figure(fig, figsize=(3 * n_per_class, 2 * len(classes)), layout="constrained")
    axes = fig.subplots(len(classes), n_per_class, squeeze=False, sharex=True)
    t, xlabel = _time_axis(X.shape[1], fs)
    rng = np.random.default_rng(seed)
    for row, (c, name) in enumerate(classes):
        idx = np.flatnonzero(y == c)
        pick = rng.choice(idx, size=min(n_per_class, len(idx)), replace=False)
        for col in range(n_per_class):
            ax = axes[row, col]
            if col >= len(pick):
                ax.set_axis_off()
                continue
            ax.plot(t, X[pick[col]], color=_color(name, c), lw=1.2, label="beat")
            ax.plot(t, X_hat[pick[col]], color="k", lw=1, ls="--", label="reconstruction")
            ax.set_title(f"{name} #{pick[col]}", fontsize=9)
        axes[row, 0].set_ylabel(name)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    axes[0, 0].legend(fontsize=7)
    return fig


def plot_error_histograms(scores, y, threshold, class_names=CLASS_NAMES, log=True, bins=60, ax=None) -> Figure:
    """Density of the reconstruction error per class, with the threshold as a vertical line.

    Parameters
    ----------
    scores : float array (n,)
    y : int array (n,)
    threshold : float
    class_names : sequence of str
    log : bool
        Logarithmic error axis (and bins): errors span decades.
    bins : int
    ax : Axes, optional

    Returns
    -------
    Figure
    """
    scores, y = np.asarray(scores, dtype=float), np.asarray(y)
    fig = _figure(None, ax, figsize=(7, 4), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    positive = scores[scores > 0]
    if log and len(positive):
        edges = np.geomspace(positive.min(), max(scores.max(), threshold), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(min(scores.min(), threshold), max(scores.max(), threshold), bins + 1)
    for c, name in _present(y, class_names):
        ax.hist(scores[y == c], bins=edges, density=True, histtype="step", lw=1.5, color=_color(name, c),
                label=f"{name} (n={int((y == c).sum())})")
    ax.axvline(threshold, color="k", ls="--", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("reconstruction error")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return fig


def plot_roc_pr(y, scores, class_names=CLASS_NAMES, fig=None) -> Figure:
    """ROC (left) and precision-recall (right) curves: all abnormal beats vs normal, then each abnormal class.

    Returns
    -------
    Figure
        Two axes; one curve per abnormal class present, plus "all abnormal", plus the ROC chance diagonal.
    """
    y, scores = np.asarray(y), np.asarray(scores, dtype=float)
    fig = _figure(fig, figsize=(10, 4.5), layout="constrained")
    ax_roc, ax_pr = fig.subplots(1, 2)
    normal = y == 0
    groups = [("all abnormal", y != 0, "k")] + [(name, y == c, _color(name, c))
                                                for c, name in _present(y, class_names) if c != 0]
    for label, positive, color in groups:
        keep = normal | positive
        if not normal.any() or not positive.any():
            continue
        truth = positive[keep].astype(int)
        fpr, tpr, _ = roc_curve(truth, scores[keep])
        prec, rec, _ = precision_recall_curve(truth, scores[keep])
        lw = 2 if label == "all abnormal" else 1.2
        ax_roc.plot(fpr, tpr, color=color, lw=lw, label=label)
        ax_pr.plot(rec, prec, color=color, lw=lw, label=label)
    ax_roc.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1)
    ax_roc.set(xlabel="normal false-positive rate", ylabel="recall", title="ROC")
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall (vs normal)")
    ax_roc.legend(fontsize=8)
    return fig


def plot_training_curves(history, ax=None) -> Figure:
    """Training and validation loss per epoch, the best validation epoch marked.

    Parameters
    ----------
    history : dict of lists
        ``loss`` and optionally ``val_loss`` (a detector's ``history_``).
    """
    fig = _figure(None, ax, figsize=(6, 4), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], marker=".", label="train")
    if history.get("val_loss"):
        val = np.asarray(history["val_loss"])
        ax.plot(epochs, val, marker=".", label="validation")
        best = int(np.argmin(val))
        ax.axvline(epochs[best], color="0.5", ls=":", label=f"best epoch {epochs[best]}")
    ax.set(xlabel="epoch", ylabel="loss", yscale="log")
    ax.legend(fontsize=8)
    return fig


def plot_worst(X, X_hat, scores, y, class_names=CLASS_NAMES, n=8, fs=None, fig=None) -> Figure:
    """The ``n`` beats with the highest error, each with its reconstruction, class and score."""
    X, X_hat, y = np.asarray(X), np.asarray(X_hat), np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    worst = np.argsort(scores)[::-1][:n]
    n_cols = min(4, len(worst))
    n_rows = math.ceil(len(worst) / n_cols)
    fig = _figure(fig, figsize=(3 * n_cols, 2.2 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True).ravel()
    t, xlabel = _time_axis(X.shape[1], fs)
    for ax, i in zip(axes, worst):
        name = class_names[y[i]] if 0 <= y[i] < len(class_names) else str(y[i])
        ax.plot(t, X[i], color=_color(name, int(y[i])), lw=1.2)
        ax.plot(t, X_hat[i], color="k", lw=1, ls="--")
        ax.set_title(f"{name} #{i}  error {scores[i]:.3g}", fontsize=9)
    for ax in axes[len(worst):]:
        ax.set_axis_off()
    for ax in axes[-n_cols:]:
        ax.set_xlabel(xlabel)
    return fig


def plot_beats(beats, n_per_class=20, seed=0, fig=None) -> Figure:
    """A look at the data: up to ``n_per_class`` random beats of each class present, overlaid, with the mean.

    Parameters
    ----------
    beats : Beats
    n_per_class : int
    seed : int
    fig : Figure, optional

    Returns
    -------
    Figure
        One axis per class present.
    """
    classes = _present(beats.y, beats.class_names)
    fig = _figure(fig, figsize=(2.6 * len(classes), 2.8), layout="constrained")
    axes = fig.subplots(1, len(classes), squeeze=False, sharey=True)[0]
    t, xlabel = _time_axis(beats.length, beats.info.get("fs"))
    rng = np.random.default_rng(seed)
    for ax, (c, name) in zip(axes, classes):
        idx = np.flatnonzero(beats.y == c)
        pick = rng.choice(idx, size=min(n_per_class, len(idx)), replace=False)
        ax.plot(t, beats.X[pick].T, color=_color(name, c), lw=0.6, alpha=0.4)
        ax.plot(t, beats.X[idx].mean(axis=0), color="k", lw=1.5)
        ax.set_title(f"{name} (n={len(idx)})", fontsize=9)
        ax.set_xlabel(xlabel)
    return fig


def plot_context(beats, classes=("N", "S", "V"), seed=0, fig=None) -> Figure:
    """What the recommended detector sees: for one random beat of each class, the beat, its patient's
    template and the difference the autoencoder reconstructs, with how premature the beat came.

    Parameters
    ----------
    beats : Beats
        With templates (:func:`ecg_utils.beats.add_templates`) and RR intervals.
    classes : sequence of str
        Class names to show (those absent are skipped).
    seed : int
    fig : Figure, optional

    Returns
    -------
    Figure
        One axis per class shown.
    """
    from ecg_utils.beats import rr_ratios

    if beats.template is None:
        raise ValueError("plot_context needs beats with templates (ecg_utils.beats.add_templates)")
    names = list(beats.class_names)
    shown = [(names.index(c), c) for c in classes if c in names and (beats.y == names.index(c)).any()]
    fig = _figure(fig, figsize=(3.4 * len(shown), 3.0), layout="constrained")
    axes = fig.subplots(1, len(shown), squeeze=False, sharey=True)[0]
    t, xlabel = _time_axis(beats.length, beats.info.get("fs"))
    rng = np.random.default_rng(seed)
    ratio = np.exp(rr_ratios(beats)[:, 0])
    for ax, (c, name) in zip(axes, shown):
        i = rng.choice(np.flatnonzero(beats.y == c))
        ax.plot(t, beats.template[i], color="0.5", ls="--", lw=1.2, label="patient template")
        ax.plot(t, beats.X[i], color=_color(name, c), lw=1.4, label="beat")
        ax.fill_between(t, beats.template[i], beats.X[i], color=_color(name, c), alpha=0.2, label="difference")
        ax.set_title(f"{name}: record {beats.record[i]}\nprevious RR = {ratio[i]:.2f} x local mean", fontsize=9)
        ax.set_xlabel(xlabel)
    axes[0].legend(fontsize=7, loc="lower left")
    return fig
