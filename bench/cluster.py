"""Sweeps and archive scans on Dask: 1 vs 2 local workers, and what the engine itself costs per task.

    python -m bench.cluster              # about 8 min on 2 cores
    python -m bench.cluster --quick      # a smaller sweep and 10 records

1. **A sweep** of the baseline notebook (recommended preset, 5 records, 2 epochs, 2,000 training beats per run):
   the same grid run today's way (``run_sweep``, no scheduler: one run after another), then through a Dask
   ``LocalCluster`` of 1 and of 2 process workers (``run_sweep(scheduler=address)``), each into a fresh folder
   (the beat cache is built before, so no configuration pays for it).
2. **A scan** of every shared record (``ecg_utils.scan.archive.scan_many``, tables and annotations, no HTML report):
   in one fresh process without Dask (``ecg-detector scan DIR --no-report``), then on 1 and 2 Dask workers.
3. **The engine's own cost**: starting a LocalCluster of 1 and 2 workers, and the round trip of an empty task
   (submit -> result, one at a time) on a started worker.

Each cluster is started before its wall time starts (its start is reported apart) and its workers are fresh
processes, so each Dask wall time includes the workers' TensorFlow import and detector load, as the no-Dask
scan's includes its own. Writes ``cluster.json`` and ``cluster.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import argparse
import datetime
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_OUT, ROOT, environment, write_results

SWEEP_RECORDS = ["101", "119", "208", "105", "233"]   # DS1: 101, 119, 208; DS2: 105, 233 (as the notebook tests)


def _noop(i):
    return i


def engine_overhead(n_tasks=50) -> dict:
    """Seconds to start a LocalCluster of 1 and 2 workers; an empty task's round trip on a started worker."""
    from distributed import Client

    from ecg_utils.cluster import local_cluster

    out = {}
    for n in (1, 2):
        t0 = time.perf_counter()
        with local_cluster(n) as lc, Client(lc) as client:
            client.wait_for_workers(n)
            out[f"start_{n}_workers_s"] = time.perf_counter() - t0
            if n == 1:
                client.submit(_noop, -1, pure=False).result()   # the worker's first task imports this module
                trips = []
                for i in range(n_tasks):
                    t1 = time.perf_counter()
                    client.submit(_noop, i, pure=False).result()
                    trips.append(time.perf_counter() - t1)
                out["empty_task_round_trip_ms"] = {"median": 1e3 * float(np.median(trips)),
                                                   "p90": 1e3 * float(np.percentile(trips, 90)), "n": n_tasks}
    return out


def sweep(data_dir, grid, seeds, epochs, max_train_beats, workdir) -> dict:
    """Wall time of the same sweep without Dask, then on a LocalCluster of 1 and 2 workers."""
    from distributed import Client

    from ecg_utils.cluster import local_cluster
    from ecg_utils.experiments.pipeline import BASELINE_NOTEBOOK, configure, load_data
    from ecg_utils.experiments.sweep import run_sweep

    base = {"preset": "recommended", "records": SWEEP_RECORDS, "epochs": epochs, "max_train_beats": max_train_beats,
            "data_dir": str(data_dir)}
    out = {"grid": grid, "seeds": list(seeds), "base_params": base, "runs": {}}
    # build the beat cache first, so that no configuration pays for it
    load_data(configure(base["preset"], records=SWEEP_RECORDS, data_dir=str(data_dir)), verbose=False)

    def one(name, **kwargs):
        t0 = time.perf_counter()
        df = run_sweep(BASELINE_NOTEBOOK, grid, seeds, out_dir=Path(workdir) / name, base_params=base,
                       progress=None, **kwargs)
        wall = time.perf_counter() - t0
        ok = df[df.status == "ok"]
        out["runs"][name] = {"wall_s": wall, "points": len(df), "ok": len(ok),
                             "point_s_sum": float(sum(_point_seconds(Path(workdir) / name))),
                             "fit_s_sum": float(ok["fit_seconds"].sum()) if "fit_seconds" in ok else None,
                             "roc_auc": [round(float(v), 4) for v in ok["roc_auc"]]}
        print(f"  sweep {name}: {wall:.1f} s, {len(ok)}/{len(df)} ok", flush=True)

    one("no_dask")
    for n in (1, 2):
        t0 = time.perf_counter()
        with local_cluster(n) as lc, Client(lc) as client:
            client.wait_for_workers(n)
            out["runs"][f"dask_{n}_workers_start_s"] = time.perf_counter() - t0
            one(f"dask_{n}_workers", scheduler=lc.scheduler_address)
    return out


