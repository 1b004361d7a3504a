"""EDF+D: an EDF+ file whose data records need not follow each other (a Holter paused, a sleep study's breaks).

pyedflib refuses such a file; here its data records are read with NumPy and each is put at the time its
timekeeping annotation states (the first TAL of the ``EDF Annotations`` signal), the time between records left NaN:
a gap that keeps every later sample at its time (:func:`read`). EDF+ is specified at https://www.edfplus.info.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.leads import choose, column_index

#: The signal header's fields and their widths, in file order (each field for every signal in turn).
_FIELDS = (("label", 16), ("transducer", 80), ("dimension", 8), ("physical_min", 8), ("physical_max", 8),
           ("digital_min", 8), ("digital_max", 8), ("prefiltering", 80), ("samples", 8), ("reserved", 32))
_ONSET = re.compile(rb"([+-]\d+(?:\.\d*)?)\x14")


def is_discontinuous(path) -> bool:
    """Whether the EDF file's header says EDF+D (or BDF+D)."""
    try:
        with open(path, "rb") as f:
            head = f.read(236)
    except OSError:
        return False
    return len(head) == 236 and head[192:197] in (b"EDF+D", b"BDF+D")


def read(path: Path, lead, column, notes):
    """One channel of an EDF+D file, NaN between its data records; the reader tuple of
    :func:`ecg_utils.io.recording.read_recording` (samples, rate, lead, leads, physical dimension, start)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        if raw[:1] != b"0":
            raise ValueError("only EDF+D is read, not BDF+D")
        ns, size, n_records, duration = (int(raw[252:256]), int(raw[184:192]), int(raw[236:244]),
                                         float(raw[244:252]))
        fields, offset = {}, 256
        for name, width in _FIELDS:
            fields[name] = [raw[offset + k * width:offset + (k + 1) * width].decode("latin-1").strip()
                            for k in range(ns)]
            offset += ns * width
        samples = [int(s) for s in fields["samples"]]
        per_record = 2 * sum(samples)
        if n_records < 0:
            n_records = (len(raw) - size) // per_record
        if size != 256 * (ns + 1) or duration <= 0 or len(raw) < size + n_records * per_record:
            raise ValueError(f"{len(raw)} bytes, too few for {n_records} data records of {per_record} bytes")
        records = np.frombuffer(raw, np.uint8, n_records * per_record, size).reshape(n_records, per_record)
        annotations = fields["label"].index("EDF Annotations")
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path}: not a readable EDF+D file ({exc})") from None
    names = [label for k, label in enumerate(fields["label"]) if k != annotations]
    channels = [k for k in range(ns) if k != annotations]
    i = column_index(path, names, column) if column is not None else choose(path, names, lead)
    k = channels[i]
    first = 2 * sum(samples[:k])
    digital = records[:, first:first + 2 * samples[k]].copy().view("<i2").astype(np.float64)
    pmin, pmax, dmin, dmax = (float(fields[f][k]) for f in ("physical_min", "physical_max", "digital_min",
                                                             "digital_max"))
    physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin
    a = 2 * sum(samples[:annotations])
    onsets = []
    for r, tal in enumerate(records[:, a:a + 2 * samples[annotations]]):
        found = _ONSET.match(tal.tobytes())
        if not found:
            raise DataError(f"{path}: data record {r + 1} has no time (its first annotation is not an onset)")
        onsets.append(float(found.group(1)))
    fs = samples[k] / duration
    pos = np.round((np.asarray(onsets) - onsets[0]) * fs).astype(np.int64)
    if np.any(np.diff(pos) < samples[k]):
        r = int(np.flatnonzero(np.diff(pos) < samples[k])[0]) + 2
        raise DataError(f"{path}: data record {r} starts at {onsets[r - 1]:g} s, before the one ahead of it ends")
    signal = np.full(int(pos[-1]) + samples[k] if len(pos) else 0, np.nan)
    for p, values in zip(pos, physical):
        signal[p:p + samples[k]] = values
    breaks = int(np.sum(np.diff(pos) > samples[k]))
    if breaks:
        notes.append(f"EDF+D: {breaks} break(s) between data records, kept as gaps")
    return signal, fs, names[i], names, fields["dimension"][k] or None, _start(raw)


def _start(raw: bytes) -> str | None:
    """The start date and time of the header (``dd.mm.yy``, ``hh.mm.ss``; years 85-99 are 19xx) as ISO."""
    try:
        d, m, y = (int(v) for v in raw[168:176].decode("ascii").split("."))
        hh, mm, ss = (int(v) for v in raw[176:184].decode("ascii").split("."))
        return f"{1900 + y if y >= 85 else 2000 + y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}"
    except ValueError:
        return None
