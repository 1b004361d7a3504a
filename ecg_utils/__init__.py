"""ECG-Detector: unsupervised detection of abnormal heartbeats with a 1-D convolutional autoencoder."""
from ecg_utils.dataset import ANOMALY, CLASS_NAMES, UNKNOWN_RECORD, Beats

__version__ = "0.1.0"
__all__ = ["ANOMALY", "CLASS_NAMES", "UNKNOWN_RECORD", "Beats", "__version__"]
