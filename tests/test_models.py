"""Model tests: each asserts the documented behaviour of a server model,
its limits included (step01 does serialise its clients)."""

import time

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request
HALF = b"GET /page.html HTTP/1.1\r\nHo"
OTHER_HALF = b"st: slow\r\n\r\n"


@pytest.mark.cap("serial")
def test_serial_a_slow_client_delays_the_next(server, docroot):
    """step01: while the first client has sent half a request, the second is
    not answered; once the first finishes, the second is."""
    with server.connect() as slow, server.connect() as fast:
        slow.send(HALF)
        fast.send(build("/notes.txt"))
        assert not fast.readable_within(1.0), "answered while an earlier client was unfinished"
        slow.send(OTHER_HALF)
        assert slow.read_response().status == 200
        resp = fast.read_response()
        assert resp.status == 200
        assert resp.body == docroot.read("notes.txt")


@pytest.mark.cap("concurrent")
def test_concurrent_a_slow_client_does_not_block_others(server, docroot):
    with server.connect() as slow, server.connect() as fast:
        slow.send(HALF)
        fast.send(build("/notes.txt"))
        resp = fast.read_response(timeout=5)
        assert resp.status == 200
        assert resp.body == docroot.read("notes.txt")
        assert not slow.readable_within(0), "the unfinished request was answered"
        slow.send(OTHER_HALF)
        assert slow.read_response().status == 200


@pytest.mark.cap("concurrent")
def test_concurrent_a_stalled_download_does_not_block_others(server):
    with server.connect(rcvbuf=16 * 1024) as stalled:
        stalled.send(build("/big.bin"))
        assert stalled.readable_within(5)
        for _ in range(5):
            assert server.get("/page.html", timeout=5).status == 200


@pytest.mark.cap("thread_per_conn")
def test_thread_per_conn_threads_follow_open_connections(server):
    # Count the connection threads by name ("conn"): a sanitizer runtime
    # may add a thread of its own to the total.
    threads = lambda: server.threads_named("conn")
    baseline = threads()
    conns = []
    try:
        for i in range(20):
            conn = server.connect()
            if i % 2:
                conn.send(HALF)
            conns.append(conn)
        wait_until(lambda: threads() >= baseline + 20, 5,
                   message=f"threads {threads()}, want >= {baseline + 20}")
    finally:
        for conn in conns:
            conn.close()
    wait_until(lambda: threads() == baseline, 5,
               message=f"threads {threads()} did not return to {baseline}")


@pytest.mark.cap("thread_per_conn")
def test_thread_per_conn_threads_are_reclaimed_after_many_connections(server):
    threads = lambda: server.threads_named("conn")
    baseline_threads, baseline_fds = threads(), server.fds()
    start = time.monotonic()
    for i in range(1000):
        with server.connect() as conn:
            assert conn.request(build(f"/par/f{i % 50:02d}.txt")).status == 200
    assert time.monotonic() - start < 30
    wait_until(lambda: threads() == baseline_threads, 10,
               message=f"threads {threads()} did not return to {baseline_threads}")
    wait_until(lambda: server.fds() == baseline_fds, 10,
               message=f"fds {server.fds()} did not return to {baseline_fds}")

