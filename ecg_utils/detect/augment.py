"""Augmentation of training beats: scaled, shifted, wandering and noisy copies."""
from __future__ import annotations

import numpy as np


def augment(X, rng, noise_std=0.05, scale_range=(0.9, 1.1), max_shift=3, wander_amp=0.1):
    """Randomly perturbed copies of beats, for training: returns ``(inputs, targets)``.

    Each beat is scaled by a factor drawn from ``scale_range``, shifted in time by up to ``max_shift``
    samples (the edge sample repeats: nothing wraps around), and given a baseline wander (a sinusoid of
    amplitude up to ``wander_amp`` and at most half a cycle per beat, random phase). ``targets`` are these
    beats; ``inputs`` add Gaussian noise of std ``noise_std`` on top (the noise is to be removed, not learned).

    Parameters
    ----------
    X : float array (n, L)
    rng : numpy.random.Generator
        The only source of randomness.
    noise_std, scale_range, max_shift, wander_amp
        Strengths, in the units of ``X``; 0 (or ``(1, 1)``) turns a perturbation off.

    Returns
    -------
    inputs, targets : float32 arrays (n, L)
    """
    n, length = X.shape
    out = X.astype(np.float32, copy=True)
    lo, hi = scale_range
    if (lo, hi) != (1, 1):
        out *= rng.uniform(lo, hi, size=(n, 1)).astype(np.float32)
    if max_shift:
        shift = rng.integers(-max_shift, max_shift + 1, size=(n, 1))
        cols = np.clip(np.arange(length)[None, :] - shift, 0, length - 1)
        out = np.take_along_axis(out, cols, axis=1)
    if wander_amp:
        t = np.linspace(0.0, 1.0, length, dtype=np.float32)[None, :]
        amp = rng.uniform(0, wander_amp, size=(n, 1))
        freq = rng.uniform(0, 0.5, size=(n, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
        out += (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)
    inputs = out + rng.normal(0.0, noise_std, size=out.shape).astype(np.float32) if noise_std else out
    return inputs, out
