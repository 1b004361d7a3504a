"""Sweeps: papermill runs of a parameterized notebook, collected into one table, summarized over seeds.

A sweep runs a notebook (the baseline) once per point of a grid and per seed, each run in its own
folder under ``out_dir``::

    out_dir/
      batch_size=64__seed=0/    run.ipynb (the executed notebook), metrics.json (written by the notebook),
                                error.json (only when the run failed), whatever else the notebook saves
      batch_size=64__seed=1/
      ...
      results.csv               one row per run folder (:func:`collect`)

The notebook's contract: a papermill-tagged ``parameters`` cell that includes ``out_dir`` and ``seed``, and
a last cell writing ``<out_dir>/metrics.json`` = ``{"params": {...}, "metrics": {...}, "timings": {...}}``
(nested dicts are fine: they are flattened with ``.``).

Honesty: a sweep selects on whatever metric the caller names. This project selects configurations on
validation-side metrics only, never on test labels; :func:`best_params` therefore has no default metric,
and a metric computed on the test set should be read as a report, not used to choose.

Example
-------
>>> df = run_sweep("notebooks/baseline.ipynb", {"batch_size": [64, 256]}, seeds=(0, 1, 2),
...                out_dir="runs/batch_size", base_params={"epochs": 5})        # doctest: +SKIP
>>> print(reading(df, "batch_size", metric="val_loss", higher_is_better=False))  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from ecg_utils.io.files import clear_partials, partial_folder, prepare_folder, replace_folder
from ecg_utils.io.jsonable import is_nan, json_types, plain_value, value_text, write_json

METRICS_FILE = "metrics.json"

ERROR_FILE = "error.json"

NOTEBOOK_FILE = "run.ipynb"

RESULTS_FILE = "results.csv"

THREAD_ENV = ("OMP_NUM_THREADS", "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS")

#: Parameters the sweep sets itself; a grid or ``base_params`` may not hold them.
RESERVED = ("seed", "out_dir")

_MAX_NAME = 80

_SAFE = re.compile(r"[^A-Za-z0-9._+-]")


# --------------------------------------------------------------------------------------------- points
def grid_points(grid) -> list[dict]:
    """The points of a grid: a dict of lists (full Cartesian product) or a list of dicts (as given).

    >>> grid_points({"a": [1, 2], "b": ["x"]})
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    if isinstance(grid, dict):
        keys = list(grid)
        for k in keys:
            if isinstance(grid[k], (str, bytes)) or not hasattr(grid[k], "__iter__"):
                raise ValueError(f"grid[{k!r}] must be a list of values, got {grid[k]!r}")
        points = [dict(zip(keys, values)) for values in itertools.product(*(list(grid[k]) for k in keys))]
    else:
        points = [dict(p) for p in grid]
    for p in points:
        bad = [k for k in RESERVED if k in p]
        if bad:
            raise ValueError(f"a grid point may not set {bad}: the sweep sets seed and out_dir itself")
    return points


def run_name(point: dict, seed) -> str:
    """A short, filesystem-safe, deterministic folder name for a point and seed.

    Keys are sorted, so the name does not depend on the grid's key order. When the readable name is
    too long, or characters had to be replaced (two points could then collide), a hash of the exact
    parameters is appended.

    >>> run_name({"batch_size": 64}, 0)
    'batch_size=64__seed=0'
    """
    parts = [(str(k), value_text(point[k])) for k in sorted(point)] + [("seed", str(seed))]
    safe = "__".join(f"{_SAFE.sub('-', k)}={_SAFE.sub('-', v)}" for k, v in parts)
    lossy = any(_SAFE.search(k) or _SAFE.search(v) or "__" in k + v for k, v in parts)
    if not lossy and len(safe) <= _MAX_NAME:
        return safe
    digest = hashlib.sha1(json.dumps(json_types({**point, "seed": seed}), sort_keys=True).encode()).hexdigest()[:10]
    return f"{safe[:_MAX_NAME - 11]}-{digest}"


