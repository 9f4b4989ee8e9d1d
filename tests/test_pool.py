"""The poll pool (step03 on): N worker threads, each polling the shared
listening socket and its own connections, with a memory pool per connection
and timeouts computed from deadlines.

What these tests show: the thread count is set by --threads and never by
the number of clients; a thousand idle connections cost a descriptor each
and nothing else; a client that trickles its request does not hold up a
worker; deadlines close idle connections and answer unfinished requests
with 408; the pool bounds the request head (431); and, the limit of this
model, a stop is only noticed when each worker's poll() times out.
"""

import os
import resource
import signal
import socket
import subprocess
import time

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request

pytestmark = pytest.mark.cap("pool")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

@pytest.fixture
def many_fds():
    """Raise this test process's RLIMIT_NOFILE soft limit to the hard limit
    (the servers from step03 on raise their own); restored afterwards.
    Returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield want
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def need_fds(limit, count):
    if limit < count + 64:
        pytest.skip(f"RLIMIT_NOFILE hard limit {limit} is too low for {count} sockets")


def open_idle(srv, count, timeout=10.0):
    """count plain TCP connections that send nothing (not Connection objects:
    a thousand of them need no parser state). The caller closes them."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.settimeout(timeout)
            s.connect((srv.host, srv.port))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(items):
    for item in items:
        item.close()


def thread_names(pid):
    """The names (comm) of a process's threads, for a failure message."""
    names = []
    for task in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                names.append(f"{task}:{f.read().strip()}")
        except FileNotFoundError:
            pass
    return names


def timed_get(srv, path, timeout=5.0):
    """(seconds, response) for one request on a fresh connection."""
    start = time.monotonic()
    resp = srv.get(path, timeout=timeout)
    return time.monotonic() - start, resp


def wait_exit(srv, timeout):
    """Wait for a server we signalled ourselves. Returns its exit status, or
    None if it is still running (the fixture's teardown then stops it)."""
    try:
        srv.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
    return srv.terminate()  # already exited: marks it stopped, closes its pipes


# --------------------------------------------------------------------------
# The thread count is --threads, whatever the number of clients
# --------------------------------------------------------------------------

def test_pool_threads_stay_n_plus_one_with_200_keepalive_clients(start_server, docroot, many_fds):
    """--threads 2: two workers and the main thread, while 200 keep-alive
    clients are connected at once, each answered (twice: the connections
    really persist)."""
    need_fds(many_fds, 200)
    workers = 2
    srv = start_server(extra_args=["--threads", workers])
    assert srv.threads_named("worker-") == workers, thread_names(srv.pid)
    # N workers and main; a sanitizer runtime may add one of its own.
    n_plus_one = workers + 1 + srv.sanitizer_threads()
    assert srv.threads() <= n_plus_one, \
        (f"{srv.threads()} threads with --threads {workers}; want {workers} workers + main: "
         f"{thread_names(srv.pid)}")
    conns = []
    try:
        for _ in range(200):
            conns.append(srv.connect(timeout=10))
        for i, conn in enumerate(conns):
            conn.send(build(f"/par/f{i % 50:02d}.txt"))
        for i, conn in enumerate(conns):
            resp = conn.read_response()
            assert resp.status == 200, (i, resp)
            assert resp.body == docroot.read(f"par/f{i % 50:02d}.txt"), i
        assert srv.threads() <= n_plus_one, "threads grew with the clients"
        for i, conn in enumerate(conns):  # second round, same connections
            resp = conn.request(build("/notes.txt"))
            assert resp.status == 200, (i, resp)
            assert not resp.has_token("Connection", "close"), resp
        assert srv.threads() <= n_plus_one, "threads grew with the clients"
    finally:
        close_all(conns)
    assert srv.get("/page.html").status == 200
    assert srv.threads() <= n_plus_one


