"""Prematurity: how early a beat comes for the local rhythm (a timing evidence)."""
from __future__ import annotations

import numpy as np

from ecg_utils.detect.evidence import TIMING
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats


class Prematurity:
    """:func:`ecg_utils.signal.rhythm.prematurity`: ``-log(previous RR / local mean RR)``, none where the rhythm itself is
    irregular (as in atrial fibrillation); nothing to learn. Needs beats cut from a recording (RR intervals)."""

    name, speaks, words = "prematurity", TIMING, "prematurity"

    @classmethod
    def check(cls, beats: Beats, role="beats"):
        if np.isnan(beats.rr[:, 2]).all():
            raise DataError(f"{role}: these beats carry no RR intervals (Kaggle CSV rows); the {cls.name!r} evidence "
                            "needs beats cut from a recording")

    def fit(self, train):
        return self

    def decision_function(self, beats) -> np.ndarray:
        from ecg_utils.signal.rhythm import prematurity

        return prematurity(beats)
