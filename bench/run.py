"""The benchmark: the autoencoder beside the detectors a user would pick instead, for quality and speed.

    python -m bench                  # the full run: both splits, every detector, 3 seeds (< 30 min, 2 cores)
    python -m bench --quick          # 8 records, 2 epochs, 1 seed: checks that everything runs (CI)

Protocol. For each split (``interpatient``: de Chazal DS1 -> DS2; ``random``: beats mixed across
patients) and each detector (the autoencoder of every preset in :data:`ecg_utils.detect.presets.PRESETS`, PCA,
isolation forest, one-class SVM, the RR rule), the detector is fitted on the split's normal training
beats, its threshold is set on the normal validation beats, and the test set is scored. No test label
takes part in any choice (threshold, epoch, configuration): early stopping and thresholds use the
validation normals only. The plain peers run on the beats of the ``baseline`` preset; the fused peers
(``template+rhythm``: no model; ``pca+rhythm``, ...: a peer on the beat minus its template) on the ``recommended``
preset's beats, with the same rhythm evidence and fusion as the recommended autoencoder, so that the table
shows what the autoencoder itself adds. The split itself is fixed
(seed 0); stochastic detectors (autoencoders, isolation forest, one-class SVM) run with ``--seeds`` seeds
and are reported as mean +- sample std over them.

Every fit + score runs in a fresh subprocess, so its peak memory (``ru_maxrss``) is its own. Inside it:
training time and throughput, scoring throughput on the test set tiled to >= ``--score-beats`` beats
(one call, the detector batching as it does), and single-beat latency (median over ``--latency-calls``
calls on one beat each).

Writes ``benchmark.json`` (every number, the environment, the command line) and ``benchmark.md`` (the
tables) into ``--out`` (default ``bench/results``), both from this one command.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_EPOCHS, DEFAULT_OUT, ROOT, write_atomic
from ecg_utils.io.environment import environment
from ecg_utils.io.jsonable import json_default

SPLITS = ("interpatient", "random")
#: Peers on the baseline's beats, then the fused peers (:mod:`ecg_utils.detect.fusion`) on the recommended preset's beats:
#: a shape evidence against the patient's template plus the same rhythm evidence as the recommended autoencoder.
PEERS = ("pca", "iforest", "ocsvm", "rr_rule", "template+rhythm", "pca+rhythm", "iforest+rhythm", "ocsvm+rhythm")
PEER_NAMES = {"pca": "PCA (20 comp.)", "iforest": "Isolation forest", "ocsvm": "One-class SVM",
              "rr_rule": "RR rule (prematurity)", "template+rhythm": "Template deviation + rhythm, no model",
              "pca+rhythm": "PCA on deviation + rhythm", "iforest+rhythm": "Isolation forest on deviation + rhythm",
              "ocsvm+rhythm": "One-class SVM on deviation + rhythm"}
STOCHASTIC_PEERS = ("iforest", "ocsvm", "iforest+rhythm", "ocsvm+rhythm")
#: Detectors with nothing to train (their "fit" only scores the validation beats for the threshold).
NO_TRAINING = ("rr_rule", "template+rhythm")
#: The fused peers run on the beats of this preset (templates, RR intervals).
FUSED_PRESET = "recommended"
AE_PREFIX = "ae-"
#: The peers run on the beats of this preset.
PEER_PRESET = "baseline"
ABNORMAL = ("S", "V", "F")
#: ``--quick``: four DS1 records, then four DS2 records (those present are used).
QUICK_RECORDS = ["101", "106", "119", "208", "105", "200", "233", "213"]
QUICK_EPOCHS = 2
SCORE_BEATS = 100_000
LATENCY_CALLS = 200


# -- what runs -------------------------------------------------------------------------------------
def preset_names() -> list:
    """``baseline`` first, then every other preset defined."""
    from ecg_utils.detect.presets import PRESETS

    return ["baseline"] + [name for name in PRESETS if name != "baseline"]


def default_detectors() -> list:
    return [AE_PREFIX + name for name in preset_names()] + list(PEERS)


def _preset_of(detector) -> str:
    if detector.startswith(AE_PREFIX):
        return detector[len(AE_PREFIX):]
    return FUSED_PRESET if "+" in detector else PEER_PRESET


def _stochastic(detector) -> bool:
    return detector.startswith(AE_PREFIX) or detector in STOCHASTIC_PEERS


def _label(detector) -> str:
    return f"AE ({_preset_of(detector)})" if detector.startswith(AE_PREFIX) else PEER_NAMES[detector]


# -- the parent: data, jobs, aggregation -----------------------------------------------------------
def _build_options(data):
    return {k: v for k, v in data.items()
            if k not in ("representation", "template_width", "template_regular", "split_options")}


def time_beat_building(data, records, data_dir) -> dict:
    """Build the beats of one preset's representation from the records, cache disabled, and time it."""
    from ecg_utils.signal.build import build_mitdb_beats
    from ecg_utils.signal.templates import TEMPLATE_REGULAR, add_templates

    t0 = time.perf_counter()
    beats = build_mitdb_beats(data_dir, records=records, representation=data.get("representation", "kaggle"),
                              cache=False, verbose=False, **_build_options(data))
    build_s = time.perf_counter() - t0
    template_s = None
    if data.get("template_width"):
        t0 = time.perf_counter()
        add_templates(beats, data["template_width"], data.get("template_regular", TEMPLATE_REGULAR))
        template_s = time.perf_counter() - t0
    total = build_s + (template_s or 0.0)
    return {"records": len(beats.info["records"]), "beats": len(beats), "build_seconds": build_s,
            "template_seconds": template_s, "seconds": total, "beats_per_s": len(beats) / total}


