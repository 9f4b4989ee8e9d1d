"""Stopping: from step02 on, SIGTERM and SIGINT stop the server gracefully
with exit status 0, in bounded time, even with clients still connected."""

import signal

import pytest

import httpclient

pytestmark = pytest.mark.cap("graceful_stop")

SIGNALS = pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
BOUND = 5.0  # with no request in flight
# A server may give in-flight requests a grace period (step04 gives 5 s);
# past that, a stop must not wait on a client that never finishes.
GRACE = 5.0


@SIGNALS
def test_signal_exits_0(server, sig):
    assert server.get("/page.html").status == 200
    rc = server.terminate(sig, timeout=BOUND)
    assert rc == 0, f"exit status {rc} (None: still running after {BOUND} s)"


@SIGNALS
def test_signal_exits_0_with_an_idle_keepalive_client(server, sig):
    with server.connect() as conn:
        assert conn.request(httpclient.build_request("/page.html")).status == 200
        rc = server.terminate(sig, timeout=BOUND)
        assert rc == 0, f"exit status {rc} (None: still running after {BOUND} s)"
        assert conn.wait_closed(2), "the idle client's connection is still open"


@SIGNALS
def test_signal_exits_0_with_a_half_sent_request(server, sig):
    """A request that never completes: bounded by the grace for in-flight work."""
    bound = GRACE + 3
    with server.connect() as conn:
        conn.send(b"GET /page.html HTTP/1.1\r\nHost: t\r\n")
        rc = server.terminate(sig, timeout=bound)
        assert rc == 0, f"exit status {rc} (None: still running after {bound} s)"


def test_sigterm_with_a_stalled_download(start_server):
    """A client that stopped reading a big response must not hold up the stop
    for longer than the idle timeout plus the grace for in-flight requests
    (a thread blocked in send() must be woken, e.g. by shutdown(SHUT_RDWR))."""
    timeout = 3
    bound = timeout + GRACE + 1
    srv = start_server(extra_args=["--timeout", timeout])
    with srv.connect(rcvbuf=16 * 1024) as conn:
        conn.send(httpclient.build_request("/big.bin"))
        assert conn.readable_within(5)
        rc = srv.terminate(signal.SIGTERM, timeout=bound)
        assert rc == 0, f"exit status {rc} (None: still running after {bound} s)"
