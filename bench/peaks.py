"""R-peak detection on every shared MIT-BIH record and on the SVDB records, scored as ANSI/AAMI EC57 scores beat
detection.

    python -m bench.peaks                       # every method on both databases (about 4 min on 2 cores)
    python -m bench.peaks --methods hybrid      # one method
    python -m bench.peaks --database mitdb      # the MIT-BIH Arrhythmia Database only (or svdb)

A detection matches a reference beat (an AAMI beat annotation of the ``.atr`` file) within 150 ms, one to one;
gross sensitivity (Se) and positive predictivity (+P) are summed over records; detections inside ventricular
flutter / fibrillation episodes are not counted as false (EC57). The lead is the one the scan reads on MIT-BIH
(MLII, or the first lead of records 102 and 104) and the first lead (ECG1) of the MIT-BIH Supraventricular Arrhythmia
Database (SVDB: 128 Hz, other patients; found as ``$ECG_SVDB_DIR``, else a folder ``svdb`` beside the MIT-BIH
folder). Also: the share of ventricular beats (V, E) found and their number missed, double detections (detections
that match no reference beat within 350 ms after a matched V beat: a wide beat detected twice), the median distance
of a match to the reference, the CPU seconds per record, and two known traps: 20 minutes of flat line (lead off) and 10
minutes of white noise written into a copy of a MIT-BIH record.

Groups reported apart: all MIT-BIH records, de Chazal's DS1 (where every design choice of the hybrid was made),
DS2 and SVDB (only checked). Records run in parallel (``--workers``). Writes ``peaks.json`` and ``peaks.md`` into
``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import datetime
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bench.common import database_parser, environment, find_svdb_dir, write_results

VENTRICULAR = ("V", "E")
VF_EPISODES = ("(VF",)  # "(VFL" (flutter) and "(VF" (fibrillation)
#: The lead read in each database: MIT-BIH's MLII (the first lead of 102 and 104, which have none), SVDB's ECG1.
LEADS = {"mitdb": "MLII", "svdb": "ECG1"}
DATABASES = {"mitdb": "MIT-BIH Arrhythmia (360 Hz)", "svdb": "MIT-BIH Supraventricular Arrhythmia (128 Hz)"}
#: Groups of records reported apart.
GROUPS = ("MIT-BIH all", "MIT-BIH DS1", "MIT-BIH DS2", "SVDB")
#: A false detection this soon (seconds) after a matched ventricular beat counts as that beat detected twice.
DOUBLE_S = 0.35
#: The targets: Se and +P of every group, and the share of ventricular beats found.
TARGET, TARGET_V = 0.998, 0.997


def double_detections(peaks, ref, sym, ref_match, det_matched, fs) -> int:
    """Detections that match no reference beat and lie within :data:`DOUBLE_S` after a matched V beat.

    Parameters
    ----------
    peaks : int array
        Detected peaks.
    ref, sym : arrays
        Reference beat positions and their symbols.
    ref_match, det_matched : arrays
        :func:`ecg_utils.signal.matching.match_beats` of ``peaks`` against ``ref``.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    int
        The number of such detections: a wide beat detected twice.

    Examples
    --------
    >>> double_detections(np.array([100, 130, 400]), np.array([100, 400]), np.array(["V", "N"]),
    ...                   np.array([0, 2]), np.array([True, False, True]), 100.0)
    1
    """
    v_found = np.sort(ref[np.isin(sym, VENTRICULAR) & (ref_match >= 0)])
    extra = np.sort(np.asarray(peaks)[~np.asarray(det_matched, bool)])
    if len(v_found) == 0 or len(extra) == 0:
        return 0
    k = np.searchsorted(v_found, extra, side="left") - 1  # the last matched V beat before each extra detection
    ok = k >= 0
    return int(((extra[ok] - v_found[k[ok]]) <= DOUBLE_S * fs).sum())


def _import_detectors():
    """Import the detectors' libraries before the clock starts (a worker's first record would pay for it)."""
    import neurokit2  # noqa: F401
    import sleepecg  # noqa: F401
    from wfdb import processing  # noqa: F401


def score_record(job) -> dict:
    """Detect one record's peaks with one method; EC57 counts, V beats found, offset, seconds.

    Parameters
    ----------
    job : dict
        ``data_dir``, ``record``, ``method``, ``database`` (a key of :data:`LEADS`).

    Returns
    -------
    dict
        One row of the results: EC57 counts (``tp``, ``fn``, ``fp``, ``se``, ``ppv``), ``v``, ``v_found``,
        ``double``, the median offset of matches (ms), ``seconds`` and ``minutes`` of signal, the hybrid's stats.
    """
    from ecg_utils.io.databases.mitdb import AAMI_CLASSES
    from ecg_utils.io.records import read_record
    from ecg_utils.metrics import beat_detection
    from ecg_utils.signal.matching import match_beats
    from ecg_utils.signal.peaks import find_peaks

    database = job.get("database", "mitdb")
    rec = read_record(job["data_dir"], job["record"], lead=LEADS[database], fallback=True)
    is_beat = np.isin(rec.ann_symbol, list(AAMI_CLASSES))
    ref, sym = rec.ann_sample[is_beat], rec.ann_symbol[is_beat]
    stats = {}
    _import_detectors()
    t0 = time.process_time()
    peaks = find_peaks(rec.signal, rec.fs, method=job["method"], stats=stats)
    seconds = time.process_time() - t0
    counts = beat_detection(peaks, ref, rec.fs, ignore=rec.rhythm_episodes(VF_EPISODES))
    ref_match, det_matched = match_beats(peaks, ref, int(0.15 * rec.fs))
    v = np.isin(sym, VENTRICULAR)
    found = ref_match >= 0
    offset_ms = np.abs(peaks[ref_match[found]] - ref[found]) / rec.fs * 1e3
    return {"record": job["record"], "database": database, "method": job["method"], "lead": rec.lead, **counts,
            "v": int(v.sum()), "v_found": int((v & found).sum()),
            "double": double_detections(peaks, ref, sym, ref_match, det_matched, rec.fs),
            "offset_ms_median": float(np.median(offset_ms)) if len(offset_ms) else None,
            "seconds": seconds, "minutes": len(rec.signal) / rec.fs / 60, "stats": stats}


def trap(job) -> dict:
    """A record with 20 flat minutes (or 10 minutes of white noise) written into a copy of its signal.

    Parameters
    ----------
    job : dict
        ``data_dir``, ``record``, ``method``, ``trap`` (``"flat"`` or ``"noise"``).

    Returns
    -------
    dict
        Seconds, beats found inside the stretch, the share of it marked unreadable, beats left in readable signal.
    """
    from ecg_utils.io.records import read_record
    from ecg_utils.signal.peaks import find_peaks
    from ecg_utils.signal.quality import unreadable_mask, unreadable_stretches

    rec = read_record(job["data_dir"], job["record"], lead="MLII", fallback=True)
    x, fs = rec.signal.copy(), rec.fs
    a = int(5 * 60 * fs)
    if job["trap"] == "flat":
        b = a + int(20 * 60 * fs)
        x[a:b] = x[a]
    else:
        b = a + int(10 * 60 * fs)
        x[a:b] = np.random.default_rng(0).normal(0, np.std(x), b - a)
    _import_detectors()
    t0 = time.process_time()
    peaks = find_peaks(x, fs, method=job["method"])
    seconds = time.process_time() - t0
    unreadable = unreadable_mask(unreadable_stretches(x, fs), len(x))  # what the scan does before scoring
    inside = (peaks >= a) & (peaks < b)
    return {"trap": job["trap"], "method": job["method"], "record": job["record"], "seconds": seconds,
            "beats_inside": int(inside.sum()), "beats_inside_readable": int((inside & ~unreadable[peaks]).sum()),
            "stretch_marked_unreadable": float(unreadable[a:b].mean())}


def _gross(rows) -> dict:
    """Gross EC57 figures of a group of records (counts summed, then divided), and its timing.

    Parameters
    ----------
    rows : list of dict
        :func:`score_record` rows; None when empty.

    Returns
    -------
    dict or None
    """
    if not rows:
        return None
    tp, fn, fp = (sum(r[k] for r in rows) for k in ("tp", "fn", "fp"))
    v, vf = sum(r["v"] for r in rows), sum(r["v_found"] for r in rows)
    return {"records": len(rows), "tp": tp, "fn": fn, "fp": fp, "se": tp / (tp + fn), "ppv": tp / (tp + fp),
            "v": v, "v_found": vf, "v_share": vf / v if v else None, "v_missed": v - vf,
            "double": sum(r["double"] for r in rows),
            "seconds_median": float(np.median([r["seconds"] for r in rows])),
            "seconds_max": float(max(r["seconds"] for r in rows)),
            "seconds_per_hour": 60 * sum(r["seconds"] for r in rows) / sum(r["minutes"] for r in rows),
            "offset_ms_median": float(np.median([r["offset_ms_median"] for r in rows if r["offset_ms_median"] is not None]))}


def run(folders, methods, workers=2) -> dict:
    """Score every record of every database with every method, in parallel over records, and the traps.

    Parameters
    ----------
    folders : dict
        ``{database: (folder, records)}``, database a key of :data:`LEADS`.
    methods : list of str
        Methods of :func:`ecg_utils.signal.peaks.find_peaks`.
    workers : int
        Processes.

    Returns
    -------
    dict
        ``methods``: per method the gross figures of each group (:data:`GROUPS`) and the rows of every record
        (worst first); ``traps``; ``wall_seconds``.
    """
    from ecg_utils.io.databases.mitdb import DS1, DS2

    jobs = [{"data_dir": str(folder), "record": r, "method": m, "database": db}
            for m in methods for db, (folder, records) in folders.items() for r in records]
    jobs.sort(key=lambda j: j["method"] != "gqrs")  # the slowest first: the pool ends evenly
    traps = []
    if "mitdb" in folders:
        folder, records = folders["mitdb"]
        traps = [{"data_dir": str(folder), "record": records[0], "method": m, "trap": t}
                 for m in methods for t in ("flat", "noise")]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(score_record, jobs))
        trap_rows = list(pool.map(trap, traps))
    out = {"methods": {}, "traps": trap_rows, "wall_seconds": time.perf_counter() - t0}
    member = {"MIT-BIH all": lambda r: r["database"] == "mitdb",
              "MIT-BIH DS1": lambda r: r["database"] == "mitdb" and r["record"] in DS1,
              "MIT-BIH DS2": lambda r: r["database"] == "mitdb" and r["record"] in DS2,
              "SVDB": lambda r: r["database"] == "svdb"}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        for r in mine:
            r["worst"] = min(r["se"] or 1.0, r["ppv"] or 1.0)
        groups = {g: _gross([r for r in mine if member[g](r)]) for g in GROUPS}
        out["methods"][m] = {"groups": {g: v for g, v in groups.items() if v is not None},
                             "records": sorted(mine, key=lambda r: r["worst"])}
    return out


def _pct(x):
    """A share as a percentage with two decimals ("-" for None)."""
    return "-" if x is None else f"{100 * x:.2f}"


def markdown(result) -> str:
    """The tables of ``peaks.md`` from a :func:`run` result (with ``command``, ``date``, ``environment``)."""
    lines = [
        "# R-peak detection (ANSI/AAMI EC57 beat matching, 150 ms)",
        "",
        f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds']:.0f} s wall, "
        f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores."]
    for db, records in result["records"].items():
        lines.append(f"{DATABASES[db]}, lead {LEADS[db]}: {len(records)} records ({' '.join(records)}).")
    lines += [
        "",
        "Gross figures over the records (detections in ventricular flutter/fibrillation episodes not counted "
        "as false). `V found` = share of ventricular beats (V, E) matched; `V missed` their number. `double` = "
        f"detections matching no reference beat within {1e3 * DOUBLE_S:.0f} ms after a matched V beat (a wide beat "
        "detected twice). Seconds: CPU seconds of the detection (time.process_time of its worker process: what the "
        "detection costs, whatever else the machine runs), per 30-min record.",
        "",
        "| method | group | records | Se % | +P % | FN | FP | V found % | V missed | double | median offset (ms) | "
        "s/record (median, max) | s per hour of signal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m, res in result["methods"].items():
        for part, g in res["groups"].items():
            lines.append(f"| {m} | {part} | {g['records']} | {_pct(g['se'])} | {_pct(g['ppv'])} | {g['fn']} | "
                         f"{g['fp']} | {_pct(g['v_share'])} | {g['v_missed']} | {g['double']} | "
                         f"{g['offset_ms_median']:.0f} | {g['seconds_median']:.2f}, {g['seconds_max']:.2f} | "
                         f"{g['seconds_per_hour']:.2f} |")
    lines += ["", "Worst records (lowest of Se and +P) per method and database:", ""]
    for m, res in result["methods"].items():
        for db in result["records"]:
            rows = [r for r in res["records"] if r["database"] == db]
            worst = ", ".join(f"{r['record']} (Se {_pct(r['se'])}, +P {_pct(r['ppv'])})" for r in rows[:5])
            lines.append(f"- {m}, {DATABASES[db]}: {worst}")
        below = [r for r in res["records"] if min(r["se"] or 1.0, r["ppv"] or 1.0) < TARGET
                 or (r["v"] and r["v_found"] / r["v"] < TARGET_V)]
        if below:
            lines.append(f"- {m}: {len(below)} records below Se/+P {100 * TARGET:.1f}% or V found "
                         f"{100 * TARGET_V:.1f}%: " + ", ".join(
                             f"{r['record']} ({_pct(r['se'])}/{_pct(r['ppv'])}, V {r['v_found']}/{r['v']})"
                             for r in sorted(below, key=lambda r: (r["database"], r["record"]))))
    if not result["traps"]:
        return "\n".join(lines) + "\n"
    lines += ["", "Known traps (record " + result["traps"][0]["record"] + " with a stretch written into a copy). The "
              "detectors find false beats in noise; the scan first marks unreadable signal "
              "(`ecg_utils.signal.quality`) and scores no beat there: the last two columns.", "",
              "| method | trap | seconds | beats found inside the stretch | share of the stretch marked unreadable | "
              "beats left in readable signal |", "|---|---|---|---|---|---|"]
    for t in result["traps"]:
        what = "20 min flat" if t["trap"] == "flat" else "10 min white noise"
        lines.append(f"| {t['method']} | {what} | {t['seconds']:.1f} | {t['beats_inside']} | "
                     f"{100 * t['stretch_marked_unreadable']:.1f}% | {t['beats_inside_readable']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """Command line: see the module docstring."""
    from ecg_utils.errors import DataError
    from ecg_utils.io.records import find_data_dir, records_in
    from ecg_utils.signal.peaks import METHODS

    p = database_parser("python -m bench.peaks", __doc__, "default: every record present (names of either database)")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = p.parse_args(argv)
    folders = {}
    for db in ("mitdb", "svdb") if args.database == "both" else (args.database,):
        folder = find_data_dir(args.data_dir) if db == "mitdb" else find_svdb_dir(args.data_dir)
        if folder is None:
            why = ("no SVDB records: set ECG_SVDB_DIR, or put them in a folder svdb beside the MIT-BIH folder "
                   f"{find_data_dir(args.data_dir)}")
            if args.database == "svdb":
                raise DataError(why)
            print(f"bench.peaks: {why}; MIT-BIH only", file=sys.stderr)
            continue
        present = records_in(folder)
        records = [r for r in args.records if r in present] if args.records else present
        if records:
            folders[db] = (folder, records)
    if args.records:
        unknown = set(args.records) - {r for _, recs in folders.values() for r in recs}
        if unknown:
            raise DataError(f"records not found in {', '.join(folders) or args.database}: {' '.join(sorted(unknown))}")
    result = {"command": "python -m bench.peaks " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "records": {db: recs for db, (_, recs) in folders.items()},
              **run(folders, args.methods, args.workers)}
    out = Path(args.out)
    write_results(out, "peaks", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
