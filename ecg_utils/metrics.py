"""How well anomaly scores separate normal beats (class 0) from abnormal ones: AUC, AP, rates, a report."""
from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_fscore_support, roc_auc_score

from ecg_utils.io.dataset import CLASS_NAMES
from ecg_utils.signal.matching import match_beats  # noqa: F401 (metrics.match_beats, as in 0.1)


def _ranking(y_true, scores):
    """ROC AUC and average precision of ``scores`` for binary ``y_true``; None when one side is absent."""
    if len(np.unique(y_true)) < 2:
        return None, None
    return float(roc_auc_score(y_true, scores)), float(average_precision_score(y_true, scores))


def _rate(k, n):
    return float(k / n) if n else None


def evaluate(y, scores, threshold, class_names=CLASS_NAMES, fixed_fpr=0.01) -> dict:
    """Metrics of anomaly scores against class labels, as a JSON-ready dict (plain floats, ints, None).

    Class 0 is normal, every other class abnormal (label 1 = anomaly); a beat is flagged when its score is
    above ``threshold``.

    Parameters
    ----------
    y : int array (n,)
        Class of each beat, an index into ``class_names``.
    scores : float array (n,)
        Anomaly scores (higher = more anomalous).
    threshold : float
        The detector's threshold (``score > threshold`` is an anomaly).
    class_names : sequence of str
    fixed_fpr : float
        The normal false-positive rate of the "recall at fixed FPR" figures.

    Returns
    -------
    dict with
        ``n``, ``counts`` (beats per class);
        ``roc_auc``, ``average_precision``: normal vs all abnormal beats, and ``roc_auc_per_class``,
        ``average_precision_per_class``: normal vs each abnormal class alone (None where a class is absent);
        at ``threshold``: ``accuracy``, ``precision``, ``recall``, ``f1`` (abnormal = positive),
        ``confusion_matrix`` (rows true normal/abnormal, columns predicted normal/abnormal), ``normal_fpr``,
        ``detection`` (per class: ``n``, ``flagged`` and ``rate``, the share flagged);
        ``unlabelled``: ``n`` and ``flagged`` of the beats labelled -1 (detections that match no reference beat),
        which every other figure leaves out;
        ``recall_at_fpr``: ``fpr``, ``threshold``, ``all`` and ``per_class`` recall, where the threshold is the
        ``100 * (1 - fixed_fpr)`` th percentile of the *normal test* scores. This is a reporting convention
        (it looks at the test labels, so it is not a threshold a deployed detector could use): it compares
        score rankings at one operating point, whatever threshold the detector learned.

    Examples
    --------
    >>> m = evaluate([0, 0, 1, 2], [0.1, 0.2, 0.3, 0.9], threshold=0.25)
    >>> m["roc_auc"], m["recall"]
    (1.0, 1.0)
    """
    y = np.asarray(y).astype(np.int64).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != scores.shape:
        raise ValueError(f"y and scores differ in length: {y.shape} vs {scores.shape}")
    unlabelled = y < 0  # detections that match no reference beat: neither normal nor abnormal
    false_beats = {"n": int(unlabelled.sum()), "flagged": int((scores[unlabelled] > threshold).sum())}
    y, scores = y[~unlabelled], scores[~unlabelled]
    class_names = tuple(class_names)
    abnormal = (y != 0).astype(int)
    flagged = (scores > threshold).astype(int)
    normal = y == 0

    auc, ap = _ranking(abnormal, scores)
    auc_c, ap_c = {}, {}
    for c, name in enumerate(class_names[1:], start=1):
        keep = normal | (y == c)
        auc_c[name], ap_c[name] = _ranking((y[keep] == c).astype(int), scores[keep]) if (y == c).any() else (None, None)

    cm = confusion_matrix(abnormal, flagged, labels=[0, 1])
    precision, recall, f1, _ = precision_recall_fscore_support(abnormal, flagged, labels=[1], average=None,
                                                               zero_division=0)
    detection = {}
    for c, name in enumerate(class_names):
        n_c, k_c = int((y == c).sum()), int(flagged[y == c].sum())
        detection[name] = {"n": n_c, "flagged": k_c, "rate": _rate(k_c, n_c)}

    thr_fpr = float(np.percentile(scores[normal], 100 * (1 - fixed_fpr))) if normal.any() else None
    at_fpr = {"fpr": float(fixed_fpr), "threshold": thr_fpr, "all": None, "per_class": {}}
    if thr_fpr is not None:
        hit = scores > thr_fpr
        at_fpr["all"] = _rate(int(hit[abnormal == 1].sum()), int(abnormal.sum()))
        at_fpr["per_class"] = {name: _rate(int(hit[y == c].sum()), int((y == c).sum()))
                               for c, name in enumerate(class_names[1:], start=1)}

    return {
        "n": int(len(y)),
        "counts": {name: int((y == c).sum()) for c, name in enumerate(class_names)},
        "roc_auc": auc,
        "average_precision": ap,
        "roc_auc_per_class": auc_c,
        "average_precision_per_class": ap_c,
        "threshold": float(threshold),
        "accuracy": float((flagged == abnormal).mean()) if len(y) else None,
        "precision": float(precision[0]),
        "recall": float(recall[0]),
        "f1": float(f1[0]),
        "confusion_matrix": cm.astype(int).tolist(),
        "normal_fpr": _rate(int(cm[0, 1]), int(cm[0].sum())),
        "detection": detection,
        "recall_at_fpr": at_fpr,
        "unlabelled": false_beats,
    }


