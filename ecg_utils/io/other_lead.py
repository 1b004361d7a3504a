"""A recording's second ECG lead, when it has one: most Holters record two or three, and artefact rarely hits two
leads alike, so a beat seen in one lead only is suspect (:mod:`ecg_utils.signal.artefact`).

>>> rec = read_recording("holter/rec01.hea")        # doctest: +SKIP
>>> other = read_other_lead(rec)                     # doctest: +SKIP
>>> other.lead if other else None                    # doctest: +SKIP
'V1'
"""
from __future__ import annotations

from ecg_utils.errors import DataError
from ecg_utils.io.leads import pick_lead
from ecg_utils.io.recording import Recording, read_recording


def read_other_lead(rec: Recording):
    """Another ECG lead of the file ``rec`` was read from, read the same way (same rate, length and checks), or None
    when the file holds no other ECG lead, or it cannot be read as one (a lead off, implausible units: the scan then
    works on one lead, as before).

    Only WFDB records and EDF files are looked at: a table's or array's other columns may be anything.
    """
    if rec.source not in ("wfdb", "edf") or len(rec.leads) < 2:
        return None
    others = [name for name in rec.leads if name != rec.lead]
    try:
        name = others[pick_lead(others)]
        other = read_recording(rec.path, lead=name)
    except DataError:
        return None
    if other.fs != rec.fs or other.signal.size != rec.signal.size:
        return None
    return other
