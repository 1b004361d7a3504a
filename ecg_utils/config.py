"""Where things live, and the version. Paths come from here (or from an argument), never typed into a notebook."""
from __future__ import annotations

import os
import sys
from pathlib import Path

#: The package's version (``ecg_utils.__version__``), recorded in saved detectors and output folders' markers.
VERSION = "0.2.0"
#: The project's root folder (the one holding ``ecg_utils/``).
PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
IMAGES_DIR = PROJ_ROOT / "images"
REPORTS_DIR = PROJ_ROOT / "reports"

#: The environment variable that says where the Kaggle CSVs or the WFDB records are.
DATA_ENV = "ECG_DATA_DIR"
#: The environment variable that moves the processed-beat cache (default ``data/processed``).
CACHE_ENV = "ECG_CACHE_DIR"


def cache_dir() -> Path:
    """The folder for cached beat datasets: ``$ECG_CACHE_DIR`` or ``data/processed``."""
    return Path(os.environ.get(CACHE_ENV) or PROCESSED_DIR)


def import_tensorflow_quietly():
    """Import TensorFlow with the C++ start-up notes it writes straight to file descriptor 2 (oneDNN, absl) hidden:
    they are not for users, and a notebook shows them as a red error box. Python errors still surface."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except (AttributeError, OSError, ValueError):  # no descriptor 2 to redirect: import as is
        import tensorflow  # noqa: F401
        return
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
