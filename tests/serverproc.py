"""Start, watch and stop one httpd process; run it as a command-line tool.

A server is always started with ``--port 0`` (unless a test asks for a port),
found ready by its one ``listening on http://HOST:PORT`` line on stdout, and
ended by its PID: SIGTERM, a bounded wait, then SIGKILL. Never by name.
"""

import os
import resource
import re
import select
import signal
import subprocess
import time

import httpclient

READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
LISTEN_RE = re.compile(r"^listening on http://(\S+):(\d+)$")


def wait_until(predicate, timeout, interval=0.02, message=None):
    """Poll predicate until it returns a true value or timeout seconds pass.
    Returns the value; raises AssertionError with message on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)


def proc_status_field(pid, field):
    """An integer field (e.g. Threads) from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def describe_status(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"killed by signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


class ServerProcess:
    """A running httpd. .port, .pid, .proc, .host, and helpers."""

    def __init__(self, proc, host, port, stderr_path, stdout_rest, args):
        self.proc = proc
        self.host = host
        self.port = port
        self.stderr_path = stderr_path
        self.stdout_rest = stdout_rest  # stdout bytes after the listening line
        self.args = args
        self.stopped = False  # True once the test or teardown stopped it

    @property
    def pid(self):
        return self.proc.pid

    # -- HTTP helpers -----------------------------------------------------
    def connect(self, **kw):
        return httpclient.Connection(self.host, self.port, **kw)

    def get(self, path, method="GET", **kw):
        """One request on a fresh connection (Connection: close)."""
        return httpclient.fetch(self.host, self.port, path, method=method, **kw)

    def request(self, raw, method=None, timeout=None):
        """Raw bytes on a fresh connection; one response back."""
        with self.connect() as c:
            return c.request(raw, method, timeout)

    # -- process state ----------------------------------------------------
    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def threads(self):
        return proc_status_field(self.pid, "Threads")

    def thread_names(self):
        """The names (comm) of the server's threads. The steps name theirs:
        "worker-N" (step03 on), "conn" (step02), the main thread keeps the
        program's name."""
        names = []
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
        except FileNotFoundError:
            return names  # the server is gone; the caller's check will say so
        for task in tasks:
            try:
                with open(f"/proc/{self.pid}/task/{task}/comm") as f:
                    names.append(f.read().strip())
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that just ended (ENOENT, or ESRCH mid-read)
        return names

    def threads_named(self, prefix):
        return sum(1 for name in self.thread_names() if name.startswith(prefix))

    def sanitizer_threads(self):
        """Threads a sanitizer runtime may add (ThreadSanitizer starts one):
        1 for a sanitized build, else 0. Read from the libraries it maps."""
        try:
            with open(f"/proc/{self.pid}/maps") as f:
                maps = f.read()
        except FileNotFoundError:
            return 0
        return 1 if ("libtsan" in maps or "libasan" in maps) else 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def terminate(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig and wait up to timeout. Returns the exit status, or None if
        it did not exit (it is then killed, so nothing is left behind)."""
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                self._close_pipes()
                return None
        self._close_pipes()
        return self.proc.returncode

    def stop(self):
        """SIGTERM, bounded wait, SIGKILL. Returns the exit status."""
        self.terminate(signal.SIGTERM, STOP_TIMEOUT)
        return self.proc.returncode

    def begin_stop(self):
        """SIGTERM without waiting; a Reaper finishes the job."""
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def read_stdout_rest(self, timeout=2.0):
        """After exit: every stdout byte after the listening line."""
        out = self.proc.stdout
        if out is None or out.closed:
            return self.stdout_rest
        fd = out.fileno()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
            if not ready:
                break
            data = os.read(fd, 65536)
            if not data:
                break
            self.stdout_rest += data
        return self.stdout_rest

    def _close_pipes(self):
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.read_stdout_rest(timeout=0.5)
            self.proc.stdout.close()


class Reaper:
    """Finishes stops begun with begin_stop(): a server that exits is reaped,
    one still running STOP_TIMEOUT seconds after its SIGTERM is SIGKILLed.
    Teardown hands servers over so that a model whose stop waits for a poll
    timeout (step03) does not add that wait to every test."""

    def __init__(self):
        self.pending = []  # (ServerProcess, kill deadline)

    def add(self, srv):
        srv.begin_stop()
        self.pending.append((srv, time.monotonic() + STOP_TIMEOUT))
        self.reap()

    def reap(self, block=False):
        still = []
        for srv, deadline in self.pending:
            if block and srv.proc.poll() is None:
                try:
                    srv.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            if srv.proc.poll() is None and time.monotonic() >= deadline:
                srv.proc.kill()
                srv.proc.wait(STOP_TIMEOUT)
            if srv.proc.poll() is None:
                still.append((srv, deadline))
            else:
                srv._close_pipes()
        self.pending = still


class StartError(AssertionError):
    pass


def launch(binary, args, stderr_path, cwd=None, timeout=READY_TIMEOUT, nofile=None):
    """Start binary with args; wait for the listening line. Raises StartError
    (with the server's stderr) if it exits or stays silent. nofile: a
    RLIMIT_NOFILE (soft and hard) to start the server with."""
    preexec = None
    if nofile is not None:
        def preexec():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    stderr_file = open(stderr_path, "wb")
    try:
        proc = subprocess.Popen([str(binary), *map(str, args)], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr_file, preexec_fn=preexec)
    finally:
        stderr_file.close()
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    problem = None
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            problem = f"no 'listening on' line within {timeout}s"
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        data = os.read(fd, 4096)
        if not data:
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
            problem = f"stdout closed before the listening line ({describe_status(proc.poll())})"
            break
        buf += data

    line, _, rest = buf.partition(b"\n")
    match = LISTEN_RE.match(line.decode("utf-8", "replace").rstrip("\r")) if not problem else None
    if not problem and not match:
        problem = f"first stdout line is not 'listening on http://HOST:PORT': {line!r}"
    if problem:
        if proc.poll() is None:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
        proc.stdout.close()
        with open(stderr_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        raise StartError(f"{binary} {' '.join(map(str, args))}: {problem}\n"
                         f"stdout: {buf[:500]!r}\nstderr:\n{err[-3000:]}")
    return ServerProcess(proc, match.group(1), int(match.group(2)), stderr_path,
                         rest, list(args))


class CliResult:
    def __init__(self, returncode, stdout, stderr, timed_out):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out

    @property
    def stderr_lines(self):
        return self.stderr.decode("utf-8", "replace").strip().splitlines()

    def __repr__(self):
        return (f"<exit {describe_status(self.returncode)}"
                f"{' (timed out, killed)' if self.timed_out else ''} "
                f"stdout={self.stdout[:300]!r} stderr={self.stderr[:300]!r}>")


def run_cli(binary, args, timeout=3.0, cwd=None):
    """Run binary to completion (a --help, a refused option, a bad config).
    A process still running after timeout is killed: timed_out is then True."""
    proc = subprocess.Popen([str(binary), *map(str, args)], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        return CliResult(proc.returncode, out, err, False)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=STOP_TIMEOUT)
        return CliResult(proc.returncode, out, err, True)
