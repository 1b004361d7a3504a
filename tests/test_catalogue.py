"""The catalogue of bad inputs: every public entry point, each bad input one error of the expected type whose one-line
message names the file or parameter, with nothing half-written left behind (the folder's files are the same before
and after); then property tests (Hypothesis) for the Kaggle CSV reader and the beat builder.

Real MIT-BIH files (record 119, copied into a temporary folder and damaged there); tiny models, 1 epoch.
"""
from __future__ import annotations

import gzip
import json
import shutil
import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecg_utils import cli
from ecg_utils.detect.autoencoder import MIN_BEATS, AutoencoderDetector
from ecg_utils.detect.pretrained import load_detector
from ecg_utils.detect.saved import META_FILE, MODEL_FILE
from ecg_utils.errors import DataError
from ecg_utils.experiments.sweep import run_sweep
from ecg_utils.io.dataset import Beats
from ecg_utils.io.kaggle import load_kaggle_csv
from ecg_utils.io.physionet import download
from ecg_utils.io.recording import read_recording
from ecg_utils.io.records import read_record
from ecg_utils.signal.build import build_mitdb_beats
from ecg_utils.signal.cutting import beats_from_peaks

L = 64
FS = 360
TINY = dict(channels=(4,), latent_dim=2, epochs=1, batch_size=64, patience=None)
RECORD = "119"


# -- shared material -------------------------------------------------------------------------------------------
def _normals(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, L)
    return (np.exp(-((t - 0.4) / 0.05) ** 2) * rng.uniform(0.9, 1.1, (n, 1))
            + 0.02 * rng.standard_normal((n, L))).astype(np.float32)


@pytest.fixture(scope="module")
def saved_detector(tmp_path_factory):
    """A tiny detector, fitted for one epoch and saved: cases copy it and damage the copy."""
    folder = tmp_path_factory.mktemp("detector") / "det"
    return AutoencoderDetector(**TINY).fit(_normals(200), _normals(60, seed=1)).save(folder)


@pytest.fixture(scope="module")
def ctx(mitdb_dir, saved_detector):
    return {"mitdb": Path(mitdb_dir), "detector": saved_detector}


def _record(tmp, ctx, exts=("hea", "dat", "atr"), name=RECORD) -> Path:
    """Record 119's files copied into ``tmp``; returns the folder."""
    for ext in exts:
        shutil.copy(ctx["mitdb"] / f"{name}.{ext}", tmp / f"{name}.{ext}")
    return tmp


def _detector(tmp, ctx, edit=None) -> Path:
    """A copy of the saved detector whose ``detector.json`` ``edit`` changes (a function of the dict)."""
    folder = tmp / "det"
    shutil.copytree(ctx["detector"], folder)
    if edit is not None:
        meta = json.loads((folder / META_FILE).read_text())
        edit(meta)
        (folder / META_FILE).write_text(json.dumps(meta))
    return folder


def _set(path, value):
    """An edit of a detector.json: the key path (``"params.epochs"``) set to ``value``."""
    def edit(meta):
        *parents, last = path.split(".")
        for key in parents:
            meta = meta[key]
        meta[last] = value
    return edit


def _damaged(tmp, ctx, name, change) -> Path:
    """Record 119 copied into ``tmp`` with its file ``name`` changed by ``change(bytes) -> bytes``."""
    folder = _record(tmp, ctx)
    (folder / name).write_bytes(change((folder / name).read_bytes()))
    return folder


def _damage(name, change):
    """A case body damaging record 119's file ``name`` and building its beats: the file is named."""
    def make(tmp, ctx):
        folder = _damaged(tmp, ctx, name, change)
        return lambda: build_mitdb_beats(folder, records=[RECORD], cache=False, verbose=False), name
    return make


def _damage_dat(change):
    return _damage(f"{RECORD}.dat", change)


def _atr(content):
    """A case body replacing 119.atr by ``content`` (bytes, or a function of the folder writing it)."""
    def make(tmp, ctx):
        folder = _record(tmp, ctx)
        if callable(content):
            content(folder)
        else:
            (folder / f"{RECORD}.atr").write_bytes(content)
        return lambda: build_mitdb_beats(folder, records=[RECORD], cache=False, verbose=False), f"{RECORD}.atr"
    return make


def _wrann(samples, symbols):
    def write(folder):
        import wfdb

        (folder / f"{RECORD}.atr").unlink()
        wfdb.wrann(RECORD, "atr", np.asarray(samples, dtype=np.int64), symbol=symbols, write_dir=str(folder))
    return write


def _fit(train=None, validation=None, **params):
    """A case body fitting a tiny detector on the given beats (default: synthetic normals)."""
    def make(tmp, ctx):
        tr = _normals(200) if train is None else train
        va = _normals(60, seed=1) if validation is None else validation
        return lambda: AutoencoderDetector(**{**TINY, **params}).fit(tr, va), None
    return make


def _load(edit, named):
    def make(tmp, ctx):
        folder = _detector(tmp, ctx, edit)
        return lambda: AutoencoderDetector.load(folder), named
    return make


def _other_model(output):
    """A detector folder whose model.keras is another Keras model taking L samples (output ``output``)."""
    def make(tmp, ctx):
        import keras

        folder = _detector(tmp, ctx)
        inp = keras.Input((L,))
        with warnings.catch_warnings():  # Keras 3.15 + NumPy 2.4's copy-keyword notice, as in detector.save
            warnings.simplefilter("ignore", DeprecationWarning)
            keras.Model(inp, keras.layers.Dense(output)(inp)).save(folder / MODEL_FILE)
        return lambda: AutoencoderDetector.load(folder), MODEL_FILE
    return make


