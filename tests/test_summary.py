"""The summaries reports open with: numbers from the run or sweep, a table that fits, the full table as CSV."""
import numpy as np
import pandas as pd
import pytest

from ecg_utils.experiments import overview as summary

METRICS = {"n": 120, "counts": {"N": 100, "S": 10, "V": 10, "F": 0}, "roc_auc": 0.912, "average_precision": 0.7,
           "roc_auc_per_class": {"S": 0.85, "V": 0.97, "F": float("nan")}, "threshold": 4.9, "normal_fpr": 0.05,
           "detection": {"N": {"n": 100, "rate": 0.05}, "S": {"n": 10, "rate": 0.6}, "V": {"n": 10, "rate": 0.9},
                         "F": {"n": 0, "rate": float("nan")}}}


def test_run_summary_states_the_split_and_the_numbers():
    text = str(summary.run_overview(METRICS, {"name": "random", "patients_mixed": True}))
    assert "120 beats (N 100, S 10, V 10)" in text and "optimistic" in text
    assert "ROC AUC 0.912" in text and "S 0.850, V 0.970." in text and "chance" not in text
    assert "60.0% of S beats, 90.0% of V beats and 5.0% of normal beats" in text
    low = str(summary.run_overview({**METRICS, "roc_auc": 0.52}, {"name": "interpatient", "patients_mixed": False}))
    assert "chance" in low and "no test patient" in low


def test_summary_html_is_one_block_with_escaped_text_and_links():
    s = summary.Overview(["a < b"], table=pd.DataFrame({"x": [1]}), links=[("csv", "runs/s.csv")], title="Summary")
    page = s._repr_html_()
    assert page.startswith('<div id="summary"') and "a &lt; b" in page and '<a href="runs/s.csv">csv</a>' in page


def _sweep():
    rows = [{"run": f"latent_dim={d}__seed={s}", "status": "ok", "error": "", "latent_dim": d, "seed": s,
             "roc_auc": 0.9 + 0.01 * s + (0.05 if d == 4 else 0), "roc_auc_per_class.S": 0.8,
             "roc_auc_per_class.V": 0.95,
             "normal_fpr": 0.05, "validation_loss": 0.5 - 0.01 * d, "average_precision": 0.7, "fit_seconds": 3.0 + s,
             "detection.S.rate": 0.5} for d in (4, 8) for s in (0, 1, 2)]
    df = pd.DataFrame(rows)
    df.attrs["param_columns"] = ["latent_dim", "seed"]
    return df


def test_sweep_summary_shows_few_columns_and_writes_every_metric_beside_it(tmp_path):
    s = summary.sweep_overview(_sweep(), ["latent_dim"], tmp_path / "sweep", link_from=tmp_path)
    assert "6 runs: 2 points × 3 seeds" in s.lines[0]
    assert s.lines[1].startswith("Test ROC AUC: Best latent_dim=4: roc_auc 0.960 ± 0.010")
    assert "Validation loss" in s.lines[2] and "Best latent_dim=8" in s.lines[2]
    assert list(s.table.columns) == ["ROC AUC (abnormal vs normal)", "ROC AUC, S vs N", "ROC AUC, V vs N",
                                     "normal beats flagged (FPR)", "validation loss (normals)", "seeds"]
    assert s.table.loc[4, "ROC AUC (abnormal vs normal)"] == "0.960 ± 0.010" and s.table["seeds"].tolist() == [3, 3]
    full = pd.read_csv(tmp_path / "sweep" / "summary.csv", index_col=0)
    assert {"fit_seconds.mean", "detection.S.rate.std", "average_precision.count"} <= set(full.columns)
    assert full.loc[8, "fit_seconds.mean"] == pytest.approx(4.0) and "seed.mean" not in full.columns
    assert ("every run: results.csv", "sweep/results.csv") in s.links


def test_scores_summary_counts_flagged_beats_per_class():
    text = str(summary.scores_overview(np.array([0.1, 2.0, 3.0, 0.2]), 1.0, y=[0, 1, 1, 0], class_names=["N", "S"]))
    assert "4 beats scored; 2 (50.0%) above the threshold 1" in text and "N 0.0% of 2, S 100.0% of 2" in text


def test_scan_summary_names_the_kinds_and_the_rhythm_episodes():
    base = {"recording": "r", "duration_s": 3600.0, "lead": "MLII", "beats": 4000, "beats_scored": 3990,
            "unreadable_s": 12.0, "flagged": 60, "burden_pct": 1.5, "flagged_per_hour": 60.0,
            "reasons": {"premature": 20, "unusual shape": 40}, "kinds": {"S": 20, "V": 40, "F": 0, "Q": 0},
            "heart_rate_bpm_median": 71.0,
            "episodes": {"per_rhythm": {"(AFIB": {"name": "irregular rhythm (AF-like)", "episodes": 1,
                                                  "duration_s": 600.0},
                                        "(VT": {"episodes": 0, "duration_s": 0.0}}, "list": []}}
    text = str(summary.scan_overview(base))
    assert "60 beats flagged" in text and "20 S, 40 V;" in text and "F" not in text.split("flagged")[1].split(";")[0]
    assert "Rhythm episodes: irregular rhythm (AF-like) (AFIB): 1, 600 s." in text and "VT" not in text
    quiet = str(summary.scan_overview({**base, "episodes": {"per_rhythm": {}, "list": []}}))
    assert "Rhythm episodes: none." in quiet