def _data_label(data) -> str:
    """A representation's name: ``kaggle``, ``centered (before=1.5, after=1.5) + templates (101)``..."""
    extra = {k: v for k, v in data.items()
             if k not in ("representation", "template_width", "template_regular") and v is not None}
    label = data.get("representation", "kaggle")
    if extra:
        label += " (" + ", ".join(f"{k}={v}" for k, v in sorted(extra.items())) + ")"
    if data.get("template_width"):
        label += f" + templates ({data['template_width']}" + (
            f", regular beats: previous RR >= {data['template_regular']} x local)" if data.get("template_regular") else ")")
    return label


def _load_split(split, data, records, data_dir, quick):
    from ecg_utils.signal.build import load_split

    data = dict(data)
    split_options = dict(data.pop("split_options", None) or {})
    if quick and split == "interpatient":
        split_options.setdefault("n_validation_records", 1)
    return load_split(split, records=records, data_dir=data_dir, seed=0, split_options=split_options,
                      verbose=False, **data)


def _save_split(split, folder) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("train", "validation", "test"):
        getattr(split, part).save(folder / f"{part}.npz")
    return {"info": split.info, "n_train": len(split.train), "n_validation": len(split.validation),
            "n_test": len(split.test), "test_counts": split.test.counts()}


def _dumps(obj) -> str:
    return json.dumps(obj, indent=1, default=json_default, allow_nan=True)