def _nan_weights(tmp, ctx):
    """A detector folder whose model.keras has the right shapes and NaN weights."""
    folder = _detector(tmp, ctx)
    det = AutoencoderDetector.load(folder)
    det.model_.set_weights([np.full_like(w, np.nan) for w in det.model_.get_weights()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        det.model_.save(folder / MODEL_FILE)
    return lambda: AutoencoderDetector.load(folder), MODEL_FILE


def _recording(name, content, reader=read_recording, **kw):
    """A case body reading a file ``name`` holding ``content`` (bytes, or a function of the path)."""
    def make(tmp, ctx):
        path = tmp / name
        content(path) if callable(content) else path.write_bytes(content)
        return lambda: reader(path, **kw), name
    return make


def _wfdb_recording(change):
    def make(tmp, ctx):
        folder = _record(tmp, ctx, exts=("hea", "dat"))
        dat = folder / f"{RECORD}.dat"
        dat.write_bytes(change(dat.read_bytes()))
        return lambda: read_recording(folder / f"{RECORD}.hea"), f"{RECORD}.dat"
    return make


def _ecg(ctx, seconds=60):
    """``seconds`` of record 119's two leads (MLII, V1) in mV, and their times."""
    import wfdb

    x = wfdb.rdrecord(str(ctx["mitdb"] / RECORD), sampto=FS * seconds).p_signal
    return x, np.arange(len(x)) / FS


def _table(name, write, also=(), **kw):
    """A case body writing a file ``name`` from 60 s of record 119 (``write(path, x, t)``) and reading it; the
    message names the file and holds each fragment of ``also``."""
    def make(tmp, ctx):
        x, t = _ecg(ctx)
        write(tmp / name, x, t)
        return lambda: read_recording(tmp / name, **kw), (name, *also)
    return make


def _csv(header, columns, fmt="%.4f", sep=","):
    """A ``write`` for :func:`_table`: ``columns(x, t)`` as text under ``header``."""
    return lambda path, x, t: np.savetxt(path, np.column_stack(columns(x, t)), fmt=fmt, delimiter=sep,
                                         header=header, comments="")


def _edf(path, x, dimension, physical_max=10.24):
    """An EDF of one lead ``ECG`` (``x`` in ``dimension``, 16 bits over +-``physical_max``), written by pyedflib."""
    from pyedflib import highlevel

    headers = highlevel.make_signal_headers(["ECG"], dimension=dimension, sample_frequency=FS,
                                            physical_min=-physical_max, physical_max=physical_max)
    assert highlevel.write_edf(str(path), [np.ascontiguousarray(x)], headers)


def _write_edf_d(path, x, onsets, seconds=1.0, label="ECG II", dimension="mV", plus="EDF+D"):
    """An EDF+D file of one signal (``x`` in ``dimension``, +-10.24 of it over 16 bits) in data records of ``seconds``
    starting at ``onsets`` (s), with its ``EDF Annotations`` signal, written byte by byte as the EDF+ specification
    lays it out (pyedflib writes EDF+C only)."""
    per = int(round(FS * seconds))
    digital = np.clip(np.round(np.asarray(x)[: len(onsets) * per] / 10.24 * 32767), -32768, 32767)
    digital = digital.astype("<i2").reshape(len(onsets), per)

    def field(value, width):
        return str(value).ljust(width).encode("ascii")

    head = (field(0, 8) + field("X X X X", 80) + field("Startdate 02-JAN-2020 X X X", 80) + field("02.01.20", 8)
            + field("03.04.05", 8) + field(768, 8) + field(plus, 44) + field(len(onsets), 8)
            + field(f"{seconds:g}", 8) + field(2, 4))
    for values, width in ([(label, "EDF Annotations"), 16], [("", ""), 80], [(dimension, ""), 8],
                          [("-10.24", "-1"), 8], [("10.24", "1"), 8], [(-32768, -32768), 8], [(32767, 32767), 8],
                          [("", ""), 80], [(per, 30), 8], [("", ""), 32]):
        head += b"".join(field(v, width) for v in values)
    records = b"".join(d.tobytes() + f"+{onset:g}\x14\x14\x00".encode().ljust(60, b"\x00")
                       for d, onset in zip(digital, onsets))
    path.write_bytes(head + records)


def _segments(tmp, ctx, missing=None, null=False):
    """Record 119's first minute as a multi-segment record ``multi`` of two 30-s segments (``missing``: a segment
    file deleted; ``null``: 10 s of no signal, a ``~`` segment, between them)."""
    import wfdb

    x, _ = _ecg(ctx)
    half = len(x) // 2
    for name, part in (("seg1", x[:half]), ("seg2", x[half:])):
        wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=part, fmt=["212", "212"],
                    adc_gain=[200.0, 200.0], baseline=[1024, 1024], write_dir=str(tmp))
    gap = 10 * FS if null else 0
    (tmp / "multi.hea").write_text(f"multi/{2 + null} 2 {FS} {len(x) + gap}\nseg1 {half}\n"
                                   + (f"~ {gap}\n" if null else "") + f"seg2 {len(x) - half}\n")
    if missing:
        (tmp / missing).unlink()
    return tmp / "multi.hea"


def _denied(path, call):
    """``call`` run as if ``path`` could not be read (the tests run as root, which reads any file)."""
    from unittest import mock

    real = Path.read_bytes

    def read_bytes(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    def run():
        with mock.patch.object(Path, "read_bytes", read_bytes):
            return call()
    return run


def _flip_one_byte(data: bytes, at=999) -> bytes:
    """One bit changed: byte 999 of a format-212 file is in a sample of the first lead, byte 1000 of the second."""
    return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]


# Each case: id, body(tmp, ctx) -> (call, what the message names: a string or a tuple of fragments), the error type.
# None = the parameter named in the id (the part before the first "=").
CASES = [
    # -- WFDB records (build_mitdb_beats, read_record) --
    ("wfdb: requested record without its .dat", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx, ("hea", "atr")): build_mitdb_beats(f, records=[RECORD], verbose=False),
        f"{RECORD}.dat"), DataError),
    ("wfdb: requested record without its .atr", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx, ("hea", "dat")): build_mitdb_beats(f, records=[RECORD], verbose=False),
        f"{RECORD}.atr"), DataError),
    ("wfdb: every record, one without its .dat", lambda tmp, ctx: (
        lambda f=_record(_record(tmp, ctx, ("hea", "atr"), name="208"), ctx): build_mitdb_beats(f, verbose=False),
        "208.dat"), DataError),
    ("wfdb: a record that is not there", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx): build_mitdb_beats(f, records=["999"], verbose=False), "999.hea"), DataError),
    ("wfdb: records given as one string", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx): build_mitdb_beats(f, records=RECORD, verbose=False), "records"), DataError),
    ("wfdb: an empty list of records", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx): build_mitdb_beats(f, records=[], verbose=False), "records"), DataError),
    ("wfdb: .dat shorter than the header says", _damage_dat(lambda d: d[: len(d) // 2]), DataError),
    ("wfdb: .dat longer than the header says", _damage_dat(lambda d: d + d[:3000]), DataError),
    ("wfdb: .dat full of text", _damage_dat(lambda d: (b"not a signal, just text\n" * len(d))[: len(d)]), DataError),
    ("wfdb: .dat with one byte changed (checksum)", _damage_dat(_flip_one_byte), DataError),
    ("wfdb: .dat with one byte of the other lead changed", _damage_dat(lambda d: _flip_one_byte(d, 1000)), DataError),
    ("wfdb: .dat empty", _damage_dat(lambda d: b""), DataError),
    ("wfdb: garbage .atr", _atr(np.random.default_rng(0).bytes(3000)), DataError),
    ("wfdb: empty .atr", _atr(b""), DataError),
    ("wfdb: .atr of text", _atr(b"hello this is text\n" * 100), DataError),
    ("wfdb: .atr past the signal's end", _atr(_wrann([100, 700_000], ["N", "N"])), DataError),
    ("wfdb: .atr without a beat annotation", _atr(_wrann([100, 5000], ["+", "~"])), DataError),
    ("wfdb: garbage .hea", _damage(f"{RECORD}.hea", lambda d: b"garbage\n"), DataError),
    ("wfdb: no such lead", lambda tmp, ctx: (
        lambda f=_record(tmp, ctx): read_record(f, RECORD, lead="V9"), "V9"), DataError),
    # -- a user's recording (read_recording: WFDB, EDF, CSV, NPY) --
    ("recording: WFDB .dat with one byte changed", _wfdb_recording(_flip_one_byte), DataError),
    ("recording: WFDB .dat truncated", _wfdb_recording(lambda d: d[:5000]), DataError),
    ("recording: EDF that is not one", _recording("holter.edf", b"0       garbage" * 40), DataError),
    ("recording: CSV of text", _recording("s.csv", b"a,b\nhello,world\nfoo,bar\n" * 50, fs=250), DataError),
    ("recording: CSV without fs", _recording("s.csv", "\n".join(map(str, range(5000))).encode()), DataError),
    ("recording: CSV with a --fs below 100 Hz", _recording("s.csv", "\n".join(map(str, range(5000))).encode(), fs=10),
     DataError),
    ("recording: empty CSV", _recording("s.csv", b"", fs=250), DataError),
    ("recording: NPY of strings", _recording("s.npy", lambda p: np.save(p, np.array(["a"] * 5000)), fs=250),
     DataError),
    ("recording: NPY of 3 dimensions", _recording("s.npy", lambda p: np.save(p, np.zeros((10, 10, 10))), fs=250),
     DataError),
    ("recording: NPY all NaN", _recording("s.npy", lambda p: np.save(p, np.full(5000, np.nan)), fs=250), DataError),
    ("recording: NPY of 2 s", _recording("s.npy", lambda p: np.save(p, np.zeros(500)), fs=250), DataError),
    ("recording: NPY that is not one", _recording("s.npy", b"\x93NUMPY garbage"), DataError),
    ("recording: CSV whose time column contradicts --fs", _table(
        "s.csv", _csv("time,MLII", lambda x, t: [t * 1.44, x[:, 0]], "%.6f"), ("250 Hz", "360 Hz"), fs=FS),
     DataError),
    ("recording: CSV whose time column goes back", _table(
        "s.csv", _csv("time,MLII", lambda x, t: [np.r_[t[:100], t[100:] - 1], x[:, 0]], "%.6f"),
        ("does not increase at line 102",)), DataError),
    ("recording: CSV whose first column counts up by 4", _table(
        "s.csv", _csv("", lambda x, t: [np.arange(len(t)) * 4, x[:, 0]], ["%d", "%.4f"]), ("time_ms",), fs=FS),
     DataError),
    ("recording: CSV of Arduino ADC counts (0-1023)", _table(
        "s.csv", _csv("", lambda x, t: [np.clip(np.round(512 + 150 * x[:, 0]), 0, 1023)], "%d"), ("--units",),
        fs=FS), DataError),
    ("recording: CSV of int16 counts at 200 per mV", _table(
        "s.csv", _csv("", lambda x, t: [np.round(200 * x[:, 0])], "%d"), ("5uV",), fs=FS), DataError),
    ("recording: CSV whose QRS spans 5,000 units", _table(
        "s.csv", _csv("", lambda x, t: [5e6 * x[:, 0] + 0.5], "%.1f"), ("--units",), fs=FS), DataError),
    ("recording: EDF in microvolts that says mV", _table(
        "holter.edf", lambda path, x, t: _edf(path, x[:, 0] * 1000, "mV", 10240), ("--units uV",)), DataError),
    ("recording: --units furlongs", _table("s.csv", _csv("MLII", lambda x, t: [x[:, 0]]), ("furlongs",), fs=FS,
                                          units="furlongs"), DataError),
    ("recording: binary data named .csv", _recording("s.csv", bytes(range(256)) * 100, fs=FS), DataError),
    ("recording: EDF+D whose data records overlap", _table(
        "d.edf", lambda path, x, t: _write_edf_d(path, x[:, 0], [0, 1, 1.5] + list(range(3, 60))),
        ("data record 3",)), DataError),
    ("recording: multi-segment record missing a segment's .dat", lambda tmp, ctx: (
        lambda f=_segments(tmp, ctx, missing="seg2.dat"): read_recording(f), "seg2.dat"), DataError),
    ("recording: WFDB header that cannot be read", lambda tmp, ctx: (
        _denied(_record(tmp, ctx, ("hea", "dat")) / f"{RECORD}.hea", lambda: read_recording(tmp / f"{RECORD}.hea")),
        f"{RECORD}.hea: cannot read it"), DataError),
    ("wfdb: a .dat that cannot be read (build)", lambda tmp, ctx: (
        _denied(_record(tmp, ctx) / f"{RECORD}.dat", lambda: build_mitdb_beats(tmp, records=[RECORD], verbose=False)),
        f"{RECORD}.dat: cannot read it"), DataError),
    # -- ragged inputs and paths under a file --
    ("X=a ragged list of beats (decision_function)", lambda tmp, ctx: (
        lambda: AutoencoderDetector.load(ctx["detector"]).decision_function([[0.0] * L, [0.0] * (L - 1)]),
        "different lengths"), DataError),
    ("X=a ragged list of beats (Beats.from_arrays)", lambda tmp, ctx: (
        lambda: Beats.from_arrays([[0.0] * 10, [0.0] * 9], [0, 0]), "different lengths"), DataError),
    ("Beats.save under a file", lambda tmp, ctx: (
        (tmp / "f").write_text("a file") and (lambda: Beats.from_arrays(_normals(3), np.zeros(3)).save(
            tmp / "f" / "b.npz")), "f/b.npz"), DataError),
    ("download: --dest under a file", lambda tmp, ctx: (
        (tmp / "f").write_text("a file") and (lambda: download("mitdb", tmp / "f" / "mitdb", records=[RECORD])),
        "f/mitdb"), DataError),
    # -- the Kaggle CSV reader (more in the property tests below) --
    ("kaggle: missing file", lambda tmp, ctx: (lambda: load_kaggle_csv(tmp / "mitbih_test.csv"), "mitbih_test.csv"),
     DataError),
    ("kaggle: empty file", _recording("mitbih_test.csv", b"", reader=load_kaggle_csv), DataError),
    # -- fit: degenerate training and parameters (named in the message) --
    (f"train=1 beat (fewer than {MIN_BEATS})", _fit(train=_normals(1)), DataError),
    ("validation=5 beats", _fit(validation=_normals(5)), DataError),
    ("train=all-zero beats", _fit(train=np.zeros((200, L), np.float32)), DataError),
    ("train=the same beat 200 times", _fit(train=np.repeat(_normals(1), 200, axis=0)), DataError),
    ("train=labels 9 (not normal)", lambda tmp, ctx: (
        lambda: AutoencoderDetector(**TINY).fit(Beats.from_arrays(_normals(200), np.full(200, 9)), _normals(60)),
        "label 9"), DataError),
    ("epochs=0", _fit(epochs=0), ValueError),
    ("batch_size=0", _fit(batch_size=0), ValueError),
    ("latent_dim=0", _fit(latent_dim=0), ValueError),
    ("kernel_size=0", _fit(kernel_size=0), ValueError),
    ("channels=()", _fit(channels=()), ValueError),
    ("learning_rate=nan", _fit(learning_rate=float("nan")), ValueError),
    ("dropout=1", _fit(dropout=1.0), ValueError),
    ("predict_batch_size=0", _fit(predict_batch_size=0), ValueError),
    ("threshold_k=inf", _fit(threshold_k=float("inf")), ValueError),
    ("patience=-1", _fit(patience=-1), ValueError),
    ("epochs=2.5", _fit(epochs=2.5), ValueError),
    ("learning_rate=1e12 (training diverges)", _fit(optimizer="sgd", learning_rate=1e12), DataError),
    # -- load: a saved detector's files (the message names detector.json, model.keras or the parameter) --
    ("load: model.keras of another model, output (1,)", _other_model(1), DataError),
    ("load: model.keras of another model, output (187,)", _other_model(187), DataError),
    ("load: model.keras with NaN weights", _nan_weights, DataError),
    ("load: model.keras of another model of the same shapes", _other_model(L), DataError),
    ("model_sha256=text in detector.json", _load(_set("model_sha256", "abc"), "model_sha256"), DataError),
    ("threshold=NaN in detector.json", _load(_set("threshold", float("nan")), "threshold"), DataError),
    ("threshold=text in detector.json", _load(_set("threshold", "high"), "threshold"), DataError),
    ("predict_batch_size=0 in detector.json", _load(_set("params.predict_batch_size", 0), "predict_batch_size"),
     DataError),
    ("epochs=-1 in detector.json", _load(_set("params.epochs", -1), "epochs"), DataError),
    ("an unknown parameter in detector.json", _load(_set("params.colour", "red"), "colour"), DataError),
    ("scaler std=0 in detector.json", _load(_set("scaler.std", 0.0), "scaler"), DataError),
    ("scaler mean=inf in detector.json", _load(_set("scaler.mean", float("inf")), "scaler"), DataError),
    ("input_len=0 in detector.json", _load(_set("input_len", 0), "input_len"), DataError),
    ("evidence=['prematurity'] without reference in detector.json", _load(_set("params.evidence", ["prematurity"]), "reference"),
     DataError),
    ("evidence=['pulse'] (no such evidence) in detector.json", _load(_set("params.evidence", ["pulse"]), "evidence"),
     DataError),
    ("rhythm=True (the old flag) without reference in detector.json", _load(_set("params.rhythm", True), "reference"),
     DataError),
    ("load: a folder that is not a detector", lambda tmp, ctx: (lambda: load_detector(str(tmp)), META_FILE),
     DataError),
    # -- run_sweep (more in tests/test_experiment.py: a failing point is recorded, a rerun resumes) --
    ("run_sweep: no such notebook", lambda tmp, ctx: (
        lambda: run_sweep(tmp / "nothing.ipynb", {"latent_dim": [2]}, out_dir=tmp / "sweep"), "nothing.ipynb"),
     FileNotFoundError),
    # -- decision_function --
    ("decision_function: beats of another length", lambda tmp, ctx: (
        lambda: AutoencoderDetector.load(ctx["detector"]).decision_function(np.zeros((3, L + 1))), "samples"),
     DataError),
    ("decision_function: NaN beats", lambda tmp, ctx: (
        lambda: AutoencoderDetector.load(ctx["detector"]).decision_function(np.full((3, L), np.nan)), "NaN"),
     DataError),
]


def _tree(folder: Path) -> dict:
    """Every file and folder under ``folder`` (hidden temporary ones included) with its size and modification
    time (folders: None)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_named_error_leaving_nothing(case, tmp_path, ctx):
    name, body, error = case
    call, named = body(tmp_path, ctx)  # the bad input, written
    named = named or name.split("=")[0]  # else the parameter the case is named after
    before = _tree(tmp_path)
    with pytest.raises(error) as err:
        call()
    message = str(err.value)
    assert all(part in message for part in ((named,) if isinstance(named, str) else named)), message
    assert "\n" not in message, message
    assert _tree(tmp_path) == before  # no output, no temporary file, the inputs untouched


# -- awkward but valid recordings: read right, every sample at its time, or not at all -------------------------------
def _lines(header, rows, encoding="utf-8", newline="\n"):
    """A ``write`` for :func:`_accepted`: ``header`` (a list of lines) then ``rows(x, t)`` (lines), as text."""
    return lambda path, x, t: path.write_bytes((newline.join([*header, *rows(x, t)]) + newline).encode(encoding))


def _blank(x, a, b):
    """MLII with seconds ``a`` to ``b`` blank (the samples missing)."""
    return [("" if a * FS <= k < b * FS else f"{v:.4f}") for k, v in enumerate(x[:, 0])]


def _wfdb_named(name):
    def write(path, x, t):
        import wfdb

        wfdb.wrsamp(name, fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=x, fmt=["212", "212"],
                    adc_gain=[200.0, 200.0], baseline=[1024, 1024], write_dir=str(path.parent))
    return write


def _symlinked(path, x, t):
    real = path.parent.parent / "real"
    real.mkdir()
    _wfdb_named("rec")(real / "rec.hea", x, t)
    path.parent.symlink_to(real, target_is_directory=True)


# Each case: id, the file to write, write(path, x, t) (x: 60 s of record 119's MLII and V1 in mV, t: their times),
# read_recording's arguments, and what must be read: the rate, lead, units, gaps (seconds), a note's fragment, and
# the samples (``want(x)``, compared outside the gaps).
MLII = dict(lead="MLII", units="mV")
ACCEPTED = [
    ("CSV: a time column gives the rate", "s.csv", _csv("time,MLII", lambda x, t: [t, x[:, 0]], "%.6f"), {},
     dict(MLII, note="360 Hz from column time")),
    ("CSV: a time column in milliseconds and --fs agree", "s.csv",
     _csv("time_ms,MLII", lambda x, t: [1000 * t, x[:, 0]], "%.3f"), {"fs": FS}, MLII),
    ("CSV: one column of decimal commas", "s.csv", _lines(["MLII"], lambda x, t: [f"{v:.3f}".replace(".", ",")
                                                                               for v in x[:, 0]]), {"fs": FS}, MLII),
    ("CSV: semicolons and decimal commas", "s.csv", _lines(["MLII;V1"], lambda x, t: [
        f"{a:.3f};{b:.3f}".replace(".", ",") for a, b in x]), {"fs": FS}, MLII),
    ("CSV: quoted decimal commas", "s.csv", _lines(['"MLII","V1"'], lambda x, t: [
        f'"{a:.3f}","{b:.3f}"'.replace(".", ",") for a, b in x]), {"fs": FS}, MLII),
    ("TXT: time and value separated by spaces", "s.txt", _csv("", lambda x, t: [t, x[:, 0]], "%.5f", " "), {},
     dict(lead="column 1", units="mV")),
    ("TXT: tabs and decimal commas", "s.txt", _lines([], lambda x, t: [f"{a:.5f}\t{b:.3f}".replace(".", ",")
                                                                     for a, b in zip(t, x[:, 0])]), {},
     dict(lead="column 1")),
    ("CSV: the first column is the sample index", "s.csv",
     _csv("", lambda x, t: [np.arange(len(t)), x[:, 0]], ["%d", "%.4f"]), {"fs": FS},
     dict(lead="column 1", note="counts the samples")),
    ("CSV: pandas' unnamed index column", "s.csv", _lines([",MLII"], lambda x, t: [
        f"{k},{v:.4f}" for k, v in enumerate(x[:, 0])]), {"fs": FS}, MLII),
    ("CSV: PhysioNet's export (clock times, a units row)", "s.csv", _lines(
        ["'Elapsed time','MLII','V1'", "'hh:mm:ss.mmm','mV','mV'"],
        lambda x, t: [f"'{int(s // 60)}:{s % 60:06.3f}',{a:.3f},{b:.3f}" for s, (a, b) in zip(t, x)]), {}, MLII),
    ("CSV: 10 s of empty cells keep their time", "s.csv", _lines(["MLII"], lambda x, t: _blank(x, 20, 30)),
     {"fs": FS}, dict(MLII, gaps=[(20, 30)], note="1 gap(s)")),
    ("CSV: empty cells beside a time column", "s.csv", _lines(["t,MLII"], lambda x, t: [
        f"{s:.6f},{v}" for s, v in zip(t, _blank(x, 20, 30))]), {}, dict(MLII, gaps=[(20, 30)])),
    ("CSV: 10 s of rows missing from a time column", "s.csv", _csv(
        "time,MLII", lambda x, t: [np.delete(t, np.s_[20 * FS:30 * FS]), np.delete(x[:, 0], np.s_[20 * FS:30 * FS])],
        "%.6f"), {}, dict(MLII, gaps=[(20, 30)], note="skips 1 time(s)")),
    ("CSV: a run of NaN", "s.csv", _lines(["MLII"], lambda x, t: [v if v else "NaN" for v in _blank(x, 5, 6)]),
     {"fs": FS}, dict(MLII, gaps=[(5, 6)])),
    ("CSV: UTF-16 with its byte-order mark", "s.csv", _lines(["MLII"], lambda x, t: [f"{v:.3f}" for v in x[:, 0]],
                                                            encoding="utf-16"), {"fs": FS}, dict(MLII, note="utf-16")),
    ("CSV: UTF-8 with its mark and Windows line ends", "s.csv", _lines(
        ["MLII"], lambda x, t: [f"{v:.3f}" for v in x[:, 0]], encoding="utf-8-sig", newline="\r\n"), {"fs": FS}, MLII),
    ("CSV: Latin-1, the units in the column's name", "s.csv", _lines(
        ["ECG (µV)"], lambda x, t: [f"{1000 * v:.1f}" for v in x[:, 0]], encoding="latin-1"), {"fs": FS},
     dict(units="µV", note="latin-1")),
    ("CSV: microvolts without units: rescaled, noted", "s.csv", _csv("", lambda x, t: [1000 * x[:, 0] + 0.25], "%.2f"),
     {"fs": FS}, dict(units="uV", note="read as uV", want=lambda x: x[:, 0] + 0.00025)),
    ("CSV: volts without units: rescaled, noted", "s.csv", _csv("", lambda x, t: [x[:, 0] / 1000], "%.8f"),
     {"fs": FS}, dict(units="V", note="read as V")),
    ("CSV: ADC counts at 200 per mV with --units 5uV", "s.csv",
     _csv("", lambda x, t: [np.round(200 * x[:, 0]) + 1024], "%d"), {"fs": FS, "units": "5uV"},
     dict(units="5uV", want=lambda x: x[:, 0] + 5.12)),
    ("CSV.gz: semicolons", "s.csv.gz", lambda path, x, t: path.write_bytes(__import__("gzip").compress(
        ("MLII;V1\n" + "\n".join(f"{a:.3f};{b:.3f}" for a, b in x)).encode())), {"fs": FS}, MLII),
    ("NPY: microvolts without units: rescaled, noted", "s.npy", lambda path, x, t: np.save(path, 1000 * x[:, 0] + 0.25),
     {"fs": FS}, dict(units="uV", want=lambda x: x[:, 0] + 0.00025)),
    ("EDF: a lead with no physical dimension, in mV", "s.edf", lambda path, x, t: _edf(path, x[:, 0], ""), {},
     dict(units="mV", note="states no physical dimension", atol=1e-3)),
    ("EDF: a lead with no physical dimension, in uV", "s.edf", lambda path, x, t: _edf(path, 1000 * x[:, 0], "", 10240),
     {}, dict(units="uV", note="read as uV", atol=1e-3)),
    ("EDF+D: a 10-s break between data records keeps its time", "s.edf", lambda path, x, t: _write_edf_d(
        path, x[:, 0], list(range(20)) + list(range(30, 70))), {},
     dict(units="mV", gaps=[(20, 30)], atol=1e-3, want=lambda x: np.r_[x[:20 * FS, 0], np.zeros(10 * FS),
                                                                       x[20 * FS:, 0]])),
    ("WFDB: a record named with non-ASCII letters", "Müller_ß.hea", _wfdb_named("Müller_ß"), {}, MLII),
    ("WFDB: a multi-segment record", "multi.hea", lambda path, x, t: None, {}, MLII),
    ("WFDB: a multi-segment record with 10 s of no signal", "multi.hea", lambda path, x, t: None, {},
     dict(MLII, gaps=[(30, 40)], want=lambda x: np.r_[x[:30 * FS, 0], np.zeros(10 * FS), x[30 * FS:, 0]])),
    ("WFDB: a record in a symlinked folder", "link/rec.hea", _symlinked, {}, MLII),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_awkward_valid_input_is_read_right(case, tmp_path, ctx):
    name, file, write, kwargs, want = case
    x, t = _ecg(ctx)
    if name.startswith("WFDB: a multi-segment"):
        _segments(tmp_path, ctx, null="no signal" in name)
    write(tmp_path / file, x, t)
    before = _tree(tmp_path)
    rec = read_recording(tmp_path / file, **kwargs)
    assert _tree(tmp_path) == before
    expected = want.get("want", lambda x: x[:, 0])(x)
    assert rec.fs == pytest.approx(want.get("fs", FS), rel=1e-9) and rec.signal.shape == expected.shape
    assert [(a / FS, b / FS) for a, b in rec.gaps] == want.get("gaps", [])
    assert (rec.lead, rec.units) == (want.get("lead", rec.lead), want.get("units", rec.units))
    assert want.get("note", "") in " ".join(rec.notes), rec.notes
    keep = np.ones(rec.signal.size, bool)
    for a, b in rec.gaps:
        keep[a:b] = False
    np.testing.assert_allclose(rec.signal[keep], expected[keep], atol=want.get("atol", 1e-6), err_msg=name)
    assert np.isfinite(rec.signal).all()


# -- writing: whole or not at all ------------------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", ["figure", "final move"])
def test_save_scores_failing_midway_keeps_the_earlier_output(tmp_path, monkeypatch, fail_at):
    """A second output that fails while its figure is written, or as it is moved into place, leaves the first."""
    import os

    from ecg_utils.experiments import inference
    from ecg_utils.io import files

    beats = Beats.from_arrays(_normals(5), np.zeros(5))
    first = inference.save_scores(tmp_path / "scores", beats, np.arange(5.0), 2.0)
    before = _tree(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == tmp_path / "scores" and ".old." not in str(src):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    class Figure:
        def savefig(self, *a, **k):
            if fail_at == "figure":
                raise OSError(28, "No space left on device")

    if fail_at == "final move":
        monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(DataError, match="scores: cannot write the scores [(]No space left"):
        inference.save_scores(tmp_path / "scores", beats, np.arange(5.0) + 9, 2.0, figures={"histogram": Figure()})
    assert _tree(tmp_path) == before and first.read_text().count("\n") == 6


# -- caches and record lists -----------------------------------------------------------------------------------
def test_a_corrupt_cache_entry_is_rebuilt(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("ECG_CACHE_DIR", str(tmp_path / "cache"))
    first = build_mitdb_beats(ctx["mitdb"], records=[RECORD], verbose=False)
    (entry,) = (tmp_path / "cache").rglob("*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])  # a cache file cut short (a crash, a full disk)
    with pytest.warns(UserWarning, match=f"{entry.name}.*rebuilding record {RECORD}"):
        again = build_mitdb_beats(ctx["mitdb"], records=[RECORD], verbose=False)
    assert np.array_equal(again.X, first.X) and np.array_equal(again.y, first.y)
    assert Beats.load(entry).X.shape == first.X.shape  # and the entry is whole again


def test_a_duplicated_record_is_read_once(ctx):
    once = build_mitdb_beats(ctx["mitdb"], records=[RECORD], cache=False, verbose=False)
    twice = build_mitdb_beats(ctx["mitdb"], records=[RECORD, RECORD, int(RECORD)], cache=False, verbose=False)
    assert twice.info["records"] == [RECORD] and len(twice) == len(once)


# -- the command line: one line, exit code 2 (1 and --debug for the unexpected) --------------------------------
def _kaggle_csv(path, n=20):
    rows = np.column_stack([_normals(n)[:, :1].repeat(187, axis=1), np.zeros(n)])
    np.savetxt(path, rows, fmt="%.18e", delimiter=",")
    return path


CLI_CASES = [
    ("score --out onto a folder", lambda t, c: ["score", str(c["detector"]), str(_kaggle_csv(t / "b.csv")),
                                                "--out", str(t)], "is a folder"),
    ("score --out under a file", lambda t, c: ["score", str(c["detector"]), str(_kaggle_csv(t / "b.csv")),
                                               "--out", str(_kaggle_csv(t / "f.csv")) + "/s.csv"], "f.csv"),
    ("score with a detector of another length", lambda t, c: ["score", str(c["detector"]),
                                                              str(_kaggle_csv(t / "b.csv"))], "b.csv"),
    ("score with a NaN threshold", lambda t, c: ["score", str(_detector(t, c, _set("threshold", float("nan")))),
                                                 str(_kaggle_csv(t / "b.csv"))], "threshold"),
    ("build a record with a truncated .dat", lambda t, c: [
        "build", "--data-dir", str(_damaged(t, c, f"{RECORD}.dat", lambda d: d[:9000])), "--records", RECORD,
        "--no-cache"], f"{RECORD}.dat"),
    ("build a record that is not there", lambda t, c: ["build", "--data-dir", str(_record(t, c)), "--records", "101"],
     "101.hea"),
    ("scan a CSV without --fs", lambda t, c: ["scan", str(_kaggle_csv(t / "b.csv")), "--out", str(t / "out")],
     "b.csv"),
    ("scan a CSV whose time column contradicts --fs", lambda t, c: [
        "scan", str(_written(t / "s.csv", c, _csv("time,MLII", lambda x, t: [t * 1.44, x[:, 0]], "%.6f"))), "--fs",
        "360", "--out", str(t / "out")], "s.csv: its time column gives 250 Hz, not 360 Hz"),
    ("scan a CSV of ADC counts", lambda t, c: [
        "scan", str(_written(t / "s.csv", c, _csv("", lambda x, t: [np.round(200 * x[:, 0]) + 1024], "%d"))),
        "--fs", "360", "--out", str(t / "out")], "--units"),
    ("score with a model.keras of another model of the same shapes", lambda t, c: [
        "score", str(_other_model(L)(t, c)[1] and t / "det"), str(_kaggle_csv(t / "b.csv"))],
     "model.keras: not the model this detector was saved with"),
    ("scan --detector whose model.keras is another model", lambda t, c: [
        "scan", str(_kaggle_csv(t / "b.csv")), "--fs", "360", "--detector", str(_other_model(L)(t, c)[1] and t / "det"),
        "--out", str(t / "out")], "model.keras: not the model this detector was saved with"),
]


def _written(path, ctx, write):
    """``path`` written by ``write(path, x, t)`` from 60 s of record 119."""
    x, t = _ecg(ctx)
    write(path, x, t)
    return path


@pytest.mark.parametrize("argv, named", [(a, n) for _, a, n in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_expected_errors_are_one_line_and_exit_2(argv, named, tmp_path, ctx, capsys):
    args = argv(tmp_path, ctx)
    before = _tree(tmp_path)
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and named in err and "\n" not in err, err
    assert _tree(tmp_path) == before


def test_cli_score_on_a_full_disk_leaves_no_half_written_csv(tmp_path, ctx, capsys, monkeypatch):
    """The scores CSV fails a third of the way in (ENOSPC): one line, exit 2, no file, no temporary file."""
    import errno

    import pandas as pd

    real = pd.DataFrame.to_csv

    def full_disk(self, path, **kw):
        real(self.iloc[: len(self) // 3], path, **kw)
        raise OSError(errno.ENOSPC, "No space left on device")

    detector = _detector(tmp_path, ctx)
    csv = tmp_path / "beats.npy"
    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    monkeypatch.setattr("ecg_utils.io.kaggle.load_kaggle_csv",
                        lambda path: Beats.from_arrays(_normals(30), np.zeros(30)))
    before = _tree(tmp_path)
    assert cli.main(["score", str(detector), str(csv), "--out", str(tmp_path / "scores.csv")]) == 2
    err = capsys.readouterr().err
    assert "scores.csv" in err and "No space left" in err and err.count("\n") == 1
    assert _tree(tmp_path) == before


def test_cli_score_into_a_missing_folder_creates_it(tmp_path, ctx, capsys, monkeypatch):
    monkeypatch.setattr("ecg_utils.io.kaggle.load_kaggle_csv",
                        lambda path: Beats.from_arrays(_normals(30), np.zeros(30)))
    out = tmp_path / "new" / "scores.csv"
    assert cli.main(["score", str(ctx["detector"]), "beats.csv", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 31 and [p.name for p in out.parent.iterdir()] == ["scores.csv"]


def test_cli_unexpected_error_is_one_line_pointing_at_debug(tmp_path, capsys, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr("ecg_utils.io.physionet.download", boom)
    assert cli.main(["download", "--dest", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: something nobody expected" in err and "--debug" in err
    with pytest.raises(RuntimeError):  # --debug after the command, too
        cli.main(["download", "--dest", str(tmp_path), "--debug"])


def test_cli_a_missing_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["build", "--records"])
    assert exit_.value.code == 2 and "--records: expected at least one argument" in capsys.readouterr().err


def test_tests_without_records_or_internet_fail_in_one_line(tmp_path, capsys, monkeypatch):
    """``./run_all.sh test`` on a fresh machine offline: no folder holds the records, the download fails."""
    from ecg_utils.io import physionet as data

    monkeypatch.setattr(data, "dirs_for_tests", lambda: [tmp_path / "nowhere", tmp_path / "mitdb"])

    def offline(*a, **k):
        raise ConnectionError("Failed to resolve 'physionet.org'")

    monkeypatch.setattr("wfdb.dl_database", offline)
    assert cli.main(["download", "--for-tests", "--dest", str(tmp_path / "mitdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the tests need MIT-BIH records" in err and "physionet.org" in err
    assert not (tmp_path / "mitdb").exists()


def test_every_record_a_test_names_is_fetched_for_a_fresh_machine():
    """A test that reads a record missing from TEST_RECORDS would fail on a fresh machine (not in CI, whose
    folder holds every record): every MIT-BIH record name quoted in a test must be in the list."""
    import re

    from ecg_utils.io.databases.mitdb import MITDB_RECORDS, TEST_RECORDS

    named = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for line in path.read_text().splitlines():
            if "fmt" not in line and "from_arrays" not in line:  # a WFDB format "212"; synthetic record ids
                named |= set(re.findall(r'"(\d{3})"', line)) & set(MITDB_RECORDS)
    assert named <= set(TEST_RECORDS), sorted(named - set(TEST_RECORDS))


def test_fetched_test_records_are_checked_against_physionet(ctx, tmp_path, monkeypatch):
    """With internet: the records are fetched into the folder and their SHA-256 checked; a damaged one is named."""
    from ecg_utils.io import physionet as data
    from ecg_utils.io.databases.mitdb import TEST_RECORDS

    monkeypatch.setattr(data, "dirs_for_tests", lambda: [tmp_path / "mitdb"])

    def fake_dl_database(db_dir, dl_dir, records="all", annotators="all", overwrite=False, **kw):
        for r in records:  # stands in for the network: what PhysioNet would send
            for ext in ("hea", "dat", "atr"):
                shutil.copy(ctx["mitdb"] / f"{r}.{ext}", dl_dir)
        dat = Path(dl_dir) / "208.dat"
        dat.write_bytes(_flip_one_byte(dat.read_bytes()))

    monkeypatch.setattr("wfdb.dl_database", fake_dl_database)
    with pytest.raises(DataError, match=r"208\.dat: SHA-256"):
        data.fetch_test_records(tmp_path / "mitdb")
    shutil.copy(ctx["mitdb"] / "208.dat", tmp_path / "mitdb")
    assert data.find_test_records() == tmp_path / "mitdb"
    data.verify_sha256(tmp_path / "mitdb", TEST_RECORDS)


# -- property tests ---------------------------------------------------------------------------------------------
FINITE = st.floats(min_value=-(2.0 ** 100), max_value=2.0 ** 100, allow_nan=False, allow_infinity=False, width=32)
FORMATS = st.sampled_from(["%.18e", "%g", "%.3f", "%r"])
NOT_A_NUMBER = st.one_of(
    st.text(alphabet=string.ascii_letters.replace("e", "").replace("E", "").replace("i", "").replace("I", "")
            .replace("n", "").replace("N", ""), min_size=1, max_size=6),
    st.sampled_from(["1..2", "--1", "1e", "0x1F", "1,5", "", "nan", "inf", "-inf", "NaN", "1e999", "..."]))


def _line(row, fmt):
    return ",".join((repr(float(v)) if fmt == "%r" else fmt % v) for v in row)


@st.composite
def kaggle_files(draw):
    n = draw(st.integers(1, 12))
    X = np.array(draw(st.lists(st.lists(FINITE, min_size=187, max_size=187), min_size=n, max_size=n)), np.float32)
    y = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    return X, y, draw(FORMATS), draw(st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(kaggle_files())
def test_any_valid_kaggle_file_round_trips(file):
    X, y, fmt, newline = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mitbih_test.csv"
        path.write_bytes(newline.join(_line(r, fmt) for r in np.column_stack([X, y])).encode() + newline.encode())
        beats = load_kaggle_csv(path)
    assert np.array_equal(beats.y, y)
    expected = np.array([[float(fmt % v) if fmt != "%r" else float(v) for v in row] for row in X], np.float32)
    assert np.array_equal(beats.X, expected)


def _corrupt(draw, line):
    """``line`` made malformed in one of the ways a CSV goes wrong."""
    kind = draw(st.sampled_from(["token", "label", "extra column", "missing column", "blank"]))
    fields = line.split(",")
    if kind == "token":
        fields[draw(st.integers(0, 186))] = draw(NOT_A_NUMBER)
    elif kind == "label":
        fields[-1] = draw(st.sampled_from(["5", "-1", "2.5", "9", "nan", "x", "1e9"]))
    elif kind == "extra column":
        fields += [draw(st.sampled_from(["0", "0.5", "x", ""]))]
    elif kind == "missing column":
        del fields[draw(st.integers(0, 187))]
    return "" if kind == "blank" else ",".join(fields)


@st.composite
def malformed_kaggle_files(draw):
    """A file with one or two malformed rows, read in parser blocks of 2, 3 or 8,192 rows: (text, the bad rows'
    numbers, block size, gzipped or not)."""
    n = draw(st.integers(2, 10))
    lines = [_line([0.5] * 187 + [draw(st.integers(0, 4))], "%g") for _ in range(n)]
    bad = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=2)))
    for i in bad:
        lines[i] = _corrupt(draw, lines[i])
    if lines[-1] == "":  # a blank last line would read as the file's final newline: keep it inside the file
        lines.append(_line([0.5] * 188, "%g"))
    return "\n".join(lines) + "\n", [i + 1 for i in bad], draw(st.sampled_from([2, 3, 8192])), draw(st.booleans())


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(malformed_kaggle_files())
def test_any_malformed_row_is_refused_with_its_row_number(file):
    """A malformed row is named by its number, in whichever parser block it lies, gzipped or not. (Of two, the first
    structural one is named: labels are checked once every row has parsed.)"""
    from ecg_utils.io import kaggle

    text, rows, block, gz = file
    saved, kaggle.CHUNK_ROWS = kaggle.CHUNK_ROWS, block
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / ("mitbih_test.csv.gz" if gz else "mitbih_test.csv")
            path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
            with pytest.raises(DataError) as err:
                load_kaggle_csv(path)
    finally:
        kaggle.CHUNK_ROWS = saved
    assert any(str(err.value).startswith(f"{path}: row {row}: ") for row in rows), (rows, str(err.value))


@st.composite
def peak_trains(draw):
    fs = draw(st.sampled_from([128.0, 250.0, 360.0]))
    n = int(fs * draw(st.integers(5, 20)))
    gaps = draw(st.lists(st.integers(int(0.3 * fs), int(1.5 * fs)), min_size=0, max_size=40))
    peaks = np.cumsum([draw(st.integers(0, int(fs)))] + gaps)
    peaks = peaks[peaks < n]
    return fs, n, peaks.astype(np.int64), draw(st.sampled_from(["kaggle", "centered"]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(peak_trains(), st.integers(0, 2**31))
def test_the_beat_builder_cuts_each_peak_once_or_counts_it_dropped(train, seed):
    fs, n, peaks, representation = train
    rng = np.random.default_rng(seed)
    signal = rng.standard_normal(n)
    y = rng.integers(0, 5, len(peaks))
    beats = beats_from_peaks(signal, fs, peaks, representation=representation, record="r", y=y)
    kept = np.isin(peaks, beats.sample)
    assert len(beats) + beats.info["dropped_at_ends"]["r"] == len(peaks)
    assert np.array_equal(beats.sample, peaks[kept]) and np.array_equal(beats.y, y[kept])
    assert np.isfinite(beats.X).all() and beats.X.shape[1] == beats.length
    if len(peaks) > 1:
        # the peaks that could not be cut are the first or last ones, never one in the middle
        assert kept.sum() == 0 or np.all(kept[np.flatnonzero(kept)[0]:np.flatnonzero(kept)[-1] + 1])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.integers(-50, 5000), min_size=2, max_size=30))
def test_the_beat_builder_refuses_peaks_out_of_order_or_outside(peaks):
    peaks = np.array(peaks, dtype=np.int64)
    valid = np.all(np.diff(peaks) > 0) and peaks.min() >= 0 and peaks.max() < 3600
    if valid:
        assert len(beats_from_peaks(np.zeros(3600), 360.0, peaks, record="r")) <= len(peaks)
    else:
        with pytest.raises(DataError, match="record r: peaks"):
            beats_from_peaks(np.zeros(3600), 360.0, peaks, record="r")


# -- property tests of the table reader: any form of the same signal reads back the same, or is refused by name --
def _synthetic_ecg(fs, seconds, seed):
    """A spiky signal in mV: a 1.2-mV QRS-like spike every 0.8-1.1 s, a slow wave, a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * seconds)) / fs
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t) + 0.01 * rng.standard_normal(t.size)
    for peak in np.cumsum(rng.uniform(0.8, 1.1, int(seconds) + 1)):
        x += 1.2 * np.exp(-0.5 * ((t - peak) / 0.012) ** 2)
    return x


