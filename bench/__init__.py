"""The benchmark: the autoencoder beside the detectors a user would pick instead, on honest splits,
for quality and speed. Run ``python -m bench`` from the repository root (see :mod:`bench.run`)."""
