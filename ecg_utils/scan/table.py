"""The scan's beat table: one row per detected beat (:data:`COLUMNS`), its kind and family, and the plain reason of
each flag."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of the per-beat table, in order.
COLUMNS = ("beat", "sample", "time_s", "rr_prev_s", "rr_next_s", "rr_local_s", "heart_rate_bpm", "readable",
           "score", "shape", "timing", "irregular_rhythm", "flagged", "kind", "family", "reason")

#: The reasons a flagged beat can have.
REASONS = ("premature", "unusual shape", "premature, unusual shape")


def reasons(shape, timing, flagged, threshold) -> np.ndarray:
    """Why each flagged beat was flagged: the parts of its score that carry at least half the threshold.

    A flagged beat's ``shape + timing`` exceeds the threshold, so at least one part does: every flagged beat has
    a reason. "premature" is the timing part (the beat came early for the local rhythm), "unusual shape" the
    reconstruction part (the beat differs from the patient's template in a way normal beats do not).

    Examples
    --------
    >>> reasons(np.array([9.0, 1.0, 5.0, 1.0]), np.array([0.5, 9.0, 5.0, 1.0]), np.array([1, 1, 1, 0], bool), 8.0).tolist()
    ['unusual shape', 'premature', 'premature, unusual shape', '']
    """
    half = threshold / 2
    out = np.full(len(shape), "", dtype=object)
    is_shape, is_timing = flagged & (shape >= half), flagged & (timing >= half)
    out[is_timing & ~is_shape] = REASONS[0]
    out[is_shape & ~is_timing] = REASONS[1]
    out[is_shape & is_timing] = REASONS[2]
    return out


#: Why an artefact beat (:mod:`ecg_utils.signal.artefact`) outside an artefact stretch is not scored.
ARTEFACT_REASON = "unreadable signal (artefact: neither both R-peak detectors nor the other lead confirm it)"


def beat_table(rec, peaks, readable, segment, beats, parts, threshold, stretches, kinds=None,
               families=None, artefact=None, noisy=None) -> pd.DataFrame:
    """The per-beat table: every detected peak, scored where readable and far enough from the ends to be cut.

    ``kinds`` and ``families`` (one per cut beat, :func:`ecg_utils.scan.kinds.classify`) give each scored beat its
    kind and family; a beat is ``flagged`` when its score is above ``threshold`` and its kind is not N (without
    kinds, every beat above the threshold is flagged, kind Q). Beats not scored have kind "" and family -1.
    ``artefact`` marks the detections found to be artefact (their reason says so); ``noisy`` (one reason per cut beat,
    "" where the flag stands: :func:`ecg_utils.scan.noisy_families.untrusted`) the flags that cannot be trusted: those
    beats are unreadable, not scored, with the reason.
    """
    from ecg_utils.signal.rr import rr_intervals

    n = len(peaks)
    scored = readable & np.isin(peaks, beats.sample)  # the cut beats, in peak order as the scores are
    rr = np.full((n, 3), np.nan)
    rr[readable] = rr_intervals(peaks[readable], rec.fs, segments=segment)
    table = pd.DataFrame({"beat": np.arange(n), "sample": peaks, "time_s": peaks / rec.fs,
                          "rr_prev_s": rr[:, 0], "rr_next_s": rr[:, 1], "rr_local_s": rr[:, 2]})
    with np.errstate(divide="ignore", invalid="ignore"):
        table["heart_rate_bpm"] = 60.0 / table["rr_prev_s"]
    table["readable"] = readable
    for name in ("score", "shape", "timing"):
        col = np.full(n, np.nan)
        col[scored] = parts[name]
        table[name] = col
    above = scored & (table["score"].to_numpy() > threshold)
    kind = np.full(n, "", dtype=object)
    kind[scored] = np.where(above[scored], "Q", "N") if kinds is None else np.asarray(kinds, dtype=object)
    kind[scored & ~above] = "N"
    family = np.full(n, -1, dtype=np.int64)
    if families is not None:
        family[scored] = families
    flagged = above & (kind != "N")
    table["flagged"], table["kind"], table["family"] = flagged, kind, family
    why = reasons(table["shape"].to_numpy(), table["timing"].to_numpy(), flagged, threshold)
    kinds_of_stretch = _stretch_kind(peaks, stretches)
    why[~readable] = [f"unreadable signal ({k})" for k in kinds_of_stretch[~readable]]
    if artefact is not None:
        why[np.asarray(artefact, dtype=bool) & ~readable & (kinds_of_stretch == "")] = ARTEFACT_REASON
    why[readable & ~scored] = "too close to the recording's start or end to cut"
    untrusted = np.zeros(0, dtype=bool) if noisy is None else np.asarray(noisy, dtype=object) != ""
    if untrusted.any():
        at = np.flatnonzero(scored)[untrusted]
        table.loc[at, ["score", "shape", "timing"]] = np.nan
        table.loc[at, "readable"], table.loc[at, "flagged"] = False, False
        kind[at], family[at], why[at] = "", -1, np.asarray(noisy, dtype=object)[untrusted]
        table["kind"], table["family"] = kind, family
    table["reason"] = why
    table["irregular_rhythm"] = False
    return table[list(COLUMNS)]


def _stretch_kind(peaks, stretches) -> np.ndarray:
    """The kind of unreadable stretch each peak lies in ("" for none)."""
    out = np.full(len(peaks), "", dtype=object)
    for kind, a, b in zip(stretches["kind"], stretches["start"], stretches["end"]):
        inside = (peaks >= a) & (peaks < b)
        out[inside] = np.where(out[inside] == "", kind, out[inside] + ", " + kind)
    return out
