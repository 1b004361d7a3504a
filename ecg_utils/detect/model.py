"""The 1-D convolutional autoencoder, built from plain parameters.

The encoder is one ``Conv1D`` + ``MaxPooling1D`` (factor 2) per entry of ``channels``, then ``Flatten`` and a
``Dense`` latent vector; the decoder mirrors it (``Dense`` -> reshape -> one upsampling convolution per level)
and ends in a linear ``Conv1D`` with one filter. Beats whose length does not divide by ``2 ** len(channels)``
are zero-padded at the end inside the model and cropped back at the output: the signal is never resampled.
"""
from __future__ import annotations

import math

from ecg_utils.config import import_tensorflow_quietly

# isort: off
import_tensorflow_quietly()  # before TensorFlow, so that its start-up notes stay off the console
import keras  # noqa: E402
from keras import layers  # noqa: E402
# isort: on

POOLINGS = ("max", "avg", "stride")
DECODERS = ("transpose", "upsample")


def _conv_kwargs(seed, index):
    """Seeded initialiser for layer ``index`` (None: Keras' own seeding)."""
    init = "glorot_uniform" if seed is None else keras.initializers.GlorotUniform(seed=seed + index)
    return {"kernel_initializer": init}


def build_autoencoder(input_len=187, channels=(8, 16), kernel_size=5, latent_dim=32, dropout=0.0,
                      activation="relu", n_features=0, pooling="stride", decoder="transpose",
                      seed=None) -> keras.Model:
    """Build (uncompiled) a 1-D convolutional autoencoder of beats of ``input_len`` samples.

    Parameters
    ----------
    input_len : int
        Samples per beat (L). Input and output have shape ``(L,)``; the model reshapes to ``(L, 1)`` inside.
    channels : sequence of int
        Filters of each encoder level; the depth is ``len(channels)`` (each level halves the length).
    kernel_size : int
        Width of every convolution kernel.
    latent_dim : int
        Size of the bottleneck vector.
    dropout : float
        Dropout rate after each encoder level and on the latent vector (0 = none).
    activation : str
        Activation of the hidden layers (the output layers are linear).
    n_features : int
        If > 0, a second input of that many scalar features (e.g. RR intervals) is concatenated to the latent
        vector and also reconstructed as a second output: inputs ``[beat, features]`` -> outputs
        ``[beat, features]``. If 0, the model is single-input, single-output.
    pooling : {"max", "avg", "stride"}
        Downsampling of each encoder level: ``MaxPooling1D(2)`` or ``AveragePooling1D(2)`` after the
        convolution, or a convolution with stride 2 (half the work of the encoder, no pooling layer).
    decoder : {"transpose", "upsample"}
        Upsampling of each decoder level: ``Conv1DTranspose`` with stride 2, or ``UpSampling1D`` + ``Conv1D``.
    seed : int or None
        Seed of the weight initialisers and dropout (None: Keras' global seed).

    Returns
    -------
    keras.Model

    Examples
    --------
    >>> model = build_autoencoder(187)
    >>> model.output_shape
    (None, 187)
    """
    channels = tuple(int(c) for c in channels)
    if not channels or min(channels) < 1:
        raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels}")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    depth = len(channels)
    factor = 2 ** depth
    padded = math.ceil(input_len / factor) * factor
    pad = padded - input_len
    if padded // factor < 1 or input_len < 1:
        raise ValueError(f"input_len {input_len} is too short for depth {depth}")
    idx = iter(range(10_000))

    def drop(x):
        return layers.Dropout(dropout, seed=None if seed is None else seed + 5000 + next(idx))(x) if dropout else x

    beat = keras.Input(shape=(input_len,), name="beat")
    x = layers.Reshape((input_len, 1))(beat)
    if pad:
        x = layers.ZeroPadding1D((0, pad))(x)
    for c in channels:
        x = layers.Conv1D(c, kernel_size, strides=2 if pooling == "stride" else 1, padding="same",
                          activation=activation, **_conv_kwargs(seed, next(idx)))(x)
        if pooling != "stride":
            x = (layers.MaxPooling1D if pooling == "max" else layers.AveragePooling1D)(2)(x)
        x = drop(x)
    bottom_shape = (padded // factor, channels[-1])
    x = layers.Flatten()(x)
    z = layers.Dense(latent_dim, activation=activation, name="latent", **_conv_kwargs(seed, next(idx)))(x)
    z = drop(z)

    inputs = [beat]
    if n_features:
        feats = keras.Input(shape=(n_features,), name="features")
        inputs.append(feats)
        z = layers.Concatenate()([z, feats])

    hidden = layers.Dense(bottom_shape[0] * bottom_shape[1], activation=activation,
                          **_conv_kwargs(seed, next(idx)))(z)
    x = layers.Reshape(bottom_shape)(hidden)
    # Mirror: level i of the decoder outputs the channels of encoder level i - 1 (the first level's at the top).
    for c in reversed((channels[0],) + channels[:-1]):
        if decoder == "transpose":
            x = layers.Conv1DTranspose(c, kernel_size, strides=2, padding="same", activation=activation,
                                       **_conv_kwargs(seed, next(idx)))(x)
        else:
            x = layers.UpSampling1D(2)(x)
            x = layers.Conv1D(c, kernel_size, padding="same", activation=activation,
                              **_conv_kwargs(seed, next(idx)))(x)
    x = layers.Conv1D(1, kernel_size, padding="same", activation="linear", **_conv_kwargs(seed, next(idx)))(x)
    if pad:
        x = layers.Cropping1D((0, pad))(x)
    out = layers.Reshape((input_len,), name="beat_out")(x)

    if not n_features:
        return keras.Model(beat, out, name="conv_autoencoder")
    feats_out = layers.Dense(n_features, activation="linear", name="features_out",
                             **_conv_kwargs(seed, next(idx)))(hidden)
    return keras.Model(inputs, [out, feats_out], name="conv_autoencoder_features")
