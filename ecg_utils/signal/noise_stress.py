"""The noise stress test of ANSI/AAMI EC57: real noise added to a clean record at a chosen signal-to-noise ratio.

The MIT-BIH Noise Stress Test Database (Moody, Muldrow and Mark 1984) holds three 30-minute noise records, 360 Hz,
two channels: ``bw`` (baseline wander), ``ma`` (muscle artefact) and ``em`` (electrode motion, the hardest: it looks
like beats). EC57 adds one of them to a clean record at 24, 18, 12, 6, 0 and -6 dB, leaving the first 5 minutes
clean, and scores the detector against the clean record's reference annotations. The SNR is measured as WFDB's
``nst`` measures it:

- signal power ``S = A**2 / 8``, ``A`` the median peak-to-peak amplitude of the clean record's QRS complexes
  (:func:`signal_power`);
- noise power ``N``: the mean over 1-s windows of the noise's variance, so that slow drift does not count
  (:func:`noise_power`);
- ``SNR = 10 log10(S / N)`` dB.

The noise folder is a setting: ``$ECG_NSTDB_DIR``, else the folder ``nstdb-noise`` beside the MIT-BIH folder
(:func:`ecg_utils.io.records.find_data_dir`).

Examples
--------
>>> rec = read_record(find_data_dir(), "119")                                    # doctest: +SKIP
>>> noise, noise_fs = read_noise("em")                                           # doctest: +SKIP
>>> noisy = add_noise(rec.signal, rec.fs, rec.beats()[0], noise, noise_fs, snr_db=6)  # doctest: +SKIP
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError

#: The three noise records.
KINDS = ("bw", "ma", "em")
#: The SNRs (dB) of the EC57 noise stress test.
EC57_SNRS = (24, 18, 12, 6, 0, -6)
#: The environment variable naming the folder of the noise records.
NOISE_ENV = "ECG_NSTDB_DIR"
#: The folder's name beside the MIT-BIH folder when ``$ECG_NSTDB_DIR`` is not set.
NOISE_FOLDER = "nstdb-noise"
#: The first seconds of a record that stay clean (EC57).
CLEAN_S = 300.0
#: Half-width (seconds) of the window around each reference beat where its QRS peak-to-peak amplitude is measured:
#: the MIT-BIH annotations sit on the R wave and a QRS lasts 80-120 ms, so +-60 ms spans it without reaching the
#: P or T wave at ordinary heart rates.
QRS_HALF_WIDTH_S = 0.06
#: The window (seconds) over which the noise's variance is taken before averaging.
NOISE_WINDOW_S = 1.0
#: The shortest noise accepted (seconds, after resampling): it is tiled over a longer record, and a shorter one
#: would repeat visibly.
MIN_NOISE_S = 60.0


def find_noise_dir(folder=None, data_dir=None) -> Path:
    """The folder of the noise records: ``folder``, else ``$ECG_NSTDB_DIR``, else ``nstdb-noise`` beside the
    MIT-BIH folder (:func:`ecg_utils.io.records.find_data_dir` of ``data_dir``).

    Raises
    ------
    DataError
        When that folder does not exist (naming it and the setting), or no MIT-BIH folder is found to look beside.
    """
    from ecg_utils.io.records import find_data_dir

    if folder is not None:
        path, how = Path(folder), "the folder given"
    elif os.environ.get(NOISE_ENV):
        path, how = Path(os.environ[NOISE_ENV]), f"${NOISE_ENV}"
    else:
        path = find_data_dir(data_dir).parent / NOISE_FOLDER
        how = f"beside the MIT-BIH folder (${NOISE_ENV} is not set)"
    if not path.is_dir():
        raise DataError(f"{path}: no such folder of MIT-BIH Noise Stress Test records ({how}); set {NOISE_ENV} to "
                        f"the folder holding {', '.join(k + '.hea/.dat' for k in KINDS)}")
    return path


def read_noise(kind, folder=None) -> tuple:
    """Read one noise record of the MIT-BIH Noise Stress Test Database.

    Parameters
    ----------
    kind : {"bw", "ma", "em"}
        Baseline wander, muscle artefact or electrode motion.
    folder : path, optional
        The folder holding ``bw.hea``, ``bw.dat``, ...; default :func:`find_noise_dir`.

    Returns
    -------
    noise : float64 array (n, 2)
        Both channels, in millivolts.
    fs : float
        Its sampling rate (360 Hz).

    Raises
    ------
    DataError
        For an unknown kind, a missing folder or file, or a signal file that does not match its header.

    Examples
    --------
    >>> noise, fs = read_noise("em")                                             # doctest: +SKIP
    >>> noise.shape, fs                                                          # doctest: +SKIP
    ((650000, 2), 360.0)
    """
    from ecg_utils.io.wfdb_io import read_header, read_signal

    if kind not in KINDS:
        raise DataError(f"unknown noise kind {kind!r}: the noise records are {', '.join(KINDS)}")
    hea = find_noise_dir(folder) / f"{kind}.hea"
    if not hea.is_file():
        raise DataError(f"{hea}: noise record {kind} not found")
    header = read_header(hea)
    n = len(header.sig_name or [])
    if n < 2:
        raise DataError(f"{hea}: a noise record has 2 channels, this one {n}")
    noise = np.column_stack([read_signal(hea, header, i, check_all=i == 0) for i in range(2)])
    if not np.isfinite(noise).all():
        raise DataError(f"{hea}: {int((~np.isfinite(noise)).sum())} noise samples are invalid (NaN)")
    return noise, float(header.fs)


def _check_signal(x, what) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise DataError(f"{what}: expected a non-empty 1-D array, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise DataError(f"{what}: {int((~np.isfinite(x)).sum())} samples are NaN or infinite")
    return x


def signal_power(signal, fs, beat_samples, half_width_s=QRS_HALF_WIDTH_S) -> float:
    """The signal power of EC57's SNR: ``(median QRS peak-to-peak amplitude) ** 2 / 8``.

    Parameters
    ----------
    signal : float array (n,)
        The clean record, in millivolts.
    fs : float
    beat_samples : int array
        The reference beats (R-peak positions in samples).
    half_width_s : float
        Each QRS's peak-to-peak amplitude is taken over ``beat +- half_width_s`` (:data:`QRS_HALF_WIDTH_S`, 60 ms).

    Returns
    -------
    float
        In mV²: the power of a sine whose peak-to-peak amplitude is the median QRS's.

    Raises
    ------
    DataError
        For an empty or non-finite signal, or no beat inside it.

    Examples
    --------
    >>> x = np.zeros(1000); x[100::200] = 2.0                  # five 2-mV spikes
    >>> signal_power(x, 100.0, np.arange(100, 1000, 200))
    0.5
    """
    x = _check_signal(signal, "signal")
    beats = np.asarray(beat_samples, dtype=np.int64).ravel()
    beats = beats[(beats >= 0) & (beats < len(x))]
    if beats.size == 0:
        raise DataError("signal_power: no reference beat lies inside the signal")
    h = max(1, int(round(half_width_s * fs)))
    padded = np.pad(x, h, mode="edge")  # repeating the end values leaves each window's peak-to-peak as it is
    amp = np.ptp(padded[beats[:, None] + np.arange(2 * h + 1)[None, :]], axis=1)
    return float(np.median(amp) ** 2 / 8)


def noise_power(noise, fs, window_s=NOISE_WINDOW_S) -> float:
    """The noise power of EC57's SNR: the mean over consecutive 1-s windows of the noise's variance.

    Taking the variance per window leaves out slow drift (the baseline wander's own mean level). A last window
    shorter than ``window_s`` is left out; a noise shorter than one window is taken whole.

    Raises
    ------
    DataError
        For an empty or non-finite noise.

    Examples
    --------
    >>> noise_power(np.tile([1.0, -1.0], 50) + np.repeat([0.0, 5.0], 50), 10.0)   # the 5-mV step does not count
    1.0
    """
    x = _check_signal(noise, "noise")
    size = max(1, int(round(window_s * fs)))
    k = len(x) // size
    if k == 0:
        return float(np.var(x))
    return float(np.var(x[:k * size].reshape(k, size), axis=1).mean())


def resample_noise(noise, noise_fs, fs) -> np.ndarray:
    """``noise`` (n,) or (n, channels) from ``noise_fs`` to ``fs`` by polyphase filtering
    (:func:`scipy.signal.resample_poly`; the ratio as a fraction with a denominator up to 1000)."""
    from scipy.signal import resample_poly

    noise = np.asarray(noise, dtype=np.float64)
    if fs == noise_fs:
        return noise.copy()
    ratio = Fraction(float(fs) / float(noise_fs)).limit_denominator(1000)
    return resample_poly(noise, ratio.numerator, ratio.denominator, axis=0)


def add_noise(signal, fs, beat_samples, noise, noise_fs, snr_db, clean_s=CLEAN_S, channel=0) -> np.ndarray:
    """A copy of ``signal`` with ``noise`` added after its first ``clean_s`` seconds, at ``snr_db`` dB.

    What ``nst`` and EC57 do, on one lead: the noise (one channel) is resampled to ``fs``; its piece from
    ``clean_s`` to the signal's end is taken from the same offset in the noise record (the record tiled end to end
    when the signal is longer), its mean removed (an electrode's DC offset is not noise and would put a step at
    ``clean_s``), and scaled so that ``10 log10(signal_power / noise_power(piece)) == snr_db``
    (:func:`signal_power` of the clean signal at ``beat_samples``, :func:`noise_power`). Deterministic: no
    randomness.

    Parameters
    ----------
    signal, fs, beat_samples
        The clean record in millivolts, its rate and its reference beats, as for :func:`signal_power`.
    noise : float array (m,) or (m, channels)
        A noise record (:func:`read_noise`).
    noise_fs : float
    snr_db : float
    clean_s : float
        Seconds left clean at the start (EC57: 5 minutes).
    channel : int
        The noise channel added.

    Returns
    -------
    float64 array (n,)
        ``signal`` unchanged over ``[0, clean_s)``, with the scaled noise from there on.

    Raises
    ------
    DataError
        For an empty or non-finite signal or noise, a signal no longer than ``clean_s``, a missing channel, a
        noise shorter than :data:`MIN_NOISE_S` seconds or without variance, or a non-finite ``snr_db``.

    Examples
    --------
    >>> x = np.zeros(3600); x[50::100] = 1.0                          # 36 s at 100 Hz, a 1-mV spike a second
    >>> e = np.sin(np.arange(10000) * 0.3)                            # a "noise record" at 100 Hz
    >>> y = add_noise(x, 100.0, np.arange(50, 3600, 100), e, 100.0, snr_db=0.0, clean_s=10.0)
    >>> snr = 10 * np.log10(signal_power(x, 100.0, np.arange(50, 3600, 100)) / noise_power(y[1000:] - x[1000:], 100.0))
    >>> bool((y[:1000] == x[:1000]).all()), round(float(snr), 6)
    (True, 0.0)
    """
    x = _check_signal(signal, "signal")
    if not np.isfinite(snr_db):
        raise DataError(f"snr_db must be a finite number of dB, got {snr_db!r}")
    noise = np.asarray(noise, dtype=np.float64)
    noise = noise[:, None] if noise.ndim == 1 else noise
    if noise.ndim != 2 or noise.shape[0] == 0:
        raise DataError(f"noise: expected an array (samples,) or (samples, channels), got shape {noise.shape}")
    if not -noise.shape[1] <= channel < noise.shape[1]:
        raise DataError(f"noise: no channel {channel}: it has {noise.shape[1]}")
    piece_all = _check_signal(noise[:, channel], f"noise channel {channel}")
    start = int(round(clean_s * fs))
    if not 0 <= start < len(x) - 1:
        raise DataError(f"signal: {len(x) / fs:.1f} s long, nothing left to add noise to after the first "
                        f"{clean_s:g} s (clean_s)")
    resampled = resample_noise(piece_all, noise_fs, fs)
    if len(resampled) < MIN_NOISE_S * fs:
        raise DataError(f"noise: {len(resampled) / fs:.1f} s long, shorter than the {MIN_NOISE_S:g} s needed (it is "
                        "tiled over the record, and a short noise would repeat visibly)")
    idx = np.arange(start, len(x)) % len(resampled)  # the same offset as in the signal, tiled past its end
    piece = resampled[idx]
    piece = piece - piece.mean()
    n_power = noise_power(piece, fs)
    if not n_power > 0:
        raise DataError(f"noise channel {channel}: no variance over the {len(piece) / fs:.0f} s to add: cannot be "
                        "scaled to an SNR")
    gain = np.sqrt(signal_power(x, fs, beat_samples) / (n_power * 10 ** (snr_db / 10)))
    out = x.copy()
    out[start:] += gain * piece
    return out
