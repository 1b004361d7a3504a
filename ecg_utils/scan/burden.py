"""Holter burden: how many ventricular and supraventricular beats, how they come (alone, in couplets, in runs, in
bigeminy or trigeminy), per hour and as a share of the beats, from the scan's per-beat kinds.

Counted over the scored beats in time order (:data:`ecg_utils.scan.kinds.KINDS`; a beat that was not scored,
in an unreadable stretch or at the recording's ends, breaks every sequence):

- a **couplet** is exactly 2 consecutive beats of the kind, a **triplet** exactly 3, a **run** 3 or more (triplets
  are runs; ``longest_run`` gives the longest);
- **bigeminy** is at least :data:`PATTERN_CYCLES` single beats of the kind in a row, each followed by exactly one
  normal beat (N V N V N V ...), **trigeminy** the same with two normal beats (N N V N N V ...); an episode is
  counted once, with its beats of the kind.
"""
from __future__ import annotations

import numpy as np

#: Kinds the burden is counted for; V and S also by pattern.
ECTOPIC = ("V", "S")
#: Fewest single ectopic beats in a row, each followed by the same number of normal beats, for bigeminy/trigeminy.
PATTERN_CYCLES = 3


def runs(kinds, kind) -> tuple:
    """Start and length of every run of ``kind`` in ``kinds`` (str array), as two arrays.

    Examples
    --------
    >>> runs(np.array(list("NVVNV")), "V")
    (array([1, 4]), array([2, 1]))
    """
    is_k = np.concatenate([[False], kinds == kind, [False]])
    edges = np.flatnonzero(np.diff(is_k.astype(np.int8)))
    return edges[::2], edges[1::2] - edges[::2]


def patterns(kinds, kind, normals) -> list:
    """The episodes of single ``kind`` beats each followed by exactly ``normals`` normal beats (bigeminy: 1,
    trigeminy: 2), at least :data:`PATTERN_CYCLES` of them in a row.

    Returns
    -------
    list of (int, int, int)
        Per episode: the index of its first and of its last ``kind`` beat in ``kinds``, and how many ``kind`` beats
        it holds.

    Examples
    --------
    >>> patterns(np.array(list("NVNVNVNVNNVV")), "V", 1)
    [(1, 7, 4)]
    """
    starts, lengths = runs(kinds, kind)
    single = starts[lengths == 1]
    out, first = [], 0
    for i in range(1, len(single) + 1):
        a = single[i - 1]
        if i < len(single) and single[i] - a == normals + 1 and (kinds[a + 1:single[i]] == "N").all():
            continue
        if i - first >= PATTERN_CYCLES:
            out.append((int(single[first]), int(a), i - first))
        first = i
    return out


def _pattern_counts(kinds, kind, normals) -> dict:
    """How many :func:`patterns` episodes, and their ``kind`` beats."""
    found = patterns(kinds, kind, normals)
    return {"episodes": len(found), "beats": int(sum(n for _, _, n in found))}


def burden(kinds, hours) -> dict:
    """The Holter burden of one recording.

    Parameters
    ----------
    kinds : sequence of str
        Each detected beat's kind in time order (``"N"``, ``"S"``, ``"V"``, ``"F"``, ``"Q"``; ``""`` for a beat not
        scored, which breaks sequences).
    hours : float
        The recording's duration.

    Returns
    -------
    dict
        Per kind (V, S, F, Q): ``beats``, ``per_hour``, ``pct`` (of the scored beats); for V and S also
        ``isolated``, ``couplets``, ``triplets``, ``runs``, ``longest_run``, ``beats_in_runs``, ``bigeminy`` and
        ``trigeminy`` (``episodes``, ``beats``).

    Examples
    --------
    >>> b = burden(list("NVNNVVNVVVNNVNVNVN"), hours=1.0)
    >>> b["V"]["couplets"], b["V"]["triplets"], b["V"]["runs"], b["V"]["bigeminy"]
    (1, 1, 1, {'episodes': 1, 'beats': 3})
    """
    kinds = np.asarray(list(kinds), dtype=object).astype(str)
    scored = int((kinds != "").sum())
    out = {}
    for kind in ECTOPIC + ("F", "Q"):
        n = int((kinds == kind).sum())
        row = {"beats": n, "per_hour": n / hours if hours else None, "pct": 100 * n / scored if scored else None}
        if kind in ECTOPIC:
            _, lengths = runs(kinds, kind)
            row.update(isolated=int((lengths == 1).sum()), couplets=int((lengths == 2).sum()),
                       triplets=int((lengths == 3).sum()), runs=int((lengths >= 3).sum()),
                       longest_run=int(lengths.max()) if len(lengths) else 0,
                       beats_in_runs=int(lengths[lengths >= 3].sum()),
                       bigeminy=_pattern_counts(kinds, kind, 1), trigeminy=_pattern_counts(kinds, kind, 2))
        out[kind] = row
    return out
