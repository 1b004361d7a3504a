#!/usr/bin/env bash
# ECG-Detector: set up, then run the main job (notebooks -> HTML reports) or the tests.
#
#   ./run_all.sh            default profile: baseline (inter-patient) + inference + experiment sweeps
#   ./run_all.sh quick      a fast look: few records, few epochs, tiny sweeps
#   ./run_all.sh full       every record, full training, full sweeps (a real machine / GPU)
#   ./run_all.sh test       set up and run the test suite (what CI runs)
#
# Data: $ECG_DATA_DIR (MIT-BIH WFDB records or the Kaggle CSVs), else data/raw/mitdb or data/,
# else the MIT-BIH database is downloaded from PhysioNet into data/raw/mitdb.
set -euo pipefail
# folder settings given relative to where the command was typed: made absolute before moving, since the notebooks
# run from notebooks/ and would read them from there
for var in ECG_DATA_DIR ECG_NSTDB_DIR ECG_CACHE_DIR; do
  value="${!var:-}"
  if [ -n "$value" ] && [ "${value#/}" = "$value" ]; then
    export "$var=$PWD/$value"
  fi
done
cd "$(dirname "$0")"
profile="${1:-default}"
case "$profile" in quick|default|full|test) ;; *) echo "usage: $0 [quick|default|full|test]" >&2; exit 2;; esac

PY="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
echo "== installing requirements.txt (pinned; ecg_utils in editable mode)"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r requirements.txt
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ECG-Detector)" >/dev/null
export PATH="$PWD/$VENV/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

if [ "$profile" = test ]; then
  echo "== finding the MIT-BIH records the tests read (fetched from PhysioNet into data/raw/mitdb if absent)"
  python -m ecg_utils download --for-tests || exit 1  # no records and no internet: one line, and a failure
  echo "== running the tests"
  export ECG_TESTS_NEED_DATA=1  # a test that finds no records fails instead of being skipped
  exec python -m pytest -q tests
fi

echo "== finding the data"
if ! python -c "from ecg_utils.io.records import find_data_dir; print('   MIT-BIH records in', find_data_dir())" 2>/dev/null; then
  echo "   no records found: downloading the MIT-BIH Arrhythmia Database from PhysioNet"
  python -m ecg_utils download
fi

exec python -m ecg_utils.experiments.report --profile "$profile"
