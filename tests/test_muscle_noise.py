"""Muscle noise (``ma`` from the Noise Stress Test Database) at 12 dB on both leads of a real record after its first
5 minutes, scanned by the shipped detector: flags the noise explains are not ectopy.

- A false detection in the noise is read as a ventricular beat; the normal beat after it comes "early", with the false
  beat's T wave in its P window: it is not S for its P wave (:func:`ecg_utils.scan.kinds.after`). Record 114 (sinus
  rhythm, 10 premature atrial beats).
- A normal beat the noise distorts a little, on time, "has no P wave" when its P window is noise, and its family is read
  as ventricular: with nothing else calling it V, it is unreadable (:data:`ecg_utils.scan.noisy_families.P_REASON`);
  so is a V call on time in such noise whose shape at most a handful of beats share
  (:data:`~ecg_utils.scan.noisy_families.HANDFUL_REASON`), and a beat of such a handful that splits an interval of
  the rhythm in two, mostly a false detection (:data:`~ecg_utils.scan.noisy_families.SPLIT_REASON`). Record 101 (sinus
  rhythm, no V beat). A flagged detection whose QRS barely rises above the noise in both leads is unreadable too
  (:data:`~ecg_utils.scan.noisy_families.FAINT_REASON`); with one lead, none is.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import noise_or_skip

from ecg_utils.detect.pretrained import load_detector
from ecg_utils.io.other_lead import read_other_lead
from ecg_utils.io.recording import Recording, read_recording
from ecg_utils.io.records import read_record
from ecg_utils.scan import kinds as kinds_module
from ecg_utils.scan import noisy_families, scan
from ecg_utils.scan.report import _noise_shapes
from ecg_utils.signal import artefact
from ecg_utils.signal.cutting import label_peaks
from ecg_utils.signal.noise_stress import CLEAN_S, add_noise

N_, S_, V_ = 0, 1, 2


@pytest.fixture(scope="module")
def ma(mitdb_dir):
    return noise_or_skip("ma", mitdb_dir)


def noisy_record(mitdb_dir, ma, name, snr=12.0) -> tuple:
    """Record ``name``'s two leads with ``ma`` noise at ``snr`` dB after :data:`CLEAN_S` (each lead its own noise
    channel, as ``nst`` does), its reference beats and classes."""
    rec = read_record(mitdb_dir, name)
    ref, classes = rec.beats()
    path = str(mitdb_dir / f"{name}.hea")
    other = read_other_lead(read_recording(path, lead=rec.lead))
    noise, noise_fs = ma
    leads = [Recording(add_noise(r.signal, rec.fs, ref, noise, noise_fs, snr, channel=c), rec.fs, r.lead, name, path,
                       "wfdb", "mV") for c, r in enumerate((rec, other))]
    return leads, ref, classes, rec.fs


def test_a_normal_beat_after_a_false_detection_is_not_s_for_its_p_wave(mitdb_dir, ma, monkeypatch):
    leads, ref, classes, fs = noisy_record(mitdb_dir, ma, "114")
    det = load_detector(None)[0]

    def called_s():
        t = scan(leads[0], det, other=leads[1]).table
        y = label_peaks(t["sample"].to_numpy(), ref, classes, fs)
        return int(((y == N_) & (t.kind == "S").to_numpy()).sum()), int(((y == S_) & (t.kind == "S").to_numpy()).sum())

    with_rule = called_s()
    monkeypatch.setattr(kinds_module, "after", lambda sample, which: np.zeros(len(which), dtype=bool))
    without = called_s()
    assert without[0] >= 12 and with_rule[0] <= without[0] / 2, (with_rule, without)
    assert with_rule[1] == without[1]  # the premature atrial beats keep their kind


def test_flags_resting_on_a_hidden_p_wave_a_one_off_shape_or_a_faint_qrs_in_noise_are_unreadable(mitdb_dir, ma, monkeypatch):
    leads, ref, classes, fs = noisy_record(mitdb_dir, ma, "101")
    det = load_detector(None)[0]
    result = scan(leads[0], det, other=leads[1])
    t = result.table
    y = label_peaks(t["sample"].to_numpy(), ref, classes, fs)
    hidden = (t.reason == noisy_families.P_REASON).to_numpy()
    assert hidden.sum() >= 20 and (y[hidden] == N_).mean() >= 0.9
    handful = (t.reason == noisy_families.HANDFUL_REASON).to_numpy()
    assert handful.sum() >= 3 and np.isin(y[handful], [N_, -1]).all()   # normal beats and false detections
    assert result.summary()["unreadable_noise_handful"] == handful.sum()
    split = (t.reason == noisy_families.SPLIT_REASON).to_numpy()
    assert split.sum() >= 8 and (y[split] == -1).mean() >= 0.8                # false detections between two beats
    assert result.summary()["unreadable_noise_split"] == split.sum()
    faint = (t.reason == noisy_families.FAINT_REASON).to_numpy()
    assert faint.sum() >= 8 and (y[faint] == -1).mean() >= 0.9                 # false detections in the noise
    assert result.summary()["unreadable_noise_faint"] == faint.sum()
    one_lead = scan(leads[0], det).table
    assert not (one_lead.reason == noisy_families.FAINT_REASON).any()          # a V beat can be small in one lead
    hidden |= handful | split | faint
    # the report says it in one sentence: how many, and each reason's count
    summary = result.summary()
    counts = {k: summary[f"unreadable_noise_{k}"] for k in noisy_families.REASONS}
    sentence = _noise_shapes(summary)
    assert f" {sum(counts.values()):,} more beats above the threshold are unreadable (noise)" in sentence
    assert all(f" {n:,}" in sentence for n in counts.values() if n)
    assert sentence.count(";") == sum(n > 0 for n in counts.values()) - 1           # one clause per reason found
    assert (t.time_s[hidden] > CLEAN_S).all()                        # in the noisy part only
    assert not t.flagged[hidden].any() and t.score[hidden].isna().all() and not t.readable[hidden].any()
    assert result.summary()["unreadable_noise_p_waves"] == (t.reason == noisy_families.P_REASON).sum()
    # without the rules the same beats are flagged V: they take flags back, they hide nothing else
    monkeypatch.setattr(noisy_families, "P_NOISY_FACTOR", np.inf)
    monkeypatch.setattr(artefact, "FAINT_RELATIVE", 0.0)
    before = scan(leads[0], det, other=leads[1]).table.set_index("sample")
    again = before.loc[t["sample"][hidden]]
    assert again.flagged.all() and (again.kind[~(split | faint)[hidden]] == "V").all() and (again.kind != "N").all()
