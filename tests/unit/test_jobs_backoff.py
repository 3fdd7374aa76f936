"""Retry timing: 30 s doubling to at most an hour, with jitter so retries do not march in step."""
from datetime import timedelta

import pytest

from timetics.jobs import backoff


@pytest.mark.parametrize(
    ("attempts", "base"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (30, 3600)],
)
def test_backoff_doubles_from_30_seconds_and_stops_at_an_hour(attempts, base):
    assert backoff(attempts, rng=lambda: 0.5) == timedelta(seconds=base)


def test_backoff_jitter_stays_within_twenty_percent():
    low, high = backoff(3, rng=lambda: 0.0), backoff(3, rng=lambda: 0.999999)
    assert low == timedelta(seconds=96)
    assert timedelta(seconds=143) < high < timedelta(seconds=144)
