"""JSON for results: NumPy scalars and arrays, paths and sets made plain, NaN and infinities as null."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ecg_utils.io.files import written_whole


def json_default(o):
    """``json.dumps(default=...)`` for what numpy and pathlib put in results: scalars, arrays, paths, sets."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def jsonable(obj):
    """``obj`` with dict keys as strings, NumPy scalars as Python numbers and NaN/inf as None: strict JSON."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def json_types(obj):
    """Plain JSON types (tuples -> lists, numpy scalars -> Python), as they come back from metrics.json."""
    return json.loads(json.dumps(obj, default=json_default))


def plain_value(v):
    """A plain Python value: numpy scalars unwrapped, list parameters (stored as JSON text) parsed back."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def is_nan(v) -> bool:
    """True for a float NaN (and nothing else)."""
    return isinstance(v, float) and math.isnan(v)


def value_text(v) -> str:
    """A parameter value as short text: strings as they are, floats exactly, the rest as compact JSON."""
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return repr(v)
    return json.dumps(json_types(v), separators=(",", ":"))


def write_json(path, obj, indent=2) -> Path:
    """Write ``obj`` as JSON (:func:`json_default` for NumPy and paths), whole or not at all."""
    text = json.dumps(obj, indent=indent, default=json_default)
    with written_whole(path) as tmp:
        tmp.write_text(text)
    return Path(path)
