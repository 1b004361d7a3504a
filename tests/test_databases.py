"""The database seam: MIT-BIH and the Supraventricular Arrhythmia Database are two databases of one kind; the beat
builder, the splits and the benchmark take either by name, and a third is one module."""
import sys
import textwrap

import numpy as np
import pytest

from ecg_utils import config
from ecg_utils.io import databases
from ecg_utils.io.databases import get_database
from ecg_utils.io.databases.mitdb import PACED_RECORDS
from ecg_utils.io.records import find_data_dir, read_record
from ecg_utils.signal.build import build_beats, load_split

#: Four SVDB records: two of each side.
SVDB_RECORDS = ["800", "801", "802", "803"]




def test_the_registry_holds_both_databases_with_their_rates_leads_and_sides():
    found = databases.registry()
    assert list(found) == ["mitdb", "svdb"]
    mitdb, svdb = found["mitdb"], found["svdb"]
    assert (mitdb.fs, mitdb.leads, svdb.fs, svdb.leads) == (360.0, ("MLII",), 128.0, ("ECG1",))
    assert list(mitdb.sides) == ["DS1", "DS2"] and len(mitdb.train_side) == len(mitdb.test_side) == 22
    assert set(mitdb.excluded) == set(PACED_RECORDS) and not set(mitdb.excluded) & set(mitdb.train_side)
    assert len(svdb.records) == 78 and not set(svdb.train_side) & set(svdb.test_side)
    assert set(svdb.train_side) | set(svdb.test_side) == set(svdb.records)
    with pytest.raises(ValueError, match="unknown database 'incartdb'; known: mitdb, svdb"):
        get_database("incartdb")


def test_svdb_is_found_beside_the_mitdb_folder_or_by_its_own_setting(tmp_path, monkeypatch):
    (tmp_path / "mitdb").mkdir()
    (tmp_path / "svdb").mkdir()
    (tmp_path / "svdb" / "800.hea").write_text("800 2 128 1000\n")
    monkeypatch.delenv("ECG_SVDB_DIR", raising=False)
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "mitdb"))
    assert get_database("svdb").candidate_dirs()[0] == tmp_path / "svdb"
    monkeypatch.setenv("ECG_SVDB_DIR", str(tmp_path / "elsewhere"))
    assert get_database("svdb").candidate_dirs()[0] == tmp_path / "elsewhere"
    with pytest.raises(Exception, match="ECG_SVDB_DIR") as info:
        find_data_dir(tmp_path / "empty", kind="svdb")
    assert "download --database svdb" in str(info.value)


def test_svdb_beats_at_128_hz_are_the_same_beats_as_mitdb_ones_and_split_by_its_sides(svdb_dir, mitdb_dir):
    svdb = build_beats("svdb", svdb_dir, records=SVDB_RECORDS, representation="centered", template_width=101,
                       verbose=False)
    mitdb = build_beats("mitdb", mitdb_dir, records=["119"], representation="centered", verbose=False)
    assert svdb.info["source"] == "svdb" and set(svdb.info["leads"].values()) == {"ECG1"}
    assert svdb.length == mitdb.length and svdb.info["fs"] == mitdb.info["fs"] == 125   # the same beat window
    rec = read_record(svdb_dir, "800", lead="ECG1")
    samples, classes = rec.beats()
    assert rec.fs == 128 and len(samples) == len(classes) > 1000
    kept = np.isin(samples, svdb.sample[svdb.record == "800"])
    np.testing.assert_array_equal(svdb.y[svdb.record == "800"], classes[kept])   # labels follow the annotations
    assert {"N", "S"} <= {k for k, v in svdb.counts().items() if v}
    split = load_split("interpatient", representation="centered", template_width=101, records=SVDB_RECORDS,
                       database="svdb", data_dir=svdb_dir, verbose=False)
    assert split.info["database"] == "svdb"
    assert set(split.train.records()) | set(split.validation.records()) <= {"800", "802"}
    assert set(split.test.records()) == {"801", "803"}


def test_a_third_database_is_one_module(tmp_path, monkeypatch, mitdb_dir):
    """A module defining DATABASE in the package's path is a database: the builder and the splits take it."""
    (tmp_path / "copydb.py").write_text(textwrap.dedent('''
        from ecg_utils.io.databases import Database
        DATABASE = Database(name="copydb", title="A copy of two MIT-BIH records", fs=360.0, leads=("MLII",),
                            records=("119", "208"), sides={"first": ("119",), "second": ("208",)})
    '''))
    monkeypatch.setattr(databases, "__path__", [*databases.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "ecg_utils.io.databases.copydb", raising=False)
    monkeypatch.setenv("ECG_COPYDB_DIR", str(mitdb_dir))
    assert "copydb" in databases.registry()
    split = load_split("interpatient", representation="centered", records=["119", "208"], database="copydb",
                       verbose=False)
    assert split.info["database"] == "copydb" and split.test.records() == ["208"]
    assert "first -> second" in split.describe()
    sys.modules.pop("ecg_utils.io.databases.copydb", None)
