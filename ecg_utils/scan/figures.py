"""The figures of a scanned recording: heart rate, flagged beats per hour, the score of every beat, the families.

Functions of the scan's beat table (:mod:`ecg_utils.scan.table`) that draw on an optional ``ax`` (or ``fig``) and
return the Figure; nothing here reads files.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ecg_utils.plotting import new_figure

# -- a scanned recording ---------------------------------------------------------------------------
#: The colour of each kind of flagged beat (:mod:`ecg_utils.scan.kinds`).
KIND_COLORS = {"V": "tab:red", "S": "tab:orange", "F": "tab:purple", "Q": "tab:brown"}
KIND_LABELS = {"V": "ventricular (V)", "S": "supraventricular (S)", "F": "fusion (F)", "Q": "unclassifiable (Q)"}


def time_unit(duration_s) -> tuple:
    """(seconds per unit, name) for a recording's time axis: minutes up to 2 hours, then hours."""
    return (60.0, "minutes") if duration_s <= 2 * 3600 else (3600.0, "hours")


#: Fewest scored beats in a bin of :func:`plot_burden` for its burden (%) to be written above its bar.
MIN_BIN_BEATS = 30


def burden_bin(duration_s) -> tuple:
    """(seconds, name) of the bins the burden is counted in: 10 minutes up to 3 hours, then hours."""
    return (600.0, "10 minutes") if duration_s <= 3 * 3600 else (3600.0, "hour")


def _duration(beats):
    return float(beats["time_s"].max()) if len(beats) else 0.0


def _shade_unreadable(ax, stretches, unit):
    """Grey bands over the unreadable stretches (one legend entry)."""
    for i, (a, b) in enumerate(zip(stretches["start_s"], stretches["end_s"])):
        ax.axvspan(a / unit, b / unit, color="0.85", lw=0, label="unreadable signal" if i == 0 else None)


def plot_heart_rate(beats, stretches=None, ax=None) -> Figure:
    """Heart rate over the recording: the median of each minute's beat-to-beat rates (readable beats only).

    Parameters
    ----------
    beats : DataFrame
        A scan's per-beat table (``time_s``, ``heart_rate_bpm``, ``readable``).
    stretches : DataFrame, optional
        Unreadable stretches (``start_s``, ``end_s``), shaded.
    """
    fig = new_figure(None, ax, figsize=(10, 2.6), layout="constrained")
    ax = ax or fig.add_subplot()
    unit, name = time_unit(_duration(beats))
    b = beats[beats["readable"] & np.isfinite(beats["heart_rate_bpm"])]
    minute = (b["time_s"] // 60).astype(int)
    per_min = b.groupby(minute)["heart_rate_bpm"].median()
    if stretches is not None and len(stretches):
        _shade_unreadable(ax, stretches, unit)
    ax.plot((per_min.index * 60 + 30) / unit, per_min.to_numpy(), color="tab:blue", lw=1, label="median per minute")
    ax.set(xlabel=f"time ({name})", ylabel="heart rate (beats/min)")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_score_timeline(beats, threshold, stretches=None, ax=None) -> Figure:
    """Every scored beat's anomaly score over time, flagged beats coloured by kind, and the threshold. Beats above
    the threshold that their family explains (kind N: not flagged) are grey like the others.

    The y axis stops at 4 x the threshold (or the 99.9th percentile, if higher); beats above it are drawn on the
    top edge as triangles, so one extreme beat does not flatten the rest.
    """
    fig = new_figure(None, ax, figsize=(10, 3.2), layout="constrained")
    ax = ax or fig.add_subplot()
    unit, name = time_unit(_duration(beats))
    b = beats[np.isfinite(beats["score"])]
    top = max(4 * threshold, float(np.percentile(b["score"], 99.9))) if len(b) else 4 * threshold
    if stretches is not None and len(stretches):
        _shade_unreadable(ax, stretches, unit)
    calm = b[~b["flagged"]]
    ax.scatter(calm["time_s"] / unit, np.minimum(calm["score"], top), s=2, color="0.55", lw=0, rasterized=True,
               label=f"not flagged ({len(calm):,})")
    for kind, color in KIND_COLORS.items():
        f = b[b["flagged"] & (b["kind"] == kind)]
        if len(f):
            over = f["score"] > top
            ax.scatter(f["time_s"][~over] / unit, f["score"][~over], s=5, color=color, lw=0, rasterized=True,
                       label=f"{KIND_LABELS[kind]} ({len(f):,})")
            ax.scatter(f["time_s"][over] / unit, np.full(int(over.sum()), top), s=12, marker="^", color=color, lw=0)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.3g}")
    ax.set(xlabel=f"time ({name})", ylabel="anomaly score\n(sum of -log p of the evidence)", ylim=(0, top * 1.03))
    ax.legend(loc="upper right", fontsize=8, ncol=2, markerscale=3)
    return fig


