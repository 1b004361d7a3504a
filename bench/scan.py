"""The scan of unannotated recordings: detection quality on detected beats, and a 24-hour recording end to end.

    python -m bench.scan                 # 3 seeds, 6-epoch cap (as python -m bench), about 6 min on 2 cores
    python -m bench.scan --seeds 1       # quicker
    python -m bench.scan --parts svdb    # the SVDB records scanned by the shipped detector, about 1 min

1. **Detected vs reference beats, inter-patient.** For each seed, the recommended preset is trained twice on the DS1
   normals: once on beats cut at the reference annotations (scored on the DS2 reference beats: today's number),
   once on beats cut at detected R-peaks (then every DS2 record is *scanned* as if it had no annotations, with
   :func:`ecg_utils.scan.scan`). Scanned beats that match a reference beat within 150 ms take its class; the rest
   are false beats, reported apart (how many were flagged). Reference beats that the scan did not score (missed,
   in an unreadable stretch, or too close to a record end) are counted.
2. **The shipped detector** (``ecg_utils/models/recommended``) scanning the DS2 records the same way. For 1 and 2, each
   flagged beat's kind (V, S, F, Q) is read against the reference as EC57's ``bxb`` reads it
   (:func:`ecg_utils.metrics.ec57_kinds`), and each record's families are counted (and those a reviewer opens).
3. **The SVDB records** (``--parts svdb``; other patients, 128 Hz, leads ECG1 and ECG2; ``$ECG_SVDB_DIR``, else
   ``svdb`` beside the MIT-BIH folder): every one scanned by the shipped detector, read as in 2.
4. **A 24-hour recording**: the shared records' MLII leads joined end to end until 24 h at 360 Hz (31.1 M samples),
   written as one WFDB record, scanned and written (table, annotations, report) in a fresh process, ``--repeats``
   times (default 3): the median run's wall time per stage and peak memory (``VmHWM``), every run's wall time.

Writes ``scan.json`` and ``scan.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import datetime
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import ROOT, environment, training_parser, write_atomic, write_results
from ecg_utils.io.jsonable import json_default

HOURS = 24


# -- 1 and 2: quality on detected beats ------------------------------------------------------------
def scan_split(detector, data_dir, records) -> dict:
    """Scan each record with ``detector``; label the scanned beats by the reference; one evaluation over all."""
    from ecg_utils.io.records import read_record
    from ecg_utils.metrics import beat_detection, ec57_ectopic, ec57_kinds, evaluate
    from ecg_utils.scan.stages import scan
    from ecg_utils.signal.cutting import label_peaks

    ys, scores, shapes, timings, kinds, names, lost, n_ref, per_record = [], [], [], [], [], [], 0, 0, {}
    t0 = time.perf_counter()
    for name in records:
        result = scan(Path(data_dir) / f"{name}.hea", detector)
        ref = read_record(data_dir, name, lead=result.recording.lead, fallback=True)
        samples, classes = ref.beats()
        b = result.table
        scored = np.isfinite(b["score"].to_numpy())
        y = label_peaks(b["sample"].to_numpy(), samples, classes, ref.fs)
        ys.append(y[scored])
        scores.append(b["score"].to_numpy()[scored])
        kinds.append(b["kind"].to_numpy()[scored])
        shapes.append(b["shape"].to_numpy()[scored])
        timings.append(b["timing"].to_numpy()[scored])
        names.append(np.full(int(scored.sum()), name))
        lost += beat_detection(b["sample"].to_numpy()[scored], samples, ref.fs)["fn"]
        n_ref += len(samples)
        fam = result.families
        per_record[name] = {"beats": len(b), "flagged": int(b["flagged"].sum()),
                            "above_threshold": int((b["score"] > detector.threshold_).sum()),
                            "families": int(len(fam)), "families_reviewed": int((fam.flagged > 0).sum()),
                            "false_beats_flagged": int((b["flagged"].to_numpy()[scored] & (y[scored] < 0)).sum()),
                            "unreadable_s": float(result.summary()["unreadable_s"])}
    y, s, k = np.concatenate(ys), np.concatenate(scores), np.concatenate(kinds)
    metrics = evaluate(y, s, detector.threshold_)
    return {"metrics": metrics, "ec57_kinds": ec57_kinds(y, k, np.concatenate(names)),
            "ec57_reasons": ec57_ectopic(y, np.concatenate(shapes), np.concatenate(timings), detector.threshold_),
            "false_beats_flagged": int(((k != "N") & (y < 0)).sum()), "reference_beats": n_ref,
            "reference_beats_not_scored": lost, "records": per_record, "seconds": time.perf_counter() - t0}


def quality(data_dir, seeds, epochs) -> dict:
    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.detect.pretrained import load_detector
    from ecg_utils.experiments.pipeline import configure, load_data
    from ecg_utils.metrics import evaluate

    out = {"reference": [], "detected": []}
    test_records = None
    for seed in range(seeds):
        for peaks in ("reference", "detected"):
            cfg = configure("recommended", split="interpatient", seed=seed, peaks=peaks, epochs=epochs,
                            data_dir=str(data_dir))
            data = load_data(cfg, verbose=False)
            det = AutoencoderDetector(**cfg.detector).fit(data.train, data.validation)
            test_records = data.info["test_records"]
            if peaks == "reference":
                run = {"metrics": evaluate(data.test.y, det.decision_function(data.test), det.threshold_)}
            else:
                run = scan_split(det, data_dir, test_records)
            run.update(seed=seed, epochs_trained=det.epochs_trained_, threshold=det.threshold_)
            out[peaks].append(run)
            print(f"seed {seed}, beats at {peaks} peaks: ROC AUC {run['metrics']['roc_auc']:.4f}, normal FPR "
                  f"{run['metrics']['normal_fpr']:.3f}", flush=True)
    shipped, _ = load_detector(None)
    out["shipped"] = [scan_split(shipped, data_dir, test_records)]
    print(f"shipped detector: ROC AUC {out['shipped'][0]['metrics']['roc_auc']:.4f}", flush=True)
    out["test_records"] = test_records
    return out


def svdb_folder(data_dir) -> Path:
    """The SVDB records' folder: ``$ECG_SVDB_DIR``, else ``svdb`` beside the MIT-BIH folder (DataError if none)."""
    from ecg_utils.io.records import find_data_dir

    return find_data_dir(Path(data_dir).parent / "svdb", kind="svdb")


