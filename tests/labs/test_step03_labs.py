"""Labs of step03 (docs/labs.md): a connection cap per worker, SO_REUSEPORT,
and epoll instead of poll.

    STEPHTTPD_LABS=step03-epoll /usr/bin/python3 -m pytest tests/labs --step 3
"""

import os
import platform
import resource
import socket

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request


def socket_inodes(pid):
    """The inode numbers of the sockets a process holds."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def listening_inodes(port):
    """Inodes of the IPv4 TCP sockets in LISTEN state on port (/proc/net/tcp)."""
    out = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == "0A" and int(local.split(":")[1], 16) == port:
                out.add(inode)
    return out


def fd_targets(pid):
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return out


def worker_tids(pid):
    """Thread ids of the workers (threads named worker-N; if none is named
    so, every thread but the main one)."""
    named, others = [], []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except FileNotFoundError:
            continue
        if comm.startswith("worker"):
            named.append(int(tid))
        elif int(tid) != pid:
            others.append(int(tid))
    return named or others


# --------------------------------------------------------------------------
# step03-per-worker-cap: --max-connections-per-worker N, 503 beyond it
# --------------------------------------------------------------------------

@pytest.mark.lab("step03-per-worker-cap")
def test_per_worker_cap_answers_503_and_keeps_the_others(start_server):
    srv = start_server(extra_args=["--threads", 1, "--max-connections-per-worker", 10,
                                   "--timeout", 30])
    conns = [srv.connect() for _ in range(10)]
    try:
        for conn in conns:
            assert conn.get("/page.html").status == 200
        with srv.connect() as extra:
            resp = extra.get("/page.html")
            assert resp.status == 503, f"the 11th client of a worker capped at 10: {resp!r}"
            assert resp.has_token("Connection", "close"), resp
            assert extra.wait_closed(5), "a refused client is closed"
        for conn in conns:
            assert conn.get("/page.html").status == 200, "the 10 open connections are still served"
        conns.pop().close()

        def next_client_served():
            return srv.get("/page.html").status == 200
        wait_until(next_client_served, 5, interval=0.1,
                   message="after one of the 10 left, a new client is still refused")
    finally:
        for conn in conns:
            conn.close()


# --------------------------------------------------------------------------
# step03-reuseport: one listening socket per worker (SO_REUSEPORT)
# --------------------------------------------------------------------------

@pytest.mark.lab("step03-reuseport")
def test_reuseport_one_listening_socket_per_worker_and_no_lost_races(start_server):
    """N listening sockets on the port, and not one 'EAGAIN: another worker
    was faster' in the trace: the kernel hands each client to one socket, so
    only its worker wakes. (Without SO_REUSEPORT the herd shows only now and
    then, so the socket count is the sure sign.)"""
    n = 4
    srv = start_server(extra_args=["--threads", n, "--trace"])
    mine = socket_inodes(srv.pid) & listening_inodes(srv.port)
    assert len(mine) == n, (f"--threads {n}: want {n} listening sockets on port {srv.port} "
                            f"(one per worker, SO_REUSEPORT), the server holds {len(mine)}")
    for i in range(100):
        assert srv.get(f"/par/f{i % 50:02d}.txt").status == 200
    srv.stop()
    lost = [line for line in srv.stderr_text().splitlines() if "EAGAIN" in line]
    assert not lost, (f"{len(lost)} lost accept races (the thundering herd) in 100 "
                      f"connections: {lost[:5]}")


# --------------------------------------------------------------------------
# step03-epoll: every worker waits in epoll_wait, not poll
# --------------------------------------------------------------------------

# System call numbers (the first field of /proc/PID/task/TID/syscall).
EPOLL_WAITS = {"x86_64": {232, 281, 441}, "aarch64": {22, 441}}
POLLS = {"x86_64": {7, 271}, "aarch64": {73}}


@pytest.fixture
def many_fds():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield want
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.lab("step03-epoll")
def test_epoll_one_epoll_set_per_worker(start_server):
    n = 3
    srv = start_server(extra_args=["--threads", n])
    epolls = [t for t in fd_targets(srv.pid) if t == "anon_inode:[eventpoll]"]
    assert len(epolls) >= n, (f"--threads {n}: want an epoll descriptor per worker, "
                              f"found {len(epolls)}")


@pytest.mark.lab("step03-epoll")
def test_epoll_idle_workers_sleep_in_epoll_wait_with_many_clients(start_server, many_fds):
    arch = platform.machine()
    if arch not in EPOLL_WAITS:
        pytest.skip(f"no system call table for {arch}")
    count = min(500, many_fds - 64)
    srv = start_server(extra_args=["--threads", 2, "--timeout", 60])
    socks = []
    try:
        for _ in range(count):
            socks.append(socket.create_connection((srv.host, srv.port), timeout=10))
        with srv.connect() as conn:
            for _ in range(3):  # keep-alive still works with many idle neighbours
                assert conn.get("/page.html").status == 200

        def waits():
            calls = {}
            for tid in worker_tids(srv.pid):
                try:
                    with open(f"/proc/{srv.pid}/task/{tid}/syscall") as f:
                        first = f.read().split()[0]
                except (FileNotFoundError, PermissionError, IndexError):
                    continue
                if first.isdigit():
                    calls[tid] = int(first)
            return calls if calls and all(c in EPOLL_WAITS[arch] | POLLS[arch]
                                          for c in calls.values()) else None
        calls = wait_until(waits, 5, message="the workers never settled in a wait")
        in_poll = [tid for tid, c in calls.items() if c in POLLS[arch]]
        assert not in_poll, (f"workers {in_poll} still sleep in poll/ppoll "
                             f"(system calls {calls}); want epoll_wait")
    finally:
        for s in socks:
            s.close()
