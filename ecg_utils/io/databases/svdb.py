"""The MIT-BIH Supraventricular Arrhythmia Database: 78 half-hour two-lead records at 128 Hz (leads ECG1, ECG2) of
other patients than the MIT-BIH Arrhythmia Database's, rich in supraventricular ectopy and runs.

No standard inter-patient split exists for it: the protocol's two sides are its even- and odd-numbered records (a
fixed rule that does not depend on which records a folder holds), so that every record is tested once by a model that
never saw its patient (``python -m bench.records --database svdb``).
"""
from __future__ import annotations

from ecg_utils.io.databases import Database

#: All 78 records of the database (PhysioNet svdb 1.0.0).
SVDB_RECORDS = tuple(str(r) for r in (*range(800, 813), *range(820, 830), *range(840, 895)))

DATABASE = Database(
    name="svdb", title="MIT-BIH Supraventricular Arrhythmia Database", fs=128.0, leads=("ECG1",),
    records=SVDB_RECORDS, sides={"SVDB-even": tuple(r for r in SVDB_RECORDS if int(r) % 2 == 0),
                                 "SVDB-odd": tuple(r for r in SVDB_RECORDS if int(r) % 2 == 1)})
