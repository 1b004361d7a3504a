"""A database's labelled beats: every record read, cut (at reference or detected R-peaks), given templates, cached;
and split for a protocol in one call (:func:`load_split`), what the notebooks and the benchmark use.
"""
from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np

from ecg_utils import config
from ecg_utils.errors import DataError
from ecg_utils.io.databases import get_database
from ecg_utils.io.dataset import CLASS_NAMES, Beats
from ecg_utils.io.kaggle import find_kaggle_files, load_kaggle_csv
from ecg_utils.io.records import find_data_dir, read_record, resolve_records
from ecg_utils.io.splits import SPLITS, Split, make_split, split_kaggle
from ecg_utils.signal.cutting import PEAK_SOURCES, beats_from_peaks, build_params, label_peaks
from ecg_utils.signal.templates import TEMPLATE_REGULAR, add_templates


def _record_beats(folder, name, representation, params, lead, peaks="reference") -> Beats:
    """One record's beats in one representation, cut at its reference beats or at detected R-peaks (labelled
    by the reference beat they match; a detection matching none is UNLABELLED: a false beat)."""
    from ecg_utils.signal.peaks import find_peaks

    rec = read_record(folder, name, lead=lead, fallback=True)
    samples, y = rec.beats()
    if peaks == "detected":
        detected = find_peaks(rec.signal, rec.fs)
        samples, y = detected, label_peaks(detected, samples, y, rec.fs)
    beats = beats_from_peaks(rec.signal, rec.fs, samples, representation, name, y, params=params)
    info = {"dropped_at_ends": beats.info["dropped_at_ends"], "leads": {name: rec.lead}}
    return Beats(beats.X, beats.y, beats.record, beats.sample, beats.rr, info)


def _file_digest(folder, name) -> str:
    """SHA-256 over a record's three files, so that the cache notices any change to them."""
    h = hashlib.sha256()
    for ext in ("hea", "dat", "atr"):
        path = Path(folder) / f"{name}.{ext}"
        try:
            h.update(path.read_bytes())
        except OSError as exc:
            raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return h.hexdigest()[:16]


def build_mitdb_beats(data_dir=None, records=None, representation="kaggle", **options) -> Beats:
    """:func:`build_beats` of the MIT-BIH Arrhythmia Database (``database="mitdb"``)."""
    return build_beats("mitdb", data_dir, records, representation, **options)


