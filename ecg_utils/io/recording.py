"""Reading a user's own ECG recording, whatever they bring, into one :class:`Recording`.

Supported: WFDB records (``NAME.hea`` + its signal file), EDF/EDF+ (``.edf``), CSV/TSV/TXT of samples
(``.csv``, ``.tsv``, ``.txt``, also gzipped) and NumPy arrays (``.npy``). One lead is read, converted to
millivolts, its NaN gaps filled; everything wrong with the input is one :class:`DataError` naming the file.

Examples
--------
>>> rec = read_recording("data/raw/mitdb/119.hea")              # doctest: +SKIP
>>> rec.lead, rec.fs, round(rec.duration_s)                      # doctest: +SKIP
('MLII', 360.0, 1806)
>>> read_recording("holter.csv", fs=250, column="II").source     # doctest: +SKIP
'csv'
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError

FORMATS = ("WFDB (NAME.hea with its .dat), EDF/EDF+ (.edf), CSV/TSV/TXT of samples (.csv, .tsv, .txt, "
           ".csv.gz) or NumPy (.npy)")
#: Sampling rates outside this range cannot be right for beat detection (or are a wrong ``fs``).
MIN_FS, MAX_FS = 100.0, 10000.0
#: The shortest signal worth scanning, in seconds.
MIN_SECONDS = 10.0

_TO_MV = {"mv": 1.0, "millivolt": 1.0, "millivolts": 1.0, "uv": 1e-3, "microvolt": 1e-3, "microvolts": 1e-3,
          "v": 1e3, "volt": 1e3, "volts": 1e3, "nv": 1e-6}
_TABLES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_STANDARD_LEADS = {"I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6", "MLI", "MLII",
                   "MLIII", "V"}
#: Channel names that are surely not an ECG (sleep and ICU recordings).
_NOT_ECG = re.compile(r"EEG|EOG|EMG|RESP|SAO2|SPO2|PLETH|FLOW|THOR|ABD|POSITION|LIGHT|SNORE|BP|CVP|TEMP|EVENT|"
                      r"MARKER|HYPNO")
#: A first column named like this (after normalising) is a time or sample index, not a lead.
_TIME_COLUMN = re.compile(r"(ELAPSED)?(TIME|T|SECS?|SECONDS|S|MS|SAMPLES?|SAMPLE#|INDEX|IDX|TIMESTAMP)"
                          r"([(\[]?(S|SECS?|SECONDS|MS)[)\]]?)?")
_SECONDS = re.compile(r"(ELAPSED)?(TIME|T|SECS?|SECONDS|S)([(\[]?(S|SECS?|SECONDS)[)\]]?)?")


@dataclass(frozen=True)
class Recording:
    """One lead of a user's recording, in millivolts, with where it came from.

    ``units`` is what the file (or the ``units`` argument) gave before conversion to mV; ``start`` is the
    ISO date/time the file states (WFDB base date/time, EDF start), else None; ``leads`` every channel.
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
        :func:`pick_lead`'s choice. For a table the header names are the channels; the first column is
        skipped when it is named like a time or sample index ("time", "t", "seconds", "sample", "index").
    fs : float, optional
        Sampling rate in Hz: required for CSV and NumPy, unless a table's first column is a time in
        seconds ("time", "t", "seconds", ...), strictly increasing, from which it is inferred. For
        WFDB/EDF it is checked against the file's own rate (more than 1% apart is an error).
    units : str, optional
        "mV", "uV" (or µV), "V" or "nV"; overrides the file's units. Tables and arrays default to mV.
    column : int or str, optional
        The channel by index or exact name (a table's column, a 2-D array's column); wins over ``lead``.

    Returns
    -------
    Recording
        The signal (NaN gaps linearly interpolated), its rate, lead and provenance.

    Raises
    ------
    DataError
        One line naming the file and the problem: missing file, unknown format, unreadable or truncated
        file, no such lead or column, non-numeric value, unknown units, bad or missing ``fs``, no valid
        sample, or less than 10 s of signal.
    """
    source, where = _locate(Path(path))
    reader = {"wfdb": _read_wfdb, "edf": _read_edf, "csv": _read_table, "npy": _read_npy}[source]
    raw, stated, chosen, names, file_units, start = reader(where, lead=lead, column=column, want_fs=fs is None)
    rate = _rate(where, fs, stated, source)
    used_units = units if units is not None else file_units
    signal = _clean(where, np.asarray(raw, dtype=np.float64).ravel() * _to_mv(where, used_units), rate)
    name = where.name[:-3] if where.name.lower().endswith(".gz") else where.name
    return Recording(signal, rate, chosen, Path(name).stem, str(where), source, str(used_units), start,
                     tuple(names))


def pick_lead(names, lead=None) -> int:
    """The index of the channel to read among ``names``.

    An explicit ``lead`` matches a name ignoring case, spaces, dashes and underscores ("ml ii" is "MLII").
    Otherwise the first of: MLII; a name ending in II (not III), e.g. "ECG II"; a name containing ECG or
    EKG; a standard lead (I, III, aVR, aVL, aVF, V1-V6, MLI, MLIII, V); else the first channel when there
    is one only or no name marks a non-ECG signal (EEG, EOG, EMG, Resp, SpO2, ...).

    Raises
    ------
    DataError
        When ``lead`` is not among ``names``, or no channel of several looks like an ECG; lists them.

    Examples
    --------
    >>> pick_lead(["V1", "MLII"])
    1
    >>> pick_lead(["EEG Fpz-Cz", "ECG", "Resp"])
    1
    >>> pick_lead(["MLII", "V5"], lead="v-5")
    1
    """
    names = [str(n) for n in names]
    keys = [_normal(n) for n in names]
    listed = ", ".join(names) or "none"
    if lead is not None:
        if _normal(lead) in keys:
            return keys.index(_normal(lead))
        raise DataError(f"no lead {lead!r} (channels: {listed})")
    rules = (lambda k: k == "MLII",
             lambda k: k.endswith("II") and not k.endswith("III"),
             lambda k: "ECG" in k or "EKG" in k,
             lambda k: k in _STANDARD_LEADS)
    for rule in rules:
        for i, key in enumerate(keys):
            if rule(key):
                return i
    if len(names) == 1 or (names and not any(_NOT_ECG.search(k) for k in keys)):
        return 0
    raise DataError(f"no channel looks like an ECG lead (channels: {listed}); pass lead= (--lead) to choose one")


def _normal(name) -> str:
    return re.sub(r"[\s_\-'\"]+", "", str(name)).upper()


def _choose(path, names, lead) -> int:
    """:func:`pick_lead`, its error naming the file."""
    try:
        return pick_lead(names, lead)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


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


def _read_wfdb(hea: Path, lead, column, want_fs):
    from ecg_utils.io.wfdb_io import read_header, read_signal

    header = read_header(hea)
    names = list(header.sig_name or [])
    i = _column(hea, names, column) if column is not None else _choose(hea, names, lead)
    signal = read_signal(hea, header, i)  # the signal file's size and the header's checksum checked
    date, time = header.base_date, header.base_time
    start = datetime.combine(date, time) if date and time else (date or time)
    units = (header.units or [None] * (i + 1))[i] or "mV"  # WFDB's default units are millivolts
    return signal, float(header.fs), names[i], names, units, start.isoformat() if start else None


def _read_edf(path: Path, lead, column, want_fs):
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
        i = _column(path, names, column) if column is not None else _choose(path, names, lead)
        try:
            signal = reader.readSignal(i)
        except Exception as exc:
            raise DataError(f"{path}: cannot read channel {names[i]} ({exc})") from exc
        return (signal, float(reader.getSampleFrequency(i)), names[i], names,
                reader.getPhysicalDimension(i).strip(), reader.getStartdatetime().isoformat())


def _read_table(path: Path, lead, column, want_fs: bool):
    import pandas as pd

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt") as f:
            first = next((line for line in f if line.strip()), "")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read it as text ({exc})") from exc
    if not first:
        raise DataError(f"{path}: the file is empty")
    sep = next((s for s in ("\t", ";", ",") if s in first), r"\s+")
    cells = [c.strip().strip("'\"") for c in re.split(sep, first.strip())]
    header = not all(_is_number(c) for c in cells)
    names = cells if header else [f"column {k}" for k in range(len(cells))]
    time_col = 0 if header and len(names) > 1 and _TIME_COLUMN.fullmatch(_normal(names[0])) else None
    if column is not None:
        i = _column(path, names, column)
    else:
        others = [k for k in range(len(names)) if k != time_col]
        i = others[_choose(path, [names[k] for k in others], lead)]
    infer = want_fs and time_col is not None and _SECONDS.fullmatch(_normal(names[0])) is not None
    use = sorted({i, 0} if infer else {i})
    try:
        table = pd.read_csv(path, sep=sep, header=0 if header else None, usecols=use)
    except Exception as exc:
        raise DataError(f"{path}: cannot read the table ({type(exc).__name__}: {exc})") from exc
    values = _numbers(path, table.iloc[:, use.index(i)], names[i], header)
    stated = None
    if infer:
        t = pd.to_numeric(table.iloc[:, 0], errors="coerce").to_numpy(np.float64)
        if t.size > 1 and np.all(np.diff(t) > 0):
            stated = (t.size - 1) / (t[-1] - t[0])
    return values, stated, names[i], names, "mV", None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell == ""
    return True


def _numbers(path, col, name, header: bool) -> np.ndarray:
    """A table column as floats; a non-numeric cell is an error naming its line (blank lines not counted)."""
    import pandas as pd

    values = pd.to_numeric(col, errors="coerce")
    bad = np.flatnonzero((values.isna() & col.notna()).to_numpy())
    if bad.size:
        raise DataError(f"{path}: line {bad[0] + 1 + header} holds {col.iloc[bad[0]]!r} in column {name}, "
                        "not a number")
    return values.to_numpy(np.float64)


def _column(path, names, column) -> int:
    """The index of ``column`` (an index or a name) among ``names``."""
    if isinstance(column, str) and column not in names and column.strip().lstrip("-").isdigit():
        column = int(column)
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if -len(names) <= column < len(names):
            return int(column) % len(names)
        raise DataError(f"{path}: no column {column}: it has {len(names)} column(s) ({', '.join(names)})")
    if str(column) in names:
        return names.index(str(column))
    return _choose(path, names, str(column))


def _read_npy(path: Path, lead, column, want_fs):
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
        i = _column(path, names, column)
    elif lead is not None or len(names) == 1:
        i = _choose(path, names, lead)
    else:
        raise DataError(f"{path}: a 2-D array with {len(names)} columns; pass column= (--column) to choose one")
    return array[:, i], None, names[i], names, "mV", None


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
            raise DataError(f"{path}: the file is sampled at {stated:g} Hz, not {given:g} Hz (a wrong --fs?)")
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
    """The factor turning ``units`` into millivolts."""
    key = str(units).strip().replace("µ", "u").replace("μ", "u").lower()
    if key not in _TO_MV:
        raise DataError(f"{path}: unknown units {units!r}; known: mV, uV, V, nV (pass units= / --units)")
    return _TO_MV[key]


def _clean(path, signal: np.ndarray, fs: float) -> np.ndarray:
    """Fill NaN gaps by linear interpolation; refuse a signal with no valid sample or under 10 s."""
    if signal.size == 0:
        raise DataError(f"{path}: no samples")
    bad = ~np.isfinite(signal)
    if bad.all():
        raise DataError(f"{path}: no valid sample (all {signal.size} are NaN)")
    if bad.any():
        good = np.flatnonzero(~bad)
        signal = signal.copy()
        signal[bad] = np.interp(np.flatnonzero(bad), good, signal[good])
    if signal.size < MIN_SECONDS * fs:
        raise DataError(f"{path}: {signal.size / fs:.1f} s of signal, too short to scan "
                        f"(at least {MIN_SECONDS:g} s)")
    return signal
