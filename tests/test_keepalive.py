"""Connection handling: one request per connection (step01), persistent and
pipelined connections (step02 on), and the idle timeout."""

import time

import pytest

import httpclient

build = httpclient.build_request


# -- oneshot (step01) ---------------------------------------------------------

@pytest.mark.cap("oneshot")
@pytest.mark.parametrize("headers", [{}, {"Connection": "keep-alive"}], ids=["plain", "keep-alive"])
def test_oneshot_closes_after_one_response(server, headers):
    with server.connect() as conn:
        resp = conn.request(build("/page.html", headers=headers))
        assert resp.status == 200
        assert resp.has_token("Connection", "close"), "a closing response says Connection: close"
        assert conn.wait_closed(5), "the connection stayed open"
        assert conn.buf == b""


@pytest.mark.cap("oneshot")
def test_oneshot_answers_only_the_first_pipelined_request(server):
    with server.connect() as conn:
        conn.send(build("/page.html") + build("/notes.txt"))
        first = conn.read_response()
        assert first.status == 200
        rest = conn.read_until_close(5)
    assert b"HTTP/1.1" not in rest, "a second response on a one-shot connection"


@pytest.mark.cap("oneshot")
@pytest.mark.parametrize("path", ["/nope.html", "/sub", "/empty-dir/"])
def test_oneshot_says_close_on_every_status(server, path):
    with server.connect() as conn:
        resp = conn.request(build(path))
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(5)


# -- keepalive (step02 on) ----------------------------------------------------

@pytest.mark.cap("keepalive")
def test_two_requests_on_one_connection(server, docroot):
    with server.connect() as conn:
        first = conn.request(build("/page.html"))
        assert first.status == 200
        assert not first.has_token("Connection", "close"), first
        second = conn.request(build("/notes.txt"))
        assert second.status == 200
        assert second.body == docroot.read("notes.txt")


@pytest.mark.cap("keepalive")
def test_pipelined_requests_answered_in_order(server, docroot):
    names = ["page.html", "notes.txt", "data.json"]
    with server.connect() as conn:
        conn.send(b"".join(build("/" + n) for n in names))
        for n in names:
            resp = conn.read_response()
            assert resp.status == 200, resp
            assert resp.body == docroot.read(n), f"out of order: wanted {n}"


@pytest.mark.cap("keepalive")
def test_pipelined_mixed_methods_and_statuses(server, docroot):
    reqs = [("GET", "/page.html", 200), ("HEAD", "/image.png", 200), ("GET", "/nope", 404),
            ("GET", "/sub", 301), ("HEAD", "/nope", 404), ("GET", "/notes.txt", 200)]
    with server.connect() as conn:
        conn.send(b"".join(build(p, m) for m, p, _ in reqs))
        for method, path, status in reqs:
            resp = conn.read_response(method)
            assert (resp.status, path) == (status, path), resp
        assert resp.body == docroot.read("notes.txt")


@pytest.mark.cap("keepalive")
def test_pipelined_requests_with_bodies(server, docroot):
    raw = (build("/page.html", headers={"Content-Length": "5"}, body=b"hello")
           + build("/notes.txt", headers={"Transfer-Encoding": "chunked"},
                   body=b"3\r\nabc\r\n0\r\n\r\n")
           + build("/data.json"))
    with server.connect() as conn:
        conn.send(raw)
        for n in ["page.html", "notes.txt", "data.json"]:
            resp = conn.read_response()
            assert resp.status == 200, resp
            assert resp.body == docroot.read(n)


@pytest.mark.cap("keepalive")
def test_many_requests_on_one_connection(server):
    with server.connect() as conn:
        for i in range(100):
            assert conn.request(build(f"/par/f{i % 50:02d}.txt")).status == 200


@pytest.mark.cap("keepalive")
def test_big_body_then_next_request(server, docroot):
    with server.connect(timeout=20) as conn:
        big = conn.request(build("/big.bin"))
        assert len(big.body) == 20 * 1024 * 1024
        assert conn.request(build("/page.html")).body == docroot.read("page.html")


