"""Filters and resampling: band-pass, zero-phase filtering of long signals piece by piece, windows."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import signal as sps


def windows(x, size, step=None) -> np.ndarray:
    """Cut a 1-D signal into windows of ``size`` samples every ``step`` (default ``size``): (n, size).

    A view when possible (no copy). The tail that does not fill a window is dropped.

    Examples
    --------
    >>> windows(np.arange(10), 4).tolist()
    [[0, 1, 2, 3], [4, 5, 6, 7]]
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"windows() takes a 1-D signal, got shape {x.shape}")
    step = size if step is None else step
    if size <= 0 or step <= 0:
        raise ValueError("size and step must be positive")
    if len(x) < size:
        return np.empty((0, size), dtype=x.dtype)
    return np.lib.stride_tricks.sliding_window_view(x, size)[::step]


def resample(x, fs_in, fs_out) -> np.ndarray:
    """Polyphase resampling (with its anti-aliasing filter) from ``fs_in`` to ``fs_out`` Hz."""
    if fs_in == fs_out:
        return np.asarray(x, dtype=np.float64)
    ratio = Fraction(fs_out).limit_denominator(1000) / Fraction(fs_in).limit_denominator(1000)
    return sps.resample_poly(x, ratio.numerator, ratio.denominator)


#: Long signals are filtered in pieces of this many seconds, each read with a margin either side that is then
#: dropped: the memory of a 24-hour recording stays that of a few copies of one piece, not of the whole day.
FILTER_PIECE_S, FILTER_MARGIN_S = 600.0, 10.0


def zero_phase(sos, x, fs, dtype=np.float64, threads=None) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x)`` computed piece by piece (see :data:`FILTER_PIECE_S`).

    The margins are long enough for the filters used here (0.5 Hz and up) to forget the piece's edges: the result
    differs from one call on the whole signal by far less than the signal's quantisation step. The pieces of a long
    signal are filtered by ``threads`` threads side by side (default :func:`ecg_utils.cluster.local_cores`: 1 in a
    worker process of a pool; SciPy releases the GIL while it filters): the same values, each piece computed alone
    either way (a 24-hour lead on 2 cores, a one-off timing: 0.8-0.9 -> 0.4 s).
    """
    x = np.asarray(x, dtype=np.float64)
    piece, margin = int(FILTER_PIECE_S * fs), int(FILTER_MARGIN_S * fs)
    if len(x) <= piece + 2 * margin:
        return sps.sosfiltfilt(sos, x).astype(dtype, copy=False)
    out = np.empty(len(x), dtype=dtype)

    def one(start):
        a, b = max(0, start - margin), min(len(x), start + piece + margin)
        out[start:start + piece] = sps.sosfiltfilt(sos, x[a:b])[start - a:start - a + min(piece, len(x) - start)]

    starts = range(0, len(x), piece)
    if threads is None:
        from ecg_utils.cluster import local_cores

        threads = local_cores()
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(threads, len(starts))) as pool:
            list(pool.map(one, starts))  # each piece writes its own part of ``out``
    else:
        for start in starts:
            one(start)
    return out


def bandpass(x, fs, band=(0.5, 40.0), order=2) -> np.ndarray:
    """Zero-phase Butterworth band-pass filter (removes baseline wander and high-frequency noise)."""
    sos = sps.butter(order, band, btype="bandpass", fs=fs, output="sos")
    return zero_phase(sos, x, fs)
