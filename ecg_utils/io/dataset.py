"""The beat dataset every reader produces and every model consumes.

A :class:`Beats` holds ``n`` beats of one representation: the signal windows ``X`` (n, L), the
AAMI class ``y``, where each beat came from (``record``, ``sample``), the RR intervals around it, and
``info``, a JSON-ready description of how it was made.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.files import written_whole

#: AAMI heartbeat classes, in the order of the Kaggle MIT-BIH labels 0-4.
CLASS_NAMES = ("N", "S", "V", "F", "Q")
#: Long names, for reports.
CLASS_LONG_NAMES = {
    "N": "normal / bundle branch block",
    "S": "supraventricular ectopic",
    "V": "ventricular ectopic",
    "F": "fusion",
    "Q": "paced / unclassifiable",
}
#: Record id of beats whose record is not known (Kaggle CSV rows carry none).
UNKNOWN_RECORD = "?"
#: The label an anomaly detector predicts for an abnormal beat (PyOD's convention).
ANOMALY = 1
#: The class of a beat nobody labelled: a detected beat of a recording without annotations, or a detection that
#: matches no reference beat (a false beat). Not normal, not abnormal: metrics and splits leave such beats out.
UNLABELLED = -1

RR_COLUMNS = ("rr_prev", "rr_next", "rr_local")



def as_array(values, name, dtype=None) -> np.ndarray:
    """``np.asarray(values, dtype)``, a ragged list (rows of different lengths) or text named as a
    :class:`DataError` instead of NumPy's ValueError."""
    try:
        return np.asarray(values, dtype=dtype)
    except (ValueError, TypeError) as exc:
        ragged = "inhomogeneous" in str(exc) or "sequence" in str(exc)
        raise DataError(f"{name}: " + ("rows of different lengths (a ragged list); beats must be a 2-D array (n, L)"
                                       if ragged else f"not an array of numbers ({exc})")) from None

