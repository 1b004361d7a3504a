"""Kinds of evidence about a beat, one small scorer per module; :func:`registry` finds them.

Each module of this package defines one scorer class with

- ``name``: how detectors, parameters and score parts call it (``"deviation"``);
- ``speaks``: :data:`SHAPE` or :data:`TIMING`, what it says about a beat. Fused scores add up the parts of each
  (``score_parts``' ``shape`` and ``timing``), which the scan's reasons and EC57's VEB / SVEB read;
- ``words``: the evidence in a few words, for axis labels;
- ``check(beats, role)`` (a classmethod): raise :class:`~ecg_utils.errors.DataError`, naming ``role``, for beats
  that lack what the evidence needs;
- ``fit(train)``: learn from normal beats (or nothing), return self;
- ``decision_function(beats)``: a float64 array (n,), higher = more unusual.

Adding a kind of evidence is adding one module here: a detector then fuses it by its name
(``AutoencoderDetector(evidence=("deviation", "prematurity", "<name>"))``); :mod:`ecg_utils.detect.fusion`
calibrates and fuses whatever it is given.
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings

#: What an evidence speaks about: the beat's shape, or its timing.
SHAPE, TIMING = "shape", "timing"
#: Names a scorer may not take: the fused score and its two sums are parts of ``score_parts`` too.
RESERVED = ("score", "shape", "timing")
#: Evidence names of 0.1 and what they are called now.
RENAMED = {"rhythm": "prematurity"}


def registry() -> dict:
    """Every kind of evidence in this package, by name: ``{name: scorer class}``, in module order.

    Found afresh from the package's modules (those not starting with ``_``) on each call, so that a module added
    to the package, or to its ``__path__``, is seen without editing anything else.

    Raises
    ------
    TypeError
        For a scorer with a reserved name, a name used twice, or ``speaks`` neither :data:`SHAPE` nor :data:`TIMING`.

    Examples
    --------
    >>> sorted(registry())
    ['deviation', 'prematurity', 'reconstruction']
    """
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if not (isinstance(obj, type) and obj.__module__ == module.__name__
                    and isinstance(getattr(obj, "name", None), str)):
                continue
            if obj.name in RESERVED or obj.name in found or getattr(obj, "speaks", None) not in (SHAPE, TIMING):
                raise TypeError(f"{module.__name__}.{obj.__name__}: an evidence needs a name of its own (not "
                                f"{', '.join(RESERVED)} nor one already taken) and speaks {SHAPE!r} or {TIMING!r}; "
                                f"got name {obj.name!r}, speaks {getattr(obj, 'speaks', None)!r}")
            found[obj.name] = obj
    return found


def upgrade_evidence_names(names):
    """``names`` (a detector's ``evidence``) with the names of 0.1 replaced by today's (``"rhythm"`` is now
    ``"prematurity"``), with a deprecation warning; anything else is returned as it is."""
    if isinstance(names, (list, tuple)) and any(n in RENAMED for n in names if isinstance(n, str)):
        warnings.warn("the evidence " + ", ".join(f"{old!r} is now {new!r}" for old, new in RENAMED.items()
                                                  if old in names)
                      + "; the old name works until ecg-detector 0.3", DeprecationWarning, stacklevel=3)
        return type(names)(RENAMED.get(n, n) if isinstance(n, str) else n for n in names)
    return names
