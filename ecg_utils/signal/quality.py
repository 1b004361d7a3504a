"""Signal that cannot be read is not an anomaly: find the flat, saturated and noisy stretches of a recording.

Three kinds, each a plain measurement of the signal (no beat detection, no model):

``"flat"``
    At least :data:`FLAT_MIN_S` seconds whose every quarter second moves less than :data:`FLAT_MV` peak to peak: a
    lead that came off, a recorder that stopped (or an asystole: the report asks the reader to look).
``"saturated"``
    The signal sits at its own largest or smallest value (one far from its median) for
    :data:`SATURATED_MIN_S` seconds or more: the amplifier clipped.
``"noisy"``
    In a 5-s window (windows overlap by half) the QRS band (:func:`ecg_utils.signal.peaks.qrs_band`) has no spikes: its 99th percentile is less
    than :data:`NOISE_RATIO` times its median. On the 44 shared MIT-BIH records no 5-s window outside ventricular
    flutter/fibrillation falls below 7.7 (one window of 15,900 below 5); white noise gives 3.4-4.3. Ventricular
    flutter and fibrillation have no spikes either (median 4.9): about half their windows are called noisy, so
    the report says "noise, or flutter/fibrillation: review".

Each stretch is widened by :data:`PAD_S` each side. Beats inside these stretches are kept in the scan's table but
not scored or flagged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.cluster import local_cores
from ecg_utils.signal.peaks import qrs_band

KINDS = ("flat", "saturated", "noisy")
FLAT_MV = 0.01
FLAT_MIN_S = 2.0
FLAT_BLOCK_S = 0.25
SATURATED_MIN_S = 0.05
NOISE_WINDOW_S = 5.0
NOISE_RATIO = 5.0
#: Every stretch is widened by this much each side: a beat window (0.3 s before, 0.5 s after the R-peak) that
#: touches unreadable signal is not read.
PAD_S = 0.5
#: Columns of the stretches table.
COLUMNS = ("kind", "start", "end", "start_s", "end_s", "duration_s")


def _runs(mask) -> list:
    """(start, end) index ranges of the True runs of a boolean array."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _window_runs(bad, size, n, min_len=0):
    """Runs of bad windows (each ``size`` samples) as sample ranges, at least ``min_len`` samples long."""
    return [(a * size, min(n, b * size)) for a, b in _runs(bad) if (b - a) * size >= min_len]


def _pad(runs, fs, n) -> list:
    """Widen each run by :data:`PAD_S` each side (clipped to [0, n)), merging runs that then touch."""
    pad, out = int(PAD_S * fs), []
    for a, b in runs:
        a, b = max(0, a - pad), min(n, b + pad)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def flat_stretches(signal, fs) -> list:
    """(start, end) samples of the flat stretches (see the module docstring), judged on quarter seconds."""
    size = max(1, int(FLAT_BLOCK_S * fs))
    k = len(signal) // size
    if k == 0:
        return []
    w = signal[:k * size].reshape(k, size)
    return _pad(_window_runs(np.ptp(w, axis=1) < FLAT_MV, size, len(signal), int(FLAT_MIN_S * fs)), fs, len(signal))


def saturated_stretches(signal, fs) -> list:
    """(start, end) samples where the signal is pinned at its own extreme values, 0.5 s added each side."""
    lo, hi = signal.min(), signal.max()
    if hi - lo == 0:
        return []
    tol, median, far = 1e-6 * (hi - lo), np.median(signal), 0.25 * (hi - lo)
    # a rail is an extreme away from the baseline (a zero baseline that is also the minimum is not clipping)
    at_rail = np.zeros(len(signal), dtype=bool)
    if hi - median >= far:
        at_rail |= signal >= hi - tol
    if median - lo >= far:
        at_rail |= signal <= lo + tol
    return _pad([(a, b) for a, b in _runs(at_rail) if b - a >= SATURATED_MIN_S * fs], fs, len(signal))


def noisy_stretches(signal, fs, band=None) -> list:
    """(start, end) samples of the 5-s windows whose QRS band has no spikes (see the module docstring)."""
    band = qrs_band(signal, fs) if band is None else band
    size, hop = int(NOISE_WINDOW_S * fs), int(NOISE_WINDOW_S * fs) // 2
    if len(band) < size:
        return []
    starts = np.r_[np.arange(0, len(band) - size + 1, hop), len(band) - size]  # half-overlapping, the last at the end

    def noisy(chunk):
        w = band[chunk[:, None] + np.arange(size)[None, :]]
        p99, median = np.percentile(w, 99, axis=1), np.median(w, axis=1)
        raw = signal[chunk[:, None] + np.arange(size)[None, :]]
        live = np.ptp(raw, axis=1) >= FLAT_MV  # a flat window is flat, not noisy
        return chunk[live & (p99 < NOISE_RATIO * np.maximum(median, 1e-12))]

    chunks = np.array_split(starts, max(1, len(starts) // 2000))  # 2,000 windows at a time: bounded memory
    threads = min(local_cores(), len(chunks))
    if threads > 1:  # NumPy releases the GIL while it partitions: the chunks of a long recording side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            found = list(pool.map(noisy, chunks))
    else:
        found = [noisy(chunk) for chunk in chunks]
    bad = np.zeros(len(signal), dtype=bool)
    for a in np.concatenate(found):
        bad[a:a + size] = True
    return _pad(_runs(bad), fs, len(signal))


def unreadable_stretches(signal, fs, band=None) -> pd.DataFrame:
    """The stretches of a recording that cannot be read, one row each, in time order.

    Parameters
    ----------
    signal : float array (n,)
        One lead, in millivolts.
    fs : float
    band : float array (n,), optional
        :func:`ecg_utils.signal.peaks.qrs_band` of the signal, if already computed.

    Returns
    -------
    DataFrame
        Columns ``kind`` (flat, saturated, noisy), ``start``, ``end`` (samples, end excluded), ``start_s``,
        ``end_s``, ``duration_s``. Where kinds overlap, each is listed.

    Examples
    --------
    >>> x = np.zeros(3600); x[50::100] = 1.0; x[1000:2000] = 0.0     # a spike a second, 10 s off the lead
    >>> unreadable_stretches(x, 100.0)[["kind", "start_s", "end_s"]].values.tolist()
    [['flat', 9.25, 21.0]]
    """
    signal = np.asarray(signal, dtype=np.float64)
    rows = [(kind, a, b) for kind, runs in (("flat", flat_stretches(signal, fs)),
                                            ("saturated", saturated_stretches(signal, fs)),
                                            ("noisy", noisy_stretches(signal, fs, band)))
            for a, b in runs]
    table = pd.DataFrame(rows, columns=["kind", "start", "end"]).astype({"start": np.int64, "end": np.int64})
    table["start_s"], table["end_s"] = table["start"] / fs, table["end"] / fs
    table["duration_s"] = table["end_s"] - table["start_s"]
    return table.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)[list(COLUMNS)]


def unreadable_mask(stretches: pd.DataFrame, n) -> np.ndarray:
    """Boolean array (n,): True inside any of the stretches."""
    mask = np.zeros(int(n), dtype=bool)
    for a, b in zip(stretches["start"], stretches["end"]):
        mask[a:b] = True
    return mask
