"""PhysioNet: downloading a database with ``wfdb.dl_database``, checked against PhysioNet's own SHA-256 checksums,
and finding (or fetching) the records the test suite reads.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ecg_utils import config
from ecg_utils.errors import DataError
from ecg_utils.io.databases import get_database
from ecg_utils.io.databases.mitdb import TEST_RECORDS
from ecg_utils.io.records import HOW_TO_GET_DATA, missing_files, records_in


def download_mitdb(dest=None, records=None) -> Path:
    """:func:`download` of the MIT-BIH Arrhythmia Database."""
    return download("mitdb", dest, records)


def download(database="mitdb", dest=None, records=None) -> Path:
    """Download a database (:mod:`ecg_utils.io.databases`) from PhysioNet with ``wfdb.dl_database``.

    Parameters
    ----------
    database : str
        ``"mitdb"`` or ``"svdb"``.
    dest : path, optional
        Target folder (default ``data/raw/<database>``). Files already there are not fetched again.
    records : list of str, optional
        A subset of records (default all of them; duplicates dropped).

    Every record whose PhysioNet SHA-256 checksums the package ships (the database's ``checksums``: MIT-BIH's) is
    verified after the download; a mismatch, a failed download or a missing record raises :class:`DataError` in one
    line.

    Returns
    -------
    Path
        The folder, ready for ``ECG_DATA_DIR`` (MIT-BIH) or ``ECG_<NAME>_DIR``.
    """
    import wfdb

    db = get_database(database)
    dest = Path(dest or config.RAW_DIR / db.name)
    created = not dest.exists()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{dest}: cannot download into it ({exc.strerror or exc}: {exc.filename or dest})") from None
    wanted = list(dict.fromkeys(str(r) for r in records)) if records is not None else "all"
    print(f"Downloading the {db.title} from PhysioNet into {dest} ...", flush=True)
    try:
        wfdb.dl_database(db.name, dl_dir=str(dest), records=wanted, annotators=["atr"], overwrite=False)
    except Exception as exc:  # network errors come in many types; say what happened in one line
        if created and not any(dest.iterdir()):
            dest.rmdir()  # leave no empty folder behind for the next search to find
        raise DataError(f"Download of the {db.title} into {dest} failed: {exc}. {HOW_TO_GET_DATA}") from exc
    present = records_in(dest)
    missing = sorted(set(db.records if wanted == "all" else wanted) - set(present))
    if db.checksums is not None:
        sums = physionet_sha256(db.name)
        verify_sha256(dest, [r for r in present if f"{r}.dat" in sums], db.name)
    if missing:
        raise DataError(f"Download into {dest} is incomplete: records {', '.join(missing)} are missing")
    print(f"Downloaded {len(present)} records into {dest}", flush=True)
    return dest


def physionet_sha256(database="mitdb") -> dict:
    """PhysioNet's SHA-256 checksum of each file of a database it is known for: ``{"101.dat": "698d...", ...}``."""
    path = get_database(database).checksums
    if path is None:
        return {}
    return {name: digest for digest, name in (line.split() for line in path.read_text().splitlines() if line.strip())}


def verify_sha256(folder, records, database="mitdb") -> None:
    """Check the files of ``records`` in ``folder`` against PhysioNet's SHA-256 checksums (the database's).

    Raises
    ------
    DataError
        Naming the first file that is missing or whose checksum differs, or a record with no known checksums.
    """
    known = physionet_sha256(database)
    for record in records:
        for ext in ("hea", "dat", "atr"):
            name = f"{record}.{ext}"
            if name not in known:
                raise DataError(f"{name}: no PhysioNet checksum is known for it (see "
                                f"{get_database(database).checksums.name})")
            path = Path(folder) / name
            if not path.is_file():
                raise DataError(f"{path}: missing")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != known[name]:
                raise DataError(f"{path}: SHA-256 {digest[:12]}... differs from PhysioNet's {known[name][:12]}...: "
                                "the file is corrupt or not the PhysioNet original; delete it and fetch it again")


def dirs_for_tests() -> list:
    """Where the tests look for the MIT-BIH records, in order: ``$ECG_DATA_DIR``, ``../shared/data/mitdb`` (CI),
    ``data/raw/mitdb`` (where :func:`fetch_test_records` puts them)."""
    env = os.environ.get(config.DATA_ENV)
    return ([Path(env)] if env else []) + [config.PROJ_ROOT.parent / "shared" / "data" / "mitdb",
                                           config.RAW_DIR / "mitdb"]


