"""The scan's WFDB annotation file ``<recording>.flag``: flagged beats, rhythm episodes and unreadable stretches.

Each flagged beat carries its kind as its MIT-BIH symbol (:mod:`ecg_utils.scan.kinds`: ``V`` ventricular, ``S``
supraventricular, ``F`` fusion, ``Q`` unclassifiable), with its reason, score and family in the aux note, so that
WFDB's ``bxb``, ``wfdb.processing.compare_annotations`` or :func:`ecg_utils.metrics.ec57_kinds` read it against a
reference directly; each unreadable stretch lies between ``~`` marks (signal quality: unreadable, then readable
again); each rhythm episode (:mod:`ecg_utils.scan.episodes`) is a rhythm change as in the MIT-BIH files, ``+`` with
its rhythm in the aux note (``(AFIB``, ``(SVTA``, ``(VT``, ``(B``, ``(T``) at its first beat and ``+`` with ``(N``
one sample after its last beat (or, when another episode is still going on there, that episode's rhythm). Put it beside the record's header and open it with ``-a flag`` in WAVE or LightWAVE, or
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
    changes = rhythm_changes(result.episodes, len(result.recording.signal))
    samples = list(flagged["sample"]) + list(st["start"]) + list(np.maximum(st["end"] - 1, st["start"])) + \
        [at for at, _ in changes]
    symbols = list(flagged["kind"]) + ["~"] * (2 * len(st)) + ["+"] * len(changes)
    subtypes = [0] * len(flagged) + [-1] * len(st) + [0] * len(st) + [0] * len(changes)
    aux = [f"{r}; score {s:.1f}; family {f}"
           for r, s, f in zip(flagged["reason"], flagged["score"], flagged["family"])] + \
          [f"unreadable: {k}" for k in st["kind"]] + ["readable"] * len(st) + [rhythm for _, rhythm in changes]
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


def rhythm_changes(episodes, n) -> list:
    """The rhythm annotations of ``episodes`` (:func:`ecg_utils.scan.episodes.rhythm_episodes`) in a recording of
    ``n`` samples: (sample, rhythm) pairs in sample order, each episode's rhythm at its first beat and, one sample
    after its last beat (at its last beat at the recording's end), the rhythm that goes on there: that of another
    episode still going on, else ``(N``.

    Examples
    --------
    >>> import pandas as pd
    >>> rhythm_changes(pd.DataFrame({"rhythm": ["(AFIB", "(VT"], "start": [100, 300], "end": [900, 400]}), 1000)
    [(100, '(AFIB'), (300, '(VT'), (401, '(AFIB'), (901, '(N')]
    """
    rhythms = list(episodes["rhythm"])
    starts, ends = (np.asarray(episodes[c], dtype=np.int64) for c in ("start", "end"))
    out = []
    for k, (start, end) in enumerate(zip(starts, ends)):
        after = int(end) + 1 if end + 1 < n else int(end)
        going_on = np.flatnonzero((starts <= after) & (ends >= after) & (np.arange(len(starts)) != k))
        out += [(int(start), rhythms[k]), (after, rhythms[going_on[-1]] if len(going_on) else "(N")]
    return sorted(out, key=lambda change: change[0])


def _safe_name(name) -> str:
    """A WFDB record name (letters, digits, underscores) for the annotation file."""
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name))
    return safe or "recording"
