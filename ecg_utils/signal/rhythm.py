"""Rhythm evidence: how premature a beat is for the local rhythm, and where the rhythm itself is irregular.

A premature beat is one that comes early for the rhythm around it: ``-log(previous RR / local mean RR)``. That
means something only where the rhythm is regular. In atrial fibrillation every interval differs from the last,
every other beat "comes early", and a prematurity score floods the output with normal beats. So the rhythm is
judged first: :func:`irregularity` measures, around each beat, how much consecutive intervals between
*normal-shaped* beats differ; where it is high (:data:`IRREGULAR_THRESHOLD`), :func:`prematurity` carries no
timing evidence, and :func:`irregular_stretches` reports the stretch as a rhythm finding (start, end, duration).

Why normal-shaped beats only: a ventricular ectopic beat and its compensatory pause make two very unequal
intervals even in a perfectly regular sinus rhythm; bigeminy does it every other beat. Holter analysers measure
rhythm on normal-to-normal (NN) intervals for this reason. A beat counts as normal-shaped when it correlates with
its patient's template (:func:`ecg_utils.signal.templates.add_templates`, no labels) at :data:`NORMAL_SHAPE_CORR` or more.
An interval is then compared with the previous ``lags`` NN intervals and the smallest difference kept, so that a
regular alternation (bigeminy, trigeminy of atrial beats) is not mistaken for disorder.

The constants were chosen on the DS1 records only (the records with atrial fibrillation or flutter there are 201
and 203): in windows of 64 NN intervals, the median difference exceeds 0.042 (about 4%) in fewer than 1% of
beats outside AF/AFL episodes, and in more than 90% of beats inside them (the geometric mean of the two
quantiles). ``python -m bench.records`` evaluates the stretches on every record against the ``(AFIB`` /
``(AFL`` rhythm annotations, which the detector never reads.
"""
from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.signal.rr import rr_ratios

#: A beat is normal-shaped for the rhythm when it correlates with its patient's template at least this much.
NORMAL_SHAPE_CORR = 0.9
#: NN intervals in the centred rolling median of :func:`irregularity`.
IRREGULAR_WINDOW = 64
#: Each NN interval is compared with this many previous NN intervals; the smallest log difference counts.
IRREGULAR_LAGS = 3
#: Irregularity (a median absolute log difference of NN intervals) above which the rhythm counts as irregular.
IRREGULAR_THRESHOLD = 0.042
#: Shortest irregular stretch reported as a rhythm finding, in seconds (shorter ones still mute prematurity).
MIN_STRETCH_S = 30.0
#: Columns of :func:`irregular_stretches`.
STRETCH_COLUMNS = ("record", "start", "end", "start_s", "end_s", "duration_s", "beats")


