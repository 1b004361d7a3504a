"""Shared fixtures: the real MIT-BIH records (``$ECG_DATA_DIR``, else ``../shared/data/mitdb``, else
``data/raw/mitdb``)."""
import os
import shutil
import subprocess

import matplotlib
import pytest

matplotlib.use("Agg")

from ecg_utils import config  # noqa: E402

#: Set by ``./run_all.sh test`` after it has found or fetched the records: a missing record is then a failure,
#: not a skip, so that a run that tested little cannot pass.
REQUIRE_ENV = "ECG_TESTS_NEED_DATA"


@pytest.fixture(scope="session")
def mitdb_dir():
    """The folder of real WFDB records (``ecg_utils.io.physionet.find_test_records``); tests needing it are skipped
    (with the reason) when absent, or fail when ``$ECG_TESTS_NEED_DATA`` is set."""
    from ecg_utils.io.databases.mitdb import TEST_RECORDS
    from ecg_utils.io.physionet import dirs_for_tests, find_test_records

    folder = find_test_records()
    if folder is None:
        reason = (f"no MIT-BIH records {' '.join(TEST_RECORDS)} in {', '.join(map(str, dirs_for_tests()))}: "
                  f"set {config.DATA_ENV} to a folder holding them, or run `ecg-detector download --for-tests`")
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return folder


def noise_or_skip(kind, mitdb_dir):
    """The Noise Stress Test Database's noise record ``kind`` (``bw``, ``ma``, ``em``) as ``(noise, fs)``: the test is
    skipped (with the reason) when it is absent, or fails when ``$ECG_TESTS_NEED_DATA`` is set."""
    from ecg_utils.errors import DataError
    from ecg_utils.signal.noise_stress import find_noise_dir, read_noise

    try:
        return read_noise(kind, find_noise_dir(data_dir=mitdb_dir))
    except DataError as exc:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def svdb_dir():
    """The folder of the SVDB records the tests read (``ecg_utils.io.physionet.find_svdb_test_records``): skipped when
    absent, a failure when ``$ECG_TESTS_NEED_DATA`` is set (``./run_all.sh test`` fetches them first)."""
    from ecg_utils.io.databases import get_database
    from ecg_utils.io.physionet import find_svdb_test_records, svdb_dirs_for_tests

    folder = find_svdb_test_records()
    if folder is None:
        reason = (f"no SVDB records {' '.join(get_database('svdb').test_records)} in "
                  f"{', '.join(map(str, svdb_dirs_for_tests()))}: set ECG_SVDB_DIR to a folder holding them, or run "
                  "`ecg-detector download --for-tests`")
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
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


def write_toy_notebook(path, *sources):
    """A small parameterized notebook for sweep tests: the first source is the ``parameters`` cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path
