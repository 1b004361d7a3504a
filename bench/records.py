"""Every record tested once by a model that never saw its patient: per-record robustness.

    python -m bench.records                  # 3 seeds x 2 directions, 6-epoch cap (about 3 min on 2 cores)
    python -m bench.records --database svdb  # the same protocol on the SVDB records (its even / odd sides)

Protocol: the recommended preset is trained on the normal beats of DS1 and tests DS2 (de Chazal), then trained on
the normal beats of DS2 and tests DS1 (the sides swapped); in each direction the threshold comes from the normal
beats of half the training side's records held out of training (drawn by the seed). So every shared non-paced record is
scored once per seed by a detector that never saw that patient. Reported: the gross ROC AUC over all records (the
two directions' scores pooled: both are ``-log`` tail probabilities on their own validation normals), and per
record its ROC AUC, its normal false-positive rate at the threshold and the share of each abnormal class flagged,
mean over seeds; the worst records named. Records with fewer than 20 abnormal beats have no reliable AUC. Each flagged
beat is also given its kind (V, S, F, Q) and family (:func:`ecg_utils.scan.kinds.classify`, with the same beats cut from
the record's second lead, as a scan reads it: :func:`ecg_utils.signal.build.second_lead_beats`), and EC57's VEB and SVEB
figures are read from the kinds (:func:`ecg_utils.metrics.ec57_kinds`), gross and average, beside those read from the
reasons; per record, its families and those a reviewer opens to confirm every flag.

DS1 is where designs are chosen: the DS2 -> DS1 direction evaluates, it chose nothing. Writes ``records.json``,
``records.md`` and ``records.png`` (one point per record) into ``--out`` (default ``bench/results``);
``--normalize none`` runs the detector without its per-recording calibration (the reconstruction error taken as it
is, not relative to its recording's median) and writes ``records-normalize-none.*``. Also reported: the normal
false-positive rate asked for against the one achieved on unseen patients, and the irregular-rhythm stretches
(:mod:`ecg_utils.signal.rhythm`) against the ``(AFIB``/``(AFL`` rhythm annotations.
"""
from __future__ import annotations

import datetime
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import environment, training_parser, write_results


def directions(database="mitdb") -> dict:
    """``reverse`` -> the direction's name (``"DS1 -> DS2"``), from the database's two protocol sides."""
    from ecg_utils.io.databases import get_database

    a, b = get_database(database).sides
    return {False: f"{a} -> {b}", True: f"{b} -> {a}"}
#: The targets of issue 11, drawn on the figure and checked in the table.
TARGET_AUC, TARGET_FPR = 0.90, 0.10


def run(data_dir, seeds, epochs, preset="recommended", normalize=None, database="mitdb") -> dict:
    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.detect.presets import get_preset
    from ecg_utils.metrics import ec57_ectopic, ec57_kinds, evaluate, per_record
    from ecg_utils.scan.kinds import classify
    from ecg_utils.signal.build import load_split, second_lead_beats

    p = get_preset(preset)
    runs, rhythm, second = [], {}, {}
    for seed in range(seeds):
        ys, scores, shapes, rhythms, kinds, records = [], [], [], [], [], []
        for reverse, name in directions(database).items():
            split = load_split("interpatient", data_dir=data_dir, seed=seed, split_options={"reverse": reverse},
                               verbose=False, database=database, **p["data"])
            det = AutoencoderDetector(**{**p["detector"], "seed": seed, "epochs": epochs,
                                         **({"normalize": None if normalize == "none" else normalize}
                                            if normalize else {})})
            det.fit(split.train, split.validation)
            parts = det.score_parts(split.test)
            s = parts["score"]
            table = per_record(split.test.y, s, split.test.record, det.threshold_)
            table["direction"], table["seed"] = name, seed
            m = evaluate(split.test.y, s, det.threshold_)
            runs.append({"seed": seed, "direction": name, "validation_records": split.info["validation_records"],
                         "threshold": det.threshold_, "roc_auc": m["roc_auc"], "normal_fpr": m["normal_fpr"],
                         "roc_auc_per_class": m["roc_auc_per_class"],
                         "ec57": ec57_ectopic(split.test.y, parts["shape"], parts["timing"], det.threshold_),
                         "records": table.to_dict("records")})
            runs[-1]["calibration"] = calibration(det.validation_scores_, s, split.test.y, split.test.record)
            if name not in second:  # the same test beats for every seed
                second[name] = second_lead_beats(split.test)
            table, families = classify(split.test, s > det.threshold_, second=second[name])
            runs[-1]["ec57_kinds"] = ec57_kinds(split.test.y, table.kind.to_numpy(), split.test.record)
            runs[-1]["families"] = family_counts(families)
            runs[-1]["kinds_per_record"] = kinds_of_records(split.test.y, table.kind.to_numpy(), split.test.record)
            kinds.append(table.kind.to_numpy())
            records.append(split.test.record)
            if seed == 0:  # no model in the rhythm finding: the same for every seed
                rhythm[name] = rhythm_findings(split.test, data_dir)
            ys.append(split.test.y)
            scores.append(s)
            # each direction's parts over its own threshold: the pooled figures use the shares of the threshold
            shapes.append(parts["shape"] / det.threshold_)
            rhythms.append(parts["timing"] / det.threshold_)
            print(f"seed {seed} {name}: ROC AUC {m['roc_auc']:.4f}, normal FPR {m['normal_fpr']:.3f} "
                  f"(validation records {' '.join(split.info['validation_records'])})", flush=True)
        gross = evaluate(np.concatenate(ys), np.concatenate(scores), np.inf)
        runs.append({"seed": seed, "direction": "every record", "roc_auc": gross["roc_auc"],
                     "roc_auc_per_class": gross["roc_auc_per_class"],
                     "ec57": ec57_ectopic(np.concatenate(ys), np.concatenate(shapes), np.concatenate(rhythms), 1.0),
                     "ec57_kinds": ec57_kinds(np.concatenate(ys), np.concatenate(kinds), np.concatenate(records))})
    return {"preset": preset, "normalize": normalize, "database": database, "runs": runs, "rhythm": rhythm}


def kinds_of_records(y, kind, records) -> dict:
    """Per record: the share of its normal beats flagged (any kind), of its V beats called V, of its S beats called S,
    of its F beats flagged (None where it has none)."""
    out = {}
    for r in sorted(set(records.tolist())):
        m = records == r

        def share(cls, hit, m=m):
            n = int((m & (y == cls)).sum())
            return float((m & (y == cls) & hit).sum() / n) if n else None

        out[r] = {"N_flagged": share(0, kind != "N"), "V_se": share(2, kind == "V"), "S_se": share(1, kind == "S"),
                  "F_flagged": share(3, kind != "N")}
    return out


def family_counts(families) -> dict:
    """Per record: its beat families, and those a reviewer opens to confirm every flag (holding a flagged beat)."""
    return {r: {"families": int(len(g)), "reviewed": int((g.flagged > 0).sum())}
            for r, g in families.groupby("record")}


#: Nominal normal false-positive rates for the calibration table: the threshold is the validation normals'
#: ``1 - rate`` quantile (the detector's ``threshold_rule="fpr"``).
NOMINAL_FPR = (0.01, 0.02, 0.05)
#: Rhythm annotations (``aux_note``) that count as irregular rhythm, and the shortest episode counted as one.
IRREGULAR_RHYTHMS, MIN_EPISODE_S = ("(AFIB", "(AFL"), 30.0


def calibration(validation_scores, scores, y, records) -> list:
    """Per nominal rate: the achieved normal FPR on the unseen patients, gross and per record (median, max)."""
    out = []
    normal = np.asarray(y) == 0
    for rate in NOMINAL_FPR:
        flagged = scores > np.quantile(validation_scores, 1 - rate)
        per = pd.Series(flagged[normal]).groupby(np.asarray(records)[normal]).mean()
        out.append({"nominal": rate, "achieved": float(flagged[normal].mean()),
                    "record_median": float(per.median()), "record_max": float(per.max()), "worst": str(per.idxmax())})
    return out


def rhythm_findings(beats, data_dir) -> dict:
    """Irregular-rhythm stretches found in ``beats`` (no labels, no model) against the ``(AFIB``/``(AFL`` episodes of
    the records' rhythm annotations: per record and gross (:func:`ecg_utils.metrics.episode_detection`)."""
    from ecg_utils.io.records import read_record
    from ecg_utils.metrics import episode_detection
    from ecg_utils.signal.rhythm import irregular_stretches

    detected, reference, long_reference, per = {}, {}, {}, []
    for record in beats.records():
        rec = read_record(data_dir, record, fallback=True)
        found = irregular_stretches(beats[beats.record == record], rec.fs)
        detected[record] = list(zip(found.start, found.end))
        episodes = rec.rhythm_episodes(IRREGULAR_RHYTHMS)
        reference[record] = episodes
        long_reference[record] = [e for e in episodes if (e[1] - e[0]) / rec.fs >= MIN_EPISODE_S]
        if episodes or detected[record]:
            m = episode_detection({record: detected[record]}, {record: episodes})
            per.append({"record": record, "reference_s": m["reference_samples"] / rec.fs,
                        "detected_s": m["detected_samples"] / rec.fs, "duration_se": m["duration_se"],
                        "duration_ppv": m["duration_ppv"]})
    duration = episode_detection(detected, reference)
    episodes = episode_detection(detected, long_reference)
    return {"duration": duration, "episodes": episodes, "records": per}


