"""The main job's plan: which notebooks each profile runs, with which parameters."""
from pathlib import Path

import pytest

from ecg_utils import config
from ecg_utils.experiments.report import EXPERIMENTS, QUICK_GRIDS, SWEEP_PROFILES, jobs
from ecg_utils.experiments.sweep import grid_points


@pytest.mark.parametrize("profile", list(SWEEP_PROFILES))
def test_every_profile_runs_the_baselines_the_inference_and_every_sweep(profile):
    plan = jobs(profile)
    names = [name for name, _, _ in plan]
    assert names[:6] == ["baseline_interpatient", "baseline_random", "recommended_interpatient",
                         "recommended_random", "infer", "scan"]
    assert names[6:] == [f"experiment_{e}" for e in EXPERIMENTS]
    for _, notebook, params in plan:
        assert Path(notebook).exists() and Path(notebook).is_relative_to(config.PROJ_ROOT / "notebooks")
    # the inference notebook reads a run the plan writes before it
    infer = dict((n, p) for n, _, p in plan)["infer"]
    assert any(p.get("out_dir") == infer["run"] for n, _, p in plan if n.startswith("recommended"))


def test_the_default_profile_keeps_three_seeds_for_the_representation_evidence():
    sweeps = {name: params for name, _, params in jobs("default") if name.startswith("experiment_")}
    assert sweeps["experiment_representation"]["seeds"] == [0, 1, 2]
    assert all(len(p["seeds"]) >= 2 and p["epochs"] <= 6 for p in sweeps.values())


def test_quick_grids_have_two_points():
    assert set(QUICK_GRIDS) == set(EXPERIMENTS)
    assert all(len(grid_points(grid)) == 2 for grid in QUICK_GRIDS.values())


@pytest.mark.parametrize("notebook", sorted((config.PROJ_ROOT / "notebooks").rglob("*.ipynb")), ids=lambda p: p.stem)
def test_every_parameter_line_is_readable_by_papermill(notebook):
    """`papermill --help-notebook` and parameter type inference read each line of the parameters cell; a line
    it cannot parse is skipped with a warning (a comment holding ':' or '=' can cause that)."""
    import nbformat
    from papermill.translators import PythonTranslator

    cells = [c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    assigned = [line.split("=")[0].strip() for line in cells[0].source.splitlines()
                if line and not line[0].isspace() and not line.startswith(("#", "]", "}")) and "=" in line]
    assert [p.name for p in PythonTranslator.inspect(cells[0])] == assigned


def test_reports_open_with_the_summary_and_hide_the_code_the_notebook_keeps(tmp_path):
    import nbformat

    from ecg_utils.experiments.report import render_html, summary_first

    nb = nbformat.v4.new_notebook(metadata={"papermill": {"parameters": {"seeds": [0]}}})
    out = nbformat.v4.new_output("stream", name="stdout", text="numbers here\n")
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("secret_code = 1"),
                nbformat.v4.new_code_cell("show_summary()", metadata={"tags": ["summary"]}, outputs=[out])]
    moved = summary_first(nb)
    assert [c.source for c in moved.cells][:3] == ["# Title", "show_summary()", moved.cells[2].source]
    assert "seeds=[0]" in moved.cells[2].source and moved.cells[3].source == "secret_code = 1"
    assert [c.source for c in nb.cells][1] == "secret_code = 1"  # the notebook itself is not changed
    path = tmp_path / "r.ipynb"
    nbformat.write(nb, path)
    page = render_html(path).read_text()
    assert "numbers here" in page and "secret_code" not in page and "show_summary" not in page
    assert page.index("numbers here") < page.index("The code is hidden")


def test_sweep_notebooks_are_found_from_their_folder_and_an_unlisted_one_is_refused_loudly(tmp_path, monkeypatch):
    """A sweep notebook added to notebooks/experiments/ runs in the main job without being listed; one without a
    quick grid stops the quick profile with a message naming it, instead of silently never running."""
    import shutil

    from ecg_utils.experiments import report

    folder = tmp_path / "notebooks"
    shutil.copytree(config.PROJ_ROOT / "notebooks", folder)
    shutil.copy(folder / "experiments" / "latent_dim.ipynb", folder / "experiments" / "dropout.ipynb")
    monkeypatch.setattr(report, "NOTEBOOKS", folder)
    assert "dropout" in report.experiments()
    assert "experiment_dropout" in [name for name, _, _ in report.jobs("default")]
    with pytest.raises(ValueError, match="notebooks/experiments/dropout.ipynb have no quick grid"):
        report.jobs("quick")
