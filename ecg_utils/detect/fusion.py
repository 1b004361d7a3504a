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

    def __init__(self, speaks, per_recording=(), threshold=ThresholdRule()):
        self.speaks = dict(speaks)
        self.per_recording = tuple(per_recording)
        self.threshold = threshold

    def fit(self, raw, record=None) -> "Fusion":
        """Learn the medians, references and threshold from the raw evidence of the validation normals.

        Parameters
        ----------
        raw : dict of name -> float array (n,)
            Each evidence of :attr:`speaks` on the validation normals.
        record : array (n,), optional
            Each beat's recording (needed with ``per_recording``).
        """
        self.medians_ = {name: float(np.median(raw[name])) for name in self.per_recording}
        values = self._scaled(raw, record)
        n = len(next(iter(values.values())))
        self.reference_ = ({"n": n, **{name: reference(v) for name, v in values.items()}}
                           if len(values) > 1 else None)
        self.validation_scores_ = self._fused(values)["score"]
        self.threshold_ = self.threshold(self.validation_scores_)
        return self

    def parts(self, raw, record=None) -> dict:
        """The fused score and its parts, float64 arrays (n,).

        Returns
        -------
        dict
            ``score``; ``shape`` and ``timing``: the sums of the parts that speak about the beat's shape and its
            timing (``score = shape + timing``); and each evidence's part by its name: ``-log`` of its tail
            probability among the validation normals, or, for a single evidence, its (scaled) value itself.
        """
        return self._fused(self._scaled(raw, record))

    def _scaled(self, raw, record) -> dict:
        """``raw`` in :attr:`speaks`' order, each ``per_recording`` evidence over its recording's median."""
        values = {name: np.asarray(raw[name], dtype=np.float64) for name in self.speaks}
        for name in self.per_recording:
            if record is None:
                raise ValueError(f"scaling {name!r} per recording needs each beat's recording")
            groups = pd.Series(values[name]).groupby(np.asarray(record))
            median, size = groups.transform("median").to_numpy(), groups.transform("size").to_numpy()
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
