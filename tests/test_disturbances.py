"""Mains hum and pacing spikes: found where they are (at any mains frequency, amplitude and sampling rate), not
where they are not (real MIT-BIH records), and the hum removed without changing the ECG."""
import numpy as np
import pytest
import wfdb
from scipy import signal as sps

from ecg_utils.signal.disturbances import find_disturbances, mains_hum, pacing_spikes, remove_hum

FS = 360
RECORDS = ("119", "208", "201", "203")  # trigeminy, many V beats, atrial fibrillation, noisy


@pytest.fixture(scope="module")
def records(mitdb_dir):
    return {r: wfdb.rdrecord(str(mitdb_dir / r), sampto=FS * 300, channels=[0]).p_signal[:, 0] for r in RECORDS}


@pytest.mark.parametrize("record", RECORDS)
def test_real_records_have_no_disturbance(records, record):
    found = find_disturbances(records[record], FS)
    assert found.summary() == {"mains_hz": None, "mains_mv": 0.0, "pacing_spikes": 0} and found.notes() == []


@pytest.mark.parametrize("hz", [50, 60])
@pytest.mark.parametrize("mv", [0.05, 0.5, 5.0])
@pytest.mark.parametrize("fs", [250, 500])
def test_mains_hum_is_found_measured_and_removed(records, hz, mv, fs):
    x = sps.resample_poly(records["208"], fs, FS)
    hum = mv * np.sin(2 * np.pi * hz * np.arange(x.size) / fs + 1.0) + 0.2 * mv * np.sin(4 * np.pi * hz * np.arange(x.size) / fs)
    found_hz, found_mv, share = mains_hum(x + hum, fs)
    assert found_hz == hz and found_mv == pytest.approx(mv, rel=0.05) and share == 1.0
    cleaned = remove_hum(x + hum, fs, hz)
    inner = slice(fs, -fs)  # the filter's edges aside
    assert np.abs(cleaned - x)[inner].max() < 0.05 + 0.01 * mv  # the hum and its harmonic gone, the ECG kept


@pytest.mark.parametrize("fs", [360, 500, 1000])
def test_pacing_spikes_are_counted_at_any_rate(records, mitdb_dir, fs):
    x = sps.resample_poly(records["119"], fs, FS)
    beats = wfdb.rdann(str(mitdb_dir / "119"), "atr", sampto=FS * 300).sample[1:-1] * fs // FS
    width = max(1, int(0.001 * fs))  # 1 ms
    for b in beats:
        x[b - int(0.04 * fs):b - int(0.04 * fs) + width] += 2.5
    spikes = pacing_spikes(x, fs)
    assert abs(len(spikes) - len(beats)) <= 2
    assert np.abs(spikes - (beats - int(0.04 * fs))[np.searchsorted(beats - int(0.04 * fs), spikes).clip(0, len(beats) - 1)]).max() <= width
    assert find_disturbances(x, fs).paced