def svdb(folder) -> dict:
    """The shipped detector (trained on MIT-BIH) scanning every SVDB record in ``folder`` (other patients, 128 Hz,
    leads ECG1 and ECG2) as a user scans a recording: the kinds of the scanned beats against the SVDB reference beats."""
    from ecg_utils.detect.pretrained import load_detector
    from ecg_utils.io.records import resolve_records

    records = resolve_records(folder)
    shipped, _ = load_detector(None)
    out = scan_split(shipped, folder, records)
    out["records_scanned"] = records
    print(f"SVDB scanned by the shipped detector: ROC AUC {out['metrics']['roc_auc']:.4f}", flush=True)
    return out


# -- 4: a 24-hour recording ------------------------------------------------------------------------
def make_24h(data_dir, folder, hours=HOURS) -> Path:
    """The shared records' MLII leads (baseline removed by their median) joined to ``hours`` at 360 Hz, as a WFDB
    record ``holter.hea`` (format 16) in ``folder``."""
    import wfdb

    from ecg_utils.io.records import read_record, records_in

    target, parts, n = int(hours * 3600 * 360), [], 0
    names = records_in(data_dir)
    for i in range(10_000):
        rec = read_record(data_dir, names[i % len(names)], fallback=True)
        x = rec.signal - np.median(rec.signal)
        parts.append(x[:target - n])
        n += len(parts[-1])
        if n >= target:
            break
    wfdb.wrsamp("holter", fs=360, units=["mV"], sig_name=["MLII"], p_signal=np.concatenate(parts)[:, None],
                fmt=["16"], write_dir=str(folder))
    return Path(folder) / "holter.hea"


