"""The scan's rhythm episodes against the references: irregular rhythm (AF/flutter), supraventricular and ventricular
runs, and the normal beats flagged inside fibrillation and flutter.

    python -m bench.rhythm                        # DS1, DS2 and the SVDB records (about 15 min on 2 busy cores)
    python -m bench.rhythm --database mitdb --records 201 203

Each record is scanned with the shipped detector as a user would scan it (:func:`ecg_utils.scan.scan`, the second
lead read to confirm beats); the scan reads no annotation. Its episodes (:mod:`ecg_utils.scan.episodes`) are then
compared with the record's reference:

- **Irregular rhythm (AF-like)** against the ``(AFIB`` and ``(AFL`` rhythm annotations (MIT-BIH only: the SVDB files
  here carry beat labels and no rhythm annotation): duration Se (annotated time covered by a found episode) and +P
  (found time that is annotated AF/flutter).
- **Normal beats flagged inside AF/flutter**: scanned beats matching a reference N beat (EC57, 150 ms) inside an
  ``(AFIB``/``(AFL`` episode, and how many of them the scan flags; the same outside.
- **Runs**, episode by episode: a reference run is 3 or more consecutive reference beats of the class (S:
  supraventricular, V: ventricular; from the beat labels, as EC57's run figures are, so the SVDB records take part);
  one is found when scanned episodes of the matching rhythm (``(SVTA``, ``(VT``) cover half of it, and a scanned
  episode is true when reference runs of its class cover half of it (:func:`ecg_utils.metrics.episode_detection`,
  as for AF/flutter in ``bench.records``). A run of 3 found as 2 ectopic beats counts missed, as ``bxb`` counts it.

Nothing is tuned here: the benchmark measures. DS1 is where the scan's constants were chosen; DS2 and SVDB are not.
Writes ``rhythm.json`` and ``rhythm.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import datetime
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from bench.common import database_parser, environment, find_svdb_dir, write_results

#: Rhythm annotations counted as atrial fibrillation or flutter.
AF_RHYTHMS = ("(AFIB", "(AFL")
#: Reference beat class (AAMI index) and the scan's episode rhythm of each run kind.
RUNS = {"SVTA": (1, "(SVTA"), "VT": (2, "(VT")}
#: Fewest consecutive beats of a class that make a run.
RUN_BEATS = 3
_DETECTOR = None


def reference_runs(samples, classes, cls, min_beats=RUN_BEATS) -> list:
    """(first, last) sample of every run of ``min_beats`` or more consecutive reference beats of class ``cls``
    (:func:`ecg_utils.scan.burden.runs`, the scan's own definition of a run)."""
    from ecg_utils.scan.burden import runs

    starts, lengths = runs(np.asarray(classes), cls)
    return [(int(samples[a]), int(samples[a + k - 1])) for a, k in zip(starts, lengths) if k >= min_beats]


def rhythm_record(job) -> dict:
    """Scan one record and compare its episodes with the reference (see the module docstring)."""
    global _DETECTOR
    from ecg_utils.detect.pretrained import load_detector
    from ecg_utils.io.records import read_record
    from ecg_utils.metrics import episode_detection
    from ecg_utils.scan.stages import scan
    from ecg_utils.signal.cutting import label_peaks

    if _DETECTOR is None:
        _DETECTOR = load_detector(None)[0]
    t0 = time.perf_counter()
    result = scan(Path(job["folder"]) / f"{job['record']}.hea", _DETECTOR)
    ref = read_record(job["folder"], job["record"], lead=result.recording.lead, fallback=True)
    samples, classes = ref.beats()
    n = len(ref.signal)
    table, episodes = result.table, result.episodes
    found = {rhythm: [(int(s), int(e)) for s, e in zip(g["start"], g["end"])]
             for rhythm, g in episodes.groupby("rhythm")} if len(episodes) else {}
    af_ref = ref.rhythm_episodes(AF_RHYTHMS)
    af = episode_detection({0: found.get("(AFIB", [])}, {0: af_ref})
    scored = table["score"].notna().to_numpy()
    y = label_peaks(table["sample"].to_numpy(), samples, classes, ref.fs)
    in_af = np.zeros(len(table), dtype=bool)
    for s, e in af_ref:
        in_af |= (table["sample"].to_numpy() >= s) & (table["sample"].to_numpy() < e)
    normal, flagged = scored & (y == 0), table["flagged"].to_numpy()
    has_rhythm = ref.ann_aux is not None and bool(np.char.startswith(np.char.strip(ref.ann_aux.astype(str), "\x00"),
                                                                      "(").any())
    out = {"record": job["record"], "database": job["database"], "group": job["group"], "fs": ref.fs,
           "rhythm_annotated": has_rhythm,
           "minutes": n / ref.fs / 60, "seconds": time.perf_counter() - t0,
           "af_annotated_s": af["reference_samples"] / ref.fs, "af_found_s": af["detected_samples"] / ref.fs,
           "af_overlap_s": af["overlap_samples"] / ref.fs,
           "normal_in_af": int((normal & in_af).sum()), "normal_in_af_flagged": int((normal & in_af & flagged).sum()),
           "normal_outside_af": int((normal & ~in_af).sum()),
           "normal_outside_af_flagged": int((normal & ~in_af & flagged).sum())}
    for name, (cls, rhythm) in RUNS.items():
        m = episode_detection({0: found.get(rhythm, [])}, {0: reference_runs(samples, classes, cls)})
        out[name] = {"reference": m["reference_episodes"], "found": m["found"], "episodes": m["detected_stretches"],
                     "true": m["true_stretches"]}
    return out


def _pct(num, den):
    return 100 * num / den if den else None


def _fmt(x):
    return "-" if x is None else f"{x:.1f}"


def summarise(rows) -> dict:
    """Gross figures of a group of records."""
    s = lambda key, among=rows: sum(r[key] for r in among)  # noqa: E731
    judged = [r for r in rows if r["rhythm_annotated"]]  # AF +P needs rhythm annotations to judge against
    out = {"records": len(rows), "af_records": sum(r["af_annotated_s"] > 0 for r in rows),
           "rhythm_annotated": len(judged),
           "af_se": _pct(s("af_overlap_s"), s("af_annotated_s")),
           "af_ppv": _pct(s("af_overlap_s", judged), s("af_found_s", judged)),
           "af_annotated_min": s("af_annotated_s", judged) / 60, "af_found_min": s("af_found_s") / 60,
           "normal_in_af_flagged_pct": _pct(s("normal_in_af_flagged"), s("normal_in_af")),
           "normal_in_af": s("normal_in_af"),
           "normal_outside_af_flagged_pct": _pct(s("normal_outside_af_flagged"), s("normal_outside_af"))}
    for name in RUNS:
        ref, found = sum(r[name]["reference"] for r in rows), sum(r[name]["found"] for r in rows)
        eps, true = sum(r[name]["episodes"] for r in rows), sum(r[name]["true"] for r in rows)
        out[name] = {"reference": ref, "found": found, "episodes": eps, "true": true,
                     "se": _pct(found, ref), "ppv": _pct(true, eps)}
    return out


def markdown(result) -> str:
    lines = ["# Rhythm episodes of the scan against the references", "",
             f"Regenerate with `{result['command']}`. Run {result['date']}, "
             f"{result['wall_seconds'] / 60:.1f} min wall, "
             f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores. The shipped detector; "
             "every record scanned without its annotations. Gross figures over each group's records. AF/flutter: "
             "duration against the `(AFIB`/`(AFL` rhythm annotations (none in the SVDB files here); normal beats "
             "flagged, as a share of the scanned beats matching a reference N beat, inside AF/flutter and outside it; "
             f"runs: {RUN_BEATS} or more consecutive reference S (SVTA) or V (VT) beats, episode by episode "
             "(found: scanned episodes of that rhythm cover half of it; +P: scanned episodes half covered by one).", "",
             "| records | AF/flutter records | AF/flutter min annotated / found | duration Se % | duration +P % "
             "| N flagged in AF/flutter % (of) | N flagged outside % | SV runs Se % (of) | SV runs +P % (of) "
             "| V runs Se % (of) | V runs +P % (of) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for group, g in result["groups"].items():
        annotated = f"{g['af_annotated_min']:.1f}" if g["rhythm_annotated"] else "no rhythm annotations"
        lines.append(
            f"| {group} ({g['records']}) | {g['af_records']} | {annotated} / {g['af_found_min']:.1f} "
            f"| {_fmt(g['af_se'])} | {_fmt(g['af_ppv'])} | {_fmt(g['normal_in_af_flagged_pct'])} ({g['normal_in_af']}) "
            f"| {_fmt(g['normal_outside_af_flagged_pct'])} "
            f"| {_fmt(g['SVTA']['se'])} ({g['SVTA']['reference']}) "
            f"| {_fmt(g['SVTA']['ppv'])} ({g['SVTA']['episodes']}) "
            f"| {_fmt(g['VT']['se'])} ({g['VT']['reference']}) | {_fmt(g['VT']['ppv'])} ({g['VT']['episodes']}) |")
    lines += ["", "Records with AF/flutter annotated or found (an SVDB record's found time cannot be judged: its file "
              "has no rhythm annotation):", "",
              "| record | group | annotated s | found s | Se % | +P % | N in AF/flutter | flagged % |",
              "|---|---|---|---|---|---|---|---|"]
    for r in result["per_record"]:
        if r["af_annotated_s"] > 0 or r["af_found_s"] > 0:
            annotated = f"{r['af_annotated_s']:.0f}" if r["rhythm_annotated"] else "not annotated"
            lines.append(f"| {r['record']} | {r['group']} | {annotated} | {r['af_found_s']:.0f} "
                         f"| {_fmt(_pct(r['af_overlap_s'], r['af_annotated_s']))} "
                         f"| {_fmt(_pct(r['af_overlap_s'], r['af_found_s']) if r['rhythm_annotated'] else None)} "
                         f"| {r['normal_in_af']} "
                         f"| {_fmt(_pct(r['normal_in_af_flagged'], r['normal_in_af']))} |")
    return "\n".join(lines) + "\n"


def group_of(database, record) -> str:
    from ecg_utils.io.databases.mitdb import DS1, DS2

    if database == "svdb":
        return "SVDB"
    return "DS1" if record in DS1 else "DS2" if record in DS2 else "other"


def main(argv=None) -> int:
    """Command line: see the module docstring."""
    from ecg_utils.io.records import find_data_dir, records_in

    argv = sys.argv[1:] if argv is None else argv
    p = database_parser("python -m bench.rhythm", __doc__,
                        "default: the DS1 and DS2 records present and every SVDB record")
    args = p.parse_args(argv)
    jobs = []
    for db in ("mitdb", "svdb") if args.database == "both" else (args.database,):
        folder = find_data_dir(args.data_dir) if db == "mitdb" else find_svdb_dir(args.data_dir)
        if folder is None:
            print(f"bench.rhythm: no {db} records found; left out", file=sys.stderr)
            continue
        for r in records_in(folder):
            group = group_of(db, r)
            if (args.records and r in args.records) or (not args.records and group != "other"):
                jobs.append({"database": db, "folder": str(folder), "record": r, "group": group})
    unknown = sorted(set(args.records or ()) - {job["record"] for job in jobs})
    if unknown or not jobs:
        print(f"bench.rhythm: records not found: {' '.join(unknown)}" if unknown else "bench.rhythm: no records to scan",
              file=sys.stderr)
        return 2
    t0, rows = time.perf_counter(), []
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(rhythm_record, job) for job in jobs]
        for k, f in enumerate(as_completed(futures), 1):
            r = f.result()
            rows.append(r)
            print(f"[{k}/{len(jobs)}] {r['record']} ({r['group']}): {r['seconds']:.0f} s", flush=True)
    rows.sort(key=lambda r: (r["group"], r["record"]))
    groups = {g: summarise([r for r in rows if r["group"] == g]) for g in ("DS1", "DS2", "SVDB", "other")
              if any(r["group"] == g for r in rows)}
    result = {"command": "python -m bench.rhythm" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "wall_seconds": time.perf_counter() - t0, "groups": groups, "per_record": rows}
    write_results(Path(args.out), "rhythm", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
