"""What every benchmark module shares: where results go, the options of the training benchmarks, writing results
whole (a JSON of every number and a markdown table, from one command), and the environment they were measured in
(:func:`ecg_utils.io.environment.environment`), and where the SVDB records are."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ecg_utils.io.environment import environment  # noqa: F401 (the benchmarks' one source for it)
from ecg_utils.io.files import written_whole
from ecg_utils.io.jsonable import json_default

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results"
#: Default ``--epochs``: a cap on every autoencoder's epochs (early stopping on the validation normals
#: still applies within it), so that the full run fits in 30 minutes on two shared CPU cores. There, an
#: epoch takes ~15 s (inter-patient, 38k beats) to ~20 s (random, 58k beats) for ``baseline`` and ~7 to
#: ~11 s for ``recommended``, and the full run trains each preset 3 seeds x 2 splits: ~2.6 min of run time
#: per epoch of cap, plus ~8 min for the rest. The report says for how many runs the cap binds (the best
#: validation loss is the last epoch's). 0 = each preset's own number of epochs.
DEFAULT_EPOCHS = 6


def write_atomic(path, text) -> Path:
    """Write ``text`` whole or not at all (:func:`ecg_utils.io.files.written_whole`): a reader never sees half a file."""
    with written_whole(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def training_parser(prog, doc, seeds, epochs=DEFAULT_EPOCHS) -> argparse.ArgumentParser:
    """The options every training benchmark shares: ``--seeds``, ``--epochs``, ``--data-dir``, ``--out``."""
    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=seeds)
    p.add_argument("--epochs", type=int, default=epochs, help=f"cap on epochs (default {epochs})")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    return p


def database_parser(prog, doc, records_help) -> argparse.ArgumentParser:
    """The options of the benchmarks that scan records of both databases: ``--database``, ``--records``,
    ``--data-dir``, ``--workers``, ``--out``."""
    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=("mitdb", "svdb", "both"), default="both")
    p.add_argument("--records", nargs="+", help=records_help)
    p.add_argument("--data-dir", help="folder of the MIT-BIH records (default $ECG_DATA_DIR)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default=str(DEFAULT_OUT))
    return p


def write_results(out, name, result, text) -> None:
    """Write ``<name>.json`` (every number) and ``<name>.md`` (``text``) into ``out``, each whole or not at all,
    and print the markdown."""
    out = Path(out)
    write_atomic(out / f"{name}.json", json.dumps(result, indent=1, default=json_default))
    write_atomic(out / f"{name}.md", text)
    print(text)


def find_svdb_dir(mitdb_dir=None):
    """The folder of the MIT-BIH Supraventricular Arrhythmia Database records (the database's setting:
    ``$ECG_SVDB_DIR``, else ``svdb`` beside the MIT-BIH folder, :mod:`ecg_utils.io.databases`), or None when none
    holds a record."""
    from ecg_utils.errors import DataError
    from ecg_utils.io.records import find_data_dir

    try:
        return find_data_dir(Path(mitdb_dir).parent / "svdb" if mitdb_dir and not os.environ.get("ECG_SVDB_DIR")
                             else None, kind="svdb")
    except DataError:
        return None
