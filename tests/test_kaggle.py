"""The Kaggle CSV reader, on files the tests write in the exact Kaggle format (numpy's own %.18e writer)."""
import os
import stat

import numpy as np
import pytest

from ecg_utils.errors import DataError
from ecg_utils.io import kaggle
from ecg_utils.io.dataset import UNKNOWN_RECORD, Beats
from ecg_utils.io.kaggle import find_kaggle_files, load_kaggle_csv, write_kaggle_csv

MITBIH = ["N", "S", "V", "F", "Q"]
PTB = ["normal", "abnormal"]


def kaggle_rows(n, labels, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 187))
    X[:, 150:] = 0.0  # zero-padded tail, as in the real files
    return np.column_stack([X, np.resize(labels, n)])


def write(path, rows):
    np.savetxt(path, rows, fmt="%.18e", delimiter=",")  # the Kaggle files' own format
    return path


# -- happy path ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, labels, classes", [
    ("mitbih_train.csv", [0, 1, 2, 3, 4], MITBIH),
    ("mitbih_test.csv", [0, 2, 4], MITBIH),
    ("ptbdb_normal.csv", [0], PTB),
    ("ptbdb_abnormal.csv", [1], PTB),
])
def test_each_kaggle_file_reads(tmp_path, name, labels, classes):
    rows = kaggle_rows(25, labels)
    text = write(tmp_path / name, rows).read_text()
    assert text.startswith(f"{rows[0, 0]:.18e},") and text.count("\n") == 25  # really the exact format
    b = load_kaggle_csv(tmp_path / name)
    assert b.X.shape == (25, 187) and b.X.dtype == np.float32
    assert np.array_equal(b.X, rows[:, :187].astype(np.float32))
    assert b.y.dtype == np.int64 and b.y.tolist() == rows[:, 187].astype(int).tolist()
    assert list(b.class_names) == classes
    assert (b.record == UNKNOWN_RECORD).all() and (b.sample == -1).all() and np.isnan(b.rr).all()
    assert {k: b.info[k] for k in ("source", "file", "representation", "fs", "patients_mixed")} == {
        "source": "kaggle", "file": name, "representation": "kaggle", "fs": 125, "patients_mixed": True}
    assert "mixes patients" in b.info["note"]
    assert find_kaggle_files(tmp_path) == {name: tmp_path / name}


def test_find_kaggle_files_ignores_other_files(tmp_path):
    assert find_kaggle_files(tmp_path) == {}
    (tmp_path / "other.csv").write_text("1\n")
    (tmp_path / "mitbih_test.csv").mkdir()  # a folder of that name is not the file
    write(tmp_path / "ptbdb_abnormal.csv", kaggle_rows(2, [1]))
    assert find_kaggle_files(tmp_path) == {"ptbdb_abnormal.csv": tmp_path / "ptbdb_abnormal.csv"}


def test_an_unknown_name_gets_the_mitbih_labels(tmp_path):
    b = load_kaggle_csv(write(tmp_path / "my_beats.csv", kaggle_rows(5, [0, 1, 2, 3, 4])))
    assert list(b.class_names) == MITBIH and b.counts() == dict.fromkeys(MITBIH, 1)
    with pytest.raises(DataError, match=r"row 1: label 5 is not one of this file's labels \[0, 1, 2, 3, 4\]"):
        load_kaggle_csv(write(tmp_path / "my_beats.csv", kaggle_rows(2, [5, 0])))


def test_rows_across_parser_blocks_keep_their_order(tmp_path, monkeypatch):
    monkeypatch.setattr(kaggle, "CHUNK_ROWS", 4)
    rows = kaggle_rows(11, [0, 1, 2, 3, 4])
    b = load_kaggle_csv(write(tmp_path / "mitbih_test.csv", rows))
    assert np.array_equal(b.X, rows[:, :187].astype(np.float32)) and b.y.tolist() == rows[:, 187].tolist()


