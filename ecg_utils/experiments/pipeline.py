"""One run of the baseline notebook as plain functions: parameters -> config -> data.

The notebook's ``parameters`` cell holds literals; :func:`notebook_parameters` collects them (and any parameter
papermill or a sweep passes, every detector parameter included: nothing is listed twice); :func:`configure` turns them
into a :class:`RunConfig` (a preset, with every parameter that is not ``None`` overriding it); the rest of the notebook
calls the package with that config and :func:`ecg_utils.experiments.runs.save_run` writes the run folder.
"""
from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field

import numpy as np

from ecg_utils import config
from ecg_utils.detect.presets import get_preset

#: A small record set for ``quick`` runs: DS1 records for training, DS2 records (rich in S and V) to test.
QUICK_RECORDS = ["101", "106", "112", "119", "208", "105", "200", "209", "232", "233"]

#: Options of :func:`ecg_utils.signal.build.load_split` (plus ``max_train_beats``): the rest go to the detector.
DATA_KEYS = ("split", "database", "representation", "records", "data_dir", "template_width", "template_regular",
             "max_train_beats", "before", "after", "peaks")
#: What names a run without changing it (the run folder and a label for sweep tables), and the run's own switches.
RUN_KEYS = ("preset", "seed", "quick", "label", "out_dir")

#: The notebook every run and sweep executes.
BASELINE_NOTEBOOK = config.PROJ_ROOT / "notebooks" / "baseline.ipynb"


@dataclass
class RunConfig:
    """What one run does: the data options and the detector options, both plain dicts."""

    preset: str
    data: dict = field(default_factory=dict)
    detector: dict = field(default_factory=dict)
    quick: bool = False
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def detector_parameters() -> list:
    """The names of :class:`AutoencoderDetector`'s parameters."""
    from ecg_utils.detect.autoencoder import AutoencoderDetector

    return [p for p in inspect.signature(AutoencoderDetector.__init__).parameters if p != "self"]


def parameter_names() -> list:
    """Every parameter a run takes: :data:`RUN_KEYS`, the data options :data:`DATA_KEYS` and every parameter of
    :class:`~ecg_utils.detect.autoencoder.AutoencoderDetector` (read from its signature: never listed by hand)."""
    return [*RUN_KEYS, *DATA_KEYS, *[p for p in detector_parameters() if p not in ("seed", "verbose")]]


def notebook_parameters(namespace) -> dict:
    """The run's parameters from a notebook's namespace (``globals()`` right after its parameters cell): every name of
    :func:`parameter_names` defined there (the parameters cell's literals, and whatever papermill injected: ``-p
    normalize null`` sets a detector parameter the cell does not list), then the dict ``overrides`` if defined.

    Raises
    ------
    ValueError
        For an ``overrides`` key that is no parameter (named, with the known ones).
    """
    names = parameter_names()
    params = {k: namespace[k] for k in names if k in namespace}
    extra = dict(namespace.get("overrides") or {})
    unknown = sorted(set(extra) - set(names))
    if unknown:
        raise ValueError(f"overrides: unknown parameter(s) {unknown}; a run takes {names}")
    return {**params, **extra}


def configure(preset="baseline", quick=False, seed=0, label=None, out_dir=None, **overrides) -> RunConfig:
    """Resolve a preset and the parameters that override it (``None`` means "the preset's value").

    ``quick`` uses :data:`QUICK_RECORDS`, at most 2 epochs and 5,000 training beats; ``label`` and ``out_dir`` name
    the run and do not change it.

    Raises
    ------
    ValueError
        For a parameter that is neither a data option nor a detector parameter.
    """
    p = get_preset(preset)
    data = {"split": "interpatient", "records": None, "data_dir": None, "max_train_beats": None, **p["data"]}
    detector = dict(p["detector"])
    known = detector_parameters()
    for key, value in overrides.items():
        if key not in DATA_KEYS and key not in known:
            raise ValueError(f"unknown parameter {key!r}: neither a data option {DATA_KEYS} nor a detector "
                             f"parameter {known}")
        if value is None:
            continue
        (data if key in DATA_KEYS else detector)[key] = list(value) if isinstance(value, tuple) else value
    if quick:
        data["records"] = data["records"] or QUICK_RECORDS
        data["max_train_beats"] = min(data["max_train_beats"] or 5000, 5000)
        detector["epochs"] = min(detector.get("epochs", 2), 2)
    detector["seed"] = seed
    return RunConfig(preset=preset, data=data, detector=detector, quick=quick, seed=seed)


def load_data(cfg: RunConfig, verbose=True):
    """The split a config asks for, training normals capped at ``max_train_beats`` (seeded draw)."""
    from ecg_utils.signal.build import load_split

    opts = {k: v for k, v in cfg.data.items() if k != "max_train_beats"}
    split = load_split(seed=cfg.seed, verbose=verbose, **opts)
    cap = cfg.data.get("max_train_beats")
    if cap and len(split.train) > cap:
        rng = np.random.default_rng(cfg.seed)
        split.train = split.train[np.sort(rng.choice(len(split.train), cap, replace=False))]
        split.info["max_train_beats"] = cap
    return split
