"""Design choices on the development split: the recommended preset against one change to it, paired by record draw.

    python -m bench.development --compare 'evidence=["prematurity"]'  # what the template-deviation evidence brings
    python -m bench.development --compare normalize=none       # without scaling the reconstruction error per recording

DS1 records only (``split="development"``): each seed draws its own 6 test records, half of the other 16 for
validation and the rest for training; DS2 is never read. For each draw the preset and the preset with the change are
trained (same seed, 6 epochs) and scored on the same test records: ROC AUC, normal false-positive rate at the
threshold, and the worst record's normal FPR. Paired differences say whether a change wins in most draws or only on average. Writes
``development-<change>.json`` and ``.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import datetime
import json
import shlex
import sys
import time

import numpy as np

from bench.common import environment, training_parser, write_results


def _value(text):
    """``false`` / ``none`` / numbers / JSON, else the string itself."""
    low = text.lower()
    if low in ("none", "null"):
        return None
    try:
        return json.loads(low if low in ("true", "false") else text)
    except json.JSONDecodeError:
        return text


def run(data_dir, change: dict, seeds, epochs, preset="recommended") -> list:
    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.detect.presets import get_preset
    from ecg_utils.metrics import evaluate, per_record
    from ecg_utils.signal.build import load_split

    p = get_preset(preset)
    rows = []
    for seed in range(seeds):
        split = load_split("development", data_dir=data_dir, seed=seed, verbose=False, **p["data"])
        row = {"seed": seed, "test_records": split.info["test_records"]}
        for name, params in (("preset", {}), ("changed", change)):
            det = AutoencoderDetector(**{**p["detector"], **params, "seed": seed, "epochs": epochs})
            det.fit(split.train, split.validation)
            scores = det.decision_function(split.test)
            m = evaluate(split.test.y, scores, det.threshold_)
            table = per_record(split.test.y, scores, split.test.record, det.threshold_)
            row[name] = {"roc_auc": m["roc_auc"], "normal_fpr": m["normal_fpr"],
                         "worst_record_fpr": float(table.normal_fpr.max())}
        print(f"seed {seed}: ROC AUC {row['preset']['roc_auc']:.4f} -> {row['changed']['roc_auc']:.4f}, normal FPR "
              f"{row['preset']['normal_fpr']:.3f} -> {row['changed']['normal_fpr']:.3f}", flush=True)
        rows.append(row)
    return rows


def markdown(result) -> str:
    rows, change = result["rows"], result["change"]
    label = ", ".join(f"{k}={v!r}" for k, v in change.items())
    lines = [f"# Development split: `{result['preset']}` against `{label}`", "",
             f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds'] / 60:.1f} min, "
             f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores; DS1 records only, "
             f"{len(rows)} record draws, {result['config']['epochs']} epochs.", "",
             "| draw | test records | ROC AUC | changed | normal FPR | changed | worst record FPR | changed |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, b = r["preset"], r["changed"]
        lines.append(f"| {r['seed']} | {' '.join(r['test_records'])} | {a['roc_auc']:.4f} | {b['roc_auc']:.4f} | "
                     f"{a['normal_fpr']:.3f} | {b['normal_fpr']:.3f} | {a['worst_record_fpr']:.3f} | "
                     f"{b['worst_record_fpr']:.3f} |")
    diff = np.array([r["changed"]["roc_auc"] - r["preset"]["roc_auc"] for r in rows])
    mean, new = ({k: np.mean([r[side][k] for r in rows]) for k in ("roc_auc", "normal_fpr")}
                 for side in ("preset", "changed"))
    lines += ["", f"Mean ROC AUC {mean['roc_auc']:.4f} -> {new['roc_auc']:.4f}; the change is better in "
              f"{int((diff > 0.001).sum())}, within 0.001 in {int((np.abs(diff) <= 0.001).sum())} and worse in "
              f"{int((diff < -0.001).sum())} of {len(rows)} draws. Mean normal FPR at the threshold "
              f"{mean['normal_fpr']:.3f} -> {new['normal_fpr']:.3f}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from ecg_utils.io.records import find_data_dir

    argv = sys.argv[1:] if argv is None else argv
    p = training_parser("python -m bench.development", __doc__, seeds=5, epochs=6)
    p.add_argument("--compare", nargs="+", required=True, metavar="PARAM=VALUE",
                   help="detector parameters changed against the preset, e.g. 'evidence=[\"rhythm\"]'")
    p.add_argument("--preset", default="recommended")
    args = p.parse_args(argv)
    if not all("=" in c for c in args.compare):
        p.error("--compare takes PARAM=VALUE pairs")
    change = {k: _value(v) for k, v in (c.split("=", 1) for c in args.compare)}
    t0 = time.perf_counter()
    result = {"command": "python -m bench.development" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "preset": args.preset, "change": change, "config": {"seeds": args.seeds, "epochs": args.epochs},
              "rows": run(find_data_dir(args.data_dir), change, args.seeds, args.epochs, args.preset)}
    result["wall_seconds"] = time.perf_counter() - t0
    name = "development-" + "-".join(f"{k}-{'+'.join(map(str, v)) if isinstance(v, list) else v}"
                                     for k, v in change.items()).lower()
    write_results(args.out, name, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
