"""Scan a recording: read -> unreadable stretches -> R-peaks -> beats -> score, into one table.

No beat annotation and no training is needed: the detector shipped with the package
(:func:`ecg_utils.pretrained.load_detector`) or any saved one scores the beats, each judged against the patient's
own template and timing. :func:`ecg_utils.scan_output.write_scan` writes the table, a WFDB annotation file and the
report.

Examples
--------
>>> result = scan("holter/rec01.edf")                                # doctest: +SKIP
>>> result.beats.loc[result.beats.flagged, ["time_s", "reason"]]     # doctest: +SKIP
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecg_utils.beats import add_templates, beats_from_peaks
from ecg_utils.errors import DataError
from ecg_utils.peaks import find_peaks, qrs_band
from ecg_utils.quality import unreadable_mask, unreadable_stretches
from ecg_utils.recording import MAX_FS, MIN_FS, Recording, read_recording
from ecg_utils.rhythm import STRETCH_COLUMNS, irregular_stretches

#: Fewest readable beats a scan needs: a patient's template is the median of the 101 nearest regular beats.
MIN_BEATS = 101
#: Columns of the per-beat table, in order.
COLUMNS = ("beat", "sample", "time_s", "rr_prev_s", "rr_next_s", "rr_local_s", "heart_rate_bpm", "readable",
           "score", "shape", "rhythm", "irregular_rhythm", "flagged", "reason")


@dataclass
class Scan:
    """What a scan found in one recording.

    Attributes
    ----------
    recording : Recording
        The lead that was read (its signal included, for the report's strips).
    beats : DataFrame
        One row per detected beat, in time order (:data:`COLUMNS`): sample index and time, RR intervals and heart
        rate, whether the signal around it is readable, the score and its ``shape`` and ``rhythm`` parts
        (:meth:`~ecg_utils.detector.AutoencoderDetector.score_parts`), ``flagged`` (score above the threshold) and
        a plain ``reason``: "premature", "unusual shape", both, or why the beat was not scored; ``irregular_rhythm``
        marks the beats inside a stretch of irregular rhythm.
    stretches : DataFrame
        The unreadable stretches (:func:`ecg_utils.quality.unreadable_stretches`).
    rhythm : DataFrame
        The stretches of irregular rhythm, a rhythm finding (:func:`ecg_utils.rhythm.irregular_stretches`: at least
        30 s where consecutive normal-to-normal intervals keep differing, as in atrial fibrillation).
    threshold : float
        The detector's threshold.
    detector : str
        Which detector scored the beats (its folder, or "pretrained").
    timings : dict
        Seconds per stage.
    peak_stats : dict
        What the R-peak detection did (:func:`ecg_utils.peaks.find_peaks`).
    """

    recording: Recording
    beats: pd.DataFrame
    stretches: pd.DataFrame
    threshold: float
    detector: str
    timings: dict = field(default_factory=dict)
    peak_stats: dict = field(default_factory=dict)
    rhythm: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(STRETCH_COLUMNS)))

    def summary(self) -> dict:
        """The numbers a report opens with, JSON-ready."""
        b, rec = self.beats, self.recording
        readable = b[b.readable & b.score.notna()]
        flagged = b[b.flagged]
        hours = rec.duration_s / 3600
        return {
            "recording": rec.name, "file": rec.path, "lead": rec.lead, "fs": rec.fs, "source": rec.source,
            "start": rec.start, "duration_s": rec.duration_s,
            "beats": int(len(b)), "beats_scored": int(len(readable)), "flagged": int(len(flagged)),
            "burden_pct": 100 * len(flagged) / len(readable) if len(readable) else None,
            "flagged_per_hour": len(flagged) / hours if hours else None,
            "reasons": {r: int((flagged.reason == r).sum()) for r in REASONS},
            "heart_rate_bpm_median": float(np.nanmedian(readable.heart_rate_bpm)) if len(readable) else None,
            "unreadable_s": float(unreadable_mask(self.stretches, len(rec.signal)).sum() / rec.fs),
            "unreadable": {k: float(self.stretches.duration_s[self.stretches.kind == k].sum())
                           for k in sorted(set(self.stretches.kind))},
            "irregular_rhythm": {"stretches": int(len(self.rhythm)), "duration_s": float(self.rhythm.duration_s.sum()),
                                 "longest_s": float(self.rhythm.duration_s.max()) if len(self.rhythm) else 0.0,
                                 "list": self.rhythm[["start_s", "end_s", "duration_s", "beats"]].to_dict("records")},
            "threshold": self.threshold, "detector": self.detector,
            "timings_s": self.timings, "peaks": self.peak_stats,
        }


#: The reasons a flagged beat can have.
REASONS = ("premature", "unusual shape", "premature, unusual shape")


def reasons(shape, rhythm, flagged, threshold) -> np.ndarray:
    """Why each flagged beat was flagged: the parts of its score that carry at least half the threshold.

    A flagged beat's ``shape + rhythm`` exceeds the threshold, so at least one part does: every flagged beat has
    a reason. "premature" is the timing part (the beat came early for the local rhythm), "unusual shape" the
    reconstruction part (the beat differs from the patient's template in a way normal beats do not).

    Examples
    --------
    >>> reasons(np.array([9.0, 1.0, 5.0, 1.0]), np.array([0.5, 9.0, 5.0, 1.0]), np.array([1, 1, 1, 0], bool), 8.0).tolist()
    ['unusual shape', 'premature', 'premature, unusual shape', '']
    """
    half = threshold / 2
    out = np.full(len(shape), "", dtype=object)
    is_shape, is_rhythm = flagged & (shape >= half), flagged & (rhythm >= half)
    out[is_rhythm & ~is_shape] = REASONS[0]
    out[is_shape & ~is_rhythm] = REASONS[1]
    out[is_shape & is_rhythm] = REASONS[2]
    return out


def _log(verbose, message):
    if verbose:
        print(message, flush=True)


def scan(source, detector=None, lead=None, fs=None, units=None, column=None, verbose=False) -> Scan:
    """Find the abnormal beats of one recording.

    Parameters
    ----------
    source : path or Recording
        A WFDB record (``.hea``), EDF, CSV/TSV/TXT or ``.npy`` file (:func:`ecg_utils.recording.read_recording`),
        or a recording already read.
    detector : AutoencoderDetector, path, or None
        A fitted detector, the folder of a saved one, or None for the detector shipped with the package.
    lead, fs, units, column
        How to read ``source`` (see :func:`~ecg_utils.recording.read_recording`).
    verbose : bool
        Print one line per stage, with its time (long recordings take seconds per stage).

    Returns
    -------
    Scan

    Raises
    ------
    DataError
        For input that cannot be read, a recording with fewer than :data:`MIN_BEATS` readable beats, or a detector
        that cannot scan (one that needs annotations it cannot have).
    """
    from ecg_utils.pretrained import load_detector

    timings, t_all = {}, time.perf_counter()
    t0 = time.perf_counter()
    rec = source if isinstance(source, Recording) else read_recording(source, lead=lead, fs=fs, units=units,
                                                                      column=column)
    if isinstance(source, Recording):  # built by hand: check what read_recording would have
        _check_recording(rec)
    timings["read"] = time.perf_counter() - t0
    _log(verbose, f"{rec.name}: {rec.duration_s / 60:.1f} min of lead {rec.lead} at {rec.fs:g} Hz read from "
                  f"{rec.path} ({timings['read']:.1f} s)")
    det, det_name = load_detector(detector)
    _check_scannable(det, det_name)

    t0 = time.perf_counter()
    band = qrs_band(rec.signal, rec.fs)
    stretches = unreadable_stretches(rec.signal, rec.fs, band)
    skip = unreadable_mask(stretches, len(rec.signal))
    timings["quality"] = time.perf_counter() - t0
    _log(verbose, f"  unreadable signal: {len(stretches)} stretch(es), {skip.sum() / rec.fs:.0f} s "
                  f"({timings['quality']:.1f} s)")

    t0 = time.perf_counter()
    stats = {}
    peaks = find_peaks(rec.signal, rec.fs, stats=stats, band=band, skip=skip)
    timings["peaks"] = time.perf_counter() - t0
    _log(verbose, f"  R-peaks: {len(peaks):,} beats; the two fast detectors agreed on {stats.get('agreed', 0):,}, "
                  f"gqrs re-read {100 * stats.get('second_look_share', 0):.0f}% of the signal "
                  f"({timings['peaks']:.1f} s)")
    del band

    t0 = time.perf_counter()
    readable = ~skip[peaks] if len(peaks) else np.zeros(0, dtype=bool)
    if readable.sum() < MIN_BEATS:
        unread = (f"; {skip.sum() / rec.fs:.0f} s of it is unreadable ({', '.join(sorted(set(stretches['kind'])))})"
                  if skip.any() else "")
        raise DataError(f"{rec.path}: only {int(readable.sum())} readable beats found in {rec.duration_s:.0f} s of "
                        f"lead {rec.lead}{unread}; a scan needs at least {MIN_BEATS} (the patient's own template is "
                        "the median of the 101 nearest regular beats)")
    segment = np.searchsorted(np.sort(stretches["start"].to_numpy()), peaks[readable], side="right")
    info = det.train_info_ or {}
    beats = beats_from_peaks(rec.signal, rec.fs, peaks[readable], info.get("representation", det.representation_),
                             rec.name, segments=segment, params=info.get("params"))
    if det.context == "template":
        beats = add_templates(beats, int(info.get("template_width") or MIN_BEATS), info.get("template_regular"))
    timings["beats"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    parts = det.score_parts(beats)
    timings["score"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rhythm = irregular_stretches(beats, rec.fs)
    timings["rhythm"] = time.perf_counter() - t0
    table = _table(rec, peaks, readable, segment, beats, parts, det.threshold_, stretches)
    inside = np.zeros(len(table), dtype=bool)
    for a, b in zip(rhythm.start, rhythm.end):
        inside |= (table["sample"].to_numpy() >= a) & (table["sample"].to_numpy() <= b)
    table["irregular_rhythm"] = inside
    timings["total"] = time.perf_counter() - t_all
    _log(verbose, f"  scored {len(beats):,} beats ({timings['beats']:.1f} s to cut them, {timings['score']:.1f} s to "
                  f"score): {int(table.flagged.sum()):,} flagged above the threshold {det.threshold_:.3g}")
    if len(rhythm):
        _log(verbose, f"  irregular rhythm: {len(rhythm)} stretch(es), {rhythm.duration_s.sum() / 60:.1f} min")
    return Scan(rec, table[list(COLUMNS)], stretches, float(det.threshold_), det_name, timings, stats, rhythm)


def _check_recording(rec):
    signal = np.asarray(rec.signal)
    if signal.ndim != 1 or signal.size == 0:
        raise DataError(f"{rec.path}: the signal must be one lead (a 1-D array), got shape {signal.shape}")
    if not np.isfinite(signal).all():
        raise DataError(f"{rec.path}: {int((~np.isfinite(signal)).sum())} samples are NaN or infinite; read the "
                        "file with read_recording, which fills gaps, or fill them first")
    if not (np.isfinite(rec.fs) and MIN_FS <= rec.fs <= MAX_FS):
        raise DataError(f"{rec.path}: sampling rate {rec.fs} Hz is outside {MIN_FS:g}-{MAX_FS:g} Hz")


def _check_scannable(det, name):
    if det.rr_features:
        raise DataError(f"{name}: this detector takes RR intervals as a model input (rr_features=True); the scan "
                        "supports detectors of beats, templates and rhythm (the recommended preset)")
    if det.representation_ not in ("centered", "kaggle"):
        raise DataError(f"{name}: the detector was trained on {det.representation_!r} beats, which a scan cannot cut")


def _table(rec, peaks, readable, segment, beats, parts, threshold, stretches) -> pd.DataFrame:
    """The per-beat table: every detected peak, scored where readable and far enough from the ends to be cut."""
    from ecg_utils.beats import rr_intervals

    n = len(peaks)
    scored = readable & np.isin(peaks, beats.sample)  # the cut beats, in peak order as the scores are
    rr = np.full((n, 3), np.nan)
    rr[readable] = rr_intervals(peaks[readable], rec.fs, segments=segment)
    table = pd.DataFrame({"beat": np.arange(n), "sample": peaks, "time_s": peaks / rec.fs,
                          "rr_prev_s": rr[:, 0], "rr_next_s": rr[:, 1], "rr_local_s": rr[:, 2]})
    with np.errstate(divide="ignore", invalid="ignore"):
        table["heart_rate_bpm"] = 60.0 / table["rr_prev_s"]
    table["readable"] = readable
    for name in ("score", "shape", "rhythm"):
        col = np.full(n, np.nan)
        col[scored] = parts[name]
        table[name] = col
    flagged = scored & (table["score"].to_numpy() > threshold)
    table["flagged"] = flagged
    why = reasons(table["shape"].to_numpy(), table["rhythm"].to_numpy(), flagged, threshold)
    kinds = _stretch_kind(peaks, stretches)
    why[~readable] = [f"unreadable signal ({k})" for k in kinds[~readable]]
    why[readable & ~scored] = "too close to the recording's start or end to cut"
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


def compare_with_reference(result, record=None, data_dir=None) -> pd.DataFrame:
    """How a scan of an MIT-BIH record did against the record's reference annotations, which the scan never saw.

    Returns a table with one row per AAMI class (N, S, V, F, Q) and one for false beats (detections matching no
    reference beat): reference beats, found (EC57, 150 ms), flagged, and the shares. ``table.attrs`` holds the
    EC57 detection figures (``se``, ``ppv``).
    """
    from ecg_utils.data import find_data_dir, read_record
    from ecg_utils.metrics import scan_vs_reference

    ref = read_record(find_data_dir(data_dir), record or result.recording.name, lead=result.recording.lead,
                      fallback=True)
    samples, classes = ref.beats()
    b = result.beats
    out = scan_vs_reference(b["sample"][b["flagged"]], b["sample"], samples, classes, result.recording.fs)
    rows = [{"class": k, "reference beats": v["n"], "found": v["found"], "flagged": v["flagged"],
             "found share": v["found_rate"], "flagged share": v["flagged_rate"]} for k, v in out["per_class"].items()]
    rows.append({"class": "false beats", "reference beats": None, "found": out["false_beats"]["n"],
                 "flagged": out["false_beats"]["flagged"], "found share": None, "flagged share": None})
    table = pd.DataFrame(rows).set_index("class")
    table.attrs.update(out["detection"])
    return table