def _fmt(value, spec=".3f"):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def classification_report(metrics: dict) -> str:
    """A text table of :func:`evaluate`'s result: overall figures, then one row per class.

    Examples
    --------
    >>> print(classification_report(evaluate([0, 0, 1, 2], [0.1, 0.2, 0.3, 0.9], 0.25)))  # doctest: +SKIP
    """
    m = metrics
    at = m["recall_at_fpr"]
    fpr_pct = f"{100 * at['fpr']:g}%"
    (tn, fp), (fn, tp) = m["confusion_matrix"]
    lines = [
        f"beats {m['n']}   threshold {m['threshold']:.4g}",
        f"ROC AUC {_fmt(m['roc_auc'])}   AP {_fmt(m['average_precision'])}   (normal vs all abnormal)",
        f"accuracy {_fmt(m['accuracy'])}   precision {_fmt(m['precision'])}   recall {_fmt(m['recall'])}   "
        f"F1 {_fmt(m['f1'])}   normal FPR {_fmt(m['normal_fpr'])}",
        f"confusion (rows true, columns predicted normal/abnormal): [[{tn}, {fp}], [{fn}, {tp}]]",
        f"recall at normal FPR {fpr_pct} (threshold {_fmt(at['threshold'], '.4g')}: the test normals' "
        f"{100 * (1 - at['fpr']):g}th percentile): {_fmt(at['all'])}",
        "",
        f"{'class':<8}{'n':>8}{'flagged':>9}{'rate':>8}{'ROC AUC':>9}{'AP':>8}{'rec@' + fpr_pct:>10}",
    ]
    for name, d in m["detection"].items():
        lines.append(f"{name:<8}{d['n']:>8}{d['flagged']:>9}{_fmt(d['rate']):>8}"
                     f"{_fmt(m['roc_auc_per_class'].get(name)):>9}{_fmt(m['average_precision_per_class'].get(name)):>8}"
                     f"{_fmt(at['per_class'].get(name)):>10}")
    lines.append(f"{'abnormal':<8}{fn + tp:>8}{tp:>9}{_fmt(m['recall']):>8}{_fmt(m['roc_auc']):>9}"
                 f"{_fmt(m['average_precision']):>8}{_fmt(at['all']):>10}")
    return "\n".join(lines)




