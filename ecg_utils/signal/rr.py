"""RR intervals: previous, next and local mean interval of each beat, and their ratios (a beat's prematurity)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats

#: RR intervals averaged (centred on the beat) for the local mean RR.
RR_LOCAL_WINDOW = 10


def rr_intervals(samples, fs, local_window=RR_LOCAL_WINDOW, segments=None) -> np.ndarray:
    """RR intervals around each beat, in seconds: (n, 3) = previous, next, local mean.

    The local mean averages the ``local_window`` RR intervals centred on the beat. Previous (next) is
    NaN for the first (last) beat. ``segments`` (n,) gives each beat a stretch of signal: no interval spans
    two stretches (a beat after an unreadable stretch has no known previous interval).
    """
    if segments is not None:
        segments = np.asarray(segments)
        out = np.full((len(samples), 3), np.nan, dtype=np.float32)
        for seg in np.unique(segments):
            idx = np.flatnonzero(segments == seg)
            out[idx] = rr_intervals(np.asarray(samples)[idx], fs, local_window)
        return out
    samples = np.asarray(samples, dtype=np.float64)
    n = len(samples)
    out = np.full((n, 3), np.nan, dtype=np.float32)
    if n < 2:
        return out
    rr = np.diff(samples) / fs
    out[1:, 0] = rr
    out[:-1, 1] = rr
    # local mean of the RR series, aligned so that beat i sees the intervals around it
    local = pd.Series(rr).rolling(local_window, center=True, min_periods=1).mean().to_numpy()
    out[1:, 2] = local
    out[0, 2] = local[0]
    return out


def rr_ratios(beats: Beats) -> np.ndarray:
    """Rhythm features: log(previous RR / local mean RR) and log(next RR / local mean RR), (n, 2).

    A premature beat has a negative first feature; a compensatory pause, a positive second one.
    Unknown intervals (the first and last beats of a record) count as equal to the local mean (0).
    Raises :class:`DataError` for beats without RR intervals (Kaggle CSV rows).
    """
    rr = beats.rr.astype(np.float64)
    if np.isnan(rr[:, 2]).all():
        raise DataError(f"{beats.info.get('file', 'beats')}: these beats carry no RR intervals "
                        "(Kaggle CSV rows); rhythm features need beats built from the MIT-BIH records")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(rr[:, :2] / rr[:, 2:3])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
