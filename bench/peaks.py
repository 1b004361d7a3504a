"""R-peak detection on every shared MIT-BIH record, scored as ANSI/AAMI EC57 scores beat detection.

    python -m bench.peaks                       # every method on every record present (about 3 min on 2 cores)
    python -m bench.peaks --methods hybrid      # one method

A detection matches a reference beat (an AAMI beat annotation of the ``.atr`` file) within 150 ms, one to one;
gross sensitivity (Se) and positive predictivity (+P) are summed over records; detections inside ventricular
flutter / fibrillation episodes are not counted as false (EC57). The lead is the one the scan reads (MLII, or the
first lead of records 102 and 104). Also: the share of ventricular beats (V, E) found, the median distance of a
match to the reference, the seconds per record, and two known traps: 20 minutes of flat line (lead off) and 10
minutes of white noise written into a copy of a record.

The hybrid's design (which detectors, the +-5 s second look) was chosen on the DS1 records only; DS2 rows are
reported apart. Writes ``peaks.json`` and ``peaks.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_OUT, environment, write_results

VENTRICULAR = ("V", "E")
VF_EPISODES = ("(VF",)  # "(VFL" (flutter) and "(VF" (fibrillation)


def score_record(job) -> dict:
    """Detect one record's peaks with one method; EC57 counts, V beats found, offset, seconds."""
    from ecg_utils.io.databases.mitdb import AAMI_CLASSES
    from ecg_utils.io.records import read_record
    from ecg_utils.metrics import beat_detection
    from ecg_utils.signal.matching import match_beats
    from ecg_utils.signal.peaks import find_peaks

    rec = read_record(job["data_dir"], job["record"], lead="MLII", fallback=True)
    is_beat = np.isin(rec.ann_symbol, list(AAMI_CLASSES))
    ref, sym = rec.ann_sample[is_beat], rec.ann_symbol[is_beat]
    stats = {}
    t0 = time.perf_counter()
    peaks = find_peaks(rec.signal, rec.fs, method=job["method"], stats=stats)
    seconds = time.perf_counter() - t0
    counts = beat_detection(peaks, ref, rec.fs, ignore=rec.rhythm_episodes(VF_EPISODES))
    ref_match, _ = match_beats(peaks, ref, int(0.15 * rec.fs))
    v = np.isin(sym, VENTRICULAR)
    found = ref_match >= 0
    offset_ms = np.abs(peaks[ref_match[found]] - ref[found]) / rec.fs * 1e3
    return {"record": job["record"], "method": job["method"], "lead": rec.lead, **counts,
            "v": int(v.sum()), "v_found": int((v & found).sum()),
            "offset_ms_median": float(np.median(offset_ms)) if len(offset_ms) else None,
            "seconds": seconds, "minutes": len(rec.signal) / rec.fs / 60, "stats": stats}


def trap(job) -> dict:
    """A record with 20 flat minutes (or 10 minutes of white noise) written into a copy of its signal."""
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
    t0 = time.perf_counter()
    peaks = find_peaks(x, fs, method=job["method"])
    seconds = time.perf_counter() - t0
    unreadable = unreadable_mask(unreadable_stretches(x, fs), len(x))  # what the scan does before scoring
    inside = (peaks >= a) & (peaks < b)
    return {"trap": job["trap"], "method": job["method"], "record": job["record"], "seconds": seconds,
            "beats_inside": int(inside.sum()), "beats_inside_readable": int((inside & ~unreadable[peaks]).sum()),
            "stretch_marked_unreadable": float(unreadable[a:b].mean())}


def _gross(rows) -> dict:
    tp, fn, fp = (sum(r[k] for r in rows) for k in ("tp", "fn", "fp"))
    v, vf = sum(r["v"] for r in rows), sum(r["v_found"] for r in rows)
    return {"records": len(rows), "tp": tp, "fn": fn, "fp": fp, "se": tp / (tp + fn), "ppv": tp / (tp + fp),
            "v": v, "v_found": vf, "v_share": vf / v if v else None,
            "seconds_median": float(np.median([r["seconds"] for r in rows])),
            "seconds_max": float(max(r["seconds"] for r in rows)),
            "seconds_per_hour": 60 * sum(r["seconds"] for r in rows) / sum(r["minutes"] for r in rows),
            "offset_ms_median": float(np.median([r["offset_ms_median"] for r in rows if r["offset_ms_median"] is not None]))}


def run(data_dir, records, methods, workers=2) -> dict:
    from ecg_utils.io.databases.mitdb import DS1, DS2

    jobs = [{"data_dir": str(data_dir), "record": r, "method": m} for m in methods for r in records]
    traps = [{"data_dir": str(data_dir), "record": records[0], "method": m, "trap": t}
             for m in methods for t in ("flat", "noise")]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(score_record, jobs))
        trap_rows = list(pool.map(trap, traps))
    out = {"methods": {}, "traps": trap_rows, "wall_seconds": time.perf_counter() - t0}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        for r in mine:
            r["worst"] = min(r["se"] or 1.0, r["ppv"] or 1.0)
        out["methods"][m] = {
            "all": _gross(mine),
            "DS1": _gross([r for r in mine if r["record"] in DS1]) if any(r["record"] in DS1 for r in mine) else None,
            "DS2": _gross([r for r in mine if r["record"] in DS2]) if any(r["record"] in DS2 for r in mine) else None,
            "records": sorted(mine, key=lambda r: r["worst"]),
        }
    return out


def _pct(x):
    return "-" if x is None else f"{100 * x:.2f}"


def markdown(result) -> str:
    lines = [
        "# R-peak detection (ANSI/AAMI EC57 beat matching, 150 ms)",
        "",
        f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds']:.0f} s wall, "
        f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores. Records: "
        f"{len(result['records'])} ({' '.join(result['records'])}).",
        "",
        "Gross figures over the records (detections in ventricular flutter/fibrillation episodes not counted "
        "as false). `V found` = share of ventricular beats (V, E) matched. Seconds: per 30-min record, one core.",
        "",
        "| method | records | Se % | +P % | FN | FP | V found % | median offset (ms) | s/record (median, max) | s per hour of signal |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m, res in result["methods"].items():
        for part in ("all", "DS1", "DS2"):
            g = res[part]
            if g is None:
                continue
            lines.append(f"| {m} ({part}) | {g['records']} | {_pct(g['se'])} | {_pct(g['ppv'])} | {g['fn']} | {g['fp']} | "
                         f"{_pct(g['v_share'])} | {g['offset_ms_median']:.0f} | {g['seconds_median']:.2f}, "
                         f"{g['seconds_max']:.2f} | {g['seconds_per_hour']:.2f} |")
    lines += ["", "Worst records (lowest of Se and +P) per method:", ""]
    for m, res in result["methods"].items():
        worst = ", ".join(f"{r['record']} (Se {_pct(r['se'])}, +P {_pct(r['ppv'])})" for r in res["records"][:5])
        lines.append(f"- {m}: {worst}")
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
    from ecg_utils.io.records import find_data_dir, mitdb_records
    from ecg_utils.signal.peaks import METHODS

    p = argparse.ArgumentParser(prog="python -m bench.peaks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--records", nargs="+", help="default: every record present")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args(argv)
    folder = find_data_dir(args.data_dir)
    records = args.records or mitdb_records(folder)
    result = {"command": "python -m bench.peaks " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "records": records, **run(folder, records, args.methods, args.workers)}
    out = Path(args.out)
    write_results(out, "peaks", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
