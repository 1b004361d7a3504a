"""Splits: who is on which side."""
import numpy as np
import pytest

from ecg_utils.io.databases.mitdb import DS1, DS2
from ecg_utils.io.splits import split_interpatient, split_random
from ecg_utils.signal.build import build_mitdb_beats

# a few records of each side, and a paced one that must never appear
RECORDS = ["101", "106", "119", "208", "105", "233", "102"]


@pytest.fixture(scope="module")
def beats(mitdb_dir):
    return build_mitdb_beats(mitdb_dir, records=RECORDS, verbose=False)


def test_interpatient_never_shares_a_record(beats):
    s = split_interpatient(beats, n_validation_records=1, seed=3)
    train, val, test = set(s.train.records()), set(s.validation.records()), set(s.test.records())
    assert train and val and test
    assert not (train & test) and not (val & test) and not (train & val)
    assert train | val <= set(DS1) and test <= set(DS2)
    assert "102" not in train | val | test and "102" in s.info["excluded_records"]
    assert s.info["patients_mixed"] is False


def test_training_side_holds_only_normal_beats(beats):
    for s in (split_interpatient(beats, n_validation_records=1), split_random(beats)):
        assert (s.train.y == 0).all() and (s.validation.y == 0).all()
        assert (s.test.y != 0).any()


def test_same_seed_same_split_other_seed_other_split(beats):
    a, b, c = (split_random(beats, seed=s) for s in (0, 0, 1))
    assert np.array_equal(a.test.sample, b.test.sample) and np.array_equal(a.train.sample, b.train.sample)
    assert not np.array_equal(a.test.sample, c.test.sample)
    x, y = split_interpatient(beats, seed=5), split_interpatient(beats, seed=5)
    assert x.info["validation_records"] == y.info["validation_records"]


def test_random_split_is_stratified_and_says_patients_are_mixed(beats):
    s = split_random(beats, test_size=0.25, seed=0)
    assert s.info["patients_mixed"] is True and "optimistic" in s.describe()
    kept = beats[beats.record != "102"]
    for name, n in kept.counts().items():
        if n >= 20:
            assert s.test.counts()[name] == pytest.approx(0.25 * n, abs=1.5)
    assert "102" not in s.test.records()


def test_development_split_stays_inside_ds1(beats):
    from ecg_utils.io.splits import split_development

    s = split_development(beats, n_validation_records=1, n_test_records=1, seed=0)
    train, val, test = set(s.train.records()), set(s.validation.records()), set(s.test.records())
    assert train and val and test and not (train & val) and not (train & test) and not (val & test)
    assert train | val | test <= set(DS1)


def test_the_reversed_interpatient_split_tests_ds1_with_a_model_of_ds2():
    from ecg_utils.io.databases.mitdb import DS1, DS2
    from ecg_utils.io.dataset import Beats
    from ecg_utils.io.splits import split_interpatient

    records = DS1[:5] + DS2[:5]
    beats = Beats.from_arrays(np.zeros((40, 4)), [0, 1, 0, 2] * 10, record=np.repeat(records, 4))
    forward, reverse = split_interpatient(beats, seed=0), split_interpatient(beats, seed=0, reverse=True)
    assert set(forward.test.records()) == set(DS2[:5]) and set(reverse.test.records()) == set(DS1[:5])
    assert set(reverse.train.records()) | set(reverse.validation.records()) <= set(DS2[:5])
    assert not set(reverse.validation.records()) & set(reverse.train.records())
    assert reverse.train.is_normal.all() and "DS2 -> DS1" in reverse.info["name"]


def test_by_default_half_the_training_side_learns_the_threshold():
    from ecg_utils.io.dataset import Beats
    from ecg_utils.io.splits import VALIDATION_SHARE, split_development

    beats = Beats.from_arrays(np.zeros((len(DS1) * 4, 4)), [0, 1, 0, 0] * len(DS1), record=np.repeat(DS1, 4))
    s = split_development(beats, n_test_records=6, seed=0)
    assert len(s.info["validation_records"]) == int((len(DS1) - 6) * VALIDATION_SHARE) == 8
    assert len(s.info["train_records"]) == len(DS1) - 6 - 8
    names = DS1[:3] + DS2[:2]
    few = Beats.from_arrays(np.zeros((len(names) * 4, 4)), [0, 1, 0, 0] * len(names), record=np.repeat(names, 4))
    one = split_interpatient(few, seed=0)  # 3 training-side records: 1 validates, 2 train
    assert len(one.info["validation_records"]) == 1 and len(one.info["train_records"]) == 2
    assert len(split_interpatient(few, n_validation_records=5, seed=0).info["train_records"]) == 1
    for wrong in (0, -2, 2.5, "4", True):
        with pytest.raises(ValueError, match="n_validation_records must be an integer >= 1 or None"):
            split_development(beats, n_validation_records=wrong)
