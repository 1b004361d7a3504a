"""The autoencoder: its output has the input's shape for any length, depth, kernel, with or without features."""
import numpy as np
import pytest

from ecg_utils.detect.model import build_autoencoder


@pytest.mark.parametrize("input_len, channels, kernel_size, pooling, decoder", [
    (187, (8, 16), 5, "stride", "transpose"),      # the detector's default: 187 = 188 - 1 (padded, cropped)
    (187, (16, 32), 7, "max", "transpose"),
    (180, (8,), 3, "avg", "upsample"),             # depth 1
    (180, (4, 8, 16), 9, "max", "upsample"),       # 180 -> 184: padded to a multiple of 8
    (64, (4, 8, 8), 5, "stride", "transpose"),     # divides exactly: no padding
    (61, (4, 8), 3, "max", "transpose"),
])
@pytest.mark.parametrize("n_features", [0, 3])
def test_output_shape_equals_input_shape(input_len, channels, kernel_size, pooling, decoder, n_features):
    model = build_autoencoder(input_len, channels=channels, kernel_size=kernel_size, latent_dim=8,
                              n_features=n_features, pooling=pooling, decoder=decoder, seed=0)
    x = np.random.default_rng(0).standard_normal((3, input_len)).astype(np.float32)
    if n_features:
        f = np.ones((3, n_features), np.float32)
        beat_hat, f_hat = model([x, f])
        assert tuple(beat_hat.shape) == (3, input_len) and tuple(f_hat.shape) == (3, n_features)
        assert [tuple(i.shape) for i in model.inputs] == [(None, input_len), (None, n_features)]
    else:
        assert tuple(model(x).shape) == (3, input_len)
        assert model.output_shape == (None, input_len)
    # depth = number of encoder convolutions, plus the mirrored decoder and the output convolution
    n_conv = sum(type(layer).__name__ in ("Conv1D", "Conv1DTranspose") for layer in model.layers)
    assert n_conv == 2 * len(channels) + 1


def test_padding_is_cropped_not_resampled():
    """187 samples are zero-padded to 188 and cropped back; nothing resizes or interpolates the beat."""
    model = build_autoencoder(187, seed=0)
    names = {type(layer).__name__ for layer in model.layers}
    assert {"ZeroPadding1D", "Cropping1D"} <= names
    assert not any("Resiz" in n or "Interpol" in n for n in names)


def test_same_seed_same_weights_and_different_seed_differs():
    a, b, c = (build_autoencoder(64, channels=(4, 8), seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    assert not all(np.array_equal(x, y) for x, y in zip(a.get_weights(), c.get_weights()))


def test_dropout_layers_only_when_asked():
    assert not any(type(layer).__name__ == "Dropout" for layer in build_autoencoder(64, channels=(4, 8)).layers)
    assert sum(type(layer).__name__ == "Dropout"
               for layer in build_autoencoder(64, channels=(4, 8), dropout=0.2).layers) == 3


@pytest.mark.parametrize("kwargs", [{"channels": ()}, {"decoder": "bilinear"}, {"pooling": "median"}])
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        build_autoencoder(64, **kwargs)
