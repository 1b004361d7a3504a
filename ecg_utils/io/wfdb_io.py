"""WFDB files checked before they are trusted: the signal file's size and the checksums its header carries, and
the annotation file's structure.

A WFDB header states, per signal, how many samples there are and a 16-bit checksum of them (the sum of the
digital samples modulo 65,536); ``wfdb`` reads what it is given, so a truncated signal file fails with a NumPy
broadcast error and a signal file full of text reads as a signal. These functions say which file is wrong and
how, as one :class:`~ecg_utils.errors.DataError`.

Examples
--------
>>> header = read_header("data/raw/mitdb/119.hea")                     # doctest: +SKIP
>>> signal = read_signal("data/raw/mitdb/119.hea", header, 0)           # doctest: +SKIP
>>> sample, symbol, aux = read_annotations("data/raw/mitdb/119", "atr", header.sig_len)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError

#: Bytes per sample of the WFDB formats whose signal-file size can be checked against the header.
BYTES_PER_SAMPLE = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2, "212": 1.5, "310": 4 / 3,
                    "311": 4 / 3}


def read_header(hea) -> object:
    """The header of a WFDB record (``wfdb.rdheader``), a missing or unreadable file named.

    Raises
    ------
    DataError
        ``NAME.hea: not found`` or ``NAME.hea: cannot read the WFDB header (...)``.
    """
    import wfdb

    hea = Path(hea)
    if not hea.is_file():
        raise DataError(f"{hea}: not found")
    try:
        return wfdb.rdheader(str(hea.with_suffix("")))
    except Exception as exc:  # noqa: BLE001 - wfdb raises many types for a bad header
        raise DataError(f"{hea}: cannot read the WFDB header ({type(exc).__name__}: {exc})") from exc


def check_signal_file(hea, header, i) -> None:
    """Name a missing signal file, or one whose size is not what the header's sample count needs.

    Raises
    ------
    DataError
        ``NAME.dat: signal file not found`` or ``NAME.dat: truncated`` / ``longer than the header says``.
    """
    hea = Path(hea)
    files = getattr(header, "file_name", None)
    if not files:  # a multi-segment record: its segments are checked by wfdb
        return
    dat = hea.with_name(files[i])
    if not dat.is_file():
        raise DataError(f"{dat}: signal file not found (the header {hea.name} refers to it)")
    per_sample = BYTES_PER_SAMPLE.get(str(header.fmt[i]))
    if per_sample is None or not header.sig_len:
        return
    same_file = [k for k, f in enumerate(files) if f == files[i]]
    frame = sum(header.samps_per_frame[k] * BYTES_PER_SAMPLE.get(str(header.fmt[k]), per_sample) for k in same_file)
    need = (header.byte_offset[i] or 0) + math.ceil(header.sig_len * frame)
    have = dat.stat().st_size
    if have < need:
        raise DataError(f"{dat}: truncated: {have} bytes, but the header {hea.name} says {header.sig_len} "
                        f"samples ({need} bytes)")
    if have > need + 1:  # format 212 pads an odd sample count to a whole byte
        raise DataError(f"{dat}: {have} bytes, longer than the {need} bytes of the {header.sig_len} samples the "
                        f"header {hea.name} says: not the signal file of this header")


def read_signal(hea, header, i, check_all=False) -> np.ndarray:
    """Signal ``i`` of a record in physical units (float64, NaN where WFDB marks a sample invalid), after
    checking the signal file's size and the checksum the header states for that signal (for every signal with
    ``check_all``: the whole file is then read, which a long many-lead recording may not afford).

    Raises
    ------
    DataError
        Naming the signal file: missing, of the wrong size, unreadable, or with samples whose checksum differs
        from the header's (the file is corrupt, or is not this header's signal file).
    """
    import wfdb

    hea = Path(hea)
    channels = list(range(len(header.sig_name or []))) if check_all else [i]
    for k in channels:
        check_signal_file(hea, header, k)
    try:
        # digital samples as int32 (every WFDB format fits; wfdb's default int64 costs a second per 24 hours)
        rec = wfdb.rdrecord(str(hea.with_suffix("")), channels=channels, physical=False, return_res=32)
    except Exception as exc:  # noqa: BLE001 - wfdb raises many types for a bad file
        raise DataError(f"{_signal_file(hea, header, i)}: cannot read the signal of lead {_lead(header, i)} "
                        f"({type(exc).__name__}: {exc})") from exc
    stored = list(getattr(header, "checksum", None) or [])
    computed = rec.calc_checksum() if rec.d_signal is not None else []
    for k, value in zip(channels, computed):
        if k < len(stored) and stored[k] is not None and (value - int(stored[k])) % 65536:
            raise DataError(f"{_signal_file(hea, header, k)}: the samples of lead {_lead(header, k)} do not match "
                            f"the checksum in {hea.name} ({value % 65536} computed, {int(stored[k]) % 65536} "
                            "stated): the file is corrupt or not this record's signal")
    rec.dac(return_res=64, inplace=True)  # in place: one float64 copy, not three
    return rec.p_signal[:, channels.index(i)]


def _signal_file(hea: Path, header, i) -> Path:
    files = getattr(header, "file_name", None)
    return hea.with_name(files[i]) if files else hea


def _lead(header, i) -> str:
    return header.sig_name[i] if header.sig_name else str(i)


def read_annotations(base, extension, sig_len=None):
    """A WFDB annotation file's samples, symbols and aux notes, checked: the file ends with WFDB's end marker,
    holds at least one annotation, and every annotation lies inside the signal (``sig_len`` samples).

    Returns
    -------
    sample : int64 array
    symbol : str array
    aux : str array

    Raises
    ------
    DataError
        Naming the file: missing, empty, not a WFDB annotation file, or with annotations past the signal's end.
    """
    import wfdb

    path = Path(f"{base}.{extension}")
    if not path.is_file():
        raise DataError(f"{path}: annotation file not found")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path}: the annotation file is empty (0 bytes): no reference beats")
    try:
        with open(path, "rb") as f:
            f.seek(max(size - 2, 0))
            end = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if size % 2 or end != b"\x00\x00":
        raise DataError(f"{path}: not a WFDB annotation file (it does not end with the end-of-file marker)")
    try:
        ann = wfdb.rdann(str(base), extension)
    except Exception as exc:  # noqa: BLE001 - wfdb raises IndexError and others for a garbled file
        raise DataError(f"{path}: not a readable WFDB annotation file ({type(exc).__name__}: {exc})") from None
    sample = np.asarray(ann.sample, dtype=np.int64)
    if sample.size == 0:
        raise DataError(f"{path}: holds no annotations: no reference beats")
    if sample.min() < 0 or (sig_len and sample.max() >= sig_len) or np.any(np.diff(sample) < 0):
        raise DataError(f"{path}: annotations at samples {sample.min()}..{sample.max()}, not in order inside the "
                        f"signal's {sig_len} samples: not this record's annotations")
    return sample, np.asarray(ann.symbol, dtype=str), np.asarray(ann.aux_note, dtype=str)
