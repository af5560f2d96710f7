"""The percentile the benchmarks report (bench/stats.py)."""

from __future__ import annotations

import pytest

from bench.stats import percentile


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0


def test_median_of_an_even_count_is_the_midpoint_of_the_middle_two() -> None:
    assert percentile([4.0, 1.0, 2.0, 3.0], 50) == 2.5


def test_p99_of_a_hundred_values_lies_between_the_two_largest() -> None:
    # Given 1..100, rank 0.99 * 99 = 98.01 sits just past the 99th value
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 99) == pytest.approx(99.01)


def test_the_ends_are_the_minimum_and_the_maximum() -> None:
    values = [7.0, 2.0, 9.0]
    assert percentile(values, 0) == 2.0
    assert percentile(values, 100) == 9.0


def test_one_value_is_every_percentile() -> None:
    assert percentile([4.2], 99) == 4.2


@pytest.mark.parametrize("p", [-1, 100.5])
def test_a_percentile_outside_0_to_100_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0, 2.0], p)


def test_no_values_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