def plot_burden(beats, ax=None) -> Figure:
    """Flagged beats per hour of recording (per 10 minutes up to 3 hours, :func:`burden_bin`), stacked by kind,
    with each bin's burden (% of its scored beats) above its bar."""
    fig = new_figure(None, ax, figsize=(10, 2.8), layout="constrained")
    ax = ax or fig.add_subplot()
    duration = _duration(beats)
    size, name = burden_bin(duration)
    unit, unit_name = time_unit(duration)
    b = beats[np.isfinite(beats["score"])]
    which = (b["time_s"] // size).astype(int)
    bins = np.arange(int(which.max()) + 1 if len(b) else 1)
    end = max(duration, 1e-9)  # the last bin is drawn as long as the recording lasts into it
    left, width = bins * size / unit, 0.9 * (np.minimum((bins + 1) * size, end) - bins * size).clip(0) / unit
    bottom = np.zeros(len(bins))
    for kind, color in KIND_COLORS.items():
        counts = b[b["flagged"] & (b["kind"] == kind)].groupby(which).size().reindex(bins, fill_value=0)
        ax.bar(left, counts.to_numpy(), bottom=bottom, color=color, width=width, label=KIND_LABELS[kind],
               align="edge")
        bottom += counts.to_numpy()
    scored = b.groupby(which).size().reindex(bins, fill_value=0).to_numpy()
    for x, w, k, n in zip(left, width, bottom, scored):
        if n >= MIN_BIN_BEATS:  # a share of a handful of beats (a recording's last minute) is no burden
            ax.text(x + w / 2, k, f"{100 * k / n:.1f}%", ha="center", va="bottom", fontsize=7)
    ax.set(xlabel=f"time ({unit_name})", ylabel=f"flagged beats\nper {name}", xlim=(0, end / unit))
    ax.margins(y=0.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8)  # beside the bars, never over them
    return fig


def families_shown(beats, families, n=8):
    """The families a reviewer opens: the dominant family first (for comparison), then those holding flagged beats,
    most flagged first, ``n`` at most."""
    if not len(families):
        return families
    dominant = families.index[families["dominant"]]
    flagged = families[(families["flagged"] > 0) & ~families["dominant"]].sort_values("flagged", ascending=False)
    return families.loc[list(dominant) + list(flagged.index)].head(n)


def plot_families(signal, fs, beats, families, n=8, members=12, context_s=3.0, start=None, fig=None) -> Figure:
    """Each family once (:func:`families_shown`): its typical beat drawn over a few of its beats (left: the median of
    ``members`` of them, each 0.3 s before to 0.5 s after its R-peak, baseline removed), and one of its flagged beats
    (its most typical: the median score) with ``context_s`` seconds of signal either side (right).

    Parameters
    ----------
    signal : float array
        The lead that was scanned (mV).
    fs : float
    beats : DataFrame
        A scan's per-beat table (``sample``, ``family``, ``kind``, ``flagged``, ``score``).
    families : DataFrame
        The scan's family table (:attr:`ecg_utils.scan.stages.Scan.families`).
    start : datetime, optional
        The recording's start: titles then give the clock time.
    """
    import datetime as dt

    shown = families_shown(beats, families, n)
    height = 1.9 * max(len(shown), 1)
    fig = new_figure(fig, figsize=(10, height))
    if not len(shown):
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no beat families (no beat could be read)", ha="center", va="center")
        ax.set_axis_off()
        return fig
    # fixed margins in inches (a constrained layout of these 2 x n axes took about 1 s to draw a report's figure)
    rows = len(shown)
    gap = 0.62 / ((height - 0.95 - 0.62 * (rows - 1)) / rows)  # 0.62 in between rows, as a share of a row's height
    axes = fig.subplots(rows, 2, squeeze=False, width_ratios=[1, 3], gridspec_kw=dict(
        left=0.01, right=0.99, bottom=0.5 / height, top=1 - 0.4 / height, hspace=gap, wspace=0.17))
    a_s, b_s, half = int(0.3 * fs), int(0.5 * fs), int(context_s * fs)
    t_beat = np.arange(-a_s, b_s) / fs
    for (left, right), (_, fam) in zip(axes, shown.iterrows()):
        mine = beats[beats["family"] == fam["family"]]
        inside = mine[(mine["sample"] >= a_s) & (mine["sample"] + b_s <= len(signal))]
        pick = inside.iloc[np.linspace(0, len(inside) - 1, min(members, len(inside))).astype(int)] \
            if len(inside) else inside
        color = "0.3" if fam["kind"] == "N" else KIND_COLORS.get(fam["kind"], "k")
        cuts = np.array([signal[c - a_s:c + b_s] - np.median(signal[c - a_s:c + b_s]) for c in pick["sample"]])
        for x in cuts:
            left.plot(t_beat, x, color="0.75", lw=0.6)
        if len(cuts):
            left.plot(t_beat, np.median(cuts, axis=0), color=color, lw=1.8)
        name = "dominant (normal)" if fam["dominant"] else {"N": "normal", "V": "ventricular", "F": "fusion",
                                                             "Q": "unclassifiable"}.get(fam["kind"], fam["kind"])
        left.set_title(f"family {int(fam['family'])}: {name}\n{int(fam['beats']):,} beats, {int(fam['flagged']):,} "
                       "flagged", fontsize=8, loc="left")
        left.set_xlim(t_beat[0], t_beat[-1])
        left.set_yticks([])
        flagged = mine[mine["flagged"]]
        example = flagged if len(flagged) else mine
        if not len(example):
            right.set_axis_off()
            continue
        row = example.iloc[int(np.argsort(example["score"].to_numpy())[len(example) // 2])]
        c = int(row["sample"])
        a, b = max(0, c - half), min(len(signal), c + half)
        right.plot((np.arange(a, b) - c) / fs, signal[a:b], color="k", lw=0.7)
        near = beats[(beats["sample"] >= a) & (beats["sample"] < b)]
        for _, other in near.iterrows():
            x = (other["sample"] - c) / fs
            right.axvline(x, color=KIND_COLORS.get(other["kind"], "0.8") if other["flagged"] else "0.85",
                          lw=2.5 if other["sample"] == c else 0.8, alpha=0.35 if other["sample"] == c else 0.6,
                          zorder=0)
        when = (start + dt.timedelta(seconds=float(row["time_s"]))).strftime("%H:%M:%S") if start else \
            str(dt.timedelta(seconds=round(float(row["time_s"]))))
        right.set_title(f"beat {int(row['beat'])} at {when}: {row['kind']}"
                        + (f", {row['reason']}" if row["flagged"] else "") + f" (score {row['score']:.1f})",
                        fontsize=8, loc="left")
        right.set_xlim(-context_s, context_s)
        right.set_ylabel("mV", fontsize=8)
    axes[-1, 0].set_xlabel("seconds from the R-peak")
    axes[-1, 1].set_xlabel("seconds from the beat (coloured lines: flagged beats, by kind; grey: the others)")
    return fig
