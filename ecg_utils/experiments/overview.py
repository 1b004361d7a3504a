"""The short summary each report opens with: the numbers and the reading, computed from a run or a sweep.

A notebook displays an :class:`Overview` in a cell tagged ``summary``; :func:`ecg_utils.experiments.report.render_html` moves
that cell (and a markdown cell tagged ``summary`` before it) to the top of the HTML report, under the title.

Example
-------
>>> s = Overview(["ROC AUC 0.98"], title="Summary")
>>> print(s)
Summary
- ROC AUC 0.98
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_utils.experiments.sweep import fmt_number, ok_runs, reading, summarize
from ecg_utils.experiments.sweep_figure import metric_label

#: The metrics a sweep's summary table shows (the reading talks about the first and the last); every other
#: metric is in the CSV beside it.
SWEEP_METRICS = ("roc_auc", "roc_auc_per_class.S", "roc_auc_per_class.V", "normal_fpr", "validation_loss")


class Overview:
    """A few lines of findings, an optional small table and links: HTML in a notebook (``id="summary"``), text
    elsewhere.

    Parameters
    ----------
    lines : list of str
        One finding each, with its numbers (plain text; escaped in HTML).
    table : pandas.DataFrame, optional
        Few columns: it must fit on one screen.
    links : list of (str, str), optional
        ``(text, href)`` pairs, e.g. the full table as CSV.
    title : str, optional
    """

    def __init__(self, lines, table=None, links=(), title=None):
        self.lines, self.table, self.links, self.title = list(lines), table, list(links), title

    def __str__(self):
        out = ([self.title] if self.title else []) + [f"- {line}" for line in self.lines]
        if self.table is not None:
            out.append(self.table.to_string())
        out += [f"{text}: {href}" for text, href in self.links]
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self):
        parts = ['<div id="summary" class="summary">']
        if self.title:
            parts.append(f"<h2>{html.escape(self.title)}</h2>")
        parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in self.lines) + "</ul>")
        if self.table is not None:
            parts.append(self.table.to_html(border=0, escape=True))
        if self.links:
            parts.append("<p>" + " · ".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
                                            for text, href in self.links) + "</p>")
        return "".join(parts) + "</div>"


def _pct(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def run_overview(metrics, split, timings=None) -> Overview:
    """The opening of a baseline run's report: test-set size and split, ROC AUC, what the threshold flags.

    Parameters
    ----------
    metrics : dict
        :func:`ecg_utils.metrics.evaluate`'s result (``roc_auc``, ``detection``, ``normal_fpr``, ...).
    split : dict
        The split's ``info`` (``name``, ``patients_mixed``, ``description``).
    timings : dict, optional
        ``epochs_trained``, ``fit_seconds``.
    """
    counts = metrics.get("counts", {})
    per_class = metrics.get("roc_auc_per_class", {})
    detection = metrics.get("detection", {})
    abnormal = [c for c in ("S", "V", "F") if c in detection and detection[c]["n"]]
    lines = [f"Test set: {metrics['n']:,} beats ({', '.join(f'{k} {v:,}' for k, v in counts.items() if v)}), "
             f"{split.get('name')} split: " + ("patients shared between training and test, so optimistic."
                                              if split.get("patients_mixed") else
                                              "no test patient was seen in training (the honest number)."),
             f"ROC AUC {metrics['roc_auc']:.3f} (average precision {metrics['average_precision']:.3f}); per class "
             + ", ".join(f"{c} {per_class[c]:.3f}" for c in abnormal if c in per_class and np.isfinite(per_class[c]))
             + ("." + " Near 0.5 is chance: these scores hardly separate abnormal from normal beats."
                if metrics["roc_auc"] < 0.6 else "."),
             f"At the threshold ({metrics['threshold']:.3g}, learned on validation normals only) the detector flags "
             + ", ".join(f"{_pct(detection[c]['rate'])} of {c} beats" for c in abnormal)
             + f" and {_pct(metrics['normal_fpr'])} of normal beats."]
    if timings:
        lines.append(f"Trained {timings.get('epochs_trained')} epochs in {timings.get('fit_seconds', 0):.0f} s "
                     f"on {timings.get('train_beats', 0):,} normal beats.")
    return Overview(lines, title="Summary")


def scores_overview(scores, threshold, y=None, class_names=None) -> Overview:
    """The opening of an inference report: how many beats were scored and flagged (per class when labelled)."""
    scores = np.asarray(scores, dtype=float)
    flagged = scores > threshold
    share = _pct(flagged.mean() if len(scores) else np.nan)
    lines = [f"{len(scores):,} beats scored; {int(flagged.sum()):,} ({share}) above the threshold {threshold:.3g}."]
    if y is not None and class_names is not None:
        y = np.asarray(y)
        per = [f"{name} {_pct(flagged[y == c].mean())} of {int((y == c).sum()):,}"
               for c, name in enumerate(class_names) if (y == c).any()]
        lines.append("Flagged per class: " + ", ".join(per) + ".")
    return Overview(lines, title="Summary")


def scan_overview(summary: dict) -> Overview:
    """The opening of a scan report, from :meth:`ecg_utils.scan.ScanResult.summary`."""
    hours = summary["duration_s"] / 3600
    reasons = ", ".join(f"{k} {v}" for k, v in summary.get("reasons", {}).items() if v)
    kinds = ", ".join(f"{v:,} {k}" for k, v in summary.get("kinds", {}).items() if v)
    episodes = ", ".join(f"{e.get('name', rhythm).split(' (3')[0]} ({rhythm.lstrip('(')}): {e['episodes']}, "
                         f"{e['duration_s']:.0f} s"
                         for rhythm, e in summary.get("episodes", {}).get("per_rhythm", {}).items() if e["episodes"])
    return Overview([
        f"{summary['recording']}: {hours:.2f} h, lead {summary['lead']}, {summary['beats']:,} beats found, "
        f"{summary['beats_scored']:,} scored; {summary['unreadable_s']:.0f} s unreadable.",
        f"{summary['flagged']:,} beats flagged ({summary['burden_pct']:.1f}% of scored beats, "
        f"{summary['flagged_per_hour']:.0f} per hour)" + (f": {kinds}" if kinds else "")
        + (f"; why: {reasons}." if reasons else "."),
        "Rhythm episodes: " + (episodes or "none") + ".",
        f"Median heart rate {summary['heart_rate_bpm_median']:.0f} beats/min.",
    ], title="Summary")


def mean_std_table(df, by, metrics=SWEEP_METRICS) -> pd.DataFrame:
    """One row per point of a sweep, one column per metric in words, each cell ``mean ± std`` over seeds (the
    mean alone for one seed), and the number of seeds: a table that fits on a screen."""
    metrics = [m for m in metrics if m in df.columns]
    stats = summarize(df, by=by, metrics=metrics)
    out = pd.DataFrame(index=stats.index)
    for m in metrics:
        mean, std = stats[(m, "mean")], stats[(m, "std")]
        out[metric_label(m)] = [fmt_number(a) if not np.isfinite(b) else
                                           f"{fmt_number(a)} ± {fmt_number(b)}" for a, b in zip(mean, std)]
    if metrics:
        out["seeds"] = stats[(metrics[0], "count")].astype(int)
    return out


def sweep_overview(df, by, out_dir, metrics=SWEEP_METRICS, link_from=None) -> Overview:
    """The opening of a sweep's report: the readings, a small table, and the full table as CSV.

    Writes ``<out_dir>/summary.csv`` (mean, std and count over seeds of every numeric metric, per point, written
    whole or not at all) beside ``results.csv`` (one row per run), and links both.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`ecg_utils.experiments.sweep.collect`'s table.
    by : list of str
        The swept parameters.
    out_dir : Path
        The sweep's folder.
    metrics : sequence of str
        The columns of the small table.
    link_from : Path, optional
        The folder of the HTML report the links are written for (default ``reports/``).
    """
    from ecg_utils import config

    out_dir = Path(out_dir)
    ok = ok_runs(df)
    skip = set(by) | set(df.attrs.get("param_columns", [])) | {"seed"}
    numeric = [c for c in ok.columns if c not in skip and pd.api.types.is_numeric_dtype(ok[c])]
    full = summarize(df, by=by, metrics=numeric)
    full.columns = [f"{m}.{stat}" for m, stat in full.columns]
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "summary.csv.tmp"
    full.to_csv(tmp)
    os.replace(tmp, out_dir / "summary.csv")
    failed = int((df["status"] != "ok").sum()) if "status" in df.columns else 0
    seeds = ok["seed"].nunique() if "seed" in ok.columns else 1
    lines = [f"{len(ok)} runs: {len(full)} points × {seeds} seed{'s' if seeds != 1 else ''}"
             + (f"; {failed} FAILED (see results.csv)" if failed else "")
             + ". Test-set metrics describe; they chose nothing.",
             "Test ROC AUC: " + reading(df, by=by, metric="roc_auc"),
             "Validation loss of the normals (what best.yaml feeds back; no abnormal label): "
             + reading(df, by=by, metric="validation_loss", higher_is_better=False)]
    base = Path(link_from) if link_from is not None else config.REPORTS_DIR
    links = [(f"every metric, mean/std/count per point: {name}", _href(out_dir / name, base))
             for name in ("summary.csv",)] + [("every run: results.csv", _href(out_dir / "results.csv", base))]
    return Overview(lines, table=mean_std_table(df, by, metrics), links=links, title="Summary")


def _href(path: Path, base: Path) -> str:
    """A link to ``path`` from a page in ``base``: relative when it lies below it, else a file URI."""
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return Path(path).resolve().as_uri()


#: The names of 0.1 (when this module was ``ecg_utils.summary``): they still work, with a deprecation warning.
_OLD_NAMES = {"Summary": "Overview", "run_summary": "run_overview", "scores_summary": "scores_overview",
              "scan_summary": "scan_overview", "sweep_summary": "sweep_overview"}


def __getattr__(name):
    if name in _OLD_NAMES:
        import warnings

        warnings.warn(f"{name} is now {_OLD_NAMES[name]} (ecg_utils.experiments.overview); the old name works until "
                      "ecg-detector 0.3", DeprecationWarning, stacklevel=2)
        return globals()[_OLD_NAMES[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
