"""Shared fixtures: the real MIT-BIH records (``$ECG_DATA_DIR``, else ``../shared/data/mitdb``)."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from ecg_utils import config  # noqa: E402

SHARED_MITDB = config.PROJ_ROOT.parent / "shared" / "data" / "mitdb"


def _mitdb_dir():
    env = os.environ.get(config.DATA_ENV)
    for folder in ([Path(env)] if env else []) + [SHARED_MITDB]:
        if (folder / "119.hea").exists():
            return folder
    return None


@pytest.fixture(scope="session")
def mitdb_dir():
    """The folder of real WFDB records; tests needing it are skipped (with the reason) when absent."""
    folder = _mitdb_dir()
    if folder is None:
        pytest.skip(f"no MIT-BIH records: set {config.DATA_ENV} to a folder holding them")
    return folder


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Keep the beat cache of the whole test session (module fixtures included) out of data/processed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(config.CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))
        yield
