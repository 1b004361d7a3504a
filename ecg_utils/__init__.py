"""ECG-Detector: unsupervised detection of abnormal heartbeats with a 1-D convolutional autoencoder.

The data layer is importable from the top level; the model side (TensorFlow) from its own modules:
``ecg_utils.detector.AutoencoderDetector``, ``ecg_utils.model.build_autoencoder``.
"""
from ecg_utils.dataset import ANOMALY, CLASS_NAMES, UNKNOWN_RECORD, UNLABELLED, Beats
from ecg_utils.errors import DataError
from ecg_utils.kaggle import load_kaggle_csv, write_kaggle_csv
from ecg_utils.beats import add_templates, build_mitdb_beats
from ecg_utils.splits import load_split

__version__ = "0.1.0"
__all__ = ["ANOMALY", "CLASS_NAMES", "UNKNOWN_RECORD", "UNLABELLED", "Beats", "DataError", "load_kaggle_csv", "write_kaggle_csv",
           "add_templates", "build_mitdb_beats", "load_split", "__version__"]
