"""The figures of a run: beats, reconstructions, score histograms with the threshold, ROC / PR, training curves, one
point per record. Functions of data that draw on an optional ``ax`` (or ``fig`` for several panels) and return the
Figure. Nothing here reads files, trains or changes global style.

New figures are bare :class:`matplotlib.figure.Figure` objects, not registered with pyplot (no figures pile up
in loops); in a notebook with the inline backend (active once pyplot or seaborn is imported) a returned
Figure displays like any other, and ``fig.savefig(path)`` writes it.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from ecg_utils.io.dataset import CLASS_NAMES
from ecg_utils.plotting import new_figure

COLORS = {"N": "tab:blue", "S": "tab:orange", "V": "tab:red", "F": "tab:purple", "Q": "tab:green"}


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
    fig = new_figure(fig, figsize=(3 * n_per_class, 2 * len(classes)), layout="constrained")
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


def score_label(evidence=()) -> str:
    """What :meth:`AutoencoderDetector.decision_function` returns, in words, for an axis label: the reconstruction
    error alone, or, with ``evidence`` fused (names of :func:`ecg_utils.detect.evidence.registry`, in each scorer's
    ``words``), a sum of ``-log`` tail probabilities among validation normals.

    >>> score_label()
    'reconstruction error (MAE, standardised units)'
    >>> score_label(("deviation", "prematurity"))
    'anomaly score: -log p(reconstruction) - log p(template deviation) - log p(prematurity)'
    """
    from ecg_utils.detect.evidence import registry

    if not evidence:
        return "reconstruction error (MAE, standardised units)"
    kinds = registry()
    return "anomaly score: " + " - ".join(["-log p(reconstruction)"] + [f"log p({kinds[e].words})" for e in evidence])


def plot_error_histograms(scores, y, threshold, class_names=CLASS_NAMES, log=True, bins=60, xlabel=None,
                          ax=None) -> Figure:
    """The share of each class's beats per score bin, with the threshold as a vertical line.

    Each class is drawn as the fraction of its beats in each bin (not a density per unit of score: on a log axis
    the bins near the smallest score are narrow, and one beat there would draw a spike as tall as the mode).

    Parameters
    ----------
    scores : float array (n,)
    y : int array (n,)
    threshold : float
    class_names : sequence of str
    log : bool
        Logarithmic score axis (and bins): errors span decades. It starts at the 0.1th percentile of the positive
        scores (the few beats below are counted in the first bin, and their number given under the axis); scores
        of 0 or below cannot be placed on it: their number is given in the legend.
    bins : int
    xlabel : str, optional
        What the scores are (:func:`score_label`); default ``"reconstruction error"``.
    ax : Axes, optional

    Returns
    -------
    Figure
    """
    scores, y = np.asarray(scores, dtype=float), np.asarray(y)
    fig = new_figure(None, ax, figsize=(7, 4), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    positive = scores[scores > 0]
    log = bool(log and len(positive))
    low = None
    if log:
        # from the 0.1th percentile: a few beats far below the rest would stretch the axis over empty decades;
        # they are counted in the first bin instead
        low = min(float(np.percentile(positive, 0.1)), threshold)
        edges = np.geomspace(low, max(scores.max(), threshold), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(min(scores.min(), threshold), max(scores.max(), threshold), bins + 1)
    for c, name in _present(y, class_names):
        s = scores[y == c]
        hidden = int((s <= 0).sum()) if log else 0
        if log:
            s = np.where((s > 0) & (s < low), low, s)
        ax.hist(s, bins=edges, weights=np.full(len(s), 1.0 / len(s)), histtype="step", lw=1.5,
                color=_color(name, c), label=f"{name} (n={len(s)}" + (f"; {hidden} at 0 not shown)" if hidden else ")"))
    ax.axvline(threshold, color="k", ls="--", label=f"threshold {threshold:.3g}")
    below = int(((scores > 0) & (scores < low)).sum()) if log else 0
    note = f"\n({below} beat{'s' if below != 1 else ''} below {low:.2g} counted in the first bin)" if below else ""
    ax.set_xlabel((xlabel or "reconstruction error") + note)
    ax.set_ylabel("share of the class's beats per bin")
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
    fig = new_figure(fig, figsize=(10, 4.5), layout="constrained")
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
    fig = new_figure(None, ax, figsize=(6, 4), layout="constrained")
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
    fig = new_figure(fig, figsize=(3 * n_cols, 2.2 * n_rows), layout="constrained")
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
    fig = new_figure(fig, figsize=(2.6 * len(classes), 2.8), layout="constrained")
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
        With templates (:func:`ecg_utils.signal.templates.add_templates`) and RR intervals.
    classes : sequence of str
        Class names to show (those absent are skipped).
    seed : int
    fig : Figure, optional

    Returns
    -------
    Figure
        One axis per class shown.
    """
    from ecg_utils.signal.rr import rr_ratios

    if beats.template is None:
        raise ValueError("plot_context needs beats with templates (ecg_utils.signal.templates.add_templates)")
    names = list(beats.class_names)
    shown = [(names.index(c), c) for c in classes if c in names and (beats.y == names.index(c)).any()]
    fig = new_figure(fig, figsize=(3.4 * len(shown), 3.0), layout="constrained")
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


def plot_per_record(table, target_auc=None, target_fpr=None, title="One point per test record", ax=None) -> Figure:
    """One point per record: its ROC AUC against the share of its normal beats flagged at the threshold.

    Parameters
    ----------
    table : DataFrame
        :func:`ecg_utils.metrics.per_record`'s table (or its mean over seeds): ``record``, ``roc_auc``,
        ``normal_fpr``, ``reliable`` and, if present, ``direction`` (one colour each).
    target_auc, target_fpr : float, optional
        Dashed lines: the AUC a record should reach, the normal FPR it should stay under.
    title : str
        Say whether the records' patients were seen in training (a random split mixes them).
    """
    fig = new_figure(None, ax, figsize=(8, 5), layout="constrained")
    ax = ax or fig.add_subplot()
    t = table[table["roc_auc"].notna()]
    groups = t.groupby("direction") if "direction" in t else [("records", t)]
    for i, (name, g) in enumerate(groups):
        color = f"C{i}"
        solid = g[g["reliable"]]
        ax.scatter(100 * solid["normal_fpr"], solid["roc_auc"], color=color, s=28, label=f"{name}", zorder=3)
        faint = g[~g["reliable"]]
        ax.scatter(100 * faint["normal_fpr"], faint["roc_auc"], facecolors="none", edgecolors=color, s=28, zorder=3,
                   label=f"{name}: < 20 abnormal beats" if len(faint) else None)
        for _, r in g.iterrows():
            ax.annotate(str(r["record"]), (100 * r["normal_fpr"], r["roc_auc"]), fontsize=7, xytext=(3, 2),
                        textcoords="offset points", color=color)
    if target_auc is not None:
        ax.axhline(target_auc, color="k", ls="--", lw=0.8)
    if target_fpr is not None:
        ax.axvline(100 * target_fpr, color="k", ls="--", lw=0.8)
    ax.set(xlabel="normal beats flagged at the threshold (%)", ylabel="ROC AUC (normal vs abnormal beats)",
           title=title)
    ax.legend(fontsize=8, loc="lower right")
    return fig
