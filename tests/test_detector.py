"""The detector on seeded synthetic beats: normals are one noisy template, anomalies another shape."""
import json
import shutil

import numpy as np
import pytest

from ecg_utils.detect.augment import augment
from ecg_utils.detect.autoencoder import AutoencoderDetector
from ecg_utils.detect.saved import META_FILE, MODEL_FILE
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.io.files import MARKER

L = 96
FAST = dict(channels=(4, 8), latent_dim=8, batch_size=128, learning_rate=3e-3)


def _normals(rng, n):
    t = np.linspace(0, 1, L)
    qrs = np.exp(-((t - 0.3) / 0.03) ** 2) * rng.uniform(0.9, 1.1, (n, 1))
    return (qrs + 0.2 * np.sin(2 * np.pi * t) + 0.02 * rng.standard_normal((n, L))).astype(np.float32)


def _anomalies(rng, n):
    t = np.linspace(0, 1, L)
    wide = np.exp(-((t - 0.55) / 0.12) ** 2) * rng.uniform(0.9, 1.1, (n, 1))
    return (wide + 0.02 * rng.standard_normal((n, L))).astype(np.float32)


def _beats(X, y=None, rr=None, **info):
    y = np.zeros(len(X)) if y is None else y
    return Beats.from_arrays(X, y, rr=rr, info={"representation": "synthetic", **info})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    train = _beats(_normals(rng, 1500), source="synthetic-train")
    val = _normals(rng, 400)
    test_X = np.concatenate([_normals(rng, 200), _anomalies(rng, 200)])
    test_y = np.repeat([0, 2], 200)
    rr = rng.uniform(0.7, 0.9, (len(train), 3))
    return {"train": train, "val": val, "test": _beats(test_X, test_y), "rr_train": rr,
            "rr_val": rng.uniform(0.7, 0.9, (len(val), 3))}


@pytest.fixture(scope="module")
def fitted(data):
    return AutoencoderDetector(epochs=3, **FAST).fit(data["train"], data["val"])


def test_fitted_state(fitted):
    assert fitted.epochs_trained_ == len(fitted.history_["loss"]) == len(fitted.history_["epoch_seconds"])
    assert set(fitted.history_) >= {"loss", "val_loss", "epoch_seconds"}
    assert fitted.scaler_.keys() == {"mean", "std"} and fitted.scaler_["std"] > 0
    assert fitted.validation_scores_.shape == (400,) and fitted.fit_seconds_ > 0
    assert fitted.history_["loss"][-1] < fitted.history_["loss"][0]


def test_anomalies_score_higher(fitted, data):
    scores = fitted.decision_function(data["test"])
    assert scores[data["test"].y == 2].mean() > 1.5 * scores[data["test"].y == 0].mean()


def test_threshold_is_mean_plus_2_std_and_predict_compares_to_it(fitted, data):
    s = fitted.validation_scores_
    assert fitted.threshold_ == np.mean(s) + 2.0 * np.std(s)
    scores = fitted.decision_function(data["test"])
    assert np.array_equal(fitted.predict(data["test"]), (scores > fitted.threshold_).astype(int))
    assert fitted.predict(data["test"])[data["test"].y == 2].mean() > 0.5


def test_arrays_and_beats_score_alike(fitted, data):
    assert np.array_equal(fitted.decision_function(data["test"]), fitted.decision_function(data["test"].X))


def test_reconstruct_is_in_input_units(fitted, data):
    """The score is the MAE in standardised units: the reconstruction's MAE (input units) / the training std."""
    X = data["test"].X[:50]
    mae = np.abs(fitted.reconstruct(X) - X).mean(axis=1)
    assert np.allclose(mae / fitted.scaler_["std"], fitted.decision_function(X), rtol=1e-4)


def test_same_seed_same_scores_and_percentile_rule(data):
    kw = dict(FAST, epochs=1, threshold_rule="percentile", threshold_q=95, seed=3)
    a = AutoencoderDetector(**kw).fit(data["train"], data["val"])
    b = AutoencoderDetector(**kw).fit(data["train"], data["val"])
    assert np.array_equal(a.decision_function(data["test"]), b.decision_function(data["test"]))
    assert a.threshold_ == np.percentile(a.validation_scores_, 95)


