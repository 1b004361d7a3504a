"""The recommended detector's options: the patient template as context and the fused rhythm score."""
import numpy as np
import pytest

from ecg_utils.detect.autoencoder import AutoencoderDetector
from ecg_utils.detect.fusion import surprise
from ecg_utils.errors import DataError
from ecg_utils.io.splits import split_random
from ecg_utils.signal.build import build_mitdb_beats
from ecg_utils.signal.templates import add_templates

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split(mitdb_dir):
    beats = build_mitdb_beats(mitdb_dir, records=["208", "209", "232"], representation="centered", verbose=False)
    return split_random(add_templates(beats, 101), seed=0)


@pytest.fixture(scope="module")
def fitted(split):
    det = AutoencoderDetector(context="template", evidence=("prematurity",), epochs=2, seed=0)
    return det.fit(split.train[:3000], split.validation)


def test_rhythm_score_ranks_premature_s_beats_above_normal_ones(fitted, split):
    scores = fitted.decision_function(split.test)
    s, n = scores[split.test.y == 1], scores[split.test.y == 0]
    assert np.median(s) > np.percentile(n, 75)
    assert fitted.threshold_ == pytest.approx(fitted.validation_scores_.mean() + 2 * fitted.validation_scores_.std())
    # the threshold's scores are the fused scores the detector gives the validation beats
    assert np.allclose(fitted.validation_scores_, fitted.decision_function(split.validation), atol=1e-6)


def test_reconstruction_adds_the_template_back(fitted, split):
    X_hat = fitted.reconstruct(split.test[:50])
    assert X_hat.shape == (50, split.test.length)
    # reconstructions are beats (near the patient template), not residuals (near zero)
    assert np.abs(X_hat - split.test.template[:50]).mean() < np.abs(X_hat).mean()


def test_save_load_keeps_the_rhythm_reference(fitted, split, tmp_path):
    loaded = AutoencoderDetector.load(fitted.save(tmp_path / "det"))
    assert np.allclose(loaded.decision_function(split.test[:500]), fitted.decision_function(split.test[:500]))


def test_context_needs_templates_and_rhythm_needs_rr(fitted, split):
    plain = split.test[:10]
    from ecg_utils.io.dataset import Beats

    no_template = Beats(plain.X, plain.y, plain.record, plain.sample, plain.rr, plain.info)
    with pytest.raises(DataError, match="template"):
        fitted.decision_function(no_template)
    no_rr = Beats(plain.X, plain.y, plain.record, plain.sample, np.full_like(plain.rr, np.nan), plain.info, plain.template)
    with pytest.raises(DataError, match="RR"):
        fitted.decision_function(no_rr)


def test_surprise_is_monotone_and_keeps_order_past_the_reference():
    q = np.quantile(np.random.default_rng(0).normal(size=1000), np.linspace(0, 1, 1001))
    v = np.array([-5.0, 0.0, 1.0, 2.0, 3.5, 10.0, 20.0])
    s = surprise(v, q, 1000)
    assert np.all(np.diff(s) > 0)
    assert s[0] == 0.0 and s[1] == pytest.approx(-np.log(np.mean(q > 0.0)), abs=0.01)


def test_deviation_is_a_third_evidence_with_its_own_reference(split, tmp_path):
    det = AutoencoderDetector(context="template", evidence=("deviation", "prematurity"), epochs=1, seed=0)
    det.fit(split.train[:3000], split.validation)
    parts = det.score_parts(split.test)
    assert {"reconstruction", "deviation", "prematurity"} <= set(parts) and len(det.reference_["deviation"]) > 1
    np.testing.assert_allclose(parts["score"], parts["reconstruction"] + parts["deviation"] + parts["prematurity"])
    np.testing.assert_allclose(parts["shape"], parts["reconstruction"] + parts["deviation"])
    # ventricular beats (208) stand far from their patient's template: the deviation part says so
    v, n = parts["deviation"][split.test.y == 2], parts["deviation"][split.test.y == 0]
    assert np.median(v) > np.percentile(n, 95)
    loaded = AutoencoderDetector.load(det.save(tmp_path / "det"))
    # (the rhythm evidence depends on the neighbouring beats passed in the same call: compare like with like)
    np.testing.assert_allclose(loaded.decision_function(split.test[:300]), det.decision_function(split.test[:300]),
                               rtol=1e-5)
    plain = split.test[:10]
    from ecg_utils.io.dataset import Beats

    with pytest.raises(DataError, match="template"):
        AutoencoderDetector(evidence=("deviation",), epochs=1).fit(
            Beats(plain.X, np.zeros(10), plain.record, plain.sample, plain.rr, plain.info),
            Beats(plain.X, np.zeros(10), plain.record, plain.sample, plain.rr, plain.info))
