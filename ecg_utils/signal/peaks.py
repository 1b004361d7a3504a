"""Signal -> R-peaks: where the beats of a recording without beat annotations are.

Three well-kept detectors, each with a known weakness (measured on the MIT-BIH records with the EC57 rule, see
``python -m bench.peaks`` and the README):

``"sleepecg"``
    ``sleepecg.detect_heartbeats``: very fast and well placed on the R wave, but misses about one ventricular beat
    in ten.
``"pantompkins"``
    NeuroKit2's Pan-Tompkins (``ecg_clean`` + ``ecg_peaks``, ``method="pantompkins1985"``), called on 10-minute
    windows (in one call on a 24-hour signal it loses sensitivity): finds ventricular beats, but fires on large
    P and T waves and places its peak 40-120 ms after the R wave.
``"gqrs"``
    ``wfdb.processing.gqrs_detect``: the most accurate alone, but pure Python (about 1.5 ms per second of
    signal, several minutes for 24 hours) and it fires on noise.
``"hybrid"`` (the default)
    The two fast ones, and a careful second look where they disagree: where both find a beat it is kept; around
    every beat only one of them finds (+-5 s, merged), gqrs decides (starting 30 s earlier to settle, with a
    lower threshold than its default). On a typical recording gqrs reads about a
    tenth of the signal. Chosen on the DS1 records only, it reaches the EC57 targets over all shared records
    (numbers in the README).

Every detector's peaks are moved to the largest ``|signal|`` of the 5-30 Hz band-passed signal nearby
(:func:`refine_peaks`), so that beats are cut around the R wave whichever detector found them.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import signal as sps

METHODS = ("hybrid", "sleepecg", "pantompkins", "gqrs")
#: Detections of two detectors closer than this (seconds) are the same beat.
AGREE_S = 0.1
#: Half-width (seconds) of the stretch around a disputed beat that gqrs re-reads.
SECOND_LOOK_S = 5.0
#: gqrs adapts its thresholds as it reads: it starts this many seconds before a stretch it re-reads.
LEAD_IN_S = 30.0
#: gqrs's detection threshold (wfdb's default is 1.0); where it re-reads, a missed beat costs more than a false one.
GQRS_THRESHOLD = 0.7
#: Pan-Tompkins is called on windows of this many seconds (plus a margin each side).
WINDOW_S = 600.0
MARGIN_S = 5.0
#: sleepecg is called on pieces of this many seconds (a MIT-BIH record is one piece).
SLEEPECG_PIECE_S = 1800.0
#: Where each detector's peak may lie relative to the R wave: search (before, after) seconds for the R wave.
SEARCH = {"sleepecg": (0.1, 0.1), "pantompkins": (0.15, 0.02), "gqrs": (0.05, 0.05)}
#: Two final peaks closer than this (seconds) are one beat (the refractory period).
REFRACTORY_S = 0.2
#: Changes whenever the detection changes, so that caches of beats cut at detected peaks are rebuilt.
METHOD_VERSION = f"hybrid-1/{AGREE_S}/{SECOND_LOOK_S}/{LEAD_IN_S}/{GQRS_THRESHOLD}/{SEARCH}/{REFRACTORY_S}"


def qrs_band(signal, fs) -> np.ndarray:
    """``|signal|`` band-passed to 5-30 Hz (the QRS complex's band), zero phase, float32."""
    from ecg_utils.signal.filters import zero_phase

    sos = sps.butter(2, (5.0, min(30.0, 0.45 * fs)), btype="bandpass", fs=fs, output="sos")
    return np.abs(zero_phase(sos, signal, fs, dtype=np.float32))


def refine_peaks(band, fs, peaks, before=0.05, after=0.05) -> np.ndarray:
    """Move each peak to the largest value of ``band`` (:func:`qrs_band`) within ``before``/``after`` seconds.

    Examples
    --------
    >>> band = np.zeros(100, dtype=np.float32); band[52] = 1.0
    >>> refine_peaks(band, 100.0, np.array([50])).tolist()
    [52]
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if len(peaks) == 0:
        return peaks
    a, b = int(round(before * fs)), int(round(after * fs))
    idx = np.clip(peaks[:, None] + np.arange(-a, b + 1)[None, :], 0, len(band) - 1)
    return idx[np.arange(len(peaks)), np.argmax(band[idx], axis=1)]


def _sleepecg(signal, fs):
    """sleepecg on 30-minute pieces (a shorter last piece joins the one before): bounded memory on 24 hours."""
    import sleepecg

    piece, margin, n, out = int(SLEEPECG_PIECE_S * fs), int(MARGIN_S * fs), len(signal), []
    starts = list(range(0, n, piece))
    if len(starts) > 1 and n - starts[-1] < piece // 2:
        starts.pop()
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else n
        a, b = max(0, start - margin), min(n, end + margin)
        try:
            p = np.asarray(sleepecg.detect_heartbeats(np.asarray(signal[a:b], dtype=np.float64), fs), dtype=np.int64)
        except ValueError:  # "ECG signal is flat": no beats to find
            continue
        p += a
        out.append(p[(p >= start) & (p < end)])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _pantompkins(signal, fs):
    import neurokit2 as nk

    win, margin, out = int(WINDOW_S * fs), int(MARGIN_S * fs), []
    for start in range(0, len(signal), win):
        a, b = max(0, start - margin), min(len(signal), start + win + margin)
        seg = signal[a:b]
        if np.ptp(seg) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cleaned = nk.ecg_clean(seg, sampling_rate=fs, method="pantompkins1985")
            found = nk.ecg_findpeaks(cleaned, sampling_rate=fs, method="pantompkins1985")["ECG_R_Peaks"]
        p = np.asarray(found, dtype=np.int64) + a
        out.append(p[(p >= start) & (p < start + win)])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _gqrs(signal, fs):
    from wfdb import processing

    if len(signal) < fs or np.ptp(signal) == 0:
        return np.empty(0, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(processing.gqrs_detect(sig=np.asarray(signal, dtype=np.float64), fs=fs,
                                                 threshold=GQRS_THRESHOLD), dtype=np.int64)


DETECTORS = {"sleepecg": _sleepecg, "pantompkins": _pantompkins, "gqrs": _gqrs}


def _clusters(a, b, tol):
    """Merge two sorted peak lists: (positions, found by both?) with one entry per beat."""
    pos = np.concatenate([a, b])
    who = np.concatenate([np.zeros(len(a), bool), np.ones(len(b), bool)])
    order = np.argsort(pos, kind="stable")
    pos, who = pos[order], who[order]
    if len(pos) == 0:
        return pos, np.zeros(0, bool)
    cid = np.r_[0, np.cumsum(np.diff(pos) > tol)]
    n = cid[-1] + 1
    has_a = np.bincount(cid, weights=~who, minlength=n) > 0
    has_b = np.bincount(cid, weights=who, minlength=n) > 0
    first = np.r_[0, np.flatnonzero(np.diff(cid)) + 1]
    return pos[first], has_a & has_b


def _stretches(centres, half, n):
    """Sorted, merged (start, end) sample ranges of ``centres`` +- ``half``, clipped to [0, n)."""
    out = []
    for c in np.sort(centres):
        a, b = max(0, int(c) - half), min(n, int(c) + half)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _groups(stretches, gap):
    """Consecutive stretches whose gaps are shorter than ``gap`` samples, grouped."""
    groups = []
    for a, b in stretches:
        if groups and a - groups[-1][-1][1] < gap:
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    return groups


def _dedupe(peaks, band, fs):
    """Keep one peak (the one with the larger QRS band value) of any two closer than the refractory period."""
    peaks = np.unique(peaks)
    gap = int(REFRACTORY_S * fs)
    keep = []
    for p in peaks:
        if keep and p - keep[-1] < gap:
            if band[p] > band[keep[-1]]:
                keep[-1] = p
        else:
            keep.append(p)
    return np.asarray(keep, dtype=np.int64)


def _hybrid(signal, fs, band, stats, skip):
    a = refine_peaks(band, fs, _sleepecg(signal, fs), *SEARCH["sleepecg"])
    b = refine_peaks(band, fs, _pantompkins(signal, fs), *SEARCH["pantompkins"])
    pos, both = _clusters(np.sort(a), np.sort(b), int(AGREE_S * fs))
    skipped = skip[pos] if skip is not None else np.zeros(len(pos), dtype=bool)
    both = both | skipped  # where the signal cannot be read, a second look cannot help: keep what was found
    disputed = pos[~both]
    stretches = _stretches(disputed, int(SECOND_LOOK_S * fs), len(signal))
    outside = np.ones(len(signal), bool)
    for start, end in stretches:
        outside[start:end] = False
    # one gqrs call per group of stretches closer than its lead-in: the signal between them is read once
    second, lead = [], int(LEAD_IN_S * fs)
    for group in _groups(stretches, lead):
        first, last = group[0][0], group[-1][1]
        p = _gqrs(signal[max(0, first - lead):last], fs) + max(0, first - lead)
        p = p[~outside[np.clip(p, 0, len(signal) - 1)] & (p >= first)]
        second.append(refine_peaks(band, fs, p, *SEARCH["gqrs"]))
    agreed = pos[both]
    agreed = agreed[outside[agreed]]
    stats.update(agreed=int(both.sum()), disputed=int(len(disputed)),
                 second_look_share=float(1 - outside.mean()) if len(signal) else 0.0)
    return np.concatenate([agreed] + second) if second else agreed


def find_peaks(signal, fs, method="hybrid", stats=None, band=None, skip=None) -> np.ndarray:
    """R-peak positions (sample indices, sorted) of a single-lead ECG.

    Parameters
    ----------
    signal : float array (n,)
        One lead, in millivolts (gqrs's amplitude settings assume mV), finite.
    fs : float
        Sampling rate (Hz).
    method : {"hybrid", "sleepecg", "pantompkins", "gqrs"}
        See the module docstring.
    stats : dict, optional
        Filled with what the hybrid did: ``agreed`` and ``disputed`` beats, ``second_look_share`` (the share of
        the signal gqrs read).
    band : float array (n,), optional
        :func:`qrs_band` of the signal, if already computed.
    skip : bool array (n,), optional
        Samples of unreadable signal (:mod:`ecg_utils.signal.quality`): the hybrid takes no second look there (what the
        fast detectors found is returned, for the caller to mark).

    Returns
    -------
    int64 array
        Peaks at the R wave (:func:`refine_peaks`), at least 200 ms apart.

    Examples
    --------
    >>> import neurokit2 as nk                                                    # doctest: +SKIP
    >>> ecg = nk.ecg_simulate(duration=60, sampling_rate=360, heart_rate=70)      # doctest: +SKIP
    >>> len(find_peaks(ecg, 360))                                                 # doctest: +SKIP
    70
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"find_peaks takes one lead (a 1-D signal), got shape {signal.shape}")
    stats = {} if stats is None else stats
    if len(signal) < int(fs):
        return np.empty(0, dtype=np.int64)
    band = qrs_band(signal, fs) if band is None else band
    if method == "hybrid":
        peaks = _hybrid(signal, fs, band, stats, skip)
    else:
        peaks = refine_peaks(band, fs, DETECTORS[method](signal, fs), *SEARCH[method])
    peaks = _dedupe(peaks, band, fs)
    stats["beats"] = int(len(peaks))
    return peaks