def test_pool_1000_idle_connections_do_not_delay_a_new_client(start_server, docroot, many_fds):
    """A thousand connections that never send a byte: each is one more fd in
    some worker's poll set, and a new client is still answered at once."""
    count = 1000
    need_fds(many_fds, count)
    srv = start_server(extra_args=["--threads", 2])
    baseline_fds, threads = srv.fds(), srv.threads()
    idle = open_idle(srv, count)
    try:
        wait_until(lambda: srv.fds() >= baseline_fds + count, 10,
                   message=f"server holds {srv.fds() - baseline_fds} of {count} connections")
        for path in ("/page.html", "/notes.txt", "/data.json"):
            elapsed, resp = timed_get(srv, path)
            assert resp.status == 200, resp
            assert resp.body == docroot.read(path[1:])
            assert elapsed < 1.0, f"{path} took {elapsed:.2f} s beside {count} idle connections"
        assert srv.threads() == threads, "threads grew with the clients"
        # The idle connections are real connections: a few of them now ask.
        for s in idle[::100]:
            s.sendall(build("/notes.txt"))
            conn_buf = b""
            deadline = time.monotonic() + 5
            while b"plain text notes\n" not in conn_buf:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                data = s.recv(65536)
                assert data, f"closed early: {conn_buf[:200]!r}"
                conn_buf += data
            assert conn_buf.startswith(b"HTTP/1.1 200 "), conn_buf[:100]
    finally:
        close_all(idle)
    wait_until(lambda: srv.fds() == baseline_fds, 10,
               message=f"fds {srv.fds()} did not return to {baseline_fds}")


def test_pool_slowloris_does_not_delay_another_client(start_server, docroot):
    """--threads 1, so both clients share the one worker: a client sending
    its header one byte every 0.2 s never makes the worker wait for it."""
    srv = start_server(extra_args=["--threads", 1, "--timeout", 10])
    slow_request = build("/page.html", headers={"X-Slow": "loris"})
    with srv.connect() as slow:
        slow.send(slow_request[:1])
        sent = 1
        worst = 0.0
        for i in range(12):  # 12 x 0.2 s: about 2.4 s of trickling
            pace = time.monotonic() + 0.2
            slow.send(slow_request[sent:sent + 1])
            sent += 1
            elapsed, resp = timed_get(srv, f"/par/f{i:02d}.txt")
            assert resp.status == 200, resp
            assert resp.body == docroot.read(f"par/f{i:02d}.txt")
            worst = max(worst, elapsed)
            assert not slow.readable_within(0), "the unfinished request was answered"
            time.sleep(max(0.0, pace - time.monotonic()))  # pacing, not synchronisation
        assert worst < 0.5, f"a request took {worst:.2f} s beside the slow client"
        slow.send(slow_request[sent:])
        resp = slow.read_response()
        assert resp.status == 200, resp
        assert resp.body == docroot.read("page.html")


# --------------------------------------------------------------------------
# Deadlines: idle timeout and 408
# --------------------------------------------------------------------------

def test_pool_idle_connections_closed_after_timeout(start_server):
    """--timeout 1: connections idle after a response, and connections that
    never sent a byte, are all closed by the server after about a second."""
    srv = start_server(extra_args=["--timeout", 1, "--threads", 2])
    baseline_fds = srv.fds()
    conns = []
    try:
        for i in range(10):
            conn = srv.connect()
            conns.append(conn)
            if i % 2 == 0:
                assert conn.request(build("/page.html")).status == 200
        start = time.monotonic()
        for conn in conns:
            assert conn.wait_closed(4), "an idle connection outlived --timeout 1"
            assert conn.buf == b"", f"unexpected bytes on an idle connection: {conn.buf[:200]!r}"
        elapsed = time.monotonic() - start
        assert elapsed >= 0.5, f"closed after {elapsed:.2f} s, before the 1 s timeout"
    finally:
        close_all(conns)
    wait_until(lambda: srv.fds() == baseline_fds, 5,
               message=f"fds {srv.fds()} did not return to {baseline_fds}")
    assert srv.get("/page.html").status == 200


