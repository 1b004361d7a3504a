"""Reading a user's own ECG recording, whatever they bring, into one :class:`Recording`: read right or not at all.

Supported: WFDB records (``NAME.hea`` + its signal file, multi-segment records too), EDF/EDF+ (``.edf``, EDF+D
with its gaps), tables of samples (``.csv``, ``.tsv``, ``.txt``, also gzipped: :mod:`ecg_utils.io.tables`) and
NumPy arrays (``.npy``). One lead is read and converted to millivolts. Nothing is guessed silently:

- a sample the file lacks (an empty cell, NaN, a jump in a table's time column, a gap between EDF+D data records,
  a missing WFDB segment) stays in its place, filled, and is listed in :attr:`Recording.gaps` (the scan does not
  read there);
- the amplitude is checked: the QRS band's peak-to-peak per 2-s window must be an ECG's
  (:data:`PLAUSIBLE_MV`; or, for a signal with no sharp QRS, its own peak-to-peak: :func:`amplitudes`). A table or array without units that looks like microvolts or volts is rescaled, a
  file whose stated units contradict its amplitude, and whole-number samples that look like ADC counts, are
  refused naming the ``units`` (``--units``) to pass;
- what was assumed or changed is one line in :attr:`Recording.notes` (the command line and the report show them).

Everything wrong with the input is one :class:`DataError` naming the file.

Examples
--------
>>> rec = read_recording("data/raw/mitdb/119.hea")              # doctest: +SKIP
>>> rec.lead, rec.fs, round(rec.duration_s)                      # doctest: +SKIP
('MLII', 360.0, 1806)
>>> read_recording("holter.csv", fs=250, column="II").source     # doctest: +SKIP
'csv'
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.leads import choose, column_index, pick_lead  # noqa: F401 - pick_lead is public here too
from ecg_utils.io.tables import read_table

FORMATS = ("WFDB (NAME.hea with its .dat), EDF/EDF+ (.edf), CSV/TSV/TXT of samples (.csv, .tsv, .txt, "
           ".csv.gz) or NumPy (.npy)")
#: Sampling rates outside this range cannot be right for beat detection (or are a wrong ``fs``).
MIN_FS, MAX_FS = 100.0, 10000.0
#: The shortest signal worth scanning, in seconds.
MIN_SECONDS = 10.0
#: The peak-to-peak of an ECG's QRS band (5-25 Hz) in a 2-s window, median over the recording, in mV: outside
#: it the units are questioned. Inside the wider :data:`TOLERATED_MV` the stated or assumed units are kept,
#: with a note.
PLAUSIBLE_MV = (0.1, 10.0)
TOLERATED_MV = (0.02, 50.0)

_TO_MV = {"mv": 1.0, "millivolt": 1.0, "millivolts": 1.0, "uv": 1e-3, "microvolt": 1e-3, "microvolts": 1e-3,
          "v": 1e3, "volt": 1e3, "volts": 1e3, "nv": 1e-6}
_UNIT = re.compile(r"\s*((?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)?\s*([^\d\s].*?)\s*")
_TABLES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


@dataclass(frozen=True)
class Recording:
    """One lead of a user's recording, in millivolts, with where it came from.

    ``units`` is the unit the samples were read in before conversion to mV (the file's, the ``units``
    argument's, or the one their amplitude showed); ``start`` is the ISO date/time the file states (WFDB base
    date/time, EDF start), else None; ``leads`` every channel; ``gaps`` the ``(start, end)`` samples (end
    excluded) the file did not hold, filled by interpolation; ``notes`` what the reader assumed or changed.
    """

    signal: np.ndarray  # float64 (n,), millivolts, finite
    fs: float
    lead: str
    name: str
    path: str
    source: str  # "wfdb" | "edf" | "csv" | "npy"
    units: str
    start: str | None = None
    leads: tuple = ()
    gaps: tuple = ()
    notes: tuple = ()

    @property
    def duration_s(self) -> float:
        """The length of the signal in seconds."""
        return self.signal.size / self.fs


def read_recording(path, lead=None, fs=None, units=None, column=None) -> Recording:
    """Read one lead of an ECG recording (WFDB, EDF/EDF+, CSV/TSV/TXT or NumPy) in millivolts.

    Parameters
    ----------
    path : path
        ``NAME.hea`` (or ``NAME`` / ``NAME.dat`` with ``NAME.hea`` beside it), ``.edf``, ``.csv``,
        ``.tsv``, ``.txt``, ``.csv.gz`` or ``.npy``.
    lead : str, optional
        The channel to read, matched ignoring case, spaces, dashes and underscores; default
        :func:`pick_lead`'s choice. For a table the header names are the channels; a first column that is a time
        or a sample index is not a lead (:mod:`ecg_utils.io.tables`).
    fs : float, optional
        Sampling rate in Hz: required for a table without a time column and for NumPy. Checked against the
        file's own rate (WFDB, EDF, a table's time column): more than 1% apart is an error.
    units : str, optional
        "mV", "uV" (or µV), "V" or "nV", optionally with a size: "5uV" is one unit of 5 µV (raw ADC counts at
        200 per mV). Overrides the file's units and the amplitude check (a note says when the amplitude is not an
        ECG's). Tables and arrays without it are taken as mV when their amplitude is an ECG's.
    column : int or str, optional
        The channel by index or exact name (a table's column, a 2-D array's column); wins over ``lead``.

    Returns
    -------
    Recording
        The signal (gaps linearly interpolated and listed), its rate, lead, provenance and notes.

    Raises
    ------
    DataError
        One line naming the file and the problem: missing file, unknown format, unreadable or truncated
        file, no such lead or column, non-numeric value, unknown units or an amplitude that contradicts them,
        bad or missing ``fs`` (or one the file contradicts), no valid sample, or less than 10 s of signal.
    """
    source, where = _locate(Path(path))
    reader = {"wfdb": _read_wfdb, "edf": _read_edf, "csv": read_table, "npy": _read_npy}[source]
    notes = []
    raw, stated, chosen, names, file_units, start = reader(where, lead=lead, column=column, want_fs=fs is None,
                                                           notes=notes)
    rate = _rate(where, fs, stated, source)
    signal, gaps = _clean(where, np.asarray(raw, dtype=np.float64).ravel(), rate, notes)
    factor, used_units = _units(where, signal, rate, units, file_units, source, chosen, notes)
    name = where.name[:-3] if where.name.lower().endswith(".gz") else where.name
    return Recording(signal * factor, rate, chosen, Path(name).stem, str(where), source, used_units, start,
                     tuple(names), tuple(gaps), tuple(notes))


def _locate(path: Path):
    """The format of ``path`` and the file to read (for WFDB the record's header, ``NAME.hea``)."""
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a recording file; supported: {FORMATS}")
    suffix = path.suffix.lower()
    if suffix != ".hea" and Path(f"{path}.hea").is_file():
        return "wfdb", Path(f"{path}.hea")
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if suffix == ".dat":
        if path.with_suffix(".hea").is_file():
            return "wfdb", path.with_suffix(".hea")
        raise DataError(f"{path}: a WFDB signal file needs its header {path.with_suffix('.hea').name} beside it")
    full = "".join(path.suffixes[-2:]).lower() if suffix == ".gz" else suffix
    kinds = {".hea": "wfdb", ".edf": "edf", ".npy": "npy", **{s: "csv" for s in _TABLES}}
    if full not in kinds:
        raise DataError(f"{path}: unknown kind of file ({full or 'no extension'}); supported: {FORMATS}")
    return kinds[full], path


# -- WFDB ------------------------------------------------------------------------------------------------------
def _read_wfdb(hea: Path, lead, column, want_fs, notes):
    from ecg_utils.io.wfdb_io import read_header

    with _ascii_named(hea) as (staged, restore):
        try:
            header = read_header(staged)
            if getattr(header, "seg_name", None):
                signal, names, i, units = _read_segments(staged, header, lead, column, notes)
            else:
                signal, names, i, units = _read_single(staged, header, lead, column)
        except DataError as exc:
            raise DataError(restore(str(exc))) from None
    date, time = header.base_date, header.base_time
    start = datetime.combine(date, time) if date and time else (date or time)
    return signal, float(header.fs), names[i], names, units, start.isoformat() if start else None


def _read_single(hea, header, lead, column):
    from ecg_utils.io.wfdb_io import read_signal

    names = list(header.sig_name or [])
    i = column_index(hea, names, column) if column is not None else choose(hea, names, lead)
    signal = read_signal(hea, header, i)  # the signal file's size and the header's checksum checked
    units = (header.units or [None] * (i + 1))[i] or "mV"  # WFDB's default units are millivolts
    return signal, names, i, units


def _read_segments(hea, header, lead, column, notes):
    """A multi-segment record's lead, each segment checked as a record of its own, converted to millivolts; a
    null segment (``~``) or one without the lead is a gap."""
    from ecg_utils.io.wfdb_io import read_header, read_signal

    segments = [(name, int(n)) for name, n in zip(header.seg_name, header.seg_len)]
    layout = next((name for name, n in segments if n == 0 and name != "~"), None)
    first = layout or next((name for name, _ in segments if name != "~"), None)
    if first is None:
        raise DataError(f"{hea}: a multi-segment record whose segments are all empty (~)")
    names = list(read_header(hea.with_name(f"{first}.hea")).sig_name or [])
    i = column_index(hea, names, column) if column is not None else choose(hea, names, lead)
    parts, missing = [], 0
    for name, n in segments:
        if n == 0:
            continue
        seg_hea = hea.with_name(f"{name}.hea")
        seg = read_header(seg_hea) if name != "~" else None
        if seg is None or names[i] not in list(seg.sig_name or []):
            parts.append(np.full(n, np.nan))
            missing += 1
            continue
        k = list(seg.sig_name).index(names[i])
        unit = (seg.units or [None] * (k + 1))[k] or "mV"
        parts.append(read_signal(seg_hea, seg, k)[:n] * _to_mv(seg_hea, unit))
    if missing:
        notes.append(f"{missing} of {len(parts)} segments hold no {names[i]}: a gap")
    return np.concatenate(parts) if parts else np.zeros(0), names, i, "mV"


@contextmanager
def _ascii_named(hea: Path):
    """``hea`` under a name wfdb can read: wfdb reads a header as ASCII, so a record named ``Müller`` looks for
    ``Mller.dat``. Such a record is read through links with those names in a temporary folder; yields the header
    to read and a function turning the temporary paths in a message back into the real ones."""
    try:
        text = hea.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"{hea}: cannot read it ({exc.strerror or exc})") from None
    if hea.name.isascii() and text.isascii():
        yield hea, (lambda message: message)
        return
    folder = Path(tempfile.mkdtemp(prefix="ecg-record-"))
    try:
        links = {}
        stems = {hea.name} | {line.split()[0] for line in text.splitlines()[1:]
                              if line.strip() and not line.startswith("#")}
        for name in stems:
            real = hea.with_name(name)
            plain = name.encode("ascii", "ignore").decode()
            if real.exists() and plain:
                os.symlink(real.resolve(), folder / plain)
                links[str(folder / plain)] = str(real)
        yield folder / hea.name.encode("ascii", "ignore").decode(), (
            lambda message: re.sub("|".join(map(re.escape, sorted(links, key=len, reverse=True))),
                                   lambda m: links[m.group(0)], message) if links else message)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- EDF -------------------------------------------------------------------------------------------------------