def beat_detection(detected, reference, fs, tolerance_s=0.15, ignore=()) -> dict:
    """EC57 beat-detection counts of one record: TP, FN, FP, sensitivity and positive predictivity.

    ``ignore`` holds (start, end) sample ranges where detections are not counted as false (EC57 leaves
    ventricular flutter / fibrillation episodes out of the QRS detection figures).
    """
    detected = np.asarray(detected, dtype=np.int64)
    ref_match, det_matched = match_beats(detected, reference, int(round(tolerance_s * fs)))
    counted = np.ones(len(detected), dtype=bool)
    for start, end in ignore:
        counted &= ~((detected >= start) & (detected < end))
    tp, fn = int((ref_match >= 0).sum()), int((ref_match < 0).sum())
    fp = int((~det_matched & counted).sum())
    return {"tp": tp, "fn": fn, "fp": fp, "se": _rate(tp, tp + fn), "ppv": _rate(tp, tp + fp)}


def scan_vs_reference(flagged_samples, detected, reference, ref_classes, fs, class_names=CLASS_NAMES) -> dict:
    """How a scan of an annotated recording did: beats found (EC57) and share flagged, per reference class.

    Parameters
    ----------
    flagged_samples : int array
        Positions of the beats the scan flagged.
    detected : int array
        Positions of every beat the scan detected.
    reference, ref_classes : int arrays
        The reference beats' positions and classes (indices into ``class_names``).
    fs : float

    Returns
    -------
    dict
        ``detection`` (:func:`beat_detection`), ``per_class``: for each class ``n``, ``found`` and ``flagged``
        (counts) and ``found_rate``, ``flagged_rate`` (of the class's reference beats), and ``false_beats``:
        detections matching no reference beat, with how many were flagged.
    """
    detected = np.asarray(detected, dtype=np.int64)
    ref_match, det_matched = match_beats(detected, reference, int(round(0.15 * fs)))
    is_flagged = np.isin(detected, np.asarray(flagged_samples, dtype=np.int64))
    ref_classes = np.asarray(ref_classes)
    per_class = {}
    for c, name in enumerate(class_names):
        mine = ref_classes == c
        found = mine & (ref_match >= 0)
        flagged = int(is_flagged[ref_match[found]].sum())
        per_class[name] = {"n": int(mine.sum()), "found": int(found.sum()), "flagged": flagged,
                           "found_rate": _rate(int(found.sum()), int(mine.sum())),
                           "flagged_rate": _rate(flagged, int(mine.sum()))}
    false = ~det_matched
    return {"detection": beat_detection(detected, reference, fs), "per_class": per_class,
            "false_beats": {"n": int(false.sum()), "flagged": int((false & is_flagged).sum())}}


def per_record(y, scores, records, threshold, class_names=CLASS_NAMES, min_abnormal=20):
    """One row per record: its beats, abnormal beats, ROC AUC, the share of its normal beats flagged at
    ``threshold`` (normal FPR) and the share of each abnormal class flagged.

    ROC AUC is None for a record without normal or without abnormal beats; ``reliable`` says whether the record has
    at least ``min_abnormal`` abnormal beats (an AUC on a handful of beats says little). Unlabelled beats (-1) are
    left out. Returns a DataFrame.
    """
    import pandas as pd

    y, scores, records = np.asarray(y), np.asarray(scores, dtype=np.float64), np.asarray(records)
    keep = y >= 0
    y, scores, records = y[keep], scores[keep], records[keep]
    rows = []
    for record in sorted(set(records.tolist())):
        mine = records == record
        yr, sr = y[mine], scores[mine]
        auc, _ = _ranking((yr != 0).astype(int), sr)
        flagged = sr > threshold
        row = {"record": record, "beats": int(mine.sum()), "abnormal": int((yr != 0).sum()), "roc_auc": auc,
               "normal_fpr": _rate(int(flagged[yr == 0].sum()), int((yr == 0).sum()))}
        for c, name in enumerate(class_names[1:], start=1):
            row[f"n_{name}"] = int((yr == c).sum())
            row[f"recall_{name}"] = _rate(int(flagged[yr == c].sum()), int((yr == c).sum()))
        row["reliable"] = row["abnormal"] >= min_abnormal
        rows.append(row)
    return pd.DataFrame(rows)


