"""One detector contract (PyOD's and scikit-learn's conventions): every detector the factory builds stores its
parameters, refuses to score before fit with one error type, refuses empty training data with another, learns its
threshold with the shared rule, and predicts ``score > threshold_``."""
import numpy as np
import pytest

from ecg_utils.detect.base import Detector
from ecg_utils.detect.factory import detector_names, make_detector
from ecg_utils.detect.threshold import ThresholdRule
from ecg_utils.errors import DataError, NotFittedError
from ecg_utils.io.dataset import Beats
from ecg_utils.signal.rr import rr_intervals
from ecg_utils.signal.templates import add_templates

FAST = {"autoencoder": {"epochs": 1, "channels": (4,), "latent_dim": 2},
        "baseline": {"epochs": 1, "channels": (4,), "latent_dim": 2},
        "recommended": {"epochs": 1, "channels": (4,), "latent_dim": 2},
        "iforest": {"n_estimators": 10}, "iforest+rhythm": {}, "ocsvm": {"max_train": 200}}


def _beats(n, seed, record):
    """Normal-looking beats of one recording, steady rhythm, with RR intervals and templates."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 40)
    X = (np.exp(-((t - 0.4) / 0.05) ** 2) + rng.normal(0, 0.05, (n, 40))).astype(np.float32)
    sample = np.arange(n) * 288 + 500
    beats = Beats.from_arrays(X, np.zeros(n, np.int64), [record] * n, sample, rr_intervals(sample, 360.0))
    return add_templates(beats, 21)


@pytest.fixture(scope="module")
def data():
    return _beats(300, 0, "a"), _beats(120, 1, "b"), _beats(80, 2, "c")


@pytest.mark.parametrize("name", detector_names())
def test_every_detector_keeps_the_contract(name, data):
    train, validation, test = data
    det = make_detector(name, **FAST.get(name, {}))
    assert isinstance(det, Detector)
    params = det.get_params()
    assert {"threshold_rule", "threshold_k", "threshold_q", "threshold_fpr"} <= set(params)
    assert repr(type(det)(**params)) == repr(det)          # the parameters are the __init__ parameters, stored
    assert not [k for k in vars(det) if k.endswith("_")]   # nothing fitted before fit
    for call in (det.decision_function, det.predict):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(test)
    with pytest.raises(DataError, match="train"):
        det.fit(train[:0], validation)
    det.set_params(threshold_rule="fpr", threshold_fpr=0.05)
    det.fit(train, validation)
    assert det.is_fitted() and np.isfinite(det.threshold_)
    assert det.threshold_ == pytest.approx(ThresholdRule("fpr", fpr=0.05)(det.validation_scores_))
    scores = det.decision_function(test)
    assert scores.shape == (len(test),) and np.isfinite(scores).all()
    np.testing.assert_array_equal(det.predict(test), (scores > det.threshold_).astype(int))


def test_an_unknown_parameter_or_rule_is_named():
    with pytest.raises(ValueError, match="unknown parameter 'k' for PCADetector"):
        make_detector("pca").set_params(k=3)
    with pytest.raises(ValueError, match="threshold_fpr must be a number in \\(0, 1\\)"):
        ThresholdRule("fpr", fpr=2.0).check()
