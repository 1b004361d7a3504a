"""The detector shipped with the package, so that a scan works on a fresh install with no training.

It is the ``recommended`` preset trained on the normal beats of the DS1 records (de Chazal's training set; the
threshold from the normal beats of half the DS1 records, 11, held out of training), with beats cut at *detected* R-peaks as a
scan cuts them. Regenerate it with the command in :data:`COMMAND` (the README gives its size and numbers).
"""
from __future__ import annotations

from pathlib import Path

from ecg_utils.errors import DataError

#: Where the shipped detector lives (package data).
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "models" / "recommended"
#: How reports name it.
SHIPPED_NAME = "the shipped detector (recommended preset, trained on DS1 normal beats)"
#: The command that trains it (from the repository root, ``ECG_DATA_DIR`` pointing at the MIT-BIH records).
COMMAND = ("ecg-detector train --preset recommended --split interpatient --peaks detected --seed 0 "
           "--out ecg_utils/models/recommended")


def load_detector(detector=None):
    """A fitted detector and the name reports give it: ``detector`` itself, the one saved in that folder, or
    (None) the shipped one.

    Raises
    ------
    DataError
        For a folder that is not a saved detector, or a package installed without its shipped detector.
    """
    from ecg_utils.detect.autoencoder import AutoencoderDetector

    if detector is None:
        if not (PRETRAINED_DIR / "detector.json").is_file():
            raise DataError(f"{PRETRAINED_DIR}: the shipped detector is missing from this installation; train one "
                            f"with `{COMMAND}` or pass a saved detector's folder")
        det = AutoencoderDetector.load(PRETRAINED_DIR)
        det.source_ = SHIPPED_NAME
        return det, SHIPPED_NAME
    if isinstance(detector, (str, Path)):
        det = AutoencoderDetector.load(detector)
        det.source_ = str(detector)
        return det, str(detector)
    if getattr(detector, "model_", None) is None:
        raise DataError("the detector given to scan is not fitted: call fit() or pass a saved detector's folder")
    return detector, getattr(detector, "source_", None) or type(detector).__name__
