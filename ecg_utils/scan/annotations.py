"""The scan's WFDB annotation file ``<recording>.flag``: flagged beats and unreadable stretches.

Each flagged beat carries its kind as its MIT-BIH symbol (:mod:`ecg_utils.scan.kinds`: ``V`` ventricular, ``S``
supraventricular, ``F`` fusion, ``Q`` unclassifiable), with its reason, score and family in the aux note, so that
WFDB's ``bxb``, ``wfdb.processing.compare_annotations`` or :func:`ecg_utils.metrics.ec57_kinds` read it against a
reference directly; each unreadable stretch lies between ``~`` marks (signal quality: unreadable, then readable
again). Put it beside the record's header and open it with ``-a flag`` in WAVE or LightWAVE, or
``wfdb.rdann(record, "flag")``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ANNOTATOR = "flag"


def write_annotations(result, folder) -> Path:
    """Write ``<recording>.flag`` (see the module docstring) into ``folder``."""
    import wfdb

    b, st = result.table, result.stretches
    flagged = b[b["flagged"]]
    samples = list(flagged["sample"]) + list(st["start"]) + list(np.maximum(st["end"] - 1, st["start"]))
    symbols = list(flagged["kind"]) + ["~"] * (2 * len(st))
    subtypes = [0] * len(flagged) + [-1] * len(st) + [0] * len(st)
    aux = [f"{r}; score {s:.1f}; family {f}"
           for r, s, f in zip(flagged["reason"], flagged["score"], flagged["family"])] + \
          [f"unreadable: {k}" for k in st["kind"]] + ["readable"] * len(st)
    order = np.argsort(np.asarray(samples, dtype=np.int64), kind="stable")
    name = _safe_name(result.recording.name)
    if not len(order):  # wrann refuses an empty file: write the header-only annotation file WFDB tools accept
        path = Path(folder) / f"{name}.{ANNOTATOR}"
        path.write_bytes(b"\x00\x00")
        return path
    wfdb.wrann(name, ANNOTATOR, np.asarray(samples, dtype=np.int64)[order], symbol=[symbols[i] for i in order],
               subtype=np.asarray(subtypes)[order], aux_note=[aux[i] for i in order], fs=result.recording.fs,
               write_dir=str(folder))
    return Path(folder) / f"{name}.{ANNOTATOR}"


def _safe_name(name) -> str:
    """A WFDB record name (letters, digits, underscores) for the annotation file."""
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name))
    return safe or "recording"
