"""Reading a user's recording: every format gives record 119's MLII samples; every bad input one clear error.

The inputs are written into tmp_path from two minutes of the real record 119 (leads MLII, V1, 360 Hz).
"""
import datetime
import gzip
import re
import shutil

import numpy as np
import pytest
import wfdb

from ecg_utils.errors import DataError
from ecg_utils.io.recording import pick_lead, read_recording

FS = 360
SECONDS = 120


@pytest.fixture(scope="module")
def rec119(mitdb_dir):
    """Two minutes of record 119, both leads, in mV: columns MLII, V1."""
    return wfdb.rdrecord(str(mitdb_dir / "119"), sampto=FS * SECONDS).p_signal


@pytest.fixture(scope="module")
def files(rec119, tmp_path_factory):
    """The same two minutes in every supported format."""
    d = tmp_path_factory.mktemp("recordings")
    mlii, v1 = rec119[:, 0], rec119[:, 1]
    common = dict(fs=FS, units=["mV", "mV"], fmt=["212", "212"], adc_gain=[200.0, 200.0], baseline=[1024, 1024],
                  write_dir=str(d))
    wfdb.wrsamp("copy", sig_name=["MLII", "V1"], p_signal=rec119, base_date=datetime.date(2021, 3, 4),
                base_time=datetime.time(5, 6, 7), **common)
    wfdb.wrsamp("swapped", sig_name=["V1", "MLII"], p_signal=rec119[:, ::-1].copy(), **common)
    _write_edf(d / "two.edf", [("MLII", "mV", mlii), ("V1", "uV", v1 * 1000)])
    t = np.arange(mlii.size) / FS
    np.savetxt(d / "one.csv", mlii, fmt="%.4f")
    np.savetxt(d / "timed.csv", np.c_[t, mlii], fmt="%.6f", delimiter=",", header="time,MLII", comments="")
    np.savetxt(d / "two.csv", np.c_[mlii, v1], fmt="%.4f", delimiter=",", header="MLII,V5", comments="")
    np.savetxt(d / "two.tsv", np.c_[v1, mlii], fmt="%.4f", delimiter="\t", header="V1\tMLII", comments="")
    with gzip.open(d / "one.csv.gz", "wt") as f:
        np.savetxt(f, mlii, fmt="%.4f")
    np.save(d / "one.npy", mlii)
    np.save(d / "two.npy", rec119)
    np.save(d / "one_uv.npy", mlii * 1000)
    return d


def _write_edf(path, channels, fs=FS, start=datetime.datetime(2020, 1, 2, 3, 4, 5)):
    """An EDF of (label, physical dimension, samples) channels, 16 bits over +-10.24 mV."""
    highlevel = pytest.importorskip("pyedflib.highlevel")
    headers = []
    for label, dimension, _ in channels:
        scale = 1000 if dimension == "uV" else 1
        headers += highlevel.make_signal_headers([label], dimension=dimension, sample_frequency=fs,
                                                 physical_min=-10.24 * scale, physical_max=10.24 * scale)
    signals = [np.ascontiguousarray(x) for _, _, x in channels]
    assert highlevel.write_edf(str(path), signals, headers, header=highlevel.make_header(startdate=start))