def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM (Linux), which starts afresh at exec, where ru_maxrss may carry
    the parent's peak across fork + exec; ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def worker_24h(record, out) -> dict:
    """In a fresh process: load, scan, write; seconds per stage and peak memory."""
    t0 = time.perf_counter()
    from ecg_utils.config import import_tensorflow_quietly

    import_tensorflow_quietly()
    from ecg_utils.detect.pretrained import load_detector
    from ecg_utils.scan.output import write_scan
    from ecg_utils.scan.stages import scan

    det, _ = load_detector(None)
    startup = time.perf_counter() - t0
    result = scan(record, det, verbose=True)
    t1 = time.perf_counter()
    write_scan(result, out)
    write = time.perf_counter() - t1
    s = result.summary()
    return {"stages_s": {"start (import TensorFlow, load the detector)": startup, **result.timings,
                         "write (table, annotations, report)": write},
            "wall_s": time.perf_counter() - t0, "peak_rss_mib": peak_rss_mib(),
            "samples": len(result.recording.signal), "hours": result.recording.duration_s / 3600,
            "beats": s["beats"], "flagged": s["flagged"], "peaks": s["peaks"]}


def day(data_dir, repeats=3) -> dict:
    """The 24-hour recording built once and scanned ``repeats`` times, each in a fresh process: the run of median
    wall time (its stages), with every run's wall time and the load average just before it (a shared machine's
    speed varies by several seconds from one run to the next)."""
    with tempfile.TemporaryDirectory(prefix="ecg-24h-") as tmp:
        t0 = time.perf_counter()
        record = make_24h(data_dir, tmp)
        built = time.perf_counter() - t0
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        runs = []
        for i in range(repeats):
            res, out_dir = Path(tmp) / f"result-{i}.json", Path(tmp) / f"out-{i}"
            load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None  # other work on the cores just before
            proc = subprocess.run([sys.executable, "-m", "bench.scan", "--worker-24h", str(record), str(out_dir),
                                   str(res)], cwd=ROOT, env=env)
            if proc.returncode != 0:
                raise RuntimeError(f"the 24-hour scan failed (exit {proc.returncode})")
            run = json.loads(res.read_text())
            run["load_average_before"] = load
            run["output_mib"] = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file()) / 2**20
            runs.append(run)
            print(f"24-hour scan {i + 1} of {repeats}: {run['wall_s']:.1f} s", flush=True)
    out = dict(sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2])
    out["record_build_s"] = built
    out["runs_wall_s"] = [r["wall_s"] for r in runs]
    out["runs_load_average_before"] = [r["load_average_before"] for r in runs]
    return out


# -- the report ------------------------------------------------------------------------------------
def _mean_std(values, digits=3):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{np.mean(values):.{digits}f}" + (f" ± {np.std(values, ddof=1):.{digits}f}" if len(values) > 1 else "")


