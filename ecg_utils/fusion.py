"""Calibrating kinds of evidence on normal beats and fusing them into one score: one step, :class:`Fusion`.

Each kind of evidence is a small scorer of :mod:`ecg_utils.evidence` (higher = more unusual, in its own units).
:class:`Fusion` learns, from the validation normals only, everything that turns those raw values into a score: the
median of each evidence scaled per recording, each evidence's distribution (:func:`reference`), and the threshold.
Each evidence becomes ``-log`` of its tail probability among the validation normals (:func:`surprise`) and the
score is their sum (Fisher's combination): evidences in different units weigh alike, and no abnormal label is
involved. Both the autoencoder (:class:`ecg_utils.detector.AutoencoderDetector`: its reconstruction error and the
evidence it names) and the benchmark's fused peers (:class:`FusedDetector`: other shape scorers with the same rhythm
evidence, so that a table shows what the autoencoder itself adds) use it:

- ``template+rhythm``: no model at all, :class:`ecg_utils.evidence.deviation.TemplateDeviation` and
  :class:`ecg_utils.evidence.rhythm.Prematurity`;
- ``pca+rhythm``, ...: :class:`OnDeviation`, a peer of :mod:`ecg_utils.baselines` (PCA, isolation forest, one-class
  SVM) trained on beats minus their template, as the autoencoder is, with the same prematurity.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ecg_utils.dataset import ANOMALY
from ecg_utils.errors import DataError
from ecg_utils.evidence import SHAPE, TIMING
from ecg_utils.evidence.deviation import TemplateDeviation, deviation
from ecg_utils.evidence.rhythm import Prematurity

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
    threshold_rule, threshold_k, threshold_q, threshold_fpr
        How the threshold is learned from the validation normals' fused scores
        (:func:`ecg_utils.baselines.threshold_from_scores`); default mean + 2 std.

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

    def __init__(self, speaks, per_recording=(), threshold_rule="mean_std", threshold_k=2.0, threshold_q=99.0,
                 threshold_fpr=0.01):
        self.speaks = dict(speaks)
        self.per_recording = tuple(per_recording)
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    def fit(self, raw, record=None) -> "Fusion":
        """Learn the medians, references and threshold from the raw evidence of the validation normals.

        Parameters
        ----------
        raw : dict of name -> float array (n,)
            Each evidence of :attr:`speaks` on the validation normals.
        record : array (n,), optional
            Each beat's recording (needed with ``per_recording``).
        """
        from ecg_utils.baselines import threshold_from_scores

        self.medians_ = {name: float(np.median(raw[name])) for name in self.per_recording}
        values = self._scaled(raw, record)
        n = len(next(iter(values.values())))
        self.reference_ = ({"n": n, **{name: reference(v) for name, v in values.items()}}
                           if len(values) > 1 else None)
        self.validation_scores_ = self._fused(values)["score"]
        self.threshold_ = threshold_from_scores(self.validation_scores_, self.threshold_rule, self.threshold_k,
                                                self.threshold_q, self.threshold_fpr)
        return self

    def parts(self, raw, record=None) -> dict:
        """The fused score and its parts, float64 arrays (n,).

        Returns
        -------
        dict
            ``score``; ``shape`` and ``rhythm``: the sums of the parts that speak about the beat's shape and its
            timing (``score = shape + rhythm``); and each evidence's part by its name: ``-log`` of its tail
            probability among the validation normals, or, for a single evidence, its (scaled) value itself.
            The evidence named ``rhythm`` is the only timing evidence today, so its part and the ``rhythm`` sum
            are the same array.
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
        return {"score": sum(parts.values()), "shape": by[SHAPE], "rhythm": by[TIMING], **parts}


class OnDeviation:
    """A peer detector of :mod:`ecg_utils.baselines` that sees each beat minus its patient's template (a shape
    evidence with a model, so not one of :func:`ecg_utils.evidence.registry`'s, which are built by name)."""

    speaks = SHAPE

    def __init__(self, peer):
        self.peer = peer

    def fit(self, train):
        self.peer._fit(deviation(train, "train"))
        return self

    def decision_function(self, beats) -> np.ndarray:
        return np.asarray(self.peer.decision_function(deviation(beats)), dtype=np.float64)


