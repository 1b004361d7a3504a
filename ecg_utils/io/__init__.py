"""What comes in, and what goes out whole: a user's recording (WFDB, EDF, CSV/TXT, NumPy), the databases (their
records, labels and splits), the Kaggle CSVs, the beat dataset container, and files written whole or not at all.
"""
