"""Labs of step04 (docs/labs.md): a streaming /api/events, and a restart
that drops no connection (--listen-fd and SIGHUP).

    STEPHTTPD_LABS=step04-events /usr/bin/python3 -m pytest tests/labs --step 4
"""

import os
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

import httpclient
from serverproc import LISTEN_RE, wait_until

build = httpclient.build_request


def read_head(conn, timeout=5.0):
    """Only the head of a response whose body streams on: a Response with an
    empty body; what follows the head stays in conn.buf."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in conn.buf:
        conn._fill_to(len(conn.buf) + 1, deadline, "the response head")
    raw, _, conn.buf = conn.buf.partition(b"\r\n\r\n")
    version, status, reason, headers = httpclient.parse_head(raw)
    return httpclient.Response(version, status, reason, headers, b"", raw)


def read_chunk(conn, timeout=3.0):
    """One chunk of a chunked body: its data (b"" for the last chunk)."""
    deadline = time.monotonic() + timeout
    line = conn._read_line(deadline, "a chunk size line").strip()
    size = int(line.split(b";")[0], 16)
    if size == 0:
        while conn._read_line(deadline, "the trailer").strip():
            pass
        return b""
    conn._fill_to(size + 2, deadline, "a chunk")
    data = conn._take(size)
    assert conn._take(2) == b"\r\n", "a chunk ends with CRLF"
    return data


def read_message(conn, timeout=3.0):
    """Chunks until one ends with a newline (one published message may,
    in principle, come in several chunks)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = read_chunk(conn, timeout)
        assert chunk, f"the stream ended early, after {data!r}"
        data += chunk
    return data


def subscribe(srv):
    conn = srv.connect()
    conn.send(build("/api/events"))
    head = read_head(conn)
    assert head.status == 200, head
    assert head.has_token("Transfer-Encoding", "chunked"), f"a stream is chunked: {head!r}"
    return conn


# --------------------------------------------------------------------------
# step04-events: GET /api/events streams; GET /api/publish?msg=TEXT sends TEXT\n
# --------------------------------------------------------------------------

@pytest.mark.lab("step04-events")
def test_events_each_publish_reaches_every_subscriber(start_server):
    srv = start_server(extra_args=["--threads", 2])
    first = subscribe(srv)
    second = subscribe(srv)
    try:
        assert not first.readable_within(0.3), f"nothing published yet: {first.buf!r}"
        for msg in ("hello", "two", "three"):
            resp = srv.get(f"/api/publish?msg={msg}")
            assert resp.status == 200, resp
            for conn in (first, second):
                assert read_message(conn) == msg.encode() + b"\n"
        assert srv.get("/page.html").status == 200, "the workers still serve everyone else"
    finally:
        first.close()
        second.close()


@pytest.mark.lab("step04-events")
def test_events_a_subscriber_that_leaves_is_forgotten(start_server):
    srv = start_server(extra_args=["--threads", 1])
    gone = subscribe(srv)
    gone.abort()
    stays = subscribe(srv)
    try:
        for msg in ("after", "again"):
            assert srv.get(f"/api/publish?msg={msg}").status == 200
            assert read_message(stays) == msg.encode() + b"\n"
    finally:
        stays.close()


@pytest.mark.lab("step04-events")
def test_events_sigterm_ends_the_stream_with_the_last_chunk(start_server):
    srv = start_server(extra_args=["--threads", 2])
    conn = subscribe(srv)
    try:
        assert srv.get("/api/publish?msg=bye").status == 200
        assert read_message(conn) == b"bye\n"
        srv.send_signal(signal.SIGTERM)
        assert read_chunk(conn, timeout=3) == b"", "SIGTERM ends the stream with 0\\r\\n\\r\\n"
        try:
            srv.proc.wait(5)
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not exit within 5 s of SIGTERM")
        assert srv.terminate() == 0
    finally:
        conn.close()


# --------------------------------------------------------------------------
# step04-restart: --listen-fd N, and SIGHUP hands the socket to a new process
# --------------------------------------------------------------------------

