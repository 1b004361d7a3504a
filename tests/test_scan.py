"""Scanning a recording: the same beats from every format, the reference beats found, ventricular beats flagged,
unreadable signal set aside, the outputs written whole, and one clear error for every bad input.

Every input is written into tmp_path from ten minutes of the real record 119 (ventricular trigeminy: 140 V beats
among 659) or 208 (366 V beats among 1,013); the shipped detector is loaded once for the module.
"""
import dataclasses
import datetime
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import wfdb

from ecg_utils.cli import main
from ecg_utils.detect import pretrained
from ecg_utils.errors import DataError
from ecg_utils.io.files import MARKER
from ecg_utils.io.recording import Recording
from ecg_utils.io.records import read_record
from ecg_utils.metrics import beat_detection
from ecg_utils.scan.kinds import KINDS
from ecg_utils.scan.output import write_scan
from ecg_utils.scan.stages import MIN_BEATS, scan
from ecg_utils.scan.table import COLUMNS, REASONS, reasons
from ecg_utils.signal.matching import match_beats
from ecg_utils.signal.quality import PAD_S, unreadable_mask

FS = 360
SECONDS = 600
N = FS * SECONDS
#: The damaged stretch of the unreadable-signal tests: 60 s from 240 s (on the quality module's 1-s and 5-s grids).
A_S, B_S = 240, 300
A, B = A_S * FS, B_S * FS
#: How far (s) a reported stretch may lie from the damage.
TOL_S = 3.0
WFDB_FORMAT = dict(fmt=["212", "212"], adc_gain=[200.0, 200.0], baseline=[1024, 1024], units=["mV", "mV"])
UNSCORED_AT_ENDS = "too close to the recording's start or end to cut"


# --- fixtures: the detector, the excerpt, the excerpt in every format, damaged copies ------------------------------

@pytest.fixture(scope="module")
def detector():
    """The detector shipped with the package, loaded once (TensorFlow and the model take seconds)."""
    return pretrained.load_detector(None)[0]


@pytest.fixture(scope="module")
def rec119(mitdb_dir):
    """Ten minutes of record 119, both leads (MLII, V1), in mV."""
    return wfdb.rdrecord(str(mitdb_dir / "119"), sampto=N).p_signal


def _write_wfdb(folder, name, signals, **kwargs):
    wfdb.wrsamp(name, fs=FS, sig_name=["MLII", "V1"], p_signal=np.ascontiguousarray(signals), write_dir=str(folder),
                **WFDB_FORMAT, **kwargs)
    return folder / f"{name}.hea"


def _write_edf(path, channels):
    """An EDF of (label, samples) channels in mV, 16 bits over +-10.24 mV."""
    highlevel = pytest.importorskip("pyedflib.highlevel")
    headers = highlevel.make_signal_headers([label for label, _ in channels], dimension="mV", sample_frequency=FS,
                                            physical_min=-10.24, physical_max=10.24)
    assert highlevel.write_edf(str(path), [np.ascontiguousarray(x) for _, x in channels], headers,
                               header=highlevel.make_header(startdate=datetime.datetime(2020, 1, 2, 3, 4, 5)))


@pytest.fixture(scope="module")
def files(rec119, tmp_path_factory):
    """The same ten minutes as a WFDB record without annotations, an EDF, a one-column CSV and a .npy."""
    d = tmp_path_factory.mktemp("formats")
    _write_wfdb(d, "w119", rec119, base_date=datetime.date(2021, 3, 4), base_time=datetime.time(5, 6, 7))
    _write_edf(d / "e119.edf", [("MLII", rec119[:, 0]), ("V1", rec119[:, 1])])
    np.savetxt(d / "c119.csv", rec119[:, 0], fmt="%.4f")
    np.save(d / "n119.npy", rec119[:, 0])
    return d


@pytest.fixture(scope="module")
def scans(files, detector):
    """Each format scanned."""
    return {"wfdb": scan(files / "w119.hea", detector), "edf": scan(files / "e119.edf", detector),
            "csv": scan(files / "c119.csv", detector, fs=FS), "npy": scan(files / "n119.npy", detector, fs=FS)}


def _damage(kind, x, a=A):
    """MLII with 60 s from sample ``a`` unreadable: the lead off (0 mV), white noise as strong as the signal, or a
    baseline jump that pins the amplifier at its rail (the recording's own largest value) for most of the stretch."""
    y, b = x.copy(), a + (B - A)
    if kind == "flat":
        y[a:b] = 0.0
    elif kind == "noisy":
        y[a:b] = np.median(x) + np.random.default_rng(0).normal(0, x.std(), b - a)
    elif kind == "saturated":
        rail = x.max()
        y[a:b] = np.minimum(x[a:b] + rail - np.quantile(x[a:b], 0.1), rail)
    return y


