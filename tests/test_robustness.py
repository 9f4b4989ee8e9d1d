"""Clients that misbehave or arrive together: split writes, resets, early
hang-ups, many clients at once, restarts, and no leaked descriptors."""

import signal
import socket
import threading
import time

import pytest

import httpclient
from serverproc import wait_until

pytestmark = pytest.mark.cap("basic")

REQ = httpclient.build_request("/page.html", headers={"Connection": "close"})


def test_request_split_in_small_writes(server, docroot):
    with server.connect() as conn:
        conn.send(REQ, piece=7, pause=0.005)
        resp = conn.read_response()
    assert resp.status == 200, resp
    assert resp.body == docroot.read("page.html")


def test_request_sent_byte_by_byte(server, docroot):
    with server.connect() as conn:
        conn.send(REQ, piece=1, pause=0.002)
        resp = conn.read_response()
    assert resp.status == 200, resp
    assert resp.body == docroot.read("page.html")


@pytest.mark.parametrize("cut", [b"\r", b"\r\n", b"\r\n\r"], ids=["cr", "crlf", "crlfcr"])
def test_split_inside_the_blank_line(server, cut):
    """The end of the headers arrives in two reads, split inside CRLF CRLF."""
    head = REQ[:-4]
    with server.connect() as conn:
        conn.send(head + cut)
        assert not conn.readable_within(0.2), "answered before the request was complete"
        conn.send(b"\r\n\r\n"[len(cut):])
        resp = conn.read_response()
    assert resp.status == 200, resp


def test_bare_lf_request(server, docroot):
    resp = server.request(b"GET /page.html HTTP/1.1\nHost: test\nConnection: close\n\n")
    assert resp.status == 200, resp
    assert resp.body == docroot.read("page.html")


def test_body_split_across_writes(server):
    raw = (b"GET /page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
           b"Content-Length: 10\r\n\r\n0123456789")
    with server.connect() as conn:
        conn.send(raw, piece=5, pause=0.003)
        assert conn.read_response().status == 200


def _start_download(server):
    conn = server.connect(rcvbuf=32 * 1024)
    conn.send(httpclient.build_request("/big.bin", headers={"Connection": "close"}))
    deadline = time.monotonic() + 10
    while len(conn.buf) < 256 * 1024:
        assert conn._recv_some(deadline), "server closed the download early"
    return conn


def test_client_reset_mid_download_does_not_kill_the_server(server, docroot):
    """SO_LINGER 0 then close: an RST. The server's next write fails with EPIPE
    or ECONNRESET; SIGPIPE must be ignored."""
    for _ in range(3):
        _start_download(server).abort()
    resp = server.get("/page.html")
    assert resp.status == 200, resp
    assert server.alive()


def test_client_closing_mid_download_does_not_kill_the_server(server):
    for _ in range(3):
        _start_download(server).close()
    assert server.get("/page.html").status == 200
    assert server.alive()


def test_client_leaving_early_does_not_stop_the_server(server):
    with server.connect():
        pass  # connect and close without a byte
    with server.connect() as conn:
        conn.send(b"GET /page.html HTTP/1.1\r\nHo")  # half a request, then gone
    with server.connect() as conn:
        conn.send(REQ)
        conn.abort()  # a full request, then an RST before the answer
    resp = server.get("/page.html")
    assert resp.status == 200, resp


def test_fifty_parallel_clients_each_get_their_own_file(server, docroot):
    n = 50
    results = [None] * n
    barrier = threading.Barrier(n, timeout=10)

    def client(i):
        try:
            with server.connect(timeout=20) as conn:
                barrier.wait()
                resp = conn.request(httpclient.build_request(
                    f"/par/f{i:02d}.txt", headers={"Connection": "close"}), timeout=20)
            results[i] = resp
        except Exception as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "clients still waiting after 30 s"
    for i, resp in enumerate(results):
        assert isinstance(resp, httpclient.Response), f"client {i}: {resp!r}"
        assert resp.status == 200, f"client {i}: {resp!r}"
        assert resp.body == docroot.read(f"par/f{i:02d}.txt"), f"client {i} got another file"


def test_restart_on_the_same_port_at_once(start_server):
    """SO_REUSEADDR: the server-side TIME_WAIT left by a closed connection must
    not stop a new server from binding the same port."""
    first = start_server()
    port = first.port
    resp = first.get("/page.html")  # the server closes first: TIME_WAIT on its side
    assert resp.status == 200
    first.stop()
    second = start_server(port=port)
    assert second.port == port
    assert second.get("/page.html").status == 200


def test_no_descriptor_is_leaked(server):
    """After every kind of request and hang-up, the server's open fds return to
    the count it had when idle."""
    baseline = server.fds()
    raws = [
        REQ,
        httpclient.build_request("/page.html", "HEAD", headers={"Connection": "close"}),
        httpclient.build_request("/nope.html", headers={"Connection": "close"}),
        httpclient.build_request("/empty-dir/", headers={"Connection": "close"}),
        httpclient.build_request("/fifo", headers={"Connection": "close"}),
        httpclient.build_request("/link-outside.txt", headers={"Connection": "close"}),
        httpclient.build_request("/sub", headers={"Connection": "close"}),
        b"GET /page.html HTTP/1.1\r\n\r\n",
        b"NoColon\r\n\r\n",
        httpclient.build_request("/page.html", "DELETE", headers={"Connection": "close"}),
        httpclient.build_request("/page.html", version="HTTP/2.0"),
        httpclient.build_request("/" + "a" * 9000),
        httpclient.build_request("/page.html", headers={"Content-Length": "20000000"}),
    ]
    for _ in range(3):
        for raw in raws:
            with server.connect() as conn:
                conn.request(raw)
        _start_download(server).abort()
        with server.connect() as conn:
            conn.send(b"GET /page.html HTTP/1.1\r\nHo")
    # Equal, not at most: a server that closed its listening socket would
    # fall below. Polled, because a sanitizer runtime may hold a descriptor
    # of its own for a moment.
    wait_until(lambda: server.fds() == baseline, 10,
               message=f"open fds do not return to the idle count {baseline}")


def test_sigterm_stops_the_server(server):
    assert server.get("/page.html").status == 200
    rc = server.terminate(signal.SIGTERM, timeout=5)
    assert rc is not None, "still running 5 s after SIGTERM"
    assert rc in (0, -signal.SIGTERM), f"unexpected exit status {rc}"


def test_stdout_holds_only_the_listening_line(server):
    assert server.get("/page.html").status == 200
    assert server.get("/nope.html").status == 404
    server.terminate()
    assert server.read_stdout_rest() == b"", "stdout is only for the listening line"


def test_listening_line_names_the_default_host(start_server):
    """Without --host the server binds 127.0.0.1 and says so."""
    srv = start_server(host=None)
    assert srv.host == "127.0.0.1"
    assert srv.get("/page.html").status == 200


def test_host_option_binds_that_address(start_server):
    srv = start_server(host="127.0.0.2")
    assert srv.host == "127.0.0.2"
    resp = httpclient.fetch("127.0.0.2", srv.port, "/page.html")
    assert resp.status == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


def test_default_root_is_www_in_the_working_directory(start_server, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_bytes(b"<p>default root</p>\n")
    srv = start_server(root=False, cwd=tmp_path)
    resp = srv.get("/")
    assert resp.status == 200, resp
    assert resp.body == b"<p>default root</p>\n"
