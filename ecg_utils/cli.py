"""The command line: a thin layer over the package (``ecg-detector`` or ``python -m ecg_utils``)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from ecg_utils.config import import_tensorflow_quietly
from ecg_utils.errors import DataError
from ecg_utils.io.files import check_writable, written_whole


def _download(args):
    from ecg_utils.io.databases import get_database
    from ecg_utils.io.databases.mitdb import TEST_RECORDS
    from ecg_utils.io.physionet import download, fetch_noise_for_tests, fetch_svdb_test_records, fetch_test_records

    if args.for_tests:
        folder = fetch_test_records(args.dest)
        print(f"MIT-BIH records for the tests ({len(TEST_RECORDS)}, SHA-256 checked when fetched) in {folder}")
        svdb = fetch_svdb_test_records()
        print(f"SVDB records for the tests ({len(get_database('svdb').test_records)}, SHA-256 checked when fetched) "
              f"in {svdb}")
        print(f"Noise records for the tests (bw, ma, em) in {fetch_noise_for_tests()}")
        return
    folder = download(args.database, args.dest, records=args.records)
    env = "ECG_DATA_DIR" if args.database == "mitdb" else get_database(args.database).env
    print(f"Set {env}={folder} (or leave it unset: data/raw/{args.database} is searched by default)")


def _build(args):
    from ecg_utils.signal.build import build_beats

    t0 = time.perf_counter()
    beats = build_beats(args.database, args.data_dir, records=args.records, representation=args.representation,
                        cache=not args.no_cache)
    summary = {"database": args.database, "representation": args.representation, "records": beats.info["records"], "beats": len(beats),
               "counts": beats.counts(), "dropped_at_ends": sum(beats.info["dropped_at_ends"].values()),
               "seconds": round(time.perf_counter() - t0, 2)}
    print(json.dumps(summary, indent=1))


def _score(args):
    import numpy as np

    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.io.kaggle import load_kaggle_csv

    if args.out:
        check_writable(args.out, "scores CSV")  # before the work, not after it
    detector = AutoencoderDetector.load(args.detector)
    beats = load_kaggle_csv(args.csv)
    t0 = time.perf_counter()
    scores = detector.decision_function(beats)
    seconds = time.perf_counter() - t0
    flagged = scores > detector.threshold_
    print(f"{args.csv}: {len(beats)} beats scored in {seconds:.2f} s ({len(beats) / seconds:,.0f} beats/s); "
          f"{int(flagged.sum())} flagged above the threshold {detector.threshold_:.4g}")
    if args.out:
        import pandas as pd

        try:
            with written_whole(args.out) as tmp:
                pd.DataFrame({"beat": np.arange(len(beats)), "score": scores, "anomaly": flagged.astype(int)}).to_csv(
                    tmp, index=False)
        except OSError as exc:
            raise DataError(f"{args.out}: cannot write the scores ({exc.strerror or exc}); nothing was written") from None
        print(f"Wrote {args.out}")


def _train(args):
    from ecg_utils.detect.autoencoder import AutoencoderDetector
    from ecg_utils.detect.saved import KNOWN_FILES
    from ecg_utils.experiments.pipeline import configure, load_data
    from ecg_utils.io.files import check_output_folder

    check_output_folder(args.out, "detector", args.overwrite, known=KNOWN_FILES)  # before the training, not after
    cfg = configure(args.preset, split=args.split, seed=args.seed, peaks=args.peaks, epochs=args.epochs,
                    data_dir=args.data_dir, database=args.database)
    data = load_data(cfg)
    print(data.describe(), flush=True)
    detector = AutoencoderDetector(**cfg.detector, verbose=1).fit(data.train, data.validation)
    detector.save(args.out, overwrite=args.overwrite)
    print(f"Saved the detector ({detector.epochs_trained_} epochs, threshold {detector.threshold_:.4g}) to {args.out}")


def _scan(args):
    from pathlib import Path

    from ecg_utils.scan.archive import SUMMARY_FILE, scan_many, table_text

    if args.model is not None:
        print("note: --model is now --detector (the old name works until ecg-detector 0.3)", file=sys.stderr)
    table = scan_many(args.recordings, args.out, detector=args.detector or args.model, scheduler=args.scheduler,
                      report=not args.no_report, progress=lambda line: print(line, flush=True),
                      verbose=args.scheduler is None, lead=args.lead, fs=args.fs, units=args.units,
                      column=args.column, overwrite=args.overwrite)
    if len(table) > 1:
        print(table_text(table))
        print(f"Wrote {Path(args.out) / SUMMARY_FILE}")
    failed = table[table.status != "ok"]
    if len(failed):
        raise DataError(f"{len(failed)} of {len(table)} recording(s) could not be scanned: "
                        f"{', '.join(failed.source)}")


def _figures(args):
    from ecg_utils import config
    from ecg_utils.detect.presets import get_preset
    from ecg_utils.experiments import figures
    from ecg_utils.signal.build import build_mitdb_beats

    data = get_preset("recommended")["data"]  # the beats and templates the recommended detector sees
    beats = build_mitdb_beats(args.data_dir, records=args.records, representation=data["representation"],
                              template_width=data["template_width"], template_regular=data["template_regular"],
                              verbose=False)
    config.IMAGES_DIR.mkdir(exist_ok=True)
    path = config.IMAGES_DIR / "what_the_detector_sees.png"
    figures.plot_context(beats, seed=args.seed).savefig(path, dpi=120, bbox_inches="tight")
    print(f"Wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="ecg-detector", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    databases = ["mitdb", "svdb"]
    p = sub.add_parser("download", help="download an annotated database from PhysioNet (default: MIT-BIH Arrhythmia)")
    p.add_argument("--database", default="mitdb", choices=databases,
                   help="mitdb: MIT-BIH Arrhythmia; svdb: MIT-BIH Supraventricular Arrhythmia")
    p.add_argument("--dest", help="target folder (default data/raw/<database>)")
    p.add_argument("--records", nargs="+", help="a subset of records (default all)")
    p.add_argument("--for-tests", action="store_true",
                   help="only the records the test suite reads, unless $ECG_DATA_DIR, ../shared/data/mitdb or "
                        "data/raw/mitdb holds them already")
    p.set_defaults(func=_download)
    p = sub.add_parser("build", help="cut a database's records into beats (cached) and print the class totals")
    p.add_argument("--database", default="mitdb", choices=databases)
    p.add_argument("--data-dir", help="folder of WFDB records (default: the database's setting, $ECG_DATA_DIR for "
                                      "MIT-BIH)")
    p.add_argument("--records", nargs="+", help="records to build (default: every record in the folder)")
    p.add_argument("--representation", default="kaggle", choices=["kaggle", "centered"])
    p.add_argument("--no-cache", action="store_true", help="rebuild even if cached")
    p.set_defaults(func=_build)
    p = sub.add_parser("score", help="score a Kaggle-format CSV of beats with a saved detector")
    p.add_argument("detector", help="a saved detector's folder (ecg-detector train --out, AutoencoderDetector.save)")
    p.add_argument("csv", help="a CSV in the Kaggle heartbeat format")
    p.add_argument("--out", help="write per-beat scores to this CSV")
    p.set_defaults(func=_score)
    p = sub.add_parser("train", help="train a detector on the normal beats of a split and save it (e.g. for scan)")
    p.add_argument("--preset", default="recommended", choices=["baseline", "recommended"])
    p.add_argument("--split", default="interpatient", choices=["interpatient", "development", "random"])
    p.add_argument("--peaks", default="detected", choices=["reference", "detected"],
                   help="cut beats at the detected R-peaks (as scan does; default) or at the reference annotations")
    p.add_argument("--epochs", type=int, help="cap on epochs (default: the preset's, with early stopping)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--database", default="mitdb", choices=databases,
                   help="train on this database's protocol training side (MIT-BIH: DS1)")
    p.add_argument("--data-dir", help="folder of WFDB records (default: the database's setting)")
    p.add_argument("--out", required=True, help="folder to save the detector into (replaced whole if it is an earlier "
                                                "output of this program)")
    p.add_argument("--overwrite", action="store_true", help="replace --out even if it holds other files")
    p.set_defaults(func=_train)
    p = sub.add_parser("scan", help="find the abnormal beats of recordings (WFDB, EDF, CSV, .npy): no annotations, "
                                    "no training needed")
    p.add_argument("recordings", nargs="+", metavar="RECORDING",
                   help="a WFDB record (NAME.hea), an EDF file, a CSV/TSV/TXT of samples or a .npy array; a folder "
                        "stands for its WFDB records and EDF files")
    p.add_argument("--detector", help="a saved detector's folder (default: the detector shipped with the package)")
    p.add_argument("--model", help=argparse.SUPPRESS)  # the 0.1 name of --detector
    p.add_argument("--out", default="scan", help="output folder (one subfolder per recording if several; "
                                                  "default ./scan); an existing folder is replaced only if it is an "
                                                  "earlier output of this program")
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out even if it holds other files (never the folder of a recording scanned)")
    p.add_argument("--lead", help="lead name to read (default: MLII, else II, else the first ECG channel)")
    p.add_argument("--column", help="column (name or 0-based index) of a CSV/NumPy file, or channel of a record")
    p.add_argument("--fs", type=float, help="sampling rate in Hz (required for NumPy files and tables without a time "
                                             "column; checked against the file's own rate)")
    p.add_argument("--units", help="units of the signal: mV, uV or V, optionally with a size (5uV: one unit, e.g. an "
                                   "ADC count, is 5 microvolts); overrides the file's. Without it a table or array is "
                                   "read as mV, or uV/V when its amplitude says so (a note tells)")
    p.add_argument("--no-report", action="store_true", help="write the table and annotations only")
    p.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
                   help="one Dask task per recording: 'local' (a local cluster, one worker per core) or a scheduler "
                        "address such as tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS, else no Dask)")
    p.set_defaults(func=_scan)
    p = sub.add_parser("figures", help="redraw the README's figure (images/what_the_detector_sees.png)")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--records", nargs="+", default=["232"], help="records to draw from (default 232: many S beats)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_figures)
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    for command in sub.choices.values():  # also after the command; SUPPRESS keeps it from resetting the first
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the full traceback of an unexpected error")
    args = parser.parse_args(argv)
    args.debug = getattr(args, "debug", False)
    previous = _stop_on_sigterm()
    try:
        if args.command in ("scan", "train", "score"):
            import_tensorflow_quietly()
        args.func(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user; --debug for the traceback
        if args.debug:
            raise
        print(f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _stop_on_sigterm():
    """Make SIGTERM stop the command as Ctrl-C does, so that partial outputs are removed on the way out (the
    default action kills the process at once). Returns the previous handler (None off the main thread)."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (main() called from a thread): leave signals alone
        return None


if __name__ == "__main__":
    sys.exit(main())
