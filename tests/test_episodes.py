"""Rhythm episodes: the runs and patterns of a hand-made sequence where they are, and on ten minutes of the real
record 201 (atrial fibrillation until 378 s, then sinus rhythm with ventricular trigeminy from 554 s) the irregular
rhythm found as an ``(AFIB`` episode where the reference annotations put it, in ``summary.json``, the report and the
``.flag`` file as the MIT-BIH files write rhythm changes."""
import json

import numpy as np
import pandas as pd
import pytest
import wfdb

from ecg_utils.io.jsonable import jsonable
from ecg_utils.io.recording import Recording
from ecg_utils.io.records import read_record
from ecg_utils.scan.episodes import COLUMNS, RHYTHMS, rhythm_episodes
from ecg_utils.scan.output import write_scan
from ecg_utils.scan.report import report_html
from ecg_utils.scan.stages import scan

FS = 360
N = FS * 600


def _table(kinds, rr_s):
    """A beat table of ``kinds`` whose beats come ``rr_s`` apart (the first interval is before the first beat)."""
    time_s = np.cumsum(rr_s)
    rate = 60.0 / np.asarray(rr_s, dtype=float)
    rate[0] = np.nan
    return pd.DataFrame({"sample": np.round(time_s * FS).astype(np.int64), "time_s": time_s, "kind": kinds,
                         "heart_rate_bpm": rate})


def test_runs_and_patterns_of_a_hand_made_sequence_are_episodes_from_their_first_beat_to_their_last():
    kinds = ("N N V V V N N S S S S N V N V N V N N V V _ V N S S N N N".replace("_", "").split(" "))
    rr = np.full(len(kinds), 0.8)
    rr[3], rr[4] = 0.4, 0.5                        # the ventricular run: 60 / 0.45 s = 133 beats/min
    table = _table(kinds, rr)
    irregular = pd.DataFrame({"start": [table["sample"][24]], "end": [table["sample"][27]]})
    got = rhythm_episodes(table, irregular)
    assert list(got.columns) == list(COLUMNS) and got["start"].is_monotonic_increasing
    rows = {(r, int(a), int(b)) for r, a, b in zip(got.rhythm, got.start, got.end)}
    s = table["sample"]
    assert rows == {("(VT", s[2], s[4]), ("(SVTA", s[7], s[10]), ("(B", s[12], s[16]), ("(AFIB", s[24], s[27])}
    # not episodes: V V "" V (the unscored beat breaks the run), the S couplet, two V beats 2 normal beats apart
    vt = got[got.rhythm == "(VT"].iloc[0]
    assert vt.beats == 3 and vt.heart_rate_bpm == pytest.approx(60 / 0.45)
    assert vt.start_s == pytest.approx(table.time_s[2]) and vt.duration_s == pytest.approx(0.9)
    assert got[got.rhythm == "(B"].beats.iloc[0] == 5 and got[got.rhythm == "(SVTA"].beats.iloc[0] == 4
    assert got[got.rhythm == "(AFIB"].heart_rate_bpm.iloc[0] == pytest.approx(75)


def test_trigeminy_and_an_empty_table():
    table = _table(list("NNVNNVNNVNNVNNNN"), np.full(16, 1.0))
    got = rhythm_episodes(table, pd.DataFrame(columns=["start", "end"]))
    assert got[["rhythm", "start", "end", "beats"]].values.tolist() == [["(T", 2 * FS + FS, 11 * FS + FS, 10]]
    none = rhythm_episodes(table.iloc[:0], pd.DataFrame(columns=["start", "end"]))
    assert none.empty and list(none.columns) == list(COLUMNS)


@pytest.fixture(scope="module")
def af_scan(mitdb_dir):
    """Ten minutes of record 201, scanned with the shipped detector, and its reference rhythm annotations."""
    rec = read_record(mitdb_dir, "201")
    result = scan(Recording(rec.signal[:N], rec.fs, rec.lead, "201", "201", "wfdb", "mV"))
    reference = [(a, min(b, N)) for a, b in rec.rhythm_episodes(("(AFIB", "(AFL")) if a < N]
    return result, reference


def test_the_fibrillation_of_a_real_record_is_an_afib_episode_where_the_reference_puts_it(af_scan):
    result, reference = af_scan
    af = result.episodes[result.episodes.rhythm == "(AFIB"]
    assert len(af) >= 1 and set(result.episodes.rhythm) <= set(RHYTHMS)
    overlap = sum(max(0, min(e, b) - max(s, a)) for s, e in zip(af.start, af.end) for a, b in reference)
    assert overlap > 0.8 * sum(b - a for a, b in reference) and overlap > 0.8 * (af.end - af.start).sum()
    assert (af.heart_rate_bpm > 60).all() and (af.heart_rate_bpm < 150).all()
    assert af[["start", "end"]].values.tolist() == result.irregular[["start", "end"]].values.tolist()
    # the ventricular trigeminy the reference annotates from 554 s (sample 199610) is found there
    trig = result.episodes[result.episodes.rhythm == "(T"]
    assert ((trig.start_s > 550) & (trig.start_s < 560)).any()


def test_the_summary_lists_the_episodes_and_is_plain_json(af_scan):
    result, _ = af_scan
    s = json.loads(json.dumps(jsonable(result.summary()), allow_nan=False))
    ep = s["episodes"]
    assert set(ep["per_rhythm"]) == set(RHYTHMS) and len(ep["list"]) == len(result.episodes)
    for r, v in ep["per_rhythm"].items():
        mine = result.episodes[result.episodes.rhythm == r]
        assert v["episodes"] == len(mine) and v["duration_s"] == pytest.approx(mine.duration_s.sum())
    first = ep["list"][0]
    assert set(first) == {"start_s", "end_s", "duration_s", "beats", "heart_rate_bpm", "rhythm"}
    assert first["rhythm"] == "(AFIB" and first["beats"] == int(result.episodes.beats[0])
    assert s["irregular_rhythm"]["stretches"] == len(result.irregular)   # as it was, for compatibility


def test_the_flag_file_writes_rhythm_changes_that_wfdb_reads_back(af_scan, tmp_path):
    result, _ = af_scan
    write_scan(result, tmp_path / "out", report=False)
    ann = wfdb.rdann(str(tmp_path / "out" / "201"), "flag")
    assert (np.diff(ann.sample) >= 0).all()
    plus = np.array(ann.symbol) == "+"
    changes = [(int(s), a) for s, a in zip(ann.sample[plus], np.array(ann.aux_note)[plus])]
    ep = result.episodes
    assert len(changes) == 2 * len(ep)
    for rhythm, start in zip(ep.rhythm, ep.start):
        assert (int(start), rhythm) in changes
    af = ep[ep.rhythm == "(AFIB"].iloc[0]
    assert (int(af.end) + 1, "(N") in changes                         # sinus rhythm after the fibrillation
    assert (~plus).sum() == result.table.flagged.sum() + 2 * len(result.stretches)  # the flags are still there


def test_the_report_opens_with_the_irregular_rhythm_and_lists_the_episodes(af_scan, tmp_path):
    result, _ = af_scan
    page = report_html(result, tmp_path)
    opening = page.split('<p class="big">')[1].split("</p>")[0]
    minutes = result.irregular.duration_s.sum() / 60
    assert opening.startswith(f"Irregular rhythm (AF-like) for {minutes:.1f} min;") and "beats flagged" in opening
    section = page.split('id="episodes"')[1].split("<h2")[0]
    assert section.count("irregular rhythm (AF-like)") == len(result.irregular)  # one row each
    assert section.count("<tr>") == len(result.episodes) + 1
