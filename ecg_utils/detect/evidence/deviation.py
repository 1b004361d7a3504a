"""Template deviation: how far a beat is from its patient's template, with no model (a shape evidence)."""
from __future__ import annotations

import numpy as np

from ecg_utils.detect.evidence import SHAPE
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats


def deviation(beats: Beats, role="beats") -> np.ndarray:
    """Each beat minus its patient's template, (n, L); :class:`DataError` naming ``role`` for beats without one."""
    TemplateDeviation.check(beats, role)
    return beats.X - beats.template


class TemplateDeviation:
    """Mean absolute difference between each beat and its patient's template; nothing to learn.

    What a small autoencoder bottleneck reconstructs away (a fusion beat's changed repolarisation) still counts.
    """

    name, speaks, words = "deviation", SHAPE, "template deviation"

    @classmethod
    def check(cls, beats: Beats, role="beats"):
        if not isinstance(beats, Beats) or beats.template is None:
            raise DataError(f"{role}: the {cls.name!r} evidence needs each beat's patient template; build the beats "
                            "with a template width (load_split(template_width=...) or beats.add_templates)")

    def fit(self, train):
        self.check(train, "train")  # nothing to learn, but the beats must have templates
        return self

    def decision_function(self, beats) -> np.ndarray:
        return np.abs(deviation(beats)).mean(axis=1).astype(np.float64)