@st.composite
def table_forms(draw):
    """(text, read arguments, the samples expected (NaN in gaps), the rate expected, a refusal's fragment or None)."""
    fs = draw(st.sampled_from([128, 250, 360, 500]))
    x = _synthetic_ecg(fs, draw(st.floats(11, 13)), draw(st.integers(0, 2 ** 16)))
    n = x.size
    sep = draw(st.sampled_from([",", ";", "\t", " "]))
    decimal = draw(st.sampled_from([".", ","])) if sep != "," else "."
    time = draw(st.sampled_from([None, "time", "time_ms", "sample"]))
    header = draw(st.booleans()) or time in ("time_ms",)
    unit, factor = draw(st.sampled_from([("mV", 1.0), ("uV", 1e3), ("V", 1e-3), ("counts", 200.0)]))
    stated = unit != "counts" and draw(st.booleans())
    gap = None
    if draw(st.booleans()):
        a = draw(st.integers(fs, n - 3 * fs))
        gap = (a, a + draw(st.integers(1, 2 * fs)))
    rows_missing = gap is not None and time is not None and draw(st.booleans())
    values = np.round(200 * x) if unit == "counts" else x * factor
    digits = {"mV": 5, "uV": 2, "V": 8, "counts": 0}[unit]
    keep = np.ones(n, bool)
    cells = [f"{v:.{digits}f}".replace(".", decimal) for v in values]
    if gap is not None:
        if rows_missing:
            keep[gap[0]:gap[1]] = False
        for k in range(*gap):
            cells[k] = "" if sep != " " or time is None else "nan"
    columns = []
    if time is not None:
        clock = {"time": np.arange(n) / fs, "time_ms": 1000 * np.arange(n) / fs, "sample": np.arange(n)}[time]
        columns.append([f"{c:.{0 if time == 'sample' else 6}f}".replace(".", decimal) for c in clock])
    columns.append(cells)
    name = f"ECG ({unit})" if stated else "ECG"
    head = ([time] if time else []) + [name]
    lines = ([(sep if sep != " " else " ").join(h.replace(" ", "_") if sep == " " else h for h in head)]
             if header else [])
    lines += [sep.join(row) for row, k in zip(zip(*columns), keep) if k]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "\n\n", ""]))
    kwargs = {} if time in ("time", "time_ms") and draw(st.booleans()) else {"fs": fs}
    if unit == "counts" and draw(st.booleans()):
        kwargs["units"] = "5uV"
    expected = values.copy() / (factor if unit != "counts" else 1.0)
    if unit == "counts":
        expected = values * 0.005
    if gap is not None:
        expected[gap[0]:gap[1]] = np.nan
    refused = "units" if unit == "counts" and "units" not in kwargs else None
    return text, kwargs, expected, float(fs), refused, 10.0 ** -digits / (factor if unit != "counts" else 200.0)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(table_forms(), st.sampled_from([".csv", ".txt", ".tsv", ".csv.gz"]), st.sampled_from(["utf-8", "utf-16"]))
def test_any_form_of_a_table_reads_back_the_same_samples_or_is_refused_by_name(form, ending, encoding):
    text, kwargs, expected, fs, refused, precision = form
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"rec{ending}"
        data = text.encode(encoding)
        path.write_bytes(gzip.compress(data) if ending.endswith(".gz") else data)
        if refused:
            with pytest.raises(DataError) as err:
                read_recording(path, **kwargs)
            assert str(err.value).startswith(f"{path}: ") and refused in str(err.value)
            return
        rec = read_recording(path, **kwargs)
    assert rec.fs == pytest.approx(fs, rel=1e-9) and rec.signal.size == expected.size
    gaps = np.zeros(expected.size, bool)
    for a, b in rec.gaps:
        gaps[a:b] = True
    np.testing.assert_array_equal(gaps, np.isnan(expected))
    np.testing.assert_allclose(rec.signal[~gaps], expected[~gaps], atol=precision)
