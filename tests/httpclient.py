"""A small raw-socket HTTP/1.1 client for the black-box tests.

Everything goes through the ``socket`` module so that a test controls every
byte: split writes, pipelining, half-sent requests, resets. Every blocking
operation has a deadline, so no test can hang on a silent server.
"""

import select
import socket
import struct
import time

DEFAULT_TIMEOUT = 10.0
MAX_HEAD = 64 * 1024


class ClosedEarly(AssertionError):
    """The server closed (or reset) the connection before a complete response."""


class NoResponse(AssertionError):
    """No complete response arrived before the deadline."""


def build_request(path, method="GET", version="HTTP/1.1", headers=None,
                  host="test", body=b""):
    """Bytes of a request. headers: list of (name, value) or dict; a Host
    header is added for HTTP/1.1 unless host is None."""
    lines = [f"{method} {path} {version}"]
    if host is not None and version == "HTTP/1.1":
        lines.append(f"Host: {host}")
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for name, value in items:
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body


class Response:
    """A parsed response. Header names are matched case-insensitively."""

    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in wire order
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def has_token(self, name, token):
        """True when a comma-separated header (e.g. Connection) holds token."""
        token = token.lower()
        for value in self.header_all(name):
            if token in (t.strip().lower() for t in value.split(",")):
                return True
        return False

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return (f"<Response {self.status} {self.reason!r} headers={self.headers!r} "
                f"body[{len(self.body)}]={self.body[:80]!r}>")


def parse_head(raw_head):
    """(version, status, reason, headers) from the bytes before the blank line."""
    text = raw_head.decode("latin-1")
    lines = text.replace("\r\n", "\n").split("\n")
    status_line = lines[0]
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise AssertionError(f"malformed status line: {status_line!r}")
    version, status = parts[0], int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise AssertionError(f"response header line without colon: {line!r}")
        if name != name.strip():
            raise AssertionError(f"whitespace around response header name: {line!r}")
        headers.append((name, value.strip(" \t")))
    return version, status, reason, headers


class Connection:
    """One client connection. Use as a context manager, or call close()."""

    def __init__(self, host, port, timeout=DEFAULT_TIMEOUT, rcvbuf=None,
                 nodelay=True):
        self.timeout = timeout
        self.buf = b""
        self.eof = False
        self.reset = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
            if nodelay:
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            self.sock.close()
            raise

    # -- lifetime ---------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def abort(self):
        """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
            self.close()

    # -- sending ----------------------------------------------------------
    def send(self, data, piece=None, pause=0.0):
        """Send data; with piece=N, in N-byte writes with a pause between."""
        if not piece:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), piece):
            self.sock.sendall(data[i:i + piece])
            if pause and i + piece < len(data):
                time.sleep(pause)

    # -- receiving --------------------------------------------------------
    def _recv_some(self, deadline, size=65536):
        """Append what arrives to self.buf; return the number of bytes (0 at EOF)."""
        if self.eof:
            return 0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(size)
        except ConnectionResetError:
            self.eof = self.reset = True
            return 0
        if not data:
            self.eof = True
            return 0
        self.buf += data
        return len(data)

    def readable_within(self, seconds):
        """True if data (or EOF) is ready to read within seconds."""
        if self.buf or self.eof:
            return True
        ready, _, _ = select.select([self.sock], [], [], seconds)
        return bool(ready)

    def _fill_to(self, n, deadline, what):
        while len(self.buf) < n:
            try:
                got = self._recv_some(deadline)
            except socket.timeout:
                raise NoResponse(f"timed out waiting for {what}; have {len(self.buf)} "
                                 f"of {n} bytes: {self.buf[:200]!r}") from None
            if got == 0:
                raise ClosedEarly(f"connection closed ({'reset' if self.reset else 'EOF'}) "
                                  f"while waiting for {what}; have {len(self.buf)} "
                                  f"of {n} bytes: {self.buf[:200]!r}")

    def _take(self, n):
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_line(self, deadline, what):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                return self._take(i + 1)
            self._fill_to(len(self.buf) + 1, deadline, what)

    def read_response(self, method="GET", timeout=None):
        """Read exactly one response; method tells whether a body follows."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            end = self.buf.find(b"\r\n\r\n")
            sep = 4
            lf = self.buf.find(b"\n\n")
            if lf >= 0 and (end < 0 or lf < end):
                end, sep = lf, 2
            if end >= 0:
                break
            if len(self.buf) > MAX_HEAD:
                raise AssertionError(f"response head larger than {MAX_HEAD} bytes")
            self._fill_to(len(self.buf) + 1, deadline, "the response head")
        raw_head = self._take(end)
        self._take(sep)
        version, status, reason, headers = parse_head(raw_head)
        resp = Response(version, status, reason, headers, b"", raw_head)

        if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
            return resp
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if te is not None and "chunked" in te.lower():
            resp.body = self._read_chunked(deadline)
        elif cl is not None:
            n = int(cl)
            self._fill_to(n, deadline, f"a {n}-byte body")
            resp.body = self._take(n)
        else:
            resp.body = self.read_until_close(deadline - time.monotonic())
        return resp

    def _read_chunked(self, deadline):
        body = b""
        while True:
            line = self._read_line(deadline, "a chunk size line").strip()
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while self._read_line(deadline, "the trailer").strip():
                    pass
                return body
            self._fill_to(size + 2, deadline, "a chunk")
            body += self._take(size)
            self._take(2)

    def read_until_close(self, timeout=None):
        """Everything until the server closes (EOF or reset)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not self.eof:
            try:
                self._recv_some(deadline)
            except socket.timeout:
                raise NoResponse(f"server did not close the connection in time; "
                                 f"got {self.buf[:200]!r}") from None
        return self._take(len(self.buf))

    def wait_closed(self, timeout):
        """True if the server closes the connection within timeout seconds.
        Any bytes that arrive first are kept in self.buf."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            try:
                self._recv_some(deadline)
            except socket.timeout:
                return False
        return True

    def request(self, raw, method=None, timeout=None):
        """Send raw bytes and read one response."""
        if method is None:
            method = raw.split(b" ", 1)[0].decode("latin-1")
        self.send(raw)
        return self.read_response(method, timeout)

    def get(self, path, method="GET", **kw):
        return self.request(build_request(path, method=method, **kw), method)


def fetch(host, port, path, method="GET", version="HTTP/1.1", headers=None,
          timeout=DEFAULT_TIMEOUT, close=True):
    """One request on a fresh connection (with Connection: close by default)."""
    hdrs = list(headers.items() if isinstance(headers, dict) else (headers or []))
    if close and version == "HTTP/1.1":
        hdrs.append(("Connection", "close"))
    with Connection(host, port, timeout=timeout) as c:
        return c.request(build_request(path, method, version, hdrs), method)