@dataclass(frozen=True, eq=False)
class Beats:
    """Heartbeats of one representation.

    Attributes
    ----------
    X : float32 array (n, L)
        One beat per row.
    y : int array (n,)
        Class index into ``info["class_names"]`` (for MIT-BIH: 0-4 = N, S, V, F, Q), or :data:`UNLABELLED` (-1).
    record : str array (n,)
        Record id of each beat, or :data:`UNKNOWN_RECORD`.
    sample : int64 array (n,)
        R-peak position in the record, in samples at the record's own rate (-1 where unknown).
    rr : float32 array (n, 3)
        RR intervals in seconds: previous, next and the local mean around the beat (NaN where unknown).
    info : dict
        How the beats were made: ``source``, ``representation``, ``fs`` (rate of ``X``),
        ``class_names``, build parameters and the records used. JSON-serialisable.
    template : float32 array (n, L) or None
        The patient's own typical beat around each beat (see :func:`ecg_utils.signal.templates.add_templates`):
        context that lets a detector judge a beat against the patient it comes from. None if not made.

    Examples
    --------
    >>> b = Beats.from_arrays(np.zeros((2, 187)), [0, 2], info={"source": "example"})
    >>> b.counts()
    {'N': 1, 'S': 0, 'V': 1, 'F': 0, 'Q': 0}
    """

    X: np.ndarray
    y: np.ndarray
    record: np.ndarray
    sample: np.ndarray
    rr: np.ndarray
    info: dict = field(default_factory=dict)
    template: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.X)
        if self.X.ndim != 2:
            raise ValueError(f"Beats.X must be 2-D (n, L), got shape {self.X.shape}")
        for name in ("y", "record", "sample"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValueError(f"Beats.{name} must have shape ({n},), got {arr.shape}")
        if self.rr.shape != (n, 3):
            raise ValueError(f"Beats.rr must have shape ({n}, 3), got {self.rr.shape}")
        if self.template is not None and self.template.shape != self.X.shape:
            raise ValueError(f"Beats.template must have the shape of X {self.X.shape}, got {self.template.shape}")

    @classmethod
    def from_arrays(cls, X, y, record=None, sample=None, rr=None, info=None) -> "Beats":
        """Build from array-likes, filling unknown fields (record, sample, RR) with their markers."""
        X = as_array(X, "X", np.float32)
        n = len(X)
        info = dict(info or {})
        info.setdefault("class_names", list(CLASS_NAMES))
        return cls(
            X=X,
            y=np.asarray(y, dtype=np.int64).reshape(n),
            record=np.asarray(record if record is not None else [UNKNOWN_RECORD] * n, dtype=str).reshape(n),
            sample=np.asarray(sample if sample is not None else np.full(n, -1), dtype=np.int64).reshape(n),
            rr=np.asarray(rr if rr is not None else np.full((n, 3), np.nan), dtype=np.float32).reshape(n, 3),
            info=info,
        )

    # -- basic views -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, idx) -> "Beats":
        """A subset by boolean mask, index array or slice; ``info`` is shared."""
        if isinstance(idx, slice):
            idx = np.arange(len(self))[idx]
        idx = np.asarray(idx)
        template = None if self.template is None else self.template[idx]
        return Beats(self.X[idx], self.y[idx], self.record[idx], self.sample[idx], self.rr[idx], dict(self.info),
                     template)

    @property
    def length(self) -> int:
        """Samples per beat (L)."""
        return self.X.shape[1]

    @property
    def class_names(self) -> tuple:
        return tuple(self.info.get("class_names", CLASS_NAMES))

    @property
    def is_normal(self) -> np.ndarray:
        """Boolean mask of normal beats (class 0)."""
        return self.y == 0

    @property
    def is_anomaly(self) -> np.ndarray:
        """Binary anomaly labels: 1 for every class but the normal one."""
        return (self.y != 0).astype(np.int64)

    def records(self) -> list:
        """The record ids present, sorted."""
        return sorted(set(self.record.tolist()))

    @property
    def is_labelled(self) -> np.ndarray:
        """Boolean mask of beats with a class (not :data:`UNLABELLED`)."""
        return self.y >= 0

    def counts(self) -> dict:
        """Beats per class name (unlabelled beats are not counted)."""
        counts = np.bincount(self.y[self.y >= 0], minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    def with_info(self, **extra) -> "Beats":
        """A copy sharing the arrays, with ``info`` updated."""
        return Beats(self.X, self.y, self.record, self.sample, self.rr, {**self.info, **extra}, self.template)

    def __repr__(self) -> str:
        return (f"Beats(n={len(self)}, L={self.length}, source={self.info.get('source')!r}, "
                f"representation={self.info.get('representation')!r}, counts={self.counts()})")

    @staticmethod
    def concat(parts) -> "Beats":
        """Concatenate datasets of the same representation; ``info`` of the first, records merged."""
        parts = list(parts)
        if not parts:
            raise ValueError("Beats.concat needs at least one dataset")
        lengths = {p.length for p in parts}
        if len(lengths) > 1:
            raise ValueError(f"cannot concatenate beats of different lengths {sorted(lengths)}")
        info = dict(parts[0].info)
        if "records" in info:
            info["records"] = sorted({r for p in parts for r in p.info.get("records", [])})
        has_template = [p.template is not None for p in parts]
        if any(has_template) and not all(has_template):
            raise ValueError("cannot concatenate beats with and without templates")
        return Beats(
            np.concatenate([p.X for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.record for p in parts]),
            np.concatenate([p.sample for p in parts]),
            np.concatenate([p.rr for p in parts]),
            info,
            np.concatenate([p.template for p in parts]) if all(has_template) else None,
        )

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write to one ``.npz`` file (written to a temporary name, then renamed: never half-written)."""
        path = Path(path)
        extra = {} if self.template is None else {"template": self.template}
        with written_whole(path, suffix=".tmp.npz") as tmp:
            np.savez(tmp, X=self.X, y=self.y, record=self.record, sample=self.sample, rr=self.rr,
                     info=np.array(json.dumps(self.info)), **extra)
        return path

    @classmethod
    def load(cls, path) -> "Beats":
        """Read a file written by :meth:`save`."""
        path = Path(path)
        try:
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                template = z["template"] if "template" in z.files else None
                return cls(z["X"], z["y"], z["record"], z["sample"], z["rr"], json.loads(str(z["info"])), template)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"{path}: not a readable beat dataset ({type(exc).__name__}: {exc})") from exc
