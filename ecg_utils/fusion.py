"""Fusing kinds of evidence into one score, and the peer detectors built that way.

Each kind of evidence is a small scorer with ``fit(train)`` (learn from normal beats, or nothing) and
``decision_function(beats)`` (higher = more unusual). :class:`FusedDetector` turns each evidence into a tail
probability among the validation normals and sums ``-log p`` (Fisher's combination): evidences in different units
weigh alike, and no abnormal label is involved. The recommended autoencoder fuses its reconstruction error with
:func:`ecg_utils.rhythm.prematurity` through the same :func:`surprise`; the peers here fuse other shape scorers with
the same rhythm evidence, so that a benchmark table shows what the autoencoder itself adds:

- :class:`TemplateDeviation`: no model at all, the mean absolute difference between a beat and its patient's
  template;
- :class:`OnDeviation`: any peer of :mod:`ecg_utils.baselines` (PCA, isolation forest, one-class SVM) trained on
  beats minus their template, as the autoencoder is;
- :class:`Prematurity`: how early the beat comes for the local rhythm.

Adding a kind of evidence is one scorer class; :func:`make_fused` names the combinations the benchmark runs.
"""
from __future__ import annotations

import time

import numpy as np

from ecg_utils.dataset import ANOMALY, Beats
from ecg_utils.errors import DataError

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


def _deviation(beats: Beats) -> np.ndarray:
    if not isinstance(beats, Beats) or beats.template is None:
        raise DataError(f"{beats.info.get('source', 'beats') if isinstance(beats, Beats) else 'beats'}: this evidence "
                        "needs each beat's patient template (build the beats with a template width)")
    return beats.X - beats.template


class TemplateDeviation:
    """Mean absolute difference between each beat and its patient's template; nothing to learn."""

    def fit(self, train):
        _deviation(train)  # nothing to learn, but the beats must have templates
        return self

    def decision_function(self, beats) -> np.ndarray:
        return np.abs(_deviation(beats)).mean(axis=1).astype(np.float64)


class OnDeviation:
    """A peer detector of :mod:`ecg_utils.baselines` that sees each beat minus its patient's template."""

    def __init__(self, peer):
        self.peer = peer

    def fit(self, train):
        self.peer._fit(_deviation(train))
        return self

    def decision_function(self, beats) -> np.ndarray:
        return np.asarray(self.peer.decision_function(_deviation(beats)), dtype=np.float64)


class Prematurity:
    """How early the beat comes for the local rhythm (:func:`ecg_utils.rhythm.prematurity`); nothing to learn."""

    def fit(self, train):
        return self

    def decision_function(self, beats) -> np.ndarray:
        from ecg_utils.rhythm import prematurity

        return prematurity(beats)


#: Evidence a detector can fuse besides its own (an autoencoder's reconstruction error), by name: a scorer class each.
#: Adding a kind of evidence is one scorer class here and its name in this table.
EVIDENCE = {"deviation": TemplateDeviation, "rhythm": Prematurity}
#: What each kind of evidence says about a beat: its shape or its timing (the scan's reasons, EC57's VEB / SVEB).
SHAPE, TIMING = ("reconstruction", "deviation"), ("rhythm",)


class FusedDetector:
    """Evidences fused by Fisher's combination of their tail probabilities among the validation normals.

    Parameters
    ----------
    scorers : dict of name -> scorer
        Each with ``fit(train)`` and ``decision_function(beats)``.
    threshold_rule, threshold_k, threshold_q, threshold_fpr
        As for every detector (:func:`ecg_utils.baselines.threshold_from_scores`); default mean + 2 std.

    Attributes
    ----------
    reference_ : dict
        ``n`` and each evidence's quantiles among the validation normals.
    threshold_, validation_scores_, fit_seconds_, n_train_
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
        """Fit each scorer on the normal ``train`` beats; learn the references and threshold on ``validation``."""
        from ecg_utils.baselines import threshold_from_scores

        if len(train) == 0 or len(validation) == 0:
            raise DataError("fit needs normal training beats and normal validation beats")
        t0 = time.perf_counter()
        for scorer in self.scorers.values():
            scorer.fit(train)
        raw = {name: scorer.decision_function(validation) for name, scorer in self.scorers.items()}
        self.reference_ = {"n": len(validation), **{name: reference(v) for name, v in raw.items()}}
        self.validation_scores_ = self._combine(raw)["score"]
        self.threshold_ = threshold_from_scores(self.validation_scores_, self.threshold_rule, self.threshold_k,
                                                self.threshold_q, self.threshold_fpr)
        self.n_train_, self.fit_seconds_ = len(train), time.perf_counter() - t0
        return self

    def _combine(self, raw) -> dict:
        parts = {name: surprise(v, self.reference_[name], self.reference_["n"]) for name, v in raw.items()}
        return {"score": np.sum(list(parts.values()), axis=0), **parts}

    def score_parts(self, beats) -> dict:
        """``score`` and each evidence's ``-log p`` part, (n,) arrays."""
        return self._combine({name: s.decision_function(beats) for name, s in self.scorers.items()})

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
    if kind == "template":
        shape = TemplateDeviation()
    else:
        shape = OnDeviation(make_detector(kind, seed=seed))
    return FusedDetector({"shape": shape, "rhythm": Prematurity()}, **threshold)
