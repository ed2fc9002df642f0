"""Defaults a public deployment gets where the environment leaves them unset."""

from __future__ import annotations

from translator.serving.deployment import PUBLIC_RATE_LIMIT, public_defaults


def test_a_local_app_gets_no_limit_and_trusts_no_proxy():
    assert public_defaults({}, share=False) == {}


def test_a_share_link_is_rate_limited_and_trusts_no_proxy_by_default():
    assert public_defaults({}, share=True) == {"rate_limit_per_minute": PUBLIC_RATE_LIMIT}


def test_on_spaces_the_platform_proxy_is_one_trusted_hop():
    assert public_defaults({"SPACE_ID": "someone/space"}, share=False) == {
        "rate_limit_per_minute": PUBLIC_RATE_LIMIT,
        "trusted_proxy_hops": 1,
    }


def test_the_environment_wins_over_the_public_defaults():
    env = {"SPACE_ID": "someone/space", "TRANSLATOR_RATE_LIMIT_PER_MINUTE": "0", "TRANSLATOR_TRUSTED_PROXY_HOPS": "2"}
    assert public_defaults(env, share=True) == {}
