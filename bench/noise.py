"""The EC57 noise stress test: the shipped detector's scan of records with real noise added after their first 5 minutes.

    python -m bench.noise                            # 3 kinds x 6 SNRs, DS1 + DS2 + SVDB (136 min on 2 busy cores)
    python -m bench.noise --snrs 24 12 0             # fewer SNRs (about half the time)

The time goes into the R-peak detection of the noisy scans: where its two fast detectors disagree the hybrid has
gqrs (pure Python) re-read the signal, and in noise they disagree almost everywhere (about 10 s a noisy 30-min scan
at 360 Hz, against 2-4 s clean).
    python -m bench.noise --records 119 800 --kinds em

Protocol (ANSI/AAMI EC57, WFDB ``nst``; :mod:`ecg_utils.signal.noise_stress`): for each record, each noise record of the
MIT-BIH Noise Stress Test Database (``bw`` baseline wander, ``ma`` muscle artefact, ``em`` electrode motion) and
each SNR, the noise's first channel is added to the lead the scan reads (MLII; the first lead, ECG1, of the SVDB
records, the 360 Hz noise resampled to their 128 Hz) and its second channel to the record's second lead (which the
scan reads to confirm beats: :mod:`ecg_utils.signal.artefact`; ``--leads 1`` leaves it out; ``--clean-second-lead``
leaves it clean: one electrode moving, not the whole recorder) from 5 minutes on, each
scaled to the SNR of its own lead ((median QRS peak-to-peak)² / 8 over the mean 1-s variance of the noise), as
WFDB's ``nst`` does, and the noisy record is scanned with the shipped detector (:func:`ecg_utils.scan.scan`); the
clean record is scanned once as the reference. Nothing is tuned here:
the benchmark measures. Figures, summed over the records of each group (gross), separately for DS1 (where choices
get made), DS2 and the SVDB records:

- QRS Se and +P in the noisy part (EC57 one-to-one matching, 150 ms; detections in ventricular flutter /
  fibrillation not counted false), over every detection and over the readable signal only (reference beats and
  detections inside the stretches the scan marks unreadable left out);
- ventricular beats (V, E) in the noisy part found, and flagged;
- normal beats (class N) flagged, as a share of those the scan scored, in the noisy part and in the clean first 5
  minutes of the same noisy scan;
- false beats (detections matching no reference beat) in the noisy part: how many, how many flagged, how many
  marked unreadable;
- seconds marked unreadable in the noisy part and in the clean part;
- the clean first 5 minutes of the noisy scan against the same minutes of the clean scan: beats flagged, the ROC
  AUC of abnormal (S, V, F, Q) vs normal reference beats there (pooled over the records), and the median ratio of
  a beat's score in the noisy scan to its score in the clean scan. Noise later in a recording should not move
  the scores of its clean minutes; the per-recording calibration (the median reconstruction error over every
  beat scored) does move them.

Settings: the MIT-BIH folder ``$ECG_DATA_DIR`` (or ``--data-dir``); the noise records ``$ECG_NSTDB_DIR``, else
``nstdb-noise`` beside the MIT-BIH folder; the SVDB records ``$ECG_SVDB_DIR``, else ``svdb`` beside it. Writes
``noise.json`` (every number per record, kind and SNR, the environment, the command) and ``noise.md`` into
``--out`` (default ``bench/results``).
"""
from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_OUT, environment, write_results

VENTRICULAR = ("V", "E")
VF_EPISODES = ("(VF",)  # "(VFL" (flutter) and "(VF" (fibrillation): EC57 leaves them out of the false detections
TOLERANCE_S = 0.15
DATABASES = ("mitdb", "svdb")
GROUPS = ("DS1", "DS2", "SVDB", "other MIT-BIH")
#: The sums kept per scan (all counts, so that records add up); see :func:`measure`.
COUNTS = ("ref", "tp", "fn", "fp", "ref_readable", "tp_readable", "fn_readable", "fp_readable", "v", "v_found",
          "v_flagged", "normal", "normal_scored", "normal_flagged", "normal_clean", "normal_scored_clean",
          "normal_flagged_clean", "false_beats", "false_flagged", "false_unreadable", "flagged_clean",
          "unreadable_s", "unreadable_s_clean", "noisy_s", "clean_s")




