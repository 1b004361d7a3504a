"""Checks of parameter values shared by the autoencoder's parameters and its saved description."""
from __future__ import annotations

import numpy as np


def is_number(value) -> bool:
    """A real number (an int or a float, NumPy's too), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_int(name, value, least):
    """Raise ValueError naming ``name`` unless ``value`` is an integer >= ``least`` (not a bool)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def finite_list(value, length=None) -> bool:
    """True for a list of finite numbers (of ``length`` items, if given)."""
    return (isinstance(value, (list, tuple)) and (length is None or len(value) == length)
            and all(is_number(v) and np.isfinite(v) for v in value))
