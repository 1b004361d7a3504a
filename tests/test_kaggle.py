"""The Kaggle CSV reader, on files the tests write in the exact Kaggle format."""
import numpy as np
import pytest

from ecg_utils.dataset import Beats
from ecg_utils.errors import DataError
from ecg_utils.kaggle import find_kaggle_files, load_kaggle_csv, write_kaggle_csv


def kaggle_rows(n, labels, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 187))
    X[:, 150:] = 0.0  # zero-padded tail, as in the real files
    return np.column_stack([X, np.resize(labels, n)])


def write(path, rows):
    np.savetxt(path, rows, fmt="%.18e", delimiter=",")  # the Kaggle files' own format
    return path


@pytest.mark.parametrize("name, labels, classes", [
    ("mitbih_train.csv", [0, 1, 2, 3, 4], ["N", "S", "V", "F", "Q"]),
    ("mitbih_test.csv", [0, 2, 4], ["N", "S", "V", "F", "Q"]),
    ("ptbdb_normal.csv", [0], ["normal", "abnormal"]),
    ("ptbdb_abnormal.csv", [1], ["normal", "abnormal"]),
])
def test_each_kaggle_file_reads(tmp_path, name, labels, classes):
    rows = kaggle_rows(25, labels)
    assert "1.000000000000000000e+00" in open(write(tmp_path / name, rows)).read() or 1 not in labels
    b = load_kaggle_csv(tmp_path / name)
    assert b.X.shape == (25, 187) and b.X.dtype == np.float32
    assert np.allclose(b.X, rows[:, :187]) and b.y.tolist() == rows[:, 187].astype(int).tolist()
    assert list(b.class_names) == classes and b.info["patients_mixed"] is True
    assert (b.sample == -1).all() and np.isnan(b.rr).all()
    assert find_kaggle_files(tmp_path) == {name: tmp_path / name}


def test_round_trip(tmp_path):
    b = load_kaggle_csv(write(tmp_path / "mitbih_test.csv", kaggle_rows(10, [0, 1, 2])))
    c = load_kaggle_csv(write_kaggle_csv(b, tmp_path / "out" / "mitbih_test.csv"))
    assert np.array_equal(b.X, c.X) and np.array_equal(b.y, c.y)
    assert open(tmp_path / "out" / "mitbih_test.csv").readline().count(",") == 187


def bad_file(tmp_path, edit, name="mitbih_train.csv"):
    lines = [",".join(f"{v:.18e}" for v in row) for row in kaggle_rows(6, [0, 1, 2])]
    lines = edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("edit, row, message", [
    (lambda ls: ls[:3] + [ls[3] + ",0.5"] + ls[4:], 4, "189 columns, expected 188"),
    (lambda ls: ls[:2] + [ls[2].rsplit(",", 2)[0]] + ls[3:], 3, "186 columns, expected 188"),
    (lambda ls: ls[:4] + ["abc," + ls[4].split(",", 1)[1]] + ls[5:], 5, "'abc', not a number"),
    (lambda ls: ls[:1] + ["nan," + ls[1].split(",", 1)[1]] + ls[2:], 2, "NaN or infinite"),
    (lambda ls: ls[:5] + ["inf," + ls[5].split(",", 1)[1]], 6, "NaN or infinite"),
    (lambda ls: ls[:2] + [ls[2].rsplit(",", 1)[0] + ",7.0e+00"] + ls[3:], 3, "label 7 is not one of"),
    (lambda ls: ls[:2] + [ls[2].rsplit(",", 1)[0] + ",2.5e+00"] + ls[3:], 3, "label 2.5 is not one of"),
])
def test_bad_input_names_the_file_and_the_first_bad_row(tmp_path, edit, row, message):
    path = bad_file(tmp_path, edit)
    with pytest.raises(DataError) as err:
        load_kaggle_csv(path)
    text = str(err.value)
    assert str(path) in text and f"row {row}:" in text and message in text and "\n" not in text


def test_label_outside_a_ptb_file_set(tmp_path):
    path = write(tmp_path / "ptbdb_normal.csv", kaggle_rows(4, [0, 0, 1, 0]))
    with pytest.raises(DataError, match=r"row 3: label 1 is not one of this file's labels \[0\]"):
        load_kaggle_csv(path)
    assert load_kaggle_csv(path, labels=[0, 1]).y.tolist() == [0, 0, 1, 0]


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "mitbih_test.csv").write_text("")
    with pytest.raises(DataError, match="mitbih_test.csv: empty file"):
        load_kaggle_csv(tmp_path / "mitbih_test.csv")
    with pytest.raises(DataError, match="no such file"):
        load_kaggle_csv(tmp_path / "absent.csv")


def test_failed_write_leaves_nothing(tmp_path):
    b = Beats.from_arrays(np.zeros((3, 100)), [0, 0, 0])
    with pytest.raises(DataError, match="187 samples"):
        write_kaggle_csv(b, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []
