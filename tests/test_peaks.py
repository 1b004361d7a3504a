"""R-peak detection on real records, scored the EC57 way (match within 150 ms)."""
import numpy as np
import pytest

from ecg_utils.io.databases.mitdb import AAMI_CLASSES
from ecg_utils.io.records import read_record
from ecg_utils.metrics import beat_detection
from ecg_utils.signal.matching import match_beats
from ecg_utils.signal.peaks import METHODS, find_peaks, qrs_band, refine_peaks


def _reference(rec):
    keep = np.isin(rec.ann_symbol, list(AAMI_CLASSES))
    return rec.ann_sample[keep], rec.ann_symbol[keep]


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


def test_flat_and_short_signals_give_no_beats():
    assert len(find_peaks(np.zeros(360 * 60), 360.0)) == 0
    assert len(find_peaks(np.zeros(100), 360.0)) == 0


def test_unknown_method_and_2d_signal_are_refused():
    with pytest.raises(ValueError, match="method"):
        find_peaks(np.zeros(1000), 360.0, method="magic")
    with pytest.raises(ValueError, match="one lead"):
        find_peaks(np.zeros((1000, 2)), 360.0)
