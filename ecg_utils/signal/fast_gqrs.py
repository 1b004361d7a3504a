"""wfdb's gqrs QRS detector with its two filters computed by NumPy: the same peaks, about five times faster.

``wfdb.processing.gqrs_detect`` is a line-by-line Python port of the WFDB package's ``gqrs``. For every sample it
calls ``GQRS.qf`` (the QRS matched filter), which calls ``GQRS.sm`` (a trapezoidal low-pass filter), both written as
per-sample Python over circular buffers: about four fifths of gqrs's time (``cProfile`` of a 10-minute MIT-BIH
stretch at 180 Hz: 1.86 of 2.42 s). Both filters are linear in integers, so their every value can be computed for
the whole signal at once (:func:`filter_steps`: cumulative sums in int64, exact); :class:`VectorizedGQRS` overrides
``qf`` to read them, keeping every other line of wfdb's algorithm (its peak bookkeeping, thresholds, learning and
the side effects ``qf`` has on its state: the filter's position and whether the last sample read was inside the
signal). :func:`gqrs_detect` then returns exactly what ``wfdb.processing.gqrs_detect`` returns (tested on MIT-BIH
and SVDB records, at 128, 180 and 360 Hz).

It relies on the internals of wfdb's ``GQRS`` class (``requirements.txt`` pins wfdb); :func:`gqrs_detect` falls back
to ``wfdb.processing.gqrs_detect``, with a warning, where, checked once per process, the class does not look as
expected or the two disagree on a 30-s synthetic ECG (:func:`agrees_with_wfdb`: another wfdb whose gqrs changed).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

#: Attributes of wfdb's GQRS objects the override reads or writes (checked before it is used).
_EXPECTED = ("qf", "sm", "detect", "qfv_put", "smv_at", "at")
_CONF = ("dt", "dt2", "dt3", "dt4", "smdt", "smt", "smt0", "v1norm", "_BUFLN")


def filter_steps(x, dt, smdt, adc_zero, first, last) -> np.ndarray:
    """The increment of gqrs's matched-filter accumulator (``dv`` in ``GQRS.qf``) at every time ``first..last``.

    Parameters
    ----------
    x : int array
        The digital signal (as gqrs reads it: ``GQRS.at`` repeats the first and last samples past the ends).
    dt, smdt : int
        The filter's half-widths (``conf.dt``, ``conf.smdt``).
    adc_zero : int
        The ADC zero.
    first, last : int
        The times wanted (``last`` included).

    Returns
    -------
    int64 array (last - first + 1,)
        ``10 d(dt) - 4 d(2 dt) - 2 d(3 dt) + d(4 dt)`` with ``d(k) = smv(t + k) - smv(t - k)``, where ``smv`` is
        ``GQRS.sm``'s smoothed signal: 0 at times <= 0 (never written), ``2 (x[k] + sum_{j<smdt} (x[k+j] + x[k-j]))
        + x[k+smdt] + x[k-smdt] - 4 smdt adc_zero`` for ``1 <= k <= smdt`` (0 when ``smdt`` is 1), then the running
        update ``smv[k-1] + x[k+smdt] + x[k+smdt-1] - x[k-smdt] - x[k-smdt-1]``.

    Examples
    --------
    A constant signal has no slope:

    >>> filter_steps(np.full(50, 7), 2, 2, 0, 10, 12).tolist()
    [0, 0, 0]
    """
    x = np.asarray(x, dtype=np.int64)
    n, dt4 = len(x), 4 * dt
    lo, hi = min(first - dt4, 0), max(last + dt4, smdt + 1)        # smv is needed on lo..hi

    def xs(k):                                                     # GQRS.at: the ends repeated
        return x[np.clip(k, 0, n - 1)]

    k = np.arange(lo, hi + 1)
    smv = np.zeros(len(k), dtype=np.int64)
    init = (k >= 1) & (k <= smdt)
    if smdt > 1:
        ki = k[init]
        v = xs(ki) + sum(xs(ki + j) + xs(ki - j) for j in range(1, smdt))
        smv[init] = 2 * v + xs(ki + smdt) + xs(ki - smdt) - adc_zero * (smdt << 2)
    steady = k > smdt
    if steady.any():
        ks = k[steady]
        step = xs(ks + smdt) + xs(ks + smdt - 1) - xs(ks - smdt) - xs(ks - smdt - 1)
        smv[steady] = smv[k == smdt][0] + np.cumsum(step)       # from smv[smdt] (0 when smdt is 1)
    t = np.arange(first, last + 1) - lo

    def d(off):
        return smv[t + off] - smv[t - off]

    return 10 * d(dt) - 4 * d(2 * dt) - 2 * d(3 * dt) + d(dt4)


def _looks_as_expected(qrs) -> bool:
    cls = getattr(qrs, "GQRS", None)
    conf = getattr(cls, "Conf", None)
    return cls is not None and conf is not None and all(hasattr(cls, a) for a in _EXPECTED)


def vectorized_class(qrs):
    """A subclass of ``qrs.GQRS`` (``qrs`` is ``wfdb.processing.qrs``) whose ``qf`` reads :func:`filter_steps`."""

    class VectorizedGQRS(qrs.GQRS):
        """wfdb's GQRS, its matched filter (``qf`` and ``sm``) computed ahead by :func:`filter_steps`."""

        def detect(self, x, conf, adc_zero):
            self._first = -4 * conf.dt - 2
            # Python ints: indexing a list and adding ints is faster per sample than NumPy scalars, and exact
            self._steps = filter_steps(x, conf.dt, int(conf.smdt), adc_zero, self._first,
                                       len(x) + 4 * conf.dt).tolist()
            self._n, self._mask = len(x), conf._BUFLN - 1
            self._qfv = [0] * conf._BUFLN            # GQRS.qfv as a list (read only through qfv_at)
            return super().detect(x, conf, adc_zero)

        def qfv_at(self, t):
            return self._qfv[t & self._mask]

        def qfv_put(self, t, v):
            self._qfv[t & self._mask] = v

        def qf(self):
            c, t = self.c, self.t
            at_t = t + c.dt4
            if at_t > c.smt:  # GQRS.sm computes the smoothed signal up to at_t; its last GQRS.at call sets this
                smdt = int(c.smdt)
                last_read = at_t - smdt - 1 if at_t > int(c.smt0) else (at_t - smdt if smdt > 1 else at_t)
                self.sample_valid = last_read <= self._n - 1
                c.smt = at_t
            self.v1 += self._steps[t - self._first]
            v0 = int(self.v1 / c.v1norm)
            self._qfv[t & self._mask] = v0 * v0

    return VectorizedGQRS


