"""Scoring with a saved detector: which beats to score, the table of flagged beats, the written output."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_utils.errors import DataError
from ecg_utils.io import databases
from ecg_utils.io.dataset import Beats
from ecg_utils.io.files import folder_written_whole


def run_params(run_dir) -> dict:
    """The parameters a baseline run was made with (its ``metrics.json``)."""
    path = Path(run_dir) / "metrics.json"
    try:
        return json.loads(path.read_text())["params"]
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; run notebooks/baseline.ipynb with out_dir={run_dir} first") from None
    except (ValueError, KeyError) as exc:
        raise DataError(f"{path}: not a run's metrics file ({exc})") from exc


def load_beats(run_dir, csv=None) -> Beats:
    """Beats to score: a Kaggle-format ``csv`` if given, else the test side of the run's own data."""
    if csv is not None:
        from ecg_utils.io.kaggle import load_kaggle_csv

        return load_kaggle_csv(csv)
    from ecg_utils.experiments.pipeline import configure, load_data

    params = {k: v for k, v in run_params(run_dir).items() if k not in ("out_dir", "label")}
    return load_data(configure(**params), verbose=False).test


def flagged_table(beats: Beats, scores, threshold) -> pd.DataFrame:
    """The beats scoring above ``threshold``, highest first: record, time, class, score."""
    scores = np.asarray(scores, dtype=float)
    source = beats.info.get("source")
    fs_record = databases.registry()[source].fs if source in databases.registry() else np.nan
    table = pd.DataFrame({
        "beat": np.arange(len(beats)),
        "record": beats.record,
        "time_s": np.where(beats.sample >= 0, beats.sample / fs_record, np.nan),
        "class": np.asarray(beats.class_names)[beats.y],
        "score": scores,
        "score_over_threshold": scores / threshold if threshold else np.nan,
    })
    return table[scores > threshold].sort_values("score", ascending=False).reset_index(drop=True)


def save_scores(out_dir, beats: Beats, scores, threshold, figures=None, overwrite=False) -> Path:
    """Write ``scores.csv`` (every beat: record, sample, class, score, flagged) and the figures.

    Written into a temporary folder and moved into place, so a failure leaves no half-written output (and an
    earlier output untouched: it is moved aside, not deleted, until the new one is in place). ``out_dir`` must be
    new, empty or an earlier output (else ``overwrite=True``: :func:`ecg_utils.io.files.check_output_folder`).
    """
    with folder_written_whole(out_dir, "scores", overwrite=overwrite, known=("scores.csv", "*.png")) as tmp:
        pd.DataFrame({"record": beats.record, "sample": beats.sample, "class": np.asarray(beats.class_names)[beats.y],
                      "score": scores, "anomaly": (np.asarray(scores) > threshold).astype(int)}).to_csv(
            tmp / "scores.csv", index=False)
        for name, fig in (figures or {}).items():
            fig.savefig(tmp / f"{name}.png", dpi=110, bbox_inches="tight")
    return Path(out_dir) / "scores.csv"
