"""Sweeps over a tiny toy notebook (papermill runs), and the summaries of a hand-made sweep table."""
import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml
from conftest import write_toy_notebook

from ecg_utils.experiments import sweep_figure
from ecg_utils.experiments.params_file import write_params_file
from ecg_utils.experiments.sweep import best_params, grid_points, reading, run_name, run_sweep, summarize
from ecg_utils.experiments.sweep_figure import plot_sweep

PARAMS_CELL = 'x = 1\nseed = 0\nout_dir = "."\nfail = False'
FAIL_CELL = 'if fail:\n    raise ValueError(f"asked to fail at x={x}")'
WRITE_CELL = """import json, pathlib
record = {"params": {"x": x, "seed": seed, "out_dir": out_dir, "fail": fail},
          "metrics": {"roc_auc": x * 0.1 + seed * 0.01, "per_class": {"S": {"detection_rate": 0.5}}},
          "timings": {"fit_seconds": 0.1}}
pathlib.Path(out_dir, "metrics.json").write_text(json.dumps(record))"""


@pytest.fixture(scope="module")
def toy_notebook(tmp_path_factory):
    return write_toy_notebook(tmp_path_factory.mktemp("toy") / "toy.ipynb", PARAMS_CELL, FAIL_CELL, WRITE_CELL)


def _mtimes(out_dir):
    return {p.parent.name: p.stat().st_mtime_ns for p in out_dir.glob("*/run.ipynb")}


@pytest.mark.slow
def test_sweep_collects_resumes_and_reruns_changed_points(toy_notebook, tmp_path):
    lines = []
    df = run_sweep(toy_notebook, {"x": [1, 2]}, seeds=(0,), out_dir=tmp_path / "w1", progress=lines.append)
    assert list(df["run"]) == ["x=1__seed=0", "x=2__seed=0"]
    assert list(df["status"]) == ["ok", "ok"] and list(df["error"]) == ["", ""]
    assert list(df["x"]) == [1, 2] and list(df["seed"]) == [0, 0]
    assert df["roc_auc"].tolist() == pytest.approx([0.1, 0.2])
    assert df["per_class.S.detection_rate"].tolist() == [0.5, 0.5]
    assert df["fit_seconds"].tolist() == [0.1, 0.1]
    assert "out_dir" not in df.columns
    assert (tmp_path / "w1" / "results.csv").exists()
    assert pd.read_csv(tmp_path / "w1" / "results.csv")["roc_auc"].tolist() == pytest.approx([0.1, 0.2])
    assert len(lines) == 2 and all(" ok  roc_auc=" in line for line in lines)
    assert lines[-1].startswith("[2/2]") and "elapsed" in lines[-1]

    # the same sweep with two workers: the same table
    df2 = run_sweep(toy_notebook, {"x": [1, 2]}, seeds=(0,), out_dir=tmp_path / "w2", workers=2, progress=None)
    pd.testing.assert_frame_equal(df, df2)

    # a rerun runs nothing: both skipped, no notebook rewritten
    before, lines = _mtimes(tmp_path / "w1"), []
    run_sweep(toy_notebook, {"x": [1, 2]}, seeds=(0,), out_dir=tmp_path / "w1", progress=lines.append,
              base_params={"fail": False})   # the notebook's default, stated: still the same runs
    assert [line.split("  ")[-1] for line in lines] == ["skipped (done)"] * 2
    assert _mtimes(tmp_path / "w1") == before

    # a changed parameter reruns that point (here it now fails), the finished other point is kept
    lines = []
    df = run_sweep(toy_notebook, {"x": [1]}, seeds=(0,), out_dir=tmp_path / "w1", progress=lines.append,
                   base_params={"fail": True})
    assert len(lines) == 1 and "FAILED: " in lines[0] and "skipped" not in lines[0]
    assert list(df["status"]) == ["failed", "ok"]
    assert pd.isna(df["roc_auc"].iloc[0]) and df["roc_auc"].iloc[1] == pytest.approx(0.2)
    assert _mtimes(tmp_path / "w1")["x=2__seed=0"] == before["x=2__seed=0"]


@pytest.mark.slow
def test_a_failing_point_is_recorded_and_the_others_go_on(toy_notebook, tmp_path):
    lines = []
    grid = [{"x": 1}, {"x": 2, "fail": True}]
    df = run_sweep(toy_notebook, grid, seeds=(0,), out_dir=tmp_path, progress=lines.append)
    ok, failed = df.set_index("x").loc[1], df.set_index("x").loc[2]
    assert ok["status"] == "ok" and ok["roc_auc"] == pytest.approx(0.1)
    assert failed["status"] == "failed" and pd.isna(failed["roc_auc"])
    assert "PapermillExecutionError" in failed["error"] and "ValueError: asked to fail at x=2" in failed["error"]
    record = json.loads((tmp_path / failed["run"] / "error.json").read_text())
    assert record["params"]["fail"] is True and record["error"] == failed["error"] and record["seconds"] > 0
    assert not (tmp_path / failed["run"] / "metrics.json").exists()
    assert sum("FAILED: PapermillExecutionError" in line for line in lines) == 1

    # a rerun retries the failed point only
    lines = []
    run_sweep(toy_notebook, grid, seeds=(0,), out_dir=tmp_path, progress=lines.append)
    assert sorted(line.split("  ")[1] for line in lines) == ["FAILED: " + failed["error"], "skipped (done)"]


