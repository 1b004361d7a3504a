"""A saved autoencoder detector: a folder holding ``model.keras`` (the Keras model) and ``detector.json`` (the
parameters, the scaler, the calibration of the fused evidence, the threshold, the training history), written whole and
read back with every field checked, including the files of earlier versions (:func:`upgrade`).

``detector.json`` records the SHA-256 of ``model.keras`` (``model_sha256``): a folder whose model file is another
one (another Keras model of the same shapes, one retrained or edited by hand) is refused, naming the file.
Detectors saved before the checksum was recorded still load, checked as before (shapes, finite outputs).

:meth:`ecg_utils.detect.autoencoder.AutoencoderDetector.save` and ``.load`` call :func:`write` and :func:`read`.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from ecg_utils import config
from ecg_utils.config import import_tensorflow_quietly
from ecg_utils.detect.checks import finite_list, is_number
from ecg_utils.detect.evidence import RENAMED
from ecg_utils.detect.evidence.reconstruction import Reconstruction
from ecg_utils.errors import DataError
from ecg_utils.io.files import folder_written_whole

# isort: off
import_tensorflow_quietly()  # before TensorFlow, so that its start-up notes stay off the console
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
# isort: on

#: The Keras model's file in a saved detector's folder.
MODEL_FILE = "model.keras"
#: The description's file.
META_FILE = "detector.json"
#: What ``detector.json`` says it is.
FORMAT = "ecg-detector/autoencoder-detector"
#: What a saved detector's folder holds (one saved before the marker file may be replaced by a new save).
KNOWN_FILES = (MODEL_FILE, META_FILE)
#: The key of ``detector.json`` holding the SHA-256 of the model file.
CHECKSUM = "model_sha256"
#: Parameters stored as tuples (JSON turns them into lists).
TUPLE_PARAMS = ("channels", "aug_scale_range", "evidence")


def _summary(scores) -> dict:
    s = np.asarray(scores, dtype=np.float64)
    return {"n": int(s.size), "mean": float(s.mean()), "std": float(s.std()), "min": float(s.min()),
            **{f"p{q}": float(np.percentile(s, q)) for q in (50, 90, 95, 99)}, "max": float(s.max())}


def _versions() -> dict:
    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
            "ecg_utils": config.VERSION}


def description(det) -> dict:
    """What ``detector.json`` holds for a fitted detector ``det``."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in det.get_params().items()}
    scores = getattr(det, "validation_scores_", None)
    return {
        "format": FORMAT,
        "params": params,
        "input_len": int(det.input_len_),
        "representation": det.representation_,
        "threshold": float(det.threshold_),
        "scaler": det.scaler_,
        "reference": det.fusion_.reference_,
        "medians": det.fusion_.medians_,
        "train_info": det.train_info_,
        "validation_scores": _summary(scores) if scores is not None else getattr(det, "meta_", {}).get("validation_scores"),
        "history": det.history_,
        "epochs_trained": det.epochs_trained_,
        "fit_seconds": det.fit_seconds_,
        "versions": _versions(),
    }


def write(det, folder, overwrite=False) -> Path:
    """Write ``det`` (fitted) into ``folder``, whole or not at all; returns ``folder``."""
    with folder_written_whole(folder, "detector", overwrite=overwrite, known=KNOWN_FILES) as tmp:
        with warnings.catch_warnings():  # Keras 3.15 + NumPy 2.4: np.array(Variable) copy-keyword notice
            warnings.filterwarnings("ignore", message=".*__array__ implementation doesn't accept a copy",
                                    category=DeprecationWarning)
            det.model_.save(tmp / MODEL_FILE)
        meta = {**description(det), CHECKSUM: sha256(tmp / MODEL_FILE)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, default=str))
    return Path(folder)