@pytest.fixture(scope="module")
def damaged(rec119, detector, tmp_path_factory):
    """WFDB copies of the excerpt with 60 s of unreadable MLII, each scanned: kind -> Scan."""
    d = tmp_path_factory.mktemp("damaged")
    out = {}
    for kind in ("flat", "noisy", "saturated"):
        signals = rec119.copy()
        signals[:, 0] = _damage(kind, rec119[:, 0])
        out[kind] = scan(_write_wfdb(d, kind, signals), detector)
    return out


# --- 1. every format gives the same beats --------------------------------------------------------------------------

def test_a_wfdb_record_without_annotations_is_scanned(files, scans):
    assert not list(files.glob("*.atr"))
    s = scans["wfdb"]
    assert (s.recording.source, s.recording.lead, s.recording.fs, s.recording.name) == ("wfdb", "MLII", FS, "w119")
    assert s.recording.duration_s == pytest.approx(SECONDS)
    assert tuple(s.table.columns) == COLUMNS and len(s.stretches) == 0
    assert 600 < len(s.table) < 720  # 659 annotated beats in these ten minutes


@pytest.mark.parametrize("fmt", ["csv", "npy", "edf"])
def test_every_format_gives_the_same_beats_and_flags(scans, fmt):
    ref, got = scans["wfdb"].table, scans[fmt].table
    assert scans[fmt].recording.source == fmt
    assert len(got) == len(ref)
    shift = np.abs(got["sample"].to_numpy() - ref["sample"].to_numpy())
    if fmt == "edf":  # 16-bit EDF samples differ from the 12-bit record by up to 0.0003 mV
        assert shift.max() <= 2
        assert (got.flagged.to_numpy() == ref.flagged.to_numpy()).mean() >= 0.95
    else:  # the CSV's 4 decimals and the array hold the record's samples exactly
        assert shift.max() == 0
        np.testing.assert_array_equal(got.flagged, ref.flagged)
        np.testing.assert_allclose(got.score, ref.score, rtol=1e-5, atol=1e-6)
        assert got.reason.tolist() == ref.reason.tolist()


# --- 2. against the reference annotations --------------------------------------------------------------------------

@pytest.mark.parametrize("record", ["119", "208"])
def test_beats_match_the_reference_and_ventricular_beats_are_flagged(mitdb_dir, detector, record):
    rec = read_record(mitdb_dir, record)
    result = scan(Recording(rec.signal[:N], rec.fs, rec.lead, record, record, "wfdb", "mV"), detector)
    samples, _ = rec.beats()
    symbols = rec.ann_symbol[np.isin(rec.ann_sample, samples)]
    keep = samples < N
    samples, symbols = samples[keep], symbols[keep]
    detected = result.table["sample"].to_numpy()
    counts = beat_detection(detected, samples, FS)
    assert counts["se"] > 0.98 and counts["ppv"] > 0.98, counts
    ref_match, _ = match_beats(detected, samples, int(0.15 * FS))
    flagged = result.table.flagged.to_numpy()
    ventricular = np.isin(symbols, ["V", "E"]) & (ref_match >= 0)
    normal = (symbols == "N") & (ref_match >= 0)
    assert ventricular.sum() > 100 and normal.sum() > 300
    v_share, n_share = flagged[ref_match[ventricular]].mean(), flagged[ref_match[normal]].mean()
    # measured with the shipped detector (three evidences): 208's first 10 min flag 20% of its normal beats (with two,
    # 10%): a noisy record whose normal beats stray from their template; the bound guards against worse
    assert v_share > 0.85 and n_share < 0.3, (v_share, n_share)


