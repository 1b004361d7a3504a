"""The README's picture of a scan report: MIT-BIH record 208 copied without its annotations, scanned with the shipped
detector, its report opened in headless chromium and the top of the page saved as a PNG.

    python -m bench.report_image                    # writes images/scan_report.png (needs Debian's chromium)
    python -m bench.report_image --record 201 --out /tmp/report.png
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT
from ecg_utils.io.files import written_whole

#: The browser window: the page's width, and how much of its top the picture shows.
WINDOW = (1100, 1250)


def render(record_path, out, window=WINDOW) -> Path:
    """Scan the WFDB record at ``record_path`` (its signal only) and save the top of its report to ``out``."""
    import wfdb

    from ecg_utils.cli import main as cli

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("bench.report_image: chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rec = wfdb.rdrecord(str(record_path))
        wfdb.wrsamp(rec.record_name, fs=rec.fs, units=rec.units, sig_name=rec.sig_name, p_signal=rec.p_signal,
                    fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(tmp))
        if cli(["scan", str(tmp / f"{rec.record_name}.hea"), "--out", str(tmp / "scan")]) != 0:
            raise SystemExit(f"bench.report_image: the scan of {record_path} failed")
        with written_whole(out) as part:
            shot = tmp / "page.png"
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--user-data-dir={tmp / 'profile'}", f"--window-size={window[0]},{window[1]}",
                            f"--screenshot={shot}", (tmp / "scan" / "report.html").as_uri()],
                           check=True, capture_output=True, timeout=120)
            shutil.copyfile(shot, part)
    return Path(out)


def main(argv=None) -> int:
    from ecg_utils.io.records import find_data_dir

    p = argparse.ArgumentParser(prog="python -m bench.report_image", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--record", default="208")
    p.add_argument("--data-dir", help="folder of the MIT-BIH records (default $ECG_DATA_DIR)")
    p.add_argument("--out", default=str(ROOT / "images" / "scan_report.png"))
    args = p.parse_args(argv)
    record = find_data_dir(args.data_dir) / args.record
    if not record.with_suffix(".hea").is_file():
        raise SystemExit(f"bench.report_image: no record {args.record} in {record.parent} ({record.name}.hea not found)")
    print(render(record, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
