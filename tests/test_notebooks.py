"""The notebooks run under papermill with tiny parameters, and write what the next step reads."""
import json

import pytest
from conftest import run_chromium

from ecg_utils import config
from ecg_utils.experiments.execute import execute_notebook
from ecg_utils.experiments.report import EXPERIMENTS, QUICK_GRIDS, jobs, run_job

pytestmark = pytest.mark.slow
NB = config.PROJ_ROOT / "notebooks"
TINY = ["101", "119", "208", "105", "233"]  # DS1: 101, 119, 208; DS2: 105, 233


def execute(notebook, out, **params):
    execute_notebook(notebook, out, parameters=params)


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, mitdb_dir):
    tmp = tmp_path_factory.mktemp("baseline")
    execute(NB / "baseline.ipynb", tmp / "baseline.ipynb", preset="recommended", records=TINY, epochs=1,
            max_train_beats=2000, data_dir=str(mitdb_dir), out_dir=str(tmp / "run"))
    return tmp / "run"


def test_baseline_writes_metrics_detector_and_figures(baseline_run):
    m = json.loads((baseline_run / "metrics.json").read_text())
    assert {"params", "metrics", "timings", "split", "environment"} <= set(m)
    assert {"roc_auc", "average_precision", "detection", "normal_fpr", "recall_at_fpr", "validation_loss",
            "roc_auc_per_class"} <= set(m["metrics"])
    assert m["params"]["preset"] == "recommended" and m["split"]["patients_mixed"] is False
    assert m["timings"]["epochs_trained"] == 1 and m["timings"]["score_beats_per_second"] > 0
    assert (baseline_run / "detector" / "model.keras").exists()
    assert {"reconstructions.png", "error_histograms.png", "roc_pr.png", "training_curves.png", "worst.png"} <= {
        p.name for p in (baseline_run / "figures").iterdir()}


def test_inference_notebook_scores_the_saved_run(baseline_run, tmp_path):
    execute(NB / "infer.ipynb", tmp_path / "infer.ipynb", run=str(baseline_run), out_dir=str(tmp_path / "infer"))
    import pandas as pd

    scores = pd.read_csv(tmp_path / "infer" / "scores.csv")
    assert len(scores) > 1000 and set(scores["anomaly"]) <= {0, 1} and scores["score"].notna().all()


def test_scan_notebook_scans_a_record_copied_without_annotations(tmp_path, mitdb_dir):
    execute(NB / "scan.ipynb", tmp_path / "scan.ipynb", record="119", data_dir=str(mitdb_dir),
            out_dir=str(tmp_path / "scan"))
    import pandas as pd

    assert not (tmp_path / "scan-input" / "119.atr").exists() and (tmp_path / "scan-input" / "119.hea").exists()
    beats = pd.read_csv(tmp_path / "scan" / "beats.csv")
    summary = json.loads((tmp_path / "scan" / "summary.json").read_text())
    assert 1900 < len(beats) < 2100 and summary["flagged"] == int(beats["flagged"].sum()) > 300  # 444 V beats
    assert (tmp_path / "scan" / "report.html").exists() and (tmp_path / "scan" / "119.flag").exists()


#: The sweep whose report the browser test renders (the other sweeps run in test_experiment_notebook_runs_a_tiny_grid).
RENDERED = "latent_dim"


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory, mitdb_dir):
    """The quick profile's latent-size sweep, run and rendered as the main job does, on its first point only (one
    seed), the tiny records and one epoch: one baseline run, to keep the suite fast."""
    tmp = tmp_path_factory.mktemp("sweep_report")
    name, notebook, params = next(j for j in jobs("quick") if j[0] == f"experiment_{RENDERED}")
    params = {**params, "grid": {k: v[:1] for k, v in params["grid"].items()}, "records": TINY, "epochs": 1,
              "max_train_beats": 1000, "out_dir": str(tmp / "sweep")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(config.DATA_ENV, str(mitdb_dir))
        return run_job(name, notebook, params, tmp), tmp / "sweep"


def test_the_sweep_report_shows_the_summary_first_each_figure_once_and_no_stderr_box(sweep_report, tmp_path):
    html, sweep = sweep_report
    import pandas as pd

    table = pd.read_csv(sweep / "results.csv")
    assert len(table) == 1 and (table["status"] == "ok").all(), table.get("error")
    assert (sweep / "best.yaml").exists() and (sweep / "summary.csv").exists()
    dom = run_chromium(tmp_path, "--dump-dom", html.as_uri())
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in dom             # no red stderr box
    assert "IPKernelApp" not in dom and "KeyboardInterrupt" not in dom
    assert dom.count('<img ') == dom.count('src="data:image/png') == 1   # the sweep's one figure, once
    top = dom.index('id="summary"')
    assert top < dom.index("Run the sweep") < dom.index('src="data:image/png')   # the summary comes first
    assert "Test ROC AUC: Best latent_dim=" in dom and "summary.csv" in dom
    assert "run_sweep(" not in dom                                   # code hidden; the executed notebook keeps it
    assert "run_sweep(" in html.with_suffix(".ipynb").read_text()
    header = dom[dom.index("<table", top):dom.index("</tr>", dom.index("<table", top))]
    assert header.count("<th") <= 8                                  # a few columns, not 30


@pytest.mark.parametrize("name", [e for e in EXPERIMENTS if e != RENDERED])
def test_experiment_notebook_runs_a_tiny_grid(name, tmp_path, mitdb_dir, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(mitdb_dir))
    grid = QUICK_GRIDS[name]
    grid = grid[:1] if isinstance(grid, list) else {k: v[:1] for k, v in grid.items()}
    execute(NB / "experiments" / f"{name}.ipynb", tmp_path / "out.ipynb", grid=grid, seeds=[0], records=TINY,
            epochs=1, max_train_beats=1000, out_dir=str(tmp_path / "sweep"))
    import pandas as pd

    table = pd.read_csv(tmp_path / "sweep" / "results.csv")
    assert len(table) == 1 and (table["status"] == "ok").all(), table.get("error")
    assert (tmp_path / "sweep" / "best.yaml").exists()