def run_job(job, workdir) -> dict:
    """Fit + score one detector in a fresh Python process; returns what :func:`worker` wrote."""
    name = f"{job['split']}-{job['detector']}-seed{job['seed']}"
    job_path, result_path, log_path = (workdir / f"{name}.{ext}" for ext in ("job.json", "result.json", "log"))
    job = {**job, "result": str(result_path)}
    job_path.write_text(_dumps(job))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.run([sys.executable, "-m", "bench.run", "--worker", str(job_path)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0 or not result_path.exists():
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-30:])
        raise RuntimeError(f"benchmark job {name} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(result_path.read_text())
    result["process_seconds"] = time.perf_counter() - t0
    return result


def _flatten(d, prefix="") -> dict:
    """Numeric leaves of a nested dict (None counts as a missing number), keyed by dotted paths."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            out[key] = float("nan") if v is None else float(v)
    return out


def aggregate(runs) -> dict:
    """Mean, sample std (0 for one run) and the values of every numeric leaf of ``metrics`` and ``speed``
    over the runs (seeds); None where no run has a number (a class absent from the test set)."""
    out = {}
    for section in ("metrics", "speed"):
        flat = [_flatten(r[section]) for r in runs]
        out[section] = {}
        for k in flat[0]:
            values = np.array([f.get(k, np.nan) for f in flat], dtype=np.float64)
            finite = values[np.isfinite(values)]
            out[section][k] = {
                "mean": float(finite.mean()) if len(finite) else None,
                "std": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0 if len(finite) else None,
                "values": [float(v) if np.isfinite(v) else None for v in values],
            }
    return out


# -- the child: one fit + score --------------------------------------------------------------------
def _peak_rss_mib() -> float:
    """This process's resident-set high-water mark (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _make_detector(detector, params):
    """The job's detector, from the one factory (an ``ae-<preset>`` job carries its preset's parameters)."""
    from ecg_utils.detect.factory import AUTOENCODER, make_detector

    return make_detector(AUTOENCODER if detector.startswith(AE_PREFIX) else detector, **params)


def worker(job_path) -> None:
    """Run one job written by :func:`run_job`: fit, threshold, score, time; write the result JSON."""
    from ecg_utils.io.dataset import Beats
    from ecg_utils.metrics import evaluate

    job = json.loads(Path(job_path).read_text())
    data = Path(job["data"])
    train, validation, test = (Beats.load(data / f"{part}.npz") for part in ("train", "validation", "test"))
    det = _make_detector(job["detector"], job["params"])
    if job.get("epochs_cap") and hasattr(det, "epochs"):
        det.epochs = min(det.epochs, job["epochs_cap"])
    rss_loaded = _peak_rss_mib()

    t0 = time.perf_counter()
    det.fit(train, validation)
    fit_wall = time.perf_counter() - t0
    rss_fit = _peak_rss_mib()
    train_s = float(getattr(det, "fit_seconds_", None) or fit_wall)
    epochs = getattr(det, "epochs_trained_", None)
    n_used = int(getattr(det, "n_train_used_", len(train)))
    epoch_s = (getattr(det, "history_", None) or {}).get("epoch_seconds")
    # an autoencoder: beats per second of a median epoch (its validation pass included); others: of the fit
    per_s = n_used / float(np.median(epoch_s)) if epoch_s else n_used / train_s if train_s > 0 else None
    if job["detector"] in NO_TRAINING:
        per_s = None

    t0 = time.perf_counter()
    scores = np.asarray(det.decision_function(test), dtype=np.float64)
    test_s = time.perf_counter() - t0
    metrics = evaluate(test.y, scores, det.threshold_, list(test.class_names))

    # throughput: the test set tiled to >= score_beats, scored in one call
    reps = max(1, math.ceil(job["score_beats"] / len(test)))
    big = Beats.concat([test] * reps)
    t0 = time.perf_counter()
    det.decision_function(big)
    big_s = time.perf_counter() - t0
    del big

    # latency: one beat per call
    rng = np.random.default_rng(0)
    singles = [test[int(i):int(i) + 1] for i in rng.choice(len(test), size=job["latency_calls"])]
    for one in singles[:5]:
        det.decision_function(one)
    latency = []
    for one in singles:
        t0 = time.perf_counter()
        det.decision_function(one)
        latency.append(time.perf_counter() - t0)
    latency_ms = np.array(latency) * 1e3

    speed = {
        "train_seconds": train_s,
        "fit_wall_seconds": fit_wall,
        "train_beats": len(train),
        "train_beats_used": n_used,
        "train_beats_per_s": per_s,
        "score_test_seconds": test_s,
        "score_beats": len(test) * reps,
        "score_seconds": big_s,
        "score_beats_per_s": len(test) * reps / big_s,
        "latency_ms_median": float(np.median(latency_ms)),
        "latency_ms_p90": float(np.percentile(latency_ms, 90)),
        "rss_mib_after_load": rss_loaded,
        "rss_mib_after_fit": rss_fit,
        "peak_rss_mib": _peak_rss_mib(),
    }
    if epochs is not None:
        speed["epochs"] = int(epochs)
        speed["epoch_seconds_median"] = float(np.median(epoch_s)) if epoch_s else None
    result = {"detector": job["detector"], "split": job["split"], "seed": job["seed"], "params": det.describe(),
              "threshold": float(det.threshold_), "n_train": len(train), "n_validation": len(validation),
              "n_test": len(test), "metrics": metrics, "speed": speed}
    if getattr(det, "history_", None):
        result["history"] = det.history_
    write_atomic(job["result"], _dumps(result))


# -- the report ------------------------------------------------------------------------------------
def _pm(agg, key, digits=3, n=1) -> str:
    """``mean ± std`` of an aggregated number (just the mean for one run), "-" where there is none."""
    cell = agg.get(key)
    if not cell or cell["mean"] is None:
        return "-"
    return f"{cell['mean']:.{digits}f} ± {cell['std']:.{digits}f}" if n > 1 else f"{cell['mean']:.{digits}f}"


def _load(values) -> str:
    return ", ".join(f"{x:.1f}" for x in values) if values else "unknown"


def _num(value, digits=0) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.{digits}f}"


