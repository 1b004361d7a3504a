"""The rhythm episodes of one recording: when each stretch of a rhythm other than the normal one starts and ends, as
the MIT-BIH rhythm annotations name them.

From the scan's beat table (its per-beat ``kind``, :mod:`ecg_utils.scan.kinds`) and its stretches of irregular
rhythm (:func:`ecg_utils.signal.rhythm.irregular_stretches`):

- ``(AFIB``: a stretch of irregular rhythm, at least 30 s where consecutive normal-to-normal intervals keep
  differing. It is AF-like, not a diagnosis of atrial fibrillation: atrial flutter with a varying block looks the
  same, and flutter waves are not looked for;
- ``(SVTA``: 3 or more supraventricular (S) beats in a row, ``(VT``: 3 or more ventricular (V) beats in a row,
  whatever their rate (a slow run, which MIT-BIH would call ``(IVR``, is named ``(VT`` too: its rate is in the table);
- ``(B`` ventricular bigeminy and ``(T`` ventricular trigeminy, as the Holter burden counts them
  (:func:`ecg_utils.scan.burden.patterns`): from the pattern's first V beat to its last.

Runs and patterns are read over the beats in time order, and a beat that was not scored (kind ``""``) breaks them,
as in :mod:`ecg_utils.scan.burden`. Episodes of different rhythms may overlap (a run of V beats inside irregular
rhythm).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.io.jsonable import jsonable
from ecg_utils.scan.burden import patterns, runs

#: The rhythms an episode can have (MIT-BIH rhythm annotation strings), in words.
RHYTHMS = {
    "(AFIB": "irregular rhythm (AF-like)",
    "(SVTA": "supraventricular run (3 or more S beats in a row)",
    "(VT": "ventricular run (3 or more V beats in a row)",
    "(B": "ventricular bigeminy",
    "(T": "ventricular trigeminy",
}
#: Fewest beats of a kind in a row for a ``(VT`` or ``(SVTA`` episode.
MIN_RUN = 3
#: Columns of the episode table.
COLUMNS = ("rhythm", "start", "end", "start_s", "end_s", "duration_s", "beats", "heart_rate_bpm")


def rhythm_episodes(table, irregular) -> pd.DataFrame:
    """The rhythm episodes of one recording, one row per episode (:data:`COLUMNS`), in order of their start.

    Parameters
    ----------
    table : DataFrame
        The scan's beat table (:func:`ecg_utils.scan.table.beat_table`), in time order: ``sample``, ``time_s``,
        ``kind`` and ``heart_rate_bpm`` are read.
    irregular : DataFrame
        The stretches of irregular rhythm (:func:`ecg_utils.signal.rhythm.irregular_stretches`: ``start``, ``end``).

    Returns
    -------
    DataFrame
        ``rhythm`` (a key of :data:`RHYTHMS`), ``start`` and ``end`` (samples of its first and last beat),
        ``start_s``, ``end_s``, ``duration_s``, ``beats`` (the scored beats from the first to the last) and
        ``heart_rate_bpm`` (60 / the mean RR interval between them; NaN when none is known).

    Examples
    --------
    >>> t = pd.DataFrame({"sample": np.arange(10) * 360, "time_s": np.arange(10.0), "kind": list("NNVVVNVNVN"),
    ...                   "heart_rate_bpm": 60.0})
    >>> rhythm_episodes(t, pd.DataFrame(columns=["start", "end"]))[["rhythm", "start", "end", "beats"]].values.tolist()
    [['(VT', 720, 1440, 3]]
    """
    kinds = np.asarray(table["kind"], dtype=object).astype(str)
    sample = np.asarray(table["sample"], dtype=np.int64)
    spans = [("(AFIB", *_beats_within(sample, a, b)) for a, b in zip(irregular["start"], irregular["end"])]
    spans += [(rhythm, i, j) for rhythm, kind in (("(SVTA", "S"), ("(VT", "V")) for i, j in _long_runs(kinds, kind)]
    spans += [(rhythm, i, j) for rhythm, normals in (("(B", 1), ("(T", 2)) for i, j, _ in patterns(kinds, "V", normals)]
    rows = [_episode(table, kinds, rhythm, i, j) for rhythm, i, j in spans if j >= i]
    out = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"start": np.int64, "end": np.int64, "beats": np.int64, "start_s": float, "end_s": float,
         "duration_s": float, "heart_rate_bpm": float})
    return out.sort_values(["start", "end"], kind="stable").reset_index(drop=True)


def _long_runs(kinds, kind) -> list:
    """(first, last) index of every run of at least :data:`MIN_RUN` ``kind`` beats."""
    starts, lengths = runs(kinds, kind)
    keep = lengths >= MIN_RUN
    return [(int(a), int(a + n - 1)) for a, n in zip(starts[keep], lengths[keep])]


def _beats_within(sample, start, end) -> tuple:
    """(first, last) index of the beats from sample ``start`` to ``end`` (last < first when there is none)."""
    return int(np.searchsorted(sample, start, side="left")), int(np.searchsorted(sample, end, side="right")) - 1


def _episode(table, kinds, rhythm, i, j) -> tuple:
    """One row of the episode table: beats ``i`` to ``j`` (positions in ``table``)."""
    sample, time_s = table["sample"].to_numpy(), table["time_s"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        rr = 60.0 / table["heart_rate_bpm"].to_numpy(dtype=float)[i + 1:j + 1]  # the intervals between its beats
    rr = rr[np.isfinite(rr) & (rr > 0)]
    rate = 60.0 / rr.mean() if len(rr) else np.nan
    return (rhythm, int(sample[i]), int(sample[j]), float(time_s[i]), float(time_s[j]),
            float(time_s[j] - time_s[i]), int((kinds[i:j + 1] != "").sum()), float(rate))


def episode_summary(episodes) -> dict:
    """The episodes in plain numbers (``summary.json``): per rhythm of :data:`RHYTHMS` its name, how many and how
    long in all (``per_rhythm``), and the ``list`` of episodes (``start_s``, ``end_s``, ``duration_s``, ``beats``,
    ``heart_rate_bpm``, ``rhythm``; an unknown rate is None)."""
    per = {r: {"name": name, "episodes": int((episodes["rhythm"] == r).sum()),
               "duration_s": float(episodes["duration_s"][episodes["rhythm"] == r].sum())}
           for r, name in RHYTHMS.items()}
    cols = ["start_s", "end_s", "duration_s", "beats", "heart_rate_bpm", "rhythm"]
    listed = jsonable([dict(zip(cols, row)) for row in episodes[cols].itertuples(index=False, name=None)])
    return {"per_rhythm": per, "list": listed}
