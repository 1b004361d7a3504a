"""The scan's report: one self-contained HTML page a clinician reads, findings first, the figures embedded."""
from __future__ import annotations

import base64
import datetime as dt
import html
from pathlib import Path

import numpy as np

from ecg_utils.scan.annotations import ANNOTATOR, _safe_name
from ecg_utils.scan.episodes import RHYTHMS
from ecg_utils.scan.figures import (
    burden_bin,
    families_shown,
    plot_burden,
    plot_families,
    plot_heart_rate,
    plot_score_timeline,
)
from ecg_utils.scan.kinds import KIND_NAMES

#: Families drawn in the report (the dominant one and those with the most flagged beats).
FAMILY_COUNT = 8
#: Irregular rhythm (seconds in all) from which the report's opening finding leads with it.
IRREGULAR_LEAD_S = 60.0
#: Rhythm episodes listed in the report (the longest, in time order); ``summary.json`` lists them all.
EPISODE_ROWS = 100


# -- the report ------------------------------------------------------------------------------------
def _start(result):
    try:
        return dt.datetime.fromisoformat(result.recording.start) if result.recording.start else None
    except ValueError:
        return None


def _clock(seconds, start):
    if start is not None:
        return (start + dt.timedelta(seconds=float(seconds))).strftime("%Y-%m-%d %H:%M:%S")
    return str(dt.timedelta(seconds=round(float(seconds))))


def report_figures(result) -> dict:
    """The report's figures, by file name."""
    b, st, rec = result.table, result.stretches, result.recording
    return {
        "burden": plot_burden(b),
        "heart_rate": plot_heart_rate(b, st),
        "score_timeline": plot_score_timeline(b, result.threshold, st),
        "families": plot_families(rec.signal, rec.fs, b, result.families, n=FAMILY_COUNT, start=_start(result)),
    }


def _duration(seconds) -> str:
    """A duration as a reader says it: "4.2 s", "6 min 49 s", "2 h 05 min"."""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    return f"{minutes} min {sec:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _episode_rows(episodes, start) -> list:
    """The report's rows of rhythm episodes: the :data:`EPISODE_ROWS` longest, in time order."""
    shown = episodes.nlargest(EPISODE_ROWS, "duration_s").sort_values("start", kind="stable")
    return [(_clock(a, start), _duration(d), f"{n:,}", f"{hr:.0f}" if np.isfinite(hr) else "-",
             RHYTHMS.get(r, r), r)
            for a, d, n, hr, r in zip(shown["start_s"], shown["duration_s"], shown["beats"], shown["heart_rate_bpm"],
                                      shown["rhythm"])]


def _episode_text(per_rhythm) -> str:
    """The episodes other than irregular rhythm (which the report states on its own) in one sentence: how many of
    each rhythm, and how long in all."""
    parts = [f"{RHYTHMS[r].split(' (3')[0]}: {v['episodes']:,} ({_duration(v['duration_s'])} in all)"
             for r, v in per_rhythm.items() if v["episodes"] and r != "(AFIB"]
    return ("Other rhythm episodes: " + "; ".join(parts) + ".") if parts else "No other rhythm episode."


def _opening(s, burden) -> str:
    """The report's opening finding: irregular rhythm first when there is :data:`IRREGULAR_LEAD_S` of it, then the
    flagged beats."""
    beats = (f"{s['flagged']:,} of {s['beats_scored']:,} beats flagged ({burden}; "
             f"{s['flagged_per_hour']:.0f} per hour)")
    irregular_s = s["irregular_rhythm"]["duration_s"]
    if irregular_s < IRREGULAR_LEAD_S:
        return beats
    return f"Irregular rhythm (AF-like) for {irregular_s / 60:.1f} min; {beats[0].lower()}{beats[1:]}"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


