"""Nothing is left behind: one server, a mixed workload, then the server's
open descriptors, threads and child processes return to what it had idle.

Each step gets one server. Its baseline is read from /proc (fds, the tasks
of /proc/PID/task, the processes whose parent it is). Then one workload goes
through that server: every raw request in tests/cases/, keep-alive and
pipelined requests where the step has them, clients that reset (RST) in the
middle of a request or of a response, clients that send half a head and
leave, a few clients at once, and in step05 CGI programs, one of them killed
by --cgi-timeout and one whose client leaves while it runs. Every client
leaves by itself (FIN or RST): no server timeout is needed to clean up, so
the wait for the baseline is shorter than --timeout.

The same check, for minutes instead of seconds, is `make soak` (tools/soak).
"""

import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

import httpclient
from cgi_fixtures import children_of, make_cgi_site
from serverproc import wait_until
from test_cases import load_cases

pytestmark = pytest.mark.cap("basic")

build = httpclient.build_request

SETTLE = 10  # seconds to get back to the baseline; below the default --timeout (15)
CLIENTS = 6  # concurrent clients
DOWNLOAD_PART = 256 * 1024  # bytes a resetting client reads of big.bin


def snapshot(pid):
    """(open fds, threads, child processes) of pid, from /proc."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return fds, threads, len(children_of(pid))


def thread_report(pid):
    """Each thread's name and what it waits in (wchan), for a failure message."""
    out = []
    for task in sorted(os.listdir(f"/proc/{pid}/task")):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{task}/wchan") as f:
                wchan = f.read().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out.append(f"{name}:{wchan or '-'}")
    return " ".join(out)


def describe(numbers):
    fds, threads, children = numbers
    return f"fds {fds}, threads {threads}, children {children}"


def mirror(src, dest):
    """A copy of the generated root that costs no disk space: hard links for
    files, the same symlinks (those leading outside still do), new FIFOs."""
    for dirpath, dirnames, filenames in os.walk(src):
        here = dest / Path(dirpath).relative_to(src)
        here.mkdir(parents=True, exist_ok=True)
        for name in dirnames + filenames:
            source, target = Path(dirpath) / name, here / name
            mode = source.lstat().st_mode
            if stat.S_ISLNK(mode):
                os.symlink(os.readlink(source), target)
            elif stat.S_ISFIFO(mode):
                os.mkfifo(target)
            elif stat.S_ISREG(mode):
                try:
                    os.link(source, target)
                except OSError:  # another file system
                    shutil.copy2(source, target)


@pytest.fixture
def leak_server(target, start_server, docroot, tmp_path):
    """The server under test, and for a CGI step the CGI site whose programs
    it runs. A CGI step gets a copy of the generated root with the suite's
    CGI programs in its cgi-bin/ (the session's root is shared: never
    written to)."""
    if not target.has("cgi"):
        return start_server(), None
    site = make_cgi_site(tmp_path / "cgi")
    root = tmp_path / "root"
    mirror(docroot.path, root)
    for program in site.cgi_bin.iterdir():
        shutil.copy2(program, root / "cgi-bin" / program.name)
    return start_server(root=root, extra_args=["--cgi-timeout", "1"]), site


# --------------------------------------------------------------------------
# The clients of the workload
# --------------------------------------------------------------------------

def replay_cases(server, cases, caps):
    """Every raw request case that this server's capabilities allow."""
    for case in cases:
        if not set(case.needs) <= caps:
            continue
        with server.connect() as conn:
            conn.send(case.raw)
            resp = conn.read_response(case.method)
            assert 100 <= resp.status <= 599, f"{case.name}: {resp!r}"


def download_then_leave(server, how, held):
    """Read part of big.bin through a small buffer, then reset (RST) or close
    (FIN) with the rest still being written. held(): the server's numbers
    while the response is in flight, to show the workload costs something."""
    conn = server.connect(rcvbuf=32 * 1024)
    try:
        conn.send(build("/big.bin"))
        deadline = time.monotonic() + 10
        while len(conn.buf) < DOWNLOAD_PART:
            assert conn._recv_some(deadline), "the server closed the download early"
        held()
    finally:
        if how == "reset":
            conn.abort()
        else:
            conn.close()


def leave_mid_request(server):
    """Half a head, then FIN; half a head, then RST; nothing, then FIN; a
    whole request, then RST before the answer is read."""
    with server.connect() as conn:
        conn.send(b"GET /page.html HTTP/1.1\r\nHo")
    conn = server.connect()
    conn.send(b"GET /page.html HTTP/1.1\r\nHost: test\r\nX-Half: ")
    conn.abort()
    with server.connect():
        pass
    conn = server.connect()
    conn.send(build("/page.html"))
    conn.abort()
    conn = server.connect()
    conn.send(build("/page.html", method="POST", headers={"Content-Length": "1000"}) + b"part")
    conn.abort()


def keepalive_and_pipelined(server, docroot):
    """Several requests on one connection, then a pipeline whose last
    request is cut short by an RST."""
    with server.connect() as conn:
        for path, method, status in [("/page.html", "GET", 200), ("/notes.txt", "HEAD", 200),
                                     ("/nope.html", "GET", 404), ("/sub", "GET", 301),
                                     ("/random-64k.bin", "GET", 200), ("/page.html", "DELETE", 501)]:
            resp = conn.get(path, method=method)
            assert resp.status == status, f"{method} {path}: {resp!r}"
        body = b"0123456789" * 10
        resp = conn.request(build("/page.html", method="GET",
                                  headers={"Content-Length": str(len(body))}, body=body))
        assert resp.status == 200, resp
    names = ["page.html", "notes.txt", "data.json", "style.css"]
    with server.connect() as conn:
        conn.send(b"".join(build(f"/{n}") for n in names))
        for n in names:
            resp = conn.read_response()
            assert resp.status == 200 and resp.body == docroot.read(n), f"{n}: {resp!r}"
    conn = server.connect()
    conn.send(build("/page.html") + build("/big.bin") + b"GET /page.html HTTP/1.1\r\nHo")
    conn.read_response()
    conn.abort()


def concurrent_clients(server, keepalive, held):
    """CLIENTS threads at once, each a few requests and a download it
    leaves. Returns the errors (an empty list when all went well)."""
    errors = []
    start = threading.Barrier(CLIENTS, timeout=10)

    def client(i):
        try:
            start.wait()
            for round_ in range(3):
                if keepalive:
                    with server.connect(timeout=20) as conn:
                        for j in range(3):
                            resp = conn.get(f"/par/f{(i * 7 + j) % 50:02d}.txt")
                            assert resp.status == 200, resp
                else:
                    resp = server.get(f"/par/f{i:02d}.txt", timeout=20)
                    assert resp.status == 200, resp
                download_then_leave(server, "reset" if (i + round_) % 2 else "close", held)
        except Exception as e:  # reported by the caller
            errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if any(t.is_alive() for t in threads):
        errors.append("clients still running after 60 s")
    return errors


def cgi_programs(server, site):
    """Programs that finish, one killed by --cgi-timeout 1 (504), one whose
    client leaves (RST) while it sleeps, and one whose output the client
    stops reading and resets."""
    with server.connect() as conn:
        for path in ["/cgi-bin/hello.sh", "/cgi-bin/env.py", "/cgi-bin/nolength.sh",
                     "/cgi-bin/status.sh", "/cgi-bin/local-redirect.sh", "/cgi-bin/crash.sh",
                     "/cgi-bin/noexec.sh", "/cgi-bin/missing.sh"]:
            resp = conn.get(path)
            assert resp.status in (200, 403, 404, 502), f"{path}: {resp!r}"
        resp = conn.request(build("/cgi-bin/echo.py", method="POST",
                                  headers={"Content-Length": "70000"}, body=b"x" * 70000))
        assert resp.status == 200 and resp.header("X-Body-Length") == "70000", resp
    token = f"leak-timeout-{os.getpid()}-{time.monotonic_ns()}"
    with server.connect() as conn:
        resp = conn.request(build(f"/cgi-bin/sleep.sh?{token}"), timeout=8)
        assert resp.status == 504, resp
    token = f"leak-abandon-{os.getpid()}-{time.monotonic_ns()}"
    conn = server.connect()
    try:
        conn.send(build(f"/cgi-bin/sleep.sh?{token}"))
        site.wait_pids(token)
        assert children_of(server.pid), "the abandoned program is not the server's child"
    finally:
        conn.abort()
    conn = server.connect(rcvbuf=16 * 1024)
    try:
        conn.send(build("/cgi-bin/big.py"))
        deadline = time.monotonic() + 10
        while len(conn.buf) < 128 * 1024:
            assert conn._recv_some(deadline), "the server closed the CGI output early"
    finally:
        conn.abort()


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def test_nothing_leaks_under_a_mixed_workload(leak_server, target, docroot):
    """After the whole workload, the server's fds, threads and children come
    back to their idle counts within SETTLE seconds (below the default
    --timeout, so only the clients' own hang-ups can free them). The counts
    are also sampled while downloads are held, so a check that reads the
    wrong process, or a workload that costs nothing, cannot pass."""
    server, site = leak_server
    # The idle counts are taken after one request has come and gone: a
    # sanitizer runtime starts a thread of its own at the first thread the
    # server creates (step02's first connection), and that thread stays.
    fds_before = server.fds()
    assert server.get("/page.html").status == 200
    wait_until(lambda: server.threads_named("conn") == 0 and server.fds() == fds_before,
               SETTLE, message="the warm-up connection did not end")
    baseline = snapshot(server.pid)
    peak = list(baseline)
    lock = threading.Lock()

    def held():
        now = snapshot(server.pid)
        with lock:
            for k in range(3):
                peak[k] = max(peak[k], now[k])

    replay_cases(server, load_cases(), target.caps)
    leave_mid_request(server)
    for how in ("reset", "close"):
        download_then_leave(server, how, held)
    if target.has("keepalive"):
        keepalive_and_pipelined(server, docroot)
    errors = concurrent_clients(server, target.has("keepalive"), held)
    assert not errors, "\n".join(errors)
    if site is not None:
        cgi_programs(server, site)
    assert peak[0] > baseline[0], (
        f"no descriptor was ever held during the workload: {describe(peak)}")

    try:
        wait_until(lambda: snapshot(server.pid) == baseline, SETTLE, interval=0.05)
    except AssertionError:
        pytest.fail(f"not back to the idle counts {SETTLE} s after the workload: "
                    f"now {describe(snapshot(server.pid))}; idle {describe(baseline)}; "
                    f"peak {describe(peak)}; threads: {thread_report(server.pid)}")
    assert server.alive()
    assert server.get("/page.html").status == 200
