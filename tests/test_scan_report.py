"""The scan's report, opened in a real headless browser (Debian's chromium, installed by .ci/run)."""
import numpy as np
import pytest
from conftest import run_chromium
from matplotlib import image

from ecg_utils.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory, mitdb_dir):
    import wfdb

    tmp = tmp_path_factory.mktemp("report")
    rec = wfdb.rdrecord(str(mitdb_dir / "208"), sampto=360 * 300)
    wfdb.wrsamp("holter", fs=rec.fs, units=rec.units, sig_name=rec.sig_name, p_signal=rec.p_signal,
                fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(tmp))
    assert main(["scan", str(tmp / "holter.hea"), "--out", str(tmp / "out")]) == 0
    return tmp / "out" / "report.html"


def test_the_report_renders_its_findings_and_figures_in_a_browser(report, tmp_path):
    dom = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert 'id="summary"' in dom and "beats flagged" in dom and "holter" in dom
    assert dom.count("data:image/png;base64,") == 4  # self-contained: no file beside it is needed
    shot = tmp_path / "page.png"
    run_chromium(tmp_path, "--window-size=1200,2400", f"--screenshot={shot}", report.as_uri())
    pixels = (image.imread(shot)[..., :3] * 255).astype(int)
    # the figures are drawn: the ventricular beats' bars and dots (tab:red; 208 is a record of V beats) and the
    # heart-rate line (tab:blue) are on the page
    for colour in ((214, 39, 40), (31, 119, 180)):
        assert (np.abs(pixels - colour).sum(axis=-1) < 30).sum() > 200, colour