def group_of(database, record) -> str:
    """DS1, DS2, SVDB, or "other MIT-BIH" (the paced records, which neither DS1 nor DS2 holds)."""
    from ecg_utils.io.databases.mitdb import DS1, DS2

    if database == "svdb":
        return "SVDB"
    return "DS1" if record in DS1 else "DS2" if record in DS2 else "other MIT-BIH"


# -- one scan, measured ----------------------------------------------------------------------------
def measure(beats, stretches, ref, classes, symbols, fs, n, clean_n, vf=()) -> dict:
    """The counts of one scan (its ``beats`` table and unreadable ``stretches``) against the reference beats.

    The noisy part is ``[clean_n, n)``, the clean part ``[0, clean_n)``; ``ref``, ``classes`` and ``symbols`` are
    the reference beats' samples, AAMI classes and symbols; ``vf`` the (start, end) ranges of ventricular flutter /
    fibrillation, where a detection is not counted as false.

    Returns
    -------
    counts : dict
        The :data:`COUNTS` (beats and seconds) and ``auc_clean``, the record's ROC AUC in the clean part.
    part : dict
        Of the clean part's scored detections: ``y`` and ``score`` of those matching a reference beat (its AAMI
        class), for the pooled ROC AUC; ``samples`` and ``scores`` of all of them, for the score ratio.
    """
    from ecg_utils.signal.matching import match_beats
    from ecg_utils.signal.quality import unreadable_mask

    tol = int(round(TOLERANCE_S * fs))
    det = beats["sample"].to_numpy(np.int64)
    readable = beats["readable"].to_numpy(bool)
    flagged = beats["flagged"].to_numpy(bool)
    score = beats["score"].to_numpy(np.float64)
    scored = np.isfinite(score)
    mask = unreadable_mask(stretches, n)
    counted = np.ones(len(det), dtype=bool)  # false detections counted (not in ventricular flutter/fibrillation)
    for a, b in vf:
        counted &= ~((det >= a) & (det < b))
    noisy_ref, noisy_det = ref >= clean_n, det >= clean_n

    ref_match, matched = match_beats(det, ref, tol)
    found = ref_match >= 0
    y = np.full(len(det), -1, dtype=np.int64)
    y[ref_match[found]] = classes[found]
    det_flagged_of_ref = np.zeros(len(ref), dtype=bool)
    det_flagged_of_ref[found] = flagged[ref_match[found]]

    ref_ok = ~mask[ref] if len(ref) else np.zeros(0, dtype=bool)
    ref_ok[found] &= readable[ref_match[found]]  # a beat found but marked unreadable is not read either
    idx_r = np.flatnonzero(readable)
    ref_match_r, matched_r = match_beats(det[idx_r], ref[ref_ok], tol)
    in_noisy_r = ref[ref_ok] >= clean_n
    det_r_noisy = noisy_det[idx_r] & counted[idx_r]

    v = noisy_ref & np.isin(symbols, VENTRICULAR)
    normal_det = y == 0
    false = ~matched & counted & noisy_det
    clean_det = ~noisy_det
    out = {
        "ref": int(noisy_ref.sum()), "tp": int((found & noisy_ref).sum()), "fn": int((~found & noisy_ref).sum()),
        "fp": int(false.sum()),
        "ref_readable": int(in_noisy_r.sum()), "tp_readable": int(((ref_match_r >= 0) & in_noisy_r).sum()),
        "fn_readable": int(((ref_match_r < 0) & in_noisy_r).sum()),
        "fp_readable": int((~matched_r & det_r_noisy).sum()),
        "v": int(v.sum()), "v_found": int((v & found).sum()), "v_flagged": int((v & det_flagged_of_ref).sum()),
        "normal": int((noisy_ref & (classes == 0)).sum()),
        "normal_scored": int((normal_det & scored & noisy_det).sum()),
        "normal_flagged": int((normal_det & flagged & noisy_det).sum()),
        "normal_clean": int((~noisy_ref & (classes == 0)).sum()),
        "normal_scored_clean": int((normal_det & scored & clean_det).sum()),
        "normal_flagged_clean": int((normal_det & flagged & clean_det).sum()),
        "false_beats": int(false.sum()), "false_flagged": int((false & flagged).sum()),
        "false_unreadable": int((false & ~readable).sum()), "flagged_clean": int((flagged & clean_det).sum()),
        "unreadable_s": float(mask[clean_n:].sum() / fs), "unreadable_s_clean": float(mask[:clean_n].sum() / fs),
        "noisy_s": float((n - clean_n) / fs), "clean_s": float(clean_n / fs),
    }
    keep = clean_det & scored & (y >= 0)
    out["auc_clean"] = _auc(y[keep], score[keep])
    part = clean_det & scored
    return out, {"y": y[keep], "score": score[keep], "samples": det[part], "scores": score[part]}


