"""The MIT-BIH Supraventricular Arrhythmia Database: 78 half-hour two-lead records at 128 Hz (leads ECG1, ECG2) of
other patients than the MIT-BIH Arrhythmia Database's, rich in supraventricular ectopy and runs.

No standard inter-patient split exists for it: the protocol's two sides are its even- and odd-numbered records (a
fixed rule that does not depend on which records a folder holds), so that every record is tested once by a model that
never saw its patient (``python -m bench.records --database svdb``).
"""
from __future__ import annotations

from pathlib import Path

from ecg_utils.io.databases import Database

#: All 78 records of the database (PhysioNet svdb 1.0.0).
SVDB_RECORDS = tuple(str(r) for r in (*range(800, 813), *range(820, 830), *range(840, 895)))

#: The records the test suite reads (two of each side; 805, whose wide ventricular beats were detected twice; 828, whose
#: premature atrial beats are conducted aberrantly).
TEST_RECORDS = ("800", "801", "802", "803", "805", "828")
#: PhysioNet's SHA-256 checksums of the files of the 33 records 800-849 (``SHA256SUMS.txt`` of svdb 1.0.0).
SHA256SUMS = Path(__file__).resolve().parent / "svdb_SHA256SUMS.txt"

DATABASE = Database(
    name="svdb", title="MIT-BIH Supraventricular Arrhythmia Database", fs=128.0, leads=("ECG1",),
    records=SVDB_RECORDS, sides={"SVDB-even": tuple(r for r in SVDB_RECORDS if int(r) % 2 == 0),
                                 "SVDB-odd": tuple(r for r in SVDB_RECORDS if int(r) % 2 == 1)},
    checksums=SHA256SUMS, test_records=TEST_RECORDS)
