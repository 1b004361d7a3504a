"""Beat families: within one recording, the beats of the same shape, as a Holter reader groups them.

Each beat is described by how its QRS complex and ST onset differ from the patient's template (the beat - template
over :data:`FAMILY_WINDOW_S`; optionally with the autoencoder's latent vector, ``latent=``), and the beats of one
recording are clustered with scikit-learn: :class:`sklearn.cluster.Birch` summarises them in one pass (sub-clusters
of radius :data:`SUBCLUSTER_RADIUS`; at most :data:`FIT_BEATS` of a 24-hour recording's 100,000 beats), and
:class:`sklearn.cluster.AgglomerativeClustering` (average linkage) joins the sub-clusters closer than
:data:`FAMILY_DISTANCE` into families. A family's typical beat is the sample-wise median of its beats.

The constants were chosen on the DS1 records only (``python -m bench.kinds``; ``bench/results/kinds.md``): with them
DS1's 22 records make 389 families, of which 253 hold a flagged beat (what a reviewer opens). The autoencoder's
latent vector was tried too, and did not earn its place: appended to the deviation it splits the beats into 955
families (512 to review) and takes 208's fusion beats into their normal families (3.8% of them flagged, against
45.2%); alone, 874 families and ventricular beats missed (VEB sensitivity 88.2% against 92.1%).
"""
from __future__ import annotations

import numpy as np

from ecg_utils.errors import DataError
from ecg_utils.io.dataset import Beats
from ecg_utils.signal.morphology import window

#: The part of the beat - template the families are made from, seconds around the R-peak: the QRS and ST onset.
FAMILY_WINDOW_S = (-0.1, 0.2)
#: Birch's sub-cluster radius, in the beats' units (z-scores, Euclidean over the window's samples).
SUBCLUSTER_RADIUS = 1.5
#: Sub-clusters whose average distance is below this join one family.
FAMILY_DISTANCE = 4.0
#: Birch reads at most this many beats, evenly spread over the recording (it inserts them one by one: 40 s for a
#: day's 100,000 beats); every beat is then given its nearest sub-cluster, and a shape it did not read (a beat far
#: from every sub-cluster) makes a family of its own.
FIT_BEATS = 20_000
#: At most this many sub-clusters go to the agglomerative step (its memory grows with their square): a recording
#: that makes more is summarised again with a larger radius.
MAX_SUBCLUSTERS = 3000


def family_features(beats: Beats, latent=None) -> np.ndarray:
    """What families are made from: each beat - its template over :data:`FAMILY_WINDOW_S` (n, window), with the
    latent vector ``latent`` (n, k) appended when given."""
    if beats.template is None:
        raise DataError(f"{beats.info.get('file', 'beats')}: beat families compare beats with their patient's "
                        "template; build the beats with a template width (add_templates)")
    w = window(beats, FAMILY_WINDOW_S)
    out = (beats.X[:, w] - beats.template[:, w]).astype(np.float64)
    if latent is not None:
        out = np.hstack([out, np.asarray(latent, dtype=np.float64)])
    return out


def cluster(features, radius=SUBCLUSTER_RADIUS, distance=FAMILY_DISTANCE,
            max_subclusters=MAX_SUBCLUSTERS) -> np.ndarray:
    """Family labels (0, 1, ...: largest family first) of one recording's beats, from their ``features`` (n, d).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(0, 0.1, (50, 5)), rng.normal(3, 0.1, (10, 5))])
    >>> np.bincount(cluster(x)).tolist()
    [50, 10]
    """
    from sklearn.cluster import AgglomerativeClustering, Birch

    features = np.asarray(features, dtype=np.float64)
    n = len(features)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    fit = features if n <= FIT_BEATS else features[np.linspace(0, n - 1, FIT_BEATS).astype(np.int64)]
    while True:
        birch = Birch(threshold=radius, n_clusters=None).fit(fit)
        centres = birch.subcluster_centers_
        if len(centres) <= max_subclusters:
            break
        radius *= 1.5
    sub = birch.predict(features)
    if len(centres) == 1:
        labels = np.zeros(n, dtype=np.int64)
    else:
        joined = AgglomerativeClustering(n_clusters=None, distance_threshold=distance,
                                         linkage="average").fit_predict(centres)
        labels = joined[sub]
    # Birch's radius is an average: a large sub-cluster can absorb a beat far from all of its beats (one ventricular
    # beat among thousands of normal ones). Beats farther than `distance` from their sub-cluster's centre are
    # families of their own, clustered among themselves.
    far = np.linalg.norm(features - centres[sub], axis=1) > distance
    if far.any() and not far.all():
        labels[far] = labels.max() + 1 + cluster(features[far], radius, distance, max_subclusters)
    # relabel by size, largest first (ties by first beat), so that family 0 is the most common shape
    ids, counts = np.unique(labels, return_counts=True)
    first = np.array([np.argmax(labels == i) for i in ids])
    order = ids[np.lexsort((first, -counts))]
    rank = np.empty(labels.max() + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[labels]


def find_families(beats: Beats, latent=None, **options) -> np.ndarray:
    """Each beat's family within its record (:func:`cluster` per record): int array (n,), family 0 the largest of
    each record."""
    features = family_features(beats, latent)
    out = np.zeros(len(beats), dtype=np.int64)
    for record in beats.records():
        idx = np.flatnonzero(beats.record == record)
        out[idx] = cluster(features[idx], **options)
    return out