NOTES = {
    "flat": "lead off or recorder stopped (or an asystole: look at it)",
    "saturated": "the amplifier clipped",
    "noisy": "noise, or ventricular flutter/fibrillation (no distinct beats): look at it",
    "gap": "the file holds no samples here (filled, to keep every later beat at its time)",
    "artefact": "electrode motion or other artefact: detections neither both R-peak detectors nor the other lead "
                "confirm",
}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
.summary{background:#f5f7fa;border:1px solid #dde3ea;border-radius:6px;padding:.8em 1.2em}
.big{font-size:1.25em;font-weight:600} .muted{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
#episode-list td:nth-child(n+5),#episode-list th:nth-child(n+5){text-align:left} img{max-width:100%;display:block;margin:.5em 0}
"""


def _notes(notes) -> str:
    """The reader's notes and the disturbances found (mains hum, pacing spikes), as a list."""
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notes)
    return f'<div id="notes"><p>About the input:</p><ul>{items}</ul></div>'


def _noise_shapes(s) -> str:
    """One sentence on the flags taken back as noise, with why (a shape found only in noisy signal; a P wave noise
    hides; a one-off shape on time in noise, or between two beats on time; a QRS barely above the noise), or
    nothing."""
    why = {"shapes": " have a shape found only where the signal is noisy",
           "p_waves": ", on time with a QRS near the patient's, would be ventricular only for a P wave noise hides",
           "handful": ", on time in noisy signal, have a shape only a few beats share",
           "split": ", in noisy signal between two beats on time, have a shape only a few beats share",
           "faint": " have a QRS that barely rises above the noise in both leads"}
    counts = {k: s.get(f"unreadable_noise_{k}", 0) for k in why}
    if not any(counts.values()):
        return ""
    parts = "; ".join(f"{n:,}{why[k]}" for k, n in counts.items() if n)
    return f" {sum(counts.values()):,} more beats above the threshold are unreadable (noise), not flagged: {parts}."


def write_report(result, folder) -> Path:
    """Write ``report.html`` and ``figures/*.png`` into ``folder``."""
    folder = Path(folder)
    (folder / "figures").mkdir(exist_ok=True)
    for name, fig in report_figures(result).items():
        fig.savefig(folder / "figures" / f"{name}.png", dpi=100)
    (folder / "report.html").write_text(report_html(result, folder / "figures"))
    return folder / "report.html"


def report_html(result, figure_dir) -> str:
    """The report page, findings first, figures embedded from ``figure_dir``."""
    s, b, st, start = result.summary(), result.table, result.stretches, _start(result)
    scored = b[np.isfinite(b["score"])]
    flagged = b[b["flagged"]]
    esc = html.escape
    reasons = ", ".join(f"{n:,} {r}" for r, n in s["reasons"].items() if n) or "none"
    unread = (f"{s['unreadable_s'] / 60:.1f} min could not be read (" +
              ", ".join(f"{k} {v / 60:.1f} min" for k, v in s["unreadable"].items()) +
              "): beats there are not scored." if s["unreadable_s"] else "The whole recording could be read.")
    hr = f"{s['heart_rate_bpm_median']:.0f} beats/min" if s["heart_rate_bpm_median"] else "unknown"
    burden = f"{s['burden_pct']:.1f}%" if s["burden_pct"] is not None else "-"
    size, bin_name = burden_bin(s["duration_s"])
    per_bin = [(f"{_clock(h * size, start)}", f"{len(g):,}", f"{int(g['flagged'].sum()):,}",
                f"{100 * g['flagged'].mean():.1f}%",
                f"{np.nanmedian(g['heart_rate_bpm']):.0f}" if np.isfinite(g["heart_rate_bpm"]).any() else "-")
               for h, g in scored.groupby((scored["time_s"] // size).astype(int))]
    top = flagged.nlargest(20, "score")
    top_rows = [(int(r["beat"]), _clock(r["time_s"], start), r["kind"], int(r["family"]), r["reason"],
                 f"{r['score']:.1f}", f"{r['shape']:.1f}", f"{r['timing']:.1f}", f"{r['rr_prev_s']:.2f}",
                 f"{r['rr_local_s']:.2f}") for _, r in top.iterrows()]
    kinds = ", ".join(f"{n:,} {KIND_NAMES[k]} ({k})" for k, n in s["kinds"].items() if n) or "none"
    explained = s["above_threshold"] - s["flagged"]
    second_lead = s.get("second_lead")
    second = f" (lead {esc(second_lead)} read beside it)" if second_lead else ""
    or_second = (f", or their QRS is this patient's in lead {esc(second_lead)} (a ventricular beat changes every "
                 "lead; noise rarely distorts two alike)") if second_lead else ""
    hb = s["burden"]
    burden_rows = [(f"{KIND_NAMES[k]} ({k})", f"{hb[k]['beats']:,}",
                    f"{hb[k]['per_hour']:.1f}" if hb[k]["per_hour"] is not None else "-",
                    f"{hb[k]['pct']:.2f}%" if hb[k]["pct"] is not None else "-",
                    *((f"{hb[k]['couplets']:,}", f"{hb[k]['triplets']:,}", f"{hb[k]['runs']:,}",
                       f"{hb[k]['longest_run']:,}", f"{hb[k]['bigeminy']['episodes']:,} ({hb[k]['bigeminy']['beats']:,} beats)",
                       f"{hb[k]['trigeminy']['episodes']:,} ({hb[k]['trigeminy']['beats']:,} beats)")
                      if k in ("V", "S") else ("-",) * 6)) for k in ("V", "S", "F", "Q")]
    fam = s["families"]
    fam_rows = [(int(r["family"]), "dominant (normal)" if r["dominant"] else KIND_NAMES.get(r["kind"], r["kind"]),
                 f"{int(r['beats']):,}", f"{int(r['flagged']):,}", f"{r['qrs_corr']:.2f}", f"{r['qrs_dev']:.2f}",
                 f"{r['p_corr']:.2f}", f"{r['prematurity']:.2f}", f"{1000 * r['width_s']:+.0f}")
                for _, r in families_shown(b, result.families, 20).iterrows()]
    st_rows = [(k, _clock(a, start), _clock(e, start), f"{d:.0f}", NOTES.get(k, ""))
               for k, a, e, d in zip(st["kind"], st["start_s"], st["end_s"], st["duration_s"])]
    rh_rows = _episode_rows(result.episodes, start)
    more = len(result.episodes) - len(rh_rows)
    irr = s["irregular_rhythm"]
    rhythm_text = (f"Irregular rhythm (as in atrial fibrillation): {irr['stretches']} stretch(es), "
                   f"{irr['duration_s'] / 60:.1f} min in all." if irr["stretches"] else "No stretch of irregular rhythm.")
    fig = {p.stem: _img(p, p.stem.replace("_", " ")) for p in sorted(Path(figure_dir).glob("*.png"))}
    t = s["timings_s"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ECG-Detector scan: {esc(s['recording'])}</title>
<style>{CSS}</style></head><body>
<h1>ECG-Detector scan: {esc(s['recording'])}</h1>
<p class="muted">{esc(s['file'])} &middot; lead {esc(s['lead'])}{second} &middot; {s['fs']:g} Hz &middot;
{s['duration_s'] / 3600:.2f} h{(' &middot; started ' + esc(start.isoformat(' '))) if start else ''}</p>
<div class="summary" id="summary">
<p class="big">{esc(_opening(s, burden))}</p>
<p>Kinds: {esc(kinds)}. Why: {esc(reasons)}. "Premature" means the beat came early for the local rhythm; "unusual
shape" means it differs from this patient's own typical beat more than normal beats do. {explained:,} more beats
scored above the threshold belong to a normal family and came at their expected time{or_second}: they are normal,
not flagged.{_noise_shapes(s)}
{fam['count']:,} beat families; {fam['with_flags']:,} hold a flagged beat (what a reviewer opens to confirm every
flag). Median heart rate {hr}. {esc(rhythm_text)} {esc(_episode_text(s['episodes']['per_rhythm']))}
{esc(unread)}</p>
<p class="muted">A beat is flagged when its anomaly score is above {s['threshold']:.3g}, a threshold learned from
normal beats of other patients (mean + 2 std of their scores). This is a screening aid that points at beats to
review, not a diagnosis. Detector: {esc(s['detector'])}.</p>
{_notes(s.get('notes', []))}
</div>
<h2>Holter burden</h2>
{_table(['kind', 'beats', 'per hour', 'of scored beats', 'couplets', 'triplets', 'runs (3 or more)', 'longest run',
         'bigeminy', 'trigeminy'], burden_rows)}
<p class="muted">A couplet is 2 beats of the kind in a row, a triplet 3, a run 3 or more (triplets included);
bigeminy is at least 3 single beats of the kind each followed by one normal beat, trigeminy by two.</p>
<h2>Flagged beats per {bin_name}</h2>{fig.get('burden', '')}
{_table([f'{bin_name} from', 'beats scored', 'flagged', 'burden', 'median heart rate'], per_bin)}
<h2>Heart rate</h2>{fig.get('heart_rate', '')}
<h2>Anomaly score of every beat</h2>{fig.get('score_timeline', '')}
<h2>Beat families</h2>
<p class="muted">Beats of the same shape form a family. Each family is shown once: its typical beat (bold) over a
few of its beats, and one of its flagged beats with 3 s of context. The dominant family is the patient's normal
beat; a family's kind comes from its QRS against the dominant one, its P wave and its timing (and, with a second
lead, from that lead's QRS).</p>
{fig.get('families', '')}
{_table(['family', 'kind', 'beats', 'flagged', 'QRS correlation', 'QRS deviation', 'P wave correlation',
         'previous RR / local mean', 'QRS width vs normal (ms)'], fam_rows)}
<h2>The most anomalous flagged beats</h2>
{_table(['beat', 'time', 'kind', 'family', 'reason', 'score', 'shape part', 'timing part', 'previous RR (s)',
         'local mean RR (s)'], top_rows)}
<h2 id="episodes">Rhythm episodes</h2>
<p class="muted">Irregular rhythm (AF-like, <code>(AFIB</code>): at least 30 s where consecutive intervals between
normal-shaped beats keep differing (atrial fibrillation does this, and so may flutter with a varying block, which is
not told apart; bigeminy does not). There, an early beat is no evidence: beats are judged by their shape alone.
A run is 3 or more beats of the kind in a row, named by its MIT-BIH code whatever its rate; bigeminy and trigeminy
are as in the Holter burden, from the first ventricular beat of the pattern to its last. The rate is 60 / the mean
interval between the episode's beats.</p>
<div id="episode-list">{_table(['from', 'duration', 'beats', 'heart rate (beats/min)', 'rhythm', 'annotation'], rh_rows)
                         if rh_rows else '<p>None found.</p>'}</div>
{f'<p class="muted">{more:,} shorter episodes are listed in <code>summary.json</code>.</p>' if more > 0 else ''}
<h2>Unreadable signal</h2>
{_table(['kind', 'from', 'to', 'seconds', 'what it may be'], st_rows) if st_rows else '<p>None found.</p>'}
<h2>Files</h2>
<p><code>beats.csv</code>: every detected beat (time, RR intervals, score and its parts, irregular rhythm, flagged,
kind, family, reason).
<code>{esc(_safe_name(s['recording']))}.{ANNOTATOR}</code>: the flagged beats (their kind: <code>V</code>,
<code>S</code>, <code>F</code>, <code>Q</code>), the rhythm episodes (<code>+</code> with
<code>(AFIB</code>, <code>(VT</code>, ... at the start, <code>(N</code> after the end) and unreadable stretches
(<code>~</code>) as WFDB annotations; beside the record, <code>wfdb.rdann(record, "{ANNOTATOR}")</code> or WAVE with
<code>-a {ANNOTATOR}</code> shows them. <code>summary.json</code>: the numbers above.</p>
<p class="muted">R-peaks: {s['peaks'].get('beats', 0):,} found, {s['peaks'].get('agreed', 0):,} by both fast detectors
(sleepecg, Pan-Tompkins), a second look by gqrs at {100 * s['peaks'].get('second_look_share', 0):.0f}% of the signal.
Scan time {t.get('total', 0):.1f} s (read {t.get('read', 0):.1f}, quality {t.get('quality', 0):.1f}, R-peaks
{t.get('peaks', 0):.1f}, beats {t.get('beats', 0):.1f}, score {t.get('score', 0):.1f}, rhythm {t.get('rhythm', 0):.1f},
kinds and families {t.get('kinds', 0):.1f}).</p>
</body></html>
"""
