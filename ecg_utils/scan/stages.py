"""Scan a recording: read -> unreadable stretches -> R-peaks -> beats -> score, into one table.

No beat annotation and no training is needed: the detector shipped with the package
(:func:`ecg_utils.detect.pretrained.load_detector`) or any saved one scores the beats, each judged against the patient's
own template and timing. :func:`ecg_utils.scan.output.write_scan` writes the table, a WFDB annotation file and the
report.

Examples
--------
>>> result = scan("holter/rec01.edf")                                # doctest: +SKIP
>>> result.table.loc[result.table.flagged, ["time_s", "reason"]]     # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.io.other_lead import read_other_lead
from ecg_utils.io.recording import MAX_FS, MIN_FS, Recording, read_recording
from ecg_utils.scan.burden import burden
from ecg_utils.scan.episodes import COLUMNS as EPISODE_COLUMNS
from ecg_utils.scan.episodes import episode_summary, rhythm_episodes
from ecg_utils.scan.kinds import FAMILY_COLUMNS, KIND_NAMES, KINDS, classify
from ecg_utils.scan.noisy_families import REASONS as NOISE_REASONS
from ecg_utils.scan.noisy_families import untrusted
from ecg_utils.scan.table import COLUMNS, REASONS, beat_table
from ecg_utils.signal.artefact import AGREE_S as ARTEFACT_AGREE_S
from ecg_utils.signal.artefact import KIND as ARTEFACT
from ecg_utils.signal.artefact import SINGLE_LEAD_CORR, artefact, faint, has_lookalike, near, second_lead_support
from ecg_utils.signal.cutting import beats_from_peaks, filtered_once
from ecg_utils.signal.disturbances import find_disturbances, remove_hum
from ecg_utils.signal.peaks import START_EARLY_S, default_workers, find_peaks, qrs_band, start_workers
from ecg_utils.signal.quality import COLUMNS as STRETCH_TABLE
from ecg_utils.signal.quality import PAD_S, unreadable_mask, unreadable_stretches
from ecg_utils.signal.rhythm import STRETCH_COLUMNS, irregular_stretches, template_correlation
from ecg_utils.signal.templates import add_templates, templates_at

#: Fewest readable beats a scan needs: a patient's template is the median of the 101 nearest regular beats.
MIN_BEATS = 101


@dataclass
class Scan:
    """What a scan found in one recording.

    Attributes
    ----------
    recording : Recording
        The lead that was read (its signal included, for the report's strips).
    table : DataFrame
        The beat table (``beats.csv``): one row per detected beat, in time order
        (:data:`ecg_utils.scan.table.COLUMNS`): sample index and time, RR intervals and heart
        rate, whether the signal around it is readable, the score and its ``shape`` and ``timing`` parts
        (:meth:`~ecg_utils.detect.autoencoder.AutoencoderDetector.score_parts`), ``flagged`` (score above the threshold
        and a kind other than N), ``kind`` (N, S, V, F, Q; :mod:`ecg_utils.scan.kinds`), ``family`` (its beat family)
        and a plain ``reason``: "premature", "unusual shape", both, or why the beat was not scored;
        ``irregular_rhythm`` marks the beats inside a stretch of irregular rhythm.
    stretches : DataFrame
        The unreadable stretches (:func:`ecg_utils.signal.quality.unreadable_stretches`).
    episodes : DataFrame
        The rhythm episodes (:func:`ecg_utils.scan.episodes.rhythm_episodes`): one row per episode of irregular
        rhythm (AF-like), run of S or V beats, ventricular bigeminy or trigeminy, with its MIT-BIH rhythm string,
        start, end, beats and heart rate.
    irregular : DataFrame
        The stretches of irregular rhythm (:func:`ecg_utils.signal.rhythm.irregular_stretches`: at least 30 s where
        consecutive normal-to-normal intervals keep differing, as in atrial fibrillation); the ``(AFIB`` episodes.
    second_lead : str or None
        The other lead read beside :attr:`recording`'s (it confirms beats, :mod:`ecg_utils.signal.artefact`, and a QRS
        that is the patient's there is not ventricular, :mod:`ecg_utils.scan.kinds`); None with one lead.
    threshold : float
        The detector's threshold.
    detector : str
        Which detector scored the beats (its folder, or "pretrained").
    families : DataFrame
        The beat families (:func:`ecg_utils.scan.kinds.classify`): one row per family, largest first, with its beats,
        flagged beats, kind, whether it is the patient's dominant (normal) family and its medians.
    timings : dict
        Seconds per stage.
    peak_stats : dict
        What the R-peak detection did (:func:`ecg_utils.signal.peaks.find_peaks`).
    disturbances : dict
        The mains hum and pacing spikes found (:meth:`ecg_utils.signal.disturbances.Disturbances.summary`).
    notes : list
        What reading the file assumed or changed (:attr:`~ecg_utils.io.recording.Recording.notes`) and the
        disturbances found, one line each.
    """

    recording: Recording
    table: pd.DataFrame
    stretches: pd.DataFrame
    threshold: float
    detector: str
    timings: dict = field(default_factory=dict)
    peak_stats: dict = field(default_factory=dict)
    episodes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(EPISODE_COLUMNS)))
    disturbances: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    families: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(FAMILY_COLUMNS)))
    irregular: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(STRETCH_COLUMNS)))
    second_lead: str | None = None

    @property
    def beats(self) -> pd.DataFrame:
        """The beat table under its 0.1 name (:attr:`table`; deprecated: ``beats`` is a Beats dataset elsewhere)."""
        warnings.warn("Scan.beats is now Scan.table (the beat table); the old name works until ecg-detector 0.3",
                      DeprecationWarning, stacklevel=2)
        return self.table

    @property
    def rhythm(self) -> pd.DataFrame:
        """The stretches of irregular rhythm under their 0.1 name (:attr:`irregular`; deprecated)."""
        warnings.warn("Scan.rhythm is now Scan.irregular (Scan.episodes holds every rhythm episode); the old name "
                      "works until ecg-detector 0.3", DeprecationWarning, stacklevel=2)
        return self.irregular

    def summary(self) -> dict:
        """The numbers a report opens with, JSON-ready."""
        b, rec = self.table, self.recording
        readable = b[b.readable & b.score.notna()]
        flagged = b[b.flagged]
        hours = rec.duration_s / 3600
        return {
            "recording": rec.name, "file": rec.path, "lead": rec.lead, "second_lead": self.second_lead, "fs": rec.fs,
            "source": rec.source,
            "start": rec.start, "duration_s": rec.duration_s,
            "beats": int(len(b)), "beats_scored": int(len(readable)), "flagged": int(len(flagged)),
            "burden_pct": 100 * len(flagged) / len(readable) if len(readable) else None,
            "flagged_per_hour": len(flagged) / hours if hours else None,
            "reasons": {r: int((flagged.reason == r).sum()) for r in REASONS},
            "kinds": {k: int((flagged.kind == k).sum()) for k in KINDS[1:]},
            "above_threshold": int((readable.score > self.threshold).sum()),
            **{f"unreadable_noise_{name}": int((b.reason == why).sum()) for name, why in NOISE_REASONS.items()},
            "burden": burden(b.kind, hours),
            "families": self.family_summary(),
            "heart_rate_bpm_median": float(np.nanmedian(readable.heart_rate_bpm)) if len(readable) else None,
            "unreadable_s": float(unreadable_mask(self.stretches, len(rec.signal)).sum() / rec.fs),
            "unreadable": {k: float(self.stretches.duration_s[self.stretches.kind == k].sum())
                           for k in sorted(set(self.stretches.kind))},
            "irregular_rhythm": self.irregular_summary(),
            "episodes": episode_summary(self.episodes),
            "threshold": self.threshold, "detector": self.detector,
            "timings_s": self.timings, "peaks": self.peak_stats,
            "disturbances": self.disturbances, "notes": list(self.notes),
        }

    def irregular_summary(self) -> dict:
        """The stretches of irregular rhythm in numbers: how many, how long in all, the longest, and the list."""
        irr = self.irregular
        rows = irr[["start_s", "end_s", "duration_s", "beats"]].astype({"beats": np.int64}).to_dict("records")
        return {"stretches": int(len(irr)), "duration_s": float(irr.duration_s.sum()),
                "longest_s": float(irr.duration_s.max()) if len(irr) else 0.0,
                "list": [{k: v.item() if isinstance(v, np.generic) else v for k, v in r.items()} for r in rows]}

    def family_summary(self) -> dict:
        """The families in numbers: how many, how many hold a flagged beat (what a reviewer opens to confirm every
        flag), the dominant family's share of the scored beats, and the largest family of each kind."""
        f = self.families
        scored = int(self.table.score.notna().sum())
        out = {"count": int(len(f)), "with_flags": int((f.flagged > 0).sum()) if len(f) else 0,
               "dominant_pct": (100 * float(f.beats[f.dominant].sum()) / scored) if len(f) and scored else None}
        for kind in ("V", "S", "F", "Q"):
            # S beats live in normal families: the largest family by its S beats
            count = (self.table.kind == kind).groupby(self.table.family).sum()
            count = count[count.index >= 0]
            if not len(count) or count.max() == 0:
                out[f"largest_{kind}"] = None
                continue
            fam = int(count.idxmax())
            row = f[f.family == fam].iloc[0]
            out[f"largest_{kind}"] = {"family": fam, "beats": int(row.beats), f"{kind}_beats": int(count.max()),
                                      "kind": KIND_NAMES[row.kind] if row.kind in KIND_NAMES else str(row.kind)}
        return out


def _log(verbose, message):
    if verbose:
        print(message, flush=True)


def scan(source, detector=None, lead=None, fs=None, units=None, column=None, verbose=False, other=None) -> Scan:
    """Find the abnormal beats of one recording.

    Parameters
    ----------
    source : path or Recording
        A WFDB record (``.hea``), EDF, CSV/TSV/TXT or ``.npy`` file (:func:`ecg_utils.io.recording.read_recording`),
        or a recording already read.
    detector : AutoencoderDetector, path, or None
        A fitted detector, the folder of a saved one, or None for the detector shipped with the package.
    lead, fs, units, column
        How to read ``source`` (see :func:`~ecg_utils.io.recording.read_recording`).
    verbose : bool
        Print one line per stage, with its time (long recordings take seconds per stage).
    other : Recording, False or None
        The second lead that confirms beats (:mod:`ecg_utils.signal.artefact`): None reads the file's other ECG lead
        when it has one (:func:`ecg_utils.io.other_lead.read_other_lead`), False uses one lead only.

    Returns
    -------
    Scan

    Raises
    ------
    DataError
        For input that cannot be read, a recording with fewer than :data:`MIN_BEATS` readable beats, or a detector
        that cannot scan (one that needs annotations it cannot have).
    """
    from ecg_utils.detect.pretrained import load_detector

    timings, t_all = {}, time.perf_counter()
    t0 = time.perf_counter()
    rec = source if isinstance(source, Recording) else read_recording(source, lead=lead, fs=fs, units=units,
                                                                      column=column)
    if isinstance(source, Recording):  # built by hand: check what read_recording would have
        _check_recording(rec)
    if rec.duration_s >= START_EARLY_S:  # gqrs's worker processes start now, on the cores this stage leaves idle
        start_workers(default_workers())
    found = find_disturbances(rec.signal, rec.fs)  # mains hum is removed, pacing spikes named
    if found.mains_hz:
        rec = dataclasses.replace(rec, signal=remove_hum(rec.signal, rec.fs, found.mains_hz))
    notes = [*rec.notes, *found.notes()]
    timings["read"] = time.perf_counter() - t0
    _log(verbose, f"{rec.name}: {rec.duration_s / 60:.1f} min of lead {rec.lead} at {rec.fs:g} Hz read from "
                  f"{rec.path} ({timings['read']:.1f} s)" + "".join(f"\n  note: {line}" for line in notes))
    det, det_name = load_detector(detector)
    _check_scannable(det, det_name)

    t0 = time.perf_counter()
    band = qrs_band(rec.signal, rec.fs)
    stretches = _with_gaps(unreadable_stretches(rec.signal, rec.fs, band), rec)
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

    with filtered_once():  # the artefact test and the beats cut from the same filtered signal
        t0 = time.perf_counter()
        info = det.train_info_ or {}
        if other is None and not isinstance(source, Recording):
            other = read_other_lead(rec)
            if other is not None and found.mains_hz:
                other = dataclasses.replace(other, signal=remove_hum(other.signal, other.fs, found.mains_hz))
        other = other or None
        stretches, skip, artefact_beats, faint_peaks = _artefacts(rec, other, peaks, stats, stretches, skip, det,
                                                                  info, band)
        del band
        timings["artefact"] = time.perf_counter() - t0
        _log(verbose, f"  artefact: {int(artefact_beats.sum()):,} detection(s) neither both fast detectors nor "
                      + (f"lead {other.lead}" if other is not None else "the template") + " confirm, "
                      f"{int((stretches.kind == ARTEFACT).sum())} artefact stretch(es) ({timings['artefact']:.1f} s)")

        t0 = time.perf_counter()
        readable = ~skip[peaks] & ~artefact_beats if len(peaks) else np.zeros(0, dtype=bool)
        if readable.sum() < MIN_BEATS:
            kinds_read = ", ".join(sorted(set(stretches["kind"])))
            unread = f"; {skip.sum() / rec.fs:.0f} s of it is unreadable ({kinds_read})" if skip.any() else ""
            raise DataError(f"{rec.path}: only {int(readable.sum())} readable beats found in {rec.duration_s:.0f} s "
                            f"of lead {rec.lead}{unread}; a scan needs at least {MIN_BEATS} (the patient's own "
                            "template is the median of the 101 nearest regular beats)")
        segment = np.searchsorted(np.sort(stretches["start"].to_numpy()), peaks[readable], side="right")
        beats = _cut(rec, peaks[readable], segment, det, info)
        second = _second_lead_beats(other, peaks[readable], segment, beats, det, info)
        timings["beats"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    parts = det.score_parts(beats)
    timings["score"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rhythm = irregular_stretches(beats, rec.fs)
    timings["rhythm"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kinds, families = beat_kinds(beats, parts["score"] > det.threshold_, second)
    # why flags cannot be trusted (noise), "" where they can
    noisy = None if kinds is None else untrusted(beats, kinds, faint_peaks[np.isin(peaks, beats.sample)])
    timings["kinds"] = time.perf_counter() - t0
    table = beat_table(rec, peaks, readable, segment, beats, parts, det.threshold_, stretches,
                       None if kinds is None else kinds["kind"].to_numpy(),
                       None if kinds is None else kinds["family"].to_numpy(), artefact_beats, noisy)
    if noisy is not None and (noisy != "").any():  # the families count the flags that stand
        standing = table.family[table.flagged].value_counts()
        families = families.assign(flagged=[int(standing.get(f, 0)) for f in families.family])
    inside = np.zeros(len(table), dtype=bool)
    for a, b in zip(rhythm.start, rhythm.end):
        inside |= (table["sample"].to_numpy() >= a) & (table["sample"].to_numpy() <= b)
    table["irregular_rhythm"] = inside
    timings["total"] = time.perf_counter() - t_all
    above = int((table.score > det.threshold_).sum())
    _log(verbose, f"  scored {len(beats):,} beats ({timings['beats']:.1f} s to cut them, {timings['score']:.1f} s to "
                  f"score): {above:,} above the threshold {det.threshold_:.3g}")
    _log(verbose, f"  kinds: {int(table.flagged.sum()):,} flagged once the {len(families)} beat families were read "
                  f"({timings['kinds']:.1f} s): " + ", ".join(f"{(table.kind == k).sum():,} {k}" for k in KINDS[1:])
         + (f"; {int((noisy != '').sum()):,} unreadable in noise" if noisy is not None and (noisy != "").any() else ""))
    if len(rhythm):
        _log(verbose, f"  irregular rhythm: {len(rhythm)} stretch(es), {rhythm.duration_s.sum() / 60:.1f} min")
    counts = {k: v for k, v in stats.items() if np.ndim(v) == 0}  # the summary's numbers, not the sample lists
    table = table[list(COLUMNS)]
    return Scan(rec, table, stretches, float(det.threshold_), det_name, timings, counts,
                episodes=rhythm_episodes(table, rhythm), disturbances=found.summary(), notes=notes, families=families,
                irregular=rhythm, second_lead=other.lead if other is not None else None)


def beat_kinds(beats, above, second=None):
    """The kinds and families of the cut beats (:func:`ecg_utils.scan.kinds.classify`, with the ``second`` lead's
    beats if any), or (None, an empty family table) for beats the kinds cannot read (a detector of Kaggle-format
    beats: no template, no R-peak at a known place): every beat above the threshold is then flagged as Q."""
    if beats.template is None or beats.info.get("representation") != "centered":
        return None, pd.DataFrame(columns=list(FAMILY_COLUMNS))
    return classify(beats, above, second=second)


def _second_lead_beats(other, peaks, segment, beats, det, info):
    """The beats cut from the second lead at the same ``peaks`` (and readable ``segment``) as ``beats``, with that
    lead's own templates: the same beats, as the lead has the same rate and length (None without a second lead, or
    for beats the kinds cannot read)."""
    if other is None or beats.template is None or beats.info.get("representation") != "centered":
        return None
    return _cut(other, peaks, segment, det, info)


def _cut(rec, peaks, segment, det, info, templates=True) -> Beats:
    """The beats at ``peaks`` as the detector was trained on them (representation, templates unless not asked)."""
    beats = beats_from_peaks(rec.signal, rec.fs, peaks, info.get("representation", det.representation_), rec.name,
                             segments=segment, params=info.get("params"))
    if templates and det.context == "template":
        beats = add_templates(beats, int(info.get("template_width") or MIN_BEATS), info.get("template_regular"))
    return beats


def _templates_at(beats, which, det, info):
    """The templates :func:`_cut` would give the beats ``which`` (None for a detector without templates)."""
    if det.context != "template":
        return None
    return templates_at(beats, which, int(info.get("template_width") or MIN_BEATS), info.get("template_regular"))


def _artefacts(rec, other, peaks, stats, stretches, skip, det, info, band) -> tuple:
    """The artefact stage (:mod:`ecg_utils.signal.artefact`): the stretches with the artefact ones added, the
    unreadable mask, which detections are artefact beats, and which are faint in both leads (none with one lead).
    ``band``: :func:`ecg_utils.signal.peaks.qrs_band` of the recording's lead."""
    n, inside = len(rec.signal), ~skip[peaks] if len(peaks) else np.zeros(0, dtype=bool)
    agreed = stats.get("agreed_samples", peaks)
    faint_peaks = np.zeros(len(peaks), dtype=bool)
    if other is not None:
        other_band = qrs_band(other.signal, rec.fs)
        support = second_lead_support(other.signal, rec.fs, peaks, band=other_band)
        faint_peaks = faint([band, other_band], rec.fs, peaks)
        del other_band
        unsupported, runs = artefact(peaks, rec.fs, n, agreed, support=support)
    else:  # one lead: unlike the template and without a look-alike, among the detections the fast ones dispute
        unlike = np.zeros(len(peaks), dtype=bool)
        disputed = inside & ~near(peaks, agreed, int(round(ARTEFACT_AGREE_S * rec.fs)))
        if disputed.any() and inside.sum() >= MIN_BEATS:
            segment = np.searchsorted(np.sort(stretches["start"].to_numpy()), peaks[inside], side="right")
            beats = _cut(rec, peaks[inside], segment, det, info, templates=False)
            at = np.flatnonzero(np.isin(peaks, beats.sample))  # the cut beats' positions among the peaks
            asked = np.flatnonzero(disputed[at])  # only these need their template (the others' would cost seconds)
            corr = template_correlation(dataclasses.replace(beats[asked], template=_templates_at(beats, asked, det, info)))
            cand = asked[corr < SINGLE_LEAD_CORR]
            unlike[at[cand]] = ~has_lookalike(beats.X, cand)
        unsupported, runs = artefact(peaks, rec.fs, n, agreed, single_lead_unlike=unlike)
    unsupported &= inside
    if runs:
        rows = pd.DataFrame([(ARTEFACT, a, b) for a, b in runs], columns=["kind", "start", "end"])
        rows["start_s"], rows["end_s"] = rows["start"] / rec.fs, rows["end"] / rec.fs
        rows["duration_s"] = rows["end_s"] - rows["start_s"]
        stretches = pd.concat([stretches, rows], ignore_index=True).astype({"start": np.int64, "end": np.int64})
        stretches = stretches.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)[list(STRETCH_TABLE)]
        skip = unreadable_mask(stretches, n)
    return stretches, skip, unsupported & ~skip[peaks], faint_peaks


def _with_gaps(stretches, rec) -> pd.DataFrame:
    """The unreadable stretches with the recording's gaps (samples the file lacked, kind "gap"), widened as the
    others are (:data:`ecg_utils.signal.quality.PAD_S`)."""
    if not len(rec.gaps):
        return stretches
    pad, n = int(PAD_S * rec.fs), len(rec.signal)
    gaps = pd.DataFrame([("gap", max(0, a - pad), min(n, b + pad)) for a, b in rec.gaps], columns=["kind", "start", "end"])
    gaps["start_s"], gaps["end_s"] = gaps["start"] / rec.fs, gaps["end"] / rec.fs
    gaps["duration_s"] = gaps["end_s"] - gaps["start_s"]
    both = pd.concat([stretches, gaps], ignore_index=True).astype({"start": np.int64, "end": np.int64})
    return both.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)[list(STRETCH_TABLE)]


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
