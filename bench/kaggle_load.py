"""Benchmark: load a Kaggle CSV the size of mitbih_train.csv (87,554 rows, ~390 MB).

    python bench/kaggle_load.py [--rows 87554] [--out bench/results/kaggle_load.json]

Generates a random file in the exact Kaggle format in a temporary folder, then loads it with
``load_kaggle_csv`` in a fresh subprocess and reports wall time and that process's peak memory.
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

CHILD = """
import resource, sys, time
from ecg_utils.kaggle import load_kaggle_csv
t0 = time.perf_counter()
b = load_kaggle_csv(sys.argv[1])
dt = time.perf_counter() - t0
print(len(b), dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=87_554)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "kaggle_load.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mitbih_train.csv"
        rng = np.random.default_rng(0)
        with open(path, "w") as f:
            for start in range(0, args.rows, 10_000):
                n = min(10_000, args.rows - start)
                X = rng.random((n, 187))
                X[:, 120:] = 0.0
                np.savetxt(f, np.column_stack([X, rng.integers(0, 5, n)]), fmt="%.18e", delimiter=",")
        mb = path.stat().st_size / 1e6
        print(f"generated {args.rows} rows, {mb:.0f} MB; loading in a fresh process ...", flush=True)
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
        n, seconds, peak_mib = out.stdout.split()
    import pandas as pd

    result = {"rows": int(n), "megabytes": round(mb, 1), "seconds": round(float(seconds), 2),
              "peak_MiB": round(float(peak_mib), 1), "cpu_count": os.cpu_count(), "python": platform.python_version(),
              "numpy": np.__version__, "pandas": pd.__version__, "date": time.strftime("%Y-%m-%d")}
    print(f"load_kaggle_csv: {result['rows']} rows ({mb:.0f} MB) in {result['seconds']} s, "
          f"peak {result['peak_MiB']} MiB (targets: < 20 s, < 2048 MiB)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