def run_sweep(notebook, grid, seeds=(0, 1, 2), out_dir="runs", base_params=None, workers=1,
              kernel_name="python3", timeout=None, log_output=False, progress=print,
              key_metric="roc_auc", scheduler=None, overwrite=False) -> pd.DataFrame:
    """Run ``notebook`` once per grid point and seed with papermill; return :func:`collect` of ``out_dir``.

    Parameters
    ----------
    notebook : str or Path
        The parameterized notebook (a ``parameters``-tagged cell including ``out_dir`` and ``seed``).
    grid : dict of lists or list of dicts
        A dict of lists runs the full Cartesian product; a list of dicts runs exactly those points.
    seeds : sequence of int
        Every point runs once per seed.
    out_dir : str or Path
        The sweep folder; each run gets ``out_dir/<run_name(point, seed)>``.
    base_params : dict, optional
        Parameters shared by every run (e.g. ``{"epochs": 5}``); a point's parameters override them.
    workers : int
        Runs side by side: with ``workers > 1`` each run is a child Python process (its kernel another),
        started from a thread of this one. Thread-count variables (``OMP_NUM_THREADS``,
        ``TF_NUM_INTEROP_THREADS``, ``TF_NUM_INTRAOP_THREADS``) are set for each run's kernel to
        ``cores // workers`` (at least 1) so the runs do not oversubscribe the cores.
    kernel_name : str
        The Jupyter kernel papermill starts.
    timeout : float, optional
        Per-cell execution timeout in seconds (papermill's ``execution_timeout``); a cell running
        longer fails that run.
    log_output : bool
        Stream the notebooks' output (interleaved when ``workers > 1``, and then written to this
        process's terminal, not to a notebook cell).
    progress : callable or None
        Called with one line per finished run (``print`` by default; ``None`` for silence).
    key_metric : str
        The flattened metric named in the progress lines.
    scheduler : str, optional
        None runs on this machine as ``workers`` says. ``"local"`` (a Dask ``LocalCluster``, one process
        worker per core), a Dask scheduler address (``"tcp://host:8786"``) or ``"env"``
        (``$DASK_SCHEDULER_ADDRESS``) makes each run one Dask task (``workers`` is then ignored: the
        cluster's workers run the tasks). Its workers must see ``notebook`` and ``out_dir`` at the same
        paths. See :mod:`ecg_utils.cluster`.
    overwrite : bool
        Use ``out_dir`` even if it holds files other than this program's (a sweep folder of its runs and
        ``results.csv``, or an empty folder): refused otherwise (:func:`ecg_utils.io.files.check_output_folder`).

    Returns
    -------
    pandas.DataFrame
        :func:`collect` of ``out_dir`` (every run folder found there, not only this grid's).

    Notes
    -----
    Resumable: a run whose ``metrics.json`` exists, with no ``error.json``, and whose stored ``params``
    equal the parameters it would run with (point, seed and ``base_params``; ``out_dir`` is not
    compared, so a moved sweep folder still resumes) is skipped. A changed parameter or an earlier
    failure reruns it. Fault tolerant: a failing run (an error in a cell, a timeout, no
    ``metrics.json`` written) is recorded in its ``error.json`` and the sweep goes on.
    Whole or not at all: a run executes in a hidden sibling folder (``.<run>.<random>.partial``) that
    replaces its run folder once the run finished or failed, so a run killed on the way (a Dask worker
    lost: Dask reruns its task elsewhere) leaves no half-written run folder, and :func:`collect` never
    counts a point twice. Partial folders left behind are removed when the sweep ends.
    Honesty: the sweep reports whatever the notebook measures; choose configurations on
    validation-side metrics, never on the test set (see :func:`best_params`).
    """
    notebook = Path(notebook).resolve()
    if not notebook.exists():
        raise FileNotFoundError(f"no notebook at {notebook}")
    out_dir = Path(out_dir).resolve()
    base = dict(base_params or {})
    bad = [k for k in RESERVED if k in base]
    if bad:
        raise ValueError(f"base_params may not set {bad}: the sweep sets seed and out_dir itself")
    if scheduler is not None:
        from ecg_utils.cluster import resolve

        resolve(scheduler)   # a malformed value fails here, before anything runs
    workers = max(1, int(workers))
    threads = max(1, _cores() // workers)
    say = progress or (lambda line: None)

    jobs = []
    for point in grid_points(grid):
        for seed in seeds:
            folder = out_dir / run_name(point, seed)
            params = {**base, **point, "seed": seed}
            jobs.append(dict(notebook=str(notebook), folder=str(folder), params=json_types(params),
                             label=_label(point, seed), kernel_name=kernel_name, timeout=timeout,
                             log_output=log_output, threads=threads))
    names = [j["folder"] for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError("the grid holds the same point twice")

    prepare_folder(out_dir, "sweep", overwrite, known=(RESULTS_FILE, "summary.csv", "best.yaml", "*seed=*"))
    n, k = len(jobs), 0
    todo = []
    for job in jobs:
        if is_done(job["folder"], job["params"]):
            k += 1
            say(f"[{k}/{n}] {job['label']}  skipped (done)")
        else:
            todo.append(job)

    start, ran = time.monotonic(), 0

    def report(job, result):
        nonlocal k, ran
        k, ran = k + 1, ran + 1
        elapsed = time.monotonic() - start
        left = elapsed / ran * (n - k)
        if result["ok"]:
            value = flatten(result.get("metrics", {})).get(key_metric)
            status = f"ok  {key_metric}={fmt_number(value)}" if value is not None else "ok"
        else:
            status = f"FAILED: {result['error']}"
        say(f"[{k}/{n}] {job['label']}  {status}  {result['seconds']:.1f} s  "
            f"(elapsed {_duration(elapsed)}, ~{_duration(left)} left)")

    for job in todo:
        clear_partials(job["folder"])
    if scheduler is not None:
        for job, result in _run_on_dask(todo, scheduler):
            report(job, result)
    elif workers == 1 or len(todo) <= 1:
        for job in todo:
            report(job, run_point(**job))
    else:
        # Threads that each wait on a `python` child running one notebook: no fork of this process
        # (which may hold TF threads), no re-import of a caller's __main__ (spawn), and a per-child env.
        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            futures = {pool.submit(_run_point_subprocess, job): job for job in todo}
            for fut in as_completed(futures):
                report(futures[fut], fut.result())
    for job in todo:
        clear_partials(job["folder"])
    return collect(out_dir)


def is_done(folder, params) -> bool:
    """Whether ``folder`` holds a finished run of ``params`` (its metrics.json stores these values).

    ``params`` is compared key by key against the stored parameters (which also hold the notebook's
    defaults); ``out_dir`` is ignored. A folder with an ``error.json`` is never done.
    """
    folder = Path(folder)
    if (folder / ERROR_FILE).exists() or not (folder / METRICS_FILE).exists():
        return False
    try:
        stored = json.loads((folder / METRICS_FILE).read_text()).get("params", {})
    except (OSError, ValueError, AttributeError):
        return False
    return all(k in stored and stored[k] == v for k, v in json_types(params).items() if k != "out_dir")


def run_point(notebook, folder, params, kernel_name="python3", timeout=None, log_output=False,
              threads=None, label=None) -> dict:
    """Execute one run into ``folder``, whole or not at all; never raises for a failure of the notebook.

    The notebook runs in a fresh hidden sibling folder (:func:`partial_folder`) that replaces ``folder``
    once the run finished or failed; ``params["out_dir"]`` in its ``metrics.json`` is then set to
    ``folder``. On failure ``error.json`` = ``{"params", "error", "seconds"}`` is written; the returned
    dict has ``ok``, ``seconds``, and ``metrics`` (ok) or ``error`` (failed).
    """
    from ecg_utils.experiments.execute import execute_notebook

    folder = Path(folder)
    work = partial_folder(folder)
    run_params = {**params, "out_dir": str(work)}
    env = {v: str(threads) for v in THREAD_ENV} if threads else {}
    t0 = time.monotonic()
    try:
        with _environ(env):
            execute_notebook(notebook, work / NOTEBOOK_FILE, parameters=run_params, kernel_name=kernel_name,
                             execution_timeout=timeout, log_output=log_output)
        if not (work / METRICS_FILE).exists():
            raise RuntimeError(f"the notebook finished but wrote no {METRICS_FILE} in out_dir")
        record = json.loads((work / METRICS_FILE).read_text())
        if isinstance(record.get("params"), dict) and "out_dir" in record["params"]:
            record["params"]["out_dir"] = str(folder)
            write_json(work / METRICS_FILE, record)
    except Exception as exc:  # noqa: BLE001 - any failure of one run is recorded, the sweep goes on
        result = _record_failure(work, {**params, "out_dir": str(folder)}, exc, time.monotonic() - t0)
        replace_folder(work, folder)
        return result
    replace_folder(work, folder)
    return {"ok": True, "seconds": time.monotonic() - t0,
            "metrics": {**record.get("metrics", {}), **record.get("timings", {})}}


def _fail_point(job, exc, seconds) -> dict:
    """Record a run that died before it could record itself: a fresh run folder holding only ``error.json``."""
    work = partial_folder(job["folder"])
    result = _record_failure(work, {**job["params"], "out_dir": job["folder"]}, exc, seconds)
    replace_folder(work, job["folder"])
    return result


def _run_on_dask(jobs, scheduler):
    """Yield ``(job, result)`` as each run finishes, each a Dask task running :func:`run_point` on a worker.

    A worker lost while it runs a point: Dask reruns the task on another worker (up to its
    ``distributed.scheduler.allowed-failures``, then the point is recorded as failed).
    """
    from distributed import as_completed as dask_completed

    from ecg_utils import cluster

    if not jobs:
        return
    with cluster.connect(scheduler) as client:
        futures = {}
        for job in jobs:
            key = f"sweep-point-{Path(job['folder']).name}-{os.urandom(4).hex()}"
            # the worker's environment sets its thread counts (see ecg_utils.cluster.local_cluster)
            futures[client.submit(run_point, **{**job, "threads": None}, key=key, pure=False)] = job
        t0 = {f.key: time.monotonic() for f in futures}
        for fut in dask_completed(list(futures)):
            job = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the point fails, the sweep goes on
                result = _fail_point(job, exc, time.monotonic() - t0[fut.key])
            yield job, result


_CHILD = ("import json, sys; from ecg_utils.experiments.sweep import run_point; "
          "result = run_point(**json.loads(sys.argv[1])); "
          "open(sys.argv[2], 'w').write(json.dumps(result))")


def _run_point_subprocess(job) -> dict:
    """:func:`run_point` in a child Python process, its thread-count variables set; its outcome comes back in
    a result file (a run folder may still hold an older run if the child died)."""
    env = {**os.environ, **{v: str(job["threads"]) for v in THREAD_ENV}}
    fd, result_path = tempfile.mkstemp(prefix=f".{Path(job['folder']).name}.", suffix=".result.json",
                                       dir=Path(job["folder"]).parent)
    os.close(fd)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(job), result_path], env=env,
                              stdout=None if job["log_output"] else subprocess.DEVNULL,
                              stderr=None if job["log_output"] else subprocess.PIPE, text=True)
        text = Path(result_path).read_text()
    finally:
        Path(result_path).unlink(missing_ok=True)
    seconds = time.monotonic() - t0
    if proc.returncode == 0 and text:
        return json.loads(text)
    tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
    return _fail_point(job, ChildProcessError(f"the worker process died: {tail[0]}"), seconds)


