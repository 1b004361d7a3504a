"""Beat morphology against the patient's own template: what a cardiologist reads off a beat, with no labels.

Each beat (a centered beat, :mod:`ecg_utils.signal.cutting`) is compared with its patient's template
(:func:`ecg_utils.signal.templates.add_templates`) on three parts of the window around its R-peak:

- **the QRS complex** (:data:`QRS_WINDOW_S`): how well its shape follows the template's (Pearson correlation,
  :func:`qrs_correlation`), how far it lies from it (mean absolute difference in the beat's z-score units,
  :func:`qrs_deviation`) and how wide it is (:func:`qrs_width`: the time the band's slope stays above
  :data:`WIDTH_LEVEL` of its peak), beside the template's width. A ventricular beat is wide and shaped otherwise;
  a supraventricular one keeps the patient's QRS.
- **the P wave** (:data:`P_WINDOW_S`, before the QRS): how well the stretch where the template has its P wave
  matches the template's, allowing a shift of :data:`P_SHIFT_S` (:func:`p_wave_correlation`). A sinus beat has
  the patient's P wave there; a ventricular or junctional beat has none, a premature atrial beat another one.

Every number compares a beat with its own patient, so a patient whose normal QRS is wide (bundle branch block) is
not a patient of ventricular beats. :func:`morphology` gives them all as one table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats

#: The QRS complex, seconds around the R-peak: wide enough for a ventricular beat's QRS (up to about 0.2 s).
QRS_WINDOW_S = (-0.1, 0.15)
#: Where the P wave of a sinus beat lies, seconds before the R-peak (a PR interval of 0.12-0.2 s).
P_WINDOW_S = (-0.24, -0.08)
#: The P wave may sit this many seconds earlier or later than the template's (the best match counts).
P_SHIFT_S = 0.024
#: The QRS width is the time the beat's slope stays above this share of its largest value.
WIDTH_LEVEL = 0.3
#: Columns of :func:`morphology`.
COLUMNS = ("qrs_corr", "qrs_dev", "qrs_width_s", "template_width_s", "p_corr")


def _check(beats: Beats):
    if beats.template is None:
        raise DataError(f"{beats.info.get('file', 'beats')}: morphology compares each beat with its patient's "
                        "template; build the beats with a template width (add_templates)")
    params = beats.info.get("params") or {}
    if "before" not in params or beats.info.get("representation") not in (None, "centered"):
        raise DataError(f"{beats.info.get('file', 'beats')}: morphology needs centered beats (the R-peak at a known "
                        f"place), got {beats.info.get('representation')!r}")


def r_index(beats: Beats) -> int:
    """Where the R-peak lies in a centered beat (samples from the window's start)."""
    params = beats.info["params"]
    return int(round(params["before"] * beats.info["fs"]))


def window(beats: Beats, window_s, shift=0) -> slice:
    """The samples of a centered beat from ``window_s[0]`` to ``window_s[1]`` seconds around its R-peak (moved by
    ``shift`` samples), clipped to the beat."""
    fs, r = beats.info["fs"], r_index(beats)
    a, b = r + int(round(window_s[0] * fs)) + shift, r + int(round(window_s[1] * fs)) + shift
    return slice(max(a, 0), min(b, beats.length))


def correlate_rows(A, B) -> np.ndarray:
    """Pearson correlation of each row of ``A`` with the same row of ``B`` (0 where either is flat).

    Examples
    --------
    >>> correlate_rows(np.array([[1.0, 2, 3], [1, 2, 3]]), np.array([[2.0, 4, 6], [3, 2, 1]])).round(3).tolist()
    [1.0, -1.0]
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    A = A - A.mean(axis=1, keepdims=True)
    B = B - B.mean(axis=1, keepdims=True)
    den = np.sqrt((A * A).sum(axis=1) * (B * B).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (A * B).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)


def qrs_correlation(beats: Beats) -> np.ndarray:
    """Correlation of each beat's QRS complex (:data:`QRS_WINDOW_S`) with its template's: 1 = the patient's QRS."""
    _check(beats)
    w = window(beats, QRS_WINDOW_S)
    return correlate_rows(beats.X[:, w], beats.template[:, w])


def qrs_deviation(beats: Beats) -> np.ndarray:
    """Mean absolute difference between each beat's QRS complex and its template's, in the beats' units (z-scores
    of the beat window): about 0.15 for a normal beat, 1 for a ventricular one."""
    _check(beats)
    w = window(beats, QRS_WINDOW_S)
    return np.abs(beats.X[:, w].astype(np.float64) - beats.template[:, w]).mean(axis=1)


def baseline_noise(beats: Beats) -> np.ndarray:
    """How much each beat moves against its template outside the QRS (:data:`QRS_WINDOW_S`): the median absolute
    deviation of beat - template there, in the beat's z-score units. A clean beat of the patient's stays near its
    template between the QRS complexes; noise (electrode motion, muscle) does not. Float64 array (n,). Beats whose
    R-peak position is unknown (not centered beats: arrays, Kaggle-format beats given templates) are read over the
    whole window, the median keeping the QRS's share small.

    Examples
    --------
    >>> import dataclasses
    >>> X = np.zeros((2, 100), dtype=np.float32)
    >>> X[1, ::3], X[1, 1::3] = 0.4, -0.4  # the second beat jitters around its template
    >>> b = Beats.from_arrays(X, [0, 0], info={"fs": 125, "params": {"before": 0.3}})
    >>> baseline_noise(dataclasses.replace(b, template=np.zeros_like(X))).round(2).tolist()
    [0.0, 0.4]
    """
    if beats.template is None:
        _check(beats)  # the one message for beats without a template
    params = beats.info.get("params") or {}
    if "before" in params and "fs" in beats.info and beats.info.get("representation") in (None, "centered"):
        qrs = window(beats, QRS_WINDOW_S)
        outside = np.r_[0:qrs.start, qrs.stop:beats.length]
    else:
        outside = np.arange(beats.length)
    import bottleneck as bn  # np.median's values, by a loop in C (a 24-hour recording's beats: 0.6 -> 0.4 s)

    r = beats.X[:, outside].astype(np.float64) - beats.template[:, outside]
    return bn.median(np.abs(r - bn.median(r, axis=1)[:, None]), axis=1)


def qrs_width(X, fs, r, window_s=QRS_WINDOW_S, level=WIDTH_LEVEL) -> np.ndarray:
    """Width of the QRS complex of each beat (rows of ``X``, R-peak at sample ``r``), in seconds: from the first to
    the last sample of ``window_s`` where the slope ``|dX|`` reaches ``level`` of its largest value there.

    Examples
    --------
    >>> x = np.zeros((1, 100)); x[0, 48:53] = [1, 3, 5, 3, 1]
    >>> float(qrs_width(x, 125.0, 50)[0])    # the slope rises at sample 47 and falls back after 52
    0.048
    """
    X = np.asarray(X, dtype=np.float64)
    a, b = max(r + int(round(window_s[0] * fs)), 0), min(r + int(round(window_s[1] * fs)), X.shape[1] - 1)
    slope = np.abs(np.diff(X[:, a:b + 1], axis=1))
    above = slope >= level * slope.max(axis=1, keepdims=True)
    first = above.argmax(axis=1)
    last = above.shape[1] - 1 - above[:, ::-1].argmax(axis=1)
    return (last - first + 1) / fs


def p_wave_correlation(beats: Beats) -> np.ndarray:
    """How well the stretch before each beat's QRS matches its template's P wave (:data:`P_WINDOW_S`): the best
    correlation over shifts of up to :data:`P_SHIFT_S`. About 1 for a sinus beat, low for a beat without a P wave
    (ventricular, junctional; and every beat in atrial fibrillation) or with another one (premature atrial)."""
    _check(beats)
    fs = beats.info["fs"]
    reference = beats.template[:, window(beats, P_WINDOW_S)]
    best = np.full(len(beats), -1.0)
    span = int(round(P_SHIFT_S * fs))
    for shift in range(-span, span + 1):
        w = window(beats, P_WINDOW_S, shift)
        if w.stop - w.start != reference.shape[1]:
            continue
        best = np.maximum(best, correlate_rows(beats.X[:, w], reference))
    return best


def morphology(beats: Beats) -> pd.DataFrame:
    """Every beat's morphology against its template, one row per beat (:data:`COLUMNS`): ``qrs_corr``,
    ``qrs_dev``, ``qrs_width_s`` and ``template_width_s`` (:func:`qrs_width` of the beat and of its template),
    ``p_corr``.

    Raises
    ------
    DataError
        For beats without templates, or not centered on their R-peak.
    """
    _check(beats)
    fs, r = beats.info["fs"], r_index(beats)
    return pd.DataFrame({"qrs_corr": qrs_correlation(beats), "qrs_dev": qrs_deviation(beats),
                         "qrs_width_s": qrs_width(beats.X, fs, r), "template_width_s": qrs_width(beats.template, fs, r),
                         "p_corr": p_wave_correlation(beats)}, columns=list(COLUMNS))
