"""Files the project writes, written whole or not at all: a temporary file beside the target, renamed over it
(``os.replace``, atomic on one file system) only once it is complete.

Examples
--------
>>> with written_whole("scores.csv") as tmp:                     # doctest: +SKIP
...     table.to_csv(tmp, index=False)
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from ecg_utils.errors import DataError


@contextmanager
def written_whole(path, suffix=".tmp"):
    """Yield a temporary path beside ``path`` to write; on success it replaces ``path``, on any error it is
    removed and ``path`` (if it existed) is left untouched. The folder is created if needed.

    Parameters
    ----------
    path : path
        The file to write.
    suffix : str
        The temporary name's ending (``np.savez`` needs ``.npz``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_writable(path, what="output") -> Path:
    """Raise :class:`DataError` unless a file can be written at ``path``: checked before the work that
    produces it, so that a typo costs nothing.

    Raises
    ------
    DataError
        When ``path`` is a folder, a folder on its way is a file, or the nearest existing folder is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; the {what} is a file (give a file name)")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise DataError(f"{path}: cannot write the {what} here ({parent} is not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DataError(f"{path}: cannot write the {what} here (no permission)")
    return path
