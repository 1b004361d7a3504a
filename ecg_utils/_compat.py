"""The module names of ecg-detector 0.1, before the package was laid out by stage: they still import, for one
release, with a :class:`DeprecationWarning` naming the new module (``ecg_utils.detector`` -> ``ecg_utils.detect.
autoencoder``). Each old name is a module whose attributes are looked up in the new modules it was split into.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: Old module -> the new modules its names now live in (first match wins).
MOVED = {
    "ecg_utils.archive": ("ecg_utils.scan.archive",),
    "ecg_utils.baselines": ("ecg_utils.detect.peers", "ecg_utils.detect.threshold", "ecg_utils.detect.factory"),
    "ecg_utils.beats": ("ecg_utils.signal.cutting", "ecg_utils.signal.filters", "ecg_utils.signal.rr",
                        "ecg_utils.signal.templates", "ecg_utils.signal.build"),
    "ecg_utils.data": ("ecg_utils.io.records", "ecg_utils.io.physionet", "ecg_utils.io.databases.mitdb"),
    "ecg_utils.dataset": ("ecg_utils.io.dataset",),
    "ecg_utils.detector": ("ecg_utils.detect.autoencoder", "ecg_utils.detect.saved", "ecg_utils.detect.augment",
                           "ecg_utils.detect.threshold"),
    "ecg_utils.evidence": ("ecg_utils.detect.evidence",),
    "ecg_utils.evidence.deviation": ("ecg_utils.detect.evidence.deviation",),
    "ecg_utils.evidence.reconstruction": ("ecg_utils.detect.evidence.reconstruction",),
    "ecg_utils.evidence.rhythm": ("ecg_utils.detect.evidence.prematurity",),
    "ecg_utils.execute": ("ecg_utils.experiments.execute",),
    "ecg_utils.experiment": ("ecg_utils.experiments.sweep", "ecg_utils.experiments.sweep_figure",
                             "ecg_utils.experiments.params_file"),
    "ecg_utils.files": ("ecg_utils.io.files",),
    "ecg_utils.fusion": ("ecg_utils.detect.fusion", "ecg_utils.detect.fused", "ecg_utils.detect.factory"),
    "ecg_utils.inference": ("ecg_utils.experiments.inference",),
    "ecg_utils.kaggle": ("ecg_utils.io.kaggle",),
    "ecg_utils.model": ("ecg_utils.detect.model",),
    "ecg_utils.peaks": ("ecg_utils.signal.peaks",),
    "ecg_utils.pipeline": ("ecg_utils.experiments.pipeline", "ecg_utils.experiments.runs", "ecg_utils.io.jsonable",
                           "ecg_utils.io.environment"),
    "ecg_utils.plots": ("ecg_utils.experiments.figures", "ecg_utils.scan.figures"),
    "ecg_utils.presets": ("ecg_utils.detect.presets",),
    "ecg_utils.pretrained": ("ecg_utils.detect.pretrained",),
    "ecg_utils.quality": ("ecg_utils.signal.quality",),
    "ecg_utils.recording": ("ecg_utils.io.recording",),
    "ecg_utils.report": ("ecg_utils.experiments.report",),
    "ecg_utils.rhythm": ("ecg_utils.signal.rhythm",),
    "ecg_utils.scan_output": ("ecg_utils.scan.output", "ecg_utils.scan.annotations", "ecg_utils.scan.report"),
    "ecg_utils.splits": ("ecg_utils.io.splits", "ecg_utils.signal.build", "ecg_utils.io.databases.mitdb"),
    "ecg_utils.summary": ("ecg_utils.experiments.overview",),
    "ecg_utils.wfdb_io": ("ecg_utils.io.wfdb_io",),
}


def moved_attribute(old, targets, name, warn=False):
    """``name`` looked up in ``targets`` (new module names), for the old module ``old``; AttributeError if absent.
    With ``warn``, a :class:`DeprecationWarning` names where it lives now."""
    for target in targets:
        module = importlib.import_module(target)
        if hasattr(module, name):
            if warn:
                warnings.warn(f"{old}.{name} is now {target}.{name}; the old name works until ecg-detector 0.3",
                              DeprecationWarning, stacklevel=3)
            return getattr(module, name)
    raise AttributeError(f"module {old!r} has no attribute {name!r} (its names moved to {', '.join(targets)})")


class _OldModule(types.ModuleType):
    """An old module name: its attributes come from the new modules."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return moved_attribute(self.__name__, MOVED[self.__name__], name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old module names of :data:`MOVED` (only those: every other import is left to Python)."""

    def find_spec(self, fullname, path, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = _OldModule(spec.name)
        if any(name.startswith(spec.name + ".") for name in MOVED):
            module.__path__ = []  # an old package (ecg_utils.evidence): its old submodules import too
        return module

    def exec_module(self, module):
        warnings.warn(f"{module.__name__} is now {' and '.join(MOVED[module.__name__])} (the package is laid out "
                      "by stage); the old name works until ecg-detector 0.3", DeprecationWarning, stacklevel=3)


def install():
    """Let the old module names import (once per process)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
