"""Kinds of evidence: one module each, found by the registry, fused and calibrated by one step.

The shipped detector scores by its stored calibration, and a detector saved in the form before the evidence had
names (commit d53a528) loads and scores the same.
"""
import json
import shutil
import sys
import textwrap

import numpy as np
import pytest

from ecg_utils.detect import evidence
from ecg_utils.detect.autoencoder import AutoencoderDetector
from ecg_utils.detect.evidence import SHAPE, TIMING, registry
from ecg_utils.detect.fused import FusedDetector
from ecg_utils.detect.fusion import surprise
from ecg_utils.detect.pretrained import PRETRAINED_DIR, load_detector
from ecg_utils.experiments import figures as plots
from ecg_utils.io.dataset import Beats
from ecg_utils.signal.build import build_mitdb_beats

FAST = dict(channels=(4, 8), latent_dim=4, batch_size=128, learning_rate=3e-3, epochs=1, seed=0)
#: A kind of evidence in one file, as a user would add it: the peak-to-peak amplitude of the beat.
AMPLITUDE = '''
    import numpy as np
    from ecg_utils.detect.evidence import SHAPE


    class Amplitude:
        name, speaks, words = "amplitude", SHAPE, "amplitude"

        @classmethod
        def check(cls, beats, role="beats"):
            pass

        def fit(self, train):
            return self

        def decision_function(self, beats):
            return np.ptp(np.asarray(beats.X, dtype=np.float64), axis=1)
'''


def test_the_registry_finds_one_scorer_per_module_each_saying_what_it_speaks_about():
    kinds = registry()
    assert list(kinds) == ["deviation", "prematurity", "reconstruction"]
    assert {name: k.speaks for name, k in kinds.items()} == {"deviation": SHAPE, "reconstruction": SHAPE,
                                                             "prematurity": TIMING}
    assert all(k.__module__ == f"ecg_utils.detect.evidence.{name}" for name, k in kinds.items())


@pytest.fixture
def extra_module(tmp_path, monkeypatch):
    """Write one module into a folder added to the evidence package's path: the whole of adding an evidence."""
    def add(source, name="amplitude"):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        monkeypatch.setattr(evidence, "__path__", [*evidence.__path__, str(tmp_path)])
        monkeypatch.delitem(sys.modules, f"ecg_utils.detect.evidence.{name}", raising=False)
    yield add
    for name in [m for m in sys.modules if m.startswith("ecg_utils.detect.evidence.") and m.endswith(("amplitude", "bad"))]:
        del sys.modules[name]


def _synthetic(rng, n, record):
    t = np.linspace(0, 1, 40)
    X = np.exp(-((t - 0.4) / 0.05) ** 2) * rng.uniform(0.8, 1.2, (n, 1)) + 0.02 * rng.standard_normal((n, 40))
    return Beats.from_arrays(X.astype(np.float32), np.zeros(n, np.int64), [record] * n)


def test_a_new_evidence_is_one_module_and_is_fused_with_no_other_edit(extra_module, tmp_path):
    extra_module(AMPLITUDE)
    assert registry()["amplitude"].speaks == SHAPE
    rng = np.random.default_rng(0)
    train, val = _synthetic(rng, 300, "a"), _synthetic(rng, 120, "b")
    tall = _synthetic(rng, 40, "c")
    tall = Beats.from_arrays(np.concatenate([tall.X[:20], 3 * tall.X[20:]]), tall.y, tall.record)
    det = AutoencoderDetector(evidence=("amplitude",), **FAST).fit(train, val)
    parts = det.score_parts(tall)
    assert set(parts) == {"score", "shape", "timing", "reconstruction", "amplitude"}
    np.testing.assert_allclose(parts["score"], parts["reconstruction"] + parts["amplitude"])
    np.testing.assert_allclose(parts["shape"], parts["score"])        # both speak about the shape
    assert not parts["timing"].any()
    # its part is -log of its tail probability among the validation normals: beats three times as tall are rarer
    assert parts["amplitude"][20:].min() > parts["amplitude"][:20].max()
    assert det.reference_["amplitude"] == pytest.approx(np.quantile(np.ptp(val.X, axis=1).astype(np.float64),
                                                                    np.linspace(0, 1, 1001)).tolist())
    loaded = AutoencoderDetector.load(det.save(tmp_path / "det"))
    np.testing.assert_allclose(loaded.decision_function(tall), parts["score"], rtol=1e-5)
    assert plots.score_label(det.evidence) == "anomaly score: -log p(reconstruction) - log p(amplitude)"
    # the benchmark's fusion takes it too
    fused = FusedDetector({"amplitude": registry()["amplitude"]()}).fit(train, val)
    assert fused.decision_function(tall)[20:].min() > fused.threshold_


def test_the_registry_refuses_a_name_the_score_parts_use(extra_module):
    extra_module(AMPLITUDE.replace('"amplitude", SHAPE', '"shape", SHAPE'), name="bad")
    with pytest.raises(TypeError, match="name of its own"):
        registry()


def test_evidence_names_are_checked_against_the_registry():
    rng = np.random.default_rng(0)
    train, val = _synthetic(rng, 60, "a"), _synthetic(rng, 30, "b")
    for wrong in (("pulse",), "prematurity", ("reconstruction",), ("prematurity", "prematurity")):
        with pytest.raises(ValueError, match="evidence must be .* among \\('deviation', 'prematurity'\\)"):
            AutoencoderDetector(evidence=wrong, **FAST).fit(train, val)


