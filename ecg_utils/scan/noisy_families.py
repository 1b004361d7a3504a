"""Flags that noise explains are unreadable, not ectopy: a beat family that lives only in noisy signal, a ventricular
call whose only evidence is a P wave the noise hides, a shape only a handful of beats share on time or between two
beats in noise, and a QRS that barely rises above the noise in both leads.

Ectopy repeats its shape where the signal is clean: a ventricular focus fires in quiet minutes too, and its beats
form a family there. Electrode motion and muscle noise make beats of shapes that exist only where the noise is. So a
flagged beat is **unreadable** (:data:`REASON`) when it sits in noisy signal and its family has almost no beat in
quiet signal (fewer than :data:`QUIET_SHARE` of its beats).

Noise also hides the P wave: a normal beat whose QRS the noise distorts a little, on time, "has no P wave of the
patient's" when its P window is noise, and a family of such beats is read as ventricular
(:mod:`ecg_utils.scan.kinds`). A flagged beat called V is unreadable (:data:`P_REASON`) when the signal around it is
noisy (:data:`P_NOISY_FACTOR`), it comes on time (previous RR at least
:data:`~ecg_utils.scan.kinds.VENTRICULAR_PREMATURITY` x the local mean) and its QRS differs from the template by less
than a ventricular QRS must on its own (:data:`~ecg_utils.scan.kinds.VENTRICULAR_QRS_DEV`): nothing but the P wave
called it ventricular, and the P wave cannot be read. Nor is one that comes on time in such noise with a shape of its
own that at most :data:`HANDFUL` beats share (:data:`HANDFUL_REASON`): an ectopic focus fires early, or again and
again; noise makes one-off shapes whenever it likes. Nor, in such noise, is a beat of such a handful that splits one
interval of the rhythm in two (:data:`SPLIT_REASON`: the intervals before and after it add up to at most
:data:`SPLIT` x the local mean): a false detection between two beats on time. An ectopic beat is followed by a pause
(compensatory after a ventricular beat, a reset after a supraventricular one) and adds up to 1.6-2x; only an
interpolated ventricular beat splits an interval, and its focus fires in quiet minutes too. Nor, whatever the noise
around it, is a flagged beat whose QRS barely rises above the noise in both leads (:data:`FAINT_REASON`,
:func:`ecg_utils.signal.artefact.faint`): muscle noise makes detections that both fast R-peak detectors agree on.

How noisy the signal is around a beat: the median, over the :data:`NEIGHBOURS` beats either side that have the
patient's QRS (:func:`ecg_utils.scan.kinds.normal_shaped`), of their baseline noise
(:func:`ecg_utils.signal.morphology.baseline_noise`: beat - template outside the QRS), over the recording's quiet
level (the noise-aware scale's floor, :func:`ecg_utils.detect.fusion.quiet_beats`); above :data:`NOISY_FACTOR`, the
signal is noisy. Only the patient's normal-shaped beats measure it, since an ectopic beat differs from the template
outside its QRS too.

The constants were chosen on the DS1 records with ``em`` noise added after 5 clean minutes (both leads; a one-off
reading of the shipped detector's scans, 2026-12-01): see the README's *Noise* section for what they buy and cost.
:data:`P_NOISY_FACTOR` (2026-12-01) with ``ma`` and ``em`` noise at 12 and 6 dB (``python -m bench.noise --records
<DS1> --kinds ma em --snrs 12 6 --database mitdb``), as the most normal beats taken from the flags in noise for at
most 0.2 points of the clean DS1 scans' ventricular beats flagged: 3.0 takes normal beats flagged in the noisy part
``ma`` 12 dB 4.8 -> 4.0%, 6 dB 15.5 -> 13.1%, ``em`` 12 dB 1.4 -> 1.3%, 6 dB 5.8 -> 4.1%, with ventricular beats
flagged in noise 0.3-0.9 points lower and the clean scans' 93.3 -> 93.2% (6 of 3,788; 10 normal flags fewer); 2.0
took 3.5, 12.0, 1.3 and 4.0%, but 11 of the clean scans' V beats (93.0%). :data:`HANDFUL` (2026-12-01, the same
run): 3 beats took normal beats flagged ``ma`` 12 dB 4.0 -> 3.7%, 6 dB 13.1 -> 12.1%, ``em`` 6 dB 4.1 -> 3.9%, the
clean scans' V flags 93.2 -> 93.1%; on the beat tables 5 beats took 12 normal and 1 V flag from the clean scans
against 8 and 1 (29 and 6 with a noise bar of 2). :data:`SPLIT` (2026-12-01, the beat tables of the same scans, after
the other rules; false / normal / ventricular / supraventricular flags taken): ``ma`` 12 dB 132 / 7 / 3 / 0 (of 597
false flags), ``ma`` 6 dB 397 / 59 / 6 / 0, ``em`` 12 dB 9 / 1 / 0 / 0, ``em`` 6 dB 6 / 2 / 2 / 0, the clean DS1 scans
3 / 0 / 3 / 0 (of 3,531 V flags; DS2's, only looked at, 3 / 1 / 0 / 0); 1.4 took 144 / 8 / 5 / 1 at ``ma`` 12 dB;
a noise bar of 2 with families of up to 5 beats took 240 / 12 / 10 / 4 there, but 4 V flags from the clean DS1
scans.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecg_utils.io.dataset import Beats

#: The signal around a beat is noisy when its normal neighbours' baseline noise is this many times the quiet level.
NOISY_FACTOR = 5.0
#: ... and too noisy to read a P wave in at this many times (a lower bar: a P wave is a tenth of a QRS).
P_NOISY_FACTOR = 3.0
#: Beats either side whose normal-shaped beats measure the noise around a beat.
NEIGHBOURS = 10
#: A family with fewer than this share of its beats in quiet signal lives only in noise.
QUIET_SHARE = 0.05
#: Why such a beat is not flagged (the beat table's ``reason``).
REASON = "unreadable signal (noise: its shape is found only where the signal is noisy)"
#: ... and why a ventricular call whose only evidence is the missing P wave is not.
P_REASON = "unreadable signal (noise: on time, its QRS near the patient's, its P wave hidden by noise)"
#: A family of at most this many beats is a handful: ...
HANDFUL = 3
#: ... and why one on time in noisy signal (:data:`P_NOISY_FACTOR`) is not flagged.
HANDFUL_REASON = f"unreadable signal (noise: on time, a shape of at most {HANDFUL} beats, where the signal is noisy)"
#: A beat whose intervals before and after add up to at most this share of the local mean RR splits one interval ...
SPLIT = 1.3
#: ... and why such a beat of a handful (:data:`HANDFUL`), in noisy signal (:data:`P_NOISY_FACTOR`), is not flagged.
SPLIT_REASON = (f"unreadable signal (noise: between two beats on time, a shape of at most {HANDFUL} beats, where the "
                "signal is noisy)")
#: Why a flagged beat faint in both leads (:func:`ecg_utils.signal.artefact.faint`) is not flagged.
FAINT_REASON = "unreadable signal (noise: its QRS barely rises above the noise in both leads)"
#: Each reason by the name the summary counts it under (``unreadable_noise_<name>``).
REASONS = {"shapes": REASON, "p_waves": P_REASON, "handful": HANDFUL_REASON, "split": SPLIT_REASON,
           "faint": FAINT_REASON}


def noise_around(beats: Beats, normal) -> np.ndarray:
    """How noisy the signal is around each beat, in units of its recording's quiet level (see the module docstring);
    beats in time order within each record. NaN where no normal-shaped beat is near."""
    from ecg_utils.detect.fusion import LOCAL_QUANTILE, quiet_beats
    from ecg_utils.signal.morphology import baseline_noise

    noise = baseline_noise(beats)
    out = np.full(len(beats), np.nan)
    normal = np.asarray(normal, dtype=bool)
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        x = noise[idx]
        quiet = quiet_beats(x)
        floor = max(float(np.quantile(x[quiet], LOCAL_QUANTILE)), 1e-12)
        level = pd.Series(np.where(normal[idx], x / floor, np.nan))
        out[idx] = level.rolling(2 * NEIGHBOURS + 1, center=True, min_periods=3).median().ffill().bfill().to_numpy()
    return out


def untrusted(beats: Beats, table: pd.DataFrame, faint=None) -> np.ndarray:
    """Why each beat's flag cannot be trusted, "" where it can (object array (n,)): :data:`REASON` for a kind other
    than N, in noisy signal, of a family with fewer than :data:`QUIET_SHARE` of its beats in quiet signal;
    :data:`HANDFUL_REASON` for a V on time in noise, of a family of at most :data:`HANDFUL` beats;
    :data:`SPLIT_REASON` for a kind other than N in such noise, of such a family, that splits an interval;
    :data:`FAINT_REASON` for a kind other than N faint in both leads (``faint``, bool per beat; None: none is);
    :data:`P_REASON` for a V whose only evidence is a P wave hidden by noise (see the module docstring). ``table``:
    :func:`ecg_utils.scan.kinds.classify`'s, one row per beat of ``beats`` (``kind``, ``family``, ``qrs_corr``,
    ``qrs_dev``, ``prematurity``)."""
    from ecg_utils.scan.kinds import VENTRICULAR_PREMATURITY, VENTRICULAR_QRS_DEV, normal_shaped

    level = noise_around(beats, normal_shaped(table))  # NaN (no normal beat near): not noisy
    noisy = level > NOISY_FACTOR
    kind = table["kind"].to_numpy()
    why = np.full(len(kind), "", dtype=object)
    family = [beats.record, table["family"].to_numpy()]
    in_noise = level > P_NOISY_FACTOR
    on_time_in_noise = (kind == "V") & in_noise & (table["prematurity"] >= VENTRICULAR_PREMATURITY).to_numpy()
    handful = pd.Series(np.ones(len(kind))).groupby(family).transform("size").to_numpy() <= HANDFUL
    rr = beats.rr.astype(np.float64)
    splits = (rr[:, 0] + rr[:, 1]) <= SPLIT * rr[:, 2]
    why[(kind != "N") & in_noise & handful & splits] = SPLIT_REASON
    if faint is not None:
        why[(kind != "N") & np.asarray(faint, dtype=bool)] = FAINT_REASON
    why[on_time_in_noise & handful] = HANDFUL_REASON
    why[on_time_in_noise & (table["qrs_dev"] < VENTRICULAR_QRS_DEV).to_numpy()] = P_REASON
    quiet_share = pd.Series(~noisy).groupby(family).transform("mean").to_numpy()
    why[(kind != "N") & noisy & (quiet_share < QUIET_SHARE)] = REASON
    return why