def listening_pids(port):
    """PIDs of the processes holding a LISTEN socket on 127.0.0.1:port."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{name}/fd"):
                if os.readlink(f"/proc/{name}/fd/{fd}") in inodes:
                    pids.add(int(name))
                    break
        except OSError:
            continue
    return pids


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rindex(")") + 2] != "Z"


def end_by_pid(pid):
    """Stop a server the test caused to exist (not our child): TERM, then KILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.lab("step04-restart")
def test_listen_fd_serves_an_inherited_socket(target, docroot, tmp_path):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    port = lsock.getsockname()[1]
    fd = lsock.fileno()
    err = open(tmp_path / "listen-fd.stderr", "wb")
    proc = subprocess.Popen([str(target.binary), "--listen-fd", str(fd), "--root",
                             str(docroot.path), "--threads", "2"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                            pass_fds=(fd,))
    err.close()
    lsock.close()  # the server holds the only copy now
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline().decode("utf-8", "replace").strip() if ready else ""
        stderr = (tmp_path / "listen-fd.stderr").read_text(errors="replace")
        match = LISTEN_RE.match(line)
        assert match, f"--listen-fd {fd}: want a 'listening on' line, got {line!r}; stderr: {stderr}"
        assert int(match.group(2)) == port, f"the inherited socket is on port {port}: {line!r}"
        resp = httpclient.fetch("127.0.0.1", port, "/page.html")
        assert resp.status == 200 and resp.body == docroot.read("page.html"), resp
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()


class Hammer(threading.Thread):
    """Requests on fresh connections, one after another, counting failures."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.ok = 0
        self.failures = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                resp = httpclient.fetch("127.0.0.1", self.port, "/page.html", timeout=5)
                if resp.status == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"status {resp.status}")
            except (OSError, AssertionError) as e:
                self.failures.append(repr(e))

    def wait_for(self, count, timeout=10):
        wait_until(lambda: self.ok >= count or self.failures, timeout,
                   message=f"only {self.ok} requests done")


@pytest.mark.lab("step04-restart")
def test_sighup_restart_drops_no_connection(start_server, target):
    srv = start_server(extra_args=["--threads", 2])
    successor = None
    hammer = Hammer(srv.port)
    kept = srv.connect()
    try:
        assert kept.get("/page.html").status == 200
        hammer.start()
        hammer.wait_for(20)
        before = hammer.ok
        srv.stopped = True  # it is meant to exit by itself now
        srv.send_signal(signal.SIGHUP)

        def new_process():
            others = listening_pids(srv.port) - {srv.pid}
            return others or None
        found = wait_until(new_process, 5, interval=0.05,
                           message="no new process listens on the port after SIGHUP")
        successor = next(iter(found))
        resp = kept.get("/page.html")
        assert resp.status == 200, f"the old process still serves its open connection: {resp!r}"
        kept.close()
        try:
            srv.proc.wait(5)
        except subprocess.TimeoutExpired:
            pytest.fail("the old process did not exit within 5 s once its last connection closed")
        assert srv.proc.returncode == 0, f"the old process exits with status 0, not {srv.proc.returncode}"
        hammer.wait_for(before + 40)
        hammer.halt.set()
        hammer.join(10)
        assert not hammer.failures, (
            f"{len(hammer.failures)} of {hammer.ok + len(hammer.failures)} requests failed "
            f"during the restart: {hammer.failures[:5]}")
        resp = srv.get("/page.html")
        assert resp.status == 200, f"the new process serves: {resp!r}"
    finally:
        hammer.halt.set()
        if hammer.is_alive():
            hammer.join(10)
        kept.close()
        if srv.proc.poll() is None:
            srv.stopped = False  # still running: the fixture's teardown stops it
        else:
            srv.terminate()  # exited: closes its pipes
        if successor is None:
            others = listening_pids(srv.port) - {srv.pid}
            successor = next(iter(others)) if others else None
        if successor is not None and is_httpd(successor, target.binary):
            end_by_pid(successor)


def is_httpd(pid, binary):
    """True if pid runs the binary under test, or was started with
    --listen-fd (never signal anything else)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        exe = os.path.realpath(f"/proc/{pid}/exe")
    except OSError:
        return False
    name = os.path.basename(str(binary))
    return (exe == os.path.realpath(str(binary)) or "--listen-fd" in argv
            or any(os.path.basename(a) == name for a in argv[:2]))
