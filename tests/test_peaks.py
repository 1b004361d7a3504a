"""R-peak detection on real records, scored the EC57 way (match within 150 ms)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.peaks import double_detections
from ecg_utils.io.databases.mitdb import AAMI_CLASSES
from ecg_utils.io.records import read_record
from ecg_utils.metrics import beat_detection
from ecg_utils.signal import peaks as peaks_module
from ecg_utils.signal.matching import match_beats
from ecg_utils.signal.peaks import METHODS, find_peaks, qrs_band, refine_peaks


def _reference(rec):
    keep = np.isin(rec.ann_symbol, list(AAMI_CLASSES))
    return rec.ann_sample[keep], rec.ann_symbol[keep]




def _excerpt(rec, start_s, end_s):
    """A stretch of a record's lead and its reference beats, positions relative to the stretch."""
    a, b = int(start_s * rec.fs), int(end_s * rec.fs)
    ref, sym = _reference(rec)
    inside = (ref >= a) & (ref < b)
    return rec.signal[a:b], ref[inside] - a, sym[inside]


def _one_detection_per_v_beat(peaks, ref, sym, fs):
    """Detections from 150 ms before to 350 ms after each reference V beat (the same beat) and the unmatched ones."""
    v = ref[np.isin(sym, ["V", "E"])]
    near = [int(((peaks >= t - 0.15 * fs) & (peaks <= t + 0.35 * fs)).sum()) for t in v]
    ref_match, det_matched = match_beats(peaks, ref, int(0.15 * fs))
    return near, ref_match, det_matched


@pytest.fixture(scope="module")
def rec208(mitdb_dir):
    """Record 208: 992 ventricular beats among 2,955 beats, the hardest common case for detectors."""
    return read_record(mitdb_dir, "208")


def test_match_beats_is_one_to_one_and_closest_first():
    ref_match, det_matched = match_beats([100, 104, 300], [102, 200], tolerance=5)
    assert ref_match.tolist()[1] == -1 and ref_match[0] in (0, 1)
    assert det_matched.sum() == 1  # two detections near one reference beat: one of them is a false beat
    ref_match, _ = match_beats([103, 98], [100], tolerance=5)
    assert ref_match.tolist() == [1]  # the closer one wins, whatever the order of the detections


def test_beat_detection_counts_and_ignored_episodes():
    c = beat_detection([10, 500, 1000], [12, 1003, 2000], fs=100.0, tolerance_s=0.05)
    assert (c["tp"], c["fn"], c["fp"]) == (2, 1, 1)
    c = beat_detection([10, 500, 1000], [12, 1003, 2000], fs=100.0, tolerance_s=0.05, ignore=[(400, 600)])
    assert c["fp"] == 0


def test_refine_moves_peaks_onto_the_r_wave(rec208):
    x, fs = rec208.signal[:360 * 120], rec208.fs
    ref, _ = _reference(rec208)
    ref = ref[(ref > 50) & (ref < len(x) - 50)]
    band = qrs_band(x, fs)
    moved = refine_peaks(band, fs, ref + int(0.04 * fs), before=0.06, after=0.02)
    assert np.median(np.abs(moved - ref)) < 0.01 * fs  # 40 ms late in, within 10 ms of the annotation out


@pytest.mark.parametrize("method", METHODS)
def test_every_method_finds_the_beats_of_a_clean_record(mitdb_dir, method):
    rec = read_record(mitdb_dir, "122")  # a clean record
    x = rec.signal[:int(rec.fs * 300)]
    ref, _ = _reference(rec)
    ref = ref[ref < len(x)]
    c = beat_detection(find_peaks(x, rec.fs, method=method), ref, rec.fs)
    assert c["se"] > 0.98 and c["ppv"] > 0.98


def test_hybrid_finds_ventricular_beats_that_one_fast_detector_misses(rec208):
    ref, sym = _reference(rec208)
    v = np.isin(sym, ["V", "E"])
    found = {}
    for method in ("sleepecg", "hybrid"):
        ref_match, _ = match_beats(find_peaks(rec208.signal, rec208.fs, method=method), ref, int(0.15 * rec208.fs))
        found[method] = (ref_match[v] >= 0).mean()
    assert found["hybrid"] > 0.98
    assert found["hybrid"] > found["sleepecg"] + 0.05  # sleepecg alone loses about one V beat in ten here


