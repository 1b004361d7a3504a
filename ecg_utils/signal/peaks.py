"""Signal -> R-peaks: where the beats of a recording without beat annotations are, each beat found once.

Three well-kept detectors, each with a known weakness (measured on the MIT-BIH records with the EC57 rule, see
``python -m bench.peaks`` and the README):

``"sleepecg"``
    ``sleepecg.detect_heartbeats``: very fast and well placed on the R wave, but misses about one ventricular beat
    in ten.
``"pantompkins"``
    NeuroKit2's Pan-Tompkins (``ecg_clean`` + ``ecg_peaks``, ``method="pantompkins1985"``), called on 10-minute
    windows (in one call on a 24-hour signal it loses sensitivity): finds ventricular beats, but fires on large
    P and T waves and places its peak 40-120 ms after the R wave.
``"gqrs"``
    ``wfdb.processing.gqrs_detect`` (its filters vectorized: :mod:`ecg_utils.signal.fast_gqrs`, the same peaks): the
    most accurate alone, but slow (per-sample Python: about 35 s for 24 hours at 360 Hz), it fires on noise, and its
    280 ms refractory skips every other beat of a fast ventricular run.
``"hybrid"`` (the default)
    The two fast ones, a careful second look where they disagree, and Pan-Tompkins' two safeguards:

    1. Where both fast detectors find a beat it is kept; around every beat only one of them finds (+-5 s, merged)
       gqrs decides (starting 5 s earlier: it learns its thresholds from the start of what it reads; with a lower
       threshold than its default). Inside those stretches a beat both fast detectors found and gqrs skipped is
       kept where it splits the interval around it evenly (:func:`_rescue`: fast ventricular runs).
    2. No second detection inside a wide beat (:func:`_drop_secondary`, Pan-Tompkins' T-wave discrimination): a
       peak less than 360 ms after the one before, with less than half its QRS slope (:func:`qrs_band`) and less
       than half the local typical one, while the QRS band has not settled between the two, is that beat's second
       lobe or T wave, not a beat.
    3. Search-back (:func:`_search_back`): an RR interval longer than 1.4 times the local median RR, with some QRS
       energy inside it, is re-read by gqrs where gqrs has not read it yet: beats both fast detectors missed
       (premature, wide or small ventricular beats) are found.

    On a typical recording gqrs reads about a sixth of the signal (lead-ins included). Every choice was made on the
    de Chazal DS1 records only; DS2 and the MIT-BIH Supraventricular Arrhythmia Database (128 Hz, other patients)
    were only checked. Measured (``python -m bench.peaks``, EC57, 150 ms; numbers in ``bench/results/peaks.md``):
    DS1 Se 99.85%, +P 99.88%, ventricular beats found 99.60%, 2 double detections (the hybrid before these
    safeguards: 99.71, 99.85, 99.13, 7); gqrs reads its stretches resampled to :data:`GQRS_FS`, which costs 63% of
    the CPU time of reading them at 360 Hz, with its filters vectorized (:mod:`ecg_utils.signal.fast_gqrs`, the same
    peaks: the hybrid's CPU time per hour of signal 1.60 -> 0.52 s on MIT-BIH). On a long recording several
    processes, started as the recording is read, read Pan-Tompkins' windows (:func:`_fast_peaks`) and gqrs's
    stretches (:func:`gqrs_ranges`) side by side: the same peaks.

Every detector's peaks are moved to the largest ``|signal|`` of the 5-30 Hz band-passed signal nearby
(:func:`refine_peaks`), so that beats are cut around the R wave whichever detector found them.
"""
from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
from scipy import signal as sps