def error_message(exc: BaseException, limit=300) -> str:
    """One line: the exception type and, for an error in a notebook cell, the cell's error."""
    ename = getattr(exc, "ename", None)
    if ename is not None:   # papermill.PapermillExecutionError
        evalue = str(getattr(exc, "evalue", "")).strip()
        msg = f"{type(exc).__name__} in cell [{getattr(exc, 'exec_count', '?')}]: {ename}: {evalue}"
    else:
        msg = f"{type(exc).__name__}: {str(exc).strip()}"
        msg = msg.split("Here is a preview of the cell contents")[0].strip()   # nbclient: CellTimeoutError
    msg = " ".join(msg.split())
    return msg if len(msg) <= limit else msg[:limit - 3] + "..."


def _record_failure(folder, params, exc, seconds) -> dict:
    message = error_message(exc)
    Path(folder).mkdir(parents=True, exist_ok=True)
    write_json(Path(folder) / ERROR_FILE, {"params": json_types(params), "error": message,
                                            "seconds": round(seconds, 3)})
    return {"ok": False, "seconds": seconds, "error": message}


@contextlib.contextmanager
def _environ(values: dict):
    """Set environment variables for the duration of the block (a kernel started inside inherits them)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _label(point, seed) -> str:
    return " ".join([f"{k}={value_text(v)}" for k, v in point.items()] + [f"seed={seed}"])


def _duration(seconds) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def fmt_number(x) -> str:
    """A metric as text: three decimals in the usual range, three significant digits outside it."""
    if isinstance(x, (int, float, np.number)) and not isinstance(x, bool):
        x = float(x)
        if math.isnan(x):
            return "nan"
        return f"{x:.3f}" if x == 0 or 0.01 <= abs(x) < 1000 else f"{x:.3g}"
    return str(x)


# ---------------------------------------------------------------------------------------- collecting
def flatten(d: dict, prefix="") -> dict:
    """A nested dict as one level, keys joined with ``.``.

    >>> flatten({"roc_auc": 0.9, "per_class": {"S": {"detection_rate": 0.5}}})
    {'roc_auc': 0.9, 'per_class.S.detection_rate': 0.5}
    """
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, prefix=f"{key}."))
        else:
            out[key] = v
    return out


def collect(out_dir, write_csv=True) -> pd.DataFrame:
    """One row per run folder under ``out_dir`` (its children, and their children).

    A run folder is one holding ``metrics.json``, ``error.json`` or ``run.ipynb``; hidden folders (a run
    still being written, :func:`run_point`) are not runs. Columns: ``run``
    (the folder, relative to ``out_dir``), ``status`` (``"ok"`` / ``"failed"``), ``error`` (the message,
    or empty), then the parameters under their own names (``out_dir`` left out: ``run`` says where),
    then the flattened metrics (``roc_auc``, ``per_class.S.detection_rate``) and timings. A metric or
    timing whose name clashes with an earlier column keeps its section prefix (``timings.seed``).
    A failed run has only the parameters it was asked to run with, and no metrics. A folder with a
    notebook but neither file (an interrupted run) counts as failed.

    Rows are sorted by ``run`` in natural order (``batch_size=64`` before ``batch_size=256``). With
    ``write_csv`` the table is also written, atomically, to ``<out_dir>/results.csv``. The parameter
    columns are listed in ``df.attrs["param_columns"]``.
    """
    out_dir = Path(out_dir)
    folders = [p for p in list(out_dir.glob("*")) + list(out_dir.glob("*/*"))
               if p.is_dir() and not any(part.startswith(".") for part in p.relative_to(out_dir).parts)
               and any((p / f).exists() for f in (METRICS_FILE, ERROR_FILE, NOTEBOOK_FILE))]
    rows, param_cols = [], []
    for folder in folders:
        row = {"run": folder.relative_to(out_dir).as_posix(), "status": "failed", "error": ""}
        params, values = {}, {}
        try:
            if (folder / ERROR_FILE).exists():
                record = json.loads((folder / ERROR_FILE).read_text())
                params, row["error"] = record.get("params", {}), record.get("error", "")
            elif (folder / METRICS_FILE).exists():
                record = json.loads((folder / METRICS_FILE).read_text())
                params, row["status"] = record.get("params", {}), "ok"
                for section in ("metrics", "timings"):
                    for k, v in flatten(record.get(section, {}) or {}).items():
                        values[k if k not in params and k not in values and k not in row
                               else f"{section}.{k}"] = v
            else:
                row["error"] = f"no {METRICS_FILE} or {ERROR_FILE} (interrupted, or still running)"
        except (OSError, ValueError) as exc:
            row["status"], row["error"] = "failed", f"unreadable result: {error_message(exc)}"
        # lists (e.g. channels) become their JSON text, so that tables can group by them
        params = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items() if k != "out_dir"}
        param_cols += [k for k in params if k not in param_cols]
        rows.append({**row, **params, **values})
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["run", "status", "error"])
    else:
        first = ["run", "status", "error"] + param_cols
        df = df[first + [c for c in df.columns if c not in first]]
        df = df.iloc[sorted(range(len(df)), key=lambda i: _natural(df["run"].iat[i]))].reset_index(drop=True)
    df.attrs["param_columns"] = list(param_cols)
    if write_csv and out_dir.exists():
        tmp = out_dir / (RESULTS_FILE + ".tmp")
        df.to_csv(tmp, index=False)
        os.replace(tmp, out_dir / RESULTS_FILE)
    return df


def _natural(text):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


# ---------------------------------------------------------------------------------------- summarizing
def ok_runs(df):
    """The rows of the runs that finished (all rows of a table without a status column)."""
    return df[df["status"] == "ok"] if "status" in df.columns else df


def _by(by):
    return [by] if isinstance(by, str) else list(by)


def summarize(df, by, metrics=("roc_auc",)) -> pd.DataFrame:
    """Mean, std and count over seeds (the successful runs) per value(s) of ``by``.

    Returns a table indexed by ``by`` with columns ``(metric, "mean" | "std" | "count")``; the std of a
    single seed is NaN.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    ok = ok_runs(df)
    table = ok.groupby(_by(by), dropna=False, sort=True)[metrics].agg(["mean", "std", "count"])
    return table


