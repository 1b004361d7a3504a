"""The Kaggle "ECG Heartbeat Categorization" CSVs: reading (validated, fast), writing, finding.

Format: no header; each row is 187 samples at 125 Hz (values in [0, 1], zero-padded tail) followed by
the label, all written as ``%.18e`` floats (``1.000000000000000000e+00``). MIT-BIH files carry labels
0-4 = N, S, V, F, Q; ``ptbdb_normal.csv`` label 0 and ``ptbdb_abnormal.csv`` label 1.
"""
from __future__ import annotations

import csv
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_utils.dataset import CLASS_NAMES, Beats
from ecg_utils.errors import DataError

N_SAMPLES = 187
N_COLUMNS = N_SAMPLES + 1
PTB_CLASSES = ("normal", "abnormal")
#: Allowed labels and class names of each known file.
KAGGLE_FILES = {
    "mitbih_train.csv": ((0, 1, 2, 3, 4), CLASS_NAMES),
    "mitbih_test.csv": ((0, 1, 2, 3, 4), CLASS_NAMES),
    "ptbdb_normal.csv": ((0,), PTB_CLASSES),
    "ptbdb_abnormal.csv": ((1,), PTB_CLASSES),
}


def find_kaggle_files(folder) -> dict:
    """The known Kaggle CSVs present in ``folder``: {file name: path} (empty if none)."""
    folder = Path(folder)
    return {name: folder / name for name in KAGGLE_FILES if (folder / name).is_file()}


def _first_bad_row(path):
    """Scan the file for its first malformed row: (line number, problem) or None."""
    with open(path, newline="") as f:
        for lineno, row in enumerate(csv.reader(f), start=1):
            if len(row) != N_COLUMNS:
                return lineno, f"{len(row)} columns, expected {N_COLUMNS} ({N_SAMPLES} samples + label)"
            for col, text in enumerate(row, start=1):
                try:
                    value = float(text)
                except ValueError:
                    return lineno, f"column {col} holds {text.strip()[:40]!r}, not a number"
                if not math.isfinite(value):
                    return lineno, f"column {col} holds {text.strip()!r} (NaN or infinite)"
    return None


def load_kaggle_csv(path, labels=None) -> Beats:
    """Read one Kaggle heartbeat CSV into :class:`Beats` (record ids unknown, no RR intervals).

    Parameters
    ----------
    path : path
        ``mitbih_train.csv``, ``mitbih_test.csv``, ``ptbdb_normal.csv``, ``ptbdb_abnormal.csv``, or any file
        of that format (then labels 0-4 = N, S, V, F, Q are allowed).
    labels : iterable of int, optional
        The allowed labels, overriding the file name's.

    Raises
    ------
    DataError
        One line naming the file, the first bad row (1-based line number) and the problem: missing or empty
        file, wrong column count, text in a number field, NaN or inf, a label outside the allowed set.

    Examples
    --------
    >>> beats = load_kaggle_csv("data/mitbih_test.csv")   # doctest: +SKIP
    >>> beats.X.shape                                       # doctest: +SKIP
    (21892, 187)
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file (expected rows of {N_SAMPLES} samples + label)")
    allowed, class_names = KAGGLE_FILES.get(path.name, ((0, 1, 2, 3, 4), CLASS_NAMES))
    if labels is not None:
        allowed = tuple(int(v) for v in labels)
    try:
        data = pd.read_csv(path, header=None, dtype=np.float64, engine="c").to_numpy()
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file (expected rows of {N_SAMPLES} samples + label)") from None
    except (ValueError, pd.errors.ParserError) as exc:
        bad = _first_bad_row(path)
        problem = f"row {bad[0]}: {bad[1]}" if bad else f"cannot be parsed ({exc})"
        raise DataError(f"{path}: {problem}") from None
    if data.shape[1] != N_COLUMNS or not np.isfinite(data).all():
        # short rows are padded with NaN by the parser: find the first bad row on the slow path
        bad = _first_bad_row(path)
        if bad is None:  # pragma: no cover - the parser and the scan disagree
            bad = (int(np.flatnonzero(~np.isfinite(data).all(axis=1))[0]) + 1, "NaN or infinite values")
        raise DataError(f"{path}: row {bad[0]}: {bad[1]}")
    y = data[:, -1]
    wrong = (y != np.round(y)) | ~np.isin(y, allowed)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataError(f"{path}: row {i + 1}: label {y[i]:g} is not one of this file's labels {list(allowed)}")
    info = {"source": "kaggle", "file": path.name, "path": str(path), "representation": "kaggle", "fs": 125,
            "class_names": list(class_names), "patients_mixed": True,
            "note": "Kaggle rows carry no record id; its train/test split mixes patients"}
    return Beats.from_arrays(data[:, :N_SAMPLES].astype(np.float32), y.astype(np.int64), info=info)


def write_kaggle_csv(beats: Beats, path) -> Path:
    """Write beats in the exact Kaggle format (``%.18e``, comma-separated, no header), atomically."""
    path = Path(path)
    if beats.length != N_SAMPLES:
        raise DataError(f"{path}: the Kaggle format holds {N_SAMPLES} samples per beat, these beats have {beats.length}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            np.savetxt(f, np.column_stack([beats.X.astype(np.float64), beats.y]), fmt="%.18e", delimiter=",")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
