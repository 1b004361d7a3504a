"""Reconstruction error: how badly an autoencoder trained on normal beats rebuilds a beat (a shape evidence)."""
from __future__ import annotations

import numpy as np

from ecg_utils.detect.evidence import SHAPE


class Reconstruction:
    """The reconstruction error of a model its detector trains (:class:`ecg_utils.detect.autoencoder.AutoencoderDetector`).

    Parameters
    ----------
    errors : callable
        ``errors(beats)`` -> the per-beat error, float array (n,): the detector's own, on beats it has checked.
    """

    name, speaks, words = "reconstruction", SHAPE, "reconstruction"

    def __init__(self, errors):
        self.errors = errors

    @classmethod
    def check(cls, beats, role="beats"):
        """Nothing beyond what the detector checks."""

    def fit(self, train):
        return self  # the model is trained by its detector

    def decision_function(self, beats) -> np.ndarray:
        return np.asarray(self.errors(beats), dtype=np.float64)
