"""Checks of the suite's own tables (no server needed)."""

import steps


def test_every_step_claims_known_capabilities():
    for n, step in steps.STEPS.items():
        assert step["caps"] <= steps.ALL_CAPS, n
        assert "basic" in step["caps"], n
        assert step["dir"].startswith(f"step{n:02d}-"), n
    assert set(steps.OPTION_CAPS.values()) <= steps.ALL_CAPS
    assert steps.MODEL_CAPS <= steps.ALL_CAPS


def test_skip_reasons():
    assert steps.skip_reason("keepalive", 1) == "not in this step yet: keepalive"
    assert steps.skip_reason("oneshot", 2) == "not in this model: oneshot"
    assert steps.skip_reason("thread_per_conn", 1) == "not in this step yet: thread_per_conn"
    assert steps.skip_reason("thread_per_conn", 3) == "not in this model: thread_per_conn"
    assert steps.skip_reason("cgi", None) == "not in --caps: cgi"


def test_options_follow_capabilities():
    assert steps.options_of(steps.caps_of(1)) == set()
    assert steps.options_of(steps.caps_of(2)) == {"--timeout", "--max-connections"}
    assert steps.options_of(steps.caps_of(3)) == {"--timeout", "--max-connections",
                                                  "--threads", "--pool-size"}
    assert "--cgi-dir" in steps.options_of(steps.caps_of(5))
