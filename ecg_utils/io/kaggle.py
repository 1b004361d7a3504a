"""The Kaggle "ECG Heartbeat Categorization" CSVs: reading (validated, fast), writing, finding.

Format: no header; each row is 187 samples at 125 Hz (values in [0, 1], zero-padded tail) followed by
the label, all written as ``%.18e`` floats (``1.000000000000000000e+00``). MIT-BIH files carry labels
0-4 = N, S, V, F, Q; ``ptbdb_normal.csv`` label 0 and ``ptbdb_abnormal.csv`` label 1.

Reading parses the file in blocks of :data:`CHUNK_ROWS` rows with pandas' C parser and checks each block
vectorised as it comes, so the happy path makes one pass and holds only float32 data. When a block is
bad, only the lines of that block are read again, in Python, to name the first bad row and its problem.
"""
from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import CLASS_NAMES, Beats
from ecg_utils.io.files import written_whole

N_SAMPLES = 187
N_COLUMNS = N_SAMPLES + 1
FS = 125
PTB_CLASSES = ("normal", "abnormal")
MITBIH = ((0, 1, 2, 3, 4), CLASS_NAMES)
#: Allowed labels and class names of each known file; any other name gets the MIT-BIH ones.
KAGGLE_FILES = {
    "mitbih_train.csv": MITBIH,
    "mitbih_test.csv": MITBIH,
    "ptbdb_normal.csv": ((0,), PTB_CLASSES),
    "ptbdb_abnormal.csv": ((1,), PTB_CLASSES),
}
#: Rows parsed per block: small enough to keep the parser's memory low, large enough to stay fast.
CHUNK_ROWS = 8192
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_EXPECTED = f"expected {N_COLUMNS} ({N_SAMPLES} samples + label)"


def find_kaggle_files(folder) -> dict:
    """The known Kaggle CSVs present in ``folder``.

    Returns
    -------
    dict
        {file name: path} for those of ``mitbih_train.csv``, ``mitbih_test.csv``, ``ptbdb_normal.csv``
        and ``ptbdb_abnormal.csv`` that exist (empty if none).
    """
    folder = Path(folder)
    return {name: folder / name for name in KAGGLE_FILES if (folder / name).is_file()}


def load_kaggle_csv(path, labels=None) -> Beats:
    """Read one Kaggle heartbeat CSV into :class:`Beats` (record ids unknown, no RR intervals).

    Parameters
    ----------
    path : path
        ``mitbih_train.csv``, ``mitbih_test.csv``, ``ptbdb_normal.csv``, ``ptbdb_abnormal.csv``, or any file
        of that format (then labels 0-4 = N, S, V, F, Q are allowed).
    labels : iterable of int, optional
        The allowed labels, overriding those of the file name.

    Returns
    -------
    Beats
        ``X`` float32 (n, 187) at 125 Hz, ``y`` the labels, record :data:`~ecg_utils.io.dataset.UNKNOWN_RECORD`,
        sample -1, RR NaN; ``info["patients_mixed"]`` is True (Kaggle's split mixes patients).

    Raises
    ------
    DataError
        One line naming the file, the first bad row (1-based line number) and the problem: missing or empty
        file, wrong column count, text in a number field, NaN or inf, a label outside the allowed set.

    Examples
    --------
    >>> beats = load_kaggle_csv("data/raw/kaggle/mitbih_test.csv")   # doctest: +SKIP
    >>> beats.X.shape                                                 # doctest: +SKIP
    (21892, 187)
    """
    path = Path(path)
    allowed, class_names = _label_set(path.name, labels)
    X, y = _read_rows(path)
    _check_labels(path, y, allowed)
    info = {"source": "kaggle", "file": path.name, "path": str(path), "representation": "kaggle", "fs": FS,
            "class_names": class_names, "patients_mixed": True,
            "note": "Kaggle rows carry no record id; its train/test split mixes patients"}
    return Beats.from_arrays(X, y.astype(np.int64), info=info)


def write_kaggle_csv(beats: Beats, path) -> Path:
    """Write beats in the exact Kaggle format (``%.18e``, comma-separated, no header), atomically.

    The rows go to a temporary file in the target folder, renamed over ``path`` only once complete: a
    failure leaves no half-written file (and an existing ``path`` untouched).

    Parameters
    ----------
    beats : Beats
        Beats of 187 finite samples each; their ``y`` becomes the label column.
    path : path
        The file to write; its folder is created if needed.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    DataError
        If the beats are not 187 samples long or hold NaN or inf (the reader would refuse the file).
    """
    path = Path(path)
    if beats.length != N_SAMPLES:
        raise DataError(f"{path}: the Kaggle format holds {N_SAMPLES} samples per beat, these beats have "
                        f"{beats.length}")
    finite = np.isfinite(beats.X).all(axis=1)
    if not finite.all():
        raise DataError(f"{path}: beat {int(np.argmin(finite))} holds NaN or inf; the Kaggle format cannot")
    with written_whole(path) as tmp, open(tmp, "x") as f:
        rows = np.column_stack([beats.X.astype(np.float64), beats.y.astype(np.float64)])
        np.savetxt(f, rows, fmt="%.18e", delimiter=",")
    return path


# -- reading ---------------------------------------------------------------------------------------
def _label_set(name, labels):
    """(allowed labels, class names) for a file name, ``labels`` overriding the allowed set."""
    allowed, class_names = KAGGLE_FILES.get(name, MITBIH)
    class_names = list(class_names)
    if labels is None:
        return allowed, class_names
    allowed = tuple(sorted({_as_label(v) for v in labels}))
    if not allowed:
        raise ValueError("labels= must name at least one label")
    # a label past the known class names gets its number as name, so Beats.counts() still sees it
    class_names += [str(v) for v in range(len(class_names), max(allowed) + 1)]
    return allowed, class_names