METHODS = ("hybrid", "sleepecg", "pantompkins", "gqrs")
#: Detections of two detectors closer than this (seconds) are the same beat.
AGREE_S = 0.1
#: Half-width (seconds) of the stretch around a disputed beat that gqrs re-reads.
SECOND_LOOK_S = 5.0
#: gqrs starts this many seconds before a stretch it re-reads (it learns its thresholds from the first minute of
#: what it is given, so a short lead-in is enough). DS1, FN / FP / seconds gqrs reads per hour: 30 s -> 87 / 69 / 776;
#: 20 s -> 87 / 66 / 701; 10 s -> 85 / 67 / 610; 5 s -> 84 / 66 / 555 (with the search-back at 1.5).
LEAD_IN_S = 5.0
#: gqrs's detection threshold (wfdb's default is 1.0); where it re-reads, a missed beat costs more than a false one.
GQRS_THRESHOLD = 0.7
#: gqrs reads the signal resampled to about this rate (Hz; slower rates are read as they are). It is per-sample Python,
#: its cost grows with the samples it reads, and the peaks it finds are moved to the R wave at the signal's own rate
#: (:func:`refine_peaks`). DS1 (``python -m bench.peaks --methods hybrid``), FN / FP / V missed / double detections /
#: CPU s per hour of signal (wfdb's gqrs, before :mod:`ecg_utils.signal.fast_gqrs`): 360 Hz (as recorded) 77 / 67 /
#: 13 / 1 / 3.13; 250 Hz 78 / 70 / 16 / 0 / 2.37; 180 Hz 79 / 62 / 15 / 2 / 1.96; 128 Hz 79 / 73 / 14 / 4 / 1.41.
#: 180 Hz makes the fewest errors; 128 Hz would be faster, but the kinds of DS1's ventricular beats scanned at 128 Hz
#: were no better (203, 207 and 208: 1,464 V beats called V, against 1,470 at 360 Hz and 1,498 at 180 Hz; a one-off
#: scan of those records at each rate, not a benchmark command).
GQRS_FS = 180.0
#: gqrs's stretches are read by several processes (:func:`parallel_map`) when they hold at least this many seconds of
#: signal (gqrs reads about 1,600 s of signal a second): a long recording's, not a typical 30-minute one's, where
#: starting the processes (about 1.2 s) would cost more than it saves. Measured on the shared records joined, hybrid
#: wall seconds with 1 / 2 processes: 6 h (4,164 s read by gqrs) 2.44 / 2.11; 24 h (14,190 s) 12.9 / 9.0.
PARALLEL_MIN_S = 3600.0
#: ... and once this process has started them (loky keeps them), when the calls read at least this many seconds.
WARM_MIN_S = 300.0
#: A recording at least this long (seconds) starts the processes in the background as its detection starts
#: (:func:`start_workers`): they start while this process runs the fast detectors, not when gqrs needs them.
START_EARLY_S = 3600.0
#: Pan-Tompkins is called on windows of this many seconds (plus a margin each side).
WINDOW_S = 600.0
MARGIN_S = 5.0
#: sleepecg is called on pieces of this many seconds (a MIT-BIH record is one piece).
SLEEPECG_PIECE_S = 1800.0
#: Where each detector's peak may lie relative to the R wave: search (before, after) seconds for the R wave.
SEARCH = {"sleepecg": (0.1, 0.1), "pantompkins": (0.15, 0.02), "gqrs": (0.05, 0.05)}
#: Two final peaks closer than this (seconds) are one beat (the refractory period).
REFRACTORY_S = 0.2
#: The local rhythm around a beat: the median over this many beats (or RR intervals) each side.
LOCAL_BEATS = 8
#: No second detection inside a wide beat (Pan-Tompkins' T-wave discrimination, guarded): a peak less than
#: SECONDARY_S after the last kept one is dropped when its QRS band value (:func:`qrs_band`) is below
#: SECONDARY_RATIO of that one's and below SECONDARY_RATIO of the local median peak (no QRS of its own), and the
#: QRS band, smoothed over SMOOTH_S, stays above SECONDARY_VALLEY of the smaller of the two between them (it lies
#: inside the first one's complex). On DS1 it removed 23 false detections, 13 of them second detections of a V beat,
#: and no true beat; without the valley guard 3 true beats (V beats of runs) were lost too.
SECONDARY_S = 0.36
SECONDARY_RATIO = 0.5
SECONDARY_VALLEY = 0.1
SMOOTH_S = 0.04
#: Inside a stretch gqrs re-read, a beat both fast detectors found and gqrs did not (gqrs's 280 ms refractory skips
#: every other beat of a fast ventricular run) is kept when it splits the interval around it this evenly (the
#: shorter part over the longer). DS1: 0.6 -> FN 77, FP 74; 0.7 -> 77, 67; 0.8 -> 80, 66; none -> 99, 60.
RESCUE_SPLIT = 0.7
#: Search-back: an RR interval longer than this many times the local median RR is re-read by gqrs (where gqrs has
#: not read it already), when the QRS band inside it (away from both beats by REFRACTORY_S) rises above
#: SEARCH_BACK_GATE of the local median peak (most long intervals are pauses with nothing in them). DS1, FN / FP
#: / seconds gqrs reads per hour: 1.5 -> 84 / 66 / 555; 1.4 -> 79 / 67 / 592; 1.3 -> 78 / 68 / 612.
SEARCH_BACK_RR = 1.4
SEARCH_BACK_GATE = 0.2
#: Changes whenever the detection changes, so that caches of beats cut at detected peaks are rebuilt.
METHOD_VERSION = (f"hybrid-3/{GQRS_FS}/{AGREE_S}/{SECOND_LOOK_S}/{LEAD_IN_S}/{GQRS_THRESHOLD}/{SEARCH}/{REFRACTORY_S}/"
                  f"{LOCAL_BEATS}/{SECONDARY_S}/{SECONDARY_RATIO}/{SECONDARY_VALLEY}/{SMOOTH_S}/{RESCUE_SPLIT}/"
                  f"{SEARCH_BACK_RR}/{SEARCH_BACK_GATE}")


