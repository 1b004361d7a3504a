"""ECG-Detector: unsupervised detection of abnormal heartbeats with a 1-D convolutional autoencoder.

The package is laid out by stage, each importing only from the stages before it::

    io/           what comes in: recordings, databases, Kaggle CSVs, the Beats container; files written whole
    signal/       samples -> beats: filters, R-peaks, quality, cutting, RR, templates, rhythm, a database's beats
    detect/       beats -> scores: the autoencoder, the detector contract, evidence, fusion, peers, presets
    scan/         a recording -> findings: the scan, its table, annotations, report, archive
    experiments/  runs, sweeps, figures and the rendered reports

The data layer is importable from the top level; the model side (TensorFlow) from its own modules:
``ecg_utils.detect.autoencoder.AutoencoderDetector``. Module names of 0.1 (``ecg_utils.detector``, ...) still
import, with a deprecation warning (:mod:`ecg_utils._compat`).
"""
from ecg_utils import _compat, config
from ecg_utils.errors import DataError
from ecg_utils.io.dataset import ANOMALY, CLASS_NAMES, UNKNOWN_RECORD, UNLABELLED, Beats
from ecg_utils.io.kaggle import load_kaggle_csv, write_kaggle_csv
from ecg_utils.signal.build import build_mitdb_beats, load_split
from ecg_utils.signal.templates import add_templates

_compat.install()

__version__ = config.VERSION
__all__ = ["ANOMALY", "CLASS_NAMES", "UNKNOWN_RECORD", "UNLABELLED", "Beats", "DataError", "load_kaggle_csv",
           "write_kaggle_csv", "add_templates", "build_mitdb_beats", "load_split", "__version__"]