def fails(match, *args, **kwargs):
    """read_recording(*args, **kwargs) raises one DataError, in one line, matching ``match``."""
    with pytest.raises(DataError, match=match) as info:
        read_recording(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# --- every format gives the same samples -------------------------------------------------------------------

@pytest.mark.parametrize("given", ["copy.hea", "copy", "copy.dat"])
def test_wfdb_record_is_read_by_any_of_its_names(files, rec119, given):
    rec = read_recording(files / given)
    np.testing.assert_allclose(rec.signal, rec119[:, 0], atol=1e-9)
    assert (rec.fs, rec.lead, rec.name, rec.source, rec.units) == (FS, "MLII", "copy", "wfdb", "mV")
    assert rec.leads == ("MLII", "V1") and rec.start == "2021-03-04T05:06:07"
    assert rec.path == str(files / "copy.hea") and rec.duration_s == pytest.approx(SECONDS)
    assert rec.signal.dtype == np.float64 and rec.signal.shape == (FS * SECONDS,)


def test_wfdb_reads_mlii_whatever_its_position_and_only_that_channel(files, rec119, monkeypatch):
    calls = []
    real = wfdb.rdrecord

    def spy(*args, **kwargs):
        calls.append(kwargs.get("channels") or kwargs.get("channel_names"))
        return real(*args, **kwargs)

    monkeypatch.setattr(wfdb, "rdrecord", spy)
    rec = read_recording(files / "swapped.hea")
    assert rec.lead == "MLII" and rec.leads == ("V1", "MLII") and rec.start is None
    np.testing.assert_allclose(rec.signal, rec119[:, 0], atol=1e-9)
    np.testing.assert_allclose(read_recording(files / "swapped", lead="v-1").signal, rec119[:, 1], atol=1e-9)
    assert calls == [[1], [0]]


def test_shared_records_read_in_full_without_annotations(mitdb_dir, tmp_path):
    for ext in ("hea", "dat"):  # no .atr beside it
        shutil.copy(mitdb_dir / f"102.{ext}", tmp_path)
    rec = read_recording(tmp_path / "102.hea")
    assert rec.leads == ("V5", "V2") and rec.lead == "V5"  # 102 has no MLII: the first standard lead
    assert rec.duration_s == pytest.approx(650000 / 360)
    assert read_recording(mitdb_dir / "119.dat").lead == "MLII"


def test_edf_channels_in_mv_and_uv_give_the_same_millivolts(files, rec119):
    rec = read_recording(files / "two.edf")
    assert (rec.fs, rec.lead, rec.units, rec.source, rec.name) == (FS, "MLII", "mV", "edf", "two")
    assert rec.leads == ("MLII", "V1") and rec.start == "2020-01-02T03:04:05"
    np.testing.assert_allclose(rec.signal, rec119[:, 0], atol=0.01)
    v1 = read_recording(files / "two.edf", lead="V1")
    assert v1.units == "uV"
    np.testing.assert_allclose(v1.signal, rec119[:, 1], atol=0.01)
    overridden = read_recording(files / "two.edf", lead="V1", units="mV")  # the argument wins over the file
    np.testing.assert_allclose(overridden.signal, rec119[:, 1] * 1000, atol=1)


def test_csv_tsv_gz_and_npy_give_the_same_samples(files, rec119):
    mlii, v1 = rec119[:, 0], rec119[:, 1]
    for name, kwargs, want, lead in [
        ("one.csv", {}, mlii, "column 0"),
        ("one.csv.gz", {}, mlii, "column 0"),
        ("two.csv", {}, mlii, "MLII"),
        ("two.csv", {"column": "V5"}, v1, "V5"),
        ("two.csv", {"column": 1}, v1, "V5"),
        ("two.csv", {"lead": "v 5"}, v1, "V5"),
        ("two.tsv", {}, mlii, "MLII"),
        ("one.npy", {}, mlii, "column 0"),
        ("two.npy", {"column": 1}, v1, "column 1"),
        ("one_uv.npy", {"units": "µV"}, mlii, "column 0"),
    ]:
        rec = read_recording(files / name, fs=FS, **kwargs)
        assert rec.lead == lead and rec.fs == FS, name
        assert rec.source == ("npy" if name.endswith("npy") else "csv")
        np.testing.assert_allclose(rec.signal, want, atol=1e-4 if "npy" not in name else 1e-9, err_msg=name)
    assert read_recording(files / "one.csv.gz", fs=FS).name == "one"


def test_a_time_column_is_skipped_and_gives_the_rate(files, rec119):
    rec = read_recording(files / "timed.csv")  # no fs: inferred from the time column in seconds
    assert rec.lead == "MLII" and rec.leads == ("time", "MLII")
    assert rec.fs == pytest.approx(FS, rel=1e-6)
    np.testing.assert_allclose(rec.signal, rec119[:, 0], atol=1e-4)


def test_nan_gaps_are_interpolated(tmp_path):
    x = np.sin(np.arange(FS * 12) / 50.0)
    gappy = x.copy()
    gappy[1000:1010] = np.nan
    np.save(tmp_path / "gappy.npy", gappy)
    rec = read_recording(tmp_path / "gappy.npy", fs=FS)
    assert np.isfinite(rec.signal).all()
    np.testing.assert_allclose(rec.signal[1000:1010], np.linspace(x[999], x[1010], 12)[1:-1])


# --- choosing the lead ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("names, lead, want", [
    (["V1", "MLII"], None, 1),
    (["V1", "ECG II"], None, 1),
    (["III", "II"], None, 1),
    (["III", "aVF"], None, 0),
    (["EEG Fpz-Cz", "Resp", "EKG"], None, 2),
    (["Resp", "V2"], None, 1),
    (["signal a", "signal b"], None, 0),
    (["EEG Fpz-Cz"], None, 0),
    (["MLII", "V5"], "v_5", 1),
    (["MLII", "V5"], "ml ii", 0),
])
def test_pick_lead(names, lead, want):
    assert pick_lead(names, lead) == want


def test_pick_lead_refuses_to_guess_among_non_ecg_channels(tmp_path):
    with pytest.raises(DataError, match="MLII, V5"):
        pick_lead(["MLII", "V5"], lead="V9")
    sleep = tmp_path / "sleep.edf"
    x = np.zeros(200 * 20)
    _write_edf(sleep, [("EEG Fpz-Cz", "uV", x), ("EOG horizontal", "uV", x), ("Resp oro-nasal", "uV", x)], fs=200)
    fails(r"sleep\.edf: no channel looks like an ECG lead \(channels: EEG Fpz-Cz, EOG horizontal, "
          r"Resp oro-nasal\); pass lead=", sleep)
    assert read_recording(sleep, lead="eeg fpz cz").lead == "EEG Fpz-Cz"


# --- every bad input is one DataError naming the file ----------------------------------------------------------

