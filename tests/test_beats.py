"""The WFDB beat builder, checked against the reference annotations of real records."""
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_utils.errors import DataError
from ecg_utils.signal import build as beats_mod
from ecg_utils.signal.build import build_mitdb_beats
from ecg_utils.signal.filters import windows
from ecg_utils.signal.rr import rr_intervals

RECORDS = ["119", "208"]  # rich in V (both) and F (208) beats
# The AAMI mapping, written out again here so that the test does not reuse the code under test.
AAMI = {**dict.fromkeys("NLRej", 0), **dict.fromkeys("AaJS", 1), **dict.fromkeys("VE", 2), "F": 3,
        **dict.fromkeys("/fQ", 4)}


def annotated(mitdb_dir, record):
    ann = wfdb.rdann(str(Path(mitdb_dir) / record), "atr")
    keep = [i for i, s in enumerate(ann.symbol) if s in AAMI]
    return np.asarray(ann.sample)[keep], np.array([AAMI[ann.symbol[i]] for i in keep])


@pytest.fixture(scope="module", params=["kaggle", "centered"])
def built(request, mitdb_dir):
    return build_mitdb_beats(mitdb_dir, records=RECORDS, representation=request.param, cache=False, verbose=False)


def test_class_counts_equal_the_annotations_less_the_beats_at_the_ends(built, mitdb_dir):
    for record in RECORDS:
        samples, classes = annotated(mitdb_dir, record)
        mine = built[built.record == record]
        dropped = ~np.isin(samples, mine.sample)
        assert dropped.sum() == built.info["dropped_at_ends"][record] <= 2
        # every dropped beat lies within 2 s of a record end
        n = wfdb.rdheader(str(Path(mitdb_dir) / record)).sig_len
        assert np.all((samples[dropped] < 2 * 360) | (samples[dropped] > n - 2 * 360))
        expected = Counter(classes[~dropped].tolist())
        assert {c: n for c, n in Counter(mine.y.tolist()).items()} == dict(expected)
        # per-beat: the class of each beat is the class of the annotation at its position
        lookup = dict(zip(samples.tolist(), classes.tolist()))
        assert all(lookup[s] == y for s, y in zip(mine.sample.tolist(), mine.y.tolist()))


def test_records_and_description_are_kept(built):
    assert built.records() == RECORDS
    assert built.info["records"] == RECORDS
    assert built.info["source"] == "mitdb" and built.info["leads"] == {"119": "MLII", "208": "MLII"}
    assert built.counts()["V"] > 1000 and built.counts()["F"] > 300


def test_kaggle_beats_have_the_kaggle_format(mitdb_dir):
    b = build_mitdb_beats(mitdb_dir, records=RECORDS, representation="kaggle", cache=False, verbose=False)
    assert b.X.shape[1] == 187 and b.X.dtype == np.float32
    assert b.X.min() >= 0.0 and b.X.max() <= 1.0
    # each beat spans 1.2 median RR of its 10-s window, zero-padded to 187 samples; only windows of
    # slow bigeminy in 119 (median RR above 187 / 125 / 1.2 = 1.25 s) fill all 187 samples
    assert np.mean(b.X[:, -1] == 0.0) > 0.99
    nonzero_len = 187 - np.argmax(b.X[:, ::-1] != 0, axis=1)
    assert np.median(nonzero_len) == pytest.approx(1.2 * np.nanmedian(b.rr[:, 0]) * 125, rel=0.15)


def test_lead_is_found_by_name(mitdb_dir):
    # record 114 stores MLII as its second signal
    b = build_mitdb_beats(mitdb_dir, records=["114"], cache=False, verbose=False)
    assert b.info["leads"]["114"] == "MLII"
    rec = wfdb.rdrecord(str(Path(mitdb_dir) / "114"), channel_names=["MLII"])
    assert rec.sig_name == ["MLII"]


