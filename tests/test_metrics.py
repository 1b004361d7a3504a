"""Metrics against values computed by hand on six beats.

    beat   0    1    2    3    4    5
    class  N    N    N    S    V    V
    score  0.1  0.4  0.2  0.3  0.8  0.05      threshold 0.25 -> flagged 0 1 0 1 1 0

All abnormal vs normal, ROC AUC = share of (abnormal, normal) pairs ranked right: 0.3 beats 0.1, 0.2 (2);
0.8 beats all three (3); 0.05 none (0) -> 5/9.
AP: by score 0.8 A, 0.4 N, 0.3 A, 0.2 N, 0.1 N, 0.05 A -> precision at each abnormal 1/1, 2/3, 3/6 -> 13/18.
S vs N: AUC 2/3; ranking 0.4 N, 0.3 S -> AP 1/2.   V vs N: AUC 3/6 = 1/2; ranking 0.8 V, 0.4, 0.2, 0.1, 0.05 V
-> AP (1 + 2/5) / 2 = 0.7.   F, Q absent -> None.
At 0.25: TN 2 (beats 0, 2), FP 1 (beat 1), FN 1 (beat 5), TP 2 -> accuracy 4/6, precision 2/3, recall 2/3,
F1 2/3, normal FPR 1/3; flagged per class N 1/3, S 1/1, V 1/2.
At FPR 1 %: the 99th percentile of the normal scores (0.1, 0.2, 0.4), linear interpolation at rank 1.98:
0.2 + 0.98 * 0.2 = 0.396 -> flags 0.4 (N) and 0.8 (V): recall all 1/3, S 0, V 1/2.
"""
import json

import numpy as np
import pytest

from ecg_utils.metrics import classification_report, ec57_kinds, evaluate

Y = [0, 0, 0, 1, 2, 2]
SCORES = [0.1, 0.4, 0.2, 0.3, 0.8, 0.05]


@pytest.fixture
def m():
    return evaluate(Y, SCORES, threshold=0.25)


def test_ranking_metrics(m):
    assert m["roc_auc"] == pytest.approx(5 / 9)
    assert m["average_precision"] == pytest.approx(13 / 18)
    assert m["roc_auc_per_class"] == pytest.approx({"S": 2 / 3, "V": 0.5, "F": None, "Q": None})
    assert m["average_precision_per_class"]["S"] == pytest.approx(0.5)
    assert m["average_precision_per_class"]["V"] == pytest.approx(0.7)
    assert m["average_precision_per_class"]["F"] is None


def test_rates_at_threshold(m):
    assert m["confusion_matrix"] == [[2, 1], [1, 2]]
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert m["normal_fpr"] == pytest.approx(1 / 3)
    assert m["detection"]["N"] == {"n": 3, "flagged": 1, "rate": pytest.approx(1 / 3)}
    assert m["detection"]["S"] == {"n": 1, "flagged": 1, "rate": 1.0}
    assert m["detection"]["V"] == {"n": 2, "flagged": 1, "rate": 0.5}
    assert m["detection"]["F"] == {"n": 0, "flagged": 0, "rate": None}


def test_recall_at_fixed_fpr(m):
    at = m["recall_at_fpr"]
    assert at["fpr"] == 0.01 and at["threshold"] == pytest.approx(0.396)
    assert at["all"] == pytest.approx(1 / 3)
    assert at["per_class"] == pytest.approx({"S": 0.0, "V": 0.5, "F": None, "Q": None})


def test_json_ready_and_counts(m):
    assert json.loads(json.dumps(m)) == m
    assert m["n"] == 6 and m["counts"] == {"N": 3, "S": 1, "V": 2, "F": 0, "Q": 0}


def test_single_class_gives_none_not_nan():
    only_normal = evaluate([0, 0, 0], [0.1, 0.2, 0.3], threshold=0.15)
    assert only_normal["roc_auc"] is None and only_normal["average_precision"] is None
    assert only_normal["normal_fpr"] == pytest.approx(2 / 3) and only_normal["recall"] == 0.0
    no_normal = evaluate([1, 2], [0.1, 0.2], threshold=0.15)
    assert no_normal["recall_at_fpr"]["threshold"] is None and no_normal["normal_fpr"] is None