def test_missing_and_unknown_files(files, tmp_path):
    fails(r"nope\.csv: file not found", tmp_path / "nope.csv")
    fails(r"nope: file not found", tmp_path / "nope")
    fails(r"nope\.hea: file not found", tmp_path / "nope.hea")
    (tmp_path / "x.mat").write_bytes(b"\0" * 100)
    fails(r"x\.mat: unknown kind of file \(\.mat\); supported: WFDB.*EDF.*CSV.*NumPy", tmp_path / "x.mat")
    (tmp_path / "orphan.dat").write_bytes(b"\0" * 100)
    fails(r"orphan\.dat: .*header orphan\.hea", tmp_path / "orphan.dat")
    fails(r"is a folder", tmp_path)


def test_bad_wfdb_records(files, tmp_path):
    shutil.copy(files / "copy.hea", tmp_path / "copy.hea")
    fails(r"copy\.dat: signal file not found \(the header copy\.hea refers to it\)", tmp_path / "copy.hea")
    (tmp_path / "copy.dat").write_bytes((files / "copy.dat").read_bytes()[:10000])
    fails(r"copy\.dat: truncated: 10000 bytes, but the header copy\.hea says 43200 samples", tmp_path / "copy")
    (tmp_path / "junk.hea").write_text("garbage\n")
    (tmp_path / "junk.dat").write_bytes(b"\0" * 100)
    fails(r"junk\.hea: cannot read the WFDB header", tmp_path / "junk.hea")


def test_bad_edf(tmp_path):
    (tmp_path / "junk.EDF").write_bytes(b"not an edf " * 50)
    fails(r"junk\.EDF: not a readable EDF/EDF\+ file", tmp_path / "junk.EDF")


def test_bad_tables(tmp_path):
    def write(name, text):
        (tmp_path / name).write_text(text)
        return tmp_path / name

    fails(r"empty\.csv: the file is empty", write("empty.csv", ""))
    fails(r"header\.csv: no samples", write("header.csv", "MLII\n"), fs=FS)
    fails(r"text\.csv: line 5 holds 'abc' in column MLII, not a number",
          write("text.csv", "MLII\n0.1\n0.2\n0.3\nabc\n0.5\n"), fs=FS)
    fails(r"words\.txt: line 2 holds 'world'", write("words.txt", "hello\nworld\n"), fs=FS)
    samples = "\n".join(["0.1"] * FS * 5)
    fails(r"short\.csv: 5\.0 s of signal, too short to scan", write("short.csv", samples), fs=FS)
    long = write("long.csv", "MLII,V5\n" + "\n".join(["0.1,0.2"] * FS * 11))
    fails(r"long\.csv: no lead 'V9' \(channels: MLII, V5\)", long, fs=FS, column="V9")
    fails(r"long\.csv: no column 7: it has 2 column\(s\) \(MLII, V5\)", long, fs=FS, column=7)
    fails(r"long\.csv: a CSV file does not state its sampling rate; pass fs= \(--fs\)", long)


def test_bad_arrays(tmp_path):
    np.save(tmp_path / "nan.npy", np.full(FS * 20, np.nan))
    fails(r"nan\.npy: no valid sample", tmp_path / "nan.npy", fs=FS)
    np.save(tmp_path / "two.npy", np.zeros((FS * 20, 2)))
    fails(r"two\.npy: a 2-D array with 2 columns; pass column=", tmp_path / "two.npy", fs=FS)
    fails(r"two\.npy: no column 3", tmp_path / "two.npy", fs=FS, column=3)
    np.save(tmp_path / "wide.npy", np.zeros((2, FS * 20)))
    fails(r"wide\.npy: an array of shape \(2, 7200\)", tmp_path / "wide.npy", fs=FS, column=0)
    np.save(tmp_path / "empty.npy", np.zeros(0))
    fails(r"empty\.npy: no samples", tmp_path / "empty.npy", fs=FS)
    (tmp_path / "junk.npy").write_bytes(b"junk")
    fails(r"junk\.npy: not a readable NumPy", tmp_path / "junk.npy", fs=FS)


def test_bad_rates_and_units(files):
    fails(r"copy\.hea: the file is sampled at 360 Hz, not 250 Hz \(a wrong --fs\?\)", files / "copy.hea", fs=250)
    fails(r"two\.edf: the file is sampled at 360 Hz, not 500 Hz", files / "two.edf", fs=500)
    assert read_recording(files / "copy.hea", fs=362).fs == FS  # within 1%: the file's rate is kept
    fails(r"one\.npy: sampled at 50 Hz; at least 100 Hz is needed to find R-peaks", files / "one.npy", fs=50)
    fails(r"one\.npy: sampled at 20000 Hz, above 10000 Hz", files / "one.npy", fs=20000)
    for bad in (0, -360, float("nan"), float("inf"), "fast"):
        fails(r"one\.npy: fs must be a positive number of Hz", files / "one.npy", fs=bad)
    fails(re.escape("one.npy: unknown units 'furlongs'"), files / "one.npy", fs=FS, units="furlongs")
