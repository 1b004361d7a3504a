"""Reading: where the data is, PhysioNet MIT-BIH records (WFDB), and the Kaggle heartbeat CSVs.

The one setting is the environment variable ``ECG_DATA_DIR`` (or a ``data_dir=`` argument): a folder
holding the MIT-BIH WFDB files (``NNN.hea``, ``NNN.dat``, ``NNN.atr``) and/or the Kaggle CSVs.
Without it, ``data/raw/mitdb``, ``data/raw`` and ``data/`` are searched; :func:`download_mitdb`
fetches the database from PhysioNet into ``data/raw/mitdb``.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_utils import config
from ecg_utils.errors import DataError
from ecg_utils.kaggle import find_kaggle_files, load_kaggle_csv, write_kaggle_csv  # noqa: F401 (the reading layer)

#: All 48 records of the MIT-BIH Arrhythmia Database.
MITDB_RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 123 124 "
    "200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 228 230 231 232 233 234"
).split()
#: Records with a pacemaker, excluded from the inter-patient protocol (AAMI EC57).
PACED_RECORDS = ("102", "104", "107", "217")

#: AAMI EC57 mapping of MIT-BIH beat annotation symbols to classes 0-4 = N, S, V, F, Q.
#: Symbols not listed (rhythm changes, noise, '|', '~', '+', '!', 'x', ...) are not beats and are skipped.
AAMI_CLASSES = {
    "N": 0, "L": 0, "R": 0, "e": 0, "j": 0,
    "A": 1, "a": 1, "J": 1, "S": 1,
    "V": 2, "E": 2,
    "F": 3,
    "/": 4, "f": 4, "Q": 4,
}

#: The records the test suite reads (``tests/conftest.py``; traced over a whole run, and every record a test names:
#: ``tests/test_catalogue.py`` checks); ``./run_all.sh test`` fetches them when absent.
TEST_RECORDS = ("101", "102", "105", "106", "114", "115", "119", "122", "200", "201", "203", "208", "209", "232", "233")
#: PhysioNet's own SHA-256 checksums of the MIT-BIH files (``SHA256SUMS.txt`` of mitdb 1.0.0; the 44 records
#: other than 100, 213, 221, 222).
SHA256SUMS = Path(__file__).resolve().parent / "mitdb_SHA256SUMS.txt"

HOW_TO_GET_DATA = (
    "Get the data in one of three ways: (1) set ECG_DATA_DIR to a folder holding the MIT-BIH WFDB files "
    "(NNN.hea/.dat/.atr) or the Kaggle CSVs; (2) put the Kaggle 'ECG Heartbeat Categorization' CSVs "
    "(mitbih_train.csv, ...) in data/; (3) run `ecg-detector download` (or "
    "ecg_utils.data.download_mitdb()) to fetch the MIT-BIH Arrhythmia Database from PhysioNet (about 100 MB) "
    "into data/raw/mitdb."
)


@dataclass(frozen=True)
class Record:
    """One MIT-BIH record: lead MLII and its reference beat annotations."""

    name: str
    signal: np.ndarray  # float64 (n,), millivolts
    fs: float
    ann_sample: np.ndarray  # int64, positions of all annotations
    ann_symbol: np.ndarray  # str, their symbols
    lead: str
    ann_aux: np.ndarray | None = None  # str, their aux notes (rhythm changes such as "(AFIB", "(VFL")

    def beats(self):
        """Positions and AAMI classes of the annotated beats (non-beat annotations dropped)."""
        keep = np.isin(self.ann_symbol, list(AAMI_CLASSES))
        classes = np.array([AAMI_CLASSES[s] for s in self.ann_symbol[keep]], dtype=np.int64)
        return self.ann_sample[keep], classes

    def rhythm_episodes(self, prefixes) -> list:
        """(start, end) samples of the rhythm episodes whose aux note starts with one of ``prefixes``
        (e.g. ``("(VFL", "(VF")``): from that rhythm annotation to the next rhythm annotation or the end."""
        if self.ann_aux is None:
            return []
        aux = np.char.strip(self.ann_aux.astype(str), "\x00")
        marks = np.flatnonzero(np.char.startswith(aux, "("))
        out = []
        for k, i in enumerate(marks):
            if aux[i].startswith(tuple(prefixes)):
                end = self.ann_sample[marks[k + 1]] if k + 1 < len(marks) else len(self.signal)
                out.append((int(self.ann_sample[i]), int(end)))
        return out


def candidate_dirs(data_dir=None) -> list:
    """The folders searched for data, in order: the argument, ``$ECG_DATA_DIR``, then ``data/`` places."""
    if data_dir is not None:
        return [Path(data_dir)]
    env = os.environ.get(config.DATA_ENV)
    if env:
        return [Path(env)]
    return [config.RAW_DIR / "mitdb", config.RAW_DIR, config.DATA_DIR]


def mitdb_records(folder) -> list:
    """The MIT-BIH records present in ``folder`` (those with a header, a signal and annotations)."""
    folder = Path(folder)
    return sorted(p.stem for p in folder.glob("*.hea")
                  if (folder / f"{p.stem}.dat").exists() and (folder / f"{p.stem}.atr").exists())


def missing_files(folder, name) -> list:
    """The files of record ``name`` absent from ``folder`` (``["101.dat"]``), among its ``.hea``, ``.dat`` and
    ``.atr``."""
    return [f"{name}.{ext}" for ext in ("hea", "dat", "atr") if not (Path(folder) / f"{name}.{ext}").is_file()]


def incomplete_records(folder) -> dict:
    """Records of ``folder`` with a header but no signal or annotation file: ``{"101": ["101.dat"]}``."""
    out = {}
    for hea in sorted(Path(folder).glob("*.hea")):
        missing = missing_files(folder, hea.stem)
        if missing:
            out[hea.stem] = missing
    return out


def find_data_dir(data_dir=None, kind="mitdb") -> Path:
    """The folder holding MIT-BIH records (``kind="mitdb"``) or Kaggle CSVs (``kind="kaggle"``).

    Raises
    ------
    DataError
        When no searched folder holds that kind of data; the message says how to get it.
    """
    if kind not in ("mitdb", "kaggle"):
        raise ValueError(f"kind must be 'mitdb' or 'kaggle', got {kind!r}")
    # a folder of WFDB headers holds records, complete or not: resolve_records names the missing files
    has_data = find_kaggle_files if kind == "kaggle" else lambda f: mitdb_records(f) or incomplete_records(f)
    searched = candidate_dirs(data_dir)
    for folder in searched:
        if folder.is_dir() and has_data(folder):
            return folder
    what = "MIT-BIH WFDB records" if kind == "mitdb" else "Kaggle heartbeat CSVs"
    raise DataError(f"No {what} found in {', '.join(str(f) for f in searched)}. {HOW_TO_GET_DATA}")


def download_mitdb(dest=None, records=None) -> Path:
    """Download the MIT-BIH Arrhythmia Database from PhysioNet with ``wfdb.dl_database``.

    Parameters
    ----------
    dest : path, optional
        Target folder (default ``data/raw/mitdb``). Files already there are not fetched again.
    records : list of str, optional
        A subset of records (default all 48; duplicates dropped).

    Every record whose PhysioNet SHA-256 checksums are known (:data:`SHA256SUMS`) is verified after the
    download; a mismatch, a failed download or a missing record raises :class:`DataError` in one line.

    Returns
    -------
    Path
        The folder, ready for ``ECG_DATA_DIR``.
    """
    import wfdb

    dest = Path(dest or config.RAW_DIR / "mitdb")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    wanted = list(dict.fromkeys(str(r) for r in records)) if records is not None else "all"
    print(f"Downloading the MIT-BIH Arrhythmia Database from PhysioNet into {dest} ...", flush=True)
    try:
        wfdb.dl_database("mitdb", dl_dir=str(dest), records=wanted, annotators=["atr"], overwrite=False)
    except Exception as exc:  # network errors come in many types; say what happened in one line
        if created and not any(dest.iterdir()):
            dest.rmdir()  # leave no empty folder behind for the next search to find
        raise DataError(f"Download of the MIT-BIH database into {dest} failed: {exc}. {HOW_TO_GET_DATA}") from exc
    present = mitdb_records(dest)
    missing = sorted(set(MITDB_RECORDS if wanted == "all" else wanted) - set(present))
    sums = physionet_sha256()
    verify_sha256(dest, [r for r in present if f"{r}.dat" in sums])
    if missing:
        raise DataError(f"Download into {dest} is incomplete: records {', '.join(missing)} are missing")
    print(f"Downloaded {len(present)} records into {dest}", flush=True)
    return dest


def physionet_sha256() -> dict:
    """PhysioNet's SHA-256 checksum of each MIT-BIH file it is known for: ``{"101.dat": "698d...", ...}``."""
    return {name: digest for digest, name in (line.split() for line in SHA256SUMS.read_text().splitlines()
                                               if line.strip())}


