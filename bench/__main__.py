"""``python -m bench``: the detectors beside their peers (:mod:`bench.run`), then every record tested once
(:mod:`bench.records`), the constants of the beat kinds on DS1 (:mod:`bench.kinds`), R-peak detection
(:mod:`bench.peaks`), the scan of unannotated recordings (:mod:`bench.scan`) and sweeps and scans on 1 and 2 Dask
workers (:mod:`bench.cluster`). Options go to :mod:`bench.run`; ``--no-scan`` runs it alone (``--quick`` implies
it)."""
import sys

from bench import cluster, kinds, peaks, records, run, scan

argv = sys.argv[1:]
if "--worker" in argv:
    sys.exit(run.main(argv))
only_detectors = "--no-scan" in argv or "--quick" in argv
argv = [a for a in argv if a != "--no-scan"]
rc = run.main(argv)
if rc == 0 and not only_detectors:
    data = argv[argv.index("--data-dir") + 1:argv.index("--data-dir") + 2] if "--data-dir" in argv else []
    extra = ["--data-dir", *data] if data else []
    rc = (records.main(extra) or kinds.main(extra) or peaks.main(extra) or scan.main(extra)
          or cluster.main(extra))
sys.exit(rc)
