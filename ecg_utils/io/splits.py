"""Train / validation / test splits of labelled beats, each saying whether patients are shared between train and test.

Every split returns a :class:`Split`: ``train`` and ``validation`` hold normal beats only (the
autoencoder learns from ``train``, the threshold from ``validation``), ``test`` holds every class.

- ``interpatient``: de Chazal et al. (2004) DS1 -> DS2; the honest protocol, no patient on both sides.
- ``development``: DS1 alone, split by record into train / validation / test: for choosing between
  designs without ever looking at DS2 (the test set of ``interpatient``).
- ``random``: a seeded, stratified random split of beats (patients mixed, as the Kaggle split and the
  BeatGAN paper do); optimistic.
- ``kaggle``: the Kaggle CSVs' own train / test files (patients mixed; the rows carry no record id).

:func:`ecg_utils.signal.build.load_split` builds the beats and splits them in one call.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.databases import Database, get_database
from ecg_utils.io.databases import registry as databases
from ecg_utils.io.databases.mitdb import DS1, DS2  # noqa: F401 (their 0.1 home: ecg_utils.splits.DS1)
from ecg_utils.io.dataset import Beats

SPLITS = ("interpatient", "development", "random", "kaggle")

#: The share of the training side's records held out of training for the threshold (``n_validation_records=None``):
#: the threshold and each evidence's reference are learned across that many patients. Chosen on the development
#: split (``python -m bench.calibration``): with 4 of 16 records the normal false-positive rate at the threshold
#: swung 1-29% between record draws, with 8 it stayed within 3-7%, and the ROC AUC did not drop.
VALIDATION_SHARE = 0.5


def _n_validation(n_validation_records, available) -> int:
    """Validation records to draw out of ``available`` training-side ones: the number asked, or with None a
    :data:`VALIDATION_SHARE` of them; at least 1 and always leaving 1 to train on (0 when only 1 is available)."""
    if n_validation_records is None:
        n = int(available * VALIDATION_SHARE)
    elif isinstance(n_validation_records, (int, np.integer)) and not isinstance(n_validation_records, bool) \
            and n_validation_records >= 1:
        n = int(n_validation_records)
    else:
        raise ValueError(f"n_validation_records must be an integer >= 1 or None (half the training side's records), "
                         f"got {n_validation_records!r}")
    return max(0, min(max(n, 1), available - 1))


@dataclass
class Split:
    """Normal training beats, normal validation beats (for the threshold), and labelled test beats."""

    train: Beats
    validation: Beats
    test: Beats
    info: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One paragraph a report can print: the split, whether patients are shared, the beats on each side."""
        i = self.info
        mixed = "patients SHARED between train and test" if i["patients_mixed"] else "no patient on both sides"
        return (f"{i['name']} split ({mixed}): train {len(self.train)} normal beats, validation "
                f"{len(self.validation)} normal beats, test {len(self.test)} beats {self.test.counts()}. "
                f"{i['description']}")

    def summary(self) -> str:
        """:meth:`describe` under its 0.1 name (deprecated: a summary is a dict of numbers elsewhere)."""
        warnings.warn("Split.summary() is now Split.describe(); the old name works until ecg-detector 0.3",
                      DeprecationWarning, stacklevel=2)
        return self.describe()


def database_of(beats: Beats) -> Database:
    """The database the beats were built from (``info["source"]``); MIT-BIH for beats that do not say."""
    source = beats.info.get("source")
    return get_database(source if source in databases() else "mitdb")


def split_interpatient(beats: Beats, validation_records=None, n_validation_records=None, seed=0, reverse=False) -> Split:
    """de Chazal's inter-patient split: train on DS1 normals, test on DS2; paced records excluded.

    The two sides are the database's (:attr:`ecg_utils.io.databases.Database.sides`: MIT-BIH's DS1 and DS2; another
    database's own), read from where the beats were built (:func:`database_of`).

    Validation normals come from whole DS1 records held out of training (``validation_records``, or
    ``n_validation_records`` drawn with ``seed``; by default a :data:`VALIDATION_SHARE` of DS1's records), so the
    threshold is set on patients the model has not seen, as the test patients will be. Abnormal beats of DS1 are not used.

    ``reverse=True`` swaps the sides (DS2 normals -> DS1): with both directions every record is tested once by
    a model that never saw its patient (the every-record protocol of ``python -m bench.records``). DS1 is where
    designs are chosen, so the reverse direction evaluates, it does not choose.
    """
    db = database_of(beats)
    (name1, side1), (name2, side2) = db.sides.items()
    present = set(beats.records())
    ds1 = [r for r in side1 if r in present]
    ds2 = [r for r in side2 if r in present]
    if reverse:
        ds1, ds2, name1, name2 = ds2, ds1, name2, name1
    if not ds1 or not ds2:
        raise DataError(f"interpatient split needs records of both {name1} and {name2} ({db.title}); present: "
                        f"{sorted(present)}")
    if validation_records is None:
        rng = np.random.default_rng(seed)
        k = _n_validation(n_validation_records, len(ds1))
        validation_records = sorted(rng.choice(ds1, size=k, replace=False).tolist()) if k > 0 else []
    validation_records = [str(r) for r in validation_records]
    stray = set(validation_records) - set(ds1)
    if stray:
        raise DataError(f"validation records {sorted(stray)} are not {name1} (training side) records present here")
    train_records = [r for r in ds1 if r not in validation_records]
    normal = beats.is_normal
    train = beats[np.isin(beats.record, train_records) & normal]
    validation = beats[np.isin(beats.record, validation_records) & normal] if validation_records else None
    if validation is None or len(validation) == 0:
        # a single DS1 record: hold out the last 20% of its normal beats (in time) instead
        idx = np.flatnonzero(np.isin(beats.record, ds1) & normal)
        cut = int(len(idx) * 0.8)
        train, validation = beats[idx[:cut]], beats[idx[cut:]]
    test = beats[np.isin(beats.record, ds2)]
    info = {
        "name": "interpatient" + (f" (reversed: {name1} -> {name2})" if reverse else ""),
        "database": db.name,
        "patients_mixed": False,
        "train_records": train_records,
        "validation_records": validation_records,
        "test_records": ds2,
        "missing_records": sorted((set(side1) | set(side2)) - present),
        "excluded_records": sorted(present - set(side1) - set(side2)),
        "seed": seed,
        "description": (f"{db.title}, {name1} -> {name2}"
                        + (" (the protocol's sides swapped)" if reverse else "")
                        + f": the model and threshold see {name1} patients only"
                        + (f"; paced records {', '.join(db.excluded)} excluded." if db.excluded else ".")),
    }
    return Split(train, validation, test, info)