def _read_edf(path: Path, lead, column, want_fs, notes):
    from ecg_utils.io import edf_discontinuous

    if edf_discontinuous.is_discontinuous(path):
        return edf_discontinuous.read(path, lead, column, notes)
    try:
        import pyedflib
    except ImportError as exc:
        raise ImportError("reading EDF files needs pyedflib: pip install pyedflib") from exc
    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as exc:
        raise DataError(f"{path}: not a readable EDF/EDF+ file ({str(exc).replace(str(path) + ': ', '')})") from exc
    with reader:
        names = [label.strip() for label in reader.getSignalLabels()]
        i = column_index(path, names, column) if column is not None else choose(path, names, lead)
        try:
            signal = reader.readSignal(i)
        except Exception as exc:
            raise DataError(f"{path}: cannot read channel {names[i]} ({exc})") from exc
        return (signal, float(reader.getSampleFrequency(i)), names[i], names,
                reader.getPhysicalDimension(i).strip() or None, reader.getStartdatetime().isoformat())


# -- NumPy -----------------------------------------------------------------------------------------------------
def _read_npy(path: Path, lead, column, want_fs, notes):
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise DataError(f"{path}: not a readable NumPy .npy file ({type(exc).__name__}: {exc})") from exc
    if array.dtype.kind not in "iuf":
        raise DataError(f"{path}: holds {array.dtype} values, not numbers")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or (array.shape[1] > array.shape[0] > 0):
        raise DataError(f"{path}: an array of shape {array.shape}; expected (samples,) or (samples, channels)")
    names = [f"column {k}" for k in range(array.shape[1])]
    if column is not None:
        i = column_index(path, names, column)
    elif lead is not None or len(names) == 1:
        i = choose(path, names, lead)
    else:
        raise DataError(f"{path}: a 2-D array with {len(names)} columns; pass column= (--column) to choose one")
    return array[:, i], None, names[i], names, None, None