def test_run_names_are_safe_short_and_deterministic():
    assert run_name({"b": 64, "a": "adam"}, 1) == "a=adam__b=64__seed=1"
    assert run_name({"a": "adam", "b": 64}, 1) == run_name({"b": 64, "a": "adam"}, 1)
    weird = [run_name({"path": p}, 0) for p in ("a/b", "a-b", "a b")]
    assert len(set(weird)) == 3 and all("/" not in w and " " not in w for w in weird)
    long = run_name({"layers": list(range(100))}, 0)
    assert len(long) <= 80 and long != run_name({"layers": list(range(101))}, 0)
    with pytest.raises(ValueError, match="seed"):
        grid_points({"seed": [0, 1]})
    assert grid_points({"a": [1, 2], "b": ["u", "v"]})[1] == {"a": 1, "b": "v"}


def _table(spread):
    """3 seeds x 2 optimizers: adam 0.90 / sgd 0.88 on average, each seed +- spread."""
    rows = []
    for opt, mean in (("sgd", 0.88), ("adam", 0.90)):
        for seed, delta in enumerate((-spread, 0.0, spread)):
            rows.append({"run": f"optimizer={opt}__seed={seed}", "status": "ok", "error": "",
                         "optimizer": opt, "epochs": 5, "seed": seed, "roc_auc": mean + delta})
    rows.append({"run": "optimizer=rmsprop__seed=0", "status": "failed", "error": "boom",
                 "optimizer": "rmsprop", "epochs": 5, "seed": 0, "roc_auc": float("nan")})
    df = pd.DataFrame(rows)
    df.attrs["param_columns"] = ["optimizer", "epochs", "seed"]
    return df


def test_summarize_and_reading_judge_the_gap_against_the_seed_spread():
    table = summarize(_table(0.001), "optimizer")
    assert list(table.index) == ["adam", "sgd"]              # the failed rmsprop run is not summarized
    assert table.loc["adam", ("roc_auc", "mean")] == pytest.approx(0.90)
    assert table.loc["adam", ("roc_auc", "std")] == pytest.approx(0.001)
    assert table.loc["sgd", ("roc_auc", "count")] == 3

    clear = reading(_table(0.001), "optimizer")
    assert clear.startswith("Best optimizer=adam: roc_auc 0.900 ± 0.001 (3 seeds); next optimizer=sgd: 0.880")
    assert "is larger than the seed spread" in clear and "(0.020)" in clear

    noisy = reading(_table(0.05), "optimizer")
    assert noisy.startswith("Best optimizer=adam") and "within the seed spread (0.050)" in noisy
    assert "larger" not in noisy

    lower = reading(_table(0.001), "optimizer", higher_is_better=False)
    assert lower.startswith("Best optimizer=sgd")


def test_best_params_needs_a_metric_and_round_trips_through_yaml(tmp_path):
    df = _table(0.001)
    with pytest.raises(TypeError):
        best_params(df, "optimizer")                      # no default metric: the caller names it
    params = best_params(df, "optimizer", metric="roc_auc")
    assert params == {"optimizer": "adam", "epochs": 5} and type(params["epochs"]) is int
    path = write_params_file(params, tmp_path / "best.yaml", comment="best of a sweep\nselected on roc_auc")
    assert yaml.safe_load(path.read_text()) == params
    assert path.read_text().startswith("# best of a sweep\n# selected on roc_auc\n")


def test_plot_sweep_draws_a_panel_per_metric_with_means_and_seed_points():
    df = _table(0.01)
    df["fit_seconds"] = df["seed"] + 1.0
    fig = plot_sweep(df, "optimizer", ["roc_auc", "fit_seconds"])
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["adam", "sgd"]
    line = ax.lines[0]
    assert list(line.get_ydata()) == pytest.approx([0.90, 0.88])  # means, in x order
    assert len(ax.collections[-1].get_offsets()) == 6             # every seed of the ok runs
    plt.close(fig)

    _, given = plt.subplots()
    fig = plot_sweep(df, "optimizer", "roc_auc", ax=given, hue="epochs")
    assert fig is given.figure and given.get_legend() is not None
    plt.close(fig)


def test_sweep_panels_do_not_blow_up_a_difference_within_the_seed_spread():
    df = _table(0.002)                                        # means 0.900 and 0.880, seeds +- 0.002
    df.loc[df["optimizer"] == "sgd", "roc_auc"] += 0.0195     # now 0.8995 vs 0.900: a 0.0005 effect
    df["fit_seconds"] = df["seed"] + 1.0
    figures = plt.get_fignums()
    fig = plot_sweep(df, "optimizer", ["roc_auc", "fit_seconds"])
    assert plt.get_fignums() == figures                       # a bare Figure: a notebook shows it once, when displayed
    auc, seconds = fig.axes
    lo, hi = auc.get_ylim()
    assert hi - lo >= sweep_figure.MIN_SPAN - 1e-9 and 0 <= lo and hi <= 1
    assert seconds.get_ylim()[0] == 0                         # not a ratio: starts at 0
    assert auc.get_ylabel() == "ROC AUC (abnormal vs normal)" and seconds.get_ylabel() == "training time (s)"
    assert "means differ by 0.0005" in auc.get_title() and "seed std up to 0.002" in auc.get_title()


@pytest.mark.parametrize("values", [[0.981, 0.982], [0.0, 0.01], [0.999, 1.0], [0.2, 0.9], [0.5]])
def test_y_range_of_a_ratio_is_at_least_min_span_holds_the_data_and_stays_in_0_1(values):
    lo, hi = sweep_figure.y_range("roc_auc", values)
    assert 0 <= lo <= min(values) and max(values) <= hi <= 1 and hi - lo >= sweep_figure.MIN_SPAN - 1e-12