def per_record_table(result) -> pd.DataFrame:
    """Per record, mean and spread over seeds."""
    rows = pd.DataFrame([r for run in result["runs"] for r in run.get("records", [])])
    cols = ["roc_auc", "normal_fpr", "recall_S", "recall_V", "recall_F"]
    rows[cols] = rows[cols].astype(float)
    agg = rows.groupby(["record", "direction"]).agg(
        beats=("beats", "first"), abnormal=("abnormal", "first"), n_S=("n_S", "first"), n_V=("n_V", "first"),
        n_F=("n_F", "first"), reliable=("reliable", "first"), roc_auc=("roc_auc", "mean"),
        roc_auc_min=("roc_auc", "min"), normal_fpr=("normal_fpr", "mean"), normal_fpr_max=("normal_fpr", "max"),
        recall_S=("recall_S", "mean"), recall_V=("recall_V", "mean"), recall_F=("recall_F", "mean"))
    return agg.reset_index().sort_values("roc_auc")


def kinds_per_record(result) -> pd.DataFrame:
    """Per record, mean over seeds: families, families to review, and the kinds' figures on its beats."""
    rows = []
    for run in result["runs"]:
        fam = run.get("families") or {}
        for r, v in fam.items():
            row = next((x for x in run.get("records", []) if x["record"] == r), {})
            rows.append({"record": r, "families": v["families"], "reviewed": v["reviewed"],
                         "n_F": row.get("n_F", 0), **run.get("kinds_per_record", {}).get(r, {})})
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).groupby("record").mean(numeric_only=True)


def _f(x, digits=3):
    return "-" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{digits}f}"