# -- rate, gaps, units -----------------------------------------------------------------------------------------
def _rate(path, fs, stated, source) -> float:
    """The sampling rate: the file's own, checked against ``fs`` when both are given."""
    if fs is not None:
        try:
            given = float(fs)
        except (TypeError, ValueError):
            given = float("nan")
        if not np.isfinite(given) or given <= 0:
            raise DataError(f"{path}: fs must be a positive number of Hz, got {fs!r}")
        if stated is not None and abs(given - stated) > 0.01 * stated:
            said = "its time column gives" if source == "csv" else "the file is sampled at"
            raise DataError(f"{path}: {said} {stated:g} Hz, not {given:g} Hz (a wrong --fs?)")
        stated = stated if stated is not None else given
    if stated is None:
        raise DataError(f"{path}: a {source.upper()} file does not state its sampling rate; pass fs= (--fs)")
    if stated < MIN_FS:
        raise DataError(f"{path}: sampled at {stated:g} Hz; at least {MIN_FS:g} Hz is needed to find R-peaks "
                        "and cut beats")
    if stated > MAX_FS:
        raise DataError(f"{path}: sampled at {stated:g} Hz, above {MAX_FS:g} Hz (a wrong --fs?)")
    return float(stated)


def _to_mv(path, units) -> float:
    """The factor turning ``units`` into millivolts: a unit ("mV", "uV", "µV", "V", "nV"), optionally with a
    size ("5uV": one unit is 5 µV)."""
    match = _UNIT.fullmatch(str(units))
    key = match.group(2).replace("µ", "u").replace("μ", "u").lower() if match else ""
    size = float(match.group(1)) if match and match.group(1) else 1.0
    if key not in _TO_MV or not np.isfinite(size) or size <= 0:
        raise DataError(f"{path}: unknown units {units!r}; known: mV, uV, V, nV, optionally with a size such as "
                        "5uV (pass units= / --units)")
    return size * _TO_MV[key]