def build_beats(database="mitdb", data_dir=None, records=None, representation="kaggle", lead=None,
                cache=True, verbose=True, template_width=None, template_regular=TEMPLATE_REGULAR,
                peaks="reference", **params) -> Beats:
    """Cut the annotated beats of a database's records into a :class:`Beats` dataset.

    Parameters
    ----------
    database : str or Database
        Which database (:mod:`ecg_utils.io.databases`: ``"mitdb"``, ``"svdb"``): where its files are, its lead and
        its labels.
    data_dir : path, optional
        Folder of its WFDB files; default: the database's setting (:mod:`ecg_utils.io.databases`; for MIT-BIH
        ``$ECG_DATA_DIR``, then ``data/raw/mitdb``).
    records : list of str, optional
        Records to use (default: every record present). A record asked for but absent is an error
        listing all such records.
    representation : {"kaggle", "centered"}
        See the module docstring; ``**params`` override the defaults in :data:`DEFAULTS`.
    lead : str, optional
        Lead to read, found by name; default the database's (MLII; ECG1 for SVDB). A record without it gives its
        first lead (MIT-BIH 102 and 104 have no MLII) and ``info["leads"]`` says so.
    template_width, template_regular : int, float, optional
        With a width, also give each beat its patient template (:func:`add_templates` with ``width`` and
        ``regular``), computed per record and cached with the beats.
    peaks : {"reference", "detected"}
        Cut beats at the reference annotations, or at the R-peaks :func:`ecg_utils.signal.peaks.find_peaks` detects (as
        a scan of an unannotated recording does): each detected beat takes the class of the reference beat it
        matches within 150 ms, and detections that match none are kept as :data:`UNLABELLED` (false beats), so
        that RR intervals and templates are those a scan would compute.
    cache : bool
        Reuse per-record results cached under ``$ECG_CACHE_DIR`` (default ``data/processed``), keyed by
        the parameters and the SHA-256 of the record's files; rebuilt when either changes.

    Returns
    -------
    Beats
        ``info`` holds source, representation, fs, params, records, leads, and ``dropped_at_ends``:
        per record, the beats too close to the record's ends to cut.

    Examples
    --------
    >>> beats = build_mitdb_beats(records=["119", "208"])            # doctest: +SKIP
    >>> beats.counts()                                                # doctest: +SKIP
    {'N': 3164, 'S': 2, 'V': 2436, 'F': 373, 'Q': 2}
    """
    db = get_database(database)
    lead = lead or db.leads[0]
    folder = find_data_dir(data_dir, kind=db.name)
    names = resolve_records(folder, records)
    p = build_params(representation, **params)
    if peaks not in PEAK_SOURCES:
        raise ValueError(f"peaks must be one of {PEAK_SOURCES}, got {peaks!r}")
    key_parts = [representation, lead, p] + ([template_width, template_regular] if template_width else [])
    if peaks != "reference":
        from ecg_utils.signal.peaks import METHOD_VERSION

        key_parts += [peaks, METHOD_VERSION]
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()[:12]
    cache_folder = config.cache_dir() / f"{db.name}-{representation}-{key}"
    t0 = time.perf_counter()
    parts, built = [], 0
    for i, name in enumerate(names):
        path = cache_folder / f"{name}-{_file_digest(folder, name)}.npz" if cache else None
        part = _cached(path, name)
        if part is None:
            part = _record_beats(folder, name, representation, p, lead, peaks)
            if template_width:
                part = add_templates(part, template_width, template_regular)
            built += 1
            if path is not None:
                try:
                    part.save(path)
                except OSError as exc:
                    warnings.warn(f"{path}: cannot cache record {name}'s beats ({exc.strerror or exc}); "
                                  "they are rebuilt next time", stacklevel=2)
        parts.append(part)
        if verbose and (i + 1) % 10 == 0:
            print(f"  beats: {i + 1}/{len(names)} records ({time.perf_counter() - t0:.1f} s)", flush=True)
    beats = Beats.concat(parts)
    info = {
        "source": db.name,
        "representation": representation,
        "fs": p["fs"],
        "params": p,
        "lead": lead,
        "data_dir": str(folder),
        "records": names,
        "leads": {k: v for part in parts for k, v in part.info["leads"].items()},
        "dropped_at_ends": {k: v for part in parts for k, v in part.info["dropped_at_ends"].items()},
        "class_names": list(CLASS_NAMES),
        "peaks": peaks,
    }
    if template_width:
        info.update(template_width=template_width, template_regular=template_regular)
    if verbose:
        dropped = sum(info["dropped_at_ends"].values())
        print(f"Built {len(beats)} {representation} beats from {len(names)} records in "
              f"{time.perf_counter() - t0:.1f} s ({built} built, {len(names) - built} from cache; "
              f"{dropped} beats too close to a record end) - {beats.counts()}"
              + (f", {int((~beats.is_labelled).sum())} detections matching no reference beat" if peaks == "detected" else ""),
              flush=True)
    return Beats(beats.X, beats.y, beats.record, beats.sample, beats.rr, info, beats.template)


def _cached(path, name):
    """The beats cached at ``path``, or None when there are none; a corrupt entry is deleted (with a warning)
    and None returned, so that the record is rebuilt."""
    if path is None or not path.exists():
        return None
    try:
        part = Beats.load(path)
        if name not in part.info.get("leads", {}):
            raise DataError(f"{path}: holds the beats of another record")
        return part
    except DataError as exc:
        warnings.warn(f"{exc}; rebuilding record {name}", stacklevel=3)
        try:
            path.unlink(missing_ok=True)
        except OSError:  # a read-only cache: the rebuilt beats cannot replace it either (a warning says so)
            pass
        return None


