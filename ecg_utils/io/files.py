"""Files and folders the project writes: written whole or not at all, and never over what it did not write.

A file is written to a temporary name beside its target and renamed over it (``os.replace``, atomic on one file
system) only once complete (:func:`written_whole`). A folder (a scan's outputs, a saved detector, a run) is built
in a hidden sibling ``.<name>.<random>.partial`` that replaces the target once complete
(:func:`folder_written_whole`). The target is replaced only when it is new, empty, or one of the program's own
earlier outputs: a folder holding the marker file :data:`MARKER` it writes into every output folder (or, for
outputs written before the marker existed, nothing but the files that kind of output holds). Anything else, a
folder of the user's own files, is refused with a message naming it, unless the caller passes ``overwrite=True``;
a folder holding an input of the run is refused even then. A partial folder left behind by a killed run is removed
by the next run that writes the same target.

Examples
--------
>>> with written_whole("scores.csv") as tmp:                     # doctest: +SKIP
...     table.to_csv(tmp, index=False)
>>> with folder_written_whole("scan", "scan outputs", inputs=["rec.hea"]) as tmp:   # doctest: +SKIP
...     (tmp / "beats.csv").write_text(...)
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import glob
import json
import os
import shutil
import stat
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from ecg_utils import config
from ecg_utils.errors import DataError

#: The file every output folder holds: what wrote it, when; a folder holding it may be replaced by a later run.
MARKER = ".ecg-detector"
#: The ending of a folder being built (hidden, beside its target).
PARTIAL_SUFFIX = ".partial"


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{path}: cannot write it here ({exc.strerror or exc}: {exc.filename or path.parent})") \
            from None
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
        When ``path`` is a folder or anything but a regular file (a device such as ``/dev/full``, a pipe), a
        folder on its way is a file, or the nearest existing folder is not writable.
    """
    path = Path(path)
    if not str(path).strip():
        raise DataError(f"no file name given for the {what}")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; the {what} is a file (give a file name)")
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise DataError(f"{path}: is not a regular file (a device or a pipe); the {what} is written as a new file")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise DataError(f"{path}: cannot write the {what} here ({parent} is not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DataError(f"{path}: cannot write the {what} here (no permission)")
    return path


# -- output folders --------------------------------------------------------------------------------------
def is_own_output(folder, known=()) -> bool:
    """Whether ``folder`` may be replaced: it holds :data:`MARKER`, or it is empty, or every entry in it matches
    one of ``known`` (glob patterns of what this kind of output holds: an output written before the marker)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    names = [p.name for p in folder.iterdir()]
    return all(any(fnmatch.fnmatch(name, pattern) for pattern in known) for name in names)


def _holds(folder: Path, path: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it."""
    return path == folder or folder in path.parents


def check_output_folder(folder, what="output", overwrite=False, inputs=(), known=()) -> Path:
    """The folder an output goes to, resolved (a symbolic link to a folder is followed); :class:`DataError` unless
    it may be written: checked before the work that produces it.

    Parameters
    ----------
    folder : path
        The output folder: absent (it is created), empty, or an earlier output of the program (:func:`is_own_output`).
    what : str
        How messages name the output ("scan outputs", "detector").
    overwrite : bool
        Replace a folder that is not the program's own output too (the user means it).
    inputs : paths
        The run's inputs: a folder holding one of them (the input's own folder, or a folder above it) is never
        replaced, whatever ``overwrite`` says.
    known : glob patterns
        What this kind of output holds, for outputs written before the marker existed.

    Raises
    ------
    DataError
        Naming the folder and why it is refused.
    """
    if folder is None or not str(folder).strip():
        raise DataError(f"no output folder given for the {what}")
    given = Path(folder).expanduser()
    path = given.resolve()
    if path in (Path(path.anchor), Path.home().resolve(), Path.cwd().resolve()):
        raise DataError(f"{given}: the {what} would replace {path} itself (the current, home or root folder); give "
                        "a new folder")
    for source in inputs:
        source = Path(source).expanduser().resolve()
        if _holds(path, source):
            raise DataError(f"{given}: holds the input {source.name}; the {what} would replace it. Give another "
                            "output folder (--out)")
    if path.exists() and not path.is_dir():
        raise DataError(f"{given}: exists and is not a folder; the {what} is a folder")
    if path.is_dir():
        try:
            own = is_own_output(path, known)
        except OSError as exc:
            raise DataError(f"{given}: cannot read this folder ({exc.strerror or exc})") from None
        if not own and not overwrite:
            raise DataError(f"{given}: a folder of files this program did not write; the {what} would replace it. "
                            "Give a new folder, or pass --overwrite (overwrite=True) to replace it")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise DataError(f"{given}: cannot write the {what} here ({parent} is not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(f"{given}: cannot write the {what} here (no permission in {parent})")
    return path


def partial_folder(folder) -> Path:
    """A new, empty, hidden sibling of ``folder`` to build it in (``.<name>.<random>.partial``)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=PARTIAL_SUFFIX, dir=folder.parent))
    umask = os.umask(0)
    os.umask(umask)
    work.chmod(0o777 & ~umask)   # mkdtemp makes it private; an output folder is an ordinary folder
    return work


def clear_partials(folder):
    """Remove the partial folders a killed run left beside ``folder`` (built or set aside for it)."""
    folder = Path(folder)
    for p in folder.parent.glob(f".{glob.escape(folder.name)}.*{PARTIAL_SUFFIX}"):
        shutil.rmtree(p, ignore_errors=True)


def replace_folder(new, folder) -> Path:
    """Put the finished folder ``new`` at ``folder``, each step a rename: an existing ``folder`` is set aside, then
    removed once ``new`` is in place (put back if that fails)."""
    new, folder = Path(new), Path(folder)
    if not folder.exists():
        os.replace(new, folder)
        return folder
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old" + PARTIAL_SUFFIX, dir=folder.parent))
    os.replace(folder, aside / "old")
    try:
        os.replace(new, folder)
    except OSError:
        os.replace(aside / "old", folder)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return folder


def write_marker(folder, what) -> Path:
    """Write :data:`MARKER` into ``folder``: this program wrote it (``what``, when), so a later run may replace it."""
    path = Path(folder) / MARKER
    path.write_text(json.dumps({"written_by": "ecg-detector", "version": config.VERSION, "what": what,
                                "date": dt.datetime.now().isoformat(timespec="seconds")}) + "\n")
    return path


@contextmanager
def folder_written_whole(folder, what="output", overwrite=False, inputs=(), known=()):
    """Yield a new hidden folder to fill; on success it replaces ``folder`` (with :data:`MARKER` in it), on any
    error (or an interrupt) it is removed and ``folder`` is left as it was.

    ``folder`` is checked first (:func:`check_output_folder`, same parameters) and partial folders a killed run
    left beside it are removed.

    Raises
    ------
    DataError
        When ``folder`` may not be written (named, with the reason), or writing fails (disk full, no permission).
    """
    target = check_output_folder(folder, what, overwrite, inputs, known)
    clear_partials(target)
    try:
        work = partial_folder(target)
    except OSError as exc:
        raise DataError(f"{folder}: cannot write the {what} here ({exc.strerror or exc})") from None
    try:
        yield work
        write_marker(work, what)
        replace_folder(work, target)
    except OSError as exc:
        raise DataError(f"{folder}: cannot write the {what} ({exc.strerror or exc}); nothing was written") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare_folder(folder, what="output", overwrite=False, inputs=(), known=()) -> Path:
    """Create ``folder`` (or keep it, when it may be written: :func:`check_output_folder`) and mark it as this
    program's, for outputs written into it piece by piece (an archive's one subfolder per recording)."""
    target = check_output_folder(folder, what, overwrite, inputs, known)
    try:
        target.mkdir(parents=True, exist_ok=True)
        write_marker(target, what)
    except OSError as exc:
        raise DataError(f"{folder}: cannot write the {what} here ({exc.strerror or exc})") from None
    return target
