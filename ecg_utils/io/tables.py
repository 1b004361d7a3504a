"""A table of samples (CSV, TSV or TXT, gzipped or not) read right or not at all.

What is recognised, from the file's first lines (the rest is read by pandas):

- the separator: a tab, a semicolon, a comma, or spaces; decimal commas (``-0,145``) with any separator but the
  comma, and in a file of one column (a comma between digits on every line, with a header of one name, a
  fraction with a leading zero or a ``-0``); quoted cells; a header line (any cell that is not a number), an
  optional line of units under it (PhysioNet's exports: ``'mV'``), leading blank and ``#`` comment lines;
- the encoding: UTF-8 (with or without its mark), UTF-16 (by its mark or its zero bytes), else Latin-1;
- a first column that is a time (in seconds, named ``time``, ``t``, ``seconds``...; in milliseconds, named ``ms``,
  ``time_ms``...; or ``h:mm:ss.mmm`` clock times) or a sample index (named ``sample``, ``index``..., or unnamed:
  counting up by one): it is not a lead. A time gives the sampling rate (checked against ``fs`` by the caller);
  rows it skips (a jump in the time or index) and empty cells are a *gap*: NaN samples kept in place, so that
  every later sample keeps its time.

Examples
--------
>>> read_table(Path("holter.csv"), None, None, True, [])            # doctest: +SKIP
(array([...]), 250.0, 'II', ['time', 'II'], None, None)
"""
from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.leads import choose, column_index, normal

