"""The benchmark's quick run: every detector x split is reported, with the metric and speed keys the
tables need. Structure only; the numbers of a quick run mean nothing.

To stay fast, the run covers every autoencoder preset and three peers (one fitted, one rule, one fused); the
isolation forest, the one-class SVM and the other fused peers go through the same code and are tested in
test_baselines.py and test_fusion.py."""
import json
import sys

import numpy as np
import pytest

from ecg_utils import config

if str(config.PROJ_ROOT) not in sys.path:  # `bench` lives beside the package, not inside it
    sys.path.insert(0, str(config.PROJ_ROOT))

from bench import run as bench  # noqa: E402

DETECTORS = [d for d in bench.default_detectors() if d.startswith(bench.AE_PREFIX)] + ["pca", "rr_rule",
                                                                                      "template+rhythm"]

SPEED_KEYS = {"train_seconds", "train_beats", "train_beats_used", "train_beats_per_s", "score_beats",
              "score_beats_per_s", "latency_ms_median", "peak_rss_mib"}


@pytest.fixture(scope="module")
def quick_run(mitdb_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    argv = ["--quick", "--epochs", "1", "--out", str(out), "--data-dir", str(mitdb_dir),
            "--score-beats", "2000", "--latency-calls", "5", "--detectors", *DETECTORS]
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: the autouse cache fixture has not run yet
        mp.setenv(config.CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        assert bench.main(argv) == 0
    return json.loads((out / "benchmark.json").read_text()), (out / "benchmark.md").read_text()


@pytest.mark.slow
def test_every_detector_and_split_is_reported(quick_run):
    result, _ = quick_run
    detectors = DETECTORS
    assert result["config"]["detectors"] == detectors and "ae-baseline" in detectors
    assert set(result["splits"]) == set(bench.SPLITS)
    for split in bench.SPLITS:
        s = result["splits"][split]
        assert set(s["detectors"]) == set(detectors)
        for det, entry in s["detectors"].items():
            assert len(entry["runs"]) == 1
            run = entry["runs"][0]
            assert run["detector"] == det and run["split"] == split
            assert SPEED_KEYS <= set(run["speed"]), det
            for _, key in bench.QUALITY_COLUMNS:
                assert key in entry["summary"]["metrics"], (det, key)
                assert {"mean", "std", "values"} <= set(entry["summary"]["metrics"][key])
    ae = result["splits"]["interpatient"]["detectors"]["ae-baseline"]["runs"][0]
    assert ae["speed"]["epochs"] <= 1 and ae["params"]["epochs"] == 1


@pytest.mark.slow
def test_environment_and_command_are_recorded(quick_run):
    result, _ = quick_run
    env = result["environment"]
    assert env["cpu"] and env["cpu_count"] >= 1 and env["libraries"]["numpy"]
    assert result["command"].startswith("python -m bench --quick") and result["date"]
    assert result["beat_building"] and all(b["beats"] > 0 for b in result["beat_building"].values())


@pytest.mark.slow
def test_markdown_has_a_row_per_detector(quick_run):
    result, md = quick_run
    for split in bench.SPLITS:
        assert f"## Quality: {split} split" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    for det in DETECTORS:
        label = bench._label(det)
        assert sum(line.startswith(f"| {label} |") for line in rows) == len(bench.SPLITS), label
        assert sum(f"| {label} |" in line and not line.startswith(f"| {label} |") for line in rows) == \
            len(bench.SPLITS), label


def test_calibration_reports_the_rate_asked_for_beside_the_rate_achieved():
    from bench.records import NOMINAL_FPR, calibration

    rng = np.random.default_rng(0)
    validation = rng.normal(size=20_000)
    same = rng.normal(size=20_000)                     # new patients like the validation ones
    shifted = np.concatenate([same[:10_000], same[10_000:] + 1.0])   # one record's scores all shifted up
    records = np.repeat(["a", "b"], 10_000)
    y = np.zeros(20_000, dtype=int)
    for row, rate in zip(calibration(validation, same, y, records), NOMINAL_FPR):
        assert row["nominal"] == rate and row["achieved"] == pytest.approx(rate, rel=0.2)
    worst = calibration(validation, shifted, y, records)
    assert all(r["worst"] == "b" and r["record_max"] > 3 * r["nominal"] for r in worst)


def test_development_comparison_parses_changes_and_counts_paired_wins():
    from bench.development import _value, markdown

    assert [_value(v) for v in ("false", "None", "4", "recording", "[8, 16]")] == [False, None, 4, "recording", [8, 16]]
    rows = [{"seed": i, "test_records": ["101"], "preset": {"roc_auc": a, "normal_fpr": 0.1, "worst_record_fpr": 0.2},
             "changed": {"roc_auc": b, "normal_fpr": 0.05, "worst_record_fpr": 0.1}}
            for i, (a, b) in enumerate([(0.90, 0.95), (0.90, 0.9005), (0.95, 0.90)])]
    md = markdown({"rows": rows, "change": {"deviation": False}, "preset": "recommended", "command": "c", "date": "d",
                   "wall_seconds": 60, "environment": {"cpu": "x", "cpus_usable": 2}, "config": {"epochs": 6}})
    assert "better in 1, within 0.001 in 1 and worse in 1 of 3 draws" in md


def test_calibration_bench_measures_ranking_and_the_rate_asked_for():
    from bench.calibration import _measures

    rng = np.random.default_rng(0)
    records = np.repeat(["a", "b"], 5_000)
    y = np.where(np.arange(10_000) % 50 == 0, 2, 0)            # 2% V beats in each record
    score = rng.normal(size=10_000) + 3.0 * (y == 2)             # abnormal beats score higher
    m = _measures(y, score, records, threshold=2.0, validation_scores=rng.normal(size=20_000))
    assert 0.95 < m["roc_auc"] < 1 and 0.95 < m["record_auc_worst"] <= m["record_auc_median"] < 1
    assert m["fpr_at_1"] == pytest.approx(0.01, rel=0.3)         # test normals like the validation normals
    assert m["normal_fpr"] == pytest.approx(0.023, abs=0.01) and m["records_over_10"] == 0


def test_scan_bench_reports_the_svdb_records_scanned_and_keeps_them(svdb_dir, tmp_path):
    """``bench.scan --parts svdb``: an SVDB record scanned by the shipped detector, its kinds read against the
    reference; the section is written, and a later ``--parts day`` run keeps it."""
    from bench.scan import keep_other_parts, markdown, scan_split
    from ecg_utils.detect.pretrained import load_detector

    sv = scan_split(load_detector(None)[0], svdb_dir, ["800"])
    assert sv["reference_beats"] > 1500 and sv["reference_beats_not_scored"] < 0.01 * sv["reference_beats"]
    assert 0.0 <= sv["ec57_kinds"]["VEB"]["se"] <= 1.0
    sv.update(records_scanned=["800"], command="python -m bench.scan --parts svdb", date="2026-12-01T00:00:00")
    result = {"command": sv["command"], "date": sv["date"], "environment": {"cpu": "cpu", "cpus_usable": 2},
              "config": {"seeds": 1, "epochs": 1}, "svdb": sv, "wall_seconds": 1.0}
    text = markdown(result)
    assert "## The SVDB records scanned" in text and "each of the 1 SVDB records" in text
    row = next(line for line in text.splitlines() if line.startswith("| shipped |"))
    assert f"{100 * sv['ec57_kinds']['VEB']['se']:.1f}" in row
    (tmp_path / "scan.json").write_text(json.dumps(result, default=float))
    later = keep_other_parts(tmp_path / "scan.json", {"command": "python -m bench.scan --parts day", "day": {}},
                             ["day"])
    assert later["svdb"]["records_scanned"] == ["800"]
