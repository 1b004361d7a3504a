"""The MIT-BIH Arrhythmia Database: its records, paced records, de Chazal's DS1 / DS2, the records the tests read
and PhysioNet's checksums."""
from __future__ import annotations

from pathlib import Path

from ecg_utils.io.databases import AAMI_CLASSES, Database  # noqa: F401 (AAMI_CLASSES: its 0.1 home)

#: All 48 records of the MIT-BIH Arrhythmia Database.
MITDB_RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 123 124 "
    "200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 228 230 231 232 233 234"
).split()

#: Records with a pacemaker, excluded from the inter-patient protocol (AAMI EC57).
PACED_RECORDS = ("102", "104", "107", "217")

#: The records the test suite reads (``tests/conftest.py``; traced over a whole run, and every record a test names:
#: ``tests/test_catalogue.py`` checks); ``./run_all.sh test`` fetches them when absent.
TEST_RECORDS = ("101", "102", "105", "106", "114", "115", "119", "122", "200", "201", "203", "208", "209", "232", "233")

#: PhysioNet's own SHA-256 checksums of the MIT-BIH files (``SHA256SUMS.txt`` of mitdb 1.0.0; the 44 records
#: other than 100, 213, 221, 222).
SHA256SUMS = Path(__file__).resolve().parent / "mitdb_SHA256SUMS.txt"

#: de Chazal et al. 2004, training set (paced records excluded).
DS1 = ("101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230").split()

#: de Chazal et al. 2004, test set.
DS2 = ("100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 233 234").split()

DATABASE = Database(
    name="mitdb", title="MIT-BIH Arrhythmia Database", fs=360.0, leads=("MLII",), records=tuple(MITDB_RECORDS),
    sides={"DS1": tuple(DS1), "DS2": tuple(DS2)}, excluded=PACED_RECORDS, checksums=SHA256SUMS,
    test_records=TEST_RECORDS)
