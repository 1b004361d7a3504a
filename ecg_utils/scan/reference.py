"""A scan of an annotated record checked against its reference annotations, which the scan never saw."""
from __future__ import annotations

import pandas as pd


def compare_with_reference(result, record=None, data_dir=None) -> pd.DataFrame:
    """How a scan of an MIT-BIH record did against the record's reference annotations, which the scan never saw.

    Returns a table with one row per AAMI class (N, S, V, F, Q) and one for false beats (detections matching no
    reference beat): reference beats, found (EC57, 150 ms), flagged, and the shares. ``table.attrs`` holds the
    EC57 detection figures (``se``, ``ppv``).
    """
    from ecg_utils.io.records import find_data_dir, read_record
    from ecg_utils.metrics import scan_vs_reference

    ref = read_record(find_data_dir(data_dir), record or result.recording.name, lead=result.recording.lead,
                      fallback=True)
    samples, classes = ref.beats()
    b = result.table
    out = scan_vs_reference(b["sample"][b["flagged"]], b["sample"], samples, classes, result.recording.fs)
    rows = [{"class": k, "reference beats": v["n"], "found": v["found"], "flagged": v["flagged"],
             "found share": v["found_rate"], "flagged share": v["flagged_rate"]} for k, v in out["per_class"].items()]
    rows.append({"class": "false beats", "reference beats": None, "found": out["false_beats"]["n"],
                 "flagged": out["false_beats"]["flagged"], "found share": None, "flagged share": None})
    table = pd.DataFrame(rows).set_index("class")
    table.attrs.update(out["detection"])
    return table
