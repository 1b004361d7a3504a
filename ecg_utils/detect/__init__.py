"""Beats -> scores: the autoencoder, the detectors and their one contract, the kinds of evidence, their calibration
and fusion, the peers a user would pick instead, the presets and the shipped detector.
"""