def _point_seconds(out_dir):
    """Each run's own duration: papermill's record in the executed notebook's metadata."""
    import nbformat

    for nb in Path(out_dir).glob("*/run.ipynb"):
        meta = nbformat.read(nb, as_version=4).metadata.get("papermill", {})
        if meta.get("duration") is not None:
            yield float(meta["duration"])


def scan_archive(data_dir, records, workdir) -> dict:
    """Wall time of scanning ``records`` in one fresh process without Dask, then on 1 and 2 Dask workers."""
    from distributed import Client

    from ecg_utils.cluster import local_cluster
    from ecg_utils.scan.archive import scan_many

    sources = [str(Path(data_dir) / f"{r}.hea") for r in records]
    out = {"records": len(records), "runs": {}}
    target = Path(workdir) / "scan_no_dask"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ecg_utils", "scan", *sources, "--out", str(target), "--no-report"],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    out["runs"]["no_dask"] = {"wall_s": time.perf_counter() - t0, **_scan_counts(target / "summary.csv")}
    print(f"  scan no_dask: {out['runs']['no_dask']['wall_s']:.1f} s", flush=True)
    for n in (1, 2):
        t0 = time.perf_counter()
        with local_cluster(n) as lc, Client(lc) as client:
            client.wait_for_workers(n)
            start = time.perf_counter() - t0
            t1 = time.perf_counter()
            target = Path(workdir) / f"scan_dask_{n}"
            scan_many(sources, target, scheduler=lc.scheduler_address, report=False, progress=None)
            out["runs"][f"dask_{n}_workers"] = {"wall_s": time.perf_counter() - t1, "start_s": start,
                                                **_scan_counts(target / "summary.csv")}
        print(f"  scan dask_{n}_workers: {out['runs'][f'dask_{n}_workers']['wall_s']:.1f} s", flush=True)
    return out


def _scan_counts(summary_csv) -> dict:
    import pandas as pd

    t = pd.read_csv(summary_csv)
    ok = t[t.status == "ok"]
    return {"ok": len(ok), "failed": int((t.status != "ok").sum()), "beats": int(ok.beats.sum()),
            "flagged": int(ok.flagged.sum()), "task_s_sum": float(ok.seconds.sum())}


