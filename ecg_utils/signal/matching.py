"""Matching detected beats to reference beats as ANSI/AAMI EC57 does (one to one, within a tolerance)."""
from __future__ import annotations

import numpy as np


def match_beats(detected, reference, tolerance) -> tuple:
    """Pair detected beats with reference beats, one to one, closest pairs first (ANSI/AAMI EC57 matching).

    Parameters
    ----------
    detected, reference : int arrays
        Beat positions in samples.
    tolerance : int
        The largest distance (samples) of a match: EC57 uses 150 ms.

    Returns
    -------
    ref_match : int64 array (len(reference),)
        Index into ``detected`` of each reference beat's match, -1 where missed.
    det_matched : bool array (len(detected),)
        Whether each detected beat matched a reference beat (False: a false beat).

    Examples
    --------
    >>> ref_match, det_matched = match_beats([10, 52, 300], [12, 50, 200], tolerance=5)
    >>> ref_match.tolist(), det_matched.tolist()
    ([0, 1, -1], [True, True, False])
    """
    det = np.asarray(detected, dtype=np.int64)
    ref = np.asarray(reference, dtype=np.int64)
    order = np.argsort(det, kind="stable")
    sorted_det = det[order]
    right = np.searchsorted(sorted_det, ref)
    cand_r = np.concatenate([np.arange(len(ref)), np.arange(len(ref))])
    cand_d = np.concatenate([right - 1, right])
    ok = (cand_d >= 0) & (cand_d < len(det))
    cand_r, cand_d = cand_r[ok], cand_d[ok]
    dist = np.abs(sorted_det[cand_d] - ref[cand_r])
    near = dist <= tolerance
    cand_r, cand_d, dist = cand_r[near], cand_d[near], dist[near]
    ref_match = np.full(len(ref), -1, dtype=np.int64)
    used = np.zeros(len(det), dtype=bool)
    for k in np.argsort(dist, kind="stable"):
        r, d = cand_r[k], cand_d[k]
        if ref_match[r] < 0 and not used[d]:
            ref_match[r], used[d] = order[d], True
    det_matched = np.zeros(len(det), dtype=bool)
    det_matched[ref_match[ref_match >= 0]] = True
    return ref_match, det_matched