@pytest.fixture(scope="module")
def shipped_208(mitdb_dir):
    det, _ = load_detector()
    beats = build_mitdb_beats(mitdb_dir, records=["208"], representation="centered", template_width=101,
                              template_regular=0.95, verbose=False)
    return det, beats


def test_the_shipped_detector_scores_by_its_stored_calibration(shipped_208):
    det, beats = shipped_208
    meta = json.loads((PRETRAINED_DIR / "detector.json").read_text())
    parts = det.score_parts(beats)
    assert set(parts) == {"score", "shape", "timing", "reconstruction", *det.evidence}
    # the formula, recomputed from the stored quantiles: the sum of -log p of each evidence, the reconstruction error
    # first taken relative to its recording's median with normalize="recording", to its noise-aware scale with
    # normalize="quiet" (all of 208's beats: one recording, in time order)
    from ecg_utils.detect.fusion import quiet_scale
    from ecg_utils.signal.morphology import baseline_noise

    ref = meta["reference"]
    errors = np.abs(det.reconstruct(beats).astype(np.float64) - beats.X).mean(axis=1) / det.scaler_["std"]
    if det.normalize == "recording":
        errors = errors / np.median(errors)
    elif det.normalize == "quiet":
        assert np.all(np.diff(beats.sample) > 0)
        errors = errors / quiet_scale(errors, baseline_noise(beats))
    raw = {"reconstruction": errors, "deviation": np.abs(beats.X - beats.template).mean(axis=1),
           "prematurity": registry()["prematurity"]().decision_function(beats)}
    expected = {n: surprise(raw[n], ref[n], ref["n"]) for n in ("reconstruction", *det.evidence)}
    for name, value in expected.items():
        np.testing.assert_allclose(parts[name], value, rtol=1e-4, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(parts["score"], sum(parts[n] for n in expected), rtol=1e-12)
    np.testing.assert_allclose(parts["shape"], parts["reconstruction"] + parts.get("deviation", 0), rtol=1e-12)
    assert np.array_equal(det.predict(beats), (parts["score"] > meta["threshold"]).astype(int))


def test_a_detector_saved_before_the_evidence_had_names_scores_the_same(shipped_208, tmp_path):
    # the form of detector.json before evidence=: one boolean per evidence, the reconstruction error's quantiles as
    # "shape", the median error in the scaler
    det, beats = shipped_208
    meta = json.loads((PRETRAINED_DIR / "detector.json").read_text())
    params = dict(meta["params"])
    on = params.pop("evidence")
    old_name = {"reconstruction": "shape", "prematurity": "rhythm"}
    old = {**meta, "params": {**params, "deviation": "deviation" in on, "rhythm": "prematurity" in on},
           "reference": {old_name.get(k, k): v for k, v in meta["reference"].items()},
           "scaler": {**meta["scaler"], **({"error_median": meta["medians"]["reconstruction"]}
                                           if params["normalize"] in ("recording", "quiet") else {})}}
    old.pop("medians", None)
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(PRETRAINED_DIR / "model.keras", folder / "model.keras")
    (folder / "detector.json").write_text(json.dumps(old))
    loaded = AutoencoderDetector.load(folder)
    assert tuple(loaded.evidence) == tuple(det.evidence)
    for name, values in det.score_parts(beats).items():
        np.testing.assert_array_equal(loaded.score_parts(beats)[name], values, err_msg=name)


def test_a_detector_saved_by_0_1_with_the_rhythm_evidence_scores_the_same(shipped_208, tmp_path):
    """0.1 called the prematurity evidence "rhythm" (in evidence= and in the stored references): such a saved
    detector loads under today's names and scores every beat identically; the score parts' old key "rhythm" still
    reads the timing sum, with a deprecation warning."""
    det, beats = shipped_208
    meta = json.loads((PRETRAINED_DIR / "detector.json").read_text())
    old = {**meta, "params": {**meta["params"], "evidence": ["rhythm" if e == "prematurity" else e
                                                             for e in meta["params"]["evidence"]]},
           "reference": {("rhythm" if k == "prematurity" else k): v for k, v in meta["reference"].items()}}
    folder = tmp_path / "v01"
    folder.mkdir()
    shutil.copy(PRETRAINED_DIR / "model.keras", folder / "model.keras")
    (folder / "detector.json").write_text(json.dumps(old))
    loaded = AutoencoderDetector.load(folder)
    assert tuple(loaded.evidence) == tuple(det.evidence) and "prematurity" in loaded.evidence
    parts, expected = loaded.score_parts(beats), det.score_parts(beats)
    for name, values in expected.items():
        np.testing.assert_array_equal(parts[name], values, err_msg=name)
    with pytest.warns(DeprecationWarning, match="'rhythm' is now 'timing'"):
        np.testing.assert_array_equal(parts["rhythm"], expected["timing"])
    with pytest.warns(DeprecationWarning, match="'rhythm' is now 'prematurity'"):
        renamed = AutoencoderDetector(evidence=("deviation", "rhythm"), context="template")
        renamed._check_params()
    assert renamed.evidence == ("deviation", "prematurity")