def _ranked(df, by, metric, higher_is_better):
    table = summarize(df, by, metric)[metric].dropna(subset=["mean"])
    return table.sort_values("mean", ascending=not higher_is_better, kind="stable")


def _point_text(by, key) -> str:
    key = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={value_text(v.item() if isinstance(v, np.generic) else v)}"
                     for b, v in zip(_by(by), key))


def reading(df, by, metric="roc_auc", higher_is_better=True) -> str:
    """A short reading of a sweep: the best point by mean, the runner-up, and whether seeds separate them.

    The gap between the two means is compared with the seed spread, the larger of their two standard
    deviations: a gap within it says the sweep cannot tell the two apart with these seeds.

    Honesty: this reads whatever ``metric`` names; only a validation-side metric may choose a
    configuration.
    """
    ranked = _ranked(df, by, metric, higher_is_better)
    if ranked.empty:
        return f"No successful run has {metric}."
    best_key, best = ranked.index[0], ranked.iloc[0]
    seeds = f"{int(best['count'])} seed{'s' if best['count'] != 1 else ''}"
    text = f"Best {_point_text(by, best_key)}: {metric} {_mean_std(best)} ({seeds})"
    if len(ranked) == 1:
        return text + "; no other point to compare with."
    next_key, nxt = ranked.index[1], ranked.iloc[1]
    text += f"; next {_point_text(by, next_key)}: {_mean_std(nxt)}"
    gap = abs(best["mean"] - nxt["mean"])
    spread = max(best["std"], nxt["std"])
    if np.isnan(spread):
        return text + f"; the gap ({fmt_number(gap)}) cannot be judged: one seed gives no spread."
    if gap > spread:
        return text + f"; the gap ({fmt_number(gap)}) is larger than the seed spread ({fmt_number(spread)})."
    return (text + f"; the gap ({fmt_number(gap)}) is within the seed spread ({fmt_number(spread)}): "
            f"these seeds do not separate the two.")