#: The head of a kinds table (:func:`_kinds_rows`).
KINDS_HEAD = ("| beats | VEB Se | VEB +P | SVEB Se | SVEB +P | VEB Se avg | VEB +P avg | SVEB Se avg | SVEB +P avg | "
              "normal flagged | F flagged | false beats flagged | families to review |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def _kinds_rows(kind, runs) -> list:
    """The rows of a kinds table for runs of :func:`scan_split`: the flags read by their reasons, then by their kinds."""
    lines = []
    e = [r["ec57_kinds"] for r in runs]
    cells = [_mean_std([100 * x[c][f] if x[c][f] is not None else None for x in e], 1)
             for f in ("se", "ppv") for c in ("VEB", "SVEB")]
    cells = [cells[0], cells[2], cells[1], cells[3]]
    avg = [_mean_std([100 * x[c][f] if x[c][f] is not None else None for x in e], 1)
           for c in ("VEB", "SVEB") for f in ("se_average", "ppv_average")]
    reviewed = [v["families_reviewed"] for r in runs for v in r["records"].values()]
    before = [r["ec57_reasons"] for r in runs if "ec57_reasons" in r]
    if before:  # the same flags read by their reasons, before the kinds (shape -> VEB, only timing -> SVEB)
        lines.append(f"| {kind}, from the reasons | " + " | ".join(
            _mean_std([100 * x[c][f] if x[c][f] is not None else None for x in before], 1)
            for c in ("VEB", "SVEB") for f in ("se", "ppv")) + " | - | - | - | - | "
            f"{_mean_std([100 * r['metrics']['normal_fpr'] for r in runs], 1)} | "
            f"{_mean_std([100 * r['metrics']['detection']['F']['rate'] for r in runs if r['metrics']['detection']['F']['rate'] is not None], 1)} | "
            f"{np.mean([r['metrics']['unlabelled']['flagged'] for r in runs]):.0f} | - |")
    lines.append(f"| {kind} | " + " | ".join(cells + avg) + " | "
                 f"{_mean_std([100 * x['N_flagged'] for x in e], 1)} | "
                 f"{_mean_std([100 * x['F_flagged']['rate'] for x in e if x['F_flagged']['rate'] is not None], 1)} | "
                 f"{np.mean([r['false_beats_flagged'] for r in runs]):.0f} | "
                 f"{np.median(reviewed):.0f} (most {max(reviewed)}) |")
    return lines


def markdown(result) -> str:
    q, d = result.get("quality"), result.get("day")
    lines = ["# Scanning unannotated recordings", "",
             f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds'] / 60:.1f} min, "
             f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores.", ""]
    if q:
        lines += [
            "## Detected beats against reference beats (inter-patient: DS1 normals -> DS2)", "",
            f"Recommended preset, {result['config']['seeds']} seed(s) (mean ± std), epochs capped at "
            f"{result['config']['epochs']}. DS2 records here: {' '.join(q['test_records'])}. *Reference*: trained "
            "and scored on beats cut at the reference annotations. *Detected*: trained on beats cut at detected "
            "R-peaks; the DS2 records scanned as if unannotated (`ecg_utils.scan.scan`), scanned beats labelled by "
            "the reference beat they match within 150 ms. *Shipped*: the detector in `ecg_utils/models/recommended`.",
            "",
            "| beats | ROC AUC | AUC S | AUC V | AUC F | AP | detected S / V / F @thr | normal FPR @thr | false beats (flagged) | reference beats not scored |",
            "|---|---|---|---|---|---|---|---|---|---|"]
        for kind in ("reference", "detected", "shipped"):
            runs = q[kind]
            m = [r["metrics"] for r in runs]
            det = " / ".join(_mean_std([x["detection"][c]["rate"] for x in m], 2) for c in "SVF")
            false = (f"{np.mean([x['unlabelled']['n'] for x in m]):.0f} ({np.mean([x['unlabelled']['flagged'] for x in m]):.0f})"
                     if kind != "reference" else "-")
            lost = (f"{np.mean([r['reference_beats_not_scored'] for r in runs]):.0f} of {runs[0]['reference_beats']:,}"
                    if kind != "reference" else "-")
            lines.append(
                f"| {kind} | {_mean_std([x['roc_auc'] for x in m])} | "
                + " | ".join(_mean_std([x["roc_auc_per_class"][c] for x in m]) for c in "SVF")
                + f" | {_mean_std([x['average_precision'] for x in m])} | {det} | "
                f"{_mean_std([x['normal_fpr'] for x in m])} | {false} | {lost} |")
    if q:
        lines += ["", "### The kinds of the scanned beats (EC57, as `bxb` reads the `.flag` file)", "",
                  "Each flagged beat's kind (`ecg_utils.scan.kinds`: V, S, F or Q; a beat above the threshold that its "
                  "normal family explains is N, not flagged), read against the reference beats it matches "
                  "(`ecg_utils.metrics.ec57_kinds`): gross and average (mean of the records' figures) VEB and SVEB "
                  "sensitivity and positive predictivity (%), normal and fusion beats flagged (any kind), detections "
                  "matching no reference beat still flagged, and the families a reviewer opens to confirm every flag "
                  "(median and most over records).", "",
                  *KINDS_HEAD]
        for kind in ("detected", "shipped"):
            runs = [r for r in q[kind] if "ec57_kinds" in r]
            if runs:
                lines += _kinds_rows(kind, runs)
    sv = result.get("svdb")
    if sv:
        m = sv["metrics"]
        lines += ["", "## The SVDB records scanned: other patients, another database", ""]
        if sv.get("command") and sv["command"] != result["command"]:
            lines += [f"Regenerate with `{sv['command']}`. Run {sv['date']}.", ""]
        lines += [f"The shipped detector (trained on MIT-BIH) scans each of the {len(sv['records_scanned'])} SVDB "
                  "records found (128 Hz, leads ECG1 and ECG2, other patients) as a user scans a recording, with no "
                  "choice made on them; scanned beats labelled by the reference beat they match within 150 ms, their "
                  "kinds read as above.", "",
                  "| ROC AUC | AUC S | AUC V | AUC F | detected S / V / F @thr | normal FPR @thr | false beats (flagged) "
                  "| reference beats not scored |", "|---|---|---|---|---|---|---|---|",
                  f"| {_mean_std([m['roc_auc']])} | "
                  + " | ".join(_mean_std([m["roc_auc_per_class"][c]]) for c in "SVF")
                  + " | " + " / ".join(_mean_std([m["detection"][c]["rate"]], 2) for c in "SVF")
                  + f" | {_mean_std([m['normal_fpr']])} | {m['unlabelled']['n']} ({m['unlabelled']['flagged']}) | "
                  f"{sv['reference_beats_not_scored']} of {sv['reference_beats']:,} |", "", *KINDS_HEAD,
                  *_kinds_rows("shipped", [sv])]
    if d:
        lines += ["", f"## A {d['hours']:.0f}-hour recording, end to end", ""]
        if d.get("command") and d["command"] != result["command"]:
            lines += [f"Regenerate with `{d['command']}`. Run {d['date']}.", ""]
        walls = d.get("runs_wall_s", [d["wall_s"]])
        runs = (f" (the median of {len(walls)} scans, each in a fresh process: "
                f"{', '.join(f'{w:.1f}' for w in walls)} s; the stages below are that run's)" if len(walls) > 1 else "")
        loads = d.get("runs_load_average_before") or ([d["load_average_before"]] if d.get("load_average_before")
                                                      else [])
        lines += [f"{d['samples']:,} samples at 360 Hz (the shared records joined), {d['beats']:,} beats detected, "
                  f"{d['flagged']:,} flagged; `ecg-detector scan` in a fresh process: **{d['wall_s']:.1f} s wall, "
                  f"peak memory {d['peak_rss_mib']:,.0f} MiB**{runs}; outputs {d['output_mib']:.1f} MiB. gqrs re-read "
                  f"{100 * d['peaks'].get('second_look_share', 0):.0f}% of the signal."
                  + (" Load average (1 min) just before each scan: "
                     f"{', '.join(f'{x[0]:.2f}' for x in loads if x)} on {result['environment']['cpus_usable']} "
                     "cores (other work on the cores slows the scan: run `--parts day` alone on an idle machine)."
                     if loads else ""), "",
                  "| stage | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in d["stages_s"].items() if k != "total"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from ecg_utils.io.records import find_data_dir

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker-24h":
        write_atomic(argv[3], json.dumps(worker_24h(argv[1], argv[2]), default=json_default))
        return 0
    p = training_parser("python -m bench.scan", __doc__, seeds=3)
    p.add_argument("--parts", nargs="+", choices=["quality", "svdb", "day"], default=["quality", "svdb", "day"])
    p.add_argument("--repeats", type=int, default=3, help="scans of the 24-hour recording; the median is reported")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be 1 or more, got {args.repeats}")
    folder = find_data_dir(args.data_dir)
    sv_folder = svdb_folder(folder) if "svdb" in args.parts else None  # a missing folder said before any work
    t0 = time.perf_counter()
    result = {"command": "python -m bench.scan" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "config": {"seeds": args.seeds, "epochs": args.epochs}}
    if "quality" in args.parts:
        result["quality"] = quality(folder, args.seeds, args.epochs)
    if "svdb" in args.parts:
        result["svdb"] = svdb(sv_folder)
        result["svdb"].update(command=result["command"], date=result["date"])
    if "day" in args.parts:
        result["day"] = day(folder, args.repeats)
        result["day"].update(command=result["command"], date=result["date"])
    result["wall_seconds"] = time.perf_counter() - t0
    out = Path(args.out)
    result = keep_other_parts(out / "scan.json", result, args.parts)
    write_results(out, "scan", result, markdown(result))
    return 0


def keep_other_parts(path, result, parts) -> dict:
    """``result`` with the parts not run this time taken from the earlier results at ``path`` (a ``--parts day`` run
    updates the 24-hour figures and keeps the quality figures, with their own command and date)."""
    try:
        earlier = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return result
    kept = {part: earlier[part] for part in ("quality", "svdb", "day") if part not in parts and part in earlier}
    if "quality" in kept:  # the top-level command and date are the quality run's
        return {**result, **kept, "command": earlier.get("command"), "date": earlier.get("date"),
                "config": earlier.get("config"), "wall_seconds": earlier.get("wall_seconds"),
                "environment": earlier.get("environment")}
    return {**result, **kept}


if __name__ == "__main__":
    sys.exit(main())