def ec57_ectopic(y, shape, timing, threshold) -> dict:
    """EC57's ventricular (VEB) and supraventricular (SVEB) ectopic beat figures from the *reason* of each flag.

    An anomaly detector does not classify, but its two kinds of evidence point at the two kinds of ectopic beat: a
    flagged beat whose shape part carries at least half the threshold (:func:`ecg_utils.scan.table.reasons`: "unusual
    shape", alone or with "premature") counts as a VEB, a flagged beat that is only premature as an SVEB, every
    other beat as N. Counting follows the AAMI convention as de Chazal et al. (2004) apply it: a fusion (F) beat
    called VEB is not a false positive, and Q beats are left out.

    Returns
    -------
    dict
        ``VEB`` and ``SVEB``: ``tp``, ``fn``, ``fp``, ``se`` (sensitivity) and ``ppv`` (positive predictivity).
    """
    y = np.asarray(y)
    shape, timing = np.asarray(shape, dtype=float), np.asarray(timing, dtype=float)
    flagged = (shape + timing) > threshold
    called_v = flagged & (shape >= threshold / 2)
    called_s = flagged & ~called_v & (timing >= threshold / 2)
    keep = (y >= 0) & (y != 4)
    out = {}
    for name, label, called, forgiven in (("VEB", 2, called_v, y == 3), ("SVEB", 1, called_s, np.zeros_like(keep))):
        tp = int((keep & (y == label) & called).sum())
        fn = int((keep & (y == label) & ~called).sum())
        fp = int((keep & (y != label) & called & ~forgiven).sum())
        out[name] = {"tp": tp, "fn": fn, "fp": fp, "se": _rate(tp, tp + fn), "ppv": _rate(tp, tp + fp)}
    return out


def ec57_kinds(y, kind, records=None, class_names=CLASS_NAMES) -> dict:
    """EC57's ventricular (VEB) and supraventricular (SVEB) ectopic beat figures from each beat's *kind*: the symbol
    the algorithm gives it (``"V"``, ``"S"``, ``"F"``, ``"Q"``, or ``"N"`` for a beat not flagged), read as ``bxb``
    reads an annotation file against the reference.

    A beat called V counts for VEB, one called S for SVEB; F and Q calls are neither. As in :func:`ec57_ectopic`
    (the AAMI convention as de Chazal et al. 2004 apply it), a reference fusion beat called V is not a false
    positive, and reference Q beats are left out. With ``records``, also the EC57 *average* figures: the mean over
    records of each record's Se (records holding the class) and +P (records with a call of it).

    Parameters
    ----------
    y : int array
        Reference classes (indices into ``class_names``: N, S, V, F, Q; -1 = no reference beat, left out).
    kind : str array
        The algorithm's kind of each beat.
    records : array, optional
        Each beat's record, for the average figures and ``F_flagged`` per record.

    Returns
    -------
    dict
        ``VEB`` and ``SVEB`` (gross ``tp``, ``fn``, ``fp``, ``se``, ``ppv``, and with records ``se_average``,
        ``ppv_average``); ``F_flagged``: the share of reference fusion beats given any kind but N (with records,
        also per record); ``N_flagged``: the share of reference normal beats given a kind other than N.

    Examples
    --------
    >>> m = ec57_kinds([0, 0, 1, 2, 2, 3], ["N", "S", "S", "V", "N", "V"])
    >>> m["VEB"]["se"], m["VEB"]["ppv"], m["SVEB"]["ppv"]
    (0.5, 1.0, 0.5)
    """
    y, kind = np.asarray(y), np.asarray(kind).astype(str)
    s, v, f, q = (class_names.index(c) for c in ("S", "V", "F", "Q"))
    keep = (y >= 0) & (y != q)
    out = {}
    for name, label, symbol, forgiven in (("VEB", v, "V", y == f), ("SVEB", s, "S", np.zeros(len(y), bool))):
        called = kind == symbol

        def counts(m, label=label, called=called, forgiven=forgiven):
            tp = int((m & (y == label) & called).sum())
            fn = int((m & (y == label) & ~called).sum())
            fp = int((m & (y != label) & called & ~forgiven).sum())
            return tp, fn, fp

        tp, fn, fp = counts(keep)
        out[name] = {"tp": tp, "fn": fn, "fp": fp, "se": _rate(tp, tp + fn), "ppv": _rate(tp, tp + fp)}
        if records is not None:
            rec = np.asarray(records)
            per = [counts(keep & (rec == r)) for r in sorted(set(rec.tolist()))]
            se = [a / (a + b) for a, b, _ in per if a + b]
            ppv = [a / (a + c) for a, _, c in per if a + c]
            out[name].update(se_average=float(np.mean(se)) if se else None,
                             ppv_average=float(np.mean(ppv)) if ppv else None)
    is_f, is_n = y == f, y == class_names.index("N")
    out["F_flagged"] = {"n": int(is_f.sum()), "flagged": int((is_f & (kind != "N")).sum()),
                        "rate": _rate(int((is_f & (kind != "N")).sum()), int(is_f.sum()))}
    out["N_flagged"] = _rate(int((is_n & (kind != "N")).sum()), int(is_n.sum()))
    if records is not None:
        rec = np.asarray(records)
        out["F_flagged"]["records"] = {r: {"n": int((is_f & (rec == r)).sum()),
                                           "flagged": int((is_f & (rec == r) & (kind != "N")).sum())}
                                       for r in sorted(set(rec[is_f].tolist()))}
    return out


