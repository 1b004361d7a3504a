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
    table["y"], table["record"], table["sample"], table["above"] = beats.y, beats.record, beats.sample, flagged
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


def test_fusion_beats_whose_two_activations_start_apart_are_f(beats, kinds, monkeypatch):
    """208's fusion family 6 is a blend of the dominant and the ventricular QRS only with the ventricular one moved
    by a few milliseconds (FUSION_SHIFT_S): 195 of its 372 F beats called F with the move, 149 without."""
    from ecg_utils.scan import kinds as kinds_module

    t = kinds[0]
    f = ((t.record == "208") & (t.y == F_)).to_numpy()
    monkeypatch.setattr(kinds_module, "FUSION_SHIFT_S", 0.0)
    without, _ = classify(beats, t.above.to_numpy())
    assert (t.kind[f] == "F").sum() > (without.kind.to_numpy()[f] == "F").sum() + 25
    assert (t[(t.record == "208") & (t.y == N_)].kind == "F").mean() < 0.01


def test_a_family_the_detector_mostly_passes_is_not_fusion(svdb_dir):
    """SVDB 828: its second largest family (516 beats, 504 N) blends the dominant and the ventricular QRS but only 4%
    of its beats are above the threshold: a normal variant of the patient's QRS, not fusion (FUSION_FLAGGED). Every
    fusion family is flagged in at least that share of its beats; 828 has no F beat, and few N beats are called F."""
    from ecg_utils.scan.kinds import FUSION_FLAGGED
    from ecg_utils.signal.build import second_lead_beats

    b = build_beats("svdb", svdb_dir, records=["828"], representation="centered", template_width=101, verbose=False)
    det = pretrained.load_detector(None)[0]
    flagged = det.score_parts(b)["score"] > det.threshold_
    t, families = classify(b, flagged, second=second_lead_beats(b))
    share = pd.Series(flagged).groupby(t.family.to_numpy()).mean()
    fusion = families[families.kind == "F"]
    assert all(share[f] >= FUSION_FLAGGED for f in fusion.family)
    largest = families.sort_values("beats", ascending=False).iloc[:3]
    assert (largest.kind == "N").all() and largest.beats.iloc[1] > 300
    assert ((b.y == N_) & (t.kind.to_numpy() == "F")).sum() <= 5


def test_only_flagged_beats_get_a_kind_and_flags_are_only_taken_back(kinds):
    t = kinds[0]
    assert set(t.kind) <= set(KINDS)
    assert (t.kind[~t.above] == "N").all()
    # the kinds take back most of the normal beats the score flagged (their family, at their time)
    normal = t[t.y == N_]
    assert (normal.kind != "N").mean() < 0.3 * normal.above.mean()


def test_the_second_lead_reads_both_ways(mitdb_dir):
    """233's V beats made to look like the patient's in the lead read (their QRS replaced by their template's, as SVDB's
    841 shows them in ECG1), their V1 beats left as they are: read alone they are early beats of the normal QRS (S);
    with V1, where their QRS differs as a ventricular beat's does, they are V. 232's premature atrial beats, normal in
    both leads, stay S."""
    from dataclasses import replace

    from ecg_utils.signal.build import second_lead_beats

    b = build_beats("mitdb", mitdb_dir, records=["233", "232"], representation="centered", template_width=101,
                    verbose=False)
    det = pretrained.load_detector(None)[0]
    flagged = det.score_parts(b)["score"] > det.threshold_
    second = second_lead_beats(b)
    v = (b.record == "233") & (b.y == V_)
    X = b.X.copy()
    X[v] = b.template[v]  # the lead read shows the patient's own QRS
    disguised = replace(b, X=X)
    flagged = flagged | v  # as the score flags them (their P wave and timing are still a V beat's)
    alone, _ = classify(disguised, flagged)
    both, _ = classify(disguised, flagged, second=second)
    assert v.sum() > 800 and (alone.kind[v] == "S").mean() > 0.7
    assert (both.kind[v] == "V").mean() > 0.7
    s = (b.record == "232") & (b.y == S_)
    assert (both.kind[s] == "S").mean() >= (alone.kind[s] == "S").mean() - 0.02 > 0.7