class FusedDetector:
    """Evidences fused by :class:`Fusion` (Fisher's combination of their tail probabilities among the validation
    normals): the benchmark's fused peers.

    Parameters
    ----------
    scorers : dict of name -> scorer
        Each with ``speaks``, ``fit(train)`` and ``decision_function(beats)`` (:mod:`ecg_utils.evidence`).
    threshold_rule, threshold_k, threshold_q, threshold_fpr
        As for every detector (:func:`ecg_utils.baselines.threshold_from_scores`); default mean + 2 std.

    Attributes
    ----------
    fusion_ : Fusion
        The fitted calibration (``reference_``: ``n`` and each evidence's quantiles among the validation normals).
    threshold_, validation_scores_, reference_, fit_seconds_, n_train_
    """

    def __init__(self, scorers, threshold_rule="mean_std", threshold_k=2.0, threshold_q=99.0, threshold_fpr=0.01):
        self.scorers = scorers
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    def get_params(self) -> dict:
        """The parameters, JSON-ready: each scorer by its class (and its peer's parameters), the threshold rule."""
        def describe(scorer):
            peer = getattr(scorer, "peer", None)
            return {"scorer": type(scorer).__name__, **({"peer": type(peer).__name__, **peer.get_params()} if peer else {})}

        return {"scorers": {name: describe(s) for name, s in self.scorers.items()}, "threshold_rule": self.threshold_rule,
                "threshold_k": self.threshold_k, "threshold_q": self.threshold_q, "threshold_fpr": self.threshold_fpr}

    def fit(self, train, validation) -> "FusedDetector":
        """Fit each scorer on the normal ``train`` beats; learn the calibration and threshold on ``validation``."""
        if len(train) == 0 or len(validation) == 0:
            raise DataError("fit needs normal training beats and normal validation beats")
        t0 = time.perf_counter()
        for scorer in self.scorers.values():
            scorer.fit(train)
        self.fusion_ = Fusion({name: s.speaks for name, s in self.scorers.items()}, (), self.threshold_rule,
                              self.threshold_k, self.threshold_q, self.threshold_fpr)
        self.fusion_.fit(self._raw(validation), validation.record)
        self.reference_, self.validation_scores_, self.threshold_ = (
            self.fusion_.reference_, self.fusion_.validation_scores_, self.fusion_.threshold_)
        self.n_train_, self.fit_seconds_ = len(train), time.perf_counter() - t0
        return self

    def _raw(self, beats) -> dict:
        return {name: s.decision_function(beats) for name, s in self.scorers.items()}

    def score_parts(self, beats) -> dict:
        """``score``, its ``shape`` and ``rhythm`` sums, and each evidence's ``-log p`` part (:meth:`Fusion.parts`)."""
        return self.fusion_.parts(self._raw(beats), beats.record)

    def decision_function(self, beats) -> np.ndarray:
        return self.score_parts(beats)["score"]

    def predict(self, beats) -> np.ndarray:
        return np.where(self.decision_function(beats) > self.threshold_, ANOMALY, 0).astype(np.int64)


#: The fused peers by name: a shape evidence (a model, or none) + the rhythm evidence.
FUSED = ("template+rhythm", "pca+rhythm", "iforest+rhythm", "ocsvm+rhythm")


def make_fused(name, seed=0, **threshold) -> FusedDetector:
    """A fused peer by name (one of :data:`FUSED`): its shape evidence with :class:`Prematurity`."""
    from ecg_utils.baselines import make_detector

    if name not in FUSED:
        raise ValueError(f"fused detector must be one of {FUSED}, got {name!r}")
    kind = name.split("+")[0]
    shape = TemplateDeviation() if kind == "template" else OnDeviation(make_detector(kind, seed=seed))
    return FusedDetector({"deviation" if kind == "template" else kind: shape, "rhythm": Prematurity()}, **threshold)
