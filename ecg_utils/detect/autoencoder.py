"""The anomaly detector: a convolutional autoencoder trained on normal beats, with a learned threshold.

The contract is PyOD's and scikit-learn's: ``__init__`` only stores parameters, :meth:`fit` validates and
learns (``model_``, ``scaler_``, ``threshold_``, ...), :meth:`decision_function` returns a score where higher
means more anomalous, and :meth:`predict` is ``score > threshold_`` with 1 = anomaly.

The reconstruction error is one kind of evidence (:class:`ecg_utils.detect.evidence.reconstruction.Reconstruction`): the
per-beat mean absolute reconstruction error in *standardised* units (the units the model is trained in; multiply by
``scaler_["std"]`` for the input's units); with ``rr_features=True`` it adds ``rr_weight`` x the mean absolute error
of the reconstructed RR features (also standardised). ``evidence`` names the other kinds fused with it
(:mod:`ecg_utils.detect.evidence`), and one step, :class:`ecg_utils.detect.fusion.Fusion`, calibrates them on the validation
normals and fuses them into the score.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from ecg_utils.config import import_tensorflow_quietly
from ecg_utils.detect import saved
from ecg_utils.detect.augment import augment
from ecg_utils.detect.base import Detector
from ecg_utils.detect.checks import check_int, is_number
from ecg_utils.detect.evidence import registry, upgrade_evidence_names
from ecg_utils.detect.evidence.reconstruction import Reconstruction
from ecg_utils.detect.fusion import Fusion
from ecg_utils.detect.model import DECODERS, POOLINGS, build_autoencoder
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats, as_array
from ecg_utils.signal.morphology import baseline_noise

# isort: off
import_tensorflow_quietly()  # before TensorFlow, so that its start-up notes stay off the console
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
# isort: on

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")

NORMALIZE = (None, "recording", "quiet")

#: The fewest beats ``fit`` trains on, and learns the threshold from: fewer give a threshold that is noise.
MIN_BEATS = 20

#: The numeric parameters' ranges (each must also be finite): a test, and how a message says it.
_NUMBER_RANGES = {
    "learning_rate": (lambda v: v > 0, "a finite number > 0"),
    "dropout": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "rr_weight": (lambda v: v >= 0, "a finite number >= 0"),
    "aug_noise_std": (lambda v: v >= 0, "a finite number >= 0"),
    "aug_wander_amp": (lambda v: v >= 0, "a finite number >= 0"),
}


def _call_model(model, x):
    return model(x, training=False)


def _call_errors(model, x):
    """Per-beat reconstruction MAE computed in the graph (only n floats come back to NumPy), and with RR
    features their MAE as well."""
    out = model(x, training=False)
    if isinstance(x, dict):
        return (tf.reduce_mean(tf.abs(out[0] - x["beat"]), axis=1),
                tf.reduce_mean(tf.abs(out[1] - x["features"]), axis=1))
    return tf.reduce_mean(tf.abs(out - x), axis=1)


def _rr_filled(beats: Beats) -> np.ndarray:
    """RR intervals (n, 3) with an unknown previous / next interval (a record's first / last beat) taken as
    the local mean, the convention of :func:`ecg_utils.signal.rr.rr_ratios`."""
    rr = beats.rr.astype(np.float64)
    return np.where(np.isnan(rr), rr[:, 2:3], rr)


def _describe(data, role) -> str:
    """How to name ``data`` in an error message: its role, and its source file if a Beats knows it."""
    if isinstance(data, Beats):
        where = data.info.get("path") or data.info.get("source")
        return f"{role} ({where})" if where else role
    return role


def _optimizer(name, learning_rate):
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    return keras.optimizers.RMSprop(learning_rate)


class _EpochLog(keras.callbacks.Callback):
    """Times each epoch and, when verbose, prints one line per epoch."""

    def __init__(self, epochs, verbose):
        super().__init__()
        self.epochs, self.verbose, self.seconds = epochs, verbose, []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t0)
        if self.verbose:
            logs = logs or {}
            print(f"epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', float('nan')):.5f}  "
                  f"val_loss {logs.get('val_loss', float('nan')):.5f}  ({self.seconds[-1]:.1f} s)", flush=True)


class AutoencoderDetector(Detector):
    """Flags beats the autoencoder, trained on normal beats only, reconstructs badly.

    Parameters
    ----------
    channels, kernel_size, latent_dim, dropout, activation, pooling, decoder
        The model: see :func:`ecg_utils.detect.model.build_autoencoder`. Scoring speed on two CPU cores: see the
        README (``python -m bench``).
    loss : {"mae", "mse"}
        Training loss on the beat (the score is the MAE either way).
    epochs, batch_size, learning_rate : int, int, float
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}
        ``"sgd"`` uses momentum 0.9.
    patience : int or None
        Early stopping on the validation loss after ``patience`` epochs without improvement; the best
        epoch's weights are restored at the end. None trains all ``epochs``.
    threshold_rule : {"mean_std", "percentile", "fpr"}
        How ``threshold_`` is learned from the validation normals' scores ``s``: ``mean(s) + threshold_k *
        std(s)``; ``percentile(s, threshold_q)``; or the ``1 - threshold_fpr`` quantile of ``s`` (so that a
        share ``threshold_fpr`` of normal beats is flagged).
    threshold_k, threshold_q, threshold_fpr : float
    standardize : bool
        Scale beats by the global mean and std of the training beats (``scaler_ = {"mean", "std"}``, two
        floats: one for all sample positions), reused at inference. False stores mean 0, std 1.
    augment : bool
        Perturb training beats on the fly (see :func:`augment`), with strengths ``aug_noise_std``,
        ``aug_scale_range``, ``aug_max_shift`` (samples) and ``aug_wander_amp``, in standardised units.
    rr_features : bool
        Also feed the RR intervals (``Beats.rr``, standardised per column by the training side's stats; a
        record's first and last beats take the local mean for their unknown interval) as a
        second model input, reconstructed as a second output; the score adds ``rr_weight`` x their MAE.
    rr_weight : float
    context : {None, "template"}
        ``"template"``: the autoencoder sees each beat minus its patient's template (``Beats.template``, the
        median of the patient's nearest regular beats, see :func:`ecg_utils.signal.templates.add_templates`), so it learns what
        a normal beat's *deviation from its own patient* looks like rather than everybody's normal shape.
        Reconstructions are returned with the template added back.
    evidence : tuple of str
        The kinds of evidence fused with the reconstruction error, by name (:func:`ecg_utils.detect.evidence.registry`):
        ``"deviation"``, how far the beat is from its patient's template with no model (needs templates);
        ``"prematurity"``, how premature the beat is for the local rhythm (:func:`ecg_utils.signal.rhythm.prematurity`, none
        where the rhythm itself is irregular, as in atrial fibrillation; needs beats cut from a recording); or any
        evidence added to that package. Empty (the default): the score is the reconstruction error itself.

        With any, the reconstruction error and each evidence are turned into a tail probability under their own
        distribution on the validation normals (``reference_``, 1,001 quantiles each), and the score is the sum of
        ``-log p`` (Fisher's combination, :class:`ecg_utils.detect.fusion.Fusion`): no abnormal label is involved. Beats
        more extreme than every validation beat keep their order through a linear tail.
    normalize : {None, "recording", "quiet"}
        The calibration of the reconstruction error. ``"recording"``: each beat's error is divided by the median
        error of its recording's beats (those passed in the same call; no labels), so that a patient the model fits
        worse overall, whose every beat reconstructs a little worse, is judged against itself and not flooded with
        flags. ``"quiet"`` (needs ``context="template"``): divided instead by the median error of the recording's
        quiet beats, raised only where the beats around it are noisier (:func:`ecg_utils.detect.fusion.quiet_scale`,
        each beat's noise from :func:`ecg_utils.signal.morphology.baseline_noise`), so that noise in one stretch
        does not move the scores of the rest. The threshold and the reference distributions are learned on
        validation normals scaled the same way.
        Recordings with fewer than :data:`ecg_utils.detect.fusion.MIN_RECORDING_BEATS` beats in a call are scaled by the
        validation normals' median instead. The recommended preset uses it (``python -m bench.calibration``): score a
        recording's beats together, in one call, as the scan does.
    predict_batch_size : int
        Beats per forward pass when scoring: large batches amortise TensorFlow's per-call cost (32,768
        beats of 100 samples hold about 200 MB per layer activation).
    seed : int
        Seeds Keras (weights, dropout), the augmentation and the shuffling.
    verbose : int
        1 prints one line per epoch.

    Attributes
    ----------
    model_ : keras.Model
    scaler_ : dict
        ``{"mean": float, "std": float}``, plus ``"rr_mean"``, ``"rr_std"`` (lists of 3) with RR features.
    threshold_ : float
    fusion_ : ecg_utils.detect.fusion.Fusion
        The calibration learned on the validation normals (``reference_`` is its ``reference_``).
    scorers_ : dict
        The evidence fused, by name, the reconstruction error first.
    validation_scores_ : float64 array
        Scores of the validation normals (None after :meth:`load`: the summary is in ``meta_``).
    history_ : dict of lists
        Keras' per-epoch logs (``loss``, ``val_loss``, ...) and ``epoch_seconds``.
    epochs_trained_, fit_seconds_, input_len_, representation_, train_info_, meta_

    Examples
    --------
    >>> det = AutoencoderDetector(epochs=20).fit(train_normals, validation_normals)  # doctest: +SKIP
    >>> flags = det.predict(test_beats)                                                # doctest: +SKIP
    """

    def __init__(self, channels=(8, 16), kernel_size=7, latent_dim=32, dropout=0.0, activation="relu",
                 pooling="max", decoder="transpose", loss="mae", epochs=30, batch_size=256,
                 learning_rate=1e-3, optimizer="adam", patience=5, threshold_rule="mean_std", threshold_k=2.0,
                 threshold_q=99.0, threshold_fpr=0.01, standardize=True, augment=False, aug_noise_std=0.05,
                 aug_scale_range=(0.9, 1.1), aug_max_shift=3, aug_wander_amp=0.1, rr_features=False,
                 rr_weight=1.0, context=None, evidence=(), normalize=None,
                 predict_batch_size=32768, seed=0, verbose=0):
        self.channels = channels
        self.kernel_size = kernel_size
        self.latent_dim = latent_dim
        self.dropout = dropout
        self.activation = activation
        self.pooling = pooling
        self.decoder = decoder
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.patience = patience
        self.threshold_rule = threshold_rule
        self.threshold_k = threshold_k
        self.threshold_q = threshold_q
        self.threshold_fpr = threshold_fpr
        self.standardize = standardize
        self.augment = augment
        self.aug_noise_std = aug_noise_std
        self.aug_scale_range = aug_scale_range
        self.aug_max_shift = aug_max_shift
        self.aug_wander_amp = aug_wander_amp
        self.rr_features = rr_features
        self.rr_weight = rr_weight
        self.context = context
        self.evidence = evidence
        self.normalize = normalize
        self.predict_batch_size = predict_batch_size
        self.seed = seed
        self.verbose = verbose

    # -- parameters ----------------------------------------------------------------------------------
    def _check_params(self):
        """Raise ValueError naming the first parameter outside its range (``epochs must be an integer >= 1, got 0``)."""
        self.evidence = upgrade_evidence_names(self.evidence)
        self.threshold_rule_  # the shared rule checks its four parameters
        for name, options in (("optimizer", OPTIMIZERS), ("loss", ("mae", "mse")),
                              ("pooling", POOLINGS), ("decoder", DECODERS), ("context", (None, "template")),
                              ("normalize", NORMALIZE)):
            if getattr(self, name) not in options:
                raise ValueError(f"{name} must be one of {options}, got {getattr(self, name)!r}")
        if self.normalize == "quiet" and self.context != "template":
            raise ValueError("normalize='quiet' reads each beat's noise against its template: it needs "
                             f"context='template', got context={self.context!r}")
        for name, least in (("epochs", 1), ("batch_size", 1), ("latent_dim", 1), ("kernel_size", 1),
                            ("predict_batch_size", 1), ("aug_max_shift", 0), ("seed", 0)):
            check_int(name, getattr(self, name), least)
        if not isinstance(self.verbose, (bool, np.bool_)):
            check_int("verbose", self.verbose, 0)
        if self.patience is not None:
            check_int("patience", self.patience, 0)
        channels = self.channels
        if isinstance(channels, (str, bytes)) or not hasattr(channels, "__len__") or len(channels) == 0:
            raise ValueError(f"channels must be a non-empty sequence of integers >= 1, got {channels!r}")
        for c in channels:
            check_int("channels", c, 1)
        for name, (ok, what) in _NUMBER_RANGES.items():
            value = getattr(self, name)
            if not (is_number(value) and np.isfinite(value) and ok(value)):
                raise ValueError(f"{name} must be {what}, got {value!r}")
        scale = self.aug_scale_range
        if (not hasattr(scale, "__len__") or len(scale) != 2 or not all(is_number(v) and np.isfinite(v) for v in scale)
                or not 0 < scale[0] <= scale[1]):
            raise ValueError(f"aug_scale_range must be two numbers 0 < low <= high, got {scale!r}")
        for name in ("standardize", "augment", "rr_features"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        known = [name for name in registry() if name != Reconstruction.name]
        ev = self.evidence
        if (isinstance(ev, (str, bytes)) or not isinstance(ev, (list, tuple)) or not all(e in known for e in ev)
                or len(set(ev)) != len(ev)):
            raise ValueError(f"evidence must be a sequence of distinct kinds of evidence to fuse with the "
                             f"reconstruction error, among {tuple(known)} (ecg_utils/detect/evidence/), e.g. "
                             f"('deviation', 'prematurity'); got {ev!r}")

    # -- input -----------------------------------------------------------------------------------------
    def _validate(self, data, role, normal_only=False) -> Beats:
        """``data`` as a Beats, checked: 2-D, non-empty, finite, of the training length (once fitted)."""
        name = _describe(data, role)
        if not isinstance(data, Beats):
            X = as_array(data, name)
            if X.ndim != 2:
                raise DataError(f"{name}: beats must be a 2-D array (n, L), got shape {X.shape}")
            if not np.issubdtype(X.dtype, np.number):
                raise DataError(f"{name}: beats must be numeric, got dtype {X.dtype}")
            data = Beats.from_arrays(X, np.zeros(len(X), dtype=np.int64))
        if len(data) == 0:
            raise DataError(f"{name}: no beats")
        if not np.isfinite(data.X).all():
            bad = int((~np.isfinite(data.X)).any(axis=1).sum())
            raise DataError(f"{name}: {bad} beat(s) hold NaN or infinite values")
        if normal_only and not data.is_normal.all():
            labels, counts = np.unique(data.y[~data.is_normal], return_counts=True)
            names = data.class_names
            found = ", ".join(f"{names[k] if 0 <= k < len(names) else f'label {k}'}: {c}"
                              for k, c in zip(labels.tolist(), counts.tolist()))
            raise DataError(f"{name}: holds {int((~data.is_normal).sum())} non-normal beat(s) ({found}); "
                            "the detector learns from normal beats only")
        if getattr(self, "input_len_", None) is not None and data.length != self.input_len_:
            raise DataError(f"{name}: beats have {data.length} samples, the detector was trained on "
                            f"{self.input_len_}")
        if self.context == "template" and data.template is None:
            raise DataError(f"{name}: context='template' needs each beat's patient template; build the beats with "
                            "a template width (load_split(template_width=...) or beats.add_templates)")
        kinds = registry()
        for evidence in self.evidence:
            kinds[evidence].check(data, name)
        if self.rr_features and not np.isfinite(data.rr[:, 2]).all():
            bad = int((~np.isfinite(data.rr[:, 2])).sum())
            raise DataError(f"{name}: {bad} beat(s) have no RR intervals (NaN), needed by rr_features=True")
        return data

    def _inputs(self, beats: Beats) -> dict:
        """The model inputs of validated beats, standardised with ``scaler_``: {"beat": ..., "features": ...}."""
        sc = self.scaler_
        X = beats.X - beats.template if self.context == "template" else beats.X
        inputs = {"beat": ((X - sc["mean"]) / sc["std"]).astype(np.float32)}
        if self.rr_features:
            inputs["features"] = ((_rr_filled(beats) - np.asarray(sc["rr_mean"])) / np.asarray(sc["rr_std"])).astype(np.float32)
        return inputs

    def _fit_scaler(self, beats: Beats) -> dict:
        scaler = {"mean": 0.0, "std": 1.0}
        if self.standardize:
            X = (beats.X - beats.template if self.context == "template" else beats.X).astype(np.float64)
            scaler = {"mean": float(X.mean()), "std": float(X.std()) or 1.0}
        if self.rr_features:
            rr = _rr_filled(beats)
            std = rr.std(axis=0)
            scaler.update(rr_mean=rr.mean(axis=0).tolist(), rr_std=np.where(std > 0, std, 1.0).tolist())
        return scaler

    # -- training --------------------------------------------------------------------------------------
    def _train_dataset(self, inputs: dict, rng) -> tf.data.Dataset:
        """Shuffled (and, if ``augment``, perturbed) training batches, drawn from ``rng`` each epoch."""
        n = len(inputs["beat"])
        has_rr = "features" in inputs

        def batches():
            order = rng.permutation(n)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                x = inputs["beat"][idx]
                if self.augment:
                    x, target = augment(x, rng, self.aug_noise_std, self.aug_scale_range, self.aug_max_shift,
                                        self.aug_wander_amp)
                else:
                    target = x
                if has_rr:
                    f = inputs["features"][idx]
                    yield {"beat": x, "features": f}, {"beat_out": target, "features_out": f}
                else:
                    yield x, target

        L = inputs["beat"].shape[1]
        beat_spec = tf.TensorSpec((None, L), tf.float32)
        if has_rr:
            feat_spec = tf.TensorSpec((None, inputs["features"].shape[1]), tf.float32)
            spec = ({"beat": beat_spec, "features": feat_spec}, {"beat_out": beat_spec, "features_out": feat_spec})
        else:
            spec = (beat_spec, beat_spec)
        n_batches = -(-n // self.batch_size)
        ds = tf.data.Dataset.from_generator(batches, output_signature=spec)
        return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)

    def _model_x(self, inputs: dict):
        """What the Keras model takes: the beat array, or {"beat", "features"} with RR features."""
        if self.rr_features:
            return {"beat": inputs["beat"], "features": inputs["features"]}
        return inputs["beat"]

    def _targets(self, inputs: dict):
        if self.rr_features:
            return {"beat_out": inputs["beat"], "features_out": inputs["features"]}
        return inputs["beat"]

    def fit(self, train, validation) -> "AutoencoderDetector":
        """Train on normal beats and learn the threshold on the validation normals.

        Parameters
        ----------
        train, validation : Beats or float array (n, L)
            Normal beats only (a Beats with other labels raises :class:`DataError`). Standardisation is fitted
            on ``train``; early stopping and the threshold use ``validation``.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a parameter outside its range, named in the message (``epochs must be an integer >= 1, got 0``).
        DataError
            For degenerate training: fewer than :data:`MIN_BEATS` beats on either side, identical training beats,
            beats that are not normal (their labels named), or a run whose validation scores are not finite.
        """
        self._check_params()
        t0 = time.perf_counter()
        self.input_len_ = None
        train = self._validate(train, "train", normal_only=True)
        validation = self._validate(validation, "validation", normal_only=True)
        if validation.length != train.length:
            raise DataError(f"{_describe(validation, 'validation')}: beats have {validation.length} samples, "
                            f"train has {train.length}")
        for data, role in ((train, "train"), (validation, "validation")):
            if len(data) < MIN_BEATS:
                raise DataError(f"{_describe(data, role)}: {len(data)} normal beat(s); at least {MIN_BEATS} are "
                                f"needed to {'train' if role == 'train' else 'learn the threshold'}")
        model_input = train.X - train.template if self.context == "template" else train.X
        if not np.ptp(model_input, axis=0).max() > 0:
            raise DataError(f"{_describe(train, 'train')}: all {len(train)} beats are identical (zero variance "
                            "between beats): there is nothing to learn")
        self.input_len_ = train.length
        self.representation_ = train.info.get("representation")
        self.train_info_ = dict(train.info)
        self.scaler_ = self._fit_scaler(train)

        keras.utils.set_random_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        n_features = 3 if self.rr_features else 0
        self.model_ = build_autoencoder(
            self.input_len_, channels=tuple(self.channels), kernel_size=self.kernel_size, latent_dim=self.latent_dim,
            dropout=self.dropout, activation=self.activation, n_features=n_features, pooling=self.pooling,
            decoder=self.decoder, seed=self.seed)
        losses = {"beat_out": self.loss, "features_out": "mae"} if self.rr_features else self.loss
        weights = {"beat_out": 1.0, "features_out": float(self.rr_weight)} if self.rr_features else None
        self.model_.compile(optimizer=_optimizer(self.optimizer, self.learning_rate), loss=losses,
                            loss_weights=weights)

        val_inputs = self._inputs(validation)
        val_x = self._model_x(val_inputs)
        log = _EpochLog(self.epochs, self.verbose)
        callbacks = [log]
        if self.patience is not None:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.patience,
                                                           restore_best_weights=True))
        hist = self.model_.fit(self._train_dataset(self._inputs(train), rng), epochs=self.epochs,
                               validation_data=(val_x, self._targets(val_inputs)),
                               validation_batch_size=self.predict_batch_size, callbacks=callbacks, shuffle=False, verbose=0)
        self.history_ = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        self.history_["epoch_seconds"] = log.seconds
        self.epochs_trained_ = len(log.seconds)
        self._forward_fn = self._errors_fn = None

        self.scorers_ = self._scorers()
        for scorer in self.scorers_.values():
            scorer.fit(train)
        self.fusion_ = self._fusion().fit(self._raw(validation), validation.record, **self._noise(validation))
        self.validation_scores_ = self.fusion_.validation_scores_
        if not np.isfinite(self.validation_scores_).all():
            loss = self.history_.get("loss", [float("nan")])[-1]
            self.model_ = None
            raise DataError(f"training diverged (last loss {loss}): the validation scores are not finite; lower "
                            f"learning_rate (now {self.learning_rate}) or check the beats' scale")
        self.threshold_ = self.fusion_.threshold_
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def threshold_from(self, scores) -> float:
        """The threshold ``threshold_rule`` gives for these normal scores (see the class docstring)."""
        return self.threshold_rule_(scores)

    # -- evidence and its calibration ------------------------------------------------------------------
    def _scorers(self) -> dict:
        """The evidence fused, by name: the reconstruction error, then ``evidence`` (:mod:`ecg_utils.detect.evidence`)."""
        kinds = registry()
        return {Reconstruction.name: Reconstruction(self._reconstruction_errors),
                **{name: kinds[name]() for name in self.evidence}}

    def _fusion(self) -> Fusion:
        """The calibration and fusion step, unfitted: ``normalize`` scales the reconstruction error per recording."""
        return Fusion({name: s.speaks for name, s in self.scorers_.items()},
                      (Reconstruction.name,) if self.normalize in ("recording", "quiet") else (), self.threshold_rule_,
                      scale="quiet" if self.normalize == "quiet" else "median")

    def _noise(self, beats: Beats) -> dict:
        """What the noise-aware scale needs of validated beats (``noise``, ``sample``), or nothing."""
        if self.normalize != "quiet":
            return {}
        return {"noise": baseline_noise(beats), "sample": beats.sample}

    @property
    def reference_(self):
        """Each evidence's quantiles among the validation normals (``fusion_.reference_``; None with no evidence)."""
        fusion = getattr(self, "fusion_", None)
        return None if fusion is None else fusion.reference_

    def _raw(self, beats: Beats) -> dict:
        """Each evidence's raw value on validated beats."""
        return {name: scorer.decision_function(beats) for name, scorer in self.scorers_.items()}

    def raw_evidence(self, X) -> dict:
        """Each fused evidence's value per beat before calibration, in its own units: ``{name: (n,) array}``.

        What :class:`ecg_utils.detect.fusion.Fusion` turns into the score; another calibration can be learned from the
        validation normals' values without retraining (``python -m bench.calibration`` does).
        """
        self.check_fitted()
        return self._raw(self._validate(X, "X"))

    # -- scoring ---------------------------------------------------------------------------------------
    def is_fitted(self) -> bool:
        """Whether a model is trained (or loaded) and a threshold learned."""
        return getattr(self, "model_", None) is not None and getattr(self, "threshold_", None) is not None

    def _compiled(self, fn):
        """``fn(model, x)`` as a tf.function over batches of standardised inputs (traced once per detector)."""
        spec = tf.TensorSpec((None, self.input_len_), tf.float32)
        if self.rr_features:
            spec = {"beat": spec, "features": tf.TensorSpec((None, 3), tf.float32)}
        # a partial, not a closure: TF's retracing warning keys on the code object, shared by all detectors
        return tf.function(functools.partial(fn, self.model_), input_signature=[spec], autograph=False)

    def _batched(self, fn, inputs: dict) -> list:
        """``fn`` over ``inputs`` in batches of ``predict_batch_size``: a list of per-batch NumPy outputs."""
        x = self._model_x(inputs)
        n, step = len(inputs["beat"]), int(self.predict_batch_size)
        return [tf.nest.map_structure(lambda t: t.numpy(),
                                      fn(tf.nest.map_structure(lambda a: tf.constant(a[start:start + step]), x)))
                for start in range(0, n, step)]

    def _forward(self, inputs: dict):
        """The model's outputs for standardised inputs: (beats, RR features or None)."""
        if getattr(self, "_forward_fn", None) is None:
            self._forward_fn = self._compiled(_call_model)
        parts = self._batched(self._forward_fn, inputs)
        if self.rr_features:
            return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        return np.concatenate(parts), None

    def _errors(self, inputs: dict) -> np.ndarray:
        """Reconstruction MAE per beat (plus ``rr_weight`` x the RR features' MAE with ``rr_features``)."""
        if getattr(self, "_errors_fn", None) is None:
            self._errors_fn = self._compiled(_call_errors)
        parts = self._batched(self._errors_fn, inputs)
        if self.rr_features:
            return (np.concatenate([p[0] for p in parts]).astype(np.float64)
                    + self.rr_weight * np.concatenate([p[1] for p in parts]).astype(np.float64))
        return np.concatenate(parts).astype(np.float64)

    def _reconstruction_errors(self, beats: Beats) -> np.ndarray:
        """The reconstruction error of validated beats (the :class:`Reconstruction` evidence's values)."""
        return self._errors(self._inputs(beats))

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score of each beat (higher = more anomalous): its reconstruction MAE in standardised units, or
        with other ``evidence`` the fused score (:meth:`score_parts`).

        Parameters
        ----------
        X : Beats or float array (n, L)

        Returns
        -------
        float64 array (n,)
        """
        return self.score_parts(X)["score"]

    def score_parts(self, X) -> dict:
        """The score of each beat and the evidence it is made of: why a beat scores high.

        Returns
        -------
        dict of float64 arrays (n,)
            ``score`` (:meth:`decision_function`); ``shape``: the sum of the parts about the beat's shape
            (``reconstruction``, and ``deviation`` when fused), ``timing``: the sum of those about its timing (the
            prematurity's part), so ``score = shape + timing``; and one array per evidence, by its name. With other
            evidence fused, each part is ``-log`` of its tail probability among the validation normals; with none,
            ``shape`` is the score and ``timing`` is all zeros (:meth:`ecg_utils.detect.fusion.Fusion.parts`).
        """
        self.check_fitted()
        beats = self._validate(X, "X")
        return self.fusion_.parts(self._raw(beats), beats.record, **self._noise(beats))

    def predict(self, X) -> np.ndarray:
        """1 for beats scored above ``threshold_`` (anomalies), else 0."""
        return (self.decision_function(X) > self.threshold_).astype(int)

    def reconstruct(self, X) -> np.ndarray:
        """The model's reconstruction of each beat, in the input's units: float32 array (n, L)."""
        self.check_fitted()
        beats = self._validate(X, "X")
        beat_hat, _ = self._forward(self._inputs(beats))
        out = beat_hat * self.scaler_["std"] + self.scaler_["mean"]
        if self.context == "template":
            out = out + beats.template
        return out.astype(np.float32)

    def encode(self, X) -> np.ndarray:
        """The encoder's latent vector of each beat (the ``latent`` layer's output): float32 array (n, latent_dim)."""
        self.check_fitted()
        beats = self._validate(X, "X")
        encoder = keras.Model(self.model_.inputs, self.model_.get_layer("latent").output)
        x = self._model_x(self._inputs(beats))
        return np.asarray(encoder.predict(x, batch_size=int(self.predict_batch_size), verbose=0), dtype=np.float32)

    def check_compatible(self, beats):
        """Raise :class:`DataError` unless ``beats`` have the training beat length and representation."""
        self.check_fitted()
        name = _describe(beats, "beats")
        length = beats.length if isinstance(beats, Beats) else as_array(beats, name).shape[-1]
        if length != self.input_len_:
            raise DataError(f"{name}: beats have {length} samples, the detector was trained on {self.input_len_}")
        rep = beats.info.get("representation") if isinstance(beats, Beats) else None
        if self.representation_ is not None and rep is not None and rep != self.representation_:
            raise DataError(f"{name}: representation {rep!r}, the detector was trained on {self.representation_!r}")

    # -- persistence: a saved detector's folder (ecg_utils.detect.saved) ------------------------------------
    def save(self, folder, overwrite=False) -> Path:
        """Write ``model.keras`` and ``detector.json`` into ``folder`` (replaced whole, never half-written): a saved
        detector, what ``ecg-detector scan --detector`` and :meth:`load` read (:func:`ecg_utils.detect.saved.write`).

        An existing ``folder`` is replaced only when it is an earlier output of this program (a saved detector);
        a folder of other files needs ``overwrite=True`` (:func:`ecg_utils.io.files.folder_written_whole`).
        """
        self.check_fitted()
        return saved.write(self, folder, overwrite)

    @classmethod
    def load(cls, folder) -> "AutoencoderDetector":
        """Read a detector written by :meth:`save` (or by an earlier version: :func:`ecg_utils.detect.saved.upgrade`);
        any problem with the files raises :class:`DataError` naming the file (:func:`ecg_utils.detect.saved.read`)."""
        return saved.read(cls, folder)