def _synthetic_ecg(fs=180.0, seconds=30.0, seed=0) -> np.ndarray:
    """A seeded synthetic ECG (Gaussian Q-R-S-T waves at irregular intervals, a little noise), for the self-check."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    x = 0.02 * rng.standard_normal(len(t))
    for b in np.cumsum(rng.uniform(0.6, 1.1, int(seconds))):
        if b < seconds - 0.5:
            x += (1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) - 0.3 * np.exp(-0.5 * ((t - b - 0.03) / 0.01) ** 2)
                  + 0.25 * np.exp(-0.5 * ((t - b - 0.3) / 0.05) ** 2))
    return x


@functools.lru_cache(maxsize=None)
def agrees_with_wfdb(version) -> bool:
    """Whether :class:`VectorizedGQRS` finds exactly what the installed wfdb's ``gqrs_detect`` finds on
    :func:`_synthetic_ecg` (30 s at 180 Hz, threshold 0.7; about 0.05 s), checked once per process and wfdb
    ``version``; where not, a warning says that wfdb's own gqrs is used."""
    from wfdb.processing import qrs

    x = _synthetic_ecg()
    expected = np.asarray(qrs.gqrs_detect(sig=x, fs=180.0, threshold=0.7))
    found = _vectorized(qrs, x, 180.0, 0.7)
    agrees = len(expected) > 10 and found is not None and np.array_equal(found, expected)
    if not agrees:
        warnings.warn(f"the vectorized gqrs does not agree with wfdb {version}'s gqrs_detect on a synthetic ECG; "
                      "using wfdb's own (about 6x slower). requirements.txt pins the wfdb it was checked against",
                      RuntimeWarning, stacklevel=3)
    return agrees


def _vectorized(qrs, sig, fs, threshold):
    """The vectorized detection, or None where wfdb's classes do not look as expected."""
    from wfdb.io.record import Record

    if not _looks_as_expected(qrs):
        return None
    record = Record(p_signal=sig.reshape([-1, 1]), fmt=["24"])
    record.set_d_features(do_adc=True)
    conf = qrs.GQRS.Conf(fs=fs, adc_gain=record.adc_gain[0], thresh=threshold)
    if not all(hasattr(conf, a) for a in _CONF):
        return None
    annotations = vectorized_class(qrs)().detect(x=record.d_signal[:, 0], conf=conf, adc_zero=0)
    return np.array([a.time for a in annotations])


def gqrs_detect(sig, fs, threshold=1.0) -> np.ndarray:
    """``wfdb.processing.gqrs_detect(sig=sig, fs=fs, threshold=threshold)`` (its other settings at their defaults),
    computed with :class:`VectorizedGQRS`: the same sample indices (int array).

    Examples
    --------
    >>> gqrs_detect(np.zeros(1000), 250.0).tolist()
    []
    """
    import wfdb
    from wfdb.processing import qrs

    sig = np.asarray(sig, dtype=np.float64)
    found = _vectorized(qrs, sig, fs, threshold) if agrees_with_wfdb(wfdb.__version__) else None
    return found if found is not None else np.asarray(qrs.gqrs_detect(sig=sig, fs=fs, threshold=threshold))
