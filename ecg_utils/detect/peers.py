"""Peer detectors: the methods a user would pick instead of the autoencoder.

Each keeps the one contract of :class:`ecg_utils.detect.base.Detector`: ``__init__`` only stores parameters;
``fit(train, validation)`` learns from normal beats (a :class:`~ecg_utils.io.dataset.Beats` or an array (n, L)) and
sets ``threshold_`` from the scores of the validation normals with the shared threshold rule (``threshold_rule``,
``threshold_k``, ``threshold_q``, ``threshold_fpr``; default mean + 2 std); ``decision_function(X)`` is higher for
more anomalous beats; ``predict(X)`` is 1 (anomaly) where the score exceeds ``threshold_``.

- :class:`PCADetector`: reconstruction MAE through the first principal components (a linear autoencoder).
- :class:`IsolationForestDetector`: scikit-learn's isolation forest on the beat samples.
- :class:`OneClassSVMDetector`: an RBF one-class SVM on a subsample of the training beats.
- :class:`RRRuleDetector`: no model at all; how premature the beat is, from its RR intervals.

Examples
--------
>>> det = PCADetector().fit(split.train, split.validation)         # doctest: +SKIP
>>> det.predict(split.test)                                         # doctest: +SKIP
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from ecg_utils.detect.base import Detector
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats, as_array
from ecg_utils.signal.rr import rr_ratios


def _matrix(X) -> np.ndarray:
    """The beat windows (n, L) of a Beats or an array."""
    X = X.X if isinstance(X, Beats) else as_array(X, "beats", np.float32)
    if X.ndim != 2:
        raise DataError(f"beats must be a 2-D array (n, L), got shape {X.shape}")
    return X


class _PeerDetector(Detector):
    """Shared fit, threshold and scoring; subclasses store their parameters and the four threshold ones, and
    implement ``_fit(train)`` and ``_score(X)``."""

    def fit(self, train, validation):
        """Learn from the normal ``train`` beats, then set ``threshold_`` on the normal ``validation`` beats."""
        rule = self.threshold_rule_
        self.check_training(train, validation)
        t0 = time.perf_counter()
        self._fit(train)
        self.n_train_ = len(train)
        self.validation_scores_ = self._score(validation)
        self.threshold_ = rule(self.validation_scores_)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score of each beat (higher = more anomalous)."""
        self.check_fitted()
        return self._score(X)


class PCADetector(_PeerDetector):
    """A linear autoencoder: project on the first ``n_components`` principal components of the training
    beats; score = mean absolute reconstruction error, as the autoencoder's.

    The samples of a beat share one unit, so by default the error is measured in the beat's own units
    (PCA centres on the training mean). ``standardize=True`` first scales each sample position to unit
    variance on the training beats, which inflates near-constant positions (the zero padding of Kaggle beats).
    """

    def __init__(self, n_components=20, standardize=False, seed=0, threshold_rule="mean_std", threshold_k=2.0,
                 threshold_q=99.0, threshold_fpr=0.01):
        self.n_components = n_components
        self.standardize = standardize
        self.seed = seed
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    def _fit(self, train):
        X = _matrix(train)
        self.scaler_ = StandardScaler(with_std=bool(self.standardize)).fit(X)
        self.pca_ = PCA(n_components=min(self.n_components, *X.shape), random_state=self.seed).fit(
            self.scaler_.transform(X))

    def _score(self, X) -> np.ndarray:
        Z = self.scaler_.transform(_matrix(X))
        recon = self.pca_.inverse_transform(self.pca_.transform(Z))
        return np.abs(Z - recon).mean(axis=1, dtype=np.float64)


class IsolationForestDetector(_PeerDetector):
    """scikit-learn's isolation forest on the beat samples; score = minus its ``score_samples``.

    Trees split one sample position at a time, so no scaling is needed.
    """

    def __init__(self, n_estimators=200, seed=0, n_jobs=None, threshold_rule="mean_std", threshold_k=2.0,
                 threshold_q=99.0, threshold_fpr=0.01):
        self.n_estimators = n_estimators
        self.seed = seed
        self.n_jobs = n_jobs
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    def _fit(self, train):
        self.model_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed,
                                      n_jobs=self.n_jobs).fit(_matrix(train))

    def _score(self, X) -> np.ndarray:
        return -self.model_.score_samples(_matrix(X))


class OneClassSVMDetector(_PeerDetector):
    """An RBF one-class SVM on beats standardised per sample position (on the training side); score = minus
    its ``decision_function``.

    Training a kernel SVM costs O(n^2) time and memory in the number of training beats, so at most
    ``max_train`` of them are used, drawn at random with ``seed`` (``n_train_used_`` says how many; None
    uses all). Scoring costs O(support vectors) per beat.
    """

    def __init__(self, nu=0.05, gamma="scale", max_train=5000, seed=0, threshold_rule="mean_std", threshold_k=2.0,
                 threshold_q=99.0, threshold_fpr=0.01):
        self.nu = nu
        self.gamma = gamma
        self.max_train = max_train
        self.seed = seed
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    def _fit(self, train):
        X = _matrix(train)
        if self.max_train and len(X) > self.max_train:
            idx = np.random.default_rng(self.seed).choice(len(X), size=self.max_train, replace=False)
            X = X[np.sort(idx)]
        self.n_train_used_ = len(X)
        self.model_ = make_pipeline(StandardScaler(), OneClassSVM(nu=self.nu, gamma=self.gamma)).fit(X)

    def _score(self, X) -> np.ndarray:
        return -self.model_.decision_function(_matrix(X)).astype(np.float64)


class RRRuleDetector(_PeerDetector):
    """The rhythm rule a cardiologist starts from: a beat that comes early is suspect.

    Score = log(local mean RR / previous RR) (minus the first column of :func:`ecg_utils.signal.rr.rr_ratios`):
    0 for a beat on time, positive for a premature one. Nothing is trained; ``threshold_`` is still learned
    on the validation normals. Needs :class:`Beats` built from the MIT-BIH records (they carry RR intervals).
    """

    def __init__(self, threshold_rule="mean_std", threshold_k=2.0, threshold_q=99.0, threshold_fpr=0.01):
        self.threshold_rule, self.threshold_k, self.threshold_q, self.threshold_fpr = (
            threshold_rule, threshold_k, threshold_q, threshold_fpr)

    @staticmethod
    def _check(X):
        if not isinstance(X, Beats):
            raise TypeError("RRRuleDetector needs Beats with RR intervals, not a bare array of beats")

    def _fit(self, train):
        self._check(train)

    def _score(self, X) -> np.ndarray:
        self._check(X)
        return -rr_ratios(X)[:, 0].astype(np.float64)


#: The peers by short name (:func:`ecg_utils.detect.factory.make_detector` builds them).
PEERS = {"pca": PCADetector, "iforest": IsolationForestDetector, "ocsvm": OneClassSVMDetector,
         "rr_rule": RRRuleDetector}
