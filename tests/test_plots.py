"""Each figure function returns a Figure with the panels and lines its data call for."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ecg_utils.experiments import figures as plots  # noqa: E402
from ecg_utils.io.dataset import Beats  # noqa: E402

L = 40


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    y = np.array([0] * 10 + [1] * 3 + [2] * 5)           # N, S, V present; F, Q absent
    X = rng.standard_normal((len(y), L)).astype(np.float32)
    X_hat = X + 0.1 * rng.standard_normal(X.shape).astype(np.float32)
    scores = np.abs(X - X_hat).mean(axis=1) + 0.5 * (y > 0)
    return X, X_hat, y, scores


def _lines(ax):
    return [line for line in ax.get_lines()]


def test_reconstructions_one_row_per_class_present(toy):
    X, X_hat, y, _ = toy
    fig = plots.plot_reconstructions(X, X_hat, y, n_per_class=2, fs=125)
    assert isinstance(fig, Figure) and len(fig.axes) == 3 * 2
    assert all(len(_lines(ax)) == 2 for ax in fig.axes)    # beat and reconstruction
    assert fig.axes[-1].get_xlabel() == "time (s)"
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["N", "S", "V"]


def test_error_histograms_have_the_threshold_line(toy):
    _, _, y, scores = toy
    fig = plots.plot_error_histograms(scores, y, threshold=0.4)
    (ax,) = fig.axes
    assert [line.get_xdata()[0] for line in _lines(ax)] == [0.4]
    assert len(ax.patches) == 3                               # one step histogram per class present
    assert ax.get_xscale() == "log"


def test_error_histograms_show_each_class_as_shares_that_sum_to_one_and_name_the_score(toy):
    _, _, y, scores = toy
    scores = scores.copy()
    scores[0] = 0.0                                           # a zero score cannot sit on a log axis: counted instead
    fig = plots.plot_error_histograms(scores, y, threshold=0.4, xlabel=plots.score_label(("prematurity",)))
    (ax,) = fig.axes
    assert ax.get_xlabel().startswith("anomaly score: -log p(reconstruction) - log p(prematurity)")
    assert "share" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "N (n=10; 1 at 0 not shown)" and texts[1] == "S (n=3)"
    for patch, n_shown, n in zip(ax.patches, (9, 3, 5), (10, 3, 5)):
        heights = patch.get_path().vertices[:, 1]            # a step outline: each bar's height twice
        assert heights[1:-1:2].sum() == pytest.approx(n_shown / n)   # shares, not a density per unit of score
    assert plots.plot_error_histograms(scores, y, 0.4).axes[0].get_xlabel().startswith("reconstruction error\n")


def test_error_histograms_draw_on_a_given_ax(toy):
    _, _, y, scores = toy
    outer = Figure()
    ax = outer.subplots(1, 2)[1]
    assert plots.plot_error_histograms(scores, y, 0.4, log=False, ax=ax) is outer
    assert len(outer.axes) == 2 and len(ax.patches) == 3


def test_roc_pr_curves(toy):
    _, _, y, scores = toy
    fig = plots.plot_roc_pr(y, scores)
    ax_roc, ax_pr = fig.axes
    assert len(_lines(ax_roc)) == 3 + 1                       # all abnormal, S, V + chance diagonal
    assert len(_lines(ax_pr)) == 3
    fpr, tpr = _lines(ax_roc)[0].get_data()                   # perfectly separated: reaches (0, 1)
    assert np.any((fpr == 0) & (tpr == 1))


def test_training_curves_mark_the_best_epoch():
    fig = plots.plot_training_curves({"loss": [1.0, 0.5, 0.4, 0.3], "val_loss": [1.1, 0.6, 0.7, 0.8]})
    (ax,) = fig.axes
    train, val, best = _lines(ax)
    assert len(train.get_xdata()) == 4 and best.get_xdata()[0] == 2


def test_worst_shows_the_highest_scores_first(toy):
    X, X_hat, y, scores = toy
    fig = plots.plot_worst(X, X_hat, scores, y, n=6)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 6
    worst = int(np.argmax(scores))
    assert visible[0].get_title().split()[1] == f"#{worst}"


def test_beats_one_panel_per_class(toy):
    X, _, y, _ = toy
    beats = Beats.from_arrays(X, y, info={"fs": 125})
    fig = plots.plot_beats(beats, n_per_class=4)
    assert [ax.get_title() for ax in fig.axes] == ["N (n=10)", "S (n=3)", "V (n=5)"]
    assert [len(_lines(ax)) for ax in fig.axes] == [4 + 1, 3 + 1, 4 + 1]   # examples + the class mean


def test_plot_context_draws_beat_template_and_difference(mitdb_dir):
    from ecg_utils.experiments.figures import plot_context
    from ecg_utils.signal.build import build_mitdb_beats
    from ecg_utils.signal.templates import add_templates

    beats = add_templates(build_mitdb_beats(mitdb_dir, records=["208"], representation="centered", verbose=False), 51)
    fig = plot_context(beats, classes=("N", "V", "S"))
    assert len(fig.axes) == 3 and all(len(ax.lines) == 2 for ax in fig.axes)
    assert "local mean" in fig.axes[1].get_title()


def test_the_burden_chart_ends_with_the_recording_and_writes_no_share_of_a_handful_of_beats():
    """12 min of beats: a full 10-min bin and a last bin of 2 min; a bar as long as its bin lasts, the axis ending
    with the recording, and no percentage over a bin of fewer than MIN_BIN_BEATS beats."""
    import pandas as pd

    from ecg_utils.scan.figures import MIN_BIN_BEATS, plot_burden

    t = np.concatenate([np.arange(0, 600, 1.0), np.arange(600, 600 + MIN_BIN_BEATS - 1, 1.0)])
    beats = pd.DataFrame({"time_s": t, "score": 1.0, "flagged": np.arange(len(t)) % 10 == 0, "kind": "V"})
    beats.loc[~beats.flagged, "kind"] = "N"
    ax = plot_burden(beats).axes[0]
    assert ax.get_xlim()[1] == pytest.approx(t.max() / 60)  # minutes, ending with the last beat
    widths = sorted({round(p.get_width(), 6) for p in ax.patches if p.get_height() > 0})
    assert widths[-1] == pytest.approx(9.0) and widths[0] < 1.0  # 0.9 x 10 min, and 0.9 x the last bin's span
    assert [txt.get_text() for txt in ax.texts] == ["10.0%"]  # the last bin (29 beats) gets no share