def qrs_band(signal, fs) -> np.ndarray:
    """``|signal|`` band-passed to 5-30 Hz (the QRS complex's band), zero phase, float32."""
    from ecg_utils.signal.filters import zero_phase

    sos = sps.butter(2, (5.0, min(30.0, 0.45 * fs)), btype="bandpass", fs=fs, output="sos")
    return np.abs(zero_phase(sos, signal, fs, dtype=np.float32))


def refine_peaks(band, fs, peaks, before=0.05, after=0.05) -> np.ndarray:
    """Move each peak to the largest value of ``band`` (:func:`qrs_band`) within ``before``/``after`` seconds.

    Examples
    --------
    >>> band = np.zeros(100, dtype=np.float32); band[52] = 1.0
    >>> refine_peaks(band, 100.0, np.array([50])).tolist()
    [52]
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if len(peaks) == 0:
        return peaks
    a, b = int(round(before * fs)), int(round(after * fs))
    idx = np.clip(peaks[:, None] + np.arange(-a, b + 1)[None, :], 0, len(band) - 1)
    return idx[np.arange(len(peaks)), np.argmax(band[idx], axis=1)]


def _sleepecg(signal, fs):
    """sleepecg on 30-minute pieces (a shorter last piece joins the one before): bounded memory on 24 hours."""
    import sleepecg

    piece, margin, n, out = int(SLEEPECG_PIECE_S * fs), int(MARGIN_S * fs), len(signal), []
    starts = list(range(0, n, piece))
    if len(starts) > 1 and n - starts[-1] < piece // 2:
        starts.pop()
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else n
        a, b = max(0, start - margin), min(n, end + margin)
        try:
            p = np.asarray(sleepecg.detect_heartbeats(np.asarray(signal[a:b], dtype=np.float64), fs), dtype=np.int64)
        except ValueError:  # "ECG signal is flat": no beats to find
            continue
        p += a
        out.append(p[(p >= start) & (p < end)])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _pantompkins(signal, fs, lead=0, end=None):
    """NeuroKit2's Pan-Tompkins on 10-minute windows (each with a margin), peaks in samples of ``signal``.

    The windows start at ``lead`` and every :data:`WINDOW_S` after it, up to ``end`` (default: the signal's end);
    the margins may read the signal before ``lead`` and after ``end``: a piece of the signal with its margins, read
    with ``lead`` and ``end`` set, gives the peaks the whole signal gives there (:func:`_pantompkins_pieces`)."""
    import neurokit2 as nk

    win, margin, out = int(WINDOW_S * fs), int(MARGIN_S * fs), []
    end = len(signal) if end is None else end
    for start in range(lead, end, win):
        a, b = max(0, start - margin), min(len(signal), start + win + margin)
        seg = signal[a:b]
        if np.ptp(seg) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cleaned = nk.ecg_clean(seg, sampling_rate=fs, method="pantompkins1985")
            found = nk.ecg_findpeaks(cleaned, sampling_rate=fs, method="pantompkins1985")["ECG_R_Peaks"]
        p = np.asarray(found, dtype=np.int64) + a
        out.append(p[(p >= start) & (p < min(start + win, end))])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _pantompkins_pieces(n, fs, pieces) -> list:
    """``(a, b, lead, end)`` for :func:`_pantompkins` on ``signal[a:b]`` with ``lead`` and ``end``, in ``pieces``
    runs of whole windows that together read what one call on the ``n`` samples reads."""
    win, margin = int(WINDOW_S * fs), int(MARGIN_S * fs)
    windows = -(-n // win)
    cuts = [win * round(k * windows / pieces) for k in range(pieces)] + [n]
    cuts = sorted(set(min(c, n) for c in cuts))
    return [(max(0, s - margin), min(n, e + margin), s - max(0, s - margin), e - max(0, s - margin))
            for s, e in zip(cuts[:-1], cuts[1:])]


def _fast_peaks(signal, fs, workers):
    """sleepecg's and Pan-Tompkins's peaks (unrefined). On a long recording Pan-Tompkins (NeuroKit2's per-sample
    Python, about 5 s for 24 hours) reads pieces of whole windows in ``workers`` processes while sleepecg reads here
    (:func:`parallel_map`; the same peaks)."""
    pieces = _pantompkins_pieces(len(signal), fs, workers) if workers > 1 else []
    if len(pieces) > 1:
        pt, a = parallel_map(_pantompkins, [(signal[x:y], fs, lead, end) for x, y, lead, end in pieces], workers,
                             len(signal) / fs, meanwhile=lambda: _sleepecg(signal, fs))
        return a, np.concatenate([p + x for p, (x, *_) in zip(pt, pieces)])
    return _sleepecg(signal, fs), _pantompkins(signal, fs)


def _gqrs(signal, fs):
    """``wfdb.processing.gqrs_detect`` at :data:`GQRS_THRESHOLD` on the signal resampled to about :data:`GQRS_FS`
    (none on a flat or shorter than 1-s signal); peaks in samples of ``signal`` (to be refined at its own rate).
    Computed by :func:`ecg_utils.signal.fast_gqrs.gqrs_detect`: wfdb's peaks, about six times faster."""
    from ecg_utils.signal.fast_gqrs import gqrs_detect

    if len(signal) < fs or np.ptp(signal) == 0:
        return np.empty(0, dtype=np.int64)
    sig, rate = np.asarray(signal, dtype=np.float64), float(fs)
    if fs > 1.05 * GQRS_FS:
        ratio = Fraction(GQRS_FS / fs).limit_denominator(128)
        sig = sps.resample_poly(sig, ratio.numerator, ratio.denominator)
        rate = fs * ratio.numerator / ratio.denominator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = np.asarray(gqrs_detect(sig, rate, GQRS_THRESHOLD), dtype=np.int64)
    if rate != fs:
        p = np.clip(np.round(p * (fs / rate)).astype(np.int64), 0, len(signal) - 1)
    return p


DETECTORS = {"sleepecg": _sleepecg, "pantompkins": _pantompkins, "gqrs": _gqrs}


def default_workers() -> int:
    """Processes gqrs may use: :func:`ecg_utils.cluster.local_cores` (1 in a worker process of a pool)."""
    from ecg_utils.cluster import local_cores

    return local_cores()


#: Set once this process has started worker processes (joblib's loky executor keeps them for the next call).
_POOL_STARTED = False
#: The results of :func:`start_workers`' start-up calls while they run.
_STARTING = None


def _warm_up() -> bool:
    """In a worker process: import what its calls need (NeuroKit2's Pan-Tompkins, wfdb's gqrs, this package)."""
    import neurokit2  # noqa: F401
    import wfdb.processing  # noqa: F401

    from ecg_utils.signal import fast_gqrs  # noqa: F401

    return True


def start_workers(workers) -> None:
    """Start ``workers`` loky processes in the background (each imports what gqrs needs), returning at once; the
    next :func:`parallel_map` uses them. Nothing when ``workers`` is 1 or they are started already."""
    global _STARTING
    if workers > 1 and not _POOL_STARTED and _STARTING is None:
        from joblib import Parallel, delayed

        try:
            _STARTING = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")(
                delayed(_warm_up)() for _ in range(workers))
        except Exception:  # noqa: BLE001 - processes cannot start here: parallel_map falls back and says so
            _STARTING = None