def test_hybrid_reports_what_it_did_and_peaks_are_sorted_and_apart(rec208):
    stats = {}
    peaks = find_peaks(rec208.signal[:360 * 600], rec208.fs, stats=stats)
    assert np.all(np.diff(peaks) >= 0.2 * rec208.fs)
    assert stats["beats"] == len(peaks) and stats["agreed"] > 0.8 * len(peaks)
    assert 0 <= stats["second_look_share"] < 1


def test_gqrs_read_by_several_processes_finds_the_same_peaks(rec208, monkeypatch):
    x, fs = rec208.signal[:360 * 600], rec208.fs
    one = find_peaks(x, fs, workers=1)
    monkeypatch.setattr(peaks_module, "PARALLEL_MIN_S", 0.0)  # 10 minutes of 208 would be read here otherwise
    calls = []
    real = peaks_module.gqrs_ranges
    monkeypatch.setattr(peaks_module, "gqrs_ranges", lambda *a: calls.append(len(a[2])) or real(*a))
    two = find_peaks(x, fs, workers=2)
    assert max(calls) > 1  # several stretches were handed to the processes
    np.testing.assert_array_equal(one, two)


def test_gqrs_falls_back_to_this_process_when_processes_cannot_start(rec208, monkeypatch):
    import joblib

    def refuse(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(joblib, "Parallel", refuse)
    monkeypatch.setattr(peaks_module, "PARALLEL_MIN_S", 0.0)
    x, fs = rec208.signal[:360 * 120], rec208.fs
    ranges = [(0, 360 * 60), (360 * 60, 360 * 120)]
    with pytest.warns(RuntimeWarning, match="could not run in 2 processes"):
        two = peaks_module.gqrs_ranges(x, fs, ranges, workers=2)
    one = peaks_module.gqrs_ranges(x, fs, ranges, workers=1)
    assert all(np.array_equal(a, b) for a, b in zip(one, two)) and sum(map(len, one)) > 100


def test_pan_tompkins_read_in_pieces_finds_what_one_call_finds(rec208, monkeypatch):
    """The pieces of whole windows (with their margins) that worker processes read give the one call's peaks."""
    monkeypatch.setattr(peaks_module, "WINDOW_S", 120.0)  # 15 windows in 30 minutes: pieces cut inside the record
    x, fs = rec208.signal, rec208.fs
    whole = peaks_module._pantompkins(x, fs)
    for n in (2, 3, 4):
        pieces = peaks_module._pantompkins_pieces(len(x), fs, n)
        assert len(pieces) == n and pieces[0][0] == 0 and pieces[-1][1] == len(x)
        parts = [peaks_module._pantompkins(x[a:b], fs, lead, end) + a for a, b, lead, end in pieces]
        np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert len(whole) > 2500


def test_fast_detectors_in_processes_find_what_this_process_finds(rec208, monkeypatch):
    """Pan-Tompkins in worker processes while sleepecg reads here: the same peaks; where the processes cannot start,
    both run here (sleepecg once) with a warning."""
    import joblib

    monkeypatch.setattr(peaks_module, "PARALLEL_MIN_S", 0.0)
    monkeypatch.setattr(peaks_module, "WINDOW_S", 300.0)
    x, fs = rec208.signal[:360 * 900], rec208.fs
    one = peaks_module._fast_peaks(x, fs, 1)
    two = peaks_module._fast_peaks(x, fs, 2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    calls = []
    real = peaks_module._sleepecg
    monkeypatch.setattr(peaks_module, "_sleepecg", lambda *a: calls.append(1) or real(*a))

    def refuse(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(joblib, "Parallel", refuse)
    with pytest.warns(RuntimeWarning, match="could not run in 2 processes"):
        three = peaks_module._fast_peaks(x, fs, 2)
    assert len(calls) == 1
    for a, b in zip(one, three):
        np.testing.assert_array_equal(a, b)


def test_workers_started_early_are_used_and_find_the_same_peaks(rec208, monkeypatch):
    """start_workers returns at once; the next call reading WARM_MIN_S or more uses the started processes."""
    monkeypatch.setattr(peaks_module, "_POOL_STARTED", False)
    monkeypatch.setattr(peaks_module, "_STARTING", None)
    x, fs = rec208.signal[:360 * 600], rec208.fs
    ranges = [(0, 360 * 300), (360 * 300, 360 * 600)]
    one = peaks_module.gqrs_ranges(x, fs, ranges, workers=1)
    peaks_module.start_workers(2)
    assert peaks_module._STARTING is not None
    two = peaks_module.gqrs_ranges(x, fs, ranges, workers=2)  # 600 s < PARALLEL_MIN_S, >= WARM_MIN_S
    assert peaks_module._POOL_STARTED and peaks_module._STARTING is None
    assert all(np.array_equal(a, b) for a, b in zip(one, two)) and sum(map(len, one)) > 500


def test_workers_that_cannot_start_leave_the_detection_in_this_process(rec208, monkeypatch):
    import joblib

    def refuse(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(peaks_module, "_POOL_STARTED", False)
    monkeypatch.setattr(peaks_module, "_STARTING", None)
    monkeypatch.setattr(joblib, "Parallel", refuse)
    peaks_module.start_workers(2)  # says nothing: the first call that would use them warns
    assert peaks_module._STARTING is None and not peaks_module._POOL_STARTED
    x, fs = rec208.signal[:360 * 120], rec208.fs
    assert len(find_peaks(x, fs, workers=2)) > 100


def _workers_in_a_pool(_):
    return peaks_module.default_workers()


def test_a_pool_worker_starts_no_processes_of_its_own():
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1) as pool:
        assert pool.submit(_workers_in_a_pool, None).result() == 1


def test_flat_and_short_signals_give_no_beats():
    assert len(find_peaks(np.zeros(360 * 60), 360.0)) == 0
    assert len(find_peaks(np.zeros(100), 360.0)) == 0


def test_unknown_method_and_2d_signal_are_refused():
    with pytest.raises(ValueError, match="method"):
        find_peaks(np.zeros(1000), 360.0, method="magic")
    with pytest.raises(ValueError, match="one lead"):
        find_peaks(np.zeros((1000, 2)), 360.0)


def test_a_wide_ventricular_beat_is_one_beat(mitdb_dir):
    """Record 119, 900-1000 s (bigeminy): the hybrid before the secondary-peak rule detected the V beat at 952.2 s
    twice (a second detection 203 ms later, on its second lobe); every V beat is now one detection."""
    rec = read_record(mitdb_dir, "119")
    x, ref, sym = _excerpt(rec, 900, 1000)
    peaks = find_peaks(x, rec.fs)
    near, ref_match, det_matched = _one_detection_per_v_beat(peaks, ref, sym, rec.fs)
    assert len(near) > 20 and set(near) == {1}
    assert det_matched.all() and (ref_match >= 0).all()
    assert double_detections(peaks, ref, sym, ref_match, det_matched, rec.fs) == 0


def test_wide_ventricular_beats_of_a_128_hz_svdb_record_are_one_beat_each(svdb_dir):
    """SVDB record 805 (128 Hz, lead ECG1), 1130-1250 s: the hybrid before the secondary-peak rule added a false
    beat 270-280 ms after three of its wide V beats (on the tall second lobe); none now, and no beat lost."""
    rec = read_record(svdb_dir, "805", lead="ECG1")
    assert rec.fs == 128
    x, ref, sym = _excerpt(rec, 1130, 1250)
    peaks = find_peaks(x, rec.fs)
    near, ref_match, det_matched = _one_detection_per_v_beat(peaks, ref, sym, rec.fs)
    assert len(near) >= 10 and set(near) == {1}
    assert det_matched.all() and (ref_match >= 0).all()


def test_search_back_finds_ventricular_beats_both_fast_detectors_miss(mitdb_dir):
    """Record 203, 1420-1500 s: sleepecg and Pan-Tompkins both miss the V beats at 1451.4 s and 1484.3 s, so gqrs
    never looked there before; the RR interval around each is long for the local rhythm, and its re-read finds them."""
    rec = read_record(mitdb_dir, "203")
    x, ref, sym = _excerpt(rec, 1420, 1500)
    targets = np.array([int((t - 1420) * rec.fs) for t in (1451.361, 1484.311)])
    idx = np.array([np.argmin(np.abs(ref - t)) for t in targets])
    assert (np.abs(ref[idx] - targets) < 0.01 * rec.fs).all() and (sym[idx] == "V").all()
    tol = int(0.15 * rec.fs)
    for method in ("sleepecg", "pantompkins"):
        assert (match_beats(find_peaks(x, rec.fs, method=method), ref, tol)[0][idx] < 0).all(), method
    stats = {}
    peaks = find_peaks(x, rec.fs, stats=stats)
    assert (match_beats(peaks, ref, tol)[0][idx] >= 0).all()
    assert stats["search_back_found"] >= 2 and stats["search_back_intervals"] >= 2


def test_search_back_adds_nothing_to_a_clean_regular_record(mitdb_dir):
    """Record 122 (regular sinus rhythm): no RR interval is long, nothing is re-read, no false beat."""
    rec = read_record(mitdb_dir, "122")
    x, ref, _ = _excerpt(rec, 0, 300)
    stats = {}
    c = beat_detection(find_peaks(x, rec.fs, stats=stats), ref, rec.fs)
    assert stats["search_back_found"] == 0 and c["fp"] == 0 and c["fn"] == 0


@pytest.mark.parametrize("fs", [128.0, 250.0, 360.0])
def test_hybrid_on_simulated_ecg_finds_each_beat_once(fs):
    """A simulated 70-bpm ECG at the database rates: one detection per beat, none doubled."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=120, sampling_rate=int(fs), heart_rate=70, random_state=1)
    peaks = find_peaks(x, fs)
    rr = np.diff(peaks) / fs
    assert 135 <= len(peaks) <= 145
    assert rr.min() > 0.6 and rr.max() < 1.1


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3000), min_size=0, max_size=60, unique=True),
       st.lists(st.floats(0.01, 10.0, allow_nan=False), min_size=60, max_size=60), st.sampled_from([128.0, 360.0]))
def test_secondary_rule_only_drops_close_weak_peaks(positions, heights, fs):
    """Whatever the peaks: the first is kept, the output is a sorted subset, and a peak at least SECONDARY_S after
    the one before it in the input, or not weaker than half of it, is never dropped."""
    peaks = np.array(sorted(positions), dtype=np.int64)
    band = np.full(3200, 0.05)
    band[peaks] = heights[:len(peaks)]
    kept = peaks_module._drop_secondary(peaks, band, fs)
    assert set(kept.tolist()) <= set(peaks.tolist()) and np.all(np.diff(kept) > 0)
    if len(peaks):
        assert kept[0] == peaks[0]
    gap = int(peaks_module.SECONDARY_S * fs)
    for i in range(1, len(peaks)):
        far = peaks[i] - peaks[i - 1] >= gap
        strong = band[peaks[i]] >= peaks_module.SECONDARY_RATIO * band[peaks[:i]].max()
        if far or strong:
            assert peaks[i] in kept


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 5000), min_size=2, max_size=30, unique=True),
       st.lists(st.integers(0, 5000), min_size=0, max_size=30, unique=True))
def test_rescued_beats_split_their_interval_and_keep_the_refractory(peaks, candidates):
    """A rescued beat is a candidate, more than the refractory period from both neighbours, the shorter part of its
    interval at least RESCUE_SPLIT of the longer."""
    fs = 360.0
    peaks, candidates = np.array(sorted(peaks)), np.array(sorted(candidates), dtype=np.int64)
    out = peaks_module._rescue(peaks, candidates, fs)
    assert set(out.tolist()) <= set(candidates.tolist())
    for c in out:
        k = np.searchsorted(peaks, c)
        left, right = c - peaks[k - 1], peaks[k] - c
        assert min(left, right) > peaks_module.REFRACTORY_S * fs
        assert min(left, right) >= peaks_module.RESCUE_SPLIT * max(left, right)


def test_double_detections_counts_false_beats_just_after_a_found_v_beat():
    fs = 100.0
    ref, sym = np.array([100, 400, 700]), np.array(["V", "N", "V"])
    peaks = np.array([100, 130, 400, 700, 730, 1100])  # 130 and 730: within 350 ms after a V beat; 1100: far
    ref_match, det_matched = match_beats(peaks, ref, 15)
    assert double_detections(peaks, ref, sym, ref_match, det_matched, fs) == 2
    ref_match, det_matched = match_beats(peaks[[1, 2, 4]], ref, 15)  # the V beats themselves missed: no double
    assert double_detections(peaks[[1, 2, 4]], ref, sym, ref_match, det_matched, fs) == 0