def find_test_records():
    """The first of :func:`dirs_for_tests` holding every record of :data:`TEST_RECORDS`, or None."""
    for folder in dirs_for_tests():
        if all(not missing_files(folder, r) for r in TEST_RECORDS):
            return folder
    return None


def fetch_test_records(dest=None) -> Path:
    """The folder of the records the tests read: one that holds them already, else ``data/raw/mitdb`` after
    downloading them from PhysioNet, checked against PhysioNet's SHA-256 checksums.

    Raises
    ------
    DataError
        One line: where the records were looked for, and why the download failed (no internet, a checksum).
    """
    found = find_test_records()
    if found is not None:
        return found
    dest = Path(dest or config.RAW_DIR / "mitdb")
    where = ", ".join(str(f) for f in dirs_for_tests())
    try:
        download_mitdb(dest, records=TEST_RECORDS)
        verify_sha256(dest, TEST_RECORDS)
    except DataError as exc:
        raise DataError(f"the tests need MIT-BIH records {' '.join(TEST_RECORDS)}, not found in {where}, and "
                        f"fetching them failed: {exc}") from None
    return dest


def svdb_dirs_for_tests() -> list:
    """Where the tests look for the SVDB records, in order: the database's settings (``$ECG_SVDB_DIR``, ``svdb``
    beside ``$ECG_DATA_DIR``'s folder), ``../shared/data/svdb`` (CI), ``data/raw/svdb``."""
    dirs = get_database("svdb").candidate_dirs() + [config.PROJ_ROOT.parent / "shared" / "data" / "svdb"]
    return list(dict.fromkeys(dirs))


def find_svdb_test_records():
    """The first of :func:`svdb_dirs_for_tests` holding every SVDB test record, or None."""
    for folder in svdb_dirs_for_tests():
        if all(not missing_files(folder, r) for r in get_database("svdb").test_records):
            return folder
    return None


def fetch_svdb_test_records(dest=None) -> Path:
    """The folder of the SVDB records the tests read: one that holds them already, else ``data/raw/svdb`` after
    downloading them from PhysioNet, SHA-256 checked.

    Raises
    ------
    DataError
        One line: where they were looked for, and why the download failed.
    """
    found = find_svdb_test_records()
    if found is not None:
        return found
    records = get_database("svdb").test_records
    dest = Path(dest or config.RAW_DIR / "svdb")
    try:
        download("svdb", dest, records=records)
        verify_sha256(dest, records, "svdb")
    except DataError as exc:
        where = ", ".join(str(f) for f in svdb_dirs_for_tests())
        raise DataError(f"the tests need SVDB records {' '.join(records)}, not found in {where}, and fetching them "
                        f"failed: {exc}") from None
    return dest


#: The noise records of the MIT-BIH Noise Stress Test Database (:mod:`ecg_utils.signal.noise_stress`).
NOISE_RECORDS = ("bw", "ma", "em")


def fetch_noise_for_tests() -> Path:
    """The folder of the noise records the tests read (``bw``, ``ma``, ``em``): the noise setting's folder when it
    holds them (:func:`ecg_utils.signal.noise_stress.find_noise_dir`), else ``nstdb-noise`` beside the MIT-BIH folder
    after fetching them from PhysioNet (``wfdb.dl_database("nstdb")``, 3 records of 30 min, about 8 MB).

    Raises
    ------
    DataError
        One line: why they could not be fetched.
    """
    import wfdb

    from ecg_utils.io.records import find_data_dir

    folder = Path(os.environ.get("ECG_NSTDB_DIR") or find_data_dir().parent / "nstdb-noise")
    if all((folder / f"{name}.{ext}").is_file() for name in NOISE_RECORDS for ext in ("hea", "dat")):
        return folder
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        wfdb.dl_database("nstdb", dl_dir=str(folder), records=list(NOISE_RECORDS), annotators=None, overwrite=False)
    except Exception as exc:  # network errors come in many types; one line
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise DataError(f"the tests need the noise records {', '.join(NOISE_RECORDS)} of the MIT-BIH Noise Stress "
                        f"Test Database in {folder}, and fetching them failed: {exc}") from None
    return folder
