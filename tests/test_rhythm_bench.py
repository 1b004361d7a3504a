"""bench.rhythm: the scan's rhythm episodes read against the references (AF/flutter duration, runs, normal beats
flagged inside AF)."""
import numpy as np
import pytest

from bench.rhythm import reference_runs, rhythm_record, summarise


def test_reference_runs_are_three_or_more_beats_of_the_class_in_a_row():
    samples = np.arange(12) * 100
    classes = np.array([0, 2, 2, 0, 2, 2, 2, 0, 1, 1, 1, 1])
    assert reference_runs(samples, classes, 2) == [(400, 600)]  # the couplet at 100-200 is no run
    assert reference_runs(samples, classes, 1) == [(800, 1100)]  # a run at the end counts


def test_record_201_af_is_found_and_its_normal_beats_are_not_flooded(mitdb_dir):
    """201 is a DS1 record (where the irregular-rhythm constants were chosen): the comparison must see its AF."""
    row = rhythm_record({"folder": str(mitdb_dir), "record": "201", "database": "mitdb", "group": "DS1"})
    assert row["rhythm_annotated"] and row["af_annotated_s"] > 300
    assert row["af_overlap_s"] > 0.8 * row["af_annotated_s"]
    assert row["normal_in_af"] > 500 and row["normal_in_af_flagged"] < 0.1 * row["normal_in_af"]
    g = summarise([row])
    assert g["af_se"] == pytest.approx(100 * row["af_overlap_s"] / row["af_annotated_s"])
    assert g["SVTA"]["reference"] >= 1 and 0 <= g["SVTA"]["found"] <= g["SVTA"]["reference"]