def test_aberrant_supraventricular_beats_of_828_are_s_not_v(svdb_dir):
    """SVDB 828: premature atrial beats whose QRS is wide in ECG1 (aberrant conduction) but the patient's in ECG2,
    each after the patient's P wave: supraventricular, not ventricular (99 of 150 were V before the rule, 19 after);
    its ventricular beats stay V."""
    from ecg_utils.signal.build import second_lead_beats

    b = build_beats("svdb", svdb_dir, records=["828"], representation="centered", template_width=101, verbose=False)
    det = pretrained.load_detector(None)[0]
    flagged = det.score_parts(b)["score"] > det.threshold_
    t, _ = classify(b, flagged, second=second_lead_beats(b))
    s, v = b.y == S_, b.y == V_
    assert s.sum() > 100 and (t.kind[s] == "V").mean() < 0.25 and (t.kind[s] == "S").mean() > 0.5
    assert (t.kind[v] == "V").all()


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


def test_cluster_keeps_a_rare_shape_apart():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(0, 0.2, (2000, 37)), rng.normal(0, 0.2, (1, 37)) + 3])
    labels = cluster(x)
    assert labels[-1] != 0 and (labels[:-1] == 0).all()
    assert pd.Series(labels).value_counts().tolist() == [2000, 1]


# --- what the scan writes: the annotation file and the burden ------------------------------------------------------

@pytest.mark.parametrize("record", ["119", "232"])
def test_the_annotation_file_carries_the_kinds_as_ec57_reads_them(kinds, record, tmp_path):
    """The .flag file read back by wfdb.rdann holds each flagged beat's kind as its MIT-BIH symbol: matched to the
    reference beats as bxb matches them, it gives the EC57 figures of the kinds themselves."""
    from types import SimpleNamespace

    import wfdb

    from ecg_utils.metrics import ec57_kinds
    from ecg_utils.scan.annotations import write_annotations
    from ecg_utils.signal.matching import match_beats

    t = kinds[0]
    mine = t[t.record == record].reset_index(drop=True)
    table = pd.DataFrame({"sample": mine["sample"], "flagged": mine.kind != "N", "kind": mine.kind,
                          "reason": np.where(mine.kind != "N", "premature", ""), "score": 9.0, "family": mine.family})
    result = SimpleNamespace(table=table, stretches=pd.DataFrame(columns=["start", "end", "kind"]),
                             episodes=pd.DataFrame(columns=["rhythm", "start", "end"]),
                             recording=SimpleNamespace(name=record, fs=360.0, signal=np.zeros(650000)))
    write_annotations(result, tmp_path)
    ann = wfdb.rdann(str(tmp_path / record), "flag")
    expected = {"119": "V", "232": "S"}[record]
    assert expected in set(ann.symbol) and set(ann.symbol) <= {"V", "S", "F", "Q"}
    ref_match, _ = match_beats(ann.sample, table["sample"].to_numpy(), int(0.15 * 360))
    read = np.full(len(table), "N", dtype=object)
    found = ref_match >= 0   # for each beat of the table, the annotation it matches
    read[found] = np.array(ann.symbol)[ref_match[found]]
    assert read.tolist() == table.kind.tolist()
    assert ec57_kinds(mine.y, read) == ec57_kinds(mine.y, table.kind.to_numpy())


def test_burden_counts_couplets_runs_and_patterns_of_a_hand_made_sequence():
    from ecg_utils.scan.burden import burden

    seq = ("N V N N N N V V N N N N V V V N N N N V V V V V N N N N "  # isolated V, couplet, triplet, run of 5
           "V N V N V N V N N N N "                                   # bigeminy: 4 V beats, each followed by one N
           "V N N V N N V N N N N N "                                 # trigeminy: 3 V beats
           "S S N N S S S N V  V N").split(" ")                       # S couplet, S triplet; "" splits two V beats
    b = burden(seq, hours=0.5)
    v, s = b["V"], b["S"]
    assert v["beats"] == seq.count("V") == 20 and v["per_hour"] == 40
    assert (v["couplets"], v["triplets"], v["runs"], v["longest_run"], v["beats_in_runs"]) == (1, 1, 2, 5, 8)
    assert v["isolated"] == 1 + 4 + 3 + 2  # the two V beats split by an unscored beat are no couplet
    assert v["bigeminy"] == {"episodes": 1, "beats": 4} and v["trigeminy"] == {"episodes": 1, "beats": 3}
    assert (s["couplets"], s["triplets"], s["runs"], s["bigeminy"]["episodes"]) == (1, 1, 1, 0)
    assert v["pct"] == pytest.approx(100 * 20 / (len(seq) - 1))
    assert b["F"] == {"beats": 0, "per_hour": 0.0, "pct": 0.0}