def _clean(path, signal: np.ndarray, fs: float, notes: list):
    """Fill the samples the file lacks (NaN) by linear interpolation, keeping every sample in its place, and
    list them as gaps; refuse a signal with no valid sample or under 10 s."""
    if signal.size == 0:
        raise DataError(f"{path}: no samples")
    bad = ~np.isfinite(signal)
    if bad.all():
        raise DataError(f"{path}: no valid sample (all {signal.size} are NaN)")
    if signal.size < MIN_SECONDS * fs:
        raise DataError(f"{path}: {signal.size / fs:.1f} s of signal, too short to scan "
                        f"(at least {MIN_SECONDS:g} s)")
    if not bad.any():
        return signal, []
    edges = np.diff(np.r_[0, bad.astype(np.int8), 0])
    gaps = [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]
    good = np.flatnonzero(~bad)
    signal = signal.copy()
    signal[bad] = np.interp(np.flatnonzero(bad), good, signal[good])
    longest = max(gaps, key=lambda g: g[1] - g[0])
    notes.append(f"{len(gaps)} gap(s) without samples, {bad.sum() / fs:.1f} s in all (the longest "
                 f"{(longest[1] - longest[0]) / fs:.1f} s at {longest[0] / fs:.1f} s): filled in place, not read")
    return signal, gaps


