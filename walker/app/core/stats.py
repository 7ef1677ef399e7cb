"""Honest summaries of a few runs: rliable's aggregates, computed with scipy.

Seeds are the unit of replication: every function here takes one value per seed. The point
estimates are the mean and the interquartile mean (IQM, the mean of the middle 50%, robust
to one odd seed, `scipy.stats.trim_mean(x, 0.25)`); their 95% confidence intervals are
percentile bootstrap intervals over seeds (`scipy.stats.bootstrap`, 2,000 resamples, a
fixed generator so the same values give the same interval). The probability of improvement
of X over Y is the Mann-Whitney statistic normalised to [0, 1], U / (n m) =
P(x > y) + P(x = y) / 2 for a random pair (`scipy.stats.mannwhitneyu`), with a bootstrap
interval that resamples both samples. These are the estimators of Agarwal et al., "Deep RL
at the edge of the statistical precipice" (NeurIPS 2021), the paper behind rliable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000
BOOTSTRAP_SEED = 20211206
"""Fixed, so an interval is a function of the data alone (the paper's NeurIPS date)."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95% confidence interval (NaN bounds when there is none)."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}

    def format(self, digits: int = 3) -> str:
        if not math.isfinite(self.value):
            return "-"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def _finite(values: Sequence[float]) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    finite: np.ndarray = data[np.isfinite(data)]
    return finite


def iqm(values: Sequence[float] | np.ndarray, axis: int = -1) -> Any:
    """Interquartile mean: the mean after cutting the lowest and highest 25%."""
    return stats.trim_mean(values, 0.25, axis=axis)


def _mean(values: np.ndarray, axis: int = -1) -> Any:
    return np.mean(values, axis=axis)


def _interval(statistic: Callable[..., Any], samples: tuple[np.ndarray, ...]) -> Estimate:
    value = float(statistic(*samples, axis=-1))
    if any(len(s) < 2 for s in samples):
        return Estimate(value, math.nan, math.nan)
    if all(np.ptp(s) == 0 for s in samples):
        # Every resample equals the sample: the interval is the point (scipy would warn).
        return Estimate(value, value, value)
    result = stats.bootstrap(
        samples,
        statistic,
        n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    low, high = result.confidence_interval
    return Estimate(value, float(low), float(high))


def mean_estimate(values: Sequence[float]) -> Estimate:
    """Mean over seeds with a 95% percentile bootstrap interval (non-finite values dropped)."""
    data = _finite(values)
    if len(data) == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return _interval(_mean, (data,))


def iqm_estimate(values: Sequence[float]) -> Estimate:
    """IQM over seeds with a 95% percentile bootstrap interval (non-finite values dropped)."""
    data = _finite(values)
    if len(data) == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return _interval(iqm, (data,))


def _improvement(x: np.ndarray, y: np.ndarray, axis: int = -1) -> Any:
    u = stats.mannwhitneyu(x, y, axis=axis, alternative="two-sided").statistic
    return u / (x.shape[axis] * y.shape[axis])


def probability_of_improvement(x: Sequence[float], y: Sequence[float]) -> Estimate:
    """P(a seed of X scores above a seed of Y), ties counting half, with a bootstrap interval.

    0.5 means no difference; 1.0 means every seed of X beat every seed of Y.
    """
    a, b = _finite(x), _finite(y)
    if len(a) == 0 or len(b) == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return _interval(_improvement, (a, b))


def fall_rate(fell: Sequence[bool]) -> float:
    """Share of episodes that ended in a fall."""
    return float(np.mean(np.asarray(fell, dtype=float))) if len(fell) else math.nan