def _started() -> bool:
    """Whether this process's worker processes are up (waiting for :func:`start_workers`' start-up to finish)."""
    global _STARTING, _POOL_STARTED
    if _STARTING is not None:
        try:
            _POOL_STARTED = all(list(_STARTING))
        except Exception:  # noqa: BLE001 - a failed start-up: the next call tries again, and warns if it fails
            _POOL_STARTED = False
        _STARTING = None
    return _POOL_STARTED


def parallel_map(func, args, workers, seconds, meanwhile=None):
    """``[func(*a) for a in args]``, by joblib's ``loky`` processes where it pays.

    Processes are used when ``workers > 1``, there is more than one call, and the calls read at least
    :data:`PARALLEL_MIN_S` seconds of signal (``seconds``), or :data:`WARM_MIN_S` once this process has started them
    (loky keeps its processes for the next call). loky's processes start afresh (not forked from a caller that may
    hold TensorFlow's threads) and need no ``if __name__ == "__main__"`` guard in the caller's script. Where processes
    cannot be started (or one dies), the calls run here, with a warning. The results are the same either way, in
    the same order.

    With ``meanwhile`` (a function of no argument) it returns ``(results, meanwhile())``, ``meanwhile`` running here
    while the processes work.
    """
    global _POOL_STARTED
    results, here, ran = None, None, False
    least = min(PARALLEL_MIN_S, WARM_MIN_S) if _started() else PARALLEL_MIN_S
    if workers > 1 and len(args) > 1 and seconds >= least:
        from concurrent.futures import BrokenExecutor

        from joblib import Parallel, delayed

        try:
            pending = Parallel(n_jobs=min(workers, len(args)), backend="loky", return_as="generator")(
                delayed(func)(*a) for a in args)
            if meanwhile is not None:
                here, ran = meanwhile(), True
            results = list(pending)
            _POOL_STARTED = True
        except (OSError, BrokenExecutor) as exc:  # no processes here (a sandbox, no /dev/shm), or one was killed
            warnings.warn(f"{func.__name__} could not run in {workers} processes ({type(exc).__name__}: {exc}); "
                          f"running its {len(args)} calls in this one", RuntimeWarning, stacklevel=3)
    if results is None:
        results = [func(*a) for a in args]
    if meanwhile is None:
        return results
    return results, (here if ran else meanwhile())  # meanwhile runs once, even when the processes fail after it


