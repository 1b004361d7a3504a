"""Rhythm evidence: irregularity between normal-shaped beats, prematurity muted in irregular rhythm, and the
irregular stretches checked against the rhythm annotations of real records."""
import numpy as np
import pytest

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.metrics import episode_detection
from ecg_utils.signal.rhythm import IRREGULAR_THRESHOLD, irregular_stretches, irregularity, prematurity
from ecg_utils.signal.rr import rr_intervals

FS = 360


def _beats(rr_s, ectopic=None, record="r"):
    """Beats at the given intervals; normal beats look like the template, ``ectopic`` ones do not."""
    samples = np.concatenate([[FS], FS + np.cumsum(np.round(np.asarray(rr_s) * FS))]).astype(np.int64)
    n = len(samples)
    t = np.linspace(0, 1, 50)
    normal, odd = np.exp(-((t - 0.5) / 0.05) ** 2), np.sin(6 * t)
    ectopic = np.zeros(n, bool) if ectopic is None else np.asarray(ectopic, bool)
    X = np.where(ectopic[:, None], odd, normal) + np.random.default_rng(0).normal(0, 0.01, (n, 50))
    b = Beats.from_arrays(X, np.zeros(n), [record] * n, samples, rr_intervals(samples, FS))
    return Beats(b.X, b.y, b.record, b.sample, b.rr, b.info, np.tile(normal, (n, 1)).astype(np.float32))


def test_irregularity_separates_fibrillation_from_sinus_rhythm_and_ectopy():
    rng = np.random.default_rng(1)
    sinus = 0.8 + 0.02 * np.sin(np.arange(300) / 5)                      # breathing-paced sinus arrhythmia
    af = rng.uniform(0.4, 1.1, 300)                                       # irregularly irregular
    bigeminy = np.tile([0.5, 1.1], 150)                                   # early atrial beat, pause, repeat
    pvc = sinus.copy()
    pvc[50::10], pvc[51::10] = 0.5, 1.1                                   # a PVC (odd shape) every 10 beats
    ectopic = np.zeros(301, bool)
    ectopic[51::10] = True
    assert np.median(irregularity(_beats(sinus))) < IRREGULAR_THRESHOLD / 2
    assert np.median(irregularity(_beats(af))) > 2 * IRREGULAR_THRESHOLD
    assert np.median(irregularity(_beats(bigeminy))) < IRREGULAR_THRESHOLD / 2
    assert np.median(irregularity(_beats(pvc, ectopic))) < IRREGULAR_THRESHOLD / 2
    # PVCs at random places, each with its compensatory pause: only the intervals between normal-shaped beats count
    rng = np.random.default_rng(3)
    pvc = sinus.copy()
    at = np.flatnonzero(rng.random(300) < 0.25)
    at = at[(at > 0) & (at < 299) & (np.diff(at, prepend=-9) > 2)]
    pvc[at], pvc[at + 1] = 0.5, 1.1
    ectopic = np.zeros(301, bool)
    ectopic[at + 1] = True
    assert np.median(irregularity(_beats(pvc, ectopic))) < IRREGULAR_THRESHOLD / 2


def test_prematurity_is_muted_inside_irregular_rhythm_only():
    rng = np.random.default_rng(2)
    rr = np.concatenate([np.full(200, 0.8), rng.uniform(0.4, 1.1, 200), np.full(200, 0.8)])
    rr[100], rr[101] = 0.5, 1.1                                           # one early beat in the regular part
    b = _beats(rr)
    p, raw = prematurity(b), prematurity(b, threshold=None)
    assert p[101] == pytest.approx(raw[101]) and p[101] > 0.3
    middle = slice(250, 350)
    assert np.all(p[middle] == 0) and np.abs(raw[middle]).max() > 0.2
    stretches = irregular_stretches(b, FS)
    assert len(stretches) == 1
    row = stretches.iloc[0]
    true_start, true_end = b.sample[200], b.sample[400]
    assert abs(row.start - true_start) < 40 * FS and abs(row.end - true_end) < 40 * FS
    assert row.duration_s == pytest.approx((row.end - row.start) / FS)


def test_rhythm_needs_rr_intervals():
    b = Beats.from_arrays(np.zeros((5, 10)), np.zeros(5))
    with pytest.raises(DataError, match="no RR intervals"):
        prematurity(b)


def test_episode_detection_counts_overlap():
    ref = {"a": [(0, 100), (200, 300)], "b": [(0, 50)]}
    det = {"a": [(10, 100), (400, 500)], "c": [(0, 10)]}
    m = episode_detection(det, ref)
    assert (m["found"], m["reference_episodes"]) == (1, 3)
    assert (m["true_stretches"], m["detected_stretches"]) == (1, 3)
    assert m["duration_se"] == pytest.approx(90 / 250)
    assert m["duration_ppv"] == pytest.approx(90 / 200)
    assert episode_detection({}, {})["episode_se"] is None


def test_irregular_stretches_match_the_fibrillation_annotations_of_a_real_record(mitdb_dir):
    """Record 203 (DS1, where the threshold was chosen) has about 30 min of AF/flutter; 115 is sinus rhythm."""
    from ecg_utils.io.records import read_record
    from ecg_utils.signal.build import build_mitdb_beats

    beats = build_mitdb_beats(mitdb_dir, records=["203", "115"], representation="centered", template_width=101,
                              verbose=False)
    found = irregular_stretches(beats, FS)
    assert set(found.record) == {"203"}
    ref = read_record(mitdb_dir, "203").rhythm_episodes(("(AFIB", "(AFL"))
    m = episode_detection({"203": list(zip(found.start, found.end))}, {"203": ref})
    assert m["duration_se"] > 0.9 and m["duration_ppv"] > 0.9


def test_beats_left_out_break_the_interval_series():
    """Normal beats only (a validation set): the interval after a removed beat is not compared with its neighbours."""
    rng = np.random.default_rng(4)
    rr = 0.8 + 0.01 * rng.standard_normal(400)
    at = np.unique(rng.integers(5, 395, 120))
    at = at[np.diff(at, prepend=0) > 1]               # PVCs (odd shape) at random places, each with its pause
    rr[at - 1], rr[at] = 0.5, 1.1
    ectopic = np.zeros(401, bool)
    ectopic[at] = True
    b = _beats(rr, ectopic)
    whole = irregularity(b)
    normals_only = irregularity(b[~ectopic])
    assert np.median(whole) < IRREGULAR_THRESHOLD / 2
    # the same measure with or without the ectopic beats (a pause compared with a normal interval would double it)
    assert np.median(normals_only) == pytest.approx(np.median(whole), rel=0.1)
