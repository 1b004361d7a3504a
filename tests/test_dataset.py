"""The Beats type: subsets, concatenation and the file round trip keep every field aligned."""
import numpy as np
import pytest

from ecg_utils.io.dataset import UNKNOWN_RECORD, Beats


def make(n=6, L=5, template=True):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, L))
    return Beats(X.astype(np.float32), np.arange(n) % 3, np.array([f"r{i % 2}" for i in range(n)]),
                 np.arange(n) * 100, rng.random((n, 3)).astype(np.float32), {"source": "test", "records": ["r0", "r1"]},
                 (X * 2).astype(np.float32) if template else None)


def test_round_trip_keeps_every_field(tmp_path):
    b = make()
    c = Beats.load(b.save(tmp_path / "b.npz"))
    for name in ("X", "y", "record", "sample", "rr", "template"):
        assert np.array_equal(getattr(b, name), getattr(c, name))
    assert c.info == b.info and not list(tmp_path.glob("*.tmp*"))


def test_subset_and_concat_stay_aligned():
    b = make()
    s = b[b.y == 1]
    assert np.array_equal(s.template, s.X * 2) and (s.y == 1).all()
    c = Beats.concat([b[:2], b[2:]])
    assert np.array_equal(c.X, b.X) and np.array_equal(c.template, b.template)
    with pytest.raises(ValueError, match="templates"):
        Beats.concat([make(template=False), make()])


def test_defaults_and_counts():
    b = Beats.from_arrays(np.zeros((3, 4)), [0, 2, 2])
    assert (b.record == UNKNOWN_RECORD).all() and (b.sample == -1).all() and np.isnan(b.rr).all()
    assert b.counts() == {"N": 1, "S": 0, "V": 2, "F": 0, "Q": 0}
    assert b.is_anomaly.tolist() == [0, 1, 1]


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="shape"):
        Beats(np.zeros((3, 4), np.float32), np.zeros(2, int), np.array(["a"] * 3), np.zeros(3, int), np.zeros((3, 3)))


def test_unreadable_file_names_the_path(tmp_path):
    p = tmp_path / "bad.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        Beats.load(p)
