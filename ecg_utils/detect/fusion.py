"""Calibrating kinds of evidence on normal beats and fusing them into one score: one step, :class:`Fusion`.

Each kind of evidence is a small scorer of :mod:`ecg_utils.detect.evidence` (higher = more unusual, in its own units).
:class:`Fusion` learns, from the validation normals only, everything that turns those raw values into a score: the
median of each evidence scaled per recording, each evidence's distribution (:func:`reference`), and the threshold.
Each evidence becomes ``-log`` of its tail probability among the validation normals (:func:`surprise`) and the
score is their sum (Fisher's combination): evidences in different units weigh alike, and no abnormal label is
involved. Both the autoencoder (:class:`ecg_utils.detect.autoencoder.AutoencoderDetector`: its reconstruction error
and the evidence it names) and the benchmark's fused peers (:class:`ecg_utils.detect.fused.FusedDetector`: other
shape scorers with the same timing evidence, so that a table shows what the autoencoder itself adds) use it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ecg_utils.detect.evidence import SHAPE, TIMING
from ecg_utils.detect.threshold import ThresholdRule

#: Quantiles kept of each evidence's distribution among the validation normals.
LEVELS = 1001


def reference(values) -> list:
    """The :data:`LEVELS` quantiles of an evidence among normal beats: what :func:`surprise` compares with."""
    return np.quantile(np.asarray(values, dtype=np.float64), np.linspace(0.0, 1.0, LEVELS)).tolist()


def surprise(values, quantiles, n) -> np.ndarray:
    """``-log`` of the tail probability of ``values`` under a reference distribution given by its quantiles.

    The probability is floored at ``1 / (n + 1)`` (``n`` reference beats); past the largest reference value
    the score keeps rising linearly (in units of the reference's interquartile range) so that order is kept.

    Examples
    --------
    >>> q = reference(np.arange(100.0))
    >>> [round(float(s), 2) for s in surprise([50.0, 98.0], q, 100)]
    [0.7, 4.6]
    """
    q = np.asarray(quantiles, dtype=np.float64)
    levels = np.linspace(0.0, 1.0, len(q))
    values = np.asarray(values, dtype=np.float64)
    # np.interp needs increasing x: ties in q (a flat stretch) are fine, it takes the last level
    p = 1.0 - np.interp(values, q, levels)
    floor = 1.0 / (n + 1)
    iqr = max(np.interp(0.75, levels, q) - np.interp(0.25, levels, q), 1e-12)
    return -np.log(np.maximum(p, floor)) + np.maximum(values - q[-1], 0.0) / iqr


class Parts(dict):
    """A score and its parts (:meth:`Fusion.parts`). The timing sum was called ``rhythm`` in 0.1: that key still
    reads it, with a deprecation warning."""

    def __missing__(self, key):
        if key == "rhythm" and "timing" in self:
            warnings.warn("the score part 'rhythm' is now 'timing' (what the beat's timing says); the old key works "
                          "until ecg-detector 0.3", DeprecationWarning, stacklevel=2)
            return self["timing"]
        raise KeyError(key)


#: With per-recording scaling, a recording with fewer beats than this in one call is scaled by the validation
#: normals' median instead of its own (a median of a handful of beats says little).
MIN_RECORDING_BEATS = 50

#: The noise-aware scale (``scale="quiet"``): a recording's quiet beats are those whose baseline noise is at most
#: QUIET_FACTOR x its QUIET_PERCENTILE-th percentile...
QUIET_PERCENTILE = 10
QUIET_FACTOR = 1.5
#: ... and the scale rises where the LOCAL_QUANTILE of the baseline noise over LOCAL_BEATS beats either side rises
#: above the same quantile among the quiet beats.
LOCAL_BEATS = 150
LOCAL_QUANTILE = 0.25
#: How ``per_recording`` evidence is scaled: by its recording's median, or noise-aware (:func:`quiet_scale`).
SCALES = ("median", "quiet")


def quiet_beats(noise) -> np.ndarray:
    """Which beats of a recording are quiet: baseline noise at most :data:`QUIET_FACTOR` x its
    :data:`QUIET_PERCENTILE`-th percentile (boolean array)."""
    noise = np.asarray(noise, dtype=np.float64)
    return noise <= QUIET_FACTOR * np.percentile(noise, QUIET_PERCENTILE)


def quiet_level(values, noise) -> float:
    """The median of ``values`` over the quiet beats (:func:`quiet_beats`): :func:`quiet_scale` where no stretch
    is noisier."""
    return float(np.median(np.asarray(values, dtype=np.float64)[quiet_beats(noise)]))


def quiet_scale(values, noise) -> np.ndarray:
    """The noise-aware scale of one recording's evidence (its beats in time order), one value per beat.

    The median of ``values`` over the recording's *quiet* beats (``noise``, each beat's baseline noise,
    :func:`ecg_utils.signal.morphology.baseline_noise`, at most :data:`QUIET_FACTOR` x its
    :data:`QUIET_PERCENTILE`-th percentile), raised by the ratio of the local noise level (the
    :data:`LOCAL_QUANTILE` of ``noise`` over :data:`LOCAL_BEATS` beats either side) to the quiet beats' where it is
    higher. A low quantile, not the median, so that a run of ectopic beats (which move against the template outside
    the QRS too) does not count as noise unless it holds most of the window.

    Why: a normal beat reconstructs well, so its error is mostly the recording's noise floor. The plain median over
    every beat rises with noise anywhere in the recording, so noise in one stretch lowered every clean beat's score
    (by a median 25% with electrode-motion noise at 12 dB over 25 of 30 minutes, ``python -m bench.noise``); this
    scale takes its level from the quiet beats, and lets only the noisy stretch's own beats be judged against a
    higher floor.

    Examples
    --------
    >>> noise = np.r_[np.full(300, 0.1), np.full(300, 0.4)]  # noise after beat 300
    >>> values = np.r_[np.full(300, 1.0), np.full(300, 3.0)]
    >>> s = quiet_scale(values, noise)
    >>> float(s[0]), float(s[-1])
    (1.0, 4.0)
    """
    noise = np.asarray(noise, dtype=np.float64)
    quiet = quiet_beats(noise)
    level = quiet_level(values, noise)
    local = pd.Series(noise).rolling(2 * LOCAL_BEATS + 1, center=True, min_periods=1).quantile(LOCAL_QUANTILE)
    floor = max(float(np.quantile(noise[quiet], LOCAL_QUANTILE)), 1e-12)
    return level * np.maximum(1.0, local.to_numpy() / floor)


class Fusion:
    """Calibration and fusion of evidences, one step: what turns their raw values into a score and a threshold.

    Parameters
    ----------
    speaks : dict of name -> {"shape", "timing"}
        The evidences fused, in order, and what each says about a beat (each scorer's ``speaks``).
    per_recording : tuple of names
        Evidences divided by the median of their recording's beats (those passed in the same call; no labels)
        before anything else, so that a patient whose every beat scores a little higher is judged against itself.
        Recordings with fewer than :data:`MIN_RECORDING_BEATS` beats take the validation normals' median.
    scale : {"median", "quiet"}
        ``"quiet"``: instead of the plain median, the noise-aware :func:`quiet_scale`, which needs each beat's
        baseline noise (``noise=`` to :meth:`fit` and :meth:`parts`) and its time order within its recording
        (``sample=``, each beat's sample; without it, the order given).
    threshold : ThresholdRule
        How the threshold is learned from the validation normals' fused scores (the detector's
        :class:`~ecg_utils.detect.threshold.ThresholdRule`); default mean + 2 std.

    Attributes
    ----------
    medians_ : dict
        The validation normals' median of each ``per_recording`` evidence.
    reference_ : dict or None
        ``n`` (validation beats) and each evidence's :data:`LEVELS` quantiles among the validation normals, after
        per-recording scaling; None for a single evidence, which is its own score (in its own units).
    validation_scores_ : float64 array
    threshold_ : float
    """

    def __init__(self, speaks, per_recording=(), threshold=ThresholdRule(), scale="median"):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        self.speaks = dict(speaks)
        self.per_recording = tuple(per_recording)
        self.threshold = threshold
        self.scale = scale

    def fit(self, raw, record=None, noise=None, sample=None) -> "Fusion":
        """Learn the medians, references and threshold from the raw evidence of the validation normals.

        Parameters
        ----------
        raw : dict of name -> float array (n,)
            Each evidence of :attr:`speaks` on the validation normals.
        record : array (n,), optional
            Each beat's recording (needed with ``per_recording``).
        noise, sample : arrays (n,), optional
            Each beat's baseline noise and sample (with ``scale="quiet"``).
        """
        quiet = self.scale == "quiet" and noise is not None
        self.medians_ = {name: quiet_level(raw[name], noise) if quiet else float(np.median(raw[name]))
                         for name in self.per_recording}
        values = self._scaled(raw, record, noise, sample)
        n = len(next(iter(values.values())))
        self.reference_ = ({"n": n, **{name: reference(v) for name, v in values.items()}}
                           if len(values) > 1 else None)
        self.validation_scores_ = self._fused(values)["score"]
        self.threshold_ = self.threshold(self.validation_scores_)
        return self

    def parts(self, raw, record=None, noise=None, sample=None) -> dict:
        """The fused score and its parts, float64 arrays (n,).

        Returns
        -------
        dict
            ``score``; ``shape`` and ``timing``: the sums of the parts that speak about the beat's shape and its
            timing (``score = shape + timing``); and each evidence's part by its name: ``-log`` of its tail
            probability among the validation normals, or, for a single evidence, its (scaled) value itself.
        """
        return self._fused(self._scaled(raw, record, noise, sample))

    def _scaled(self, raw, record, noise=None, sample=None) -> dict:
        """``raw`` in :attr:`speaks`' order, each ``per_recording`` evidence over its recording's median (or its
        :func:`quiet_scale`)."""
        values = {name: np.asarray(raw[name], dtype=np.float64) for name in self.speaks}
        if self.per_recording and self.scale == "quiet":
            if noise is None:
                raise ValueError("the noise-aware scale needs each beat's baseline noise (noise=)")
            noise = np.asarray(noise, dtype=np.float64)
            sample = None if sample is None else np.asarray(sample)
        for name in self.per_recording:
            if record is None:
                raise ValueError(f"scaling {name!r} per recording needs each beat's recording")
            groups = pd.Series(values[name]).groupby(np.asarray(record))
            size = groups.transform("size").to_numpy()
            if self.scale == "quiet":
                median = np.empty(len(values[name]))
                for idx in groups.indices.values():
                    if sample is not None:
                        idx = idx[np.argsort(sample[idx], kind="stable")]
                    median[idx] = quiet_scale(values[name][idx], noise[idx])
            else:
                median = groups.transform("median").to_numpy()
            median = np.where(size >= MIN_RECORDING_BEATS, median, self.medians_[name])
            values[name] = values[name] / np.maximum(median, 1e-12)
        return values

    def _fused(self, values) -> dict:
        if self.reference_ is None:
            parts = values
        else:
            ref = self.reference_
            parts = {name: surprise(v, ref[name], ref["n"]) for name, v in values.items()}
        zero = np.zeros_like(next(iter(parts.values())))
        by = {kind: sum((v for name, v in parts.items() if self.speaks[name] == kind), zero) for kind in (SHAPE, TIMING)}
        return Parts({"score": sum(parts.values()), "shape": by[SHAPE], "timing": by[TIMING], **parts})