def gqrs_ranges(signal, fs, ranges, workers=1) -> list:
    """:func:`_gqrs` on ``signal[start:end]`` for each ``(start, end)`` of ``ranges``: peaks in samples of ``signal``.

    gqrs is one core's work; on a long recording several processes read the ranges side by side, each range whole
    (:func:`parallel_map`): the peaks are the same as read here, in the same order (tested); a short recording pays
    no process start-up.

    Examples
    --------
    >>> gqrs_ranges(np.zeros(3600), 360.0, [(0, 1800), (1800, 3600)])
    [array([], dtype=int64), array([], dtype=int64)]
    """
    total = sum(end - start for start, end in ranges)
    found = parallel_map(_gqrs, [(signal[start:end], fs) for start, end in ranges], workers, total / fs)
    return [p + start for p, (start, _) in zip(found, ranges)]


def _clusters(a, b, tol):
    """Merge two sorted peak lists: (positions, found by both?) with one entry per beat."""
    pos = np.concatenate([a, b])
    who = np.concatenate([np.zeros(len(a), bool), np.ones(len(b), bool)])
    order = np.argsort(pos, kind="stable")
    pos, who = pos[order], who[order]
    if len(pos) == 0:
        return pos, np.zeros(0, bool)
    cid = np.r_[0, np.cumsum(np.diff(pos) > tol)]
    n = cid[-1] + 1
    has_a = np.bincount(cid, weights=~who, minlength=n) > 0
    has_b = np.bincount(cid, weights=who, minlength=n) > 0
    first = np.r_[0, np.flatnonzero(np.diff(cid)) + 1]
    return pos[first], has_a & has_b


