"""The machine and library versions a result was measured with (``metrics.json``, benchmark files)."""
from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

#: Each library reported, by the distributions that may provide it (TensorFlow comes as tensorflow-cpu too).
LIBRARIES = {"numpy": ["numpy"], "scipy": ["scipy"], "pandas": ["pandas"], "scikit-learn": ["scikit-learn"],
             "keras": ["keras"], "tensorflow": ["tensorflow", "tensorflow-cpu"], "wfdb": ["wfdb"],
             "ecg-detector": ["ecg-detector"]}


def environment() -> dict:
    """Hardware, operating system, Python and library versions (read from the installed distributions, so nothing
    heavy is imported), and the load average: a load above 0 means other jobs shared the cores."""
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": ram_gib(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": {name: version(*dists) for name, dists in LIBRARIES.items()},
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib():
    """The machine's memory in GiB (from /proc/meminfo), or None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def version(*dists):
    """The installed version of the first of ``dists`` found, or None."""
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
