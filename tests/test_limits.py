"""Limits that keep a server alive under too many clients: --max-connections
(503 beyond the cap, never a crash) and running out of file descriptors
(accept() fails with EMFILE; the server keeps serving and recovers)."""

import socket
import time

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request


def idle_connections(server, count):
    """count connected sockets that send nothing."""
    socks = []
    for _ in range(count):
        s = socket.create_connection((server.host, server.port), timeout=5)
        socks.append(s)
    return socks


def close_all(socks):
    for s in socks:
        s.close()


@pytest.mark.cap("limits")
def test_max_connections_refuses_with_503_and_keeps_serving(start_server):
    server = start_server(extra_args=["--max-connections", "3", "--timeout", "30"])
    baseline = server.fds()
    held = idle_connections(server, 3)
    try:
        # Wait until the server has accepted all three (not just queued them).
        wait_until(lambda: server.fds() >= baseline + 3, 5,
                   message="the three connections were not accepted")
        with server.connect() as extra:
            extra.send(build("/page.html"))
            resp = extra.read_response()
            assert resp.status == 503, resp
            assert resp.has_token("Connection", "close"), resp
            assert b"too many connections" in resp.body
    finally:
        close_all(held)
    # Once the held connections are gone, clients are served again.
    def served():
        with server.connect() as conn:
            return conn.request(build("/page.html")).status == 200
    wait_until(served, 10, interval=0.1, message="not served again after the cap freed up")
    assert server.alive()


@pytest.mark.cap("limits")
def test_max_connections_counts_only_open_connections(start_server):
    server = start_server(extra_args=["--max-connections", "2"])
    baseline = server.fds()
    # Many sequential connections, each gone before the next: never refused.
    for _ in range(30):
        with server.connect() as conn:
            resp = conn.request(build("/page.html", headers={"Connection": "close"}))
            assert resp.status == 200, resp
            assert conn.wait_closed(5)
        wait_until(lambda: server.fds() <= baseline, 5,
                   message="the server did not close its side")


@pytest.mark.cap("limits")
def test_running_out_of_descriptors_is_survived(start_server):
    # 40 descriptors in all: with the standard three, the listening socket
    # and each step's own (an eventfd per worker, ...), about 30 clients fit.
    server = start_server(nofile=40)
    held = []
    try:
        # Open far more connections than descriptors. The kernel queues them
        # in the backlog; the server's accept() fails with EMFILE meanwhile.
        for _ in range(80):
            held.append(socket.create_connection((server.host, server.port), timeout=5))
        assert server.alive(), "the server died when it ran out of descriptors"
    finally:
        close_all(held)
    # Descriptors come back as the held clients' connections close: a new
    # client is served again.
    def served():
        try:
            with server.connect(timeout=2) as conn:
                return conn.request(build("/page.html", headers={"Connection": "close"})).status == 200
        except (OSError, AssertionError):
            return False
    wait_until(served, 20, interval=0.2, message="not served again after EMFILE")
    assert server.alive()



@pytest.mark.cap("pool")
def test_slowloris_head_deadline_gives_408(start_server):
    """A client that trickles its request head one byte at a time never
    finishes it: the head must arrive within --timeout of its first byte,
    so the server answers 408 and closes, instead of waiting forever."""
    server = start_server(extra_args=["--timeout", "1"])
    head = build("/page.html")
    with server.connect(timeout=10) as conn:
        sent = 0
        answered = False
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and sent < len(head) - 1:
            conn.send(head[sent:sent + 1])
            sent += 1
            if conn.readable_within(0.25):
                answered = True
                break
        assert answered, "no answer while the head trickled in for 6 s"
        resp = conn.read_response()
        assert resp.status == 408, resp
        assert conn.wait_closed(5)
    assert server.get("/page.html").status == 200


@pytest.mark.cap("basic")
def test_directory_redirect_is_never_protocol_relative(server):
    """GET //sub must not redirect to //sub/, which a browser reads as the
    host "sub" (an open redirect)."""
    resp = server.get("//sub")
    assert resp.status == 301, resp
    location = resp.header("Location")
    assert location == "/sub/", location


@pytest.mark.cap("timeout")
def test_client_that_never_reads_is_timed_out(start_server, docroot):
    """A client asks for a 20 MiB file with a small receive buffer and never
    calls recv(). The server's writes stop making progress once both
    buffers are full. With --timeout 1 the server must give up on that
    connection: its descriptors (the socket and the open file) return to the
    idle count, and the client, once it reads, finds the connection closed
    (EOF or reset) long before the end of the file. Meanwhile other clients
    are served. step02 does this with SO_SNDTIMEO on the blocking socket;
    steps 03-05 with the connection's deadline, which only write progress
    moves on. Without either, the connection and its file stay open."""
    server = start_server(extra_args=["--timeout", "1"])
    baseline = server.fds()
    stalled = server.connect(rcvbuf=4096, timeout=10)
    try:
        stalled.send(build("/big.bin"))
        # The server holds the socket and the file while it writes.
        wait_until(lambda: server.fds() >= baseline + 2, 5,
                   message="the server never opened the connection and the file")
        # Others are served while the download is stalled (and after).
        for _ in range(3):
            resp = server.get("/page.html")
            assert resp.status == 200, resp
            assert resp.body == docroot.read("page.html")
        # The stalled connection is given up: the server closes its side.
        wait_until(lambda: server.fds() <= baseline, 10,
                   message=f"the server still holds the stalled download 10 s after "
                           f"--timeout 1 (fds {server.fds()}, idle {baseline})")
        # The client reads at last: what the buffers held, then EOF or reset.
        received = len(stalled.read_until_close(10))
        assert stalled.eof
        assert received < (docroot.path / "big.bin").stat().st_size, (
            f"the whole file arrived ({received} bytes): the server never stalled")
    finally:
        stalled.close()
    assert server.get("/page.html").status == 200
    assert server.alive()
