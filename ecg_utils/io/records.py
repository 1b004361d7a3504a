"""Reading WFDB databases: where the records are, which are complete, one record's lead and reference annotations.

The one setting is the environment variable ``ECG_DATA_DIR`` (or a ``data_dir=`` argument): a folder holding a
database's WFDB files (``NNN.hea``, ``NNN.dat``, ``NNN.atr``) and/or the Kaggle CSVs. Without it, ``data/raw/mitdb``,
``data/raw`` and ``data/`` are searched; :func:`ecg_utils.io.physionet.download` fetches a database from PhysioNet.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.databases import AAMI_CLASSES, get_database
from ecg_utils.io.databases import registry as databases
from ecg_utils.io.kaggle import find_kaggle_files

HOW_TO_GET_DATA = (
    "Get the data in one of three ways: (1) set ECG_DATA_DIR to a folder holding the MIT-BIH WFDB files "
    "(NNN.hea/.dat/.atr) or the Kaggle CSVs; (2) put the Kaggle 'ECG Heartbeat Categorization' CSVs "
    "(mitbih_train.csv, ...) in data/; (3) run `ecg-detector download` (or "
    "ecg_utils.io.physionet.download_mitdb()) to fetch the MIT-BIH Arrhythmia Database from PhysioNet (about 100 MB) "
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


def candidate_dirs(data_dir=None, kind="mitdb") -> list:
    """The folders searched for a database's records (``kind``: its name) or the Kaggle CSVs (``"kaggle"``), in
    order: the argument, then the settings (:meth:`ecg_utils.io.databases.Database.candidate_dirs`); the Kaggle CSVs
    are looked for where the MIT-BIH records are."""
    return get_database("mitdb" if kind == "kaggle" else kind).candidate_dirs(data_dir)


def records_in(folder) -> list:
    """The annotated records present in ``folder`` (those with a header, a signal and annotations), sorted."""
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
    """The folder holding a database's records (``kind``: its name, ``"mitdb"`` or ``"svdb"``) or the Kaggle CSVs
    (``kind="kaggle"``).

    Raises
    ------
    DataError
        When no searched folder holds that kind of data; the message says how to get it.
    """
    if kind != "kaggle" and kind not in databases():
        raise ValueError(f"kind must be a database ({', '.join(databases())}) or 'kaggle', got {kind!r}")
    # a folder of WFDB headers holds records, complete or not: resolve_records names the missing files
    has_data = find_kaggle_files if kind == "kaggle" else lambda f: records_in(f) or incomplete_records(f)
    searched = candidate_dirs(data_dir, kind)
    for folder in searched:
        if folder.is_dir() and has_data(folder):
            return folder
    what = "Kaggle heartbeat CSVs" if kind == "kaggle" else f"{get_database(kind).title} records (WFDB)"
    if kind in ("mitdb", "kaggle"):
        how = HOW_TO_GET_DATA
    else:
        db = get_database(kind)
        how = (f"Set {db.env} to a folder holding its WFDB files (NNN.hea/.dat/.atr), put them in a folder "
               f"'{db.name}' beside the MIT-BIH folder ECG_DATA_DIR names, or run `ecg-detector download --database "
               f"{db.name}` to fetch it from PhysioNet into data/raw/{db.name}.")
    raise DataError(f"No {what} found in {', '.join(str(f) for f in searched)}. {how}")


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
        present = records_in(folder)
        if not present:
            raise DataError(f"{folder}: no annotated WFDB records (NNN.hea/.dat/.atr) found. {HOW_TO_GET_DATA}")
        return present
    if isinstance(records, (str, bytes)):
        raise DataError(f"records must be a list of record names, got the string {records!r}")
    wanted = list(dict.fromkeys(str(r) for r in records))
    if not wanted:
        raise DataError(f"{folder}: an empty list of records was asked for; pass record names or None for all")
    missing = {r: missing_files(folder, r) for r in wanted}
    missing = {r: m for r, m in missing.items() if m}
    if missing:
        present = records_in(folder)
        raise DataError(f"{folder}: " + "; ".join(f"record {r}: {', '.join(m)} missing" for r, m in missing.items())
                        + f" ({len(present)} complete records are: {' '.join(present)})")
    return wanted


def read_record(folder, name, lead="MLII", fallback=False) -> Record:
    """Read one record's ``lead`` (found by name, not position) and its ``atr`` annotations, checked.

    With ``fallback=True`` a record without that lead (102 and 104 have no MLII) gives its first lead;
    ``Record.lead`` says which was read. The signal file's size and the checksum its header states are
    verified, and the annotations must be a WFDB annotation file inside the signal
    (:mod:`ecg_utils.io.wfdb_io`).

    Raises
    ------
    DataError
        Naming the file that is missing, corrupt or inconsistent with its header (``101.dat: truncated ...``).
    """
    from ecg_utils.io.wfdb_io import read_annotations, read_header, read_signal

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


def __getattr__(name):
    if name == "mitdb_records":  # its 0.1 name: it lists any database's records
        import warnings

        warnings.warn("mitdb_records is now records_in; the old name works until ecg-detector 0.3", DeprecationWarning,
                      stacklevel=2)
        return records_in
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
