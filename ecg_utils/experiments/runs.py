"""A run folder: ``metrics.json`` (parameters, metrics, timings, split, environment), the detector and the figures."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from ecg_utils.io.environment import environment
from ecg_utils.io.files import check_output_folder, clear_partials, partial_folder, write_marker
from ecg_utils.io.jsonable import jsonable


def scoring_throughput(detector, beats, min_beats=50_000) -> float:
    """Beats scored per second, in large batches, on at least ``min_beats`` beats (the set is tiled)."""
    reps = max(1, int(np.ceil(min_beats / max(len(beats), 1))))
    big = beats[np.tile(np.arange(len(beats)), reps)]
    detector.decision_function(big[:1000])  # warm-up (graph tracing)
    t0 = time.perf_counter()
    detector.decision_function(big)
    return len(big) / (time.perf_counter() - t0)


#: What a run folder holds (a folder holding only these, written before the marker file, may be replaced).
RUN_FILES = ("metrics.json", "detector", "figures", "*.ipynb", "error.json")


def save_run(out_dir, params: dict, metrics: dict, timings: dict, detector=None, figures=None, split=None,
             overwrite=False) -> Path:
    """Write a run folder: ``metrics.json`` (params, metrics, timings, split, environment), the saved
    detector (``detector/``) and the figures (``figures/*.png``).

    Everything is written to a temporary sibling folder first and moved into place at the end, so an
    error leaves the previous contents (or nothing), never a half-written run. What else ``out_dir`` holds (the
    executed notebook) is kept; ``out_dir`` must be new, empty or an earlier run folder (else ``overwrite=True``:
    :func:`ecg_utils.io.files.check_output_folder`).
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