def test_pool_half_finished_request_gets_408(start_server):
    """A request started but not finished by the deadline is answered 408
    (Connection: close) and the connection is closed; the server goes on."""
    srv = start_server(extra_args=["--timeout", 1])
    with srv.connect() as conn:
        conn.send(b"GET /page.html HTTP/1.1\r\nHost: t\r\nX-Unfinished: ")
        start = time.monotonic()
        resp = conn.read_response(timeout=4)
        elapsed = time.monotonic() - start
        assert resp.status == 408, resp
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(3), "the connection stayed open after 408"
    assert 0.5 <= elapsed < 3.0, f"408 after {elapsed:.2f} s with --timeout 1"
    assert srv.get("/page.html").status == 200


# --------------------------------------------------------------------------
# The memory pool bounds the request head
# --------------------------------------------------------------------------

def test_pool_head_larger_than_half_the_pool_gets_431(start_server, docroot):
    """--pool-size 4096: half of it (2048 bytes) holds the request head. A
    3000-byte head gets 431 and a closed connection; a 1500-byte one is
    served; so is a 3000-byte head with the default pool; the server keeps
    serving throughout."""
    srv = start_server(extra_args=["--pool-size", 4096])
    small = build("/page.html", headers={"X-Pad": "a" * (1500 - 60)})
    large = build("/page.html", headers={"X-Pad": "a" * 3000})
    assert len(small) < 2048 < 3000 < len(large) < 16 * 1024

    with srv.connect() as conn:
        resp = conn.request(small)
        assert resp.status == 200, resp
        assert resp.body == docroot.read("page.html")
        resp = conn.request(large)  # on a connection that served a request
        assert resp.status == 431, resp
        assert resp.has_token("Connection", "close"), resp
        assert conn.wait_closed(3), "the connection stayed open after 431"
    with srv.connect() as conn:  # as the first request of a connection
        resp = conn.request(large)
        assert resp.status == 431, resp
        assert conn.wait_closed(3)
    for _ in range(3):
        assert srv.get("/page.html").status == 200

    default = start_server()
    with default.connect() as conn:
        resp = conn.request(large)
        assert resp.status == 200, f"a 3000-byte head with the default pool: {resp}"


@pytest.mark.parametrize("count,pool", [(50, None), (100, 4096)],
                         ids=["50-default-pool", "100-pool-4096"])
def test_pool_pipelined_requests_in_one_packet_answered_in_order(start_server, docroot,
                                                                 count, pool):
    """All the requests arrive in one write (one packet on loopback, under
    the MSS): every one is answered, in order. With --pool-size 4096 the
    burst is larger than the pool's read buffer although each head is small:
    the server must take it in pieces, never answer 431."""
    srv = start_server(extra_args=[] if pool is None else ["--pool-size", pool])
    names = [f"par/f{i % 50:02d}.txt" for i in range(count)]
    burst = b"".join(build("/" + n) for n in names)
    assert len(burst) < 16 * 1024
    with srv.connect() as conn:
        conn.send(burst)
        for i, name in enumerate(names):
            resp = conn.read_response()
            assert resp.status == 200, (i, resp)
            assert resp.body == docroot.read(name), f"response {i}: out of order, wanted {name}"
        assert not conn.readable_within(0.2), f"extra bytes after {count} responses"


# --------------------------------------------------------------------------
# The model's limit: a stop waits for a poll timeout (step03 only)
# --------------------------------------------------------------------------

@pytest.mark.without_cap("itc")
def test_pool_model_stop_waits_for_the_poll_timeout(start_server):
    """step03: nothing wakes a worker from poll(), so SIGTERM is noticed only
    when each worker's poll() times out (at most 1 s later). The stop takes
    some time, up to about a second, never the 5 s of a hang. (step04 wakes
    the workers at once: test_itc_stop_is_immediate_with_20_idle_clients.)"""
    srv = start_server(extra_args=["--threads", 4])
    with srv.connect() as conn:
        assert conn.request(build("/page.html")).status == 200
        start = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = wait_exit(srv, 5)
        elapsed = time.monotonic() - start
        assert rc == 0, f"exit status {rc} (None: still running after 5 s)"
        assert conn.wait_closed(2), "the idle client's connection is still open"
    assert 0 < elapsed <= 2.5, f"stop took {elapsed:.2f} s; the poll timeout is 1 s"
