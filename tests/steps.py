"""Which capabilities each step claims: the one place to edit when a step lands.

A test names the capability it needs with ``@pytest.mark.cap("name")``; it runs
against every step whose set below holds that name and is skipped elsewhere.
"""

# What each capability means, as the tests check it.
CAPS = {
    "basic": "GET/HEAD of static files, every error status, path safety, the CLI",
    "oneshot": "one request per connection, then the server closes it",
    "serial": "model: one client at a time; a slow client delays the next one",
    "keepalive": "persistent HTTP/1.1 connections, pipelined requests in order",
    "concurrent": "a slow client does not block the others",
    "timeout": "an idle connection is closed after --timeout seconds",
    "graceful_stop": "SIGTERM and SIGINT stop the server with exit status 0",
    "thread_per_conn": "model: one thread per open connection, joined when it ends",
    "limits": "--max-connections caps open connections (503 beyond); EMFILE is survived",
    # The later steps' models and features.
    "pool": "model: N worker threads poll the listen socket and their connections",
    "itc": "model: an inter-thread wake-up in every worker's poll set",
    "cgi": "CGI/1.1 programs under --cgi-dir, at /cgi-bin/",
}

# Capabilities that describe a server *model*. A later step drops them on
# purpose, so a skip there reads "not in this model" rather than "not yet".
MODEL_CAPS = {"oneshot", "serial", "thread_per_conn", "pool", "itc"}

# Step number -> directory name and capability set.
STEPS = {
    1: {
        "dir": "step01-socket",
        "caps": {"basic", "oneshot", "serial"},
    },
    2: {
        "dir": "step02-thread-per-conn",
        "caps": {"basic", "keepalive", "concurrent", "timeout", "graceful_stop",
                 "limits", "thread_per_conn"},
    },
    3: {
        "dir": "step03-poll-pool",
        "caps": {"basic", "keepalive", "concurrent", "timeout", "graceful_stop",
                 "limits", "pool"},
    },
    4: {
        "dir": "step04-itc",
        "caps": {"basic", "keepalive", "concurrent", "timeout", "graceful_stop",
                 "limits", "pool", "itc"},
    },
    5: {
        "dir": "step05-cgi",
        "caps": {"basic", "keepalive", "concurrent", "timeout", "graceful_stop",
                 "limits", "pool", "itc", "cgi"},
    },
}

# Command-line options that arrive with a capability (docs/contract.md).
# Options not listed here (--host, --port, --root, --trace, --help) exist in
# every step.
OPTION_CAPS = {
    "--timeout": "timeout",
    "--max-connections": "limits",
    "--threads": "pool",
    "--pool-size": "pool",
    "--cgi-dir": "cgi",
    "--cgi-timeout": "cgi",
    "--cgi-launch": "cgi",
}

ALL_CAPS = frozenset(CAPS)


def caps_of(step):
    """The capability set of a step number (a frozenset)."""
    return frozenset(STEPS[step]["caps"])


def first_step_with(cap):
    """The first step that claims cap, or None."""
    for n in sorted(STEPS):
        if cap in STEPS[n]["caps"]:
            return n
    return None


def skip_reason(cap, step=None):
    """Why a test needing cap does not run against step (None: a custom server)."""
    if step is None:
        return f"not in --caps: {cap}"
    first = first_step_with(cap)
    if cap in MODEL_CAPS and first is not None and first < step:
        return f"not in this model: {cap}"
    return f"not in this step yet: {cap}"


def options_of(caps):
    """The later-step options a server with these capabilities accepts."""
    return {opt for opt, cap in OPTION_CAPS.items() if cap in caps}
