"""Peer detectors: trained on the normal beats of real records, they must rank ventricular beats above
normal ones, and their threshold must be the rule applied to the validation scores."""
import numpy as np
import pytest

from ecg_utils.detect.factory import make_detector
from ecg_utils.detect.peers import IsolationForestDetector, OneClassSVMDetector, PCADetector, RRRuleDetector
from ecg_utils.detect.threshold import THRESHOLD_RULES, threshold_from_scores
from ecg_utils.signal.build import build_mitdb_beats

# 119 and 208: many normal and many ventricular ectopic beats, with premature ones
RECORDS = ["119", "208"]


@pytest.fixture(scope="module")
def beats(mitdb_dir):
    return build_mitdb_beats(mitdb_dir, records=RECORDS, cache=False, verbose=False)


@pytest.fixture(scope="module")
def parts(beats):
    """Normals split in time per record (first 60% train, next 15% validation); every beat to score."""
    train, validation = [], []
    for record in RECORDS:
        idx = np.flatnonzero((beats.record == record) & beats.is_normal)
        a, b = int(0.6 * len(idx)), int(0.75 * len(idx))
        train.append(idx[:a])
        validation.append(idx[a:b])
    return beats[np.concatenate(train)], beats[np.concatenate(validation)], beats


DETECTORS = [
    lambda: PCADetector(n_components=10),
    lambda: IsolationForestDetector(n_estimators=50, seed=0),
    lambda: OneClassSVMDetector(max_train=1000, seed=0),
    lambda: RRRuleDetector(),
]


@pytest.mark.parametrize("make", DETECTORS, ids=["pca", "iforest", "ocsvm", "rr_rule"])
def test_scores_ventricular_beats_above_normal_ones(make, parts):
    train, validation, test = parts
    det = make().fit(train, validation)
    scores = det.decision_function(test)
    assert scores.shape == (len(test),) and np.isfinite(scores).all()
    assert scores[test.y == 2].mean() > scores[test.y == 0].mean()
    assert set(np.unique(det.predict(test))) <= {0, 1}


@pytest.mark.parametrize("make", DETECTORS, ids=["pca", "iforest", "ocsvm", "rr_rule"])
def test_threshold_is_the_rule_on_validation_scores(make, parts):
    train, validation, _ = parts
    det = make().fit(train, validation)
    val = det.decision_function(validation)
    assert det.threshold_ == pytest.approx(val.mean() + 2 * val.std(), rel=1e-6)
    assert np.array_equal(det.predict(validation), (val > det.threshold_).astype(int))
    q = make()
    q.threshold_rule, q.threshold_fpr = "fpr", 0.1
    q.fit(train, validation)
    assert np.mean(q.decision_function(validation) > q.threshold_) == pytest.approx(0.1, abs=0.01)


def test_threshold_rule_is_the_autoencoders():
    pytest.importorskip("keras")
    from ecg_utils.detect.autoencoder import AutoencoderDetector

    s = np.random.default_rng(0).gamma(2.0, size=500)
    for rule in THRESHOLD_RULES:
        ae = AutoencoderDetector(threshold_rule=rule, threshold_k=1.5, threshold_q=97.0, threshold_fpr=0.05)
        assert threshold_from_scores(s, rule, k=1.5, q=97.0, fpr=0.05) == pytest.approx(ae.threshold_from(s))
    with pytest.raises(ValueError, match="threshold_rule"):
        PCADetector(threshold_rule="max").fit(np.zeros((10, 5)), np.zeros((5, 5)))


def test_ocsvm_trains_on_at_most_max_train_beats(parts):
    train, validation, _ = parts
    det = OneClassSVMDetector(max_train=500, seed=1).fit(train, validation)
    assert det.n_train_used_ == 500 < len(train)


def test_same_seed_same_scores_and_arrays_accepted(parts):
    train, validation, test = parts
    a = IsolationForestDetector(n_estimators=20, seed=3).fit(train.X, validation.X)
    b = IsolationForestDetector(n_estimators=20, seed=3).fit(train, validation)
    assert np.array_equal(a.decision_function(test.X[:100]), b.decision_function(test[:100]))


def test_rr_rule_scores_premature_beats_and_needs_rr(parts):
    train, validation, test = parts
    det = RRRuleDetector().fit(train, validation)
    scores = det.decision_function(test)
    early = test.rr[:, 0] < 0.8 * test.rr[:, 2]
    assert (scores[early] > 0).all() and scores[early].mean() > scores[~early].mean()
    with pytest.raises(TypeError, match="RR"):
        det.decision_function(test.X)


def test_make_detector_rejects_unknown_names():
    assert isinstance(make_detector("pca", n_components=3), PCADetector)
    with pytest.raises(ValueError, match="unknown detector 'lof'; known: autoencoder, baseline, recommended, pca"):
        make_detector("lof")
