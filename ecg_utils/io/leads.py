"""Which channel of a recording to read: a lead named by the user, else the likeliest ECG lead.

Examples
--------
>>> pick_lead(["V1", "MLII"])
1
>>> pick_lead(["EEG Fpz-Cz", "ECG", "Resp"])
1
>>> pick_lead(["MLII", "V5"], lead="v-5")
1
"""
from __future__ import annotations

import re

import numpy as np

from ecg_utils.errors import DataError

_STANDARD_LEADS = {"I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6", "MLI", "MLII",
                   "MLIII", "V"}
#: Channel names that are surely not an ECG (sleep and ICU recordings).
_NOT_ECG = re.compile(r"EEG|EOG|EMG|RESP|SAO2|SPO2|PLETH|FLOW|THOR|ABD|POSITION|LIGHT|SNORE|BP|CVP|TEMP|EVENT|"
                      r"MARKER|HYPNO")


def pick_lead(names, lead=None) -> int:
    """The index of the channel to read among ``names``.

    An explicit ``lead`` matches a name ignoring case, spaces, dashes and underscores ("ml ii" is "MLII").
    Otherwise the first of: MLII; a name ending in II (not III), e.g. "ECG II"; a name containing ECG or
    EKG; a standard lead (I, III, aVR, aVL, aVF, V1-V6, MLI, MLIII, V); else the first channel when there
    is one only or no name marks a non-ECG signal (EEG, EOG, EMG, Resp, SpO2, ...).

    Raises
    ------
    DataError
        When ``lead`` is not among ``names``, or no channel of several looks like an ECG; lists them.
    """
    names = [str(n) for n in names]
    keys = [normal(n) for n in names]
    listed = ", ".join(names) or "none"
    if lead is not None:
        if normal(lead) in keys:
            return keys.index(normal(lead))
        raise DataError(f"no lead {lead!r} (channels: {listed})")
    rules = (lambda k: k == "MLII",
             lambda k: k.endswith("II") and not k.endswith("III"),
             lambda k: "ECG" in k or "EKG" in k,
             lambda k: k in _STANDARD_LEADS)
    for rule in rules:
        for i, key in enumerate(keys):
            if rule(key):
                return i
    if len(names) == 1 or (names and not any(_NOT_ECG.search(k) for k in keys)):
        return 0
    raise DataError(f"no channel looks like an ECG lead (channels: {listed}); pass lead= (--lead) to choose one")


def normal(name) -> str:
    """A channel name compared ignoring case, spaces, dashes, underscores and quotes."""
    return re.sub(r"[\s_\-'\"]+", "", str(name)).upper()


def choose(path, names, lead) -> int:
    """:func:`pick_lead`, its error naming the file."""
    try:
        return pick_lead(names, lead)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def column_index(path, names, column) -> int:
    """The index of ``column`` (an index or a name) among ``names``."""
    if isinstance(column, str) and column not in names and column.strip().lstrip("-").isdigit():
        column = int(column)
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool):
        if -len(names) <= column < len(names):
            return int(column) % len(names)
        raise DataError(f"{path}: no column {column}: it has {len(names)} column(s) ({', '.join(names)})")
    if str(column) in names:
        return names.index(str(column))
    return choose(path, names, str(column))