def _stretches(centres, half, n):
    """Sorted, merged (start, end) sample ranges of ``centres`` +- ``half``, clipped to [0, n)."""
    out = []
    for c in np.sort(centres):
        a, b = max(0, int(c) - half), min(n, int(c) + half)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _groups(stretches, gap):
    """Consecutive stretches whose gaps are shorter than ``gap`` samples, grouped."""
    groups = []
    for a, b in stretches:
        if groups and a - groups[-1][-1][1] < gap:
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    return groups


def _dedupe(peaks, band, fs):
    """Keep one peak (the one with the larger QRS band value) of any two closer than the refractory period."""
    peaks = np.unique(peaks)
    gap = int(REFRACTORY_S * fs)
    keep = []
    for p in peaks:
        if keep and p - keep[-1] < gap:
            if band[p] > band[keep[-1]]:
                keep[-1] = p
        else:
            keep.append(p)
    return np.asarray(keep, dtype=np.int64)


def _hybrid(signal, fs, band, stats, skip, workers=1):
    """The hybrid's peaks (before the final :func:`_dedupe` and :func:`_drop_secondary`); see the module docstring.

    Parameters
    ----------
    signal : float array
        The lead (mV).
    fs : float
        Sampling rate (Hz).
    band : float array
        :func:`qrs_band` of the signal.
    stats : dict
        Filled with ``agreed`` (and ``agreed_samples``: where both fast detectors found a beat), ``disputed``,
        ``second_look_share``, ``rescued``, ``search_back_intervals``,
        ``search_back_found`` and ``gqrs_read_share`` (the share of the signal's length gqrs read, lead-ins included).
    skip : bool array or None
        Unreadable samples: no second look and no search-back there.
    workers : int
        Processes that may read gqrs's stretches side by side (:func:`gqrs_ranges`).

    Returns
    -------
    int64 array
        Peaks, unsorted, possibly closer than the refractory period.
    """
    if len(signal) >= START_EARLY_S * fs:
        start_workers(workers)
    a, b = _fast_peaks(signal, fs, workers)
    a, b = refine_peaks(band, fs, a, *SEARCH["sleepecg"]), refine_peaks(band, fs, b, *SEARCH["pantompkins"])
    pos, both = _clusters(np.sort(a), np.sort(b), int(AGREE_S * fs))
    skipped = skip[pos] if skip is not None else np.zeros(len(pos), dtype=bool)
    both = both | skipped  # where the signal cannot be read, a second look cannot help: keep what was found
    disputed = pos[~both]
    stretches = _stretches(disputed, int(SECOND_LOOK_S * fs), len(signal))
    outside = np.ones(len(signal), bool)
    for start, end in stretches:
        outside[start:end] = False
    # one gqrs call per group of stretches closer than its lead-in: the signal between them is read once
    lead = int(LEAD_IN_S * fs)
    groups = _groups(stretches, lead)
    ranges = [(max(0, g[0][0] - lead), g[-1][1]) for g in groups]
    second, read = [], sum(end - start for start, end in ranges)
    for group, p in zip(groups, gqrs_ranges(signal, fs, ranges, workers)):
        p = p[~outside[np.clip(p, 0, len(signal) - 1)] & (p >= group[0][0])]
        second.append(refine_peaks(band, fs, p, *SEARCH["gqrs"]))
    agreed = pos[both]
    agreed = agreed[outside[agreed]]
    peaks = _drop_secondary(_dedupe(np.concatenate([agreed] + second) if second else agreed, band, fs), band, fs)
    rescued = _rescue(peaks, pos[both & ~outside[pos]], fs)
    peaks = np.sort(np.concatenate([peaks, rescued]))
    found, reread, read_back = _search_back(signal, fs, band, peaks, ~outside, skip, workers)
    stats["agreed_samples"] = np.sort(pos[both & ~skipped])  # both fast detectors found these (artefact.py reads them)
    stats.update(agreed=int(both.sum()), disputed=int(len(disputed)),
                 second_look_share=float(1 - outside.mean()) if len(signal) else 0.0, rescued=int(len(rescued)),
                 search_back_intervals=int(reread), search_back_found=int(len(found)),
                 gqrs_read_share=float((read + read_back) / len(signal)) if len(signal) else 0.0)
    return np.concatenate([peaks, found])