def template_correlation(beats: Beats) -> np.ndarray:
    """Pearson correlation of each beat with its patient's template, (n,); 1 for every beat without templates."""
    if beats.template is None:
        return np.ones(len(beats))
    X = beats.X - beats.X.mean(axis=1, keepdims=True)
    T = beats.template - beats.template.mean(axis=1, keepdims=True)
    num = (X * T).sum(axis=1, dtype=np.float64)
    den = np.sqrt((X * X).sum(axis=1, dtype=np.float64) * (T * T).sum(axis=1, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _check_rr(beats: Beats):
    if len(beats) and np.isnan(beats.rr[:, 2]).all():
        raise DataError(f"{beats.info.get('file', 'beats')}: these beats carry no RR intervals (Kaggle CSV rows); "
                        "rhythm evidence needs beats cut from a recording")


def _adjacent(sample, rr_prev) -> np.ndarray:
    """For each beat after the first, whether the beat before it in the array is the one before it in the recording
    (its previous RR interval spans exactly the gap in samples): False after beats left out, as in a set of normal
    beats only, whose next beat's "previous interval" ends at a beat that is not there."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.diff(sample).astype(np.float64) / rr_prev[1:].astype(np.float64)   # samples per second
    finite = np.isfinite(ratio) & (ratio > 0)
    if not finite.any():
        return np.zeros(len(ratio), dtype=bool)
    fs = np.median(ratio[finite])
    return finite & (np.abs(ratio - fs) < 0.01 * fs)


def irregularity(beats: Beats, window=IRREGULAR_WINDOW, lags=IRREGULAR_LAGS, min_corr=NORMAL_SHAPE_CORR) -> np.ndarray:
    """How irregular the rhythm is around each beat: (n,), about 0.01 in sinus rhythm, 0.05-0.15 in AF.

    For each record (beats in time order), the intervals whose two beats are both normal-shaped
    (:func:`template_correlation` >= ``min_corr``) and both present (a set of normal beats only leaves gaps) form
    the NN series; each NN interval's distance to the nearest
    of the ``lags`` previous ones, ``min_k |log NN_i - log NN_(i-k)|``, is smoothed by a centred rolling median
    over ``window`` NN intervals, and every beat takes the value of the nearest NN interval. A record with fewer
    than ``lags + 2`` NN intervals is 0 (no evidence).
    """
    _check_rr(beats)
    out = np.zeros(len(beats))
    normal = template_correlation(beats) >= min_corr
    log_rr = np.log(beats.rr[:, 0].astype(np.float64))
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        nn = np.isfinite(log_rr[idx]) & normal[idx]
        nn[1:] &= normal[idx[:-1]] & _adjacent(beats.sample[idx], beats.rr[idx, 0])
        nn[0] = False
        v = log_rr[idx[nn]]
        if len(v) < lags + 2:
            continue
        diffs = np.full((lags, len(v)), np.inf)
        for k in range(1, lags + 1):
            diffs[k - 1, k:] = np.abs(v[k:] - v[:-k])
        d = diffs.min(axis=0)
        d[~np.isfinite(d)] = np.nan  # the first interval has no predecessor
        smooth = pd.Series(d).rolling(window, center=True, min_periods=1).median().to_numpy()
        per_beat = np.full(len(idx), np.nan)
        per_beat[nn] = smooth
        out[idx] = pd.Series(per_beat).ffill().bfill().fillna(0.0).to_numpy()
    return out


def prematurity(beats: Beats, threshold=IRREGULAR_THRESHOLD) -> np.ndarray:
    """How early each beat comes for the local rhythm: ``-log(previous RR / local mean RR)``, (n,).

    Positive = early. 0 where the rhythm is irregular (:func:`irregularity` above ``threshold``: there, coming
    early is the rule, not evidence) and where the previous interval is unknown (a recording's first beat, the
    first beat after an unreadable stretch). ``threshold=None`` keeps every beat's value.
    """
    out = -rr_ratios(beats)[:, 0].astype(np.float64)  # raises DataError for beats without RR intervals
    if threshold is not None:
        out[irregularity(beats) > threshold] = 0.0
    return out


def irregular_stretches(beats: Beats, fs, threshold=IRREGULAR_THRESHOLD, min_duration_s=MIN_STRETCH_S,
                        irregular=None) -> pd.DataFrame:
    """The stretches of irregular rhythm, a rhythm finding: one row per stretch (:data:`STRETCH_COLUMNS`).

    A stretch is a run of consecutive beats of one record whose :func:`irregularity` exceeds ``threshold``, from
    its first beat's R-peak to its last one's (``start``/``end`` in samples at ``fs``, also in seconds), kept when
    it lasts ``min_duration_s`` or more. ``irregular`` may pass a precomputed boolean mask (n,).
    """
    if irregular is None:
        irregular = irregularity(beats) > threshold
    rows = []
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        flag = np.concatenate([[False], irregular[idx], [False]])
        edges = np.flatnonzero(np.diff(flag.astype(np.int8)))
        for a, b in zip(edges[::2], edges[1::2]):
            start, end = int(beats.sample[idx[a]]), int(beats.sample[idx[b - 1]])
            if (end - start) / fs >= min_duration_s:
                rows.append((record, start, end, start / fs, end / fs, (end - start) / fs, int(b - a)))
    return pd.DataFrame(rows, columns=list(STRETCH_COLUMNS)).astype(
        {"start": np.int64, "end": np.int64, "beats": np.int64, "start_s": float, "end_s": float, "duration_s": float})


#: A beat is early when its previous interval is shorter than this share of the expected one (:func:`early_beats`).
EARLY_RATIO = 0.9
#: ... and it starts a run only when it is also this much shorter than the interval before it (an abrupt change:
#: a sinus rhythm that speeds up does so over several beats, each close to the last).
ABRUPT_RATIO = 0.9
#: The expected interval is the median of this many of the last intervals judged on time.
EXPECTED_WINDOW = 8
#: A slower rhythm is accepted after this many late intervals in a row (a sudden but lasting slowing).
LATE_RESET = 5
#: A run of early beats is followed for at most this many beats; after as many beats without an interval judged
#: on time, the expectation is forgotten (and learned again from the next normal-to-normal intervals).
RUN_LIMIT = 120


def early_beats(beats: Beats, normal=None, early=EARLY_RATIO, abrupt=ABRUPT_RATIO, window=EXPECTED_WINDOW,
                late_reset=LATE_RESET, run_limit=RUN_LIMIT):
    """Which beats come early for the rhythm the patient was in, runs of early beats included: (expected, early).

    A Holter reader's rule. The expected interval is the median of the last ``window`` normal-to-normal intervals
    judged on time (both beats ``normal``-shaped; an interval shorter than ``early`` x expected is early, one longer
    than expected / ``early`` is late, and neither is learned from). A beat is early when its previous interval is
    shorter than ``early`` x expected and either a run of early beats is going on or the interval is also shorter
    than ``abrupt`` x the interval before it: an ectopic beat comes abruptly; a sinus rhythm speeding up does not,
    and its intervals are learned as the new expectation. Unlike the local mean RR of :func:`prematurity`, this
    keeps the beats of a run of supraventricular tachycardia early for as long as the run lasts (up to
    ``run_limit`` beats), while the local mean would take the run's rate as the rhythm. ``late_reset`` late
    intervals in a row are the new rhythm (a sudden, lasting slowing); with no interval learned in ``run_limit``
    beats (a long run, bigeminy: no normal-to-normal interval at all) the expectation is forgotten and learned
    again: beats are then not judged. A beat of the patient's shape right after one that is not (an ectopic beat
    that did not come in a run) is not early when the interval from the beat before the ectopic one to it is on time
    (``early`` x expected to expected / ``early``): the ectopic beat was *interpolated* between two sinus beats, as a
    ventricular beat in a slow rhythm can be, and the sinus rhythm went on (SVDB record 805: 204 N beats after
    interpolated V beats, all early before this rule, 128 after it; on the DS1 halves of ``python -m bench.kinds``
    no kind changed).

    Parameters
    ----------
    beats : Beats
        With RR intervals; records are taken one by one, their beats in time order.
    normal : bool array (n,), optional
        The beats of the patient's normal shape (default: every beat).

    Returns
    -------
    expected : float array (n,)
        Each beat's expected interval in seconds (NaN where not known yet).
    early : bool array (n,)

    Examples
    --------
    A run of four early beats in a rhythm of 1 s, then a compensatory pause:

    >>> from ecg_utils.io.dataset import Beats
    >>> rr = [1.0] * 10 + [0.6, 0.6, 0.6, 0.6, 1.4] + [1.0] * 3
    >>> b = Beats.from_arrays(np.zeros((18, 4)), np.zeros(18), ["r"] * 18, np.arange(18),
    ...                       np.column_stack([rr, rr, rr]))
    >>> np.flatnonzero(early_beats(b)[1]).tolist()
    [10, 11, 12, 13]
    """
    _check_rr(beats)
    n = len(beats)
    normal = np.ones(n, dtype=bool) if normal is None else np.asarray(normal, dtype=bool)
    expected = np.full(n, np.nan)
    is_early = np.zeros(n, dtype=bool)
    rr = beats.rr[:, 0].astype(np.float64)
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        exp, e = _early_one(rr[idx], normal[idx], early, abrupt, window, late_reset, run_limit)
        expected[idx], is_early[idx] = exp, e
    return expected, is_early


def _early_one(rr, normal, early, abrupt, window, late_reset, run_limit):
    """:func:`early_beats` on one record's beats in time order (Python floats and lists: a per-beat loop)."""
    n = len(rr)
    rr, normal = np.asarray(rr, dtype=np.float64).tolist(), np.asarray(normal, dtype=bool).tolist()
    expected, is_early = [math.nan] * n, [False] * n
    learned, run, lates, last_learned, previous = [], 0, 0, -n - 1, math.nan
    median, isfinite = statistics.median, math.isfinite
    for i in range(n):
        x = rr[i]
        nn = normal[i] and i > 0 and normal[i - 1] and isfinite(x)
        if learned and i - last_learned > run_limit:
            learned, run = [], 0
        ref = float(median(learned[-window:])) if len(learned) >= 3 else math.nan
        expected[i] = ref
        if not isfinite(x):
            run, previous = 0, x
            continue
        if not isfinite(ref):
            if nn:
                learned.append(x)
                last_learned = i
        elif x < early * ref and (run or not x >= abrupt * previous) and not (  # not after an interpolated beat
                i >= 2 and normal[i] and not normal[i - 1] and not is_early[i - 2]
                and early * ref <= rr[i - 1] + x <= ref / early):
            run += 1
            is_early[i] = True
        else:
            run = 0
            if nn and x * early <= ref:
                learned.append(x)
                last_learned, lates = i, 0
            elif nn:
                lates += 1
                if lates >= late_reset:
                    learned.append(x)
                    last_learned = i
        previous = x
    return np.array(expected, dtype=np.float64), np.array(is_early, dtype=bool)
