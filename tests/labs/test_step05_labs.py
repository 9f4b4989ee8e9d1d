"""Labs of step05 (docs/labs.md): stream a request body to the CGI program
as it arrives, and a FastCGI client.

    STEPHTTPD_LABS=step05-stream-body /usr/bin/python3 -m pytest tests/labs --step 5
"""

import hashlib
import json
import random
import socket
import struct
import textwrap
import threading
import time

import pytest

import httpclient
from serverproc import wait_until

build = httpclient.build_request


# --------------------------------------------------------------------------
# step05-stream-body: the program starts, and reads, before the body is complete
# --------------------------------------------------------------------------

@pytest.fixture
def stream_site(tmp_path):
    root = tmp_path / "stream"
    cgi_bin = root / "cgi-bin"
    cgi_bin.mkdir(parents=True)
    (root / "state").mkdir()
    scripts = {
        # Answers its header, then reports the first 5 body bytes as soon as
        # they arrive, then the rest at EOF.
        "first-then-rest.sh": """
            #!/bin/sh
            printf 'Content-Type: text/plain\\r\\n\\r\\n'
            first=$(head -c 5)
            printf 'first: %s\\n' "$first"
            rest=$(cat)
            printf 'rest: %s\\n' "$rest"
            """,
        # Leaves a marker as soon as it runs, then digests stdin.
        "digest.py": f"""
            #!/usr/bin/python3
            import hashlib, os, sys
            open({str(root / 'state' / 'started')!r}, "w").close()
            data = sys.stdin.buffer.read()
            body = f"{{len(data)}} {{hashlib.sha256(data).hexdigest()}}\\n".encode()
            sys.stdout.buffer.write(b"Content-Type: text/plain\\r\\n\\r\\n" + body)
            """,
    }
    for name, text in scripts.items():
        path = cgi_bin / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        path.chmod(0o755)
    return root


def read_head(conn, timeout):
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in conn.buf:
        conn._fill_to(len(conn.buf) + 1, deadline, "the response head")
    raw, _, conn.buf = conn.buf.partition(b"\r\n\r\n")
    return httpclient.Response(*httpclient.parse_head(raw), b"", raw)


def read_chunked_until(conn, needle, timeout):
    """Decode chunks until the decoded body holds needle; return the body."""
    deadline = time.monotonic() + timeout
    body = b""
    while needle not in body:
        line = conn._read_line(deadline, f"a chunk holding {needle!r}").strip()
        size = int(line.split(b";")[0], 16)
        assert size, f"the body ended without {needle!r}: {body!r}"
        conn._fill_to(size + 2, deadline, "a chunk")
        body += conn._take(size)
        conn._take(2)
    return body


@pytest.mark.lab("step05-stream-body")
def test_stream_body_program_answers_before_the_body_is_complete(start_server, stream_site):
    srv = start_server(root=stream_site)
    with srv.connect() as conn:
        head = build("/cgi-bin/first-then-rest.sh", method="POST",
                     headers=[("Content-Length", "15"), ("Content-Type", "text/plain")])
        conn.send(head + b"hello")
        try:
            resp = read_head(conn, 3)
        except httpclient.NoResponse:
            pytest.fail("no response head within 3 s while 10 body bytes are still to come: "
                        "the program must start (and read) before the whole body is there",
                        pytrace=False)
        assert resp.status == 200, resp
        assert resp.has_token("Transfer-Encoding", "chunked"), resp
        read_chunked_until(conn, b"first: hello\n", 3)
        conn.send(b"0123456789")
        body = read_chunked_until(conn, b"rest: 0123456789\n", 5)
        assert body.endswith(b"rest: 0123456789\n"), body


@pytest.mark.lab("step05-stream-body")
def test_stream_body_program_starts_at_the_first_byte_and_gets_it_all(start_server, stream_site):
    srv = start_server(root=stream_site)
    body = random.Random(5).randbytes(4 * 1024 * 1024)
    marker = stream_site / "state" / "started"
    with srv.connect() as conn:
        conn.send(build("/cgi-bin/digest.py", method="POST",
                        headers=[("Content-Length", str(len(body)))]) + body[:1])
        wait_until(marker.exists, 3, message="the program did not start while the body "
                                              "was still arriving (1 of 4 MiB sent)")
        conn.send(body[1:], piece=256 * 1024)
        resp = conn.read_response("POST", timeout=20)
        assert resp.status == 200, resp
        want = f"{len(body)} {hashlib.sha256(body).hexdigest()}\n".encode()
        assert resp.body == want, "the body reached stdin whole and in order"
        assert conn.get("/cgi-bin/first-then-rest.sh", method="GET").status == 200, \
            "the connection stays usable"


# --------------------------------------------------------------------------
# step05-fastcgi: --fastcgi ADDR sends /php/... to a FastCGI responder
# --------------------------------------------------------------------------

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_RESPONDER = 1


def fcgi_record(kind, request_id, content):
    padding = -len(content) % 8
    return (struct.pack(">BBHHBx", 1, kind, request_id, len(content), padding)
            + content + b"\0" * padding)


