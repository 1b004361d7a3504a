"""Writing a scan's outputs, whole or not at all: the beat table ``beats.csv``, the annotation file, ``summary.json``
and the report.

``write_scan(result, out_dir)`` fills ``out_dir`` with ``beats.csv`` (every detected beat,
:data:`ecg_utils.scan.table.COLUMNS`), ``<recording>.flag`` (:mod:`ecg_utils.scan.annotations`), ``summary.json``
(:meth:`ecg_utils.scan.stages.Scan.summary`) and ``report.html`` with ``figures/*.png`` (:mod:`ecg_utils.scan.report`).
Everything goes to a temporary sibling folder that replaces ``out_dir`` once complete, and only a folder that is new,
empty or an earlier output of the program is replaced (:mod:`ecg_utils.io.files`).
"""
from __future__ import annotations

import json
from pathlib import Path

from ecg_utils.io.files import folder_written_whole
from ecg_utils.io.jsonable import jsonable
from ecg_utils.scan.annotations import ANNOTATOR, write_annotations
from ecg_utils.scan.report import write_report

#: What a scan's output folder holds (an earlier scan's folder, written before the marker file, may be replaced).
KNOWN_FILES = ("beats.csv", "summary.json", "report.html", "figures", f"*.{ANNOTATOR}")


def write_scan(result, out_dir, report=True, overwrite=False) -> Path:
    """Write a :class:`~ecg_utils.scan.Scan`'s outputs into ``out_dir`` (replaced whole); returns ``out_dir``.

    ``out_dir`` is replaced only when it is new, empty or an earlier output of this program
    (:func:`ecg_utils.io.files.check_output_folder`); a folder of other files needs ``overwrite=True``, and the folder
    holding the scanned recording is never replaced.

    Raises
    ------
    DataError
        When ``out_dir`` may not or cannot be written (a folder of the user's files, the recording's folder, its
        parent is a file, no permission, disk full); nothing is left behind.
    """
    with folder_written_whole(out_dir, "scan outputs", overwrite=overwrite, inputs=_inputs(result),
                              known=KNOWN_FILES) as tmp:
        result.table.to_csv(tmp / "beats.csv", index=False, float_format="%.6g")
        write_annotations(result, tmp)
        (tmp / "summary.json").write_text(json.dumps(jsonable(result.summary()), indent=1))
        if report:
            write_report(result, tmp)
    return Path(out_dir)


def _inputs(result) -> list:
    """The files a scan read (its recording), which its outputs may never replace."""
    path = getattr(result.recording, "path", None)
    return [path] if path and Path(str(path)).exists() else []