def _pct(x):
    return "-" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def markdown(result) -> str:
    table = per_record_table(result)
    runs = pd.DataFrame([{k: v for k, v in r.items() if k != "records"} for r in result["runs"]])
    lines = ["# Every record, tested by a model that never saw its patient", "",
             f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds'] / 60:.1f} min, "
             f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores. Preset "
             f"`{result['preset']}`" + (f" with `normalize={None if result['normalize'] == 'none' else repr(result['normalize'])}`"
                                               if result.get("normalize") else "")
             + f", {result['config']['seeds']} seeds, epochs capped at {result['config']['epochs']}.",
             "", "| direction | ROC AUC (mean ± std over seeds) | AUC S | AUC V | AUC F | normal FPR at the threshold, per seed |",
             "|---|---|---|---|---|---|"]
    for name in list(directions(result.get("database", "mitdb")).values()) + ["every record"]:
        r = runs[runs.direction == name]
        per_class = [np.array([x[c] for x in r.roc_auc_per_class if x[c] is not None], dtype=float) for c in "SVF"]
        fpr = ", ".join(_f(v) for v in r.normal_fpr) if "normal_fpr" in r and r.normal_fpr.notna().any() else "-"
        lines.append(f"| {name} | {r.roc_auc.mean():.3f} ± {r.roc_auc.std(ddof=1) if len(r) > 1 else 0:.3f} | "
                     + " | ".join(f"{a.mean():.3f}" if len(a) else "-" for a in per_class) + f" | {fpr} |")
    lines += ["", "EC57 ectopic-beat figures from the reason of each flag (`ecg_utils.metrics.ec57_ectopic`: a beat "
              "flagged with an unusual shape counts as VEB, one flagged only as premature as SVEB; fusion beats called "
              "VEB are not false positives, Q beats are left out), gross over the direction's records, mean ± std over "
              "seeds:", "", "| direction | VEB Se | VEB +P | SVEB Se | SVEB +P |", "|---|---|---|---|---|"]
    for name in list(directions(result.get("database", "mitdb")).values()) + ["every record"]:
        e = [r["ec57"] for r in result["runs"] if r["direction"] == name]
        cells = [np.array([x[k][f] for x in e if x[k][f] is not None], dtype=float)
                 for k in ("VEB", "SVEB") for f in ("se", "ppv")]
        lines.append(f"| {name} | " + " | ".join(
            f"{100 * c.mean():.1f} ± {100 * c.std(ddof=1) if len(c) > 1 else 0:.1f}" if len(c) else "-"
            for c in cells) + " |")
    lines += ["", "EC57 ectopic-beat figures from each flagged beat's **kind** (`ecg_utils.scan.kinds`: V, S, F or Q, from the "
              "beat's QRS against the patient's template, its P wave, its timing, its family and its second lead (a QRS "
              "that is the patient's in the second lead, on time, is not V or F; an early beat whose QRS differs "
              "there is V); a beat of a normal "
              "family at its expected time is N, not flagged; `ecg_utils.metrics.ec57_kinds`), as `bxb` reads the "
              "`.flag` file: gross and average (mean of the records' figures), mean ± std over seeds; normal beats "
              "flagged (any kind but N) and fusion beats flagged:", "",
              "| direction | VEB Se | VEB +P | SVEB Se | SVEB +P | VEB Se avg | VEB +P avg | SVEB Se avg | SVEB +P avg "
              "| normal flagged | F flagged |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in list(directions(result.get("database", "mitdb")).values()) + ["every record"]:
        e = [r["ec57_kinds"] for r in result["runs"] if r["direction"] == name and "ec57_kinds" in r]
        if not e:
            continue
        cells = [np.array([x[k][f] for x in e if x[k][f] is not None], dtype=float)
                 for f in ("se", "ppv", "se_average", "ppv_average") for k in ("VEB", "SVEB")]
        cells = [cells[0], cells[2], cells[1], cells[3], cells[4], cells[6], cells[5], cells[7]]
        extra = [np.array([x["N_flagged"] for x in e if x["N_flagged"] is not None], dtype=float),
                 np.array([x["F_flagged"]["rate"] for x in e if x["F_flagged"]["rate"] is not None], dtype=float)]
        lines.append(f"| {name} | " + " | ".join(
            f"{100 * c.mean():.1f} ± {100 * c.std(ddof=1) if len(c) > 1 else 0:.1f}" if len(c) else "-"
            for c in cells + extra) + " |")
    fams = kinds_per_record(result)
    if len(fams):
        many_f = fams[fams.n_F >= 50]
        lines += ["", "Families per record (mean over seeds): all of them, and those a reviewer opens to confirm every "
                  f"flag; median over records {fams.reviewed.median():.0f} to review (most: "
                  f"{fams.reviewed.max():.0f}, record {fams.reviewed.idxmax()}). Fusion beats flagged (any kind) on the "
                  "records with at least 50 of them: "
                  + (", ".join(f"{r} {100 * v.F_flagged:.0f}% of {v.n_F:.0f}" for r, v in many_f.iterrows()) or "none")
                  + ".", "", "| record | families | to review | normal flagged | V beats called V | S beats called S "
                  "| F beats flagged |", "|---|---|---|---|---|---|---|"]
        for r, v in fams.iterrows():
            lines.append(f"| {r} | {v.families:.0f} | {v.reviewed:.0f} | {_pct(v.N_flagged)} | {_pct(v.V_se)} | "
                         f"{_pct(v.S_se)} | {_pct(v.F_flagged)} |")
    lines += ["", "A threshold that holds on new patients: the normal false-positive rate asked for (the threshold is that "
              "quantile of the validation normals' scores, `threshold_rule=\"fpr\"`) beside the rate achieved on the "
              "unseen patients, gross and per record (median and worst record), mean over seeds [range over seeds]:",
              "", "| direction | asked | achieved, gross | per record, median | per record, worst |", "|---|---|---|---|---|"]
    for name in directions(result.get("database", "mitdb")).values():
        cal = [r["calibration"] for r in result["runs"] if r["direction"] == name and "calibration" in r]
        for i, rate in enumerate(NOMINAL_FPR):
            got = {k: np.array([c[i][k] for c in cal]) for k in ("achieved", "record_median", "record_max")}
            lines.append(f"| {name} | {100 * rate:.0f}% | " + " | ".join(
                f"{100 * v.mean():.1f}% [{100 * v.min():.1f}-{100 * v.max():.1f}]" for v in got.values()) + " |")
    rhythm = result.get("rhythm") or {}
    if rhythm:
        lines += ["", "Irregular rhythm found without labels (`ecg_utils.signal.rhythm.irregular_stretches`: stretches of at least "
                  f"{MIN_EPISODE_S:.0f} s) against the `{'`/`'.join(IRREGULAR_RHYTHMS)}` episodes of the rhythm "
                  "annotations; the same for every seed (no model involved). Duration figures over all annotated time; "
                  f"episode figures over episodes of at least {MIN_EPISODE_S:.0f} s, one counted found when the stretches "
                  "cover half of it (and a stretch true when episodes cover half of it). The threshold was chosen on DS1's "
                  "records, so the DS2 rows are the unseen ones:", "",
                  "| records | duration Se | duration +P | episode Se | episode +P |", "|---|---|---|---|---|"]
        for name, r in rhythm.items():
            d, e = r["duration"], r["episodes"]
            lines.append(f"| {name.split(' -> ')[1]} | {_pct(d['duration_se'])} | {_pct(d['duration_ppv'])} | "
                         f"{_pct(e['episode_se'])} ({e['found']}/{e['reference_episodes']}) | "
                         f"{_pct(e['episode_ppv'])} ({e['true_stretches']}/{e['detected_stretches']}) |")
        lines += ["", "| record | annotated irregular (s) | found (s) | duration Se | duration +P |", "|---|---|---|---|---|"]
        for r in sorted((x for v in rhythm.values() for x in v["records"]), key=lambda x: x["record"]):
            lines.append(f"| {r['record']} | {r['reference_s']:.0f} | {r['detected_s']:.0f} | {_pct(r['duration_se'])} | "
                         f"{_pct(r['duration_ppv'])} |")
    reliable = table[table.reliable]
    below = reliable[reliable.roc_auc < TARGET_AUC]
    high_fpr = table[table.normal_fpr > TARGET_FPR]
    lines += ["", f"Records with at least 20 abnormal beats: {len(reliable)}; ROC AUC below {TARGET_AUC}: "
              f"{len(below)} ({', '.join(below.record) or 'none'}). Records whose mean normal FPR at the threshold is "
              f"above {TARGET_FPR:.0%}: {len(high_fpr)} of {len(table)} ({', '.join(high_fpr.record) or 'none'}).",
              "", "Per record, worst ROC AUC first (mean over seeds; `min` = the worst seed; recall = share flagged at "
              "the threshold):", "",
              "| record | tested in | beats | abnormal (S/V/F) | ROC AUC | min | normal FPR | max | recall S | recall V | recall F |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r.record}{'' if r.reliable else ' *'} | {r.direction.split(' -> ')[1]} | {r.beats} | "
                     f"{r.abnormal} ({r.n_S}/{r.n_V}/{r.n_F}) | {_f(r.roc_auc)} | {_f(r.roc_auc_min)} | "
                     f"{_f(r.normal_fpr)} | {_f(r.normal_fpr_max)} | {_f(r.recall_S, 2)} | {_f(r.recall_V, 2)} | "
                     f"{_f(r.recall_F, 2)} |")
    lines += ["", "\\* fewer than 20 abnormal beats: its AUC says little.", "", "![one point per record](records.png)"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from ecg_utils.experiments import figures
    from ecg_utils.io.records import find_data_dir

    argv = sys.argv[1:] if argv is None else argv
    p = training_parser("python -m bench.records", __doc__, seeds=3)
    p.add_argument("--preset", default="recommended")
    p.add_argument("--normalize", choices=["none", "recording"],
                   help="override the preset's calibration (written as records-normalize-<value>.*)")
    p.add_argument("--database", default="mitdb", choices=["mitdb", "svdb"],
                   help="whose records (written as records-<database>.* for another than mitdb)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = {"command": "python -m bench.records" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "config": {"seeds": args.seeds, "epochs": args.epochs},
              **run(find_data_dir(args.data_dir, kind=args.database), args.seeds, args.epochs, args.preset,
                    args.normalize, args.database)}
    result["wall_seconds"] = time.perf_counter() - t0
    out = Path(args.out)
    table = per_record_table(result)
    fig = figures.plot_per_record(table, target_auc=TARGET_AUC, target_fpr=TARGET_FPR,
                                title="One point per record (tested by a model that never saw that patient)")
    name = ("records" + (f"-{args.database}" if args.database != "mitdb" else "")
            + (f"-normalize-{args.normalize}" if args.normalize else ""))
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{name}.png.tmp.png"
    fig.savefig(tmp, dpi=110)
    tmp.replace(out / f"{name}.png")
    write_results(out, name, result, markdown(result).replace("(records.png)", f"({name}.png)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
