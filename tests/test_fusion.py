"""Fused peers: a shape evidence and the rhythm evidence, each a tail probability among validation normals."""
import numpy as np
import pytest

from ecg_utils.detect.factory import make_detector
from ecg_utils.detect.fused import FUSED
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.signal.rr import rr_intervals

L, FS = 60, 360


def _recording(rng, n, record, odd=(), early=()):
    """One recording's beats at a steady 0.8 s, with odd-shaped beats and early (normal-shaped) beats."""
    t = np.linspace(0, 1, L)
    template = np.exp(-((t - 0.4) / 0.04) ** 2) * rng.uniform(0.8, 1.2)   # each patient its own amplitude
    rr = np.full(n - 1, 0.8)
    for i in early:
        rr[i - 1], rr[i] = 0.5, 1.1
    samples = np.concatenate([[FS], FS + np.cumsum(np.round(rr * FS))]).astype(np.int64)
    X = template + 0.03 * rng.standard_normal((n, L))
    y = np.zeros(n, dtype=np.int64)
    for i in odd:
        X[i] = np.exp(-((t - 0.55) / 0.15) ** 2) + 0.03 * rng.standard_normal(L)
        y[i] = 2
    y[list(early)] = 1
    b = Beats.from_arrays(X, y, [record] * n, samples, rr_intervals(samples, FS), info={"source": record})
    return Beats(b.X, b.y, b.record, b.sample, b.rr, b.info, np.tile(template, (n, 1)).astype(np.float32))


def _concat(parts):
    return Beats(np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]),
                 np.concatenate([p.record for p in parts]), np.concatenate([p.sample for p in parts]),
                 np.concatenate([p.rr for p in parts]), parts[0].info, np.concatenate([p.template for p in parts]))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    train = _concat([_recording(rng, 400, f"t{i}") for i in range(3)])
    val = _concat([_recording(rng, 400, f"v{i}") for i in range(2)])
    test = _recording(rng, 600, "x", odd=range(20, 600, 40), early=range(40, 580, 40))
    return train, val, test


@pytest.mark.parametrize("name", FUSED)
def test_fused_peers_find_odd_shapes_by_shape_and_early_beats_by_rhythm(data, name):
    train, val, test = data
    det = make_detector(name, seed=0).fit(train, val)
    parts = det.score_parts(test)
    normal, odd, early = test.y == 0, test.y == 2, test.y == 1
    assert np.allclose(parts["score"], parts["shape"] + parts["timing"])
    assert parts["shape"][odd].min() > np.percentile(parts["shape"][normal], 95)
    assert parts["timing"][early].min() > np.percentile(parts["timing"][normal], 99)
    flagged = det.predict(test).astype(bool)
    assert flagged[odd | early].mean() > 0.9 and flagged[normal].mean() < 0.1


def test_fused_needs_templates_and_known_names(data):
    train, val, _ = data
    bare = Beats(train.X, train.y, train.record, train.sample, train.rr, train.info)
    with pytest.raises(DataError, match="template"):
        make_detector("template+rhythm").fit(bare, val)
    with pytest.raises(ValueError, match="unknown detector 'lstm\\+rhythm'"):
        make_detector("lstm+rhythm")



def test_fusion_scales_per_recording_with_the_validation_median_for_short_recordings():
    from ecg_utils.detect.fusion import MIN_RECORDING_BEATS, Fusion

    rng = np.random.default_rng(0)
    val = rng.uniform(1.0, 2.0, 400)
    fusion = Fusion({"reconstruction": "shape"}, per_recording=("reconstruction",)).fit(
        {"reconstruction": val}, np.repeat(["a", "b"], 200))
    median = fusion.medians_["reconstruction"]
    assert median == pytest.approx(np.median(val)) and fusion.reference_ is None   # one evidence: its own score
    long, short = rng.uniform(3.0, 6.0, MIN_RECORDING_BEATS), rng.uniform(3.0, 6.0, MIN_RECORDING_BEATS - 1)
    parts = fusion.parts({"reconstruction": np.concatenate([long, short])},
                         ["long"] * len(long) + ["short"] * len(short))
    np.testing.assert_allclose(parts["score"][:len(long)], long / np.median(long))
    np.testing.assert_allclose(parts["score"][len(long):], short / median)
    assert np.array_equal(parts["shape"], parts["score"]) and not parts["timing"].any()
    assert fusion.threshold_ == pytest.approx(np.mean(fusion.validation_scores_) + 2 * np.std(fusion.validation_scores_))


