"""The threshold rule every detector shares: how a threshold is learned from the scores of normal beats.

Every detector takes the same four parameters (``threshold_rule``, ``threshold_k``, ``threshold_q``,
``threshold_fpr``) and turns them into one :class:`ThresholdRule` (:meth:`ThresholdRule.of`), which checks them and
applies them to the validation normals' scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THRESHOLD_RULES = ("mean_std", "percentile", "fpr")


def _finite(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and bool(np.isfinite(value))


@dataclass(frozen=True)
class ThresholdRule:
    """How a threshold is learned from the scores ``s`` of normal beats.

    ``rule="mean_std"``: ``mean(s) + k * std(s)`` (the project's default, mean + 2 std); ``"percentile"``:
    ``percentile(s, q)``; ``"fpr"``: the ``1 - fpr`` quantile, so that a share ``fpr`` of normal beats is flagged.

    Examples
    --------
    >>> ThresholdRule()([1.0, 3.0])
    4.0
    >>> ThresholdRule("fpr", fpr=0.5)([1.0, 2.0, 3.0])
    2.0
    """

    rule: str = "mean_std"
    k: float = 2.0
    q: float = 99.0
    fpr: float = 0.01

    @classmethod
    def of(cls, detector) -> "ThresholdRule":
        """The rule a detector's ``threshold_rule``, ``threshold_k``, ``threshold_q`` and ``threshold_fpr`` give."""
        return cls(detector.threshold_rule, detector.threshold_k, detector.threshold_q, detector.threshold_fpr)

    def check(self) -> "ThresholdRule":
        """Raise ValueError naming the first parameter outside its range (as the detector's parameter)."""
        if self.rule not in THRESHOLD_RULES:
            raise ValueError(f"threshold_rule must be one of {THRESHOLD_RULES}, got {self.rule!r}")
        for name, value, ok, what in (("threshold_k", self.k, lambda v: True, "a finite number"),
                                      ("threshold_q", self.q, lambda v: 0 <= v <= 100, "a number in [0, 100]"),
                                      ("threshold_fpr", self.fpr, lambda v: 0 < v < 1, "a number in (0, 1)")):
            if not (_finite(value) and ok(value)):
                raise ValueError(f"{name} must be {what}, got {value!r}")
        return self

    def __call__(self, scores) -> float:
        """The threshold for these normal beats' scores."""
        self.check()
        s = np.asarray(scores, dtype=np.float64)
        if self.rule == "mean_std":
            return float(np.mean(s) + self.k * np.std(s))
        if self.rule == "percentile":
            return float(np.percentile(s, self.q))
        return float(np.quantile(s, 1.0 - self.fpr))


def threshold_from_scores(scores, rule="mean_std", k=2.0, q=99.0, fpr=0.01) -> float:
    """``ThresholdRule(rule, k, q, fpr)(scores)``: the threshold a rule gives for the scores of normal beats.

    Examples
    --------
    >>> threshold_from_scores([1.0, 3.0])
    4.0
    """
    return ThresholdRule(rule, k, q, fpr)(scores)