def test_round_trip(tmp_path):
    b = load_kaggle_csv(write(tmp_path / "mitbih_test.csv", kaggle_rows(10, [0, 1, 2])))
    out = write_kaggle_csv(b, tmp_path / "out" / "mitbih_test.csv")
    c = load_kaggle_csv(out)
    assert np.array_equal(b.X, c.X) and np.array_equal(b.y, c.y)
    first = out.read_text().split("\n", 1)[0]
    assert first.count(",") == 187 and first.endswith(f",{b.y[0]:.18e}")
    assert [f for f in os.listdir(out.parent)] == ["mitbih_test.csv"]  # no temporary file left over


def test_written_file_has_ordinary_permissions(tmp_path):
    out = write_kaggle_csv(Beats.from_arrays(np.zeros((1, 187)), [0]), tmp_path / "x.csv")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


# -- bad input -------------------------------------------------------------------------------------
def bad_file(tmp_path, edit, name="mitbih_train.csv", n=6):
    lines = [",".join(f"{v:.18e}" for v in row) for row in kaggle_rows(n, [0, 1, 2])]
    lines = edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def first_field(i, text):
    """An edit putting ``text`` in the first field of line index ``i``."""
    return lambda ls: ls[:i] + [text + "," + ls[i].split(",", 1)[1]] + ls[i + 1:]


def label(i, text):
    """An edit putting ``text`` in the label field of line index ``i``."""
    return lambda ls: ls[:i] + [ls[i].rsplit(",", 1)[0] + "," + text] + ls[i + 1:]


BAD_INPUT = [
    (lambda ls: ls[:3] + [ls[3] + ",0.5"] + ls[4:], 4, "189 columns, expected 188 (187 samples + label)"),
    (lambda ls: ls[:2] + [ls[2].rsplit(",", 2)[0]] + ls[3:], 3, "186 columns, expected 188"),
    (lambda ls: [ls[0] + ",0.5"] + ls[1:], 1, "189 columns, expected 188"),
    (lambda ls: [ls[0].rsplit(",", 1)[0]] + ls[1:], 1, "187 columns, expected 188"),
    (lambda ls: ls[:3] + [""] + ls[3:], 4, "blank line"),
    (first_field(4, "abc"), 5, "column 1 holds 'abc', not a number"),
    (first_field(3, "NA"), 4, "column 1 holds 'NA', not a number"),
    (first_field(3, ""), 4, "column 1 is empty"),
    (first_field(1, "nan"), 2, "column 1 holds 'nan' (NaN or infinite)"),
    (first_field(5, "inf"), 6, "column 1 holds 'inf' (NaN or infinite)"),
    (first_field(2, "1e300"), 3, "beyond the float32 range"),
    (label(2, "nan"), 3, "column 188 holds 'nan' (NaN or infinite)"),
    (label(2, "7.0e+00"), 3, "label 7 is not one of this file's labels [0, 1, 2, 3, 4]"),
    (label(2, "2.5e+00"), 3, "label 2.5 is not one of"),
    (label(1, "-1.0e+00"), 2, "label -1 is not one of"),
]


@pytest.mark.parametrize("edit, row, message", BAD_INPUT, ids=[m for _, _, m in BAD_INPUT])
def test_bad_input_names_the_file_and_the_first_bad_row(tmp_path, edit, row, message):
    path = bad_file(tmp_path, edit)
    with pytest.raises(DataError) as err:
        load_kaggle_csv(path)
    text = str(err.value)
    assert text.startswith(f"{path}: row {row}: ") and message in text and "\n" not in text


@pytest.mark.parametrize("edit, row, message", BAD_INPUT, ids=[m for _, _, m in BAD_INPUT])
def test_the_bad_row_is_found_past_the_first_parser_blocks(tmp_path, monkeypatch, edit, row, message):
    """The same files with 9 good rows in front and 4-row parser blocks: the row number still matches."""
    monkeypatch.setattr(kaggle, "CHUNK_ROWS", 4)
    shifted = 9 if row > 1 else 0  # a bad first row sets the column count: keep it first
    path = bad_file(tmp_path, lambda ls: ls[:shifted] + edit(ls[shifted:]), n=6 + shifted)
    with pytest.raises(DataError) as err:
        load_kaggle_csv(path)
    assert str(err.value).startswith(f"{path}: row {row + shifted}: ") and message in str(err.value)


