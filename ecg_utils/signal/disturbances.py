"""Disturbances a scan names, each a plain measurement of the signal: mains hum and pacemaker spikes.

``mains hum``
    The power line's 50 or 60 Hz (and harmonics) picked up by the leads: in 10-s stretches spread over the
    recording (at most :data:`HUM_CHUNKS`), a Welch spectrum whose power in the line's 2-Hz band stands
    :data:`HUM_RATIO` times above the spectrum beside it (2-6 Hz away) and is at least :data:`HUM_MV` peak. Found in
    :data:`HUM_SHARE` of the stretches, it is named and removed (:func:`remove_hum`: a zero-phase notch at the line
    frequency and each harmonic below the Nyquist frequency). On the 44 shared MIT-BIH records (recorded on 60 Hz
    mains and filtered) no stretch has any.
``pacing spikes``
    A pacemaker's stimulus is a spike of 0.5-2 ms: narrower than any part of a QRS. A sample that stands above the
    mean of its neighbours 4 ms away by :data:`PACING_RATIO` times the recording's QRS amplitude
    (:func:`ecg_utils.io.recording.amplitudes`) is a spike; at least one a minute (and :data:`PACING_MIN`) are named
    and counted, not removed: paced beats differ from the unpaced beats the shipped detector learned. On the MIT-BIH
    records no unpaced record has one; the paced ones (102, 104, 107, 217) were filtered below 100 Hz, which
    smears their spikes below this level.

Examples
--------
>>> found = find_disturbances(signal, fs)                     # doctest: +SKIP
>>> found.summary()                                           # doctest: +SKIP
{'mains_hz': 50.0, 'mains_mv': 1.0, 'pacing_spikes': 0}
>>> clean = remove_hum(signal, fs, found.mains_hz)            # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecg_utils.io.recording import amplitudes

MAINS_HZ = (50.0, 60.0)
HUM_RATIO = 10.0
HUM_MV = 0.02
HUM_SHARE = 0.1
HUM_CHUNKS = 60
#: The notch filter's quality factor (bandwidth = frequency / Q: 1.7 Hz at 50 Hz).
NOTCH_Q = 30.0
PACING_RATIO = 0.6
PACING_MIN = 10
#: Spikes closer than this (s) are one.
PACING_REFRACTORY_S = 0.2


@dataclass
class Disturbances:
    """What :func:`find_disturbances` found: the mains frequency (None: no hum) and its amplitude (peak, mV), the
    share of 10-s stretches holding it, and the pacing spikes' samples (named only when at least :data:`PACING_MIN`
    and one a minute)."""

    mains_hz: float | None = None
    mains_mv: float = 0.0
    mains_share: float = 0.0
    spikes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    duration_s: float = 0.0

    @property
    def paced(self) -> bool:
        return len(self.spikes) >= max(PACING_MIN, self.duration_s / 60)

    def summary(self) -> dict:
        """``{"mains_hz": 50.0 or None, "mains_mv": ..., "pacing_spikes": n}`` (n is 0 unless named)."""
        return {"mains_hz": self.mains_hz, "mains_mv": round(self.mains_mv, 3) if self.mains_hz else 0.0,
                "pacing_spikes": int(len(self.spikes)) if self.paced else 0}

    def notes(self) -> list:
        """One line per disturbance found, for a person."""
        out = []
        if self.mains_hz:
            out.append(f"mains hum at {self.mains_hz:g} Hz (about {self.mains_mv:.2g} mV, in "
                       f"{100 * self.mains_share:.0f}% of the recording): removed by a notch filter")
        if self.paced:
            out.append(f"{len(self.spikes):,} pacemaker spikes: paced beats differ from the unpaced beats the "
                       "detector learned; review its flags with that in mind")
        return out


def mains_hum(signal, fs):
    """``(frequency, amplitude in mV, share of 10-s stretches)`` of the mains hum, or ``(None, 0, share)``."""
    from scipy import signal as sps

    x = np.asarray(signal, dtype=np.float64)
    size = int(10 * fs)
    lines = [hz for hz in MAINS_HZ if hz + 6 < fs / 2]
    if x.size < size or not lines:
        return None, 0.0, 0.0
    starts = np.unique(np.linspace(0, x.size - size, min(HUM_CHUNKS, x.size // size)).astype(np.int64))
    chunks = x[starts[:, None] + np.arange(size)[None, :]]
    freqs, psd = sps.welch(chunks, fs=fs, nperseg=int(2 * fs), axis=-1)
    df = freqs[1] - freqs[0]
    best = (None, 0.0, 0.0)
    for hz in lines:
        line = np.abs(freqs - hz) <= 1.0
        beside = (np.abs(freqs - hz) >= 2.0) & (np.abs(freqs - hz) <= 6.0)
        floor = np.median(psd[:, beside], axis=1)
        peak = psd[:, line].max(axis=1)
        amplitude = np.sqrt(2 * np.clip(psd[:, line] - floor[:, None], 0, None).sum(axis=1) * df)
        hum = (peak > HUM_RATIO * np.maximum(floor, 1e-30)) & (amplitude >= HUM_MV)
        if hum.mean() > best[2]:
            best = (hz, float(np.median(amplitude[hum])), float(hum.mean()))
    return best if best[2] >= HUM_SHARE else (None, 0.0, best[2])


def remove_hum(signal, fs, hz) -> np.ndarray:
    """``signal`` with a zero-phase notch (Q :data:`NOTCH_Q`) at ``hz`` and each of its harmonics below
    the Nyquist frequency."""
    from scipy import signal as sps

    x = np.asarray(signal, dtype=np.float64)
    for k in range(1, int((fs / 2 - 1) // hz) + 1):
        b, a = sps.iirnotch(k * hz, NOTCH_Q, fs=fs)
        x = sps.filtfilt(b, a, x)
    return x


def pacing_spikes(signal, fs) -> np.ndarray:
    """The samples of the pacing spikes (see the module docstring), in time order."""
    x = np.asarray(signal, dtype=np.float64)
    w = max(1, int(round(0.004 * fs)))
    qrs, _ = amplitudes(x, fs)
    if qrs is None or x.size < 2 * w + 3:
        return np.zeros(0, dtype=np.int64)
    s = np.zeros(x.size)
    d = s[w:-w]  # |x - the mean of its neighbours w samples away|, computed in place (24 hours: 31 M samples)
    np.add(x[:-2 * w], x[2 * w:], out=d)
    d *= 0.5
    np.subtract(x[w:-w], d, out=d)
    np.abs(d, out=d)
    above = np.flatnonzero(s[1:-1] > PACING_RATIO * qrs) + 1  # few: the local-maximum test only there
    peak = above[(s[above] >= s[above - 1]) & (s[above] > s[above + 1])]
    keep, last = [], -np.inf
    for p in peak:
        if p - last >= PACING_REFRACTORY_S * fs:
            keep.append(p)
            last = p
    return np.asarray(keep, dtype=np.int64)


def find_disturbances(signal, fs) -> Disturbances:
    """The mains hum and pacing spikes of ``signal`` (mV, at ``fs`` Hz); spikes are looked for after the hum is
    removed."""
    hz, mv, share = mains_hum(signal, fs)
    clean = remove_hum(signal, fs, hz) if hz else signal
    return Disturbances(hz, mv, share, pacing_spikes(clean, fs), len(signal) / fs)