#: (header, key) of the quality tables; keys are :func:`ecg_utils.metrics.evaluate`'s, flattened with dots.
QUALITY_COLUMNS = (
    [("ROC AUC", "roc_auc"), ("AP", "average_precision")]
    + [(f"AUC {c}", f"roc_auc_per_class.{c}") for c in ABNORMAL]
    + [(f"AP {c}", f"average_precision_per_class.{c}") for c in ABNORMAL]
    + [(f"recall {c} @thr", f"detection.{c}.rate") for c in ABNORMAL]
    + [("normal FPR @thr", "normal_fpr")]
    + [(f"recall {c} @1% FPR", f"recall_at_fpr.per_class.{c}") for c in ABNORMAL]
)


def _capped_runs(result) -> dict:
    """Per autoencoder: (runs whose best validation loss is at the epoch cap, runs)."""
    cap, out = result["config"]["epochs"], {}
    if not cap:
        return out
    for det in result["config"]["detectors"]:
        runs = [r for s in result["splits"].values() for r in s["detectors"].get(det, {}).get("runs", [])]
        runs = [r for r in runs if r.get("history", {}).get("val_loss")]
        if runs:
            hit = sum(len(r["history"]["val_loss"]) == cap and
                      int(np.argmin(r["history"]["val_loss"])) == cap - 1 for r in runs)
            out[det] = (hit, len(runs))
    return out


