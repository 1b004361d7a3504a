"""Cutting beats: a recording's signal cut into beat windows at R-peaks (reference annotations or detected).

Two representations:

``"kaggle"``
    The preprocessing of the Kaggle heartbeat CSVs (Kachuee et al. 2018, arXiv:1805.00794): lead MLII
    resampled to 125 Hz, cut into 10-s windows each scaled to [0, 1]; each beat starts at its R-peak,
    spans 1.2 x the window's median RR interval and is zero-padded to 187 samples.
``"centered"``
    A window of ``before`` + ``after`` seconds around the R-peak of the band-pass filtered signal
    (default 0.5-40 Hz), normalised per beat. With a long window (say 1.5 s each side) the beat is seen
    with its neighbours: a "context" window, from which rhythm can be learned with shape.

Every beat also carries its RR intervals (previous, next, local mean) in seconds (:mod:`ecg_utils.signal.rr`).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import UNKNOWN_RECORD, UNLABELLED, Beats
from ecg_utils.signal.filters import bandpass, resample
from ecg_utils.signal.rr import rr_intervals

REPRESENTATIONS = ("kaggle", "centered")

#: Where beats are cut: the reference annotations, or detected R-peaks (:mod:`ecg_utils.signal.peaks`).
PEAK_SOURCES = ("reference", "detected")

KAGGLE_LEN = 187

#: Default build parameters of each representation (``build_mitdb_beats`` keyword arguments).
DEFAULTS = {
    "kaggle": {"fs": 125, "length": KAGGLE_LEN, "window_s": 10.0, "span": 1.2},
    "centered": {"fs": 125, "before": 0.3, "after": 0.5, "band": (0.5, 40.0), "normalize": "zscore"},
}


def _kaggle_beats(sig, fs_in, samples, params):
    """The Kachuee et al. beats of one record; returns (X, keep-mask over ``samples``)."""
    fs, length, span = params["fs"], params["length"], params["span"]
    x = resample(sig, fs_in, fs)
    pos = np.round(samples * fs / fs_in).astype(np.int64)
    win = int(round(params["window_s"] * fs))
    n_win = int(np.ceil(len(x) / win))
    # per-window [0, 1] scaling and median RR (of the beats whose R-peaks lie in that window)
    lo = np.array([x[i * win:(i + 1) * win].min() for i in range(n_win)])
    hi = np.array([x[i * win:(i + 1) * win].max() for i in range(n_win)])
    w_of = np.minimum(pos // win, n_win - 1)
    rr = np.diff(pos)
    rr_w = w_of[1:]
    record_median = np.median(rr) if len(rr) else length / span
    med = np.array([np.median(rr[rr_w == i]) if np.any(rr_w == i) else record_median for i in range(n_win)])
    n_take = np.minimum(np.round(span * med[w_of]).astype(np.int64), length)
    keep = pos + n_take <= len(x)
    X = np.zeros((len(pos), length), dtype=np.float32)
    for i in np.flatnonzero(keep):
        w = w_of[i]
        seg = (x[pos[i]:pos[i] + n_take[i]] - lo[w]) / max(hi[w] - lo[w], 1e-12)
        X[i, :n_take[i]] = np.clip(seg, 0.0, 1.0)
    return X[keep], keep


#: Inside :func:`filtered_once`: the signals filtered and resampled so far, by (id, band, rates), with the array.
_FILTERED = None


@contextmanager
def filtered_once():
    """Within this block, cutting ``"centered"`` beats from the same signal array again (other peaks, the same
    filter) reuses its filtered, resampled copy instead of computing it again: the same beats. A scan cuts one
    recording's beats twice (the artefact test's look-alikes, then the beats it scores): 24 hours, about 1 s. The
    signal must not change inside the block (the scan's never does); outside it nothing is kept."""
    global _FILTERED
    outer, _FILTERED = _FILTERED, {} if _FILTERED is None else _FILTERED
    try:
        yield
    finally:
        _FILTERED = outer


def _filtered(sig, fs_in, band, fs):
    """``sig`` band-passed and resampled to ``fs`` (reused inside :func:`filtered_once`)."""
    key = (id(sig), tuple(band), float(fs_in), float(fs))
    if _FILTERED is not None and key in _FILTERED and _FILTERED[key][0] is sig:
        return _FILTERED[key][1]
    x = resample(bandpass(sig, fs_in, tuple(band)), fs_in, fs)
    if _FILTERED is not None:
        _FILTERED[key] = (sig, x)  # the array itself is kept: its id cannot be reused by another inside the block
    return x


def _centered_beats(sig, fs_in, samples, params):
    """Filtered, per-beat normalised windows around each R-peak; returns (X, keep-mask)."""
    fs = params["fs"]
    x = _filtered(sig, fs_in, params["band"], fs)
    pos = np.round(samples * fs / fs_in).astype(np.int64)
    before, after = int(round(params["before"] * fs)), int(round(params["after"] * fs))
    keep = (pos - before >= 0) & (pos + after <= len(x))
    idx = pos[keep, None] + np.arange(-before, after)[None, :]
    X = x[idx]
    if params["normalize"] == "zscore":
        X = (X - X.mean(axis=1, keepdims=True)) / (X.std(axis=1, keepdims=True) + 1e-6)
    elif params["normalize"] == "minmax":
        lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
        X = (X - lo) / np.maximum(hi - lo, 1e-6)
    elif params["normalize"] != "none":
        raise ValueError(f"normalize must be 'zscore', 'minmax' or 'none', got {params['normalize']!r}")
    return X.astype(np.float32), keep


def beats_from_peaks(signal, fs, peaks, representation="centered", record=UNKNOWN_RECORD, y=None, segments=None,
                     params=None) -> Beats:
    """Cut one recording's beats at R-peak positions (reference annotations or detected peaks).

    Parameters
    ----------
    signal : float array (n,)
        One lead, in millivolts.
    fs : float
        Its sampling rate.
    peaks : int array
        R-peak positions in samples, sorted.
    representation : {"kaggle", "centered"}
        See the module docstring.
    record : str
        The recording's id, for every beat.
    y : int array, optional
        Each peak's class; default :data:`ecg_utils.io.dataset.UNLABELLED`.
    segments : int array, optional
        Each peak's stretch of readable signal (see :func:`rr_intervals`).
    params : dict, optional
        Build parameters overriding the representation's :data:`DEFAULTS` (their ``fs`` is the beats' rate).

    Returns
    -------
    Beats
        The beats far enough from the recording's ends to be cut (``sample`` says which peaks they are);
        ``info["dropped_at_ends"]`` counts the others.

    Raises
    ------
    DataError
        For peaks not strictly increasing, outside the signal, or not one class per peak.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    p = build_params(representation, **(params or {}))
    y = np.full(len(peaks), UNLABELLED, dtype=np.int64) if y is None else np.asarray(y, dtype=np.int64)
    _check_peaks(record, peaks, len(signal), y)
    rr = rr_intervals(peaks, fs, segments=segments)
    cut = _kaggle_beats if representation == "kaggle" else _centered_beats
    X, keep = cut(signal, fs, peaks, p)
    info = {"source": "recording", "representation": representation, "fs": p["fs"], "params": p,
            "dropped_at_ends": {record: int((~keep).sum())}}
    return Beats.from_arrays(X, y[keep], [record] * int(keep.sum()), peaks[keep], rr[keep], info=info)


def _check_peaks(record, peaks, n, y) -> None:
    """Refuse R-peaks that cannot be one recording's beats: out of order, repeated, outside the signal, or with a
    class list of another length (each would give wrong RR intervals or beats silently)."""
    if peaks.ndim != 1 or len(y) != len(peaks):
        raise DataError(f"record {record}: {len(y)} classes for {peaks.size} peaks")
    step = np.diff(peaks)
    if np.any(step <= 0):
        k = int(np.flatnonzero(step <= 0)[0]) + 1
        raise DataError(f"record {record}: peaks must be strictly increasing; peak {k} at sample {peaks[k]} "
                        f"follows sample {peaks[k - 1]}")
    if peaks.size and (peaks[0] < 0 or peaks[-1] >= n):
        raise DataError(f"record {record}: peaks at samples {peaks[0]}..{peaks[-1]} lie outside the signal's "
                        f"{n} samples")


def label_peaks(peaks, ref_samples, ref_classes, fs, tolerance_s=0.15) -> np.ndarray:
    """The class of each detected peak: that of the reference beat it matches (EC57, 150 ms), else UNLABELLED."""
    from ecg_utils.signal.matching import match_beats

    ref_match, _ = match_beats(peaks, ref_samples, int(round(tolerance_s * fs)))
    y = np.full(len(peaks), UNLABELLED, dtype=np.int64)
    y[ref_match[ref_match >= 0]] = np.asarray(ref_classes)[ref_match >= 0]
    return y


def build_params(representation="kaggle", **overrides) -> dict:
    """The full, validated parameter set of a representation (defaults updated by ``overrides``)."""
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
    unknown = set(overrides) - set(DEFAULTS[representation])
    if unknown:
        raise ValueError(f"unknown parameters for representation {representation!r}: {sorted(unknown)}; "
                         f"known: {sorted(DEFAULTS[representation])}")
    params = {**DEFAULTS[representation], **overrides}
    if "band" in params:
        params["band"] = [float(b) for b in params["band"]]
    return params


def check_beats(beats, path="beats") -> None:
    """Raise :class:`DataError` when beats hold non-finite values or labels outside the class names."""
    bad = ~np.isfinite(beats.X).all(axis=1)
    if bad.any():
        raise DataError(f"{path}: beat {int(np.flatnonzero(bad)[0])} holds NaN or inf values")
    n_classes = len(beats.class_names)
    wrong = (beats.y < 0) | (beats.y >= n_classes)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataError(f"{path}: beat {i} has label {int(beats.y[i])}, outside 0..{n_classes - 1}")