def load_split(split="interpatient", representation="kaggle", records=None, data_dir=None, seed=0,
               template_width=None, split_options=None, verbose=True, database="mitdb", **build_options) -> Split:
    """Read the data and split it in one call: what the notebooks and the benchmark use.

    ``split="kaggle"`` reads ``mitbih_train.csv`` and ``mitbih_test.csv`` from the data folder (the
    representation is then fixed: the CSVs are Kaggle beats); the other splits build beats from the
    ``database``'s records (``"mitdb"``, ``"svdb"``: :mod:`ecg_utils.io.databases`) with :func:`build_beats`
    (``records``, ``representation`` and ``**build_options``), split by that database's protocol sides. ``template_width`` adds each beat's patient template
    (:func:`ecg_utils.signal.templates.add_templates`), computed on whole records before splitting (and cached with
    the beats); ``template_regular`` may be among ``**build_options``.
    """
    split_options = dict(split_options or {})
    if split == "kaggle":
        files = find_kaggle_files(find_data_dir(data_dir, kind="kaggle"))
        missing = {"mitbih_train.csv", "mitbih_test.csv"} - set(files)
        if missing:
            raise DataError(f"the kaggle split needs {', '.join(sorted(missing))} next to the other Kaggle CSVs")
        return split_kaggle(load_kaggle_csv(files["mitbih_train.csv"]), load_kaggle_csv(files["mitbih_test.csv"]),
                            seed=seed, **split_options)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    beats = build_beats(database, data_dir, records=records, representation=representation, verbose=verbose,
                        template_width=template_width, **build_options)
    # detections that match no reference beat (beats cut at detected peaks) are neither normal nor abnormal
    unlabelled = int((~beats.is_labelled).sum())
    result = make_split(split, beats[beats.is_labelled] if unlabelled else beats, seed=seed, **split_options)
    result.info["peaks"] = beats.info.get("peaks", "reference")
    result.info["unlabelled_left_out"] = unlabelled
    return result


def second_lead_beats(beats: Beats) -> Beats:
    """The same beats cut from each record's second lead, as a scan reads it beside the first
    (:func:`ecg_utils.io.other_lead.read_other_lead`), with that lead's own templates when ``beats`` have templates:
    what :func:`ecg_utils.scan.kinds.classify` takes as ``second``.

    ``beats`` are beats of WFDB records built by :func:`build_beats` (their ``info`` names the folder, the lead read and
    the cutting parameters); the result has their order, labels and samples.

    Raises
    ------
    DataError
        For beats without their records' folder (Kaggle rows), or a record with no second ECG lead.
    """
    from ecg_utils.io.other_lead import read_other_lead
    from ecg_utils.io.recording import read_recording

    info = beats.info
    if "data_dir" not in info or "leads" not in info:
        raise DataError(f"{info.get('file', 'beats')}: the second lead is read from the beats' records; these beats "
                        "do not say where their records are (build them with build_beats)")
    folder, width = Path(info["data_dir"]), info.get("template_width")
    X = np.empty_like(beats.X)
    template = None if beats.template is None else np.empty_like(beats.X)
    leads = {}
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        idx = idx[np.argsort(beats.sample[idx], kind="stable")]
        path = folder / f"{record}.hea"
        other = read_other_lead(read_recording(str(path), lead=info["leads"][record]))
        if other is None:
            raise DataError(f"{path}: record {record} has no second ECG lead to read beside {info['leads'][record]}")
        part = beats_from_peaks(other.signal, other.fs, beats.sample[idx], info["representation"], record,
                                params=info.get("params"))
        if not np.array_equal(part.sample, beats.sample[idx]):
            raise DataError(f"{path}: lead {other.lead} is shorter than lead {info['leads'][record]}; the same beats "
                            "cannot be cut from it")
        if template is not None:
            part = add_templates(part, width or 101, info.get("template_regular", TEMPLATE_REGULAR))
            template[idx] = part.template
        X[idx] = part.X
        leads[record] = other.lead
    return Beats(X, beats.y, beats.record, beats.sample, beats.rr, {**info, "leads": leads}, template)
