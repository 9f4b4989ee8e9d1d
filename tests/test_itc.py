"""Inter-thread communication (step04 on): an eventfd (a "Waker") in every
worker's poll set, so another thread can wake a worker at once.

What these tests show: SIGTERM stops the server at once, closing idle
connections while a response in flight still finishes; SIGUSR1 quiesces
(the listening socket closes, open connections go on); a suspended request
frees its worker and resumes later (/api/delay, /api/wait + /api/release);
and an idle worker never wakes up. Where the step03 contrast is the point,
a test for step03 (pool without itc) shows the other side.
"""

import errno
import hashlib
import os
import signal
import socket
import subprocess
import time

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def wait_exit(srv, timeout):
    """Wait for a server we signalled ourselves. Returns its exit status, or
    None if it is still running (the fixture's teardown then stops it)."""
    try:
        srv.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None
    return srv.terminate()  # already exited: marks it stopped, closes its pipes


def context_switches(pid):
    """Voluntary plus involuntary context switches of the worker threads
    (named "worker-N"): each wake-up of a sleeping thread counts at least one.
    Other threads (a sanitizer runtime's, the main thread) are left out."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                if not f.read().startswith("worker-"):
                    continue
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that just ended
    return total


def settle(pid, quiet=0.3, timeout=5.0):
    """Wait until the server's threads have gone to sleep after starting:
    no context switch for `quiet` seconds (bounded by timeout). Returns the
    count then. Used before an observation window, not as synchronisation
    with a client."""
    deadline = time.monotonic() + timeout
    last = context_switches(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = context_switches(pid)
        if now == last:
            return now
        last = now
    return last


WINDOW = 3.0  # seconds of observed idleness


def wakeups_while_idle(srv):
    """Context switches of an idle server (no clients) during WINDOW seconds."""
    before = settle(srv.pid)
    time.sleep(WINDOW)  # the observation window, not synchronisation
    return context_switches(srv.pid) - before


def connect_refused(srv):
    """True if a new connect() to the server is refused (ECONNREFUSED)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        err = s.connect_ex((srv.host, srv.port))
    except socket.timeout:
        return False
    finally:
        s.close()
    return err == errno.ECONNREFUSED


# --------------------------------------------------------------------------
# Stop is immediate, in-flight responses finish
# --------------------------------------------------------------------------

@pytest.mark.cap("itc")
def test_itc_stop_is_immediate_with_20_idle_clients(start_server):
    """SIGTERM wakes every worker through its Waker: exit 0 in < 0.5 s, and
    the 20 idle keep-alive connections are closed by the server. (step03
    needs up to a poll timeout: test_pool_model_stop_waits_for_the_poll_timeout.)"""
    srv = start_server(extra_args=["--threads", 4])
    conns = []
    try:
        for i in range(20):
            conn = srv.connect()
            conns.append(conn)
            assert conn.request(build(f"/par/f{i:02d}.txt")).status == 200
        start = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = wait_exit(srv, 5)
        elapsed = time.monotonic() - start
        assert rc == 0, f"exit status {rc} (None: still running after 5 s)"
        assert elapsed < 0.5, f"stop took {elapsed:.2f} s with 20 idle clients"
        for i, conn in enumerate(conns):
            assert conn.wait_closed(1), f"idle connection {i} still open after the stop"
            assert conn.buf == b"", f"connection {i} got bytes at stop: {conn.buf[:200]!r}"
    finally:
        for conn in conns:
            conn.close()


@pytest.mark.cap("itc")
def test_itc_download_in_flight_during_stop_arrives_whole(server, docroot):
    """A 20 MiB response in flight when SIGTERM arrives still finishes
    (the stop's grace is 5 s), at full speed, byte for byte; then the
    server exits 0."""
    with server.connect(rcvbuf=64 * 1024, timeout=10) as conn:
        conn.send(build("/big.bin"))
        assert conn.readable_within(5), "the download did not start"
        start = time.monotonic()
        server.send_signal(signal.SIGTERM)
        resp = conn.read_response(timeout=5)
        elapsed = time.monotonic() - start
        assert resp.status == 200, resp
        assert len(resp.body) == len(docroot.read("big.bin"))
        assert hashlib.sha256(resp.body).hexdigest() == docroot.big_sha256
        assert elapsed < 3.0, f"the rest of the download took {elapsed:.2f} s after SIGTERM"
        assert conn.wait_closed(2), "the connection stayed open after the stop"
    rc = wait_exit(server, 5)
    assert rc == 0, f"exit status {rc} (None: still running 5 s after the download)"


# --------------------------------------------------------------------------
# Quiesce: SIGUSR1 closes the listening socket, open connections go on
# --------------------------------------------------------------------------