def test_atrial_fibrillation_is_a_rhythm_finding_and_not_a_flood_of_premature_beats(mitdb_dir, detector):
    """Record 201's first 10 minutes: atrial fibrillation until 378 s (rhythm annotations), then sinus rhythm."""
    rec = read_record(mitdb_dir, "201")
    result = scan(Recording(rec.signal[:N], rec.fs, rec.lead, "201", "201", "wfdb", "mV"), detector)
    af = [(a / FS, min(b, N) / FS) for a, b in rec.rhythm_episodes(("(AFIB", "(AFL")) if a < N]
    found = result.irregular
    assert len(found) >= 1 and set(found.columns) >= {"start_s", "end_s", "duration_s", "beats"}
    covered = sum(max(0.0, min(e, b) - max(s, a)) for s, e in zip(found.start_s, found.end_s) for a, b in af)
    assert covered > 0.8 * sum(b - a for a, b in af)                    # most of the fibrillation is found
    assert covered > 0.8 * found.duration_s.sum()                       # and little else
    inside = result.table.irregular_rhythm
    # no timing evidence there: every beat's timing part is that of a beat exactly on time
    on_time = result.table.timing[inside].dropna()
    assert inside.any() and on_time.nunique() == 1 and on_time.iloc[0] < result.threshold / 2
    assert not (result.table.reason[inside] == "premature").any()
    s = result.summary()["irregular_rhythm"]
    assert s["stretches"] == len(found) and s["duration_s"] == pytest.approx(found.duration_s.sum())
    af = result.episodes[result.episodes.rhythm == "(AFIB"]                # the same stretches as rhythm episodes
    assert af[["start", "end"]].values.tolist() == found[["start", "end"]].values.tolist()


def _check_reasons(result):
    b = result.table
    scored = b.score.notna()
    # flagged: above the threshold and not taken back by its family (kind N: a normal family, at its expected time)
    np.testing.assert_array_equal(b.flagged, scored & (b.score > result.threshold) & (b.kind != "N"))
    assert set(b.kind[scored]) <= set(KINDS) and (b.kind[~scored] == "").all()
    assert (b.kind[scored & (b.score <= result.threshold)] == "N").all()
    assert (b.family[scored] >= 0).all() and (b.family[~scored] == -1).all()
    assert b.reason[b.flagged].isin(REASONS).all()
    assert (b.reason[scored & ~b.flagged] == "").all()
    assert b.reason[~b.readable].str.startswith("unreadable signal").all()
    assert (b.reason[b.readable & ~scored] == UNSCORED_AT_ENDS).all()
    assert b.score[~b.readable].isna().all() and not b.flagged[~b.readable].any()
    want = reasons(b["shape"].to_numpy(), b["timing"].to_numpy(), b.flagged.to_numpy(), result.threshold)
    assert b.reason[scored].tolist() == want[scored.to_numpy()].tolist()
    return b


def test_every_flagged_beat_has_a_reason_and_only_those(scans, damaged):
    b = _check_reasons(scans["wfdb"])
    assert b.flagged.sum() > 100 and set(b.reason[b.flagged]) >= {"premature, unusual shape"}
    unscored = b[b.readable & b.score.isna()]
    assert len(unscored) < 10 and unscored.time_s.between(3, SECONDS - 3).sum() == 0  # only at the two ends
    for result in damaged.values():
        _check_reasons(result)
    np.testing.assert_array_equal(b.beat, np.arange(len(b)))
    assert (np.diff(b["sample"]) > 0).all()
    np.testing.assert_allclose(b.heart_rate_bpm[1:], 60 / b.rr_prev_s[1:])


# --- 3. unreadable signal ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["flat", "noisy", "saturated"])
def test_an_unreadable_stretch_is_reported_and_not_scored(scans, damaged, kind):
    result = damaged[kind]
    st, b = result.stretches, result.table
    mine = st[st.kind == kind]
    assert len(mine) >= 1, st
    assert abs(mine.start_s.min() - A_S) <= TOL_S and abs(mine.end_s.max() - B_S) <= TOL_S, st
    assert st.start_s.min() >= A_S - TOL_S and st.end_s.max() <= B_S + TOL_S, st  # nothing else is unreadable
    mask = unreadable_mask(st, len(result.recording.signal))
    assert mask[A:B].mean() > 0.95
    assert result.summary()["unreadable_s"] == pytest.approx(B_S - A_S, abs=2 * TOL_S)

    inside = b["sample"].between(A, B - 1)
    assert not b.flagged[inside].any()
    masked = mask[b["sample"].to_numpy()]
    assert (~b.readable[masked]).all() and b.readable[~masked].all()
    assert b.reason[masked].str.startswith("unreadable signal").all()
    assert b.reason[masked].str.contains(kind).all()
    if kind == "noisy":
        assert masked.sum() > 100  # the noise gives the R-peak detectors plenty of beats, none of them scored

    # the RR chain breaks at the stretch: nothing before it makes the first beat after it premature
    before = b[b.readable & (b["sample"] < A)].iloc[-1]
    after = b[b.readable & (b["sample"] >= B)].iloc[0]
    assert np.isnan(before.rr_next_s) and np.isnan(after.rr_prev_s)
    assert "premature" not in after.reason

    clean = scans["wfdb"].table  # the same record, undamaged
    far = lambda t: (t.time_s < A_S - 5) | (t.time_s >= B_S + 5)  # noqa: E731
    share, clean_share = b.flagged[far(b)].mean(), clean.flagged[far(clean)].mean()
    assert abs(share - clean_share) <= 0.03, (share, clean_share)  # measured 0.208-0.212 against 0.205