def verify_sha256(folder, records) -> None:
    """Check the files of ``records`` in ``folder`` against PhysioNet's SHA-256 checksums (:data:`SHA256SUMS`).

    Raises
    ------
    DataError
        Naming the first file that is missing or whose checksum differs, or a record with no known checksums.
    """
    known = physionet_sha256()
    for record in records:
        for ext in ("hea", "dat", "atr"):
            name = f"{record}.{ext}"
            if name not in known:
                raise DataError(f"{name}: no PhysioNet checksum is known for it (see {SHA256SUMS.name})")
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


def resolve_records(folder, records=None) -> list:
    """The records to read from ``folder``: the requested ones (duplicates dropped, order kept) or, by default,
    every record there.

    No record is dropped silently: a requested record without all three files, or (by default) a record whose
    header is there without its signal or annotations, is an error naming the missing files.

    Raises
    ------
    DataError
        Listing every unusable record and its missing files (``101: 101.dat missing``).
    """
    if records is None:
        incomplete = incomplete_records(folder)
        if incomplete:
            raise DataError(f"{folder}: " + "; ".join(f"record {r} is incomplete: {', '.join(m)} missing"
                                                      for r, m in incomplete.items())
                            + " (restore the files, or pass the records to use)")
        present = mitdb_records(folder)
        if not present:
            raise DataError(f"{folder}: no MIT-BIH records (NNN.hea/.dat/.atr) found. {HOW_TO_GET_DATA}")
        return present
    if isinstance(records, (str, bytes)):
        raise DataError(f"records must be a list of record names, got the string {records!r}")
    wanted = list(dict.fromkeys(str(r) for r in records))
    if not wanted:
        raise DataError(f"{folder}: an empty list of records was asked for; pass record names or None for all")
    missing = {r: missing_files(folder, r) for r in wanted}
    missing = {r: m for r, m in missing.items() if m}
    if missing:
        present = mitdb_records(folder)
        raise DataError(f"{folder}: " + "; ".join(f"record {r}: {', '.join(m)} missing" for r, m in missing.items())
                        + f" ({len(present)} complete records are: {' '.join(present)})")
    return wanted