def _auc(y, score):
    """ROC AUC of abnormal (class != 0) vs normal; None when one side is absent."""
    from sklearn.metrics import roc_auc_score

    abnormal = y != 0
    return float(roc_auc_score(abnormal, score)) if 0 < abnormal.sum() < len(y) else None


def _score_ratio(clean_part, reference_part):
    """Median of score(noisy scan) / score(clean scan) over the clean part's beats scored at the same sample in
    both scans; None when none is."""
    _, a, b = np.intersect1d(clean_part["samples"], reference_part["samples"], return_indices=True)
    ok = reference_part["scores"][b] > 0
    if not ok.any():
        return None
    return float(np.median(clean_part["scores"][a][ok] / reference_part["scores"][b][ok]))


# -- one record: every kind and SNR ----------------------------------------------------------------
_DETECTOR = None  # loaded once per worker process
_NOISE = {}


def stress_record(job) -> dict:
    """Scan one record clean, then with each kind of noise at each SNR; the counts of every scan.

    Returns a JSON-ready dict, plus ``_pooled`` (the clean part's labelled scores per scan, for the pooled AUC),
    which the parent drops before writing.
    """
    global _DETECTOR
    from ecg_utils.detect.pretrained import load_detector
    from ecg_utils.errors import DataError
    from ecg_utils.io.databases.mitdb import AAMI_CLASSES
    from ecg_utils.io.other_lead import read_other_lead
    from ecg_utils.io.recording import Recording, read_recording
    from ecg_utils.io.records import read_record
    from ecg_utils.scan.stages import scan
    from ecg_utils.signal.noise_stress import add_noise, read_noise, signal_power

    t0 = time.perf_counter()
    if _DETECTOR is None:
        _DETECTOR = load_detector(None)[0]
    rec = read_record(job["folder"], job["record"], lead="MLII", fallback=True)
    ref, classes = rec.beats()
    symbols = rec.ann_symbol[np.isin(rec.ann_symbol, list(AAMI_CLASSES))]  # as rec.beats() keeps them
    n, fs = len(rec.signal), rec.fs
    clean_n = int(round(job["clean_s"] * fs))
    vf = rec.rhythm_episodes(VF_EPISODES)
    path = str(Path(job["folder"]) / f"{rec.name}.hea")
    second = read_other_lead(read_recording(path, lead=rec.lead)) if job.get("leads", 2) == 2 else None

    def run(signal, other_signal=None):
        other = (Recording(other_signal, fs, second.lead, rec.name, path, "wfdb", "mV") if second is not None
                 else False)
        try:
            result = scan(Recording(signal, fs, rec.lead, rec.name, path, "wfdb", "mV"), _DETECTOR, other=other)
        except DataError as exc:  # e.g. too few readable beats: reported, not fatal
            return {"error": str(exc)}, None
        return measure(result.table, result.stretches, ref, classes, symbols, fs, n, clean_n, vf)

    clean, clean_part = run(rec.signal, second.signal if second is not None else None)
    out = {"record": job["record"], "database": job["database"], "group": group_of(job["database"], job["record"]),
           "lead": rec.lead, "fs": fs, "minutes": n / fs / 60, "signal_power_mv2": signal_power(rec.signal, fs, ref),
           "clean": clean, "runs": {}, "_pooled": {"clean": clean_part}}
    for kind in job["kinds"]:
        if kind not in _NOISE:
            _NOISE[kind] = read_noise(kind, job["noise_dir"])
        noise, noise_fs = _NOISE[kind]
        for snr in job["snrs"]:
            noisy = add_noise(rec.signal, fs, ref, noise, noise_fs, snr, clean_s=job["clean_s"], channel=0)
            # the second lead gets the noise record's other channel at the same SNR, as WFDB's nst does
            noisy_other = (None if second is None else second.signal if not job.get("second_noise", True) else
                           add_noise(second.signal, fs, ref, noise, noise_fs, snr, clean_s=job["clean_s"], channel=1))
            counts, part = run(noisy, noisy_other)
            if part is not None and clean_part is not None:
                counts["score_ratio_clean"] = _score_ratio(part, clean_part)
            out["runs"].setdefault(kind, {})[str(snr)] = counts
            out["_pooled"][f"{kind} {snr}"] = part
    out["seconds"] = time.perf_counter() - t0
    return out


