"""The annotated ECG databases the project trains and measures on: one module each, found by :func:`registry`.

A database is what :class:`Database` says: its records, where its files are (a setting), the lead to read, its
rate, its beat labels (MIT-BIH symbols -> AAMI classes), the records left out of the protocols (paced), and the two
sides of its inter-patient protocol. Every reader, beat builder, split and benchmark takes a database by name
(``database="mitdb"``, ``"svdb"``), so adding a third is one module here defining ``DATABASE``.

Where its files are: ``data_dir=`` if given; else ``$ECG_<NAME>_DIR`` (``ECG_SVDB_DIR``); for MIT-BIH also
``$ECG_DATA_DIR``; else the folder named like the database beside ``$ECG_DATA_DIR``'s (``../shared/data/svdb``
beside ``../shared/data/mitdb``); else ``data/raw/<name>``.

>>> sorted(registry())
['mitdb', 'svdb']
>>> get_database("svdb").fs
128.0
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

from ecg_utils import config

#: AAMI EC57's mapping of the MIT-BIH beat annotation symbols to classes 0-4 = N, S, V, F, Q (the MIT-BIH
#: Arrhythmia and Supraventricular Arrhythmia databases use the same symbols). Symbols not listed (rhythm changes,
#: noise, '|', '~', '+', '!', 'x', ...) are not beats and are skipped.
AAMI_CLASSES = {
    "N": 0, "L": 0, "R": 0, "e": 0, "j": 0,
    "A": 1, "a": 1, "J": 1, "S": 1,
    "V": 2, "E": 2,
    "F": 3,
    "/": 4, "f": 4, "Q": 4,
}


@dataclass(frozen=True)
class Database:
    """One annotated database.

    Attributes
    ----------
    name : str
        Its short name (PhysioNet's: ``"mitdb"``), as every function takes it.
    title : str
    fs : float
        Its sampling rate (Hz).
    leads : tuple of str
        The leads to read, in order of preference; a record with none of them gives its first lead.
    records : tuple of str
        Every record of the database (a folder may hold a subset: code says which it used).
    excluded : tuple of str
        Records left out of every protocol (paced records).
    sides : dict of str -> tuple of str
        The two sides of the inter-patient protocol, by name, training side first (MIT-BIH: de Chazal's DS1, DS2).
    beat_classes : dict
        Annotation symbol -> class index (:data:`AAMI_CLASSES`).
    checksums : Path or None
        PhysioNet's SHA-256 checksums of its files, shipped with the package (downloads are verified against it).
    test_records : tuple of str
        The records the test suite reads (``ecg-detector download --for-tests`` fetches them when absent).
    """

    name: str
    title: str
    fs: float
    leads: tuple
    records: tuple
    sides: dict
    excluded: tuple = ()
    beat_classes: dict = field(default_factory=lambda: dict(AAMI_CLASSES))
    checksums: Path | None = None
    test_records: tuple = ()

    @property
    def env(self) -> str:
        """The environment variable naming its folder (``ECG_SVDB_DIR``)."""
        return f"ECG_{self.name.upper()}_DIR"

    @property
    def train_side(self) -> tuple:
        """The records of the protocol's training side (where designs are chosen)."""
        return tuple(next(iter(self.sides.values())))

    @property
    def test_side(self) -> tuple:
        """The records of the protocol's test side (reported, never used to choose)."""
        return tuple(list(self.sides.values())[1])

    def candidate_dirs(self, data_dir=None) -> list:
        """The folders searched for its files, in order (see the module docstring)."""
        if data_dir is not None:
            return [Path(data_dir)]
        out = []
        if os.environ.get(self.env):
            out.append(Path(os.environ[self.env]))
        shared = os.environ.get(config.DATA_ENV)
        if shared:
            out.append(Path(shared) if self.name == "mitdb" else Path(shared).parent / self.name)
        return out + [config.RAW_DIR / self.name] + ([config.RAW_DIR, config.DATA_DIR] if self.name == "mitdb" else [])


def registry() -> dict:
    """Every database of this package, by name: each module here that defines ``DATABASE``."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        db = getattr(module, "DATABASE", None)
        if isinstance(db, Database):
            found[db.name] = db
    return found


def get_database(database="mitdb") -> Database:
    """A database by name (or the :class:`Database` itself). ValueError naming the known ones for an unknown name."""
    if isinstance(database, Database):
        return database
    known = registry()
    if database not in known:
        raise ValueError(f"unknown database {database!r}; known: {', '.join(known)}")
    return known[database]
