"""The one contract every detector keeps (PyOD's and scikit-learn's conventions), so that the autoencoder, the fused
peers and the plain peers are interchangeable in the benchmark and the scan.

- ``__init__`` only stores its parameters; :meth:`fit(train, validation)` validates them and learns from normal beats,
  the threshold from the validation normals' scores with the shared :class:`~ecg_utils.detect.threshold.ThresholdRule`;
- fitted state ends in ``_`` (``threshold_``, ``validation_scores_``, ``fit_seconds_``, ...);
- :meth:`decision_function(X)` is higher for more anomalous beats; :meth:`predict(X)` is 1 (anomaly) where it
  exceeds ``threshold_``, else 0;
- :meth:`get_params` returns the ``__init__`` parameters, :meth:`set_params` sets them;
- before ``fit`` (or ``load``), scoring raises :class:`~ecg_utils.errors.NotFittedError`; no beats to learn from raises
  :class:`~ecg_utils.errors.DataError`.

:func:`ecg_utils.detect.factory.make_detector` builds any of them by name.
"""
from __future__ import annotations

import inspect

import numpy as np

from ecg_utils.detect.threshold import ThresholdRule
from ecg_utils.errors import DataError, NotFittedError
from ecg_utils.io.dataset import ANOMALY


class Detector:
    """The base of every detector: parameters, the fitted check, the threshold rule and ``predict``.

    Subclasses define ``__init__`` (storing each parameter under its own name, the four threshold parameters among
    them), ``fit`` and ``decision_function``.
    """

    def get_params(self, deep=True) -> dict:
        """The ``__init__`` parameters, by name (scikit-learn's convention)."""
        return {name: getattr(self, name) for name in inspect.signature(type(self).__init__).parameters
                if name not in ("self", "args", "kwargs")}

    def set_params(self, **params):
        """Set ``__init__`` parameters by name; an unknown name is a ValueError. Returns the detector."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r} for {type(self).__name__}; its parameters are "
                                 f"{', '.join(valid)}")
            setattr(self, name, value)
        return self

    def describe(self) -> dict:
        """The parameters, JSON-ready: a parameter that is itself a detector or a scorer is named by its class,
        with its own parameters (for result files)."""
        def plain(value):
            if isinstance(value, dict):
                return {str(k): plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if hasattr(value, "get_params") or hasattr(value, "speaks"):
                inner = getattr(value, "peer", None)
                return {"class": type(value).__name__,
                        **(plain(value.get_params()) if hasattr(value, "get_params") else {}),
                        **({"peer": plain(inner)} if inner is not None else {})}
            return value

        return plain(self.get_params())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    @property
    def threshold_rule_(self) -> ThresholdRule:
        """The threshold rule the parameters give (checked)."""
        return ThresholdRule.of(self).check()

    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or ``load``) has run: a threshold was learned."""
        return getattr(self, "threshold_", None) is not None

    def check_fitted(self):
        """Raise :class:`NotFittedError` unless the detector is fitted."""
        if not self.is_fitted():
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() (or load() a saved one)")

    @staticmethod
    def check_training(train, validation):
        """Raise :class:`DataError` when either side holds no beats (named: the training or the validation side)."""
        for data, role in ((train, "train"), (validation, "validation")):
            if data is None or len(data) == 0:
                raise DataError(f"{role}: no beats; fit needs normal training beats and normal validation beats")

    def decision_function(self, X) -> np.ndarray:  # pragma: no cover - every detector defines it
        raise NotImplementedError

    def predict(self, X) -> np.ndarray:
        """1 (anomaly) where the score exceeds ``threshold_``, else 0 (int64)."""
        self.check_fitted()
        return np.where(np.asarray(self.decision_function(X)) > self.threshold_, ANOMALY, 0).astype(np.int64)
