"""A flag whose beat family lives only in noisy signal is unreadable, not ectopy.

Ectopy repeats its shape where the signal is clean: a ventricular focus fires in quiet minutes too, and its beats
form a family there. Electrode motion and muscle noise make beats of shapes that exist only where the noise is. So a
flagged beat is **unreadable** (reason "noise") when it sits in noisy signal and its family has almost no beat in
quiet signal (fewer than :data:`QUIET_SHARE` of its beats).

How noisy the signal is around a beat: the median, over the :data:`NEIGHBOURS` beats either side that have the
patient's QRS (:func:`ecg_utils.scan.kinds.normal_shaped`), of their baseline noise
(:func:`ecg_utils.signal.morphology.baseline_noise`: beat - template outside the QRS), over the recording's quiet
level (the noise-aware scale's floor, :func:`ecg_utils.detect.fusion.quiet_beats`); above :data:`NOISY_FACTOR`, the
signal is noisy. Only the patient's normal-shaped beats measure it, since an ectopic beat differs from the template
outside its QRS too.

The constants were chosen on the DS1 records with ``em`` noise added after 5 clean minutes (both leads; a one-off
reading of the shipped detector's scans, 2026-12-01): see the README's *Noise* section for what they buy and cost.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.io.dataset import Beats

#: The signal around a beat is noisy when its normal neighbours' baseline noise is this many times the quiet level.
NOISY_FACTOR = 5.0
#: Beats either side whose normal-shaped beats measure the noise around a beat.
NEIGHBOURS = 10
#: A family with fewer than this share of its beats in quiet signal lives only in noise.
QUIET_SHARE = 0.05
#: Why such a beat is not flagged (the beat table's ``reason``).
REASON = "unreadable signal (noise: its shape is found only where the signal is noisy)"


def noise_around(beats: Beats, normal) -> np.ndarray:
    """How noisy the signal is around each beat, in units of its recording's quiet level (see the module docstring);
    beats in time order within each record. NaN where no normal-shaped beat is near."""
    from ecg_utils.detect.fusion import LOCAL_QUANTILE, quiet_beats
    from ecg_utils.signal.morphology import baseline_noise

    noise = baseline_noise(beats)
    out = np.full(len(beats), np.nan)
    normal = np.asarray(normal, dtype=bool)
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        x = noise[idx]
        quiet = quiet_beats(x)
        floor = max(float(np.quantile(x[quiet], LOCAL_QUANTILE)), 1e-12)
        level = pd.Series(np.where(normal[idx], x / floor, np.nan))
        out[idx] = level.rolling(2 * NEIGHBOURS + 1, center=True, min_periods=3).median().ffill().bfill().to_numpy()
    return out


def untrusted(beats: Beats, table: pd.DataFrame) -> np.ndarray:
    """Which beats' flags cannot be trusted: a kind other than N, in noisy signal, of a family with fewer than
    :data:`QUIET_SHARE` of its beats in quiet signal. ``table``: :func:`ecg_utils.scan.kinds.classify`'s, one row per
    beat of ``beats`` (``kind``, ``family``, ``qrs_corr``, ``qrs_dev``). Bool array (n,)."""
    from ecg_utils.scan.kinds import normal_shaped

    noisy = noise_around(beats, normal_shaped(table)) > NOISY_FACTOR  # NaN (no normal beat near): not noisy
    quiet_share = pd.Series(~noisy).groupby([beats.record, table["family"].to_numpy()]).transform("mean").to_numpy()
    return (table["kind"].to_numpy() != "N") & noisy & (quiet_share < QUIET_SHARE)