def _as_label(value) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if isinstance(value, (bool, np.bool_)) or not number.is_integer() or number < 0:
        raise ValueError(f"labels= must hold non-negative integers, got {value!r}")
    return int(number)


def _read_rows(path):
    """All rows of ``path``: samples as float32 (n, 187) and labels as float64 (n,), each row checked."""
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    X, y, start, bad = [], [], 0, None
    try:
        with pd.read_csv(path, header=None, names=range(N_COLUMNS + 1), dtype=np.float64, engine="c",
                         quoting=csv.QUOTE_NONE, skip_blank_lines=False, chunksize=CHUNK_ROWS) as reader:
            for block in reader:
                block = block.to_numpy()
                with np.errstate(over="ignore"):  # a value past float32 becomes inf, refused below
                    samples = block[:, :N_SAMPLES].astype(np.float32)
                bad = _first_bad_index(block, samples)
                if bad is not None:
                    break
                X.append(samples)
                y.append(block[:, N_SAMPLES].copy())
                start += len(block)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: empty file (expected rows of {N_SAMPLES} samples + label)") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except (pd.errors.ParserError, ValueError) as exc:  # text in a field, too many fields, bad bytes
        raise _located_error(path, _earliest(path, start + 1), exc) from exc
    if bad is not None:
        raise _located_error(path, _earliest(path, start + bad + 1), None)
    if start == 0:  # with the column names given, pandas reads an empty file as no rows
        raise DataError(f"{path}: empty file (expected rows of {N_SAMPLES} samples + label)")
    line = _trailing_comma_line(path)
    if line is not None:
        raise _located_error(path, line, None)
    return np.concatenate(X), np.concatenate(y)


def _earliest(path, line) -> int:
    """``line``, or an earlier line ending in a comma (the parser accepted it): where to look for the first bad row."""
    comma = _trailing_comma_line(path, stop=line)
    return comma if comma is not None else line


def _trailing_comma_line(path, stop=None):
    """The first line (1-based, up to line ``stop``) ending in a comma, or None: a 189th, empty field, which the
    parser's spare column reads as missing (NaN) and so cannot tell apart from no field. About 0.3 s per 100 MB."""
    with _open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            if line.rstrip(b"\r\n").endswith(b","):
                return number
            if number == stop:
                return None
    return None


def _first_bad_index(block, samples):
    """Index of the first row of a parsed block that is not 188 finite numbers (float32 range), or None.

    The parser reads one spare column: a row with too many fields fills it (without it, pandas 2 silently drops
    the extra fields of a block's first row). A short row comes out padded with NaN. So a wrong column count
    shows up here too.
    """
    ok = np.isfinite(samples).all(axis=1) & np.isfinite(block[:, N_SAMPLES]) & np.isnan(block[:, N_COLUMNS])
    return None if ok.all() else int(np.argmin(ok))


def _open(path, mode, **kw):
    """``path`` opened as the parser reads it: decompressed when it ends in ``.gz``."""
    return (gzip.open if path.name.endswith(".gz") else open)(path, mode, **kw)


def _located_error(path, first_line, exc) -> DataError:
    """The DataError for the first bad line from ``first_line`` (1-based) on.

    Reads the file again, skipping the lines before ``first_line`` (cheap: no parsing) and checking lines in
    Python from there. The parser has accepted every line before ``first_line``, and the bad one lies
    within the block it stopped in, so only that block's lines are checked.
    """
    with _open(path, "rt", encoding="utf-8-sig", errors="replace") as f:
        lines = itertools.islice(f, first_line - 1, None)
        for lineno, line in enumerate(lines, start=first_line):
            problem = _row_problem(line)
            if problem:
                return DataError(f"{path}: row {lineno}: {problem}")
    # the parser refused what Python accepts: say what the parser said, on one line
    reason = str(exc).strip().splitlines()[-1][:200] if exc is not None else "not 188 finite numbers"
    return DataError(f"{path}: rows from {first_line} on cannot be parsed ({reason})")


def _row_problem(line):
    """What is wrong with one line of the file, or None if it is 188 finite numbers."""
    text = line.rstrip("\r\n")
    if not text.strip():
        return f"blank line, {_EXPECTED} columns"
    fields = text.split(",")
    if len(fields) != N_COLUMNS:
        return f"{len(fields)} columns, {_EXPECTED}"
    for col, field in enumerate(fields, start=1):
        problem = _field_problem(field.strip())
        if problem:
            return f"column {col} {problem}"
    return None


def _field_problem(field):
    if not field:
        return "is empty, not a number"
    try:
        if "_" in field:  # Python's float() reads 1_0, the parser does not
            raise ValueError(field)
        value = float(field)
    except ValueError:
        return f"holds {field[:40]!r}, not a number"
    if value != value or abs(value) == float("inf"):
        return f"holds {field!r} (NaN or infinite)"
    if abs(value) > _FLOAT32_MAX:
        return f"holds {field!r}, beyond the float32 range"
    return None


def _check_labels(path, y, allowed):
    """Raise a DataError on the first label that is not an integer of ``allowed``."""
    wrong = ~np.isin(y, allowed)  # a non-integer such as 2.5 is never in the (integer) set
    if wrong.any():
        i = int(np.argmax(wrong))
        raise DataError(f"{path}: row {i + 1}: label {y[i]:g} is not one of this file's labels {list(allowed)}")
