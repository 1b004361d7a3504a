"""``python -m bench``: the detectors beside their peers (:mod:`bench.run`), then R-peak detection
(:mod:`bench.peaks`) and the scan of unannotated recordings (:mod:`bench.scan`). Options go to :mod:`bench.run`;
``--no-scan`` runs it alone (``--quick`` implies it)."""
import sys

from bench import peaks, run, scan

argv = sys.argv[1:]
if "--worker" in argv:
    sys.exit(run.main(argv))
only_detectors = "--no-scan" in argv or "--quick" in argv
argv = [a for a in argv if a != "--no-scan"]
rc = run.main(argv)
if rc == 0 and not only_detectors:
    data = argv[argv.index("--data-dir") + 1:argv.index("--data-dir") + 2] if "--data-dir" in argv else []
    rc = peaks.main(["--data-dir", *data] if data else []) or scan.main(["--data-dir", *data] if data else [])
sys.exit(rc)