def fcgi_pairs(data):
    """Decode FastCGI name-value pairs (the spec, section 3.4)."""
    out, i = {}, 0

    def length():
        nonlocal i
        if data[i] < 128:
            i += 1
            return data[i - 1]
        i += 4
        return struct.unpack(">I", data[i - 4:i])[0] & 0x7FFFFFFF
    while i < len(data):
        nlen = length()
        vlen = length()
        name = data[i:i + nlen].decode("latin-1")
        value = data[i + nlen:i + nlen + vlen].decode("latin-1")
        i += nlen + vlen
        out[name] = value
    return out


class Responder(threading.Thread):
    """A FastCGI responder on 127.0.0.1 (one request per connection). It
    answers with a JSON document of the params it got and a digest of
    stdin; a path ending in /missing gets 'Status: 404'."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.halt = threading.Event()
        self.errors = []

    def run(self):
        while not self.halt.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.serve(conn)
            except Exception as e:  # reported by the test, not lost in a thread
                self.errors.append(repr(e))
            finally:
                conn.close()

    def serve(self, conn):
        conn.settimeout(10)
        buf, params, stdin, request_id = b"", b"", b"", None
        params_done = stdin_done = False
        while not (params_done and stdin_done):
            while len(buf) < 8 or len(buf) < 8 + struct.unpack(">H", buf[4:6])[0] + buf[6]:
                data = conn.recv(65536)
                if not data:
                    raise AssertionError("the server closed before the end of FCGI_STDIN")
                buf += data
            version, kind, rid, clen, plen = struct.unpack(">BBHHBx", buf[:8])
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if kind == FCGI_BEGIN_REQUEST:
                role = struct.unpack(">H", content[:2])[0]
                assert role == FCGI_RESPONDER, f"role {role}"
                request_id = rid
            elif kind == FCGI_PARAMS:
                params += content
                params_done = clen == 0
            elif kind == FCGI_STDIN:
                stdin += content
                stdin_done = clen == 0
        env = fcgi_pairs(params)
        path = env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", "")
        if path.endswith("/missing") or env.get("REQUEST_URI", "").startswith("/php/missing"):
            out = b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such thing\n"
        else:
            doc = {"params": env, "stdin_length": len(stdin),
                   "stdin_sha256": hashlib.sha256(stdin).hexdigest()}
            out = b"Content-Type: application/json\r\n\r\n" + json.dumps(doc).encode()
        reply = b""
        for i in range(0, len(out), 8192):
            reply += fcgi_record(FCGI_STDOUT, request_id, out[i:i + 8192])
        reply += fcgi_record(FCGI_STDOUT, request_id, b"")
        reply += fcgi_record(FCGI_END_REQUEST, request_id, struct.pack(">IB3x", 0, 0))
        conn.sendall(reply)

    def close(self):
        self.halt.set()
        self.join(5)
        self.sock.close()


@pytest.fixture
def responder():
    r = Responder()
    r.start()
    yield r
    r.close()
    assert not r.errors, f"the FastCGI responder saw a protocol error: {r.errors}"


def fcgi_doc(resp):
    assert resp.status == 200, resp
    return json.loads(resp.body)


@pytest.mark.lab("step05-fastcgi")
def test_fastcgi_get_passes_the_request_meta_variables(start_server, responder):
    srv = start_server(extra_args=["--fastcgi", f"127.0.0.1:{responder.port}"])
    doc = fcgi_doc(srv.get("/php/hello?x=1&y=%20"))
    env = doc["params"]
    assert env.get("REQUEST_METHOD") == "GET", env
    assert env.get("QUERY_STRING") == "x=1&y=%20", env
    assert env.get("SERVER_PROTOCOL") == "HTTP/1.1", env
    assert any("/php/hello" in env.get(k, "") for k in ("SCRIPT_NAME", "REQUEST_URI", "DOCUMENT_URI")), env
    assert doc["stdin_length"] == 0


@pytest.mark.lab("step05-fastcgi")
def test_fastcgi_post_body_goes_to_stdin(start_server, responder):
    srv = start_server(extra_args=["--fastcgi", f"127.0.0.1:{responder.port}"])
    body = random.Random(7).randbytes(200_000)
    with srv.connect() as conn:
        for _ in range(2):  # and the client's connection stays usable
            resp = conn.request(build("/php/upload", method="POST", body=body,
                                      headers=[("Content-Length", str(len(body))),
                                               ("Content-Type", "application/octet-stream")]))
            doc = fcgi_doc(resp)
            assert doc["stdin_length"] == len(body)
            assert doc["stdin_sha256"] == hashlib.sha256(body).hexdigest()
            assert doc["params"].get("CONTENT_LENGTH") == str(len(body)), doc["params"]
            assert doc["params"].get("CONTENT_TYPE") == "application/octet-stream", doc["params"]


@pytest.mark.lab("step05-fastcgi")
def test_fastcgi_status_header_and_a_dead_responder(start_server, responder):
    srv = start_server(extra_args=["--fastcgi", f"127.0.0.1:{responder.port}"])
    resp = srv.get("/php/missing")
    assert resp.status == 404 and resp.body == b"no such thing\n", resp
    assert srv.get("/page.html").status == 200, "static files are still served"
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    srv2 = start_server(extra_args=["--fastcgi", f"127.0.0.1:{port}"])
    resp = srv2.get("/php/hello")
    assert resp.status == 502, f"no responder behind --fastcgi: want 502 Bad Gateway, got {resp!r}"
