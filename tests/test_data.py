"""Finding and getting the data: the setting, the error that says what to do, the download."""
import shutil
from pathlib import Path

import pytest

from ecg_utils.errors import DataError
from ecg_utils.io import physionet
from ecg_utils.io import records as data


def test_setting_points_at_the_records(mitdb_dir, monkeypatch):
    monkeypatch.setenv("ECG_DATA_DIR", str(mitdb_dir))
    assert data.find_data_dir() == Path(mitdb_dir)
    assert {"119", "208"} <= set(data.records_in(mitdb_dir))


def test_argument_overrides_the_setting(mitdb_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ECG_DATA_DIR", str(tmp_path))
    assert data.find_data_dir(mitdb_dir) == Path(mitdb_dir)
    with pytest.raises(DataError, match=str(tmp_path)):
        data.find_data_dir()


def test_unreadable_record_names_the_file(tmp_path):
    (tmp_path / "300.hea").write_text("garbage\n")
    (tmp_path / "300.dat").write_bytes(b"\0" * 10)
    (tmp_path / "300.atr").write_bytes(b"\0" * 10)
    with pytest.raises(DataError, match="300"):
        data.read_record(tmp_path, "300")


def test_download_fetches_mitdb_with_wfdb(mitdb_dir, tmp_path, monkeypatch):
    calls = []

    def fake_dl_database(db_dir, dl_dir, records="all", annotators="all", overwrite=False, **kw):
        # stands in for the network only: copies what PhysioNet would send
        calls.append((db_dir, records, annotators))
        for r in records:
            for ext in ("hea", "dat", "atr"):
                shutil.copy(Path(mitdb_dir) / f"{r}.{ext}", dl_dir)

    monkeypatch.setattr("wfdb.dl_database", fake_dl_database)
    dest = physionet.download_mitdb(tmp_path / "mitdb", records=["119"])
    assert calls == [("mitdb", ["119"], ["atr"])]
    assert data.find_data_dir(dest) == dest and data.records_in(dest) == ["119"]


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    def offline(*a, **k):
        raise ConnectionError("no route to host")

    monkeypatch.setattr("wfdb.dl_database", offline)
    with pytest.raises(DataError, match="Download of the MIT-BIH Arrhythmia Database.*no route to host"):
        physionet.download_mitdb(tmp_path / "mitdb", records=["119"])