@pytest.mark.parametrize("kind", ["flat", "noisy"])
def test_an_unreadable_stretch_off_the_window_grid_has_no_flagged_beat(rec119, detector, tmp_path, kind):
    a = int(252.6 * FS)
    signals = rec119.copy()
    signals[:, 0] = _damage(kind, rec119[:, 0], a)  # the same damage, from 252.6 s
    result = scan(_write_wfdb(tmp_path, kind, signals), detector)
    b = result.table
    inside = b[b["sample"].between(a, a + B - A - 1)]
    assert not inside.flagged.any(), inside[inside.flagged][["time_s", "readable", "reason"]]


# --- 4. the outputs ------------------------------------------------------------------------------------------------

def _listing(folder):
    """What a folder holds, its marker file aside (:data:`ecg_utils.io.files.MARKER`)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.name != MARKER)


def test_write_scan_writes_table_annotations_summary_and_report(damaged, tmp_path):
    result = damaged["flat"]
    b, st = result.table, result.stretches
    flagged = b[b.flagged]
    parent = tmp_path / "scans"
    out = write_scan(result, parent / "flat")
    assert out == parent / "flat"
    assert [p.name for p in parent.iterdir()] == ["flat"]  # no temporary folder left beside it
    figures = ["figures/heart_rate.png", "figures/burden.png", "figures/score_timeline.png",
               "figures/families.png"]
    assert _listing(out) == sorted(["beats.csv", "figures", "flat.flag", "report.html", "summary.json", *figures])

    table = pd.read_csv(out / "beats.csv", keep_default_na=False, na_values=[""])
    assert tuple(table.columns) == COLUMNS and len(table) == len(b)
    np.testing.assert_array_equal(table["sample"], b["sample"])
    np.testing.assert_array_equal(table.flagged, b.flagged)
    np.testing.assert_array_equal(table.readable, b.readable)
    np.testing.assert_allclose(table.score, b.score, rtol=1e-5)
    assert table.reason.fillna("").tolist() == b.reason.tolist()

    ann = wfdb.rdann(str(out / "flat"), "flag")
    symbols, samples = np.array(ann.symbol), ann.sample
    beat = ~np.isin(symbols, ["~", "+"])
    assert "V" in set(symbols) and set(symbols) <= {"V", "S", "F", "Q", "~", "+"}   # 119: ventricular trigeminy
    rhythms = np.array(ann.aux_note)[symbols == "+"]
    assert "(T" in rhythms and len(rhythms) == 2 * len(result.episodes)          # episodes: start and end
    np.testing.assert_array_equal(samples[beat], flagged["sample"])
    assert symbols[beat].tolist() == flagged.kind.tolist()                        # each flagged beat's kind
    assert len(st) == 1
    np.testing.assert_array_equal(samples[symbols == "~"], [st.start[0], st.end[0] - 1])
    aux = np.array(ann.aux_note)
    assert [a.split(";")[0] for a in aux[beat]] == flagged.reason.tolist()
    assert [int(a.split("family ")[1]) for a in aux[beat]] == flagged.family.tolist()
    assert aux[symbols == "~"].tolist() == ["unreadable: flat", "readable"]
    assert (np.diff(samples) >= 0).all()

    summary = json.loads((out / "summary.json").read_text())
    scored = int(b.score.notna().sum())
    assert (summary["beats"], summary["beats_scored"], summary["flagged"]) == (len(b), scored, len(flagged))
    assert summary["reasons"] == {r: int((flagged.reason == r).sum()) for r in REASONS}
    assert summary["kinds"] == {k: int((flagged.kind == k).sum()) for k in KINDS[1:]}
    assert summary["burden"]["V"]["beats"] == summary["kinds"]["V"] > 100
    assert summary["burden_pct"] == pytest.approx(100 * len(flagged) / scored)
    assert summary["unreadable"] == {"flat": pytest.approx(60.0 + 2 * PAD_S)}  # widened each side
    assert summary["recording"] == "flat" and summary["fs"] == FS

    page = (out / "report.html").read_text()
    assert "ECG-Detector scan: flat" in page
    assert f"{len(flagged):,} of {scored:,} beats flagged" in page
    assert page.count('src="data:image/png;base64,') == 4
    for png in figures:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_writing_again_replaces_the_folder_whole(scans, damaged, tmp_path):
    out = tmp_path / "out"
    write_scan(damaged["flat"], out)
    (out / "notes.txt").write_text("the user's own file")
    write_scan(scans["wfdb"], out, report=False)
    assert _listing(out) == ["beats.csv", "summary.json", "w119.flag"]  # the old report, figures and notes: gone
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert len(pd.read_csv(out / "beats.csv")) == len(scans["wfdb"].table)
    assert json.loads((out / "summary.json").read_text())["recording"] == "w119"


def _users_folder(folder):
    """A folder of the user's own files (not written by the program)."""
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("1,2,3")
    return _tree(folder)


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def test_a_folder_of_the_users_files_is_refused_and_left_as_it_was(scans, tmp_path):
    out = tmp_path / "mine"
    before = _users_folder(out)
    with pytest.raises(DataError, match="mine: a folder of files this program did not write") as info:
        write_scan(scans["wfdb"], out)
    assert "--overwrite" in str(info.value) and "\n" not in str(info.value)
    assert _tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_overwrite_replaces_a_folder_of_other_files_when_asked(scans, tmp_path):
    out = tmp_path / "mine"
    _users_folder(out)
    write_scan(scans["wfdb"], out, report=False, overwrite=True)
    assert _listing(out) == ["beats.csv", "summary.json", "w119.flag"] and (out / MARKER).is_file()