@pytest.mark.cap("keepalive")
def test_http10_closes_by_default(server):
    with server.connect() as conn:
        resp = conn.request(build("/page.html", version="HTTP/1.0"))
        assert resp.status == 200
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(5), "an HTTP/1.0 connection stayed open"


@pytest.mark.cap("keepalive")
def test_http10_keep_alive_stays_open(server):
    with server.connect() as conn:
        resp = conn.request(build("/page.html", version="HTTP/1.0",
                                  headers={"Connection": "keep-alive"}))
        assert resp.status == 200
        assert resp.has_token("Connection", "keep-alive"), resp
        again = conn.request(build("/notes.txt", version="HTTP/1.0",
                                   headers={"Connection": "keep-alive"}))
        assert again.status == 200


@pytest.mark.cap("keepalive")
@pytest.mark.parametrize("value", ["close", "Close", "keep-alive, close"])
def test_connection_close_closes_after_the_response(server, value):
    with server.connect() as conn:
        conn.send(build("/page.html", headers={"Connection": value}) + build("/notes.txt"))
        resp = conn.read_response()
        assert resp.status == 200
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(5), "still open after Connection: close"
        assert b"HTTP/1.1" not in conn.buf, "answered a request after Connection: close"


@pytest.mark.cap("keepalive")
@pytest.mark.parametrize("path,status", [("/nope.html", 404), ("/empty-dir/", 403),
                                         ("/link-outside.txt", 403), ("/sub", 301)])
def test_connection_stays_open_after(server, path, status):
    with server.connect() as conn:
        resp = conn.request(build(path))
        assert resp.status == status
        assert not resp.has_token("Connection", "close"), resp
        assert conn.request(build("/page.html")).status == 200


@pytest.mark.cap("keepalive")
@pytest.mark.parametrize("bad", [
    b"GET /page.html HTTP/1.1\r\nNoColon\r\n\r\n",
    b"GET /page.html HTTP/1.1\r\n\r\n",
    b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /page.html HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
], ids=["no-colon", "no-host", "bad-percent", "bad-length"])
def test_connection_closes_after_a_400(server, bad):
    with server.connect() as conn:
        conn.send(bad + build("/page.html"))
        resp = conn.read_response()
        assert resp.status == 400, resp
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(5), "still open after a 400"
        assert b"HTTP/1.1" not in conn.buf, "answered what followed a malformed request"


# -- timeout (step02 on) ------------------------------------------------------

def _closed_after(conn, limit):
    start = time.monotonic()
    assert conn.wait_closed(limit), f"not closed within {limit} s"
    return time.monotonic() - start


@pytest.mark.cap("timeout")
def test_idle_connection_after_a_response_times_out(start_server):
    srv = start_server(extra_args=["--timeout", "1"])
    with srv.connect() as conn:
        assert conn.request(build("/page.html")).status == 200
        elapsed = _closed_after(conn, 5)
    assert elapsed >= 0.5, f"closed after {elapsed:.2f} s; the timeout is 1 s"


@pytest.mark.cap("timeout")
def test_silent_connection_times_out(start_server):
    srv = start_server(extra_args=["--timeout", "1"])
    with srv.connect() as conn:
        _closed_after(conn, 5)
    assert srv.get("/page.html").status == 200


@pytest.mark.cap("timeout")
def test_half_sent_request_times_out(start_server):
    srv = start_server(extra_args=["--timeout", "1"])
    with srv.connect() as conn:
        conn.send(b"GET /page.html HTTP/1.1\r\nHost: t\r\n")
        _closed_after(conn, 5)
    assert srv.get("/page.html").status == 200


@pytest.mark.cap("timeout")
def test_activity_resets_the_idle_timer(start_server):
    """Requests 0.6 s apart on a --timeout 1 connection: it is never idle for 1 s."""
    srv = start_server(extra_args=["--timeout", "1"])
    with srv.connect() as conn:
        for _ in range(3):
            assert conn.request(build("/page.html")).status == 200
            assert not conn.readable_within(0.6), "closed while it was not idle for 1 s"
        assert conn.request(build("/page.html")).status == 200
