"""Peer detectors: the methods a user would pick instead of the autoencoder.

Each has the contract of :class:`ecg_utils.detector.AutoencoderDetector`: ``__init__`` only stores
parameters; ``fit(train, validation)`` learns from normal beats (a :class:`~ecg_utils.dataset.Beats` or
an array (n, L)) and sets ``threshold_`` from the scores of the validation normals with the same rule and
parameters (``threshold_rule``, ``threshold_k``, ``threshold_q``, ``threshold_fpr``; default mean + 2 std);
``decision_function(X)`` is higher for more anomalous beats; ``predict(X)`` is 1 (anomaly) where the score
exceeds ``threshold_``.

- :class:`PCADetector`: reconstruction MAE through the first principal components (a linear autoencoder).
- :class:`IsolationForestDetector`: scikit-learn's isolation forest on the beat samples.
- :class:`OneClassSVMDetector`: an RBF one-class SVM on a subsample of the training beats.
- :class:`RRRuleDetector`: no model at all; how premature the beat is, from its RR intervals.

Examples
--------
>>> det = make_detector("pca").fit(split.train, split.validation)   # doctest: +SKIP
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

from ecg_utils.beats import rr_ratios
from ecg_utils.dataset import ANOMALY, Beats

DETECTORS = ("pca", "iforest", "ocsvm", "rr_rule")
THRESHOLD_RULES = ("mean_std", "percentile", "fpr")


def threshold_from_scores(scores, rule="mean_std", k=2.0, q=99.0, fpr=0.01) -> float:
    """The threshold a rule gives for the scores ``s`` of normal beats, as
    :meth:`ecg_utils.detector.AutoencoderDetector.threshold_from` computes it: ``mean(s) + k * std(s)``
    (``"mean_std"``), ``percentile(s, q)`` (``"percentile"``), or the ``1 - fpr`` quantile (``"fpr"``).

    Examples
    --------
    >>> threshold_from_scores([1.0, 3.0])
    4.0
    """
    s = np.asarray(scores, dtype=np.float64)
    if rule == "mean_std":
        return float(np.mean(s) + k * np.std(s))
    if rule == "percentile":
        return float(np.percentile(s, q))
    if rule == "fpr":
        return float(np.quantile(s, 1.0 - fpr))
    raise ValueError(f"threshold_rule must be one of {THRESHOLD_RULES}, got {rule!r}")


def _matrix(X) -> np.ndarray:
    """The beat windows (n, L) of a Beats or an array."""
    X = X.X if isinstance(X, Beats) else np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"beats must be a 2-D array (n, L), got shape {X.shape}")
    return X


class _PeerDetector:
    """Shared fit / threshold / predict; subclasses store their parameters and the four threshold ones,
    and implement ``_fit(train)`` and ``decision_function(X)``."""

    def fit(self, train, validation):
        """Learn from the normal ``train`` beats, then set ``threshold_`` on the normal ``validation`` beats."""
        if self.threshold_rule not in THRESHOLD_RULES:
            raise ValueError(f"threshold_rule must be one of {THRESHOLD_RULES}, got {self.threshold_rule!r}")
        if len(train) == 0 or len(validation) == 0:
            raise ValueError("fit needs normal training beats and normal validation beats")
        t0 = time.perf_counter()
        self._fit(train)
        self.n_train_ = len(train)
        self.validation_scores_ = self.decision_function(validation)
        self.threshold_ = threshold_from_scores(self.validation_scores_, self.threshold_rule, self.threshold_k,
                                                self.threshold_q, self.threshold_fpr)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def predict(self, X) -> np.ndarray:
        """1 (anomaly) where the score exceeds ``threshold_``, else 0."""
        return np.where(self.decision_function(X) > self.threshold_, ANOMALY, 0).astype(np.int64)

    def get_params(self) -> dict:
        """The ``__init__`` parameters (scikit-learn's convention)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"


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

    def decision_function(self, X) -> np.ndarray:
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

    def decision_function(self, X) -> np.ndarray:
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

    def decision_function(self, X) -> np.ndarray:
        return -self.model_.decision_function(_matrix(X)).astype(np.float64)


class RRRuleDetector(_PeerDetector):
    """The rhythm rule a cardiologist starts from: a beat that comes early is suspect.

    Score = log(local mean RR / previous RR) (minus the first column of :func:`ecg_utils.beats.rr_ratios`):
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

    def decision_function(self, X) -> np.ndarray:
        self._check(X)
        return -rr_ratios(X)[:, 0].astype(np.float64)


def make_detector(name, **params):
    """A peer detector by its short name (one of :data:`DETECTORS`), with its parameters."""
    classes = {"pca": PCADetector, "iforest": IsolationForestDetector, "ocsvm": OneClassSVMDetector,
               "rr_rule": RRRuleDetector}
    if name not in classes:
        raise ValueError(f"detector must be one of {DETECTORS}, got {name!r}")
    return classes[name](**params)