#: How much of the file is looked at to recognise its layout and encoding.
HEAD_BYTES = 1 << 18
_SECONDS = re.compile(r"(ELAPSED)?(TIME|T|SECS?|SECONDS|S|TIMESTAMP)([(\[]?(S|SECS?|SECONDS)[)\]]?)?")
_MILLISECONDS = re.compile(r"(ELAPSED)?(TIME|T|TIMESTAMP)?[(\[]?(MS|MSECS?|MILLISECONDS)[)\]]?")
_INDEX = re.compile(r"SAMPLES?(#|NO|NUMBER|NR|INDEX)?|INDEX|IDX|N|#|UNNAMED:?0|")
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|NaN|NAN|inf|Inf)"
_CLOCK = re.compile(r"[-+]?(?:\d+:)?\d+:\d+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"\d,\d")
#: A unit in a column's name: "ECG (uV)", "MLII [mV]", "ecg_uV".
_NAMED_UNIT = re.compile(r"(?:[\[(]\s*|[\s_])([mµμun]?V)\s*[\])]?$")
_UNITS_CELL = re.compile(r"(?i)[mµμu]?v|millivolts?|microvolts?|volts?|[hms:.]+|secs?|seconds|samples?|"
                         r"#|counts?|adu|")


def read_table(path: Path, lead, column, want_fs: bool, notes: list):
    """The chosen column of a table of samples, NaN where a sample is missing (see the module docstring).

    Returns ``(samples, rate the time column gives or None, lead name, column names, units or None, None)``;
    ``notes`` gets a line for what was assumed (an encoding, a skipped index column, a gap).
    """
    import pandas as pd

    text, encoding = _head(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"read as {encoding} text")
    lines = text.splitlines()
    start = next((k for k, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), None)
    if start is None:
        raise DataError(f"{path}: the file is empty")
    body = [line for line in lines[start + 1:start + 400] if line.strip()]
    sep, decimal = _dialect(lines[start], body)
    first = _cells(lines[start], sep)
    header = not all(_is_number(c) for c in first)
    if header and sep == r"\s+" and body and len(body[0].split()) == 1:
        first = _cells(lines[start], "\n")  # one column: its name may hold spaces ("ECG (uV)")
    names = first if header else [""] * len(first)
    shown = [name or f"column {k}" for k, name in enumerate(names)]
    skip = start + header
    units = [None] * len(names)
    if header and start + 1 < len(lines):
        second = _cells(lines[start + 1], sep)
        if len(second) == len(names) and any(second) and all(_UNITS_CELL.fullmatch(c) for c in second):
            units, skip = second, skip + 1
    named = _named_time(names[0], units[0]) if header else None
    maybe_time = len(names) > 1 and (named is not None or normal(names[0]) in ("", "UNNAMED:0", "UNNAMED0"))
    if column is not None:
        wanted = [column_index(path, shown, column)]
    else:
        wanted = [k for k in (_try_choose(shown, lead), 1 + _try_choose(shown[1:], lead) if maybe_time else None)
                  if k is not None]
        if not wanted:
            choose(path, shown[1:] if named else shown, lead)  # raises, naming the channels
    use = sorted({0, *wanted} if maybe_time else set(wanted))
    try:
        table = pd.read_csv(path, sep=sep, decimal=decimal, header=None, skiprows=skip, usecols=use,
                            skip_blank_lines=False, encoding=encoding, encoding_errors="replace",
                            engine="c", low_memory=False)
    except pd.errors.EmptyDataError:  # a header and nothing else
        table = pd.DataFrame({k: pd.Series(dtype=np.float64) for k in use})
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for a malformed file
        raise DataError(f"{path}: cannot read the table ({type(exc).__name__}: {' '.join(str(exc).split())})") \
            from exc
    filled = np.flatnonzero(table.notna().any(axis=1).to_numpy())
    table = table.iloc[: filled[-1] + 1 if filled.size else 0]  # blank lines at the end are not a gap
    kind = named
    if maybe_time and kind is None and len(table) > 2:
        kind = _counting(path, table[0], skip)
    i = next((k for k in wanted if k != 0), wanted[0]) if kind else wanted[0]
    if column is not None and kind and i == 0:
        kind = None  # the user asked for that column: read it as a signal
    values = _numbers(path, table[i], shown[i], skip)
    stated = None
    if kind:
        values, stated = _placed(path, table[0], values, kind, shown[0], skip, want_fs, notes)
    unit = units[i] or (_NAMED_UNIT.search(names[i]).group(1) if _NAMED_UNIT.search(names[i]) else None)
    return values, stated, shown[i], shown, unit, None


def _try_choose(names, lead):
    try:
        return choose("", names, lead) if names else None
    except DataError:
        return None


def _head(path: Path):
    """The first :data:`HEAD_BYTES` of the file as text, and its encoding."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(raw) > 3 and raw[1::2].count(0) > 0.4 * (len(raw) // 2):
        encoding = "utf-16-le"
    elif len(raw) > 3 and raw[0::2].count(0) > 0.4 * (len(raw) // 2):
        encoding = "utf-16-be"
    elif b"\x00" in raw:
        raise DataError(f"{path}: holds binary data, not text: a table of samples is text, one sample per line")
    else:
        try:
            raw.decode("utf-8") if len(raw) < HEAD_BYTES else raw[:-4].decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = raw.decode(encoding, errors="replace")
    if len(raw) == HEAD_BYTES:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut
    return text, encoding


def _cells(line: str, sep: str) -> list:
    return [c.strip().strip("'\"").strip() for c in re.split(sep, line.strip())]


def _is_number(cell: str) -> bool:
    return cell == "" or re.fullmatch(_NUMBER, cell) is not None or _CLOCK.fullmatch(cell) is not None


def _dialect(first: str, body: list):
    """The separator and decimal mark of a table whose first line is ``first`` and next lines ``body``."""
    lines = body or [first]
    number_or_clock = re.compile(rf"(?:{_NUMBER}|{_CLOCK.pattern})")
    decimal = None
    if any("\t" in line for line in lines):
        sep = "\t"
    elif any(";" in line for line in lines):
        sep = ";"
    elif (all(all(number_or_clock.fullmatch(tok.strip("'\"")) for tok in line.split()) for line in lines)
          and any(len(line.split()) > 1 for line in lines)):
        sep = r"\s+"
    elif any("," in line for line in lines):
        sep = ","
        parts = [line.strip().split(",") for line in lines]
        if all(re.fullmatch(r"[-+]?\d+,\d+", line.strip()) for line in lines) and (
                "," not in first or any(b.startswith("0") and len(b) > 1 for _, b in parts)
                or any(a in ("-0", "+0") for a, _ in parts)):
            sep, decimal = r"\s+", ","  # one column of decimal commas
    else:
        sep = r"\s+"
    if decimal is None:
        decimal = "," if sep != "," and any(_DECIMAL_COMMA.search(line) for line in lines) else "."
    return sep, decimal


def _named_time(name: str, unit) -> str | None:
    """"s", "ms" or "index" for a first column named (or whose unit is) a time or a sample index."""
    key, unit_key = normal(name), normal(unit or "")
    if _MILLISECONDS.fullmatch(key) or (unit_key == "MS" and _SECONDS.fullmatch(key)):
        return "ms"
    if _SECONDS.fullmatch(key):
        return "s"
    if key and _INDEX.fullmatch(key):
        return "index"
    return None


def _seconds(col):
    """A column of times as seconds: numbers, or clock times ``[h:]m:s.fff``; NaN where neither."""
    import pandas as pd

    numbers = pd.to_numeric(col, errors="coerce").to_numpy(np.float64)
    if col.dtype != object:  # parsed as numbers already: no clock time to read
        return numbers
    text = col.astype(str).str.strip().str.strip("'\"")
    clock = text.str.fullmatch(_CLOCK.pattern).to_numpy() & col.notna().to_numpy()
    if clock.any():
        parts = text[clock].str.split(":")
        numbers[clock] = [sum(float(p) * 60 ** k for k, p in enumerate(reversed(ps))) for ps in parts]
    return numbers


def _counting(path, col, skip) -> str | None:
    """"index" or "s" when an unnamed first column counts up by one, or by a fraction of a second (a time in
    seconds); None when it is a signal. A column counting up by another whole number is refused: its unit is
    unknown."""
    t = _seconds(col)
    t = t[np.isfinite(t)]
    steps = np.diff(t)
    if t.size < 3 or not np.all(steps > 0):
        return None
    step = float(np.median(steps))
    if np.mean(steps <= 1.5 * step) < 0.9:
        return None
    if np.all(t == np.round(t)):
        if step == 1:
            return "index"
        raise DataError(f"{path}: its first column counts up by {step:g} on every line: a time in milliseconds? "
                        "Name it in a header line (time_ms, or sample for a sample index), or pass column= "
                        "(--column) to read a lead")
    return "s" if step < 0.5 else None


def _numbers(path, col, name, skip) -> np.ndarray:
    """A table column as floats; a non-numeric cell is an error naming its line (counted from the file's top)."""
    import pandas as pd

    values = pd.to_numeric(col, errors="coerce")
    bad = (values.isna() & col.notna()).to_numpy()
    if bad.any() and col.dtype == object:  # quoted decimal commas ("0,145" in a comma-separated file)
        fixed = pd.to_numeric(col.str.replace(",", ".", regex=False), errors="coerce")
        values, bad = fixed, (fixed.isna() & col.notna()).to_numpy()
    bad = np.flatnonzero(bad)
    if bad.size:
        raise DataError(f"{path}: line {skip + bad[0] + 1} holds {col.iloc[bad[0]]!r} in column {name}, "
                        "not a number")
    return values.to_numpy(np.float64)


def _placed(path, col, values, kind, name, skip, want_fs, notes):
    """The samples placed by their time or index (missing rows become NaN) and the rate the time gives."""
    t = _seconds(col) * (1e-3 if kind == "ms" else 1.0)
    rows = np.flatnonzero(np.isfinite(t))
    steps = np.diff(t[rows])
    if rows.size < 2 or np.any(steps <= 0):
        where = f" at line {skip + rows[1 + np.flatnonzero(steps <= 0)[0]] + 1}" if rows.size >= 2 else ""
        if not want_fs:
            notes.append(f"{_column(name)} does not increase{where}: not used for the timing")
            return values, None
        raise DataError(f"{path}: its time column ({name}) does not increase{where}; pass fs= (--fs) and "
                        "column= (--column) to read the samples without it")
    jumps = steps > 1.5 * np.median(steps)
    if kind == "index":
        rate, pos = None, np.round(t[rows] - t[rows[0]]).astype(np.int64)
        notes.append(f"{_column(name)} counts the samples: not a lead")
    else:
        cuts = np.r_[0, np.flatnonzero(jumps) + 1, rows.size]
        length = sum(b - a - 1 for a, b in zip(cuts[:-1], cuts[1:]))
        span = sum(t[rows[b - 1]] - t[rows[a]] for a, b in zip(cuts[:-1], cuts[1:]))
        if length < 1 or span <= 0:
            raise DataError(f"{path}: its time column ({name}) gives no sampling rate (no two samples in a row)")
        rate = length / span
        if abs(rate - round(rate)) <= 1e-4 * rate:  # times printed with few decimals: 360.00001 Hz is 360 Hz
            rate = float(round(rate))
        pos = np.round((t[rows] - t[rows[0]]) * rate).astype(np.int64)
        if want_fs:
            notes.append(f"sampling rate {rate:g} Hz from {_column(name)}")
    if not jumps.any():
        return values, rate
    if np.any(np.diff(pos) <= 0):
        bad = rows[1 + np.flatnonzero(np.diff(pos) <= 0)[0]]
        raise DataError(f"{path}: its time column ({name}) steps irregularly (line {skip + bad + 1}): not one "
                        "sampling rate")
    placed = np.full(int(pos[-1]) + 1, np.nan)
    placed[pos] = values[rows]
    k = np.flatnonzero(jumps)[0]
    notes.append(f"{_column(name)} skips {int(jumps.sum())} time(s) (first after line {skip + rows[k] + 1}): "
                 "the missing samples are a gap")
    return placed, rate


def _column(name: str) -> str:
    return name if name.startswith("column ") else f"column {name}"
