"""The command line: a thin layer over the package (``ecg-detector`` or ``python -m ecg_utils``)."""
from __future__ import annotations

import argparse
import json
import sys
import time

from ecg_utils.errors import DataError


def _download(args):
    from ecg_utils.data import download_mitdb

    folder = download_mitdb(args.dest, records=args.records)
    print(f"Set ECG_DATA_DIR={folder} (or leave it unset: data/raw/mitdb is searched by default)")


def _build(args):
    from ecg_utils.beats import build_mitdb_beats

    t0 = time.perf_counter()
    beats = build_mitdb_beats(args.data_dir, records=args.records, representation=args.representation,
                              cache=not args.no_cache)
    summary = {"representation": args.representation, "records": beats.info["records"], "beats": len(beats),
               "counts": beats.counts(), "dropped_at_ends": sum(beats.info["dropped_at_ends"].values()),
               "seconds": round(time.perf_counter() - t0, 2)}
    print(json.dumps(summary, indent=1))


def _score(args):
    import numpy as np

    from ecg_utils.detector import AutoencoderDetector
    from ecg_utils.kaggle import load_kaggle_csv

    detector = AutoencoderDetector.load(args.model)
    beats = load_kaggle_csv(args.csv)
    t0 = time.perf_counter()
    scores = detector.decision_function(beats)
    seconds = time.perf_counter() - t0
    flagged = scores > detector.threshold_
    print(f"{args.csv}: {len(beats)} beats scored in {seconds:.2f} s ({len(beats) / seconds:,.0f} beats/s); "
          f"{int(flagged.sum())} flagged above the threshold {detector.threshold_:.4g}")
    if args.out:
        import pandas as pd

        pd.DataFrame({"beat": np.arange(len(beats)), "score": scores, "anomaly": flagged.astype(int)}).to_csv(
            args.out, index=False)
        print(f"Wrote {args.out}")


def _figures(args):
    from ecg_utils import config, plots
    from ecg_utils.beats import build_mitdb_beats
    from ecg_utils.presets import get_preset

    data = get_preset("recommended")["data"]  # the beats and templates the recommended detector sees
    beats = build_mitdb_beats(args.data_dir, records=args.records, representation=data["representation"],
                              template_width=data["template_width"], template_regular=data["template_regular"],
                              verbose=False)
    config.IMAGES_DIR.mkdir(exist_ok=True)
    path = config.IMAGES_DIR / "what_the_detector_sees.png"
    plots.plot_context(beats, seed=args.seed).savefig(path, dpi=120, bbox_inches="tight")
    print(f"Wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="ecg-detector", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("download", help="download the MIT-BIH Arrhythmia Database from PhysioNet")
    p.add_argument("--dest", help="target folder (default data/raw/mitdb)")
    p.add_argument("--records", nargs="*", help="a subset of records (default all 48)")
    p.set_defaults(func=_download)
    p = sub.add_parser("build", help="cut the MIT-BIH records into beats (cached) and print the class totals")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--records", nargs="*")
    p.add_argument("--representation", default="kaggle", choices=["kaggle", "centered"])
    p.add_argument("--no-cache", action="store_true", help="rebuild even if cached")
    p.set_defaults(func=_build)
    p = sub.add_parser("score", help="score a Kaggle-format CSV of beats with a saved detector")
    p.add_argument("model", help="folder written by AutoencoderDetector.save")
    p.add_argument("csv", help="a CSV in the Kaggle heartbeat format")
    p.add_argument("--out", help="write per-beat scores to this CSV")
    p.set_defaults(func=_score)
    p = sub.add_parser("figures", help="redraw the README's figure (images/what_the_detector_sees.png)")
    p.add_argument("--data-dir", help="folder of WFDB records (default $ECG_DATA_DIR)")
    p.add_argument("--records", nargs="*", default=["232"], help="records to draw from (default 232: many S beats)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_figures)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