def read_record(folder, name, lead="MLII", fallback=False) -> Record:
    """Read one record's ``lead`` (found by name, not position) and its ``atr`` annotations, checked.

    With ``fallback=True`` a record without that lead (102 and 104 have no MLII) gives its first lead;
    ``Record.lead`` says which was read. The signal file's size and the checksum its header states are
    verified, and the annotations must be a WFDB annotation file inside the signal
    (:mod:`ecg_utils.wfdb_io`).

    Raises
    ------
    DataError
        Naming the file that is missing, corrupt or inconsistent with its header (``101.dat: truncated ...``).
    """
    from ecg_utils.wfdb_io import read_annotations, read_header, read_signal

    base = Path(folder) / str(name)
    hea = Path(f"{base}.hea")
    header = read_header(hea)
    names = list(header.sig_name or [])
    if lead not in names and fallback and names:
        lead = names[0]
    if lead not in names:
        raise DataError(f"{hea}: record {name} has no lead {lead} (leads: {', '.join(names)})")
    signal = read_signal(hea, header, names.index(lead), check_all=True)
    sample, symbol, aux = read_annotations(base, "atr", header.sig_len)
    if not np.isin(symbol, list(AAMI_CLASSES)).any():
        raise DataError(f"{base}.atr: none of its {len(symbol)} annotations is a beat: no reference beats")
    if not np.isfinite(signal).all():
        signal = _fill_gaps(signal, hea)
    return Record(str(name), signal, float(header.fs), sample, symbol, lead, aux)


def _fill_gaps(signal, path="record"):
    """Linearly interpolate over NaN samples (WFDB marks invalid samples as NaN)."""
    bad = ~np.isfinite(signal)
    good = np.flatnonzero(~bad)
    if good.size == 0:
        raise DataError(f"{path}: the signal has no valid samples")
    out = signal.copy()
    out[bad] = np.interp(np.flatnonzero(bad), good, signal[good])
    return out


def copy_without_annotations(name, dest, data_dir=None) -> Path:
    """Copy a record's header and signal (not its annotations) into ``dest``: a recording as a user would have
    it, for trying the scan. Returns the copy's ``.hea`` path."""
    import shutil

    folder = find_data_dir(data_dir, kind="mitdb")
    resolve_records(folder, [name])
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for ext in ("hea", "dat"):
        shutil.copyfile(folder / f"{name}.{ext}", dest / f"{name}.{ext}")
    return dest / f"{name}.hea"
