"""The package's plan holds: stages import downwards only, no import cycle, the benchmark's helpers in one module,
and the module names of 0.1 still import (with a deprecation warning)."""
import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

from ecg_utils import _compat

PKG = Path(__file__).resolve().parents[1] / "ecg_utils"
BENCH = PKG.parent / "bench"
#: Each stage's rank: a module may import from a lower rank, or from its own folder.
RANKS = {"config": 0, "errors": 0, "cluster": 0, "plotting": 0, "_compat": 0, "io": 1, "signal": 2, "detect": 3, "metrics": 3,
         "scan": 4, "experiments": 4, "cli": 5, "__init__": 5, "__main__": 5}


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _imports(path: Path) -> set:
    """Every ecg_utils module ``path`` imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ecg_utils"):
            for alias in node.names:  # `from ecg_utils.io import files` names a module
                sub = f"{node.module}.{alias.name}"
                out.add(sub if (PKG.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                        or (PKG.parent / sub.replace(".", "/")).is_dir() else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("ecg_utils")}
    return out


GRAPH = {_module(p): _imports(p) for p in PKG.rglob("*.py")}


def test_every_module_belongs_to_a_stage():
    assert {_stage(m) for m in GRAPH} <= set(RANKS), {_stage(m) for m in GRAPH} - set(RANKS)


def test_stages_import_downwards_only():
    wrong = []
    for module, imports in GRAPH.items():
        me = _stage(module)
        for other in imports:
            them = _stage(other)
            base_or_top = RANKS[me] == RANKS[them] and RANKS[me] in (0, 5)  # config, errors...; cli, __main__
            if me != them and RANKS[them] >= RANKS[me] and not base_or_top and me != "__init__":
                wrong.append(f"{module} -> {other}")
    assert not wrong, wrong


def test_no_import_cycle():
    seen, path, cycles = set(), [], []

    def visit(m):
        if m in path:
            cycles.append(path[path.index(m):] + [m])
            return
        if m in seen or m not in GRAPH:
            return
        path.append(m)
        for other in GRAPH[m]:
            if other != "ecg_utils" and m != "ecg_utils":   # the package's __init__ re-exports; it is no stage
                visit(other)
        path.pop()
        seen.add(m)

    for m in sorted(GRAPH):
        visit(m)
    assert not cycles, cycles


def test_benchmark_modules_share_one_helper_module():
    """bench/common.py holds what the benchmark modules share; none imports the benchmark itself (bench/run.py)."""
    for path in BENCH.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "bench.run" not in imported or path.name == "__main__.py", path.name


@pytest.mark.parametrize("old", sorted(_compat.MOVED))
def test_old_module_names_still_import_with_a_warning(old):
    for name in [m for m in sys.modules if m == old or m.startswith(old + ".")]:
        del sys.modules[name]   # imported by an earlier test: import it afresh
    with pytest.warns(DeprecationWarning, match=old.replace(".", r"\.") + " is now"):
        module = importlib.import_module(old)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target in _compat.MOVED[old]:
            new = importlib.import_module(target)
            public = [n for n in dir(new) if not n.startswith("_") and getattr(getattr(new, n), "__module__", None)
                      == target]
            for name in public[:3]:
                assert getattr(module, name) is getattr(new, name)
