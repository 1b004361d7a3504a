"""The main job behind ``run_all.sh``: execute the notebooks with papermill and render them to HTML.

``python -m ecg_utils.experiments.report --profile quick|default|full [--only baseline infer ...]``

Each job runs one notebook with a profile's parameters into ``reports/<name>.ipynb`` and renders
``reports/<name>.html``; the runs themselves (metrics, detectors, figures, sweep tables) go under
``reports/runs/``. A failing job is reported and the others go on; the exit status says whether all passed.
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import nbformat

from ecg_utils import config
from ecg_utils.experiments.execute import execute_notebook
from ecg_utils.io.files import written_whole

NOTEBOOKS = config.PROJ_ROOT / "notebooks"


def experiments(folder=None) -> list:
    """The sweep notebooks of ``notebooks/experiments/`` by name, sorted: found from the folder, so a new sweep
    notebook runs in the main job without being listed here (its quick profile needs a grid: :func:`jobs` says so)."""
    folder = NOTEBOOKS / "experiments" if folder is None else folder
    return sorted(p.stem for p in folder.glob("*.ipynb"))


#: The sweep notebooks there when the package was imported (:func:`experiments` reads the folder afresh).
EXPERIMENTS = tuple(experiments())

#: The record the scan notebook copies without its annotations (many ventricular and fusion beats, some noise).
SCAN_RECORD = "208"
#: Parameters of the sweeps per profile: "default" keeps the whole run under an hour on 2 CPU cores
#: (2 seeds, 6 epochs, 6,000 training beats per run, a smaller hyper-parameter grid); "full" is what the
#: notebooks say by default (3 seeds, every training beat, 30 epochs with early stopping).
SWEEP_PROFILES = {
    "quick": {"quick": True, "seeds": [0]},
    "default": {"seeds": [0, 1], "epochs": 6, "max_train_beats": 6000},
    "full": {"seeds": [0, 1, 2], "epochs": 30, "max_train_beats": None},
}
#: Epoch cap of the four baseline runs in the default profile (early stopping usually ends them sooner).
BASELINE_EPOCHS_DEFAULT = 15
#: Two points of each sweep, for the quick profile.
QUICK_GRIDS = {
    "batch_size": {"batch_size": [64, 256]},
    "channels_kernel": {"kernel_size": [3, 9], "channels": [[8, 16]]},
    "latent_dim": {"latent_dim": [8, 32]},
    "learning_rate": {"learning_rate": [3e-4, 3e-3]},
    "optimizer": [{"optimizer": "adam", "learning_rate": 1e-3}, {"optimizer": "sgd", "learning_rate": 1e-2}],
    "hyperparams": {"augment": [False, True], "threshold_rule": ["mean_std"]},
    "representation": [{"label": "1 kaggle beat (baseline)", "preset": "baseline"},
                       {"label": "7 template + rhythm (recommended)", "preset": "recommended"}],
}
#: The smaller hyper-parameter grid of the default profile (8 points instead of 16).
DEFAULT_GRIDS = {"hyperparams": {"latent_dim": [4, 16], "augment": [False, True], "threshold_rule": ["mean_std", "fpr"]}}
#: Per-sweep changes to a profile: the representation sweep is the evidence for the recommended preset, so it
#: keeps 3 seeds in the default profile.
PROFILE_OVERRIDES = {"default": {"representation": {"seeds": [0, 1, 2]}}}


def jobs(profile) -> list:
    """(name, notebook, parameters) of every job of a profile, in the order they run."""
    quick = profile == "quick"
    out = []
    for preset in ("baseline", "recommended"):
        for split in ("interpatient", "random"):
            name = f"{preset}_{split}"
            params = {"preset": preset, "split": split, "quick": quick, "out_dir": f"runs/{name}"}
            if profile == "default":
                params["epochs"] = BASELINE_EPOCHS_DEFAULT
            out.append((name, NOTEBOOKS / "baseline.ipynb", params))
    out.append(("infer", NOTEBOOKS / "infer.ipynb", {"run": "runs/recommended_interpatient", "out_dir": "runs/infer"}))
    # a shared record copied without its annotations, scanned with the detector shipped in the package
    out.append(("scan", NOTEBOOKS / "scan.ipynb", {"record": SCAN_RECORD, "out_dir": "runs/scan"}))
    found = experiments()
    unlisted = [exp for exp in found if exp not in QUICK_GRIDS]
    if quick and unlisted:
        raise ValueError(f"sweep notebook(s) {', '.join(f'notebooks/experiments/{e}.ipynb' for e in unlisted)} have "
                         "no quick grid: add a two-point grid for each to ecg_utils.experiments.report.QUICK_GRIDS")
    for exp in found:
        params = {**SWEEP_PROFILES[profile], **PROFILE_OVERRIDES.get(profile, {}).get(exp, {}),
                  "out_dir": f"runs/sweeps/{exp}"}
        grid = QUICK_GRIDS.get(exp) if quick else DEFAULT_GRIDS.get(exp) if profile == "default" else None
        if grid is not None:
            params["grid"] = grid
        out.append((f"experiment_{exp}", NOTEBOOKS / "experiments" / f"{exp}.ipynb", params))
    return out


#: The tag of the cells a report opens with (a markdown heading and the cell displaying the summary).
SUMMARY_TAG = "summary"


def summary_first(nb):
    """A copy of ``nb`` with the cells tagged :data:`SUMMARY_TAG` moved up, right after the first markdown cell
    (the title), in their order; then a note on where the hidden code and the parameters are."""
    nb = copy.deepcopy(nb)
    tagged = [c for c in nb.cells if SUMMARY_TAG in c.get("metadata", {}).get("tags", [])]
    rest = [c for c in nb.cells if SUMMARY_TAG not in c.get("metadata", {}).get("tags", [])]
    at = next((i + 1 for i, c in enumerate(rest) if c.cell_type == "markdown"), 0)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    ran_with = ", ".join(f"{k}={v!r}" for k, v in params.items())
    note = nbformat.v4.new_markdown_cell(
        "*The code is hidden on this page: the executed notebook beside it holds it"
        + (f". It ran with {ran_with}.*" if ran_with else ".*"))
    nb.cells = rest[:at] + tagged + [note] + rest[at:]
    return nb


def render_html(notebook) -> Path:
    """Render an executed notebook to HTML beside it (nbconvert): the summary first, outputs only.

    The cells tagged ``summary`` open the page (:func:`summary_first`); code cells show their outputs but not
    their code (nbconvert's ``exclude_input``), which the executed ``.ipynb`` keeps. Written whole or not at all.
    """
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(summary_first(nbformat.read(notebook, as_version=4)))
    html = notebook.with_suffix(".html")
    with written_whole(html) as tmp:
        tmp.write_text(body, encoding="utf-8")
    return html


def run_job(name, notebook, params, reports_dir) -> Path:
    """Execute one notebook with papermill (working directory: its own folder; a quiet kernel, see
    :mod:`ecg_utils.experiments.execute`) and render it."""
    executed = Path(reports_dir) / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    execute_notebook(notebook, executed, parameters=params)
    return render_html(executed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=list(SWEEP_PROFILES), default="default")
    parser.add_argument("--only", nargs="*", help="run only the jobs with these names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the jobs of the profile and stop")
    parser.add_argument("--reports", default=str(config.REPORTS_DIR), help="where reports go (default reports/)")
    args = parser.parse_args(argv)
    todo = [j for j in jobs(args.profile) if not args.only or j[0] in args.only]
    if args.list:
        for name, nb, params in todo:
            print(f"{name:32s} {Path(nb).relative_to(config.PROJ_ROOT)}  {params}")
        return 0
    t_start, failed, written = time.perf_counter(), [], []
    for i, (name, nb, params) in enumerate(todo, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(todo)}] {name}: running {Path(nb).relative_to(config.PROJ_ROOT)} ...", flush=True)
        try:
            html = run_job(name, nb, params, args.reports)
        except Exception as exc:  # one failing notebook must not stop the others
            failed.append(name)
            print(f"[{i}/{len(todo)}] {name}: FAILED after {time.perf_counter() - t0:.0f} s: "
                  f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}", flush=True)
            continue
        written.append(html)
        print(f"[{i}/{len(todo)}] {name}: done in {time.perf_counter() - t0:.0f} s -> {html}", flush=True)
    minutes = (time.perf_counter() - t_start) / 60
    print(f"\n{len(written)} reports written in {minutes:.1f} min under {args.reports} (open the .html files).")
    if failed:
        print(f"FAILED: {', '.join(failed)} (their executed notebooks show the error)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