# -- the parent: records, jobs, sums -------------------------------------------------------------
def resolve(database, records, data_dir=None) -> tuple:
    """The jobs' (database, folder, record) triples and the DS1/DS2 records absent from the MIT-BIH folder.

    By default every record of DS1 and DS2 present and every SVDB record; named records go to the MIT-BIH folder
    when they are MIT-BIH names, else to the SVDB folder.

    Raises
    ------
    DataError
        For a named record whose files are missing (naming them), or one outside ``--database``.
    """
    from ecg_utils.errors import DataError
    from ecg_utils.io.databases.mitdb import DS1, DS2, MITDB_RECORDS
    from ecg_utils.io.records import find_data_dir, records_in, resolve_records

    wanted = DATABASES if database == "both" else (database,)
    folders = {}

    def folder(db):
        if db not in folders:
            folders[db] = (find_data_dir(data_dir) if db == "mitdb" else   # SVDB: its setting, or beside --data-dir
                           find_data_dir(Path(data_dir).parent / "svdb" if data_dir else None, kind="svdb"))
        return folders[db]

    if records:
        by_db = {db: [r for r in dict.fromkeys(records) if (r in MITDB_RECORDS) == (db == "mitdb")]
                 for db in DATABASES}
        outside = [r for db in DATABASES if db not in wanted for r in by_db[db]]
        if outside:
            raise DataError(f"records {' '.join(outside)} are not in --database {database}")
        jobs = [(db, folder(db), r) for db in wanted if by_db[db] for r in resolve_records(folder(db), by_db[db])]
        return jobs, []
    jobs, absent = [], []
    if "mitdb" in wanted:
        present = set(records_in(folder("mitdb")))
        jobs += [("mitdb", folder("mitdb"), r) for r in list(DS1) + list(DS2) if r in present]
        absent = [r for r in list(DS1) + list(DS2) if r not in present]
    if "svdb" in wanted:
        jobs += [("svdb", folder("svdb"), r) for r in resolve_records(folder("svdb"))]
    return jobs, absent


def _rate(k, n):
    return k / n if n else None


