"""Artefact is not ectopy: detections the signal does not support are unreadable, not anomalies.

Electrode motion makes spikes that R-peak detectors take for beats, and that then score as "unusual shape". A real
beat is seen by both fast R-peak detectors (:mod:`ecg_utils.signal.peaks`) and, where the recording has a second
lead (:mod:`ecg_utils.io.other_lead`), in that lead at the same moment; artefact rarely is either. So:

- a detection is *unsupported* when the two fast detectors did not both find it and the second lead shows no QRS
  there (its QRS band within +-75 ms at most :data:`SUPPORT_RATIO` times its 90th percentile over the 4 s around);
- an unsupported detection is an artefact beat (unreadable, reason "artefact"), and every 10-s window holding at
  least :data:`MIN_UNSUPPORTED` of them is an unreadable stretch of kind ``"artefact"``: the beats there are not
  scored (the real ones among them are distorted too).

With one lead only, the second lead cannot vote: a detection is unsupported only when the fast detectors disagree,
its shape is unlike the patient's template (correlation below :data:`SINGLE_LEAD_CORR`) and unlike every other beat of
the recording (no look-alike above :data:`LOOKALIKE_CORR`: a ventricular beat has its family, artefact has none).

A detection can also be *faint*: its QRS band barely rises above the noise in every lead (:func:`faint`). Muscle
noise makes such detections that both fast detectors agree on and the noisy second lead "supports"; a flag on one
cannot be trusted (:mod:`ecg_utils.scan.noisy_families`).

The constants were chosen on the 22 DS1 records with ``em`` noise (the hardest kind) added at 24, 18, 12 and 6 dB
after 5 clean minutes (:mod:`ecg_utils.signal.noise_stress`), two leads: clean records lose 0.4% of their normal and
1.5% of their ventricular beats to artefact stretches (0.7% of their 10-s windows) while 80% of their rare false
detections become unreadable; at 12 dB 90% of the false detections become unreadable; at 6 dB more than half of the
noisy signal is unreadable. ``python -m bench.noise`` measures it on DS2 and the SVDB records.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.signal.peaks import qrs_band, refine_peaks

#: The second lead supports a detection when its QRS band's maximum within +-:data:`SUPPORT_HALF_S` of it reaches this
#: share of the band's 90th percentile over the :data:`CONTEXT_S` around (DS1, two leads: 96% of normal and 99.6% of
#: ventricular beats supported, 29% of the false detections of clean records, 15% with em noise at 12 dB).
SUPPORT_RATIO = 1.0
SUPPORT_HALF_S, CONTEXT_S = 0.075, 2.0
#: A detection within this of one both fast detectors found is agreed (the hybrid's own agreement window).
AGREE_S = 0.1
#: Windows of this length holding at least :data:`MIN_UNSUPPORTED` unsupported detections are artefact stretches.
WINDOW_S, MIN_UNSUPPORTED = 10.0, 2
#: One lead: an unsupported detection is also unlike the template and without a look-alike among the other beats.
SINGLE_LEAD_CORR, LOOKALIKE_CORR = 0.3, 0.8
#: The kind of the unreadable stretches this module finds (beside quality's flat, saturated, noisy).
KIND = "artefact"
#: A detection is faint in a lead when its QRS band's peak (within +-:data:`SUPPORT_HALF_S`) is below FAINT_RELATIVE
#: of the median peak of the :data:`FAINT_NEIGHBOURS` detections around it and below FAINT_PROMINENCE times the band's
#: median over the +-:data:`FAINT_CONTEXT_S` around it (the noise between the beats). Chosen on DS1 with ``ma`` and
#: ``em`` noise at 12 and 6 dB on both leads after 5 clean minutes (the shipped detector's beat tables, after the noise
#: rules of :mod:`ecg_utils.scan.noisy_families`; false / normal / ventricular / supraventricular flags taken when
#: faint in both leads): ``ma`` 12 dB 217 / 24 / 2 / 3 of 465 / 1,043 / 1,784 / 505, ``ma`` 6 dB 444 / 14 / 0 / 4 of
#: 1,653 false flags, ``em`` 12 dB 23 / 0 / 1 / 5, ``em`` 6 dB 176 / 1 / 2 / 1, the clean DS1 scans 3 / 1 / 0 / 1 of
#: 31 / 342 / 3,528 / 706. 0.5 took 167 false flags at ``ma`` 12 dB, 0.7 took 241 but 6 V flags; a bar of 8 took 289
#: but 10 S flags. One lead alone would take 97 V flags at ``ma`` 12 dB (a ventricular beat is often small in one
#: lead), so a detection is faint only when it is faint in two leads.
FAINT_RELATIVE, FAINT_PROMINENCE = 0.6, 6.0
FAINT_NEIGHBOURS, FAINT_CONTEXT_S = 17, 1.0


def near(samples, others, tolerance) -> np.ndarray:
    """Whether each of ``samples`` lies within ``tolerance`` samples of one of ``others``."""
    samples = np.asarray(samples, dtype=np.int64)
    if not len(others):
        return np.zeros(len(samples), dtype=bool)
    far = np.iinfo(np.int64).max // 4
    others = np.concatenate([[-far], np.sort(np.asarray(others, dtype=np.int64)), [far]])  # a neighbour each side
    i = np.searchsorted(others, samples)
    return np.minimum(np.abs(others[i] - samples), np.abs(others[i - 1] - samples)) <= tolerance


def second_lead_support(other, fs, peaks, band=None) -> np.ndarray:
    """Whether the second lead ``other`` (mV, same rate and length) shows a QRS at each of ``peaks`` (see
    :data:`SUPPORT_RATIO`): bool array. ``band``: :func:`qrs_band` of ``other``, if already computed."""
    peaks = np.asarray(peaks, dtype=np.int64)
    if not len(peaks):
        return np.zeros(0, dtype=bool)
    band = qrs_band(other, fs) if band is None else band
    half, n, step = int(SUPPORT_HALF_S * fs), len(band), max(1, int(fs))
    # the band's running maximum over +-half, and its level: the 90th percentile of each second, averaged over the
    # CONTEXT_S each side of the peak's second
    local_max = pd.Series(band).rolling(2 * half + 1, center=True, min_periods=1).max().to_numpy()
    k = max(1, n // step)
    p90 = np.percentile(band[:k * step].reshape(k, step), 90, axis=1) if n >= step else np.array([band.max()])
    around = int(CONTEXT_S)
    level = pd.Series(p90).rolling(2 * around, center=True, min_periods=1).mean().to_numpy()
    return local_max[np.clip(peaks, 0, n - 1)] >= SUPPORT_RATIO * np.maximum(level[np.clip(peaks // step, 0, len(level) - 1)], 1e-9)


def faint(bands, fs, peaks) -> np.ndarray:
    """Whether each of ``peaks`` is faint (see :data:`FAINT_RELATIVE`) in every one of ``bands`` (:func:`qrs_band` of
    each lead, same rate and length): bool array.

    Examples
    --------
    >>> band = np.full(3000, 0.1, dtype=np.float32); band[100::100] = 1.0; band[1050] = 0.3   # a small one between
    >>> faint([band], 100.0, np.r_[100:3000:100, 1050]).nonzero()[0].tolist()
    [29]
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if not len(peaks) or not len(bands):
        return np.zeros(len(peaks), dtype=bool)
    out = np.ones(len(peaks), dtype=bool)
    order = np.argsort(peaks, kind="stable")
    context, step = int(round(FAINT_CONTEXT_S * fs)), max(1, int(fs // 20))  # the noise read at 20 points a second
    for band in bands:
        n = len(band)
        height = band[refine_peaks(band, fs, np.clip(peaks, 0, n - 1), SUPPORT_HALF_S, SUPPORT_HALF_S)].astype(float)
        around = np.clip(peaks[:, None] + np.arange(-context, context + 1, step)[None, :], 0, n - 1)
        level = np.median(band[around], axis=1)
        typical = np.empty(len(peaks))
        typical[order] = (pd.Series(height[order]).rolling(FAINT_NEIGHBOURS, center=True, min_periods=3).median()
                          .to_numpy())
        out &= (height < FAINT_RELATIVE * typical) & (height < FAINT_PROMINENCE * level)
    return out


def has_lookalike(X, candidates, min_corr=LOOKALIKE_CORR, max_references=4000, seed=0) -> np.ndarray:
    """Whether each beat ``X[candidates]`` correlates at least ``min_corr`` with some other beat of ``X`` (a family
    of its own: ectopy repeats its shape, artefact does not). At most ``max_references`` beats (a seeded draw) are
    compared with."""
    candidates = np.asarray(candidates, dtype=np.int64)
    if not len(candidates):
        return np.zeros(0, dtype=bool)
    Z = np.asarray(X, dtype=np.float64)
    Z = (Z - Z.mean(axis=1, keepdims=True)) / (Z.std(axis=1, keepdims=True) + 1e-9)
    refs = np.arange(len(Z))
    if len(refs) > max_references:
        refs = np.sort(np.random.default_rng(seed).choice(len(Z), max_references, replace=False))
    corr = Z[candidates] @ Z[refs].T / Z.shape[1]
    corr[candidates[:, None] == refs[None, :]] = -1.0  # not itself
    return corr.max(axis=1) >= min_corr


def artefact(peaks, fs, n, agreed, support=None, single_lead_unlike=None) -> tuple:
    """Which detections are artefact, and the artefact stretches.

    Parameters
    ----------
    peaks : int array
        The detections (sorted samples).
    fs : float
    n : int
        The signal's length in samples.
    agreed : int array
        The samples both fast R-peak detectors found (``stats["agreed_samples"]`` of
        :func:`ecg_utils.signal.peaks.find_peaks`).
    support : bool array, optional
        :func:`second_lead_support` of each detection (None: one lead only).
    single_lead_unlike : bool array, optional
        With one lead: whether each detection is unlike its template and has no look-alike (see the module
        docstring); None counts every disagreement.

    Returns
    -------
    unsupported : bool array (len(peaks),)
        The artefact beats.
    stretches : list of (start, end)
        Samples of the artefact stretches (end excluded), merged.
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    unsupported = ~near(peaks, agreed, int(round(AGREE_S * fs)))
    if support is not None:
        unsupported &= ~np.asarray(support, dtype=bool)
    elif single_lead_unlike is not None:
        unsupported &= np.asarray(single_lead_unlike, dtype=bool)
    size = int(WINDOW_S * fs)
    counts = np.bincount(peaks[unsupported] // size, minlength=n // size + 1) if len(peaks) else np.zeros(1, int)
    stretches = []
    for w in np.flatnonzero(counts >= MIN_UNSUPPORTED):
        a, b = int(w * size), int(min(n, (w + 1) * size))
        if stretches and a <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], b)
        else:
            stretches.append((a, b))
    return unsupported, stretches
