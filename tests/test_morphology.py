"""What a cardiologist reads off a beat, against the patient's own template, with no labels: its QRS (shape, distance,
width), its P wave, how early it comes for the rhythm the patient was in. Record 119 (ventricular trigeminy: 444 V
beats) and hand-made beats and rhythms."""
import numpy as np
import pytest

from ecg_utils.io.dataset import Beats
from ecg_utils.signal.build import build_beats
from ecg_utils.signal.morphology import morphology, qrs_width
from ecg_utils.signal.rhythm import early_beats

N_, V_ = 0, 2


@pytest.fixture(scope="module")
def beats(mitdb_dir):
    return build_beats("mitdb", mitdb_dir, records=["119"], representation="centered", template_width=101,
                       verbose=False)


def test_ventricular_beats_are_wide_shaped_otherwise_and_have_no_p_wave(beats):
    m = morphology(beats[beats.record == "119"])
    y = beats.y[beats.record == "119"]
    v, n = m[y == V_], m[y == N_]
    assert v.qrs_corr.median() < 0.8 and n.qrs_corr.median() > 0.95
    assert v.qrs_dev.median() > 3 * n.qrs_dev.median()
    assert v.qrs_width_s.median() >= n.qrs_width_s.median() + 0.04       # 120 ms against 48 ms
    assert v.p_corr.median() < 0.3 and n.p_corr.median() > 0.9          # no P wave before a ventricular beat
    assert (n.template_width_s == n.template_width_s.iloc[0]).mean() > 0.9


def test_qrs_width_of_a_triangle():
    x = np.zeros((2, 100))
    x[0, 48:53] = [1, 3, 5, 3, 1]
    x[1, 44:57] = np.concatenate([np.linspace(0, 5, 7), np.linspace(5, 0, 7)[1:]])
    w = qrs_width(x, 125.0, 50)
    assert w.tolist() == pytest.approx([0.048, 0.096])  # the slope of 5 and of 12 samples at 125 Hz


def test_early_beats_follow_a_run_and_not_a_sinus_rhythm_that_speeds_up():
    rr = [1.0] * 20 + [0.6] * 30 + [1.0] * 20 + list(np.linspace(1.0, 0.6, 30)) + [0.6] * 20
    n = len(rr)
    b = Beats.from_arrays(np.zeros((n, 4)), np.zeros(n), ["r"] * n, np.arange(n), np.column_stack([rr, rr, rr]))
    expected, early = early_beats(b)
    assert early[20:50].all()                        # a run of 30 beats at 0.6 x the rhythm, from its first beat
    assert not early[:20].any() and not early[50:].any()   # the gradual speeding up is learned, beat by beat
    assert expected[45] == pytest.approx(1.0) and expected[-1] == pytest.approx(0.6, abs=0.05)


def test_the_sinus_beat_after_an_interpolated_ectopic_beat_is_not_early():
    # a rhythm of 1 s; beat 10 comes after 0.45 s, beat 11 0.6 s later: 1.05 s after beat 9, the rhythm goes on
    rr = [1.0] * 10 + [0.45, 0.6] + [1.0] * 5
    n = len(rr)
    b = Beats.from_arrays(np.zeros((n, 4)), np.zeros(n), ["r"] * n, np.arange(n), np.column_stack([rr, rr, rr]))
    ectopic = np.ones(n, dtype=bool)
    ectopic[10] = False                                   # beat 10 is not of the patient's shape (a V beat)
    early = early_beats(b, ectopic)[1]
    assert early[10] and not early[11]                    # interpolated: the beat after it is on time
    assert early_beats(b)[1][10:12].all()                 # both of the patient's shape: a couplet of early beats
    late = list(rr)
    late[11] = 0.8                                        # 1.25 s after beat 9: not an interpolated beat's sinus beat
    b = Beats.from_arrays(np.zeros((n, 4)), np.zeros(n), ["r"] * n, np.arange(n), np.column_stack([late, late, late]))
    assert early_beats(b, ectopic)[1][10:12].all()


def test_record_805s_beats_after_interpolated_ventricular_beats_are_mostly_on_time(svdb_dir):
    from ecg_utils.scan.kinds import normal_shaped

    b = build_beats("svdb", svdb_dir, records=["805"], representation="centered", template_width=101, verbose=False)
    b = b[np.argsort(b.sample)]
    expected, early = early_beats(b, normal_shaped(morphology(b)))
    y = np.asarray(b.y)
    after_v = np.flatnonzero((y[1:] == N_) & (y[:-1] == V_)) + 1
    interpolated = after_v[b.rr[after_v - 1, 0] + b.rr[after_v, 0] < 1.3 * expected[after_v]]
    assert len(interpolated) > 150                        # 805: ventricular beats between two sinus beats
    assert early[interpolated].mean() < 0.75              # 128 of 204 (every one before the rule)