def read(cls, folder):
    """The detector of class ``cls`` saved in ``folder``; any problem with the files raises :class:`DataError`."""
    folder = Path(folder)
    meta_path, model_path = folder / META_FILE, folder / MODEL_FILE
    if not folder.is_dir():
        raise DataError(f"{folder}: no such detector folder")
    for path in (meta_path, model_path):
        if not path.is_file():
            raise DataError(f"{path}: missing (a saved detector holds {MODEL_FILE} and {META_FILE})")
    try:
        meta = upgrade(json.loads(meta_path.read_text()))
        params = {k: tuple(v) if k in TUPLE_PARAMS and isinstance(v, list) else v
                  for k, v in meta["params"].items()}
        det = cls(**params)
        det._check_params()
        input_len, threshold, scaler = meta["input_len"], meta["threshold"], dict(meta["scaler"])
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    except (OSError, UnicodeDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{meta_path}: not a valid detector description ({type(exc).__name__}: {exc})") from None
    if not isinstance(input_len, int) or isinstance(input_len, bool) or input_len < 1:
        raise DataError(f"{meta_path}: input_len must be a positive integer, got {input_len!r}")
    if not is_number(threshold) or not np.isfinite(threshold):
        raise DataError(f"{meta_path}: threshold must be a finite number, got {threshold!r}")
    stds = [scaler.get("std")] + (list(scaler.get("rr_std") or []) if det.rr_features else [])
    if not (finite_list([scaler.get("mean")]) and finite_list(stds) and all(v > 0 for v in stds)
            and (not det.rr_features or (finite_list(scaler.get("rr_mean"), 3)
                                         and finite_list(scaler.get("rr_std"), 3)))):
        raise DataError(f"{meta_path}: scaler {scaler} is not a valid standardisation for this detector "
                        "(finite means, stds > 0" + (", 3 RR means and stds)" if det.rr_features else ")"))
    medians = meta.get("medians") if isinstance(meta.get("medians"), dict) else {}
    median = medians.get(Reconstruction.name)
    if det.normalize in ("recording", "quiet") and not (is_number(median) and np.isfinite(median) and median > 0):
        raise DataError(f"{meta_path}: normalize={det.normalize!r} but no valid median reconstruction error is stored "
                        f"('medians': {meta.get('medians')!r})")
    stored, wanted = meta.get("reference"), [Reconstruction.name, *det.evidence]
    if det.evidence and not (isinstance(stored, dict) and isinstance(stored.get("n"), int) and stored["n"] >= 1
                             and all(finite_list(stored.get(k)) and len(stored[k]) > 1
                                     and np.all(np.diff(stored[k]) >= 0) for k in wanted)):
        raise DataError(f"{meta_path}: {', '.join(det.evidence)} fused but no valid 'reference' distributions "
                        f"({', '.join(wanted)}: n >= 1 and non-decreasing finite quantiles) are stored")
    check_model_file(meta_path, model_path, meta.get(CHECKSUM))
    try:
        model = keras.models.load_model(model_path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise DataError(f"{model_path}: not a readable Keras model ({type(exc).__name__}: {first})") from None
    want_in = [(input_len,), (3,)] if det.rr_features else [(input_len,)]
    have_in = [tuple(t.shape[1:]) for t in model.inputs]
    have_out = [tuple(t.shape[1:]) for t in model.outputs]
    if have_in != want_in or have_out != want_in:
        raise DataError(f"{model_path}: a model mapping inputs {have_in} to outputs {have_out}; {meta_path} "
                        f"needs {want_in} to {want_in} (input length {input_len}, rr_features={det.rr_features})")
    probe = [np.zeros((1,) + shape, np.float32) for shape in want_in]
    outputs = model(probe if det.rr_features else probe[0], training=False)
    if not all(np.isfinite(np.asarray(out)).all() for out in tf.nest.flatten(outputs)):
        raise DataError(f"{model_path}: the model's outputs are not finite (NaN or infinite weights)")
    det.model_, det.input_len_, det.threshold_, det.scaler_ = model, input_len, float(threshold), scaler
    det.scorers_ = det._scorers()
    det.fusion_ = det._fusion()
    det.fusion_.reference_ = stored if det.evidence else None
    det.fusion_.medians_ = {Reconstruction.name: float(median)} if det.normalize in ("recording", "quiet") else {}
    det.fusion_.threshold_ = det.threshold_
    det.representation_ = meta.get("representation")
    det.train_info_ = meta.get("train_info") or {}
    det.history_ = meta.get("history") or {}
    det.epochs_trained_ = meta.get("epochs_trained")
    det.fit_seconds_ = meta.get("fit_seconds")
    det.validation_scores_ = None
    det.meta_ = meta
    det._forward_fn = det._errors_fn = None
    return det


def sha256(path) -> str:
    """The SHA-256 of a file, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_model_file(meta_path, model_path, stored) -> None:
    """Raise :class:`DataError` unless ``model_path`` is the model file ``detector.json`` describes: its SHA-256 is
    the one stored (``stored``: None for a detector saved before the checksum was recorded, which is not checked)."""
    if stored is None:
        return
    if not (isinstance(stored, str) and len(stored) == 64 and all(c in "0123456789abcdef" for c in stored)):
        raise DataError(f"{meta_path}: {CHECKSUM} must be the 64 hex digits of a SHA-256, got {stored!r}")
    try:
        have = sha256(model_path)
    except OSError as exc:
        raise DataError(f"{model_path}: cannot read it ({exc.strerror or exc})") from None
    if have != stored:
        raise DataError(f"{model_path}: not the model this detector was saved with (SHA-256 {have[:12]}..., "
                        f"{META_FILE} records {stored[:12]}...): save the detector again, or restore its model file")


def upgrade(meta) -> dict:
    """A ``detector.json`` of an earlier version in today's form (newer ones are returned as they are): the
    ``rhythm`` / ``deviation`` booleans become ``evidence``, the reconstruction error's quantiles (stored as
    ``shape``) are named ``reconstruction``, the scaler's ``error_median`` becomes ``medians``, and the evidence of
    0.1 named ``rhythm`` is ``prematurity`` (:data:`ecg_utils.detect.evidence.RENAMED`)."""
    meta = dict(meta)
    params = dict(meta["params"])
    flags = {name: params.pop(name) for name in ("deviation", "rhythm") if name in params}
    for name, on in flags.items():
        if not isinstance(on, bool):
            raise ValueError(f"{name} must be True or False, got {on!r}")
    if flags:
        have = list(params.get("evidence") or [])
        params["evidence"] = have + [name for name, on in flags.items() if on and name not in have]
    if isinstance(params.get("evidence"), list):
        params["evidence"] = [RENAMED.get(name, name) for name in params["evidence"]]
    meta["params"] = params
    reference = meta.get("reference")
    if isinstance(reference, dict) and "shape" in reference and Reconstruction.name not in reference:
        reference = {Reconstruction.name if k == "shape" else k: v for k, v in reference.items()}
    if isinstance(reference, dict):
        meta["reference"] = {RENAMED.get(k, k): v for k, v in reference.items()}
    scaler = meta.get("scaler")
    if isinstance(scaler, dict) and "error_median" in scaler and "medians" not in meta:
        scaler = dict(scaler)
        meta["medians"] = {Reconstruction.name: scaler.pop("error_median")}
        meta["scaler"] = scaler
    return meta