def test_fpr_rule_with_augmentation(data):
    det = AutoencoderDetector(**FAST, epochs=1, threshold_rule="fpr", threshold_fpr=0.05, augment=True)
    det.fit(data["train"], data["val"])
    assert det.threshold_ == np.quantile(det.validation_scores_, 0.95)
    assert np.mean(det.validation_scores_ > det.threshold_) == pytest.approx(0.05, abs=0.005)


def test_rr_features_second_input_and_save_load(data, tmp_path):
    train = _beats(data["train"].X, rr=data["rr_train"])
    val = _beats(data["val"], rr=data["rr_val"])
    det = AutoencoderDetector(**FAST, epochs=1, rr_features=True, rr_weight=0.5).fit(train, val)
    assert len(det.model_.inputs) == 2 and len(det.scaler_["rr_mean"]) == 3
    loaded = AutoencoderDetector.load(det.save(tmp_path / "rr"))
    assert np.allclose(loaded.decision_function(val), det.decision_function(val), rtol=0, atol=1e-6)
    with pytest.raises(DataError, match="RR"):
        det.decision_function(data["val"])          # a bare array has no RR intervals
    # a record's last beat has no next interval: it counts as the local mean (the rr_ratios convention)
    last, filled = data["rr_val"].copy(), data["rr_val"].copy()
    last[3, 1], filled[3, 1] = np.nan, filled[3, 2]
    assert np.allclose(det.decision_function(_beats(data["val"], rr=last)),
                       det.decision_function(_beats(data["val"], rr=filled)))
    bad_rr = data["rr_val"].copy()
    bad_rr[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        det.decision_function(_beats(data["val"], rr=bad_rr))


def test_save_load_roundtrip(fitted, data, tmp_path):
    path = fitted.save(tmp_path / "det")
    assert sorted(p.name for p in path.iterdir()) == sorted([MODEL_FILE, META_FILE, MARKER])
    assert [p.name for p in tmp_path.iterdir()] == ["det"]      # no temporary folder left behind
    loaded = AutoencoderDetector.load(path)
    assert np.array_equal(loaded.decision_function(data["test"]), fitted.decision_function(data["test"]))
    assert loaded.threshold_ == fitted.threshold_ and loaded.get_params() == fitted.get_params()
    meta = json.loads((path / META_FILE).read_text())
    assert meta["input_len"] == L and meta["train_info"]["source"] == "synthetic-train"
    assert set(meta["versions"]) == {"tensorflow", "keras", "numpy", "ecg_utils"}
    assert meta["validation_scores"]["n"] == 400
    fitted.save(path)                                           # overwriting an existing save works
    assert AutoencoderDetector.load(path).threshold_ == fitted.threshold_


@pytest.fixture
def saved(fitted, tmp_path):
    return fitted.save(tmp_path / "det")


def _corrupt_truncated(path):
    data = (path / MODEL_FILE).read_bytes()
    (path / MODEL_FILE).write_bytes(data[: len(data) // 2])
    return path / MODEL_FILE


def _corrupt_random(path):
    (path / MODEL_FILE).write_bytes(np.random.default_rng(0).bytes(5000))
    return path / MODEL_FILE


def _missing_json(path):
    (path / META_FILE).unlink()
    return path / META_FILE


def _bad_json(path):
    (path / META_FILE).write_text('{"params": ')
    return path / META_FILE


def _wrong_length(path):
    meta = json.loads((path / META_FILE).read_text())
    meta["input_len"] = 187
    (path / META_FILE).write_text(json.dumps(meta))
    return path / MODEL_FILE


def _bad_scaler(path):
    meta = json.loads((path / META_FILE).read_text())
    meta["scaler"] = {"mean": 0.0, "std": 0.0}
    (path / META_FILE).write_text(json.dumps(meta))
    return path / META_FILE


def _missing_dir(path):
    shutil.rmtree(path)
    return path


@pytest.mark.parametrize("corrupt", [_corrupt_truncated, _corrupt_random, _missing_json, _bad_json, _wrong_length,
                                     _bad_scaler, _missing_dir])
def test_load_problems_raise_data_error_naming_the_path(saved, corrupt):
    named = corrupt(saved)
    with pytest.raises(DataError) as err:
        AutoencoderDetector.load(saved)
    assert str(named) in str(err.value) and "\n" not in str(err.value)


def test_check_compatible(fitted, data):
    fitted.check_compatible(data["test"])
    with pytest.raises(DataError, match="96"):
        fitted.check_compatible(np.zeros((2, L + 1)))
    with pytest.raises(DataError, match="representation"):
        fitted.check_compatible(data["test"].with_info(representation="kaggle"))


@pytest.mark.parametrize("bad, message", [
    (lambda X: np.where(np.arange(L) == 5, np.nan, X), "NaN"),
    (lambda X: X[:, :50], "samples"),
    (lambda X: X[0], "2-D"),
])
def test_bad_input_raises_data_error(fitted, data, bad, message):
    with pytest.raises(DataError, match=message):
        fitted.decision_function(bad(data["test"].X))


def test_fit_rejects_bad_training_data(data):
    det = AutoencoderDetector(**FAST, epochs=1)
    with pytest.raises(DataError, match="train.*non-normal"):
        det.fit(data["test"], data["val"])
    nan_train = data["train"].X.copy()
    nan_train[7, 3] = np.nan
    with pytest.raises(DataError, match="train.*NaN"):
        det.fit(nan_train, data["val"])
    with pytest.raises(DataError, match="validation"):
        det.fit(data["train"], data["val"][:, :50])


def test_augment_is_seeded_and_keeps_shape():
    X = np.tile(np.linspace(0, 1, 20, dtype=np.float32), (4, 1))
    a_in, a_out = augment(X, np.random.default_rng(1))
    b_in, b_out = augment(X, np.random.default_rng(1))
    assert a_in.shape == X.shape and np.array_equal(a_in, b_in) and np.array_equal(a_out, b_out)
    assert not np.array_equal(a_in, a_out)                   # noise goes into the input only
    same_in, same_out = augment(X, np.random.default_rng(1), 0, (1, 1), 0, 0)
    assert np.array_equal(same_in, X) and np.array_equal(same_out, X)
    _, shifted = augment(X, np.random.default_rng(1), 0, (1, 1), 2, 0)
    # a shift repeats the edge sample and never wraps around: every row stays non-decreasing
    assert (np.diff(shifted, axis=1) >= 0).all() and not np.array_equal(shifted, X)


def test_normalize_recording_judges_each_recording_against_itself(data, tmp_path):
    """A recording whose every beat is noisier (a patient the model fits worse) floods the plain score with flags;
    scaled by its own median error it is flagged at about the validation rate, and its anomalies still stand out."""
    rng = np.random.default_rng(7)
    det = AutoencoderDetector(epochs=3, normalize="recording", **FAST)
    plain = AutoencoderDetector(epochs=3, **FAST)
    val = _beats(data["val"], record=None)
    for d in (det, plain):
        d.fit(data["train"], val)
    noisy = np.concatenate([_normals(rng, 300), _anomalies(rng, 30)])
    noisy = noisy + 0.15 * rng.standard_normal(noisy.shape).astype(np.float32)
    y = np.repeat([0, 2], [300, 30])
    beats = Beats.from_arrays(noisy, y, ["noisy"] * len(y), info={"representation": "synthetic"})
    fpr = {name: float((d.predict(beats)[:300]).mean()) for name, d in (("plain", plain), ("recording", det))}
    assert fpr["plain"] > 0.5 and fpr["recording"] < 0.2
    s = det.decision_function(beats)
    assert np.median(s[300:]) > np.percentile(s[:300], 95)
    assert det.fusion_.medians_["reconstruction"] > 0
    loaded = AutoencoderDetector.load(det.save(tmp_path / "det"))
    np.testing.assert_allclose(loaded.decision_function(beats), s, rtol=1e-5)
    meta = json.loads((tmp_path / "det" / META_FILE).read_text())
    del meta["medians"]
    (tmp_path / "det" / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(DataError, match="median"):
        AutoencoderDetector.load(tmp_path / "det")
    with pytest.raises(ValueError, match="normalize"):
        AutoencoderDetector(normalize="patient").fit(data["train"], val)
    with pytest.raises(ValueError, match="normalize='quiet'.*context='template'"):
        AutoencoderDetector(normalize="quiet").fit(data["train"], val)
