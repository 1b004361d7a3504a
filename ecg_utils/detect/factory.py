"""One factory for every detector, by name, so that the benchmark, the notebooks and the command line build them
alike: the autoencoder (plain, or a preset's), the plain peers and the fused peers.

>>> make_detector("pca", n_components=10)
PCADetector(n_components=10, standardize=False, seed=0, threshold_rule='mean_std', threshold_k=2.0, threshold_q=99.0, threshold_fpr=0.01)
"""
from __future__ import annotations

from ecg_utils.detect.fused import FUSED, fused_peer
from ecg_utils.detect.peers import PEERS
from ecg_utils.detect.presets import PRESETS, get_preset

AUTOENCODER = "autoencoder"


def detector_names() -> list:
    """Every name :func:`make_detector` takes: the autoencoder, each preset, each peer, each fused peer."""
    return [AUTOENCODER, *PRESETS, *PEERS, *FUSED]


def make_detector(name, **params):
    """The detector called ``name``, unfitted, with ``params`` (its ``__init__`` parameters).

    ``"autoencoder"`` is :class:`~ecg_utils.detect.autoencoder.AutoencoderDetector` with its defaults (the original
    method, the ``baseline`` preset); a preset's name (``"recommended"``) is the autoencoder with that preset's
    detector parameters, ``params`` overriding them; ``"pca"``, ``"iforest"``, ``"ocsvm"``, ``"rr_rule"`` are the
    peers of :mod:`ecg_utils.detect.peers`; ``"template+rhythm"``, ``"pca+rhythm"``, ... the fused peers of
    :mod:`ecg_utils.detect.fused`.

    Raises
    ------
    ValueError
        For an unknown name (the known ones listed) or parameter.
    """
    if name == AUTOENCODER or name in PRESETS:
        from ecg_utils.detect.autoencoder import AutoencoderDetector  # TensorFlow: only when an autoencoder is asked

        preset = get_preset(name)["detector"] if name in PRESETS else {}
        return AutoencoderDetector(**{**preset, **params})
    if name in PEERS:
        return PEERS[name](**params)
    if name in FUSED:
        return fused_peer(name, **params)
    raise ValueError(f"unknown detector {name!r}; known: {', '.join(detector_names())}")