def split_development(beats: Beats, n_validation_records=None, n_test_records=6, seed=0) -> Split:
    """DS1 only, three ways by record (seeded): train normals, validation normals, and a labelled test set.

    Use it to compare designs; DS2 stays untouched until the ``interpatient`` evaluation. Validation takes
    ``n_validation_records``, by default a :data:`VALIDATION_SHARE` of the records not tested.
    """
    db = database_of(beats)
    side = next(iter(db.sides))
    ds1 = [r for r in db.train_side if r in set(beats.records())]
    if len(ds1) < 3:
        raise DataError(f"development split needs at least 3 {side} records ({db.title}); present: {ds1}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(ds1).tolist()
    n_test = min(n_test_records, len(ds1) - 2)
    n_val = _n_validation(n_validation_records, len(ds1) - n_test)
    test_records, val_records = sorted(order[:n_test]), sorted(order[n_test:n_test + n_val])
    train_records = sorted(order[n_test + n_val:])
    normal = beats.is_normal
    info = {
        "name": "development",
        "database": db.name,
        "patients_mixed": False,
        "train_records": train_records,
        "validation_records": val_records,
        "test_records": test_records,
        "seed": seed,
        "description": f"{side} records split three ways by record, for choosing designs; the protocol's test side is "
                       "not touched.",
    }
    return Split(beats[np.isin(beats.record, train_records) & normal], beats[np.isin(beats.record, val_records) & normal],
                 beats[np.isin(beats.record, test_records)], info)


def split_random(beats: Beats, test_size=0.2, validation_size=0.1, seed=0, exclude_paced=True) -> Split:
    """Seeded, class-stratified random split of beats (intra-patient: patients are mixed).

    ``test_size`` of each class goes to test; of the rest, the normal beats are split into train and
    ``validation_size`` validation; remaining abnormal beats are unused.
    """
    excluded = database_of(beats).excluded
    keep = ~np.isin(beats.record, excluded) if exclude_paced else np.ones(len(beats), bool)
    idx = np.flatnonzero(keep)
    from sklearn.model_selection import train_test_split  # here: importing the package stays light (1 s less)

    rest, test_idx = train_test_split(idx, test_size=test_size, stratify=beats.y[idx], random_state=seed)
    rest_normal = rest[beats.y[rest] == 0]
    train_idx, val_idx = train_test_split(rest_normal, test_size=validation_size, random_state=seed)
    info = {
        "name": "random",
        "patients_mixed": True,
        "records": sorted(set(beats.record[idx].tolist())),
        "excluded_records": sorted(set(excluded) & set(beats.records())) if exclude_paced else [],
        "test_size": test_size,
        "validation_size": validation_size,
        "seed": seed,
        "description": ("Random stratified beat split: beats of the same patient are on both sides, "
                        "so results are optimistic (intra-patient)."),
    }
    return Split(beats[np.sort(train_idx)], beats[np.sort(val_idx)], beats[np.sort(test_idx)], info)


def split_kaggle(train: Beats, test: Beats, validation_size=0.1, seed=0) -> Split:
    """The Kaggle files' own split: normals of ``mitbih_train.csv`` for training, ``mitbih_test.csv`` to test.

    The Kaggle rows carry no record id and its train and test files share patients.
    """
    normal = np.flatnonzero(train.is_normal)
    from sklearn.model_selection import train_test_split

    train_idx, val_idx = train_test_split(normal, test_size=validation_size, random_state=seed)
    info = {
        "name": "kaggle",
        "patients_mixed": True,
        "validation_size": validation_size,
        "seed": seed,
        "description": ("The Kaggle CSVs' own train/test split: the same patients appear on both sides "
                        "(intra-patient), so results are optimistic."),
    }
    return Split(train[np.sort(train_idx)], train[np.sort(val_idx)], test, info)


def make_split(name, beats=None, kaggle_test=None, seed=0, **kwargs) -> Split:
    """Dispatch on the split's name: ``interpatient``, ``random`` (both on ``beats``) or ``kaggle``
    (``beats`` = the Kaggle train file, ``kaggle_test`` = its test file)."""
    if name == "interpatient":
        return split_interpatient(beats, seed=seed, **kwargs)
    if name == "development":
        return split_development(beats, seed=seed, **kwargs)
    if name == "random":
        return split_random(beats, seed=seed, **kwargs)
    if name == "kaggle":
        if kaggle_test is None:
            raise ValueError("the kaggle split needs the Kaggle train file as beats and its test file as kaggle_test")
        return split_kaggle(beats, kaggle_test, seed=seed, **kwargs)
    raise ValueError(f"split must be one of {SPLITS}, got {name!r}")