def markdown(result) -> str:
    """The tables of ``benchmark.json``."""
    env, cfg = result["environment"], result["config"]
    lines = [
        "# Benchmark: the autoencoder beside the detectors a user would pick instead",
        "",
        f"Regenerate with `{result['command']}` (from the repository root, `ECG_DATA_DIR` pointing at the "
        f"MIT-BIH records). Run {result['date']}, {result['wall_seconds'] / 60:.1f} min wall.",
        "",
        f"Hardware: {env['cpu']}, {env['cpus_usable']} usable cores of {env['cpu_count']}, {env['ram_gib']} GiB RAM; "
        f"{env['platform']}. Load average (1, 5, 15 min) at start {_load(env.get('load_average_at_start'))}, at end "
        f"{_load(env.get('load_average_at_end'))}: a load above 0 means other jobs shared the cores, and timings "
        "are inflated by them.",
        "Libraries: " + ", ".join(f"{k} {v}" for k, v in env["libraries"].items() if v) + f", Python {env['python']}.",
        "",
        "Protocol: each detector is fitted on the split's normal training beats; its threshold is "
        "learned on the normal validation beats (mean + 2 std of their scores); the test set is scored. "
        "No test label is used for any choice (threshold, epoch, configuration); early stopping watches the "
        "validation normals only. Peers run on the beats of the `baseline` preset. "
        f"Stochastic detectors run with {cfg['seeds']} seed(s) (mean ± sample std over detector seeds; the "
        "split is fixed, seed 0). "
        f"Autoencoder epochs: {cfg['epochs_note']}.",
        "",
        "Columns: ROC AUC / AP = normal vs all abnormal beats; AUC/AP S, V, F = that class vs N; "
        "recall @thr = share of the class flagged at the detector's own threshold, normal FPR @thr = share of "
        "normal test beats flagged; recall @1% FPR = share of the class flagged at the score that flags 1% of "
        "normal test beats (a fixed operating point for comparison, not a deployable threshold).",
    ]
    columns = QUALITY_COLUMNS
    for split in cfg["splits"]:
        s = result["splits"][split]
        others = [f"`{name}` preset's beats (its own representation): train {d['n_train']}, validation "
                  f"{d['n_validation']}, test {d['n_test']} {d['test_counts']}."
                  for name, d in s["data"].items() if name != cfg["peer_preset"]]
        lines += ["", f"## Quality: {split} split", "", " ".join([s["summary"]] + others), "",
                  "| detector | seeds | " + " | ".join(h for h, _ in columns) + " |",
                  "|---|---|" + "---|" * len(columns)]
        for det in cfg["detectors"]:
            entry = s["detectors"].get(det)
            if entry is None:
                continue
            n = len(entry["runs"])
            cells = [_pm(entry["summary"]["metrics"], key, 3, n) for _, key in columns]
            lines.append(f"| {_label(det)} | {n} | " + " | ".join(cells) + " |")
    capped = _capped_runs(result)
    if capped:
        lines += ["", "Epoch cap: " + "; ".join(
            f"{_label(det)}: best validation loss at the last epoch allowed in {k} of {n} runs"
            for det, (k, n) in capped.items())
            + " (where it is, more epochs would still lower the validation loss and change these numbers)."]
    lines += ["", "## Speed and memory", "",
              f"Training throughput: beats per second of one epoch for an autoencoder, of the whole fit for "
              f"the others (the one-class SVM trains on a subsample). Scoring: the test set tiled to >= "
              f"{cfg['score_beats']:,} beats, scored in one call. Latency: median of {cfg['latency_calls']} calls "
              "scoring one beat. Peak RSS: the high-water mark of a fresh process that loads the split, fits "
              "and scores (Python, libraries and data included). Means over seeds.",
              "",
              "| split | detector | train beats (used) | epochs | train s | train beats/s | score beats/s | "
              "latency ms | peak RSS MiB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for split in cfg["splits"]:
        for det in cfg["detectors"]:
            entry = result["splits"][split]["detectors"].get(det)
            if entry is None:
                continue
            sp = entry["summary"]["speed"]
            m = {k: v["mean"] for k, v in sp.items()}
            used = m.get("train_beats_used")
            total = m.get("train_beats")
            beats = _num(total) + ("" if used == total else f" ({_num(used)})")
            lines.append(
                f"| {split} | {_label(det)} | {beats} | {_num(m.get('epochs'))} | {_num(m['train_seconds'], 1)} | "
                f"{_num(m['train_beats_per_s'])} | {_num(m['score_beats_per_s'])} | "
                f"{_num(m['latency_ms_median'], 2)} | {_num(m['peak_rss_mib'])} |")
    lines += ["", "## Beat building", "",
              "From the WFDB records, beat cache disabled, all records of the run.", "",
              "| representation | presets | records | beats | seconds | beats/s |", "|---|---|---|---|---|---|"]
    for label, b in result["beat_building"].items():
        lines.append(f"| {label} | {', '.join(b['presets'])} | {b['records']} | {b['beats']:,} | {b['seconds']:.1f} | "
                     f"{b['beats_per_s']:,.0f} |")
    return "\n".join(lines) + "\n"


# -- the command -----------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"records {' '.join(QUICK_RECORDS)} (those present), {QUICK_EPOCHS} epochs, 1 seed")
    p.add_argument("--seeds", type=int, help="seeds of each stochastic detector (default 3; --quick 1)")
    p.add_argument("--epochs", type=int, help=f"cap on autoencoder epochs (default {DEFAULT_EPOCHS}, to keep the "
                   f"full run under 30 min on 2 CPU cores; 0 = each preset's own; --quick {QUICK_EPOCHS})")
    p.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS))
    p.add_argument("--detectors", nargs="+", help=f"default: ae-<preset> for every preset, then {' '.join(PEERS)}")
    p.add_argument("--records", nargs="+", help="records to use (default: all present; --quick: a few)")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for benchmark.json and benchmark.md")
    p.add_argument("--score-beats", type=int, help=f"beats scored for throughput (default {SCORE_BEATS:,}; "
                                                     "--quick 10,000)")
    p.add_argument("--latency-calls", type=int, help=f"single-beat calls timed (default {LATENCY_CALLS}; --quick 20)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    known = default_detectors()
    args.detectors = args.detectors or known
    unknown = [d for d in args.detectors if d not in known]
    if unknown:
        p.error(f"unknown detector(s) {unknown}; known: {' '.join(known)}")
    if args.quick:
        args.seeds = args.seeds or 1
        args.epochs = QUICK_EPOCHS if args.epochs is None else args.epochs
        args.score_beats = args.score_beats or 10_000
        args.latency_calls = args.latency_calls or 20
    args.seeds = args.seeds or 3
    args.epochs = DEFAULT_EPOCHS if args.epochs is None else args.epochs
    args.score_beats = args.score_beats or SCORE_BEATS
    args.latency_calls = args.latency_calls or LATENCY_CALLS
    return args


def _records(args, data_dir):
    if args.records:
        return args.records
    if not args.quick:
        return None
    from ecg_utils.io.records import find_data_dir, records_in

    present = set(records_in(find_data_dir(data_dir, kind="mitdb")))
    return [r for r in QUICK_RECORDS if r in present]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    from ecg_utils.detect.presets import get_preset

    t_start = time.perf_counter()
    command = "python -m bench" + "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    out = Path(args.out)
    records = _records(args, args.data_dir)
    presets = sorted({_preset_of(d) for d in args.detectors}, key=preset_names().index)
    preset = {name: get_preset(name) for name in presets}
    env = environment()
    epochs_note = (f"capped at {args.epochs} (--epochs), early stopping on validation normals within that"
                   if args.epochs else "each preset's own (with its early stopping on validation normals)")
    print(f"Benchmark: splits {args.splits}, detectors {args.detectors}, {args.seeds} seed(s), "
          f"records {'all present' if records is None else records}; {env['cpu']}, {env['cpus_usable']} cores",
          flush=True)

    # beat building, cache disabled, once per representation (the data options of a preset)
    building = {}
    for name in presets:
        data = preset[name]["data"]
        same = [b for b in building.values() if b["data"] == data]
        if same:
            same[0]["presets"].append(name)
            continue
        b = building[_data_label(data)] = {"data": data, "presets": [name],
                                           **time_beat_building(data, records, args.data_dir)}
        print(f"beats {_data_label(data)}: {b['beats']:,} beats from {b['records']} records in {b['seconds']:.1f} s "
              "(no cache)", flush=True)

    jobs = []
    for split in args.splits:
        for det in args.detectors:
            for seed in (range(args.seeds) if _stochastic(det) else [0]):
                jobs.append((split, det, seed))
    result = {
        "command": command,
        "argv": list(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "environment": env,
        "config": {"splits": args.splits, "detectors": args.detectors, "seeds": args.seeds, "epochs": args.epochs,
                   "epochs_note": epochs_note, "quick": args.quick, "records": records,
                   "score_beats": args.score_beats, "latency_calls": args.latency_calls,
                   "peer_preset": PEER_PRESET, "presets": preset, "split_seed": 0},
        "beat_building": building,
        "splits": {},
    }
    done = 0
    with tempfile.TemporaryDirectory(prefix="ecg-bench-") as tmp:
        tmp = Path(tmp)
        for split in args.splits:
            split_data, entry = {}, {"detectors": {}}
            for name in presets:
                sp = _load_split(split, preset[name]["data"], records, args.data_dir, args.quick)
                split_data[name] = tmp / split / name
                entry.setdefault("data", {})[name] = _save_split(sp, split_data[name])
                if name == PEER_PRESET or "summary" not in entry:
                    entry["summary"] = sp.describe()
            result["splits"][split] = entry
            for det in args.detectors:
                runs = []
                for seed in (range(args.seeds) if _stochastic(det) else [0]):
                    params = dict(preset[_preset_of(det)]["detector"]) if det.startswith(AE_PREFIX) else {}
                    if _stochastic(det):
                        params["seed"] = seed
                    job = {"detector": det, "split": split, "seed": seed, "params": params, "epochs_cap": args.epochs,
                           "data": str(split_data[_preset_of(det)]), "score_beats": args.score_beats,
                           "latency_calls": args.latency_calls}
                    run = run_job(job, tmp)
                    runs.append(run)
                    done += 1
                    sp = run["speed"]
                    print(f"[{done}/{len(jobs)}] {split:12s} {det:16s} seed {seed}: ROC AUC "
                          f"{_num(run['metrics']['roc_auc'], 3)}, fit {sp['train_seconds']:.1f} s"
                          + (f" ({sp['epochs']} epochs)" if "epochs" in sp else "")
                          + f", {sp['score_beats_per_s']:,.0f} beats/s, peak {sp['peak_rss_mib']:.0f} MiB "
                          f"[{(time.perf_counter() - t_start) / 60:.1f} min]", flush=True)
                entry["detectors"][det] = {"runs": runs, "summary": aggregate(runs)}
    result["wall_seconds"] = time.perf_counter() - t_start
    result["environment"]["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    write_atomic(out / "benchmark.json", _dumps(result))
    write_atomic(out / "benchmark.md", markdown(result))
    print(f"Wrote {out / 'benchmark.json'} and {out / 'benchmark.md'} ({result['wall_seconds'] / 60:.1f} min)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