def markdown(r) -> str:
    sw, sc, eng = r["sweep"]["runs"], r["scan"]["runs"], r["engine"]
    n_pts = sw["no_dask"]["points"]
    lines = [
        "# Sweeps and archive scans on Dask (`python -m bench.cluster`)", "",
        f"{r['date']}, {r['environment']['cpus_usable']} usable cores ({r['environment']['cpu']}), "
        f"load average {r['load_before'][0]:.1f} before the run and {r['load_after'][0]:.1f} after it (above the "
        f"core count: other processes shared the machine, and the timings move with them). "
        f"Command: `{r['command']}`.", "",
        f"**Sweep**: the baseline notebook, {n_pts} runs (grid {r['sweep']['grid']}, seeds {r['sweep']['seeds']}; "
        f"{len(SWEEP_RECORDS)} records, {r['sweep']['base_params']['epochs']} epochs, "
        f"{r['sweep']['base_params']['max_train_beats']} training beats per run).", "",
        "| how | wall (s) | per run (s) | runs ok | sum of the runs' own time (s) | of which training (s) | "
        "cluster start (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, label in (("no_dask", "no Dask (one run after another)"), ("dask_1_workers", "Dask, 1 worker"),
                        ("dask_2_workers", "Dask, 2 workers")):
        run = sw[name]
        start = sw.get(f"{name}_start_s")
        fit = "" if run.get("fit_s_sum") is None else f"{run['fit_s_sum']:.1f}"
        lines.append(f"| {label} | {run['wall_s']:.1f} | {run['wall_s'] / run['points']:.1f} | {run['ok']}/"
                     f"{run['points']} | {run['point_s_sum']:.1f} | {fit} | {'' if start is None else f'{start:.1f}'} |")
    fits = [sw[k]["fit_s_sum"] / sw[k]["point_s_sum"] for k in ("no_dask", "dask_1_workers", "dask_2_workers")
            if sw[k].get("fit_s_sum") is not None and sw[k]["point_s_sum"]]
    aucs = {tuple(sw[k]["roc_auc"]) for k in ("no_dask", "dask_1_workers", "dask_2_workers")}
    lines += ["", f"Sweep speed-up, 2 workers vs 1: **{r['ratios']['sweep_1_over_2']:.2f}x**; Dask with 1 worker vs "
              f"no Dask: {r['ratios']['sweep_dask1_over_none']:.2f}x the wall time. Training, the part TensorFlow "
              f"spreads over the cores, is {100 * min(fits):.0f}-{100 * max(fits):.0f}% of a run's time; the rest "
              f"(kernel start, imports, beats, evaluation, figures) is mostly one thread. The runs' ROC AUCs are "
              f"{'the same' if len(aucs) == 1 else 'NOT the same'} in the three ways.", "",
              f"**Scan**: {r['scan']['records']} shared MIT-BIH records (30 min each; tables and annotation files, "
              f"no HTML report).", "",
              "| how | wall (s) | per record (s) | recordings ok | beats | flagged | cluster start (s) |",
              "|---|---|---|---|---|---|---|"]
    for name, label in (("no_dask", "no Dask: `ecg-detector scan DIR` in a fresh process"),
                        ("dask_1_workers", "Dask, 1 worker"), ("dask_2_workers", "Dask, 2 workers")):
        run = sc[name]
        start = "" if "start_s" not in run else f"{run['start_s']:.1f}"
        lines.append(f"| {label} | {run['wall_s']:.1f} | {run['wall_s'] / r['scan']['records']:.2f} | {run['ok']} | "
                     f"{run['beats']:,} | {run['flagged']:,} | {start} |")
    lines += ["", f"Scan speed-up, 2 workers vs 1: **{r['ratios']['scan_1_over_2']:.2f}x**; Dask with 1 worker vs no "
              f"Dask: {r['ratios']['scan_dask1_over_none']:.2f}x the wall time.", "",
              f"**The engine's own cost**: a LocalCluster starts in {eng['start_1_workers_s']:.1f} s (1 worker) and "
              f"{eng['start_2_workers_s']:.1f} s (2 workers); an empty task's round trip on a started worker takes "
              f"{eng['empty_task_round_trip_ms']['median']:.1f} ms (median of {eng['empty_task_round_trip_ms']['n']}; "
              f"p90 {eng['empty_task_round_trip_ms']['p90']:.1f} ms). Per sweep run, Dask with 1 worker against no "
              f"Dask: {r['ratios']['sweep_overhead_per_run_s']:+.1f} s; per scanned record: "
              f"{r['ratios']['scan_overhead_per_record_s']:+.2f} s.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from ecg_utils.io.records import find_data_dir

    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--quick", action="store_true", help="2 sweep runs and 10 records")
    args = p.parse_args(argv)
    data_dir = find_data_dir(args.data_dir)
    records = sorted(h.stem for h in Path(data_dir).glob("*.hea"))
    grid, seeds = ({"latent_dim": [4]}, (0, 1)) if args.quick else ({"latent_dim": [4, 8]}, (0, 1))
    if args.quick:
        records = records[:10]
    t0 = time.perf_counter()
    result = {"command": "python -m bench.cluster" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "load_before": list(os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as work:
        print("engine overhead", flush=True)
        result["engine"] = engine_overhead()
        print("sweep", flush=True)
        result["sweep"] = sweep(data_dir, grid, seeds, epochs=2, max_train_beats=2000, workdir=work)
        print("scan", flush=True)
        result["scan"] = scan_archive(data_dir, records, work)
    sw, sc = result["sweep"]["runs"], result["scan"]["runs"]
    result["ratios"] = {
        "sweep_1_over_2": sw["dask_1_workers"]["wall_s"] / sw["dask_2_workers"]["wall_s"],
        "sweep_dask1_over_none": sw["dask_1_workers"]["wall_s"] / sw["no_dask"]["wall_s"],
        "sweep_overhead_per_run_s": (sw["dask_1_workers"]["wall_s"] - sw["no_dask"]["wall_s"]) / sw["no_dask"]["points"],
        "scan_1_over_2": sc["dask_1_workers"]["wall_s"] / sc["dask_2_workers"]["wall_s"],
        "scan_dask1_over_none": sc["dask_1_workers"]["wall_s"] / sc["no_dask"]["wall_s"],
        "scan_overhead_per_record_s": (sc["dask_1_workers"]["wall_s"] - sc["no_dask"]["wall_s"]) / result["scan"]["records"],
    }
    result["load_after"] = list(os.getloadavg())
    result["wall_seconds"] = time.perf_counter() - t0
    write_results(Path(args.out), "cluster", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