def summarize(rows, pooled, clean_pooled) -> dict:
    """Gross figures of a list of per-record counts (one kind and SNR, or the clean scans)."""
    ok = [r for r in rows if "error" not in r]
    s = {k: sum(r[k] for r in ok) for k in COUNTS}
    ratios = [r["score_ratio_clean"] for r in ok if r.get("score_ratio_clean") is not None]
    auc = _auc(np.concatenate([p["y"] for p in pooled]), np.concatenate([p["score"] for p in pooled])) \
        if pooled else None
    auc_ref = _auc(np.concatenate([p["y"] for p in clean_pooled]), np.concatenate([p["score"] for p in clean_pooled])) \
        if clean_pooled else None
    return {"records": len(ok), "failed": [r.get("record") for r in rows if "error" in r], **s,
            "se": _rate(s["tp"], s["tp"] + s["fn"]), "ppv": _rate(s["tp"], s["tp"] + s["fp"]),
            "se_readable": _rate(s["tp_readable"], s["tp_readable"] + s["fn_readable"]),
            "ppv_readable": _rate(s["tp_readable"], s["tp_readable"] + s["fp_readable"]),
            "v_found_share": _rate(s["v_found"], s["v"]), "v_flagged_share": _rate(s["v_flagged"], s["v"]),
            "normal_flagged_share": _rate(s["normal_flagged"], s["normal_scored"]),
            "normal_flagged_share_clean": _rate(s["normal_flagged_clean"], s["normal_scored_clean"]),
            "unreadable_share": _rate(s["unreadable_s"], s["noisy_s"]),
            "auc_clean_part": auc, "auc_clean_part_clean_scan": auc_ref,
            "score_ratio_clean_median": float(np.median(ratios)) if ratios else None}


def aggregate(results, kinds, snrs) -> dict:
    """Per group (DS1, DS2, SVDB, ...): the clean scans and every kind x SNR, summed over the group's records."""
    out = {}
    for group in GROUPS:
        mine = [r for r in results if r["group"] == group]
        if not mine:
            continue
        clean_pooled = [r["_pooled"]["clean"] for r in mine if r["_pooled"]["clean"] is not None]
        entry = {"records": [r["record"] for r in mine],
                 "clean": summarize([{**r["clean"], "record": r["record"]} for r in mine], clean_pooled,
                                    clean_pooled)}
        for kind in kinds:
            for snr in snrs:
                rows = [{**r["runs"][kind][str(snr)], "record": r["record"]} for r in mine]
                pooled = [p for r in mine if (p := r["_pooled"][f"{kind} {snr}"]) is not None]
                entry.setdefault(kind, {})[str(snr)] = summarize(rows, pooled, clean_pooled)
        out[group] = entry
    return out


def top_false(results, group, kind, snr, k=5) -> list:
    """The ``k`` records of ``group`` with the most false beats at ``kind`` and ``snr``: (record, false beats)."""
    rows = [(r["record"], r["runs"][kind][str(snr)].get("false_beats", 0)) for r in results if r["group"] == group]
    return sorted(rows, key=lambda x: -x[1])[:k]