def amplitudes(signal, fs):
    """``(qrs, raw)``: the medians over 2-s windows of the peak-to-peak of the 5-25 Hz band (the QRS complexes) and
    of the signal itself, in the signal's units; ``(None, None)`` for a signal that is mostly flat. Up to 100
    stretches of 10 s, spread over the recording, are measured."""
    from scipy import signal as sps

    x = np.asarray(signal, dtype=np.float64)
    size, window = int(10 * fs), int(2 * fs)
    if x.size < size:
        return None, None
    starts = np.unique(np.linspace(0, x.size - size, min(100, x.size // size)).astype(np.int64))
    chunks = x[starts[:, None] + np.arange(size)[None, :]]
    sos = sps.butter(2, [5.0, min(25.0, 0.45 * fs)], btype="band", fs=fs, output="sos")
    band = sps.sosfiltfilt(sos, chunks - chunks.mean(axis=1, keepdims=True), axis=1)
    inner = slice(int(fs), int(fs) + 4 * window)  # 1 s off each end: the filter's edges
    qrs = np.ptp(band[:, inner].reshape(-1, window), axis=1)
    raw = np.ptp(chunks[:, inner].reshape(-1, window), axis=1)
    live = raw > 1e-9 * (1.0 + np.abs(x).max())
    if live.mean() < 0.25:
        return None, None
    return float(np.median(qrs[live])), float(np.median(raw[live]))


def _units(path, signal, fs, given, stated, source, lead, notes):
    """The factor turning the samples into mV and the units they were read in (see the module docstring)."""
    amplitude, raw = amplitudes(signal, fs)

    def fits(factor, span=PLAUSIBLE_MV):
        """The QRS band in ``span``; or, for a signal with little in that band (no sharp QRS), its range."""
        if amplitude is None:
            return True
        qrs, whole = amplitude * factor, raw * factor
        return span[0] <= qrs <= span[1] or (span[0] <= whole <= span[1] and qrs <= span[1])

    def spans(factor):
        return f"its QRS spans about {amplitude * factor:.3g} mV"

    if given is not None:
        factor = _to_mv(path, given)
        if not fits(factor):
            notes.append(f"{spans(factor)} in {given}, outside an ECG's {PLAUSIBLE_MV[0]:g}-{PLAUSIBLE_MV[1]:g} mV")
        return factor, str(given)
    if stated is not None:
        factor = _to_mv(path, stated)
        if fits(factor, TOLERATED_MV):
            if not fits(factor):
                notes.append(f"{spans(factor)} in the file's units ({stated}), outside an ECG's "
                             f"{PLAUSIBLE_MV[0]:g}-{PLAUSIBLE_MV[1]:g} mV")
            return factor, str(stated)
        guess = next((u for u, f in (("uV", 1e-3), ("mV", 1.0), ("V", 1e3)) if fits(f)), None)
        raise DataError(f"{path}: {spans(factor)} in the file's units ({stated}), not an ECG's "
                        f"{PLAUSIBLE_MV[0]:g}-{PLAUSIBLE_MV[1]:g} mV; "
                        + (f"if the file is in {guess}, pass units={guess!r} (--units {guess})" if guess else
                           "pass units= (--units) with the size of one unit of the file, e.g. 5uV"))
    unstated = {"edf": f"lead {lead} states no physical dimension", "wfdb": f"lead {lead} states no units"}
    whole = np.array_equal(signal, np.round(signal))
    if fits(1.0, TOLERATED_MV):
        if source in unstated or not fits(1.0):
            notes.append(f"{unstated.get(source, 'no units stated')}: read as mV"
                         + (f" ({spans(1.0)})" if amplitude is not None else ""))
        return 1.0, "mV"
    for unit, factor in (("uV", 1e-3), ("V", 1e3)):
        if fits(factor) and not whole:
            notes.append(f"{unstated.get(source, 'no units stated')} and its QRS spans about {amplitude:.3g} "
                         f"units: read as {unit} ({amplitude * factor:.2g} mV); pass units='mV' (--units mV) "
                         "to read it as millivolts")
            return factor, unit
    if whole:
        raise DataError(f"{path}: whole-number samples whose QRS spans about {amplitude:.3g} units, not the "
                        f"{PLAUSIBLE_MV[0]:g}-{PLAUSIBLE_MV[1]:g} mV of an ECG: raw ADC counts, or microvolts? "
                        "Pass units= (--units) with the size of one unit: uV, or e.g. 5uV for 200 counts per mV")
    raise DataError(f"{path}: its QRS spans about {amplitude:.3g} units, not an ECG's in mV, uV or V; pass "
                    "units= (--units) with the size of one unit of the file, e.g. 5uV")
