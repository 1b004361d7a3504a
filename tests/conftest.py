"""Shared fixtures: the real MIT-BIH records (``$ECG_DATA_DIR``, else ``../shared/data/mitdb``)."""
import os
import shutil
import subprocess
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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def run_chromium(tmp_path, *args):
    """Headless Debian chromium on a page (``--dump-dom URL`` returns the DOM after scripts ran); skips the test
    when chromium is not installed (``.ci/run`` installs it)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    out = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout
