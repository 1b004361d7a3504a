"""The kind of every flagged beat and its family, on real records: what a cardiologist reads off a beat (its QRS
against the patient's template, its P wave, how early it comes) and what the labels say of the same beats.

Records 119 (ventricular trigeminy: 444 V beats of one shape), 208 (992 V beats, 373 fusion beats) and 232 (1,382
premature atrial beats in a slow sinus rhythm), their reference beats, the shipped detector's flags.
"""
import numpy as np
import pandas as pd
import pytest

from ecg_utils.detect import pretrained
from ecg_utils.scan.families import cluster
from ecg_utils.scan.kinds import KINDS, classify
from ecg_utils.signal.build import build_beats

N_, S_, V_, F_ = 0, 1, 2, 3


@pytest.fixture(scope="module")
def beats(mitdb_dir):
    return build_beats("mitdb", mitdb_dir, records=["119", "208", "232"], representation="centered",
                       template_width=101, verbose=False)


@pytest.fixture(scope="module")
def kinds(beats):
    """(table, families) of the three records, flags from the shipped detector."""
    det = pretrained.load_detector(None)[0]
    flagged = det.score_parts(beats)["score"] > det.threshold_
    table, families = classify(beats, flagged)
    table["y"], table["record"], table["above"] = beats.y, beats.record, flagged
    return table, families


# --- kinds ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record", ["119", "208"])
def test_ventricular_beats_are_called_v(kinds, record):
    t = kinds[0]
    mine = t[(t.record == record) & (t.y == V_)]
    assert len(mine) > 400
    assert (mine.kind == "V").mean() > 0.95
    normal = t[(t.record == record) & (t.y == N_)]
    assert (normal.kind == "V").mean() < 0.01


def test_premature_atrial_beats_are_called_s(kinds):
    t = kinds[0]
    s = t[(t.record == "232") & (t.y == S_)]
    assert len(s) > 1000 and (s.kind == "S").mean() > 0.75
    assert (t[(t.record == "232") & (t.y == N_)].kind != "N").mean() < 0.02


def test_fusion_beats_are_flagged_and_some_called_f(kinds):
    t = kinds[0]
    f = t[(t.record == "208") & (t.y == F_)]
    assert (f.kind == "F").sum() > 100 and (f.kind != "N").mean() > 0.4
    assert (t[(t.record == "208") & (t.y == N_)].kind == "F").mean() < 0.01


def test_only_flagged_beats_get_a_kind_and_flags_are_only_taken_back(kinds):
    t = kinds[0]
    assert set(t.kind) <= set(KINDS)
    assert (t.kind[~t.above] == "N").all()
    # the kinds take back most of the normal beats the score flagged (their family, at their time)
    normal = t[t.y == N_]
    assert (normal.kind != "N").mean() < 0.3 * normal.above.mean()


# --- families -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record", ["119", "208"])
def test_ventricular_beats_form_their_own_family(kinds, record):
    t, families = kinds
    fam = families[families.record == record].set_index("family")
    mine = t[t.record == record]
    dominant = fam.index[fam.dominant][0]
    assert fam.dominant.sum() == 1 and fam.loc[dominant, "kind"] == "N"
    assert (mine.family[mine.y == N_] == dominant).mean() > 0.5     # 208's normal beats vary: several families
    assert (mine.family[mine.y == V_] == dominant).mean() < 0.01
    biggest_v = fam[fam.kind == "V"].beats.idxmax()
    in_it = mine[mine.family == biggest_v]
    assert (in_it.y == V_).mean() > 0.95 and len(in_it) > 0.9 * (mine.y == V_).sum()
    assert fam.beats.sum() == len(mine) and (fam.index == np.arange(len(fam))).all()
    assert list(fam.beats) == sorted(fam.beats, reverse=True)        # family 0 is the largest
    typical = families.attrs["typical"][record]
    assert typical.shape == (len(fam), mine.shape[0] and 100)


def test_cluster_keeps_a_rare_shape_apart():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(0, 0.2, (2000, 37)), rng.normal(0, 0.2, (1, 37)) + 3])
    labels = cluster(x)
    assert labels[-1] != 0 and (labels[:-1] == 0).all()
    assert pd.Series(labels).value_counts().tolist() == [2000, 1]