def test_report_lists_every_class_and_the_figures(m):
    text = classification_report(m)
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split()}
    assert rows["S"][1:4] == ["1", "1", "1.000"]
    assert rows["V"][1:5] == ["2", "1", "0.500", "0.500"]
    assert rows["F"][1:] == ["0", "0", "-", "-", "-", "-"]
    assert rows["abnormal"][1:4] == ["3", "2", "0.667"]
    assert "ROC AUC 0.556" in text and "normal FPR 0.333" in text


def test_per_record_rows_auc_fpr_and_reliability():
    from ecg_utils.metrics import per_record

    y = [0, 0, 1, 2, 0, 2, -1]
    scores = [0.1, 0.6, 0.9, 0.8, 0.3, 0.1, 5.0]
    t = per_record(y, scores, ["a", "a", "a", "a", "b", "b", "b"], threshold=0.5, min_abnormal=2).set_index("record")
    assert t.loc["a", "roc_auc"] == 1.0 and t.loc["b", "roc_auc"] == 0.0
    assert t.loc["a", "normal_fpr"] == 0.5 and t.loc["b", "normal_fpr"] == 0.0
    assert t.loc["b", "beats"] == 2  # the unlabelled beat is left out
    assert bool(t.loc["a", "reliable"]) and not bool(t.loc["b", "reliable"])
    assert t.loc["a", "recall_S"] == 1.0 and t.loc["b", "recall_V"] == 0.0


def test_ec57_ectopic_counts_by_the_reason_of_each_flag():
    from ecg_utils.metrics import ec57_ectopic

    #        N    N    S    S    V    V    F    Q
    y = [0, 0, 1, 1, 2, 2, 3, 4]
    shape = [9, 1, 1, 6, 9, 1, 9, 9]   # threshold 8: half is 4
    rhythm = [0, 1, 9, 6, 0, 1, 0, 0]
    m = ec57_ectopic(y, shape, rhythm, threshold=8.0)
    # VEB called: beats 0 (N, a false positive), 3 (S, shape part 6 >= 4), 4 (V), 6 (F: forgiven), 7 (Q: left out)
    assert (m["VEB"]["tp"], m["VEB"]["fn"], m["VEB"]["fp"]) == (1, 1, 2)
    # SVEB called: beat 2 only (premature alone); beat 3 was called VEB
    assert (m["SVEB"]["tp"], m["SVEB"]["fn"], m["SVEB"]["fp"]) == (1, 1, 0)
    assert m["SVEB"]["ppv"] == 1.0 and m["VEB"]["se"] == 0.5


def test_ec57_kinds_reads_each_kind_as_bxb_does_gross_and_average():

    #          record a: N  N  S  V  V  F  Q        record b: N  S  S  V
    y = np.array([0, 0, 1, 2, 2, 3, 4, 0, 1, 1, 2])
    kind = np.array(["N", "V", "S", "V", "F", "V", "V", "S", "S", "N", "V"])
    records = np.array(["a"] * 7 + ["b"] * 4)
    m = ec57_kinds(y, kind, records)
    # VEB: V beats a3 (V), a4 (F: missed), b3 (V); calls of V on a1 (N: false), a5 (F: forgiven), a6 (Q: left out)
    assert (m["VEB"]["tp"], m["VEB"]["fn"], m["VEB"]["fp"]) == (2, 1, 1)
    assert m["VEB"]["se_average"] == pytest.approx((1 / 2 + 1) / 2)
    assert m["VEB"]["ppv_average"] == pytest.approx((1 / 2 + 1) / 2)
    # SVEB: S beats a2 (S), b1 (S), b2 (N: missed); S called on b0 (N: false)
    assert (m["SVEB"]["tp"], m["SVEB"]["fn"], m["SVEB"]["fp"]) == (2, 1, 1)
    assert m["SVEB"]["se"] == pytest.approx(2 / 3) and m["SVEB"]["se_average"] == pytest.approx((1 + 1 / 2) / 2)
    assert m["F_flagged"]["rate"] == 1.0 and m["F_flagged"]["records"] == {"a": {"n": 1, "flagged": 1}}
    assert m["N_flagged"] == pytest.approx(2 / 3)  # a1 called V, b0 called S