def test_the_quiet_scale_keeps_a_clean_stretch_where_noise_comes_later_and_judges_the_noisy_one_by_its_floor():
    """Noise over the last 4/5 of a recording: the plain median moves the clean stretch's scaled values, the quiet
    scale does not (they keep their noise-free scale), and it raises the noisy stretch's floor instead."""
    from ecg_utils.detect.fusion import LOCAL_BEATS, Fusion, quiet_scale

    rng = np.random.default_rng(2)
    n, clean_n = 3000, 600
    quiet_noise = rng.uniform(0.05, 0.1, n)
    err = 1.0 + 0.5 * quiet_noise / 0.1 + rng.uniform(0, 0.2, n)             # error follows the noise floor
    noisy_noise, noisy_err = quiet_noise.copy(), err.copy()
    noisy_noise[clean_n:] *= 4
    noisy_err[clean_n:] += 2.0
    before, after = quiet_scale(err, quiet_noise), quiet_scale(noisy_err, noisy_noise)
    head = slice(0, clean_n - LOCAL_BEATS)   # beats whose neighbourhood holds no noise
    np.testing.assert_allclose(after[head], before[head], rtol=0.05)
    assert np.median(after[clean_n + LOCAL_BEATS:]) > 2 * np.median(after[head])
    assert np.median(noisy_err) / np.median(err) > 1.5                      # what the plain median would do
    fusion = Fusion({"reconstruction": "shape"}, ("reconstruction",), scale="quiet")
    with pytest.raises(ValueError, match="noise"):
        fusion.fit({"reconstruction": err}, np.zeros(n))
    fusion.fit({"reconstruction": err}, np.zeros(n), noise=quiet_noise)
    shuffled = rng.permutation(n)
    parts = fusion.parts({"reconstruction": noisy_err[shuffled]}, np.zeros(n), noise=noisy_noise[shuffled],
                         sample=np.arange(n)[shuffled])                     # the time order comes from the samples
    np.testing.assert_allclose(parts["score"], (noisy_err / after)[shuffled])
    with pytest.raises(ValueError, match="scale"):
        Fusion({"reconstruction": "shape"}, ("reconstruction",), scale="local")


def test_fusion_sums_minus_log_tail_probabilities_by_what_each_evidence_speaks_about():
    from ecg_utils.detect.fusion import Fusion, reference, surprise
    from ecg_utils.detect.threshold import ThresholdRule

    rng = np.random.default_rng(1)
    raw = {"a": rng.normal(size=500), "b": rng.exponential(size=500), "c": rng.normal(size=500)}
    fusion = Fusion({"a": "shape", "b": "timing", "c": "shape"}, threshold=ThresholdRule("fpr", fpr=0.05)).fit(raw)
    test = {k: v[:50] * 3 for k, v in raw.items()}
    parts = fusion.parts(test)
    for k in raw:
        np.testing.assert_allclose(parts[k], surprise(test[k], reference(raw[k]), 500))
    np.testing.assert_allclose(parts["shape"], parts["a"] + parts["c"])
    np.testing.assert_allclose(parts["timing"], parts["b"])
    np.testing.assert_allclose(parts["score"], parts["shape"] + parts["timing"])
    assert np.mean(fusion.validation_scores_ > fusion.threshold_) == pytest.approx(0.05, abs=0.005)
