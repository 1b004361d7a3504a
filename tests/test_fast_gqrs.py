"""The vectorized gqrs returns exactly wfdb's gqrs peaks, on real records at the rates the scan reads them."""

import numpy as np
import pytest
from scipy import signal as sps
from wfdb import processing

from ecg_utils.io.records import read_record
from ecg_utils.signal import fast_gqrs
from ecg_utils.signal.fast_gqrs import filter_steps, gqrs_detect


def _same_as_wfdb(x, fs, threshold):
    expected = np.asarray(processing.gqrs_detect(sig=np.asarray(x, dtype=np.float64), fs=fs, threshold=threshold))
    found = gqrs_detect(x, fs, threshold)
    assert len(expected) > 0 or len(x) < 10 * fs
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("threshold", [0.7, 1.0])
def test_the_peaks_of_208_are_wfdbs_at_360_and_180_hz(mitdb_dir, threshold):
    """Record 208 (992 V beats), two minutes: as recorded and resampled to 180 Hz (as the hybrid reads it)."""
    x = read_record(mitdb_dir, "208").signal[:360 * 120]
    _same_as_wfdb(x, 360.0, threshold)
    _same_as_wfdb(sps.resample_poly(x, 1, 2), 180.0, threshold)


def test_the_peaks_of_a_128_hz_svdb_record_are_wfdbs(svdb_dir):
    rec = read_record(svdb_dir, "805", lead="ECG1")
    _same_as_wfdb(rec.signal[:128 * 240], rec.fs, 0.7)


def test_a_signal_longer_than_gqrs_buffers_and_a_very_short_one(mitdb_dir):
    """Past 32,768 samples gqrs's circular buffers wrap (3 min at 180 Hz); a signal of a second ends mid-filter."""
    x = sps.resample_poly(read_record(mitdb_dir, "119").signal[:360 * 240], 1, 2)
    _same_as_wfdb(x, 180.0, 0.7)
    _same_as_wfdb(x[:180], 180.0, 0.7)


def test_filter_steps_match_wfdbs_filter_sample_by_sample(mitdb_dir):
    """The accumulator increments against wfdb's own ``qf`` run sample by sample on the same digital signal."""
    from wfdb.io.record import Record
    from wfdb.processing import qrs

    x = read_record(mitdb_dir, "201").signal[:360 * 20]
    record = Record(p_signal=x.reshape([-1, 1]), fmt=["24"])
    record.set_d_features(do_adc=True)
    d = record.d_signal[:, 0]
    conf = qrs.GQRS.Conf(fs=360.0, adc_gain=record.adc_gain[0])
    g = qrs.GQRS()
    g.c, g.x, g.adc_zero, g.v1 = conf, d, 0, 0
    g.qfv = np.zeros(conf._BUFLN, dtype="int64")
    g.smv = np.zeros(conf._BUFLN, dtype="int64")
    g.SIG_SMOOTH, g.SIG_QRS = [], []
    first, last = -conf.dt4, 3000
    steps = filter_steps(d, conf.dt, conf.smdt, 0, first, last)
    before = 0
    for i, t in enumerate(range(first, last + 1)):
        g.t = t
        g.qf()
        assert g.v1 - before == steps[i]
        before = g.v1


def test_an_unexpected_wfdb_falls_back_to_wfdbs_own_gqrs(mitdb_dir, monkeypatch):
    x = sps.resample_poly(read_record(mitdb_dir, "119").signal[:360 * 60], 1, 2)
    monkeypatch.setattr(fast_gqrs, "_EXPECTED", ("qf", "a_method_wfdb_does_not_have"))
    from wfdb.processing import qrs

    called = []
    real = qrs.gqrs_detect
    monkeypatch.setattr(qrs, "gqrs_detect", lambda **kw: called.append(1) or real(**kw))
    np.testing.assert_array_equal(gqrs_detect(x, 180.0, 0.7), real(sig=x, fs=180.0, threshold=0.7))
    assert called == [1]  # the fallback


def test_a_wfdb_whose_gqrs_disagrees_is_used_as_it_is_with_a_warning(mitdb_dir, monkeypatch):
    """Another wfdb whose gqrs changed inside (here: the filter made wrong on purpose) fails the once-per-process
    check on the synthetic ECG: wfdb's own gqrs is used, and the user is told once."""
    x = sps.resample_poly(read_record(mitdb_dir, "119").signal[:360 * 60], 1, 2)
    real = filter_steps
    monkeypatch.setattr(fast_gqrs, "filter_steps", lambda *a: 2 * real(*a))
    fast_gqrs.agrees_with_wfdb.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="does not agree with wfdb"):
            found = gqrs_detect(x, 180.0, 0.7)
        np.testing.assert_array_equal(found, processing.gqrs_detect(sig=x, fs=180.0, threshold=0.7))
    finally:
        fast_gqrs.agrees_with_wfdb.cache_clear()


def test_the_installed_wfdb_passes_the_self_check():
    import wfdb

    assert fast_gqrs.agrees_with_wfdb(wfdb.__version__)
