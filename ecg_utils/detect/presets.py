"""Named configurations: the data representation and the detector parameters that go with it.

``baseline`` is the original ECG-Detector: the Kaggle beat format and a plain convolutional
autoencoder scored by reconstruction MAE. Notebooks and the benchmark take a preset's name, and
any parameter can still be overridden one by one.
"""
from __future__ import annotations

import copy

PRESETS = {
    "baseline": {
        "description": "The original method: Kaggle-format beats (125 Hz, [0, 1] per 10-s window, "
                       "R-peak first), a Conv1D autoencoder (kernel 7, max pooling: the best of its configurations "
                       "on the development split, python -m bench.baseline_search), score = reconstruction MAE.",
        "data": {"representation": "kaggle", "template_width": None},
        "detector": {},  # the autoencoder's defaults are the original method (kernel 7, max pooling)
    },
    "recommended": {
        "description": "Each beat judged against its own patient, and its timing: centered beats (0.5-40 Hz, "
                       "per-beat z-score), the autoencoder (a 4-number bottleneck) reconstructs the beat minus the "
                       "patient's template (median of the 101 nearest regular, i.e. not premature, beats of the "
                       "record, no labels); the reconstruction error is fused with the beat's deviation from the template "
                       "(no model) and how premature the beat is for the local rhythm, none where the rhythm is "
                       "irregular (Fisher's combination of tail probabilities on the validation normals); the "
                       "reconstruction error is taken relative to the median of its recording's quiet beats, raised "
                       "where the beats around it are noisier, so that a patient the model fits worse overall is "
                       "judged against itself and noise in one stretch does not move the scores of the rest (no "
                       "labels).",
        "data": {"representation": "centered", "template_width": 101, "template_regular": 0.95},
        "detector": {"context": "template", "evidence": ["deviation", "prematurity"], "latent_dim": 4,
                     "kernel_size": 5, "pooling": "stride",
                     "normalize": "quiet"},
    },
}


def get_preset(name) -> dict:
    """A deep copy of a preset: ``{"description", "data": load_split options, "detector": detector options}``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name])