def test_centered_beats_are_normalised_and_peak_in_the_middle(mitdb_dir):
    b = build_mitdb_beats(mitdb_dir, records=["119"], representation="centered", before=0.25, after=0.25,
                          cache=False, verbose=False)
    assert b.X.shape[1] == round(0.25 * 125) * 2
    assert np.allclose(b.X.mean(axis=1), 0, atol=1e-4) and np.allclose(b.X.std(axis=1), 1, atol=1e-3)
    normal = b.X[b.y == 0]
    # the R-peak of normal beats sits at the window's centre
    assert abs(np.median(np.abs(normal).argmax(axis=1)) - b.X.shape[1] / 2) <= 3


def test_rr_intervals():
    rr = rr_intervals([0, 360, 720, 900, 1440], fs=360, local_window=3)
    assert np.isnan(rr[0, 0]) and np.isnan(rr[-1, 1])
    assert rr[3, 0] == pytest.approx(0.5) and rr[3, 1] == pytest.approx(1.5)
    assert rr[2, 2] == pytest.approx(np.mean([1.0, 1.0, 0.5]))


def test_windows():
    w = windows(np.arange(10), 4, step=3)
    assert w.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert windows(np.arange(3), 4).shape == (0, 4)


def test_missing_records_are_listed(mitdb_dir):
    with pytest.raises(DataError, match=r"record 998: 998\.hea, 998\.dat, 998\.atr missing; record 999: 999\.hea"):
        build_mitdb_beats(mitdb_dir, records=["119", "998", "999"], verbose=False)


def test_no_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="ECG_DATA_DIR.*download"):
        build_mitdb_beats(tmp_path, verbose=False)


def test_unknown_parameter_is_refused(mitdb_dir):
    with pytest.raises(ValueError, match="unknown parameters"):
        build_mitdb_beats(mitdb_dir, records=["119"], representation="kaggle", before=0.3)


