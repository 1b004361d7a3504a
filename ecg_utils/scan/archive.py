"""Scan many recordings (an archive): one task per recording, here or on a Dask cluster, and one summary table.

:func:`scan_many` scans each recording (:func:`ecg_utils.scan.scan`) into its own subfolder of ``out_dir``, each
written whole by :func:`ecg_utils.scan.output.write_scan`, and writes ``out_dir/summary.csv``: one row per
recording (its beats, flagged beats, burden, ventricular and supraventricular beats, couplets and runs, fusion and
unclassifiable beats, families, irregular-rhythm and unreadable time, seconds, or why it failed). With a ``scheduler``
(:mod:`ecg_utils.cluster`) each recording is one Dask task and each worker loads the detector once.

Example
-------
>>> table = scan_many(["holter/"], "scans/", scheduler="local")          # doctest: +SKIP
>>> table[["recording", "status", "flagged", "burden_pct"]]              # doctest: +SKIP
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path

import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io.files import check_output_folder, prepare_folder, written_whole
from ecg_utils.scan.output import KNOWN_FILES

SUMMARY_FILE = "summary.csv"
#: What a folder given as a source contributes: the recordings that carry their own sampling rate.
FOLDER_PATTERNS = ("*.hea", "*.edf", "*.EDF")
#: Columns of the summary table.
COLUMNS = ("recording", "source", "status", "error", "beats", "beats_scored", "flagged", "burden_pct",
           "flagged_per_hour", "V", "V_per_hour", "V_couplets", "V_runs", "S", "S_per_hour", "S_couplets", "S_runs",
           "F", "Q", "families", "families_with_flags", "irregular_rhythm_s", "unreadable_s", "duration_s", "seconds",
           "out")

_detectors: dict = {}
_lock = threading.Lock()


def recordings_in(sources) -> list:
    """The recordings named by ``sources``: files as given, and each folder's WFDB headers and EDF files
    (sorted by name). CSV and NumPy files need ``fs`` and are taken only when named.

    Raises
    ------
    DataError
        For a folder holding no WFDB or EDF recording.
    """
    out = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted({p for pattern in FOLDER_PATTERNS for p in path.glob(pattern)})
            if not found:
                raise DataError(f"{path}: a folder with no WFDB header (.hea) or EDF file to scan")
            out += [str(p) for p in found]
        else:
            out.append(str(source))
    return out


def output_names(paths) -> list:
    """An output subfolder name per recording: its file name without extensions, made unique with _2, _3..."""
    names, seen = [], {}
    for path in paths:
        base = Path(path).name.split(".")[0] or "recording"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def worker_detector(detector=None):
    """The detector for ``detector`` (a saved detector's folder, None: the shipped one), loaded once per process
    (once per Dask worker) and kept."""
    from ecg_utils.detect.pretrained import load_detector

    key = None if detector is None else str(Path(detector).resolve())
    with _lock:
        if key not in _detectors:
            _detectors[key] = load_detector(detector)[0]
        return _detectors[key]


def scan_to_folder(source, target, detector=None, report=True, verbose=False, overwrite=False, **options) -> dict:
    """Scan one recording into ``target`` (written whole); its summary row. Runs as one task on a worker.

    Bad input (:class:`~ecg_utils.errors.DataError`) is a row with ``status`` "failed" and the message;
    any other exception propagates.
    """
    from ecg_utils.scan.output import write_scan
    from ecg_utils.scan.stages import scan

    t0 = time.monotonic()
    row = {"recording": Path(target).name, "source": str(source), "status": "ok", "error": "", "out": str(target)}
    try:
        result = scan(source, worker_detector(detector), verbose=verbose, **options)
        write_scan(result, target, report=report, overwrite=overwrite)
    except DataError as exc:
        return {**row, "status": "failed", "error": str(exc), "out": "", "seconds": time.monotonic() - t0}
    s = result.summary()
    b = s["burden"]
    holter = {**{f"{k}{suffix}": b[k][key] for k in ("V", "S")
                 for suffix, key in (("", "beats"), ("_per_hour", "per_hour"), ("_couplets", "couplets"),
                                     ("_runs", "runs"))},
              "F": b["F"]["beats"], "Q": b["Q"]["beats"], "families": s["families"]["count"],
              "families_with_flags": s["families"]["with_flags"]}
    return {**row, **{k: s[k] for k in ("beats", "beats_scored", "flagged", "burden_pct", "flagged_per_hour",
                                        "unreadable_s", "duration_s")}, **holter,
            "irregular_rhythm_s": s["irregular_rhythm"]["duration_s"], "seconds": time.monotonic() - t0}


def scan_many(sources, out_dir, detector=None, scheduler=None, report=True, progress=print, verbose=False,
              overwrite=False, model=None, **options) -> pd.DataFrame:
    """Scan every recording of ``sources``; the summary table (also written to ``out_dir/summary.csv``).

    Parameters
    ----------
    sources : sequence of str or Path
        Recordings (any format :func:`ecg_utils.io.recording.read_recording` reads) and folders
        (:func:`recordings_in`).
    out_dir : str or Path
        One recording: its outputs go into ``out_dir`` itself. Several: into ``out_dir/<name>``
        (:func:`output_names`), and the table into ``out_dir/summary.csv``.
    detector : str or Path, optional
        A saved detector's folder (default: the shipped detector).
    scheduler : str, optional
        None scans here, one recording after another, the detector loaded once. ``"local"``, ``"env"`` or a
        Dask scheduler address (:mod:`ecg_utils.cluster`) makes each recording one task; each worker loads the
        detector once. The workers must see the recordings and ``out_dir`` at the same paths.
    report : bool
        Write each recording's ``report.html`` (slowest part of the outputs).
    progress : callable or None
        Called with one line per finished recording.
    verbose : bool
        Each scan's stage lines (printed where the scan runs).
    overwrite : bool
        Replace output folders that are not this program's earlier outputs (a folder of other files is refused
        otherwise, before any scan: :func:`ecg_utils.io.files.check_output_folder`). A folder holding a recording
        is never replaced.
    **options
        ``lead``, ``fs``, ``units``, ``column`` for :func:`ecg_utils.scan.scan`.

    Returns
    -------
    pandas.DataFrame
        One row per recording, in the order given (:data:`COLUMNS`).

    Raises
    ------
    DataError
        For a single recording that cannot be scanned (as :func:`~ecg_utils.scan.scan` raises it); with several,
        each failure is a row and the others go on.
    """
    paths = recordings_in(sources)
    if not paths:
        raise DataError("no recording to scan")
    several, names = len(paths) > 1, output_names(paths)
    known = (SUMMARY_FILE, *names) if several else KNOWN_FILES  # an earlier scan of these recordings, before markers
    out_dir = check_output_folder(out_dir, "scan outputs", overwrite, inputs=paths, known=known)
    targets = [out_dir / name if several else out_dir for name in names]
    for target in targets if several else ():  # every refusal before any scan
        check_output_folder(target, "scan outputs", overwrite, inputs=paths, known=KNOWN_FILES)
    if model is not None:  # the 0.1 name of the saved detector's folder
        warnings.warn("scan_many(model=...) is now scan_many(detector=...); the old name works until "
                      "ecg-detector 0.3", DeprecationWarning, stacklevel=2)
        detector = model if detector is None else detector
    jobs = [dict(source=p, target=str(t), detector=None if detector is None else str(detector), report=report,
                 verbose=verbose, overwrite=overwrite, **options) for p, t in zip(paths, targets)]
    if scheduler is None:
        worker_detector(detector)            # a bad detector folder is one error, before any recording
    elif detector is not None and not Path(detector).is_dir():
        raise DataError(f"{detector}: no saved detector folder here (--detector)")
    say = progress or (lambda line: None)
    rows = {}
    for i, row in _run(jobs, scheduler):
        if several and not rows:  # marked once a scan has run (not when the scheduler cannot be reached)
            prepare_folder(out_dir, "scans of several recordings", overwrite, inputs=paths, known=known)
        rows[i] = row
        say(_line(row))
    table = pd.DataFrame([rows[i] for i in range(len(jobs))], columns=list(COLUMNS))
    if not several:
        if table["status"].iat[0] != "ok":
            raise DataError(table["error"].iat[0])
        return table
    with written_whole(out_dir / SUMMARY_FILE) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return table


def _run(jobs, scheduler):
    """Yield ``(index, row)`` as each recording finishes: here, or one Dask task per recording."""
    if scheduler is None:
        for i, job in enumerate(jobs):
            yield i, scan_to_folder(**job)
        return
    from distributed import as_completed

    from ecg_utils import cluster

    with cluster.connect(scheduler) as client:
        futures = {client.submit(scan_to_folder, **job, key=f"scan-{Path(job['target']).name}-{os.urandom(4).hex()}",
                                 pure=False): i for i, job in enumerate(jobs)}
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or a bug: this recording fails, the others go on
                job = jobs[i]
                row = {"recording": Path(job["target"]).name, "source": job["source"], "status": "failed",
                       "error": f"{job['source']}: {type(exc).__name__}: {' '.join(str(exc).split())}"[:300],
                       "out": ""}
            yield i, row


def _line(row) -> str:
    if row["status"] != "ok":
        return f"{row['recording']}: FAILED: {row['error']}"
    burden = row.get("burden_pct")
    return (f"{row['recording']}: {row['flagged']:,} of {row['beats_scored']:,} beats flagged "
            f"({burden if burden is not None else float('nan'):.1f}%: {row['V']:,} V, {row['S']:,} S, {row['F']:,} F, "
            f"{row['Q']:,} Q), {row['unreadable_s']:.0f} s unreadable, "
            f"{row['seconds']:.1f} s -> {row['out']}")


def table_text(table) -> str:
    """The summary table as text, for a terminal."""
    cols = ["recording", "status", "beats", "flagged", "burden_pct", "V", "S", "V_runs", "S_runs", "irregular_rhythm_s",
            "unreadable_s", "seconds"]
    shown = table[cols].copy()
    for c in ("burden_pct", "irregular_rhythm_s", "unreadable_s", "seconds"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    for c in ("beats", "flagged", "V", "S", "V_runs", "S_runs"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    return shown.to_string(index=False)