def _mean_std(row) -> str:
    return fmt_number(row["mean"]) if np.isnan(row["std"]) else f"{fmt_number(row['mean'])} ± {fmt_number(row['std'])}"


def best_params(df, by, metric, higher_is_better=True) -> dict:
    """The parameters of the best point by mean ``metric`` over seeds.

    ``metric`` is required on purpose: the project selects configurations on validation-side metrics,
    never on test labels, so the caller must name the metric it selects on (no silent default to a
    test metric such as ``roc_auc`` on the test set).

    Returns the ``by`` values of the best point and, when ``df`` comes from :func:`collect`, every other
    parameter that is constant over that point's runs (``seed`` and ``out_dir`` left out), as plain
    Python values, so that the notebook reruns that configuration.
    """
    ranked = _ranked(df, by, metric, higher_is_better)
    if ranked.empty:
        raise ValueError(f"no successful run has {metric!r}")
    key = ranked.index[0]
    key = key if isinstance(key, tuple) else (key,)
    params = dict(zip(_by(by), key))
    ok = ok_runs(df)
    rows = ok
    for b, v in params.items():
        rows = rows[rows[b].isna()] if is_nan(v) else rows[rows[b] == v]
    for col in df.attrs.get("param_columns", []):
        if col in params or col in RESERVED or col not in rows.columns:
            continue
        values = [v for v in rows[col] if v is not None and not is_nan(v)]
        distinct = {json.dumps(plain_value(v), sort_keys=True, default=str) for v in values}
        if len(distinct) == 1 and len(values) == len(rows):
            params[col] = values[0]
    return {k: plain_value(v) for k, v in params.items() if not is_nan(v)}
