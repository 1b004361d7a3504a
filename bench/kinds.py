"""What chose the constants of the beat kinds and families: a check on the DS1 records only.

    python -m bench.kinds            # about 3 min on 2 cores

DS1's 22 records are split in two halves by record (seeded); for each half, the recommended preset is trained on the
normal beats of 6 records of the other half (6 epochs) and learns its threshold on the normal beats of the other 5,
then flags the half's beats (cut at the reference annotations). The flags are given their kinds and families
(:func:`ecg_utils.scan.kinds.classify`, with the same beats cut from each record's second lead, as a scan reads it;
also reported without it) and read as EC57 reads an annotation file (:func:`ecg_utils.metrics.ec57_kinds`):
VEB and SVEB sensitivity and positive predictivity, gross; normal beats flagged; fusion beats flagged (record 208
holds 372 of DS1's 414); families per record and how many a reviewer opens (those holding a flagged beat). Then one
constant at a time is moved to a lower and a higher value (the kinds read again; the same flags), and the families
are made another way (with the autoencoder's latent vector): the table says what each choice buys. DS2 and the SVDB
records are never read. Writes ``kinds.json`` and ``kinds.md`` into ``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import datetime
import shlex
import sys
import time

import numpy as np

from bench.common import environment, training_parser, write_results

#: (module, constant, values tried beside the chosen one)
CONSTANTS = (
    ("kinds", "NORMAL_QRS_CORR", (0.8, 0.9)),
    ("kinds", "NORMAL_QRS_DEV", (0.4, 0.6)),
    ("kinds", "P_WAVE_CORR", (0.6, 0.8)),
    ("kinds", "VENTRICULAR_PREMATURITY", (0.88, 0.95)),
    ("kinds", "VENTRICULAR_QRS_DEV", (0.8, 1.2)),
    ("kinds", "FUSION_FIT", (0.8, 0.9)),
    ("kinds", "FUSION_GAIN", (0.0, 0.1)),
    ("kinds", "FUSION_PARTNER", (3, 30)),
    ("kinds", "FUSION_SHIFT_S", (0.0, 0.032)),
    ("kinds", "FUSION_FLAGGED", (0.0, 0.3, 0.7)),
    ("kinds", "SECOND_LEAD_SHARE", (0.3, 0.7)),
    ("rhythm", "EARLY_RATIO", (0.85, 0.88)),
    ("rhythm", "ABRUPT_RATIO", (0.85, 0.95)),
    ("rhythm", "RUN_LIMIT", (60, 240)),
    ("families", "SUBCLUSTER_RADIUS", (1.0, 2.0)),
    ("families", "FAMILY_DISTANCE", (3.0, 6.0)),
)


def flags(data_dir, epochs, seed=0):
    """DS1's beats, each half flagged by a detector trained on the other: (beats, flagged, latent, thresholds)."""
    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.detect.presets import get_preset
    from ecg_utils.io.databases.mitdb import DS1
    from ecg_utils.signal.build import build_beats

    p = get_preset("recommended")
    beats = build_beats("mitdb", data_dir, records=list(DS1), verbose=False, **p["data"])
    names = np.array(beats.records())
    np.random.default_rng(seed).shuffle(names)
    halves = [names[:len(names) // 2], names[len(names) // 2:]]
    flagged, latent, runs = np.zeros(len(beats), bool), np.zeros((len(beats), p["detector"]["latent_dim"])), []
    for i, test in enumerate(halves):
        other = halves[1 - i]
        train = beats[np.isin(beats.record, other[:6]) & beats.is_normal]
        validation = beats[np.isin(beats.record, other[6:]) & beats.is_normal]
        det = AutoencoderDetector(**{**p["detector"], "seed": seed, "epochs": epochs}).fit(train, validation)
        mine = np.isin(beats.record, test)
        flagged[mine] = det.decision_function(beats[mine]) > det.threshold_
        latent[mine] = det.encode(beats[mine])
        runs.append({"test": sorted(test.tolist()), "train": sorted(other[:6].tolist()),
                     "validation": sorted(other[6:].tolist()), "threshold": det.threshold_})
    return beats, flagged, latent, runs


def measure(beats, kind, families) -> dict:
    from ecg_utils.metrics import ec57_kinds

    m = ec57_kinds(beats.y, kind, beats.record)
    reviewed = families[families.flagged > 0]
    return {"VEB": m["VEB"], "SVEB": m["SVEB"], "N_flagged": m["N_flagged"], "F_flagged": m["F_flagged"],
            "families": int(len(families)), "families_reviewed": int(len(reviewed)),
            "reviewed_per_record_max": int(reviewed.groupby("record").size().max()) if len(reviewed) else 0}


def run(data_dir, epochs) -> dict:
    from ecg_utils.metrics import ec57_kinds
    from ecg_utils.scan import families as families_module
    from ecg_utils.scan import kinds
    from ecg_utils.signal import rhythm
    from ecg_utils.signal.build import second_lead_beats

    beats, flagged, latent, runs = flags(data_dir, epochs)
    out = {"runs": runs, "score_alone": ec57_kinds(beats.y, np.where(flagged, "Q", "N"), beats.record)}
    evidence = kinds.beat_evidence(beats, second=second_lead_beats(beats))  # as a scan reads it
    one_lead = evidence.assign(second_qrs_corr=np.nan, second_qrs_dev=np.nan, second_normal=False)  # the same families
    s, t = kinds.describe_families(beats, one_lead)
    out["one_lead"] = measure(beats, *kinds.assign_kinds(beats, one_lead, s, t, flagged))
    stats, typical = kinds.describe_families(beats, evidence)
    kind, fam = kinds.assign_kinds(beats, evidence, stats, typical, flagged)
    out["chosen"] = measure(beats, kind, fam)
    out["per_record"] = {r: {"kinds": {k: int((kind[beats.record == r] == k).sum()) for k in kinds.KINDS},
                             "families": int((fam.record == r).sum()),
                             "reviewed": int(((fam.record == r) & (fam.flagged > 0)).sum())}
                         for r in beats.records()}
    rows = []
    for module_name, name, values in CONSTANTS:
        module = {"kinds": kinds, "rhythm": rhythm, "families": families_module}[module_name]
        chosen = getattr(module, name)
        for value in values:
            setattr(module, name, value)
            if name == "EARLY_RATIO":  # the kinds' P-wave rule reads it too
                kinds.EARLY_RATIO = value
            try:
                if module is rhythm:  # the timing evidence changes: read it again (families stay)
                    e = evidence.copy()
                    e["expected_rr_s"], e["early"] = rhythm.early_beats(
                        beats, kinds.normal_shaped(e), early=rhythm.EARLY_RATIO, abrupt=rhythm.ABRUPT_RATIO,
                        run_limit=rhythm.RUN_LIMIT)
                    s, t = kinds.describe_families(beats, e)
                    k, f = kinds.assign_kinds(beats, e, s, t, flagged)
                elif module is families_module:  # the families change: made again (the timing stays)
                    e = evidence.copy()
                    e["family"] = families_module.find_families(beats, radius=families_module.SUBCLUSTER_RADIUS,
                                                                distance=families_module.FAMILY_DISTANCE)
                    s, t = kinds.describe_families(beats, e)
                    k, f = kinds.assign_kinds(beats, e, s, t, flagged)
                else:
                    k, f = kinds.assign_kinds(beats, evidence, stats, typical, flagged)
            finally:
                setattr(module, name, chosen)
                kinds.EARLY_RATIO = rhythm.EARLY_RATIO
            rows.append({"constant": name, "chosen": chosen, "value": value, **measure(beats, k, f)})
            print(f"{name} = {value} (chosen {chosen}) done", flush=True)
    out["constants"] = rows
    made = {}
    for label, features in (("deviation + latent", latent), ("latent alone", None)):
        e = evidence.copy()
        if features is not None:
            e["family"] = families_module.find_families(beats, features)
        else:  # the latent vector alone, in its own units (a tenth of the deviation's radius and distance)
            e["family"] = 0
            for r in beats.records():
                idx = np.flatnonzero(beats.record == r)
                e.loc[idx, "family"] = families_module.cluster(latent[idx], radius=0.5, distance=2.0)
        s, t = kinds.describe_families(beats, e)
        k, f = kinds.assign_kinds(beats, e, s, t, flagged)
        made[label] = measure(beats, k, f)
    out["families_made_from"] = made
    return out


def _pct(x):
    return "-" if x is None else f"{100 * x:.1f}"


def _row(label, m) -> str:
    f208 = m["F_flagged"].get("records", {}).get("208")
    f = f"{100 * f208['flagged'] / f208['n']:.1f}" if f208 and f208["n"] else "-"
    return (f"| {label} | {_pct(m['VEB']['se'])} | {_pct(m['VEB']['ppv'])} | {_pct(m['SVEB']['se'])} | "
            f"{_pct(m['SVEB']['ppv'])} | {_pct(m['N_flagged'])} | {f} | {m.get('families', '-')} | "
            f"{m.get('families_reviewed', '-')} |")


def markdown(result) -> str:
    head = ["| | VEB Se | VEB +P | SVEB Se | SVEB +P | normal flagged % | 208's F flagged % | families | "
            "families to review |", "|---|---|---|---|---|---|---|---|---|"]
    lines = ["# Beat kinds and families: what chose the constants (DS1 only)", "",
             f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds'] / 60:.1f} min, "
             f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores. DS1's records in two "
             "halves; each half flagged by the recommended preset trained on the other half's normal beats "
             f"({result['config']['epochs']} epochs); EC57 gross figures (%), from the kinds "
             "(`ecg_utils.metrics.ec57_kinds`).", "", *head,
             _row("every flag Q (the score alone: no kinds)", result["score_alone"]),
             *([_row("kinds, the first lead only (no second lead read)", result["one_lead"])]
               if "one_lead" in result else []),
             _row("**kinds, chosen constants**", result["chosen"])]
    for r in result["constants"]:
        lines.append(_row(f"{r['constant']} = {r['value']} (chosen {r['chosen']})", r))
    lines += ["", "Families made from another description of the beats (the chosen: the beat - template over the QRS and ST "
              "onset):", "", *head]
    lines.append(_row("beat - template (chosen)", result["chosen"]))
    for label, m in result["families_made_from"].items():
        lines.append(_row(label, m))
    lines += ["", "Per record: beats of each kind, families, families a reviewer opens to confirm every flag:", "",
              "| record | N | S | V | F | Q | families | to review |", "|---|---|---|---|---|---|---|---|"]
    for r, v in result["per_record"].items():
        lines.append(f"| {r} | " + " | ".join(str(v["kinds"][k]) for k in ("N", "S", "V", "F", "Q"))
                     + f" | {v['families']} | {v['reviewed']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from ecg_utils.io.records import find_data_dir

    argv = sys.argv[1:] if argv is None else argv
    p = training_parser("python -m bench.kinds", __doc__, seeds=1)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = {"command": "python -m bench.kinds" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "config": {"epochs": args.epochs}, **run(find_data_dir(args.data_dir), args.epochs)}
    result["wall_seconds"] = time.perf_counter() - t0
    write_results(args.out, "kinds", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