def _local_median(values, half):
    """The median of the ``half`` values each side of every value, itself left out (fewer near the ends; NaN for a
    lone value).

    Examples
    --------
    >>> _local_median(np.array([1.0, 2.0, 9.0, 2.0, 1.0]), 1).tolist()
    [2.0, 5.0, 2.0, 5.0, 2.0]
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values
    padded = np.pad(values, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).copy()
    windows[:, half] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a lone value has no neighbours: NaN
        return np.nanmedian(windows, axis=1)


def _drop_secondary(peaks, band, fs):
    """Drop the peaks with no QRS of their own: a wide beat's second lobe or T wave detected again.

    Parameters
    ----------
    peaks : int array
        Sorted peaks, at least :data:`REFRACTORY_S` apart.
    band : float array
        :func:`qrs_band` of the signal.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    int64 array
        ``peaks`` without those less than :data:`SECONDARY_S` after the last kept one that are weaker than
        :data:`SECONDARY_RATIO` of it and of the local median peak, with the smoothed QRS band not falling below
        :data:`SECONDARY_VALLEY` of the smaller of the two between them.

    Examples
    --------
    >>> band = np.zeros(1000); band[[100, 400, 700, 900]] = 1.0; band[190] = 0.3; band[100:191] += 0.1
    >>> _drop_secondary(np.array([100, 190, 400, 700, 900]), band, 1000.0).tolist()
    [100, 400, 700, 900]
    """
    peaks = np.asarray(peaks, dtype=np.int64)
    if len(peaks) < 2:
        return peaks
    height = _local_median(band[peaks], LOCAL_BEATS)
    half = max(1, int(round(SMOOTH_S * fs / 2)))
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    gap, keep = int(SECONDARY_S * fs), []
    for i, p in enumerate(peaks):
        if keep and p - keep[-1] < gap:
            q = keep[-1]
            weak = band[p] < SECONDARY_RATIO * min(band[q], height[i] if np.isfinite(height[i]) else np.inf)
            if weak:
                lo, hi = max(0, q - half), min(len(band), p + half + 1)
                seg = np.pad(band[lo:hi], (lo - (q - half), (p + half + 1) - hi), mode="edge")
                env = np.convolve(seg, kernel, mode="valid")  # band around q..p, smoothed
                if env.min() >= SECONDARY_VALLEY * min(env[0], env[-1]):
                    continue
        keep.append(p)
    return np.asarray(keep, dtype=np.int64)


def _rescue(peaks, candidates, fs):
    """Beats both fast detectors found inside a stretch gqrs re-read and gqrs did not: kept where they split the
    interval between the peaks around them evenly.

    Parameters
    ----------
    peaks : int array
        Sorted peaks so far.
    candidates : int array
        Sorted beats both fast detectors agreed on inside the re-read stretches.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    int64 array
        The candidates more than :data:`REFRACTORY_S` from both neighbouring peaks whose shorter distance is at least
        :data:`RESCUE_SPLIT` of the longer.

    Examples
    --------
    >>> _rescue(np.array([0, 600, 1000]), np.array([290, 700]), 1000.0).tolist()
    [290]
    """
    peaks, candidates = np.asarray(peaks, dtype=np.int64), np.asarray(candidates, dtype=np.int64)
    if len(peaks) < 2 or len(candidates) == 0:
        return np.empty(0, dtype=np.int64)
    k = np.searchsorted(peaks, candidates)
    ok = (k > 0) & (k < len(peaks))
    c, k = candidates[ok], k[ok]
    short = np.minimum(c - peaks[k - 1], peaks[k] - c)
    long_ = np.maximum(c - peaks[k - 1], peaks[k] - c)
    return c[(short > REFRACTORY_S * fs) & (short >= RESCUE_SPLIT * long_)]


def _search_back(signal, fs, band, peaks, read, skip, workers=1):
    """Re-read with gqrs the RR intervals that are long for the local rhythm (Pan-Tompkins' search-back).

    Parameters
    ----------
    signal : float array
        The lead.
    fs : float
        Sampling rate (Hz).
    band : float array
        :func:`qrs_band` of the signal.
    peaks : int array
        Sorted peaks so far.
    read : bool array
        Samples gqrs has read already (its verdict there stands).
    skip : bool array or None
        Unreadable samples.
    workers : int
        Processes that may read gqrs's stretches side by side (:func:`gqrs_ranges`).

    Returns
    -------
    found : int64 array
        The peaks gqrs finds inside those intervals (away from both beats by :data:`REFRACTORY_S`), refined.
    intervals : int
        How many intervals were re-read.
    samples : int
        How many samples gqrs read.
    """
    if len(peaks) < 3:
        return np.empty(0, dtype=np.int64), 0, 0
    rr = np.diff(peaks)
    local = _local_median(rr, LOCAL_BEATS)
    height = _local_median(band[peaks], LOCAL_BEATS)
    r = int(REFRACTORY_S * fs)
    gaps = []
    for k in np.flatnonzero(rr > SEARCH_BACK_RR * local):
        a, b = peaks[k] + r, peaks[k + 1] - r
        if b <= a or read[a:b].all() or (skip is not None and skip[a:b].all()):
            continue
        if band[a:b].max() < SEARCH_BACK_GATE * np.nanmin([height[k], height[k + 1]]):
            continue
        gaps.append((a, b))
    lead = int(LEAD_IN_S * fs)
    groups = _groups(gaps, lead)
    ranges = [(max(0, g[0][0] - r - lead), min(len(signal), g[-1][1] + r + int(fs))) for g in groups]
    found, samples = [], sum(end - start for start, end in ranges)
    for group, p in zip(groups, gqrs_ranges(signal, fs, ranges, workers)):
        inside = np.zeros(len(p), bool)
        for a, b in group:
            inside |= (p >= a) & (p < b)
        found.append(refine_peaks(band, fs, p[inside], *SEARCH["gqrs"]))
    return (np.concatenate(found) if found else np.empty(0, dtype=np.int64)), len(gaps), samples


def find_peaks(signal, fs, method="hybrid", stats=None, band=None, skip=None, workers=None) -> np.ndarray:
    """R-peak positions (sample indices, sorted) of a single-lead ECG.

    Parameters
    ----------
    signal : float array (n,)
        One lead, in millivolts (gqrs's amplitude settings assume mV), finite.
    fs : float
        Sampling rate (Hz).
    method : {"hybrid", "sleepecg", "pantompkins", "gqrs"}
        See the module docstring.
    stats : dict, optional
        Filled with what the hybrid did: ``agreed`` and ``disputed`` beats, ``second_look_share`` (the share of
        the signal gqrs re-read around disputed beats), ``rescued`` beats, the RR intervals re-read by the
        search-back (``search_back_intervals``) and the beats it found (``search_back_found``), ``gqrs_read_share``
        (all gqrs read, lead-ins included, over the signal's length), and ``beats``.
    band : float array (n,), optional
        :func:`qrs_band` of the signal, if already computed.
    skip : bool array (n,), optional
        Samples of unreadable signal (:mod:`ecg_utils.signal.quality`): the hybrid takes no second look there (what the
        fast detectors found is returned, for the caller to mark).
    workers : int, optional
        Processes that may read gqrs's stretches side by side on a long recording (:func:`gqrs_ranges`; the same
        peaks); default :func:`default_workers`.

    Returns
    -------
    int64 array
        Peaks at the R wave (:func:`refine_peaks`), at least 200 ms apart; for the hybrid, none less than 360 ms
        after another without a QRS of its own (:func:`_drop_secondary`).

    Examples
    --------
    >>> import neurokit2 as nk                                                    # doctest: +SKIP
    >>> ecg = nk.ecg_simulate(duration=60, sampling_rate=360, heart_rate=70)      # doctest: +SKIP
    >>> len(find_peaks(ecg, 360))                                                 # doctest: +SKIP
    70
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"find_peaks takes one lead (a 1-D signal), got shape {signal.shape}")
    stats = {} if stats is None else stats
    if len(signal) < int(fs):
        return np.empty(0, dtype=np.int64)
    band = qrs_band(signal, fs) if band is None else band
    if method == "hybrid":
        found = _hybrid(signal, fs, band, stats, skip, workers or default_workers())
        peaks = _drop_secondary(_dedupe(found, band, fs), band, fs)
    else:
        peaks = _dedupe(refine_peaks(band, fs, DETECTORS[method](signal, fs), *SEARCH[method]), band, fs)
    stats["beats"] = int(len(peaks))
    return peaks
