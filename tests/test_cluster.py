"""Sweeps and scans on Dask: a local cluster of process workers, a worker killed mid-point, resume, no scheduler."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from conftest import write_toy_notebook

from ecg_utils import cluster
from ecg_utils.experiments.sweep import collect, grid_points, run_name, run_sweep
from ecg_utils.io.files import MARKER
from ecg_utils.scan.archive import scan_many

pytestmark = pytest.mark.slow

PARAMS_CELL = 'x = 1\nseed = 0\nout_dir = "."\nsleep = 0.0\nmarker_dir = ""'
# each attempt leaves a marker named by its kernel's pid, holding the pid of the process that started the kernel
MARK_CELL = """import os, pathlib, time
if marker_dir:
    pathlib.Path(marker_dir, f"x={x}.{os.getpid()}").write_text(str(os.getppid()))
time.sleep(sleep)"""
WRITE_CELL = """import json, pathlib
record = {"params": {"x": x, "seed": seed, "out_dir": out_dir, "sleep": sleep, "marker_dir": marker_dir},
          "metrics": {"roc_auc": x * 0.1 + seed * 0.01}, "timings": {"fit_seconds": 0.1}}
pathlib.Path(out_dir, "metrics.json").write_text(json.dumps(record))"""
GRID = {"x": [1, 2, 3]}


@pytest.fixture(scope="module")
def toy_notebook(tmp_path_factory):
    return write_toy_notebook(tmp_path_factory.mktemp("toy") / "toy.ipynb", PARAMS_CELL, MARK_CELL, WRITE_CELL)


@pytest.fixture(scope="module")
def local_address():
    """A LocalCluster of 2 process workers (ecg_utils.cluster.local_cluster), for the whole module."""
    with cluster.local_cluster(n_workers=2) as lc:
        yield lc.scheduler_address


def _markers(folder):
    """{x: [(kernel pid, its parent's pid), ...]} of every attempt."""
    out = {}
    for p in folder.iterdir():
        x, pid = p.name[2:].split(".")
        out.setdefault(int(x), []).append((int(pid), int(p.read_text())))
    return out


def _check_whole(out_dir, grid=GRID):
    """One run folder per point, each finished once, nothing partial left, the table one ok row per point."""
    runs = sorted(p.name for p in out_dir.iterdir() if p.is_dir())
    assert runs == sorted(run_name(point, 0) for point in grid_points(grid)), runs
    assert not [p.name for p in out_dir.iterdir() if p.name.startswith(".") and p.name != MARKER]
    table = pd.read_csv(out_dir / "results.csv")
    assert list(table.run) == runs and (table.status == "ok").all(), table.error.tolist()
    assert sorted(table.roc_auc) == pytest.approx(sorted(0.1 * p["x"] for p in grid_points(grid)))
    for run in runs:   # the stored out_dir is the run folder, not the partial folder it was built in
        assert json.loads((out_dir / run / "metrics.json").read_text())["params"]["out_dir"] == str(out_dir / run)
    return table


def test_a_sweep_through_a_local_cluster_of_two_process_workers(toy_notebook, local_address, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    lines = []
    df = run_sweep(toy_notebook, GRID, seeds=(0,), out_dir=tmp_path / "sweep", scheduler=local_address,
                   base_params={"marker_dir": str(marks), "sleep": 1.0}, progress=lines.append)
    _check_whole(tmp_path / "sweep")
    assert list(df.x) == [1, 2, 3] and len(lines) == 3 and all(" ok  roc_auc=" in line for line in lines)
    attempts = _markers(marks)
    assert sorted(attempts) == [1, 2, 3] and all(len(a) == 1 for a in attempts.values())
    parents = {a[0][1] for a in attempts.values()}
    assert len(parents) == 2 and os.getpid() not in parents   # both workers ran points, this process none


def test_resume_skips_finished_points_and_reruns_only_a_missing_one(toy_notebook, local_address, tmp_path):
    out = tmp_path / "sweep"
    run_sweep(toy_notebook, GRID, seeds=(0,), out_dir=out, scheduler=local_address, progress=None)
    before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/run.ipynb")}

    lines = []
    run_sweep(toy_notebook, GRID, seeds=(0,), out_dir=out, scheduler=local_address, progress=lines.append)
    assert [line.split("  ")[-1] for line in lines] == ["skipped (done)"] * 3
    assert {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/run.ipynb")} == before

    # a point lost on the way: its folder gone, a half-built partial folder left (with a stale metrics.json)
    (out / "x=2__seed=0" / "metrics.json").unlink()
    stale = out / ".x=2__seed=0.abcd1234.partial"
    stale.mkdir()
    (stale / "metrics.json").write_text('{"params": {"x": 2}, "metrics": {"roc_auc": 99}}')
    assert len(collect(out, write_csv=False)) == 3          # the partial folder is not a run
    lines = []
    run_sweep(toy_notebook, GRID, seeds=(0,), out_dir=out, scheduler=local_address, progress=lines.append)
    assert sorted(line.split("  ")[1] for line in lines) == ["ok", "skipped (done)", "skipped (done)"]
    assert "x=2" in [line for line in lines if "skipped" not in line][0]
    _check_whole(out)
    after = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/run.ipynb")}
    assert [k for k in before if after[k] != before[k]] == ["x=2__seed=0"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_worker_killed_while_it_runs_a_point_loses_nothing(toy_notebook, tmp_path):
    """A scheduler and two workers as separate processes (the dask CLIs); the worker running x=1 is killed."""
    env = {**os.environ, **cluster.thread_env(1)}
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    workers = {p.pid: p for p in procs[1:]}
    marks, out = tmp_path / "marks", tmp_path / "sweep"
    marks.mkdir()
    kernels = []
    try:
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        result, lines = {}, []
        grid = [{"x": 1, "sleep": 4.0}, {"x": 2, "sleep": 1.0}, {"x": 3, "sleep": 1.0}]
        sweep = threading.Thread(target=lambda: result.update(df=run_sweep(
            toy_notebook, grid, seeds=(0,), out_dir=out, scheduler=address, base_params={"marker_dir": str(marks)},
            progress=lines.append)))
        sweep.start()
        deadline = time.monotonic() + 60
        while not list(marks.glob("x=1.*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        (first,) = _markers(marks)[1]
        kernels.append(first[0])
        assert first[1] in workers            # x=1 runs in a kernel started by one of our two workers
        workers[first[1]].kill()              # SIGKILL, mid-point
        killed = first[1]
        sweep.join(timeout=90)
        assert not sweep.is_alive()
    finally:
        for p in procs:
            p.kill()
            p.wait()
        for pid in kernels:                   # the killed worker's kernel, if it outlived its parent
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    attempts = _markers(marks)
    assert len(attempts[1]) == 2 and attempts[1][0][1] != attempts[1][1][1]   # rerun by the other worker
    assert {pp for a in attempts.values() for _, pp in a} - {killed} == set(workers) - {killed}
    assert len(lines) == 3 and all(" ok  roc_auc=" in line for line in lines)
    table = _check_whole(out, grid)
    pd.testing.assert_frame_equal(result["df"], collect(out, write_csv=False))
    assert table.run.is_unique


@pytest.mark.parametrize("how", ["address", "env"])
def test_an_unreachable_scheduler_is_one_clear_error_naming_it(toy_notebook, tmp_path, monkeypatch, how):
    address = f"tcp://127.0.0.1:{_free_port()}"
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    monkeypatch.setenv(cluster.ADDRESS_ENV, address)
    t0 = time.monotonic()
    with pytest.raises(cluster.SchedulerUnreachable) as info:
        run_sweep(toy_notebook, GRID, seeds=(0,), out_dir=tmp_path / "sweep",
                  scheduler=address if how == "address" else "env", progress=None)
    message = str(info.value)
    assert f"cannot reach the Dask scheduler at {address}" in message and "\n" not in message
    assert time.monotonic() - t0 < 20
    assert not [p for p in (tmp_path / "sweep").iterdir() if p.is_dir()]   # nothing ran, nothing half-written


def test_scan_many_on_the_cluster_matches_the_scan_here(mitdb_dir, local_address, tmp_path):
    bad = tmp_path / "nofs.csv"
    bad.write_text("1.0\n2.0\n")
    sources = [str(mitdb_dir / "119.hea"), str(bad)]
    lines = []
    table = scan_many(sources, tmp_path / "dask", scheduler=local_address, report=False, progress=lines.append)
    assert list(table.recording) == ["119", "nofs"] and list(table.status) == ["ok", "failed"]
    assert "nofs.csv" in table.error[1] and "sampling rate" in table.error[1] and len(lines) == 2
    assert pd.read_csv(tmp_path / "dask" / "summary.csv").recording.astype(str).tolist() == ["119", "nofs"]
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == [MARKER, "119", "summary.csv"]   # nothing for nofs
    here = scan_many([mitdb_dir / "119.hea"], tmp_path / "here", report=False, progress=None)
    for got in ("flagged", "beats", "beats_scored"):
        assert table[got][0] == here[got][0]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask" / "119" / "beats.csv"),
                                  pd.read_csv(tmp_path / "here" / "beats.csv"))
    beats = pd.read_csv(tmp_path / "dask" / "119" / "beats.csv")
    assert table.flagged[0] == beats.flagged.sum() > 300 and table.beats[0] == len(beats)   # 119 has 444 V beats


def test_scan_with_an_unreachable_scheduler_is_exit_code_2_and_one_line(mitdb_dir, tmp_path, monkeypatch, capsys):
    from ecg_utils.cli import main

    address = f"tcp://127.0.0.1:{_free_port()}"
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    out = tmp_path / "scans"
    assert main(["scan", str(mitdb_dir / "119.hea"), str(mitdb_dir / "208.hea"), "--out", str(out),
                 "--scheduler", address]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Dask scheduler at {address}"), lines
    assert not out.exists()