@pytest.mark.cap("itc")
def test_itc_quiesce_refuses_new_connections_and_serves_open_ones(server, docroot):
    with server.connect() as kept:
        assert kept.request(build("/page.html")).status == 200
        server.send_signal(signal.SIGUSR1)
        wait_until(lambda: connect_refused(server), 3, interval=0.02,
                   message="new connections still accepted 3 s after SIGUSR1")
        for name in ("notes.txt", "data.json"):
            resp = kept.request(build("/" + name))
            assert resp.status == 200, resp
            assert resp.body == docroot.read(name)
        assert connect_refused(server), "the listening socket came back"
        assert server.alive(), "SIGUSR1 ended the server"
    rc = server.terminate(signal.SIGTERM, timeout=2)
    assert rc == 0, f"exit status {rc} after quiesce (None: still running after 2 s)"


# --------------------------------------------------------------------------
# Suspend and resume
# --------------------------------------------------------------------------

@pytest.mark.cap("itc")
def test_itc_suspended_delay_does_not_block_its_worker(start_server, docroot):
    """--threads 1: while /api/delay?ms=1500 waits, the one worker serves
    another connection at once; the delayed request resumes after 1.5 s."""
    srv = start_server(extra_args=["--threads", 1])
    with srv.connect() as delayed, srv.connect() as other:
        start = time.monotonic()
        delayed.send(build("/api/delay?ms=1500"))
        assert not delayed.readable_within(0.1), "answered before the delay"
        t0 = time.monotonic()
        resp = other.request(build("/"), timeout=5)
        other_elapsed = time.monotonic() - t0
        assert resp.status == 200, resp
        assert resp.body == docroot.read("index.html")
        assert other_elapsed < 0.5, f"GET / took {other_elapsed:.2f} s beside a suspended request"
        resp = delayed.read_response(timeout=5)
        delay_elapsed = time.monotonic() - start
        assert resp.status == 200, resp
        assert resp.body == b"waited 1500 ms\n", resp
        assert delay_elapsed >= 1.4, f"answered after {delay_elapsed:.2f} s, before 1.5 s"
        assert delay_elapsed < 3.0, f"answered after {delay_elapsed:.2f} s"
        # The connection resumed as a normal keep-alive connection.
        assert delayed.request(build("/page.html")).status == 200


@pytest.mark.cap("itc")
def test_itc_long_poll_answered_only_after_release(server):
    with server.connect() as waiter, server.connect() as releaser:
        waiter.send(build("/api/wait"))
        assert not waiter.readable_within(0.5), "/api/wait answered before /api/release"
        resp = releaser.request(build("/api/release"))
        assert resp.status == 200, resp
        assert resp.body == b"released 1\n", resp
        resp = waiter.read_response(timeout=3)
        assert resp.status == 200, resp
        assert resp.body == b"released\n", resp
        # Nobody is waiting any more.
        assert releaser.request(build("/api/release")).body == b"released 0\n"
        assert waiter.request(build("/page.html")).status == 200


@pytest.mark.cap("itc")
def test_itc_stop_answers_a_parked_request_503(server):
    with server.connect() as waiter:
        waiter.send(build("/api/wait"))
        assert not waiter.readable_within(0.5), "/api/wait answered before anything happened"
        start = time.monotonic()
        server.send_signal(signal.SIGTERM)
        resp = waiter.read_response(timeout=3)
        assert resp.status == 503, resp
        assert resp.has_token("Connection", "close"), resp
        assert waiter.wait_closed(2)
    rc = wait_exit(server, 5)
    elapsed = time.monotonic() - start
    assert rc == 0, f"exit status {rc} (None: still running after 5 s)"
    assert elapsed < 1.0, f"stop with a parked request took {elapsed:.2f} s"


# --------------------------------------------------------------------------
# Idle wake-ups: none with itc, one a second per worker without
# --------------------------------------------------------------------------

@pytest.mark.cap("itc")
def test_itc_idle_server_does_not_wake_up(start_server):
    """No clients, nothing due: every worker sleeps in poll() with no
    timeout until a client or its Waker wakes it."""
    srv = start_server(extra_args=["--threads", 4])
    woke = wakeups_while_idle(srv)
    assert woke <= 3, f"{woke} context switches in {WINDOW} s of idleness"


@pytest.mark.cap("pool")
@pytest.mark.without_cap("itc")
def test_pool_model_idle_workers_wake_every_second(start_server):
    """step03, the other side: with no Waker, a worker must wake up to look
    for a stop request, once a second, even with nothing to do."""
    srv = start_server(extra_args=["--threads", 4])
    woke = wakeups_while_idle(srv)
    assert woke >= 4, f"only {woke} context switches in {WINDOW} s; step03 workers poll each second"
