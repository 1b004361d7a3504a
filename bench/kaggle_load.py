"""Benchmark: load a Kaggle CSV the size of mitbih_train.csv (87,554 rows, ~390 MB).

    python bench/kaggle_load.py [--rows 87554] [--out bench/results/kaggle_load.json]

Generates a random file in the exact Kaggle format (``%.18e``, comma-separated, no header; samples in
[0, 1) with a zero-padded tail, labels 0-4) in a temporary folder, then loads it with ``load_kaggle_csv``
in a fresh subprocess and reports the load's wall time and that process's peak memory (``ru_maxrss``,
interpreter and imports included). Then appends one row with text in a field and times how long the
reader takes to name it (the error path: the worst case, a bad last row).
Target: under 20 s and under 2 GiB on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20
TARGET_MIB = 2048
GENERATE_ROWS = 10_000

#: Run in a fresh interpreter: load (or fail to load) the file, print rows, seconds, peak MiB, error.
CHILD = """
import resource, sys, time
from ecg_utils.errors import DataError
from ecg_utils.io.kaggle import load_kaggle_csv
t0 = time.perf_counter()
try:
    n, error = len(load_kaggle_csv(sys.argv[1])), ""
except DataError as exc:
    n, error = 0, str(exc)
dt = time.perf_counter() - t0
print(n, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, error, sep="\\t")
"""


def generate(path, rows, seed=0) -> float:
    """Write ``rows`` random beats to ``path`` in the exact Kaggle format; return its size in MB."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for start in range(0, rows, GENERATE_ROWS):
            n = min(GENERATE_ROWS, rows - start)
            X = rng.random((n, 187))
            X[:, 120:] = 0.0
            np.savetxt(f, np.column_stack([X, rng.integers(0, 5, n)]), fmt="%.18e", delimiter=",")
    return path.stat().st_size / 1e6


def load_in_child(path) -> dict:
    """Load ``path`` in a fresh interpreter: rows, seconds, peak_MiB and the DataError message (or "")."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"the loading process failed:\n{out.stderr}")
    n, seconds, peak_mib, error = out.stdout.rstrip("\n").split("\t")
    return {"rows": int(n), "seconds": round(float(seconds), 2), "peak_MiB": round(float(peak_mib), 1),
            "error": error}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=87_554, help="rows of the generated file (default: 87554)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "kaggle_load.json"),
                        help="the JSON to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mitbih_train.csv"
        t0 = time.perf_counter()
        mb = generate(path, args.rows)
        print(f"generated {args.rows} rows, {mb:.1f} MB in {time.perf_counter() - t0:.0f} s; "
              "loading in a fresh process ...", flush=True)
        ok = load_in_child(path)
        if ok["error"] or ok["rows"] != args.rows:
            raise SystemExit(f"the generated file did not load: {ok}")
        with open(path, "a") as f:
            f.write("abc" + ",0.0" * 187 + "\n")
        bad = load_in_child(path)
    if f"row {args.rows + 1}: column 1 holds 'abc'" not in bad["error"]:
        raise SystemExit(f"the bad last row was not named: {bad}")
    result = {"rows": args.rows, "MB": round(mb, 1), "seconds": ok["seconds"], "peak_MiB": ok["peak_MiB"],
              "error_path_seconds": bad["seconds"], "error_path_peak_MiB": bad["peak_MiB"],
              "targets": {"seconds": TARGET_SECONDS, "peak_MiB": TARGET_MIB},
              "cpu_count": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
              "pandas": pd.__version__, "platform": platform.platform(), "date": time.strftime("%Y-%m-%d")}
    within = ok["seconds"] < TARGET_SECONDS and ok["peak_MiB"] < TARGET_MIB
    print(f"load_kaggle_csv: {args.rows} rows ({mb:.1f} MB) in {ok['seconds']} s, peak {ok['peak_MiB']} MiB "
          f"(targets < {TARGET_SECONDS} s, < {TARGET_MIB} MiB: {'met' if within else 'MISSED'}); "
          f"bad last row named in {bad['seconds']} s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
