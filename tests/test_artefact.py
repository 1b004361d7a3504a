"""Artefact is not ectopy (:mod:`ecg_utils.signal.artefact`): with electrode-motion noise added to both leads of a real
record, the detections the noise makes are unreadable instead of flagged, while the clean record keeps its beats.

Ten minutes of record 119 (ventricular trigeminy), ``em`` noise from the Noise Stress Test Database after the first
5 minutes, at 6 dB; the shipped detector.
"""
from __future__ import annotations

import numpy as np
import pytest
import wfdb
from conftest import noise_or_skip

from ecg_utils.detect.pretrained import load_detector
from ecg_utils.io.records import read_record
from ecg_utils.scan import scan
from ecg_utils.scan.noisy_families import REASON as NOISE_REASON
from ecg_utils.scan.noisy_families import REASONS as NOISE_REASONS
from ecg_utils.scan.table import ARTEFACT_REASON
from ecg_utils.signal.artefact import KIND, artefact, has_lookalike, near, second_lead_support
from ecg_utils.signal.matching import match_beats
from ecg_utils.signal.noise_stress import add_noise

SECONDS, CLEAN_S = 600, 300


@pytest.fixture(scope="module")
def em(mitdb_dir):
    return noise_or_skip("em", mitdb_dir)


@pytest.fixture(scope="module")
def scans(mitdb_dir, em, tmp_path_factory):
    """Record 119's first ten minutes, clean and with em noise at 6 dB on both leads after 5 minutes, scanned."""
    rec = read_record(mitdb_dir, "119")
    both = wfdb.rdrecord(str(mitdb_dir / "119"), sampto=int(SECONDS * rec.fs))
    samples, classes = rec.beats()
    keep = samples < SECONDS * rec.fs
    samples, classes = samples[keep], classes[keep]
    noise, noise_fs = em
    folder = tmp_path_factory.mktemp("em")
    out = {}
    for name, snr in (("clean", None), ("noisy", 6.0)):
        sig = both.p_signal.copy()
        if snr is not None:
            for c in range(2):
                sig[:, c] = add_noise(sig[:, c], rec.fs, samples, noise, noise_fs, snr, clean_s=CLEAN_S, channel=c)
        wfdb.wrsamp(name, fs=rec.fs, units=["mV", "mV"], sig_name=both.sig_name, p_signal=sig, fmt=["16", "16"],
                    adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(folder))
        out[name] = scan(folder / f"{name}.hea", load_detector(None)[0])
    return out, samples, classes, rec.fs


def _false_beats(result, samples, fs):
    table = result.table
    _, matched = match_beats(table["sample"].to_numpy(), samples, int(0.15 * fs))
    return table[~matched & (table["sample"] >= CLEAN_S * fs)]


def test_noise_detections_are_unreadable_not_flagged(scans):
    results, samples, _, fs = scans
    false = _false_beats(results["noisy"], samples, fs)
    assert len(false) > 50                                            # the noise makes "beats"
    assert (~false.readable).mean() >= 0.85 and false.flagged.mean() <= 0.1
    st = results["noisy"].stretches
    artefact_s = st.duration_s[st.kind == KIND].sum()
    assert artefact_s > 60 and (st.start[st.kind == KIND] >= (CLEAN_S - 10) * fs).all()   # in the noisy part only
    reasons = set(false.reason[~false.readable])
    assert reasons <= {ARTEFACT_REASON, *NOISE_REASONS.values(), f"unreadable signal ({KIND})",
                       "unreadable signal (noisy)", f"unreadable signal (noisy, {KIND})",
                       f"unreadable signal ({KIND}, noisy)"}, reasons


def test_a_clean_two_lead_record_keeps_its_beats(scans):
    results, samples, classes, fs = scans
    clean = results["clean"]
    assert not (clean.stretches.kind == KIND).any()
    ref_match, _ = match_beats(clean.table["sample"].to_numpy(), samples, int(0.15 * fs))
    found = ref_match >= 0
    v = (classes == 2) & found
    assert clean.table.readable.to_numpy()[ref_match[v]].mean() == 1.0        # no V beat hidden as artefact
    assert (clean.table.reason == ARTEFACT_REASON).sum() <= 2


def test_flags_whose_family_lives_only_in_noise_are_unreadable(scans):
    """Beats the noise distorts into shapes found nowhere in the clean minutes are unreadable, with the reason; the
    clean scan keeps every flag, and the ventricular beats of the clean minutes stay flagged in the noisy scan."""
    results, samples, classes, fs = scans
    noisy, clean = results["noisy"].table, results["clean"].table
    taken = noisy[noisy.reason == NOISE_REASON]
    assert len(taken) >= 10 and (taken["sample"] >= (CLEAN_S - 15) * fs).all()
    assert not taken.readable.any() and not taken.flagged.any() and taken.score.isna().all()
    assert not (clean.reason == NOISE_REASON).any()
    ref_match, _ = match_beats(noisy["sample"].to_numpy(), samples, int(0.15 * fs))
    v_clean = (classes == 2) & (ref_match >= 0) & (samples < CLEAN_S * fs)
    assert noisy.flagged.to_numpy()[ref_match[v_clean]].mean() > 0.95
    normal_noisy = (classes == 0) & (ref_match >= 0) & (samples >= CLEAN_S * fs)
    assert noisy.flagged.to_numpy()[ref_match[normal_noisy]].mean() < 0.1
    # the family table counts the flags that stand, as the beat table does
    fam = results["noisy"].families
    per_family = noisy[noisy.flagged].groupby("family").size()
    assert fam.flagged.tolist() == [int(per_family.get(f, 0)) for f in fam.family]
    assert results["noisy"].summary()["unreadable_noise_shapes"] == len(taken)


def test_the_second_lead_supports_its_qrs_and_not_a_spike_of_the_first(mitdb_dir):
    rec = read_record(mitdb_dir, "119")
    v1 = wfdb.rdrecord(str(mitdb_dir / "119"), sampto=int(120 * rec.fs), channel_names=["V1"]).p_signal[:, 0]
    samples = rec.beats()[0]
    samples = samples[(samples > rec.fs) & (samples < 119 * rec.fs)]
    assert second_lead_support(v1, rec.fs, samples).mean() > 0.95
    between = ((samples[:-1] + samples[1:]) // 2)[::2]                    # halfway between beats: nothing there
    assert second_lead_support(v1, rec.fs, between).mean() < 0.2


def test_artefact_windows_and_helpers():
    fs, n = 100.0, 6000
    peaks = np.arange(50, n, 80)
    agreed = peaks.copy()
    extra = np.array([1040, 1050, 1060, 4020])                            # three in one 10-s window, one alone
    allp = np.sort(np.concatenate([peaks, extra]))
    unsupported, runs = artefact(allp, fs, n, agreed, support=np.isin(allp, peaks))
    assert set(allp[unsupported]) == set(extra)
    assert runs == [(1000, 2000)]
    assert near([10, 50], [12], 3).tolist() == [True, False]
    X = np.vstack([np.sin(np.linspace(0, 3, 40))] * 3 + [np.random.default_rng(0).normal(size=40)])
    assert has_lookalike(X, [0, 3]).tolist() == [True, False]