def test_cache_is_reused_and_rebuilt_when_a_parameter_or_a_file_changes(mitdb_dir, tmp_path, monkeypatch):
    folder = tmp_path / "mitdb"
    folder.mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copy(Path(mitdb_dir) / f"119.{ext}", folder)
    monkeypatch.setenv("ECG_CACHE_DIR", str(tmp_path / "cache"))  # a cache of this test's own
    calls = []
    real = beats_mod._record_beats
    monkeypatch.setattr(beats_mod, "_record_beats", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = build_mitdb_beats(folder, verbose=False)
    second = build_mitdb_beats(folder, verbose=False)
    assert calls == ["119"]  # the second build came from the cache
    assert np.array_equal(first.X, second.X) and first.info == second.info
    build_mitdb_beats(folder, span=1.3, verbose=False)
    assert calls == ["119", "119"]  # a new parameter: rebuilt
    with open(folder / "119.hea", "a") as f:
        f.write("# edited\n")
    build_mitdb_beats(folder, verbose=False)
    assert calls == ["119", "119", "119"]  # a changed input file: rebuilt


def test_templates_follow_the_patient_and_ignore_isolated_ectopic_beats(mitdb_dir):
    from ecg_utils.signal.templates import add_templates

    b = add_templates(build_mitdb_beats(mitdb_dir, records=["119", "208"], representation="centered",
                                        verbose=False, cache=False), width=51)
    assert b.template.shape == b.X.shape and b.info["template_width"] == 51
    d = np.abs(b.X - b.template).mean(axis=1)
    # a V beat is further from its patient's template than a normal beat
    assert np.median(d[b.y == 2]) > 2 * np.median(d[b.y == 0])
    # subsets and round trips keep the templates aligned with the beats
    sub = b[b.y == 2]
    assert np.array_equal(sub.template, b.template[b.y == 2])


def test_templates_from_regular_beats_stay_normal_where_ectopic_beats_are_the_majority(mitdb_dir):
    """Record 232: about 3 of 4 beats are premature atrial beats. The median of all beats is then an S
    beat; the median of the regular (not premature) beats is the patient's normal beat."""
    from sklearn.metrics import roc_auc_score

    from ecg_utils.signal.templates import add_templates

    b = build_mitdb_beats(mitdb_dir, records=["232"], representation="centered", verbose=False, cache=False)
    assert (b.y == 1).mean() > 0.7
    S_vs_N = lambda t: roc_auc_score(b.y[b.y <= 1] == 1, np.abs(b.X - t.template).mean(axis=1)[b.y <= 1])
    every_beat, regular = add_templates(b, 101, regular=None), add_templates(b, 101)
    assert S_vs_N(every_beat) < 0.5 < 0.8 < S_vs_N(regular)
    assert regular.info["template_regular"] == 0.95 and every_beat.info["template_regular"] is None


def test_templates_built_with_the_beats_are_cached_and_equal_add_templates(mitdb_dir):
    from ecg_utils.signal.templates import add_templates

    kw = dict(records=["119", "232"], representation="centered", verbose=False)
    expected = add_templates(build_mitdb_beats(mitdb_dir, cache=False, **kw), 51, 0.9)
    for _ in range(2):  # built, then read back from the cache
        b = build_mitdb_beats(mitdb_dir, template_width=51, template_regular=0.9, **kw)
        assert np.array_equal(b.template, expected.template) and np.array_equal(b.X, expected.X)
        assert b.info["template_width"] == 51 and b.info["template_regular"] == 0.9
    # another rule is another cache entry, not the cached one
    other = build_mitdb_beats(mitdb_dir, template_width=51, template_regular=0, **kw)
    assert not np.array_equal(other.template, expected.template)


@pytest.mark.parametrize("width, regular", [(101, 0.95), (100, None), (1, 0.95), (5000, 0.95)])
def test_templates_at_a_few_beats_equal_add_templates(mitdb_dir, width, regular):
    """Two records (their beats interleaved in the arrays, as a concatenation leaves them), even and odd widths,
    and a width longer than a record: the templates of a few beats are exactly those add_templates gives them."""
    from ecg_utils.signal.templates import add_templates, templates_at

    b = build_mitdb_beats(mitdb_dir, records=["119", "232"], representation="centered", verbose=False, cache=False)
    b = b[np.random.default_rng(0).permutation(len(b))]
    which = np.r_[0, len(b) - 1, np.random.default_rng(1).choice(len(b), 40, replace=False)]
    assert np.array_equal(templates_at(b, which, width, regular), add_templates(b, width, regular).template[which])
    assert templates_at(b, [], width, regular).shape == (0, b.X.shape[1])
    with pytest.raises(ValueError, match="width"):
        templates_at(b, which, 0)


@pytest.mark.parametrize("width, regular, match", [(0, 0.95, "width"), (10.5, 0.95, "width"), ("101", 0.95, "width"),
                                                   (101, -0.1, "regular"), (101, float("nan"), "regular"),
                                                   (101, "0.95", "regular"), (101, True, "regular")])
def test_templates_reject_a_bad_width_or_rule(width, regular, match):
    from ecg_utils.io.dataset import Beats
    from ecg_utils.signal.templates import add_templates

    beats = Beats.from_arrays(np.zeros((3, 10)), [0, 0, 0], record=["100"] * 3, sample=[0, 300, 600],
                              rr=np.full((3, 3), 0.8))
    with pytest.raises(ValueError, match=match):
        add_templates(beats, width, regular)


def test_templates_need_record_ids():
    from ecg_utils.io.dataset import Beats
    from ecg_utils.signal.templates import add_templates

    with pytest.raises(DataError, match="record ids"):
        add_templates(Beats.from_arrays(np.zeros((3, 10)), [0, 0, 0]))


def test_rr_ratios_mark_premature_beats(mitdb_dir):
    from ecg_utils.signal.rr import rr_ratios

    b = build_mitdb_beats(mitdb_dir, records=["208"], verbose=False, cache=False)
    r = rr_ratios(b)
    assert r.shape == (len(b), 2) and np.isfinite(r).all()
    # V beats come early: their previous interval is shorter than the local mean
    assert np.median(r[b.y == 2, 0]) < np.median(r[b.y == 0, 0]) - 0.1


@pytest.mark.parametrize("n, width", [(500, 101), (500, 100), (30, 30), (7, 7), (3, 2), (1, 1)])
def test_running_median_is_scipys_median_filter(n, width):
    from scipy.ndimage import median_filter

    from ecg_utils.signal.templates import running_median

    X = np.random.default_rng(n + width).normal(size=(n, 5)).astype(np.float32)
    assert np.array_equal(running_median(X, width), median_filter(X, size=(width, 1), mode="nearest"))


def test_zero_phase_in_pieces_matches_one_call():
    from scipy import signal as sps

    from ecg_utils.signal.filters import zero_phase

    x = np.random.default_rng(0).normal(size=360 * 1500)  # 25 min: three pieces
    sos = sps.butter(2, (0.5, 40.0), btype="bandpass", fs=360, output="sos")
    assert np.abs(zero_phase(sos, x, 360.0) - sps.sosfiltfilt(sos, x)).max() < 1e-6
    # the pieces filtered by threads side by side: exactly the pieces filtered one after the other
    assert np.array_equal(zero_phase(sos, x, 360.0, threads=1), zero_phase(sos, x, 360.0, threads=3))


def test_second_lead_beats_are_the_same_beats_cut_from_the_other_lead(mitdb_dir):
    """Records 119 (MLII, V1) and 102 (V5, V2: no MLII): the same beats, in the same order, cut from the lead a scan
    reads beside the first, with that lead's own templates; beats that do not say where their records are refused."""
    from ecg_utils.io.dataset import Beats
    from ecg_utils.signal.build import build_beats, second_lead_beats
    from ecg_utils.signal.morphology import qrs_correlation, qrs_deviation

    b = build_beats("mitdb", mitdb_dir, records=["119", "102"], representation="centered", template_width=101,
                    verbose=False, cache=False)
    b = b[np.random.default_rng(0).permutation(len(b))]  # any order
    s = second_lead_beats(b)
    assert s.info["leads"] == {"119": "V1", "102": "V2"} and b.info["leads"] == {"119": "MLII", "102": "V5"}
    assert np.array_equal(s.sample, b.sample) and np.array_equal(s.y, b.y) and np.array_equal(s.record, b.record)
    assert np.isfinite(s.X).all() and np.isfinite(s.template).all() and not np.allclose(s.X, b.X)
    # another lead, the same heart: 119's normal beats follow their V1 template, its V beats lie far from it
    n, v = (s.record == "119") & (s.y == 0), (s.record == "119") & (s.y == 2)
    assert np.median(qrs_correlation(s)[n]) > 0.95 and np.median(qrs_deviation(s)[n]) < 0.25
    assert np.median(qrs_deviation(s)[v]) > 0.5
    with pytest.raises(DataError, match="build_beats"):
        second_lead_beats(Beats.from_arrays(np.zeros((3, 10)), [0, 0, 0]))


def test_beats_cut_twice_inside_filtered_once_filter_the_signal_once(mitdb_dir, monkeypatch):
    """The scan cuts a recording's beats twice (the artefact test, then the beats it scores): inside
    ``filtered_once`` the second cut reuses the filtered signal, and its beats are those cut without it."""
    from ecg_utils.io.records import read_record
    from ecg_utils.signal import cutting

    rec = read_record(mitdb_dir, "119")
    x, peaks = rec.signal[:360 * 300], rec.ann_sample[(rec.ann_sample > 400) & (rec.ann_sample < 360 * 299)]
    alone = [cutting.beats_from_peaks(x, 360.0, p) for p in (peaks, peaks[::2])]
    calls = []
    real = cutting.bandpass
    monkeypatch.setattr(cutting, "bandpass", lambda *a, **k: calls.append(1) or real(*a, **k))
    with cutting.filtered_once():
        inside = [cutting.beats_from_peaks(x, 360.0, p) for p in (peaks, peaks[::2])]
        assert len(calls) == 1
        cutting.beats_from_peaks(x.copy(), 360.0, peaks)  # another array: filtered again
        assert len(calls) == 2
    cutting.beats_from_peaks(x, 360.0, peaks)  # outside the block nothing is kept
    assert len(calls) == 3 and cutting._FILTERED is None
    for a, b in zip(alone, inside):
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.sample, b.sample)