def _merge(intervals) -> list:
    """Sorted, non-overlapping (start, end) intervals; touching ones joined."""
    out = []
    for a, b in sorted((int(a), int(b)) for a, b in intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [tuple(x) for x in out]


def _overlap(a, intervals) -> int:
    return sum(max(0, min(a[1], b[1]) - max(a[0], b[0])) for b in intervals)


def episode_detection(detected, reference, min_cover=0.5) -> dict:
    """How well detected rhythm stretches match reference episodes (for example atrial fibrillation), as EC57 asks.

    Parameters
    ----------
    detected, reference : dict of record -> list of (start, end)
        Stretches in samples, per record; each side is merged first (touching or overlapping stretches are one).
    min_cover : float
        A reference episode counts as found when the detected stretches cover at least this share of it; a
        detected stretch counts as true when reference episodes cover at least this share of it.

    Returns
    -------
    dict
        ``episode_se`` and ``episode_ppv`` (found reference episodes / all; true detected stretches / all), with
        their counts; ``duration_se`` and ``duration_ppv`` (the overlapping time over the reference's and the
        detector's total time), with the sample counts. A rate without anything to count is None.
    """
    found = n_ref = true = n_det = overlap = ref_len = det_len = 0
    for record in set(detected) | set(reference):
        det, ref = _merge(detected.get(record, [])), _merge(reference.get(record, []))
        for r in ref:
            n_ref += 1
            ref_len += r[1] - r[0]
            found += _overlap(r, det) >= min_cover * (r[1] - r[0])
        for d in det:
            n_det += 1
            det_len += d[1] - d[0]
            true += _overlap(d, ref) >= min_cover * (d[1] - d[0])
        overlap += sum(_overlap(d, ref) for d in det)
    return {"episode_se": _rate(found, n_ref), "episode_ppv": _rate(true, n_det), "reference_episodes": n_ref,
            "found": found, "detected_stretches": n_det, "true_stretches": true,
            "duration_se": _rate(overlap, ref_len), "duration_ppv": _rate(overlap, det_len),
            "reference_samples": ref_len, "detected_samples": det_len, "overlap_samples": overlap}
