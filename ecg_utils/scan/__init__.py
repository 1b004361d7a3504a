"""A recording -> findings: the scan as a few stage calls (:mod:`ecg_utils.scan.stages`), its beat table, the WFDB
annotation file, the report, and many recordings at once (:mod:`ecg_utils.scan.archive`).

>>> from ecg_utils.scan import scan, write_scan             # doctest: +SKIP
>>> result = scan("holter.edf")                              # doctest: +SKIP
>>> write_scan(result, "scan/")                              # doctest: +SKIP
"""
from ecg_utils.scan.output import write_scan
from ecg_utils.scan.stages import Scan, scan

__all__ = ["Scan", "scan", "write_scan"]

#: Names ``ecg_utils.scan`` held when it was one module (0.1): they still work, with a deprecation warning.
_OLD_NAMES = ("ecg_utils.scan.stages", "ecg_utils.scan.table", "ecg_utils.scan.reference")


def __getattr__(name):
    from ecg_utils._compat import moved_attribute

    if name.startswith("__"):
        raise AttributeError(name)
    return moved_attribute(__name__, _OLD_NAMES, name, warn=True)
