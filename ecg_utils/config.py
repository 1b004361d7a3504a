"""Where things live. Paths come from here (or from an argument), never typed into a notebook."""
from __future__ import annotations

import os
from pathlib import Path

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