def test_an_earlier_scan_written_before_the_marker_may_be_replaced(scans, tmp_path):
    out = tmp_path / "old_scan"
    write_scan(scans["wfdb"], out, report=False)
    (out / MARKER).unlink()   # as a scan of an earlier version left it
    write_scan(scans["npy"], out, report=False)
    assert _listing(out) == ["beats.csv", "n119.flag", "summary.json"]


def test_the_recordings_own_folder_is_never_replaced(files, scans, tmp_path):
    folder = tmp_path / "recs"
    shutil.copytree(files, folder)
    result = dataclasses.replace(scans["wfdb"], recording=dataclasses.replace(scans["wfdb"].recording,
                                                                             path=str(folder / "w119.hea")))
    before = _tree(folder)
    for target in (folder, tmp_path):   # the recording's folder, and a folder above it
        with pytest.raises(DataError, match="holds the input w119.hea"):
            write_scan(result, target, overwrite=True)
    assert _tree(folder) == before


def test_a_symbolic_link_to_a_folder_is_written_through(scans, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_scan(scans["wfdb"], link, report=False)
    assert link.is_symlink() and _listing(real) == ["beats.csv", "summary.json", "w119.flag"]


def test_a_partial_folder_left_by_a_killed_run_is_removed_by_the_next(scans, tmp_path):
    leftover = tmp_path / ".out.k1ll3d.partial"
    leftover.mkdir()
    (leftover / "beats.csv").write_text("half")
    write_scan(scans["wfdb"], tmp_path / "out", report=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_writing_under_a_file_fails_and_leaves_nothing(scans, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    before = _listing(tmp_path)
    with pytest.raises(DataError, match="a_file") as info:
        write_scan(scans["wfdb"], tmp_path / "a_file" / "out")
    assert "\n" not in str(info.value)
    assert _listing(tmp_path) == before and (tmp_path / "a_file").read_text() == "not a folder"


# --- 5. the command line -------------------------------------------------------------------------------------------

def _bad_inputs(tmp, files, rec119):
    """name -> (arguments after "scan", a fragment the error line must hold)."""
    lonely = tmp / "lonely"
    lonely.mkdir()
    shutil.copy(files / "w119.hea", lonely)
    (tmp / "text.csv").write_text("MLII\n" + "abc\n" * FS * 20)
    np.savetxt(tmp / "nofs.csv", rec119[:FS * 60, 0], fmt="%.4f")
    short = _write_wfdb(tmp, "short", rec119[:FS * 60])
    np.save(tmp / "flat.npy", np.full(FS * 120, 0.3))
    return {
        "missing file": ([str(tmp / "nope.hea")], "nope.hea: file not found"),
        "header without its signal file": ([str(lonely / "w119.hea")], "w119.dat: signal file not found"),
        "CSV of text": ([str(tmp / "text.csv"), "--fs", "360"], "text.csv: line 2 holds 'abc'"),
        "CSV without --fs": ([str(tmp / "nofs.csv")], "nofs.csv: a CSV file does not state its sampling rate"),
        "wrong --fs": ([str(files / "w119.hea"), "--fs", "250"], "w119.hea: the file is sampled at 360 Hz, not 250"),
        "too short": ([str(short)], f"short.hea: only 65 readable beats found in 60 s of lead MLII; a scan needs "
                                    f"at least {MIN_BEATS}"),
        "all flat": ([str(tmp / "flat.npy"), "--fs", "360"], "flat.npy: only 0 readable beats"),
        "no such detector": ([str(files / "w119.hea"), "--detector", str(tmp / "no_model")], "no_model"),
    }


BAD = ["missing file", "header without its signal file", "CSV of text", "CSV without --fs", "wrong --fs", "too short",
       "all flat", "no such detector"]


@pytest.mark.parametrize("case", BAD)
def test_cli_bad_input_is_an_error_line_and_exit_code_2(files, rec119, detector, tmp_path, capsys, case):
    args, fragment = _bad_inputs(tmp_path, files, rec119)[case]
    out = tmp_path / "out"
    assert main(["scan", *args, "--out", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), lines
    assert fragment in lines[0], lines
    assert not out.exists()


def test_cli_bad_single_recording_gives_exactly_one_error_line(files, rec119, tmp_path, capsys):
    args, fragment = _bad_inputs(tmp_path, files, rec119)["missing file"]
    assert main(["scan", *args, "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


def test_cli_scans_two_recordings_into_one_subfolder_each(files, scans, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["scan", str(files / "w119.hea"), str(files / "n119.npy"), "--fs", "360", "--out", str(out),
                 "--no-report"]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "n119", "summary.csv", "w119"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.recording) == ["w119", "n119"] and list(summary.status) == ["ok", "ok"]
    for name, fmt in (("w119", "wfdb"), ("n119", "npy")):
        assert sorted(p.name for p in (out / name).iterdir()) == sorted(["beats.csv", f"{name}.flag", "summary.json",
                                                                         MARKER])
        table = pd.read_csv(out / name / "beats.csv")
        np.testing.assert_array_equal(table["sample"], scans[fmt].table["sample"])
        np.testing.assert_array_equal(table.flagged, scans[fmt].table.flagged)
        assert summary.set_index("recording").loc[name, "flagged"] == table.flagged.sum()


@pytest.mark.parametrize("where", ["a folder of notes", "the default ./scan", "the input folder", ".", ""])
def test_cli_never_deletes_the_users_files(files, tmp_path, capsys, monkeypatch, where):
    """Issue 22's data loss: --out at a folder of the user's own files exits 2, naming it, before any work; the
    input folder is refused even with --overwrite; nothing is left behind (no hidden folder either)."""
    recs = tmp_path / "recs"
    shutil.copytree(files, recs)
    monkeypatch.chdir(recs if where in (".", "") else tmp_path)
    if where == "a folder of notes":
        out, extra = "notes", []
        _users_folder(tmp_path / "notes")
    elif where == "the default ./scan":
        out, extra = None, []
        _users_folder(tmp_path / "scan")
    elif where == "the input folder":
        out, extra = str(recs), ["--overwrite"]
    else:
        out, extra = where, []
    before = {p: _tree(p) for p in (tmp_path, recs)}
    args = ["scan", str(recs / "w119.hea"), *extra] + ([] if out is None else ["--out", out])
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert {p: _tree(p) for p in (tmp_path, recs)} == before


def test_cli_overwrite_replaces_a_folder_of_notes(files, tmp_path, capsys):
    _users_folder(tmp_path / "notes")
    assert main(["scan", str(files / "w119.hea"), "--out", str(tmp_path / "notes"), "--no-report",
                 "--overwrite"]) == 0
    assert _listing(tmp_path / "notes") == ["beats.csv", "summary.json", "w119.flag"]


def test_cli_score_refuses_a_device_as_its_output(tmp_path, capsys):
    import os

    assert os.path.exists("/dev/full")
    assert main(["score", str(tmp_path / "det"), str(tmp_path / "x.csv"), "--out", "/dev/full"]) == 2
    assert "/dev/full: is not a regular file" in capsys.readouterr().err
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")


def test_cli_two_recordings_with_the_same_name_are_not_lost(files, tmp_path, capsys):
    shutil.copy(files / "n119.npy", tmp_path / "w119.npy")
    out = tmp_path / "out"
    rc = main(["scan", str(files / "w119.hea"), str(tmp_path / "w119.npy"), "--fs", "360", "--out", str(out),
               "--no-report"])
    assert rc != 0 or len([p for p in out.iterdir() if p.is_dir()]) == 2


# --- 6. reasons() and the summary ----------------------------------------------------------------------------------

def test_reasons_take_the_parts_that_carry_half_the_threshold():
    shape = np.array([9.0, 1.0, 5.0, 4.0, 3.99, 4.0, 20.0, 0.0])
    rhythm = np.array([0.5, 9.0, 5.0, 4.0, 4.02, 4.01, 20.0, 8.5])
    flagged = np.array([1, 1, 1, 1, 1, 1, 0, 1], bool)
    assert reasons(shape, rhythm, flagged, 8.0).tolist() == [
        "unusual shape", "premature", "premature, unusual shape", "premature, unusual shape", "premature",
        "premature, unusual shape", "", "premature"]


def test_every_beat_above_the_threshold_gets_a_reason():
    rng = np.random.default_rng(0)
    shape, rhythm = rng.exponential(2.0, 100_000), rng.exponential(2.0, 100_000)
    threshold = 6.0
    flagged = shape + rhythm > threshold
    why = reasons(shape, rhythm, flagged, threshold)
    assert flagged.sum() > 1000
    assert set(why[flagged]) == set(REASONS) and set(why[~flagged]) == {""}
    np.testing.assert_array_equal(np.char.find(why[flagged].astype(str), "unusual shape") >= 0,
                                  shape[flagged] >= threshold / 2)


@pytest.mark.parametrize("which", ["clean", "noisy"])
def test_summary_numbers_agree_with_the_table(scans, damaged, which):
    result = scans["wfdb"] if which == "clean" else damaged["noisy"]
    s, b = result.summary(), result.table
    scored, flagged = b[b.score.notna()], b[b.flagged]
    assert (s["beats"], s["beats_scored"], s["flagged"]) == (len(b), len(scored), len(flagged))
    assert s["burden_pct"] == pytest.approx(100 * len(flagged) / len(scored))
    assert s["flagged_per_hour"] == pytest.approx(len(flagged) * 3600 / SECONDS)
    assert sum(s["reasons"].values()) == len(flagged)
    assert s["heart_rate_bpm_median"] == pytest.approx(np.nanmedian(scored.heart_rate_bpm))
    assert sum(s["kinds"].values()) == len(flagged) and s["above_threshold"] >= len(flagged)
    for kind in KINDS[1:]:
        assert s["burden"][kind]["beats"] == s["kinds"][kind] == (b.kind == kind).sum()
        assert s["burden"][kind]["per_hour"] == pytest.approx(s["kinds"][kind] * 3600 / SECONDS)
    fam = result.families
    assert s["families"]["count"] == len(fam) and s["families"]["with_flags"] == (fam.flagged > 0).sum()
    assert fam.beats.sum() == len(scored) and fam.flagged.sum() == len(flagged) and fam.dominant.sum() == 1
    assert s["families"]["largest_V"]["kind"] == "ventricular"   # 119's ventricular beats: one family
    assert s["duration_s"] == pytest.approx(SECONDS) and s["threshold"] == result.threshold
    assert s["unreadable_s"] == pytest.approx(unreadable_mask(result.stretches, N).sum() / FS)
    assert (s["unreadable_s"] == 0) == (which == "clean")
    assert (s["beats_scored"] < s["beats"]) == (which == "noisy")  # the beats in the noise are not scored
    json.dumps(s)  # JSON-ready


@pytest.mark.parametrize("fs", [128, 250, 500])
def test_other_sampling_rates_give_the_same_findings(rec119, detector, mitdb_dir, fs):
    """Holters record at 128 to 1,000 Hz: the same ten minutes resampled find the same beats and flag the same ones."""
    from scipy import signal as sps

    x = sps.resample_poly(rec119[:, 0], fs, FS)
    result = scan(Recording(x, float(fs), "MLII", f"r{fs}", "memory", "npy", "mV"), detector)
    ref = read_record(mitdb_dir, "119")
    keep = np.isin(ref.ann_symbol, ["N", "V"]) & (ref.ann_sample < N - FS)
    samples = np.round(result.table["sample"].to_numpy() * FS / fs).astype(int)
    ref_match, _ = match_beats(samples, ref.ann_sample[keep], int(0.15 * FS))
    assert (ref_match >= 0).mean() > 0.99
    flagged = result.table["flagged"].to_numpy()[ref_match[ref_match >= 0]]
    is_v = ref.ann_symbol[keep][ref_match >= 0] == "V"
    assert flagged[is_v].mean() > 0.9 and flagged[~is_v].mean() < 0.05


def test_a_recording_built_by_hand_is_checked(detector):
    x = np.sin(np.arange(FS * 60) / 10.0)
    x[100] = np.nan
    with pytest.raises(DataError, match="1 samples are NaN"):
        scan(Recording(x, float(FS), "II", "hand", "memory", "npy", "mV"), detector)
    with pytest.raises(DataError, match="one lead"):
        scan(Recording(np.zeros((FS * 60, 2)), float(FS), "II", "hand", "memory", "npy", "mV"), detector)
    with pytest.raises(DataError, match="sampling rate 50.0 Hz"):
        scan(Recording(np.zeros(FS * 60), 50.0, "II", "hand", "memory", "npy", "mV"), detector)


# --- 7. disturbances and gaps: named, and the findings kept --------------------------------------------------------

@pytest.mark.parametrize("mv, hz", [(1.0, 50), (5.0, 60)])
def test_mains_hum_is_named_and_removed(rec119, detector, scans, mv, hz):
    """Issue 22: 1 mV of 50 Hz changed 7-16% of the flags and 5 mV made 41% of the beats false, unnamed."""
    x = rec119[:, 0] + mv * np.sin(2 * np.pi * hz * np.arange(N) / FS + 0.3)
    result = scan(Recording(x, float(FS), "MLII", "hum", "memory", "npy", "mV"), detector)
    found, ref = result.summary()["disturbances"], scans["npy"].table
    assert found["mains_hz"] == hz and found["mains_mv"] == pytest.approx(mv, rel=0.05)
    assert found["pacing_spikes"] == 0 and any(f"mains hum at {hz} Hz" in n for n in result.notes)
    assert len(result.table) == len(ref)
    assert (result.table.flagged.to_numpy() == ref.flagged.to_numpy()).mean() >= 0.99


def test_pacing_spikes_are_named(rec119, detector, scans, mitdb_dir, tmp_path):
    x = rec119[:, 0].copy()
    beats = wfdb.rdann(str(mitdb_dir / "119"), "atr", sampto=N).sample[1:-1]
    x[beats - int(0.04 * FS)] += 3.0  # a 3-mV spike of one sample 40 ms before each beat
    result = scan(Recording(x, float(FS), "MLII", "paced", "memory", "npy", "mV"), detector)
    found = result.summary()["disturbances"]
    assert found["mains_hz"] is None and abs(found["pacing_spikes"] - len(beats)) <= 0.02 * len(beats)
    assert any("pacemaker spikes" in n for n in result.notes)
    clean = scans["wfdb"].summary()
    assert clean["disturbances"] == {"mains_hz": None, "mains_mv": 0.0, "pacing_spikes": 0} and clean["notes"] == []
    write_scan(result, tmp_path / "out")
    assert "pacemaker spikes" in (tmp_path / "out" / "report.html").read_text()


def test_a_gap_keeps_every_later_beat_at_its_time(rec119, scans, tmp_path, capsys):
    """Issue 22: a CSV with 10 s of empty cells lost those samples, so every later beat came 10 s early."""
    end = A + 10 * FS
    lines = ["" if A <= k < end else f"{v:.4f}" for k, v in enumerate(rec119[:, 0])]
    (tmp_path / "gap.csv").write_text("MLII\n" + "\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["scan", str(tmp_path / "gap.csv"), "--fs", str(FS), "--out", str(out)]) == 0
    assert "note: 1 gap(s) without samples, 10.0 s" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duration_s"] == pytest.approx(SECONDS) and any("gap(s)" in n for n in summary["notes"])
    assert summary["unreadable"]["gap"] == pytest.approx(10 + 2 * PAD_S)
    got, ref = pd.read_csv(out / "beats.csv")["sample"].to_numpy(), scans["csv"].table["sample"].to_numpy()
    away = lambda s: s[(s < A - 5 * FS) | (s > end + 5 * FS)]  # noqa: E731
    # the same beats at the same samples (the R-peak detector's adaptive thresholds may add or miss one)
    assert np.isin(away(ref), got).mean() >= 0.99 and np.isin(away(got), ref).mean() >= 0.99
    assert "the file holds no samples here" in (out / "report.html").read_text()