def run(jobs, kinds, snrs, clean_s, noise_dir, workers=2, leads=2, second_noise=True) -> dict:
    """Every record's scans on ``workers`` processes (each loads the detector once); one line per record done.
    ``leads=2``: the record's second lead takes part (with the noise record's other channel added to it, unless
    ``second_noise`` is False: then it stays clean)."""
    t0 = time.perf_counter()
    specs = [{"database": db, "folder": str(folder), "record": r, "kinds": list(kinds), "snrs": list(snrs),
              "clean_s": clean_s, "noise_dir": str(noise_dir), "leads": leads, "second_noise": second_noise}
             for db, folder, r in jobs]
    results = []
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(stress_record, spec): spec for spec in specs}
        for done, fut in enumerate(as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            last = r["runs"][kinds[-1]][str(snrs[-1])]
            what = (f"{kinds[-1]} {snrs[-1]} dB: Se {_pct(_rate(last['tp'], last['tp'] + last['fn']))}, "
                    f"+P {_pct(_rate(last['tp'], last['tp'] + last['fp']))}, {last['false_beats']} false beats"
                    if "error" not in last else f"{kinds[-1]} {snrs[-1]} dB: {last['error']}")
            print(f"[{done}/{len(specs)}] {r['record']} ({r['group']}): {1 + len(kinds) * len(snrs)} scans in "
                  f"{r['seconds']:.0f} s; {what} [{(time.perf_counter() - t0) / 60:.1f} min]", flush=True)
    order = {(db, r): i for i, (db, _, r) in enumerate(jobs)}
    results.sort(key=lambda r: order[(r["database"], r["record"])])
    groups = aggregate(results, kinds, snrs)
    for r in results:
        r.pop("_pooled")
    return {"groups": groups, "per_record": results, "wall_seconds": time.perf_counter() - t0}


# -- the report ------------------------------------------------------------------------------------
def _pct(x, digits=1):
    return "-" if x is None else f"{100 * x:.{digits}f}"


def _f(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


def _row(label, snr, g, clean) -> str:
    return (f"| {label} | {snr} | {_pct(g['se'])} | {_pct(g['ppv'])} | {_pct(g['se_readable'])} | "
            f"{_pct(g['ppv_readable'])} | {_pct(g['v_found_share'])} / {_pct(g['v_flagged_share'])} | "
            f"{_pct(g['normal_flagged_share'])} / {_pct(g['normal_flagged_share_clean'])} | {g['false_beats']} | "
            f"{g['false_flagged']} | {g['false_unreadable']} | {g['unreadable_s']:.0f} ({_pct(g['unreadable_share'])}) "
            f"/ {g['unreadable_s_clean']:.0f} | {g['flagged_clean']} / {clean['flagged_clean']} | "
            f"{_f(g['auc_clean_part'])} / {_f(g['auc_clean_part_clean_scan'])} | "
            f"{_f(g['score_ratio_clean_median'], 2)} |")


def markdown(result) -> str:
    cfg = result["config"]
    lines = [
        "# EC57 noise stress test: the shipped detector's scan with real noise added",
        "",
        f"Regenerate with `{result['command']}`. Run {result['date']}, {result['wall_seconds'] / 60:.1f} min wall, "
        f"{result['environment']['cpu']}, {result['environment']['cpus_usable']} cores, {cfg['workers']} workers. "
        f"Noise from {cfg['noise_dir']} (channel 0 on the lead scanned"
        + (", one lead only" if cfg.get("leads", 1) != 2 else ", the second lead, which confirms beats, left clean"
           if not cfg.get("second_noise", True) else ", channel 1 on the second lead, which confirms beats")
        + f"), added from {cfg['clean_s']:g} s on "
        "(`ecg_utils.signal.noise_stress.add_noise`: SNR = 10 log10(((median QRS peak-to-peak)² / 8) / mean 1-s variance "
        "of the noise)); the SVDB records are at 128 Hz, lead ECG1, the noise resampled (polyphase)."
        + (f" DS1/DS2 records absent from the MIT-BIH folder: {' '.join(result['absent'])}."
           if result["absent"] else ""),
        "",
        "Columns, summed over the group's records (gross): EC57 QRS Se and +P in the noisy part (150 ms; "
        "\"readable\": reference beats and detections inside the stretches the scan marks unreadable left out); "
        "ventricular beats (V, E) of the noisy part found / flagged; normal beats flagged, as a share of those "
        "scored, in the noisy part / in the clean first 5 minutes of the same scan; false beats (detections matching "
        "no reference beat) in the noisy part, how many of them flagged, how many marked unreadable; seconds marked "
        "unreadable in the noisy part (share of it) / in the clean part. The last three columns compare the clean "
        "first 5 minutes of the noisy scan with the same minutes of the noise-free scan: beats flagged there (noisy "
        "scan / clean scan), the ROC AUC of abnormal vs normal reference beats there (pooled over the records; noisy "
        "scan / clean scan), and the median over records of the median ratio of a beat's score in the noisy scan to "
        "its score in the clean scan (1.00: unmoved). The `none` row is the noise-free scan of the same parts.",
    ]
    head = ("| noise | SNR dB | Se % | +P % | Se % readable | +P % readable | V found / flagged % | "
            "N flagged % noisy / clean part | false beats | flagged | unreadable | "
            "unreadable s (%) noisy / clean part | "
            "clean part: flagged, noisy / clean scan | clean part: AUC, noisy / clean scan | clean part: score ratio |")
    for group, entry in result["groups"].items():
        clean = entry["clean"]
        lines += ["", f"## {group} ({len(entry['records'])} records: {' '.join(entry['records'])})", "", head,
                  "|" + "---|" * 15, _row("none", "-", clean, clean)]
        for kind in cfg["kinds"]:
            for snr in cfg["snrs"]:
                g = entry[kind][str(snr)]
                lines.append(_row(kind, snr, g, clean) + (f" failed: {' '.join(g['failed'])}" if g["failed"] else ""))
        lowest = min(cfg["snrs"])
        lines += ["", f"Records with the most false beats in the noisy part at {lowest} dB: " + "; ".join(
            f"{kind}: " + ", ".join(f"{r} ({k})" for r, k in top_false(result["per_record"], group, kind, lowest))
            for kind in cfg["kinds"]) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from ecg_utils.errors import DataError
    from ecg_utils.signal.noise_stress import CLEAN_S, EC57_SNRS, KINDS, find_noise_dir

    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.noise", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", nargs="+", help="default: every DS1 and DS2 record present, and every SVDB record")
    p.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    p.add_argument("--snrs", nargs="+", type=float, default=list(EC57_SNRS), help="dB (default: 24 18 12 6 0 -6)")
    p.add_argument("--database", choices=("mitdb", "svdb", "both"), default="both")
    p.add_argument("--data-dir", help="folder of the MIT-BIH records (default $ECG_DATA_DIR)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--leads", type=int, choices=(1, 2), default=2,
                   help="2: the second lead confirms beats, with the noise's other channel added to it (as WFDB's nst "
                        "does); 1: the first lead only (written as noise-one-lead.*)")
    p.add_argument("--clean-second-lead", action="store_true",
                   help="with --leads 2: noise on the scanned lead only, the second lead left clean (one electrode "
                        "moving; written as noise-clean-second.*)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    args = p.parse_args(argv)
    if args.clean_second_lead and args.leads != 2:
        p.error("--clean-second-lead needs the second lead (--leads 2)")
    snrs = [int(s) if float(s).is_integer() else s for s in args.snrs]
    try:
        jobs, absent = resolve(args.database, args.records, args.data_dir)
        noise_dir = find_noise_dir(data_dir=args.data_dir)
    except DataError as exc:  # a missing folder or record: one line, before any work
        print(f"python -m bench.noise: {exc}", file=sys.stderr)
        return 2
    result = {"command": "python -m bench.noise" + "".join(" " + shlex.quote(a) for a in argv),
              "date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": environment(),
              "config": {"kinds": args.kinds, "snrs": snrs, "clean_s": CLEAN_S, "noise_channel": 0, "leads": args.leads,
                         "second_noise": not args.clean_second_lead, "tolerance_s": TOLERANCE_S,
                         "workers": args.workers, "noise_dir": str(noise_dir),
                         "folders": {db: str(f) for db, f, _ in jobs}},
              "records": [r for _, _, r in jobs], "absent": absent,
              **run(jobs, args.kinds, snrs, CLEAN_S, noise_dir, args.workers, args.leads, not args.clean_second_lead)}
    name = "noise-one-lead" if args.leads == 1 else "noise-clean-second" if args.clean_second_lead else "noise"
    write_results(Path(args.out), name, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
