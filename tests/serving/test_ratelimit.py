"""The sliding-window limiter, and which address a request counts against."""

from __future__ import annotations

import pytest

from translator.serving.ratelimit import RateLimiter, client_address


def test_rate_limiter_window():
    now = [0.0]
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 61
    assert limiter.allow("a")
    assert RateLimiter(0).allow("anyone")


def test_without_trusted_proxies_the_peer_counts_whatever_the_header_says():
    assert client_address("10.0.0.7", ["1.2.3.4"], 0) == "10.0.0.7"
    assert client_address("10.0.0.7", [], 0) == "10.0.0.7"


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        (["198.51.100.9"], 1, "198.51.100.9"),  # an honest client behind one proxy
        (["6.6.6.6, 198.51.100.9"], 1, "198.51.100.9"),  # the client's own entry is ignored
        (["6.6.6.6", "198.51.100.9"], 1, "198.51.100.9"),  # the same, sent as two header lines
        (["6.6.6.6, 198.51.100.9, 10.0.0.2"], 2, "198.51.100.9"),  # two proxies: the outer one's entry
        ([" 198.51.100.9 "], 1, "198.51.100.9"),
    ],
)
def test_with_trusted_proxies_the_entry_the_outermost_one_appended_counts(forwarded, hops, expected):
    assert client_address("10.0.0.1", forwarded, hops) == expected


@pytest.mark.parametrize("forwarded", [[], ["198.51.100.9"], [", 198.51.100.9"]])
def test_a_header_shorter_than_the_proxies_falls_back_to_the_peer(forwarded):
    assert client_address("10.0.0.1", forwarded, 2) == "10.0.0.1"


def test_wait_seconds_says_when_the_oldest_event_leaves_the_window():
    now = [100.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    limiter.record("a")
    now[0] = 110.0
    assert limiter.wait_seconds("a") == 0
    limiter.record("a")
    assert limiter.wait_seconds("a") == 50  # the first leaves the window at 160
    now[0] = 159.5
    assert limiter.wait_seconds("a") == 1
    now[0] = 160.0
    assert limiter.wait_seconds("a") == 0 and limiter.allow("a")
