"""The benchmark's fused peers: other shape evidence (no model, or a peer on the beat minus its template) with the
same timing evidence, calibrated and fused by :class:`ecg_utils.detect.fusion.Fusion` as the autoencoder's are, so
that a table shows what the autoencoder itself adds.

- ``template+rhythm``: no model at all, :class:`ecg_utils.detect.evidence.deviation.TemplateDeviation` and
  :class:`ecg_utils.detect.evidence.prematurity.Prematurity`;
- ``pca+rhythm``, ...: :class:`OnDeviation`, a peer of :mod:`ecg_utils.detect.peers` (PCA, isolation forest,
  one-class SVM) trained on beats minus their template, as the autoencoder is, with the same prematurity.
"""
from __future__ import annotations

import time

import numpy as np

from ecg_utils.detect.base import Detector
from ecg_utils.detect.evidence import SHAPE
from ecg_utils.detect.evidence.deviation import TemplateDeviation, deviation
from ecg_utils.detect.evidence.prematurity import Prematurity
from ecg_utils.detect.fusion import Fusion


class OnDeviation:
    """A peer detector of :mod:`ecg_utils.detect.peers` that sees each beat minus its patient's template (a shape
    evidence with a model, so not one of :func:`ecg_utils.detect.evidence.registry`'s, which are built by name)."""

    speaks = SHAPE

    def __init__(self, peer):
        self.peer = peer

    def fit(self, train):
        self.peer._fit(deviation(train, "train"))
        return self

    def decision_function(self, beats) -> np.ndarray:
        return np.asarray(self.peer._score(deviation(beats)), dtype=np.float64)


class FusedDetector(Detector):
    """Evidences fused by :class:`Fusion` (Fisher's combination of their tail probabilities among the validation
    normals): the benchmark's fused peers.

    Parameters
    ----------
    scorers : dict of name -> scorer
        Each with ``speaks``, ``fit(train)`` and ``decision_function(beats)`` (:mod:`ecg_utils.detect.evidence`).
    threshold_rule, threshold_k, threshold_q, threshold_fpr
        As for every detector (:class:`ecg_utils.detect.threshold.ThresholdRule`); default mean + 2 std.

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

    def fit(self, train, validation) -> "FusedDetector":
        """Fit each scorer on the normal ``train`` beats; learn the calibration and threshold on ``validation``."""
        rule = self.threshold_rule_
        self.check_training(train, validation)
        t0 = time.perf_counter()
        for scorer in self.scorers.values():
            scorer.fit(train)
        self.fusion_ = Fusion({name: s.speaks for name, s in self.scorers.items()}, (), rule)
        self.fusion_.fit(self._raw(validation), validation.record)
        self.reference_, self.validation_scores_, self.threshold_ = (
            self.fusion_.reference_, self.fusion_.validation_scores_, self.fusion_.threshold_)
        self.n_train_, self.fit_seconds_ = len(train), time.perf_counter() - t0
        return self

    def _raw(self, beats) -> dict:
        return {name: s.decision_function(beats) for name, s in self.scorers.items()}

    def score_parts(self, beats) -> dict:
        """``score``, its ``shape`` and ``timing`` sums, and each evidence's ``-log p`` part (:meth:`Fusion.parts`)."""
        self.check_fitted()
        return self.fusion_.parts(self._raw(beats), beats.record)

    def decision_function(self, beats) -> np.ndarray:
        return self.score_parts(beats)["score"]


#: The fused peers by name: a shape evidence (a model, or none) + the timing evidence (prematurity).
FUSED = ("template+rhythm", "pca+rhythm", "iforest+rhythm", "ocsvm+rhythm")


def fused_peer(name, seed=0, **threshold) -> FusedDetector:
    """A fused peer by name (one of :data:`FUSED`): its shape evidence with :class:`Prematurity` (what
    :func:`ecg_utils.detect.factory.make_detector` builds for these names)."""
    from ecg_utils.detect.peers import PEERS

    if name not in FUSED:
        raise ValueError(f"fused detector must be one of {FUSED}, got {name!r}")
    kind = name.split("+")[0]
    shape = TemplateDeviation() if kind == "template" else OnDeviation(PEERS[kind](seed=seed))
    return FusedDetector({"deviation" if kind == "template" else kind: shape, Prematurity.name: Prematurity()},
                         **threshold)


def __getattr__(name):
    if name == "make_fused":  # its 0.1 name; every detector now comes from ecg_utils.detect.factory.make_detector
        import warnings

        warnings.warn("make_fused is now ecg_utils.detect.factory.make_detector; the old name works until "
                      "ecg-detector 0.3", DeprecationWarning, stacklevel=2)
        return fused_peer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
