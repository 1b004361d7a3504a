"""Unreadable stretches: the noise test's windows read by threads side by side find what one thread finds."""

import numpy as np

from ecg_utils.io.records import read_record
from ecg_utils.signal import quality


def test_noisy_windows_read_by_threads_are_those_read_by_one(mitdb_dir, monkeypatch):
    """Record 119 repeated to 3 hours (4,319 half-overlapping 5-s windows: two chunks of about 2,000), with two
    minutes of white noise written in."""
    x = np.tile(read_record(mitdb_dir, "119").signal, 6)
    x[360 * 4000:360 * 4120] = np.random.default_rng(0).normal(0, np.std(x), 360 * 120)
    monkeypatch.setattr(quality, "local_cores", lambda: 2)
    two = quality.noisy_stretches(x, 360.0)
    monkeypatch.setattr(quality, "local_cores", lambda: 1)
    one = quality.noisy_stretches(x, 360.0)
    assert two == one and any(a <= 360 * 4000 + 360 * 60 <= b for a, b in one)
