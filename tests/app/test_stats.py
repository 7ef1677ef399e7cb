"""The benchmark's statistics against values worked out by hand."""

import math

import numpy as np
import pytest

from walker.app.core import stats


def test_iqm_is_the_mean_of_the_middle_half():
    values = [1, 2, 3, 4, 5, 6, 7, 100]
    # 8 values: the lowest 2 and the highest 2 are cut, the mean of 3..6 is 4.5.
    assert stats.iqm(values) == pytest.approx(4.5)
    estimate = stats.iqm_estimate(values)
    assert estimate.value == pytest.approx(4.5)
    assert estimate.low <= 4.5 <= estimate.high
    assert estimate.high < stats.mean_estimate(values).high  # one odd seed moves the mean


def test_bootstrap_interval_is_fixed_by_the_data_and_brackets_the_mean():
    rng = np.random.default_rng(3)
    values = rng.normal(2.0, 1.0, size=10)
    first, second = stats.mean_estimate(values), stats.mean_estimate(values)
    assert first == second
    assert first.low < float(np.mean(values)) < first.high
    # A 95% interval of the mean of 10 normal draws is about +-2 standard errors wide.
    width = first.high - first.low
    standard_error = float(np.std(values, ddof=1)) / math.sqrt(10)
    assert 2.5 * standard_error < width < 5.0 * standard_error


def test_identical_seeds_give_a_point_interval_and_one_seed_gives_none():
    assert stats.mean_estimate([0.5] * 10) == stats.Estimate(0.5, 0.5, 0.5)
    single = stats.iqm_estimate([0.5])
    assert single.value == 0.5 and math.isnan(single.low) and math.isnan(single.high)
    assert stats.mean_estimate([math.nan, 1.0, 3.0]).value == 2.0  # non-finite dropped
    assert single.format(2) == "0.50"
    assert stats.Estimate(1.0, 0.5, 1.5).format(1) == "1.0 [0.5, 1.5]"


def test_probability_of_improvement_is_the_normalised_mann_whitney_statistic():
    # Pairs (x, y): 3 > 1, 3 > 2, 3 = 3 (half), and 4 and 5 beat all three: 8.5 of 9.
    estimate = stats.probability_of_improvement([3, 4, 5], [1, 2, 3])
    assert estimate.value == pytest.approx(8.5 / 9)
    assert estimate.low <= estimate.value <= estimate.high <= 1.0
    assert stats.probability_of_improvement([1, 2], [1, 2]).value == pytest.approx(0.5)
    assert stats.probability_of_improvement([0.0] * 4, [1.0] * 5).value == 0.0
    assert stats.probability_of_improvement([2.0] * 4, [1.0] * 5) == stats.Estimate(1, 1, 1)


def test_fall_rate():
    assert stats.fall_rate([True, False, False, True]) == 0.5
    assert math.isnan(stats.fall_rate([]))
