"""One run of the baseline notebook as plain functions: parameters -> config -> data -> detector -> run folder.

The notebook's ``parameters`` cell holds literals; :func:`configure` turns them into a
:class:`RunConfig` (a preset, with every parameter that is not ``None`` overriding it); the rest of
the notebook calls the package with that config and :func:`save_run` writes the run folder.
"""
from __future__ import annotations

import inspect
import json
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ecg_utils.files import check_output_folder, clear_partials, partial_folder, write_marker
from ecg_utils.presets import get_preset

#: A small record set for ``quick`` runs: DS1 records for training, DS2 records (rich in S and V) to test.
QUICK_RECORDS = ["101", "106", "112", "119", "208", "105", "200", "209", "232", "233"]
#: Options of :func:`ecg_utils.splits.load_split` (plus ``max_train_beats``): the rest go to the detector.
DATA_KEYS = ("split", "representation", "records", "data_dir", "template_width", "template_regular", "max_train_beats",
             "before", "after", "peaks")
#: The notebook every run and sweep executes.
BASELINE_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "baseline.ipynb"


@dataclass
class RunConfig:
    """What one run does: the data options and the detector options, both plain dicts."""

    preset: str
    data: dict = field(default_factory=dict)
    detector: dict = field(default_factory=dict)
    quick: bool = False
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def detector_parameters() -> list:
    """The names of :class:`AutoencoderDetector`'s parameters."""
    from ecg_utils.detector import AutoencoderDetector

    return [p for p in inspect.signature(AutoencoderDetector.__init__).parameters if p != "self"]


def configure(preset="baseline", quick=False, seed=0, **overrides) -> RunConfig:
    """Resolve a preset and the parameters that override it (``None`` means "the preset's value").

    ``quick`` uses :data:`QUICK_RECORDS`, at most 2 epochs and 5,000 training beats.

    Raises
    ------
    ValueError
        For a parameter that is neither a data option nor a detector parameter.
    """
    p = get_preset(preset)
    data = {"split": "interpatient", "records": None, "data_dir": None, "max_train_beats": None, **p["data"]}
    detector = dict(p["detector"])
    known = detector_parameters()
    for key, value in overrides.items():
        if key not in DATA_KEYS and key not in known:
            raise ValueError(f"unknown parameter {key!r}: neither a data option {DATA_KEYS} nor a detector "
                             f"parameter {known}")
        if value is None:
            continue
        (data if key in DATA_KEYS else detector)[key] = list(value) if isinstance(value, tuple) else value
    if quick:
        data["records"] = data["records"] or QUICK_RECORDS
        data["max_train_beats"] = min(data["max_train_beats"] or 5000, 5000)
        detector["epochs"] = min(detector.get("epochs", 2), 2)
    detector["seed"] = seed
    return RunConfig(preset=preset, data=data, detector=detector, quick=quick, seed=seed)


def load_data(cfg: RunConfig, verbose=True):
    """The split a config asks for, training normals capped at ``max_train_beats`` (seeded draw)."""
    from ecg_utils.splits import load_split

    opts = {k: v for k, v in cfg.data.items() if k != "max_train_beats"}
    split = load_split(seed=cfg.seed, verbose=verbose, **opts)
    cap = cfg.data.get("max_train_beats")
    if cap and len(split.train) > cap:
        rng = np.random.default_rng(cfg.seed)
        split.train = split.train[np.sort(rng.choice(len(split.train), cap, replace=False))]
        split.info["max_train_beats"] = cap
    return split


def scoring_throughput(detector, beats, min_beats=50_000) -> float:
    """Beats scored per second, in large batches, on at least ``min_beats`` beats (the set is tiled)."""
    reps = max(1, int(np.ceil(min_beats / max(len(beats), 1))))
    big = beats[np.tile(np.arange(len(beats)), reps)]
    detector.decision_function(big[:1000])  # warm-up (graph tracing)
    t0 = time.perf_counter()
    detector.decision_function(big)
    return len(big) / (time.perf_counter() - t0)


def environment() -> dict:
    """Library versions and the machine, for ``metrics.json`` and benchmark files."""
    import keras
    import sklearn
    import tensorflow as tf

    import ecg_utils

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__, "ecg_utils": ecg_utils.__version__,
            "cpu_count": os.cpu_count(), "machine": platform.machine(), "processor": cpu_model()}


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def json_default(o):
    """``json.dumps(default=...)`` for what numpy and pathlib put in results: scalars, arrays, paths, sets."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def jsonable(obj):
    """``obj`` with dict keys as strings, NumPy scalars as Python numbers and NaN/inf as None: strict JSON."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


#: What a run folder holds (a folder holding only these, written before the marker file, may be replaced).
RUN_FILES = ("metrics.json", "detector", "figures", "*.ipynb", "error.json")


def save_run(out_dir, params: dict, metrics: dict, timings: dict, detector=None, figures=None, split=None,
             overwrite=False) -> Path:
    """Write a run folder: ``metrics.json`` (params, metrics, timings, split, environment), the saved
    detector (``detector/``) and the figures (``figures/*.png``).

    Everything is written to a temporary sibling folder first and moved into place at the end, so an
    error leaves the previous contents (or nothing), never a half-written run. What else ``out_dir`` holds (the
    executed notebook) is kept; ``out_dir`` must be new, empty or an earlier run folder (else ``overwrite=True``:
    :func:`ecg_utils.files.check_output_folder`).
    """
    out_dir = check_output_folder(out_dir, "run folder", overwrite, known=RUN_FILES)
    clear_partials(out_dir)
    tmp = partial_folder(out_dir)
    try:
        if detector is not None:
            detector.save(tmp / "detector")
        if figures:
            (tmp / "figures").mkdir()
            for name, fig in figures.items():
                fig.savefig(tmp / "figures" / f"{name}.png", dpi=110, bbox_inches="tight")
        record = {"params": params, "metrics": metrics, "timings": timings,
                  "split": split.info if split is not None else None, "environment": environment()}
        (tmp / "metrics.json").write_text(json.dumps(jsonable(record), indent=1))
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in tmp.iterdir():  # replace what this run writes, keep the rest (e.g. the executed notebook)
            target = out_dir / item.name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            item.replace(target)
        write_marker(out_dir, "run")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / "metrics.json"


def run_dir(out_dir) -> Path:
    """The run folder: ``out_dir`` itself if absolute, else under ``reports/``."""
    out_dir = Path(out_dir).expanduser()
    from ecg_utils import config

    return out_dir if out_dir.is_absolute() else config.REPORTS_DIR / out_dir