def test_only_the_first_bad_row_is_named(tmp_path):
    path = bad_file(tmp_path, lambda ls: first_field(3, "inf")(first_field(1, "abc")(ls)))
    with pytest.raises(DataError, match=r"row 2: column 1 holds 'abc'"):
        load_kaggle_csv(path)


def test_a_parser_error_is_chained_not_shown(tmp_path):
    with pytest.raises(DataError) as err:
        load_kaggle_csv(bad_file(tmp_path, first_field(2, "abc")))
    assert err.value.__cause__ is not None and "could not convert" not in str(err.value)


def test_label_outside_a_ptb_file_set_and_the_override(tmp_path):
    path = write(tmp_path / "ptbdb_normal.csv", kaggle_rows(4, [0, 0, 1, 0]))
    with pytest.raises(DataError, match=r"row 3: label 1 is not one of this file's labels \[0\]"):
        load_kaggle_csv(path)
    b = load_kaggle_csv(path, labels=[0, 1])
    assert b.y.tolist() == [0, 0, 1, 0] and b.counts() == {"normal": 3, "abnormal": 1}
    with pytest.raises(DataError, match=r"row 1: label 0 is not one of this file's labels \[1\]"):
        load_kaggle_csv(path, labels=np.array([1]))


def test_labels_override_past_the_class_names(tmp_path):
    path = write(tmp_path / "mitbih_test.csv", kaggle_rows(3, [0, 6, 6]))
    b = load_kaggle_csv(path, labels=range(7))
    assert b.counts() == {"N": 1, "S": 0, "V": 0, "F": 0, "Q": 0, "5": 0, "6": 2}
    for wrong in ([], [1.5], [-1], ["x"]):
        with pytest.raises(ValueError, match="labels="):
            load_kaggle_csv(path, labels=wrong)


def test_empty_missing_and_unreadable_files(tmp_path):
    (tmp_path / "mitbih_test.csv").write_text("")
    with pytest.raises(DataError, match=r"mitbih_test.csv: empty file"):
        load_kaggle_csv(tmp_path / "mitbih_test.csv")
    with pytest.raises(DataError, match=r"absent.csv: no such file"):
        load_kaggle_csv(tmp_path / "absent.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match=r"folder.csv: not a file"):
        load_kaggle_csv(tmp_path / "folder.csv")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00garbage\n")
    with pytest.raises(DataError, match=r"binary.csv: row 1: 1 columns, expected 188"):
        load_kaggle_csv(tmp_path / "binary.csv")


# -- writing failures ------------------------------------------------------------------------------
def test_failed_write_leaves_nothing(tmp_path):
    b = Beats.from_arrays(np.zeros((3, 100)), [0, 0, 0])
    with pytest.raises(DataError, match=r"x.csv: the Kaggle format holds 187 samples per beat, these beats have 100"):
        write_kaggle_csv(b, tmp_path / "x.csv")
    X = np.zeros((3, 187))
    X[2, 5] = np.nan
    with pytest.raises(DataError, match="beat 2 holds NaN"):
        write_kaggle_csv(Beats.from_arrays(X, [0, 0, 0]), tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_write_failing_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = write(tmp_path / "mitbih_test.csv", kaggle_rows(3, [0]))
    before = path.read_bytes()

    def savetxt_then_fail(f, rows, **kwargs):
        f.write("0.5,0.5\n")  # half a file
        raise OSError("disk full")

    monkeypatch.setattr(kaggle.np, "savetxt", savetxt_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_kaggle_csv(Beats.from_arrays(np.zeros((2, 187)), [0, 1]), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["mitbih_test.csv"]
