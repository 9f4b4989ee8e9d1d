"""CGI/1.1 (RFC 3875), step05 on: programs under --cgi-dir run at
/cgi-bin/NAME[/path/info][?query], inside the worker's poll loop.

The programs are the test's own (tests/cgi_fixtures.py writes them into a
generated site). What these tests show: every meta-variable, and nothing of
the server's own environment; request bodies in, whatever their framing or
size; the program's header section turned into a response (Status, local
and client redirects, chunked or close-delimited bodies); 502 and 504 when
a program fails or hangs; only executable files in the CGI directory ever
run; a program sees only fds 0, 1 and 2; children are always reaped and
killed with their process group when their client leaves; a slow program
never blocks its worker; and git's own http-backend serves a clone and a push.
A representative subset runs once with each way of starting a program,
--cgi-launch fork and --cgi-launch spawn (posix_spawn).
"""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time

import pytest

import httpclient
from cgi_fixtures import (GIT_HTTP_BACKEND, NOLENGTH_BODY, big_output, children_of, gone,
                          make_cgi_site, not_running, zombies_of)
from serverproc import wait_until

build = httpclient.build_request

pytestmark = pytest.mark.cap("cgi")


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def cgi_site(tmp_path_factory):
    return make_cgi_site(tmp_path_factory.mktemp("cgi-site"))


@pytest.fixture
def start_cgi(start_server, cgi_site):
    """start_cgi(*extra_args) -> a server on the CGI site."""
    def start(*extra_args):
        return start_server(root=cgi_site.root, extra_args=list(extra_args))
    return start


@pytest.fixture
def cgi(start_cgi):
    return start_cgi()


@pytest.fixture(params=["fork", "spawn"])
def launch(request):
    """The --cgi-launch a test runs with: fork and exec, or posix_spawn."""
    return request.param


@pytest.fixture
def cgi_launched(start_cgi, launch):
    """A server on the CGI site, once per --cgi-launch."""
    return start_cgi("--cgi-launch", launch)


def no_children_left(srv, timeout=5.0):
    """Wait until the server has no child process at all (none running,
    none a zombie)."""
    wait_until(lambda: not children_of(srv.pid), timeout,
               message=f"children of the server still there: {children_of(srv.pid)}")


def get_env(srv, target, method="GET", headers=None, body=b"", version="HTTP/1.1"):
    """(environment dict, connection's local port) from cgi-bin/env.py."""
    with srv.connect() as conn:
        local_port = conn.sock.getsockname()[1]
        resp = conn.request(build(target, method=method, version=version,
                                  headers=headers, body=body, host="cgi.test"
                                  if version == "HTTP/1.1" else None))
    assert resp.status == 200, resp
    assert resp.header("Content-Type") == "application/json", resp
    return json.loads(resp.body), local_port


def chunked(body, sizes):
    """body in chunks of the given sizes (the last size repeats)."""
    out, i, k = b"", 0, 0
    while i < len(body):
        n = sizes[min(k, len(sizes) - 1)]
        piece = body[i:i + n]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
        i += n
        k += 1
    return out + b"0\r\n\r\n"


# The meta-variables of RFC 3875 §4.1 and a few that servers commonly add.
RFC_NAMES = {"AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO",
             "PATH_TRANSLATED", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_IDENT",
             "REMOTE_USER", "REQUEST_METHOD", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT",
             "SERVER_PROTOCOL", "SERVER_SOFTWARE"}
COMMON_EXTRAS = {"PATH", "REMOTE_PORT", "DOCUMENT_ROOT", "SCRIPT_FILENAME", "REDIRECT_STATUS",
                 "REQUEST_URI", "REQUEST_SCHEME", "SERVER_ADDR", "CONTEXT_DOCUMENT_ROOT",
                 "CONTEXT_PREFIX", "SERVER_ADMIN", "SERVER_SIGNATURE"}
LEAK_MARKER = "STEPHTTPD_TEST_LEAK_CHECK"
STOP_GRACE = 5.0  # how long a stopping server lets in-flight requests finish


# --------------------------------------------------------------------------
# Meta-variables (RFC 3875 §4.1)
# --------------------------------------------------------------------------

def test_cgi_meta_variables(start_cgi, cgi_site, target, monkeypatch, launch):
    monkeypatch.setenv(LEAK_MARKER, "the server's own environment")
    srv = start_cgi("--cgi-launch", launch)
    env, local_port = get_env(srv, "/cgi-bin/env.py/extra/path%20x?a=1&b=two%20x", headers=[
        ("X-Custom-Thing", "custom value"),
        ("Accept", "text/plain"),
        ("Proxy", "http://evil.example:3128"),
        ("Authorization", "Basic dXNlcjpwYXNz"),
    ])
    want = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "cgi.test",
        "SERVER_PORT": str(srv.port),
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/cgi-bin/env.py",
        "PATH_INFO": "/extra/path x",
        "QUERY_STRING": "a=1&b=two%20x",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": str(local_port),
        "HTTP_HOST": "cgi.test",
        "HTTP_X_CUSTOM_THING": "custom value",
        "HTTP_ACCEPT": "text/plain",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    got = {k: env.get(k) for k in want}
    assert got == want, f"meta-variables differ:\n{json.dumps(env, indent=1, sort_keys=True)}"
    if target.server_name:
        assert env.get("SERVER_SOFTWARE") == target.server_name, env
    else:
        assert env.get("SERVER_SOFTWARE", "").startswith("stephttpd/"), env
    # §4.1.6: the path info mapped onto the document root.
    translated = env.get("PATH_TRANSLATED", "")
    assert translated in (str(cgi_site.root) + "/extra/path x",
                          os.path.realpath(cgi_site.root) + "/extra/path x"), env
    # §4.1.2, §4.1.3: no body, no CONTENT_LENGTH; no Content-Type, no CONTENT_TYPE.
    assert env.get("CONTENT_LENGTH", "") == "", env
    assert "CONTENT_TYPE" not in env, env
    # httpoxy: a "Proxy:" header must not become HTTP_PROXY; credentials stay out.
    assert "HTTP_PROXY" not in env, env
    assert "HTTP_AUTHORIZATION" not in env, env
    # Nothing of the server's own environment (PATH is the fixed one above).
    leaked = sorted(k for k in os.environ if k in env and k != "PATH")
    assert not leaked, f"the server's environment leaked into the program: {leaked}"
    assert LEAK_MARKER not in env
    unknown = sorted(k for k in env
                     if not k.startswith("HTTP_") and k not in RFC_NAMES | COMMON_EXTRAS)
    assert not unknown, f"variables that are neither CGI nor HTTP_*: {unknown}"


def test_cgi_meta_variables_of_a_post_without_path_info(cgi):
    """HTTP/1.0 POST with a body and a Content-Type; no path info, no query."""
    env, _ = get_env(cgi, "/cgi-bin/env.py", method="POST", version="HTTP/1.0",
                     headers=[("Content-Type", "application/x-www-form-urlencoded"),
                              ("Content-Length", "7")], body=b"k=v&w=x")
    assert env.get("REQUEST_METHOD") == "POST", env
    assert env.get("SERVER_PROTOCOL") == "HTTP/1.0", env
    assert env.get("CONTENT_LENGTH") == "7", env
    assert env.get("CONTENT_TYPE") == "application/x-www-form-urlencoded", env
    assert env.get("QUERY_STRING") == "", "QUERY_STRING must be set, empty without a query"
    assert env.get("PATH_INFO", "") == "", env
    assert env.get("PATH_TRANSLATED", "") == "", "no PATH_INFO, no PATH_TRANSLATED (§4.1.6)"
    assert env.get("SCRIPT_NAME") == "/cgi-bin/env.py", env
    assert env.get("SERVER_NAME"), "SERVER_NAME must be set without a Host header too"
    assert "HTTP_CONTENT_LENGTH" not in env or env["HTTP_CONTENT_LENGTH"] == "7", env


@pytest.mark.parametrize("query", ["q=a+b%2Fc&empty=&flag", "x=%E2%82%AC;y=1", ""],
                         ids=["plus-and-escapes", "utf8-semicolon", "none"])
def test_cgi_get_with_a_query(cgi, query):
    """QUERY_STRING is the query exactly as sent: never decoded (§4.1.7)."""
    env, _ = get_env(cgi, "/cgi-bin/env.py" + ("?" + query if query else ""))
    assert env.get("QUERY_STRING") == query, env
    assert env.get("REQUEST_METHOD") == "GET"


def test_cgi_head_request_has_no_body_and_keeps_the_connection(cgi):
    with cgi.connect() as conn:
        resp = conn.request(build("/cgi-bin/hello.sh", method="HEAD"), method="HEAD")
        assert resp.status == 200, resp
        assert conn.buf == b"" and not conn.readable_within(0.3), \
            f"a body after a HEAD response: {conn.buf[:200]!r}"
        resp = conn.request(build("/cgi-bin/hello.sh"))
        assert resp.status == 200, resp
        assert resp.body == b"hello from cgi\n"


# --------------------------------------------------------------------------
# Request bodies to stdin
# --------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 10, 100_000, 1024 * 1024, 4 * 1024 * 1024],
                         ids=["0", "10", "100k", "1MiB", "4MiB"])
def test_cgi_post_with_content_length_echoed(cgi_launched, size):
    """The body reaches stdin whole (a 1 MiB body is far more than a pipe
    holds: the server must write it as the program reads, never block);
    CGI bodies may be up to 16 MiB."""
    body = random.Random(size).randbytes(size)
    with cgi_launched.connect(timeout=20) as conn:
        resp = conn.request(build("/cgi-bin/echo.py", method="POST", body=body,
                                  headers={"Content-Length": size,
                                           "Content-Type": "application/octet-stream"}))
        assert resp.status == 200, resp
        assert resp.header("X-Body-Length") == str(size), resp
        assert resp.header("X-Body-Sha256") == hashlib.sha256(body).hexdigest()
        assert resp.body == body
        assert resp.header("X-Content-Length") in ((str(size),) if size else ("0", "-")), resp
        # The connection goes on.
        assert conn.request(build("/cgi-bin/hello.sh")).body == b"hello from cgi\n"


@pytest.mark.parametrize("size,pieces", [(0, [1]), (5000, [1, 7, 4096]),
                                         (300_000, [65536, 3, 100_000])],
                         ids=["empty", "small", "300k"])
def test_cgi_post_chunked_body_echoed(cgi, size, pieces):
    """A chunked request body goes to stdin decoded; CONTENT_LENGTH is its
    decoded length (RFC 3875 §4.2)."""
    body = random.Random(size + 1).randbytes(size)
    head = build("/cgi-bin/echo.py", method="POST",
                 headers={"Transfer-Encoding": "chunked"})
    with cgi.connect(timeout=20) as conn:
        resp = conn.request(head + chunked(body, pieces), method="POST")
        assert resp.status == 200, resp
        assert resp.body == body
        assert resp.header("X-Body-Sha256") == hashlib.sha256(body).hexdigest()
        assert resp.header("X-Content-Length") in ((str(size),) if size else ("0", "-")), resp
        assert conn.request(build("/cgi-bin/hello.sh")).status == 200


def test_cgi_body_over_16_mib_gets_413(cgi):
    """The limit is checked from Content-Length: no need to send the body."""
    with cgi.connect() as conn:
        resp = conn.request(build("/cgi-bin/echo.py", method="POST",
                                  headers={"Content-Length": 16 * 1024 * 1024 + 1}),
                            method="POST", timeout=5)
        assert resp.status == 413, resp
    assert cgi.get("/cgi-bin/hello.sh").status == 200


def test_cgi_program_that_never_reads_stdin_still_answers(cgi):
    """The program answers and exits without reading a 1 MiB body: the
    server must not deadlock on the full pipe, nor give up on the answer."""
    body = b"x" * (1024 * 1024)
    with cgi.connect(timeout=10) as conn:
        start = time.monotonic()
        resp = conn.request(build("/cgi-bin/noread.sh", method="POST", body=body,
                                  headers={"Content-Length": len(body)}), method="POST")
        assert resp.status == 200, resp
        assert resp.body == b"I did not read the body\n"
        assert time.monotonic() - start < 5
        assert conn.request(build("/cgi-bin/hello.sh")).status == 200
    no_children_left(cgi)


# --------------------------------------------------------------------------
# The response: Status, redirects, framing
# --------------------------------------------------------------------------

def test_cgi_status_header_sets_the_status(cgi_launched):
    with cgi_launched.connect() as conn:
        resp = conn.request(build("/cgi-bin/status.sh"))
        assert resp.status == 404, resp
        assert resp.reason == "Not Found", resp
        assert resp.body == b"custom not found\n"
        assert resp.header("Content-Type") == "text/plain"
        assert resp.header("Status") is None, "the CGI Status field is not an HTTP header"
        assert conn.request(build("/static.txt")).status == 200


def test_cgi_local_redirect_serves_the_target(cgi, cgi_site):
    """Location: /path alone: the server serves /path instead (§6.2.2)."""
    resp = cgi.get("/cgi-bin/local-redirect.sh")
    assert resp.status == 200, resp
    assert resp.body == cgi_site.read("target.txt")
    assert resp.header("Content-Type", "").startswith("text/plain"), resp
    assert resp.header("Location") is None, resp


def test_cgi_client_redirect_gives_302(cgi):
    """Location: an absolute URI: 302 Found to the client (§6.2.3)."""
    resp = cgi.get("/cgi-bin/client-redirect.sh")
    assert resp.status == 302, resp
    assert resp.header("Location") == "http://example.com/elsewhere?x=1", resp


def test_cgi_output_with_content_length_is_passed_on(cgi):
    with cgi.connect() as conn:
        resp = conn.request(build("/cgi-bin/withlength.sh"))
        assert resp.status == 200, resp
        assert resp.header("Content-Length") == "15", resp
        assert resp.header("Transfer-Encoding") is None, resp
        assert resp.body == b"exactly fifteen"
        assert conn.request(build("/static.txt")).status == 200


def test_cgi_output_without_length_is_chunked_for_http11(cgi):
    with cgi.connect() as conn:
        resp = conn.request(build("/cgi-bin/nolength.sh"))
        assert resp.status == 200, resp
        assert resp.has_token("Transfer-Encoding", "chunked"), resp
        assert resp.header("Content-Length") is None, resp
        assert resp.body == NOLENGTH_BODY
        assert conn.request(build("/static.txt")).status == 200, "the connection did not persist"


@pytest.mark.parametrize("headers", [{}, {"Connection": "keep-alive"}], ids=["plain", "keep-alive"])
def test_cgi_output_without_length_is_close_delimited_for_http10(cgi, headers):
    """HTTP/1.0 has no chunked encoding: the end of the body is the close,
    even when the client asked for keep-alive."""
    with cgi.connect() as conn:
        resp = conn.request(build("/cgi-bin/nolength.sh", version="HTTP/1.0", headers=headers))
        assert resp.status == 200, resp
        assert resp.header("Content-Length") is None, resp
        assert resp.header("Transfer-Encoding") is None, resp
        assert resp.has_token("Connection", "close"), resp
        assert not resp.has_token("Connection", "keep-alive"), resp
        assert resp.body == NOLENGTH_BODY
        assert conn.eof, "read_response read until the close"


def test_cgi_10_mib_output_to_a_slow_reader(start_cgi):
    """10 MiB streamed through the server to a client that reads slowly at
    first: nothing lost, nothing reordered (the program must be held back
    while the client does not keep up)."""
    srv = start_cgi()
    expected = big_output()
    with srv.connect(rcvbuf=32 * 1024, timeout=30) as conn:
        conn.send(build("/cgi-bin/big.py"))
        deadline = time.monotonic() + 20
        slow_part = 3 * 1024 * 1024
        while len(conn.buf) < slow_part:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"only {len(conn.buf)} bytes after 20 s"
            conn.sock.settimeout(remaining)
            data = conn.sock.recv(16 * 1024)
            assert data, f"closed after {len(conn.buf)} bytes"
            conn.buf += data
            time.sleep(0.001)  # pacing: a slow reader, not synchronisation
        resp = conn.read_response(timeout=20)
        assert resp.status == 200, resp
        assert len(resp.body) == len(expected)
        assert hashlib.sha256(resp.body).digest() == hashlib.sha256(expected).digest()
        assert conn.request(build("/static.txt")).status == 200
    no_children_left(srv)


# --------------------------------------------------------------------------
# Programs that fail, hang, or try to smuggle headers
# --------------------------------------------------------------------------

def test_cgi_timeout_before_the_header_gives_504_and_kills_the_program(start_cgi, cgi_site,
                                                                       launch):
    srv = start_cgi("--cgi-timeout", 1, "--cgi-launch", launch)
    token = f"timeout-{os.getpid()}-{time.monotonic_ns()}"
    with srv.connect() as conn:
        start = time.monotonic()
        resp = conn.request(build(f"/cgi-bin/sleep.sh?{token}"), timeout=6)
        elapsed = time.monotonic() - start
    assert resp.status == 504, resp
    assert 0.9 <= elapsed < 4, f"504 after {elapsed:.2f} s with --cgi-timeout 1"
    shell, child = cgi_site.wait_pids(token)
    wait_until(lambda: gone(shell), 5, message=f"program {shell} still exists after the 504")
    wait_until(lambda: not_running(child), 5,
               message=f"the program's own child {child} survived (kill the process group)")
    no_children_left(srv)
    assert srv.get("/cgi-bin/hello.sh").status == 200


def test_cgi_timeout_after_the_header_closes_the_connection(start_cgi, cgi_site):
    """The status line already went out: the only signal left is the close,
    before the chunked body's last chunk."""
    srv = start_cgi("--cgi-timeout", 1)
    token = f"late-{os.getpid()}-{time.monotonic_ns()}"
    with srv.connect() as conn:
        start = time.monotonic()
        conn.send(build(f"/cgi-bin/head-then-sleep.sh?{token}"))
        raw = conn.read_until_close(6)
        elapsed = time.monotonic() - start
    assert raw.startswith(b"HTTP/1.1 200 "), raw[:200]
    assert b"partial body" in raw, raw[:500]
    assert not raw.endswith(b"0\r\n\r\n"), "a complete chunked body from a killed program"
    assert 0.9 <= elapsed < 4, f"closed after {elapsed:.2f} s with --cgi-timeout 1"
    shell, child = cgi_site.wait_pids(token)
    wait_until(lambda: gone(shell), 5, message=f"program {shell} still exists")
    wait_until(lambda: not_running(child), 5, message=f"its child {child} survived")
    no_children_left(srv)


@pytest.mark.parametrize("script", ["crash.sh", "truncated.sh", "malformed.sh"],
                         ids=["segv-before-headers", "exits-mid-header", "malformed-header"])
def test_cgi_program_without_a_valid_header_gives_502(cgi_launched, script):
    with cgi_launched.connect() as conn:
        resp = conn.request(build(f"/cgi-bin/{script}"))
        assert resp.status == 502, resp
    assert cgi_launched.get("/cgi-bin/hello.sh").status == 200
    no_children_left(cgi_launched)


def test_cgi_program_that_cannot_be_executed_gives_502(cgi_launched, launch):
    """Executable, but its interpreter is missing, so execve fails. After
    fork the child exits 127 without a word; posix_spawn returns the error
    at once, and the server logs it. Either way: 502, and the connection
    and the server go on."""
    with cgi_launched.connect() as conn:
        resp = conn.request(build("/cgi-bin/no-interpreter.sh"))
        assert resp.status == 502, resp
        assert b"I ran" not in resp.body
        assert conn.request(build("/cgi-bin/hello.sh")).status == 200
    no_children_left(cgi_launched)
    if launch == "spawn":
        wait_until(lambda: "no-interpreter.sh" in cgi_launched.stderr_text(), 3,
                   message="posix_spawn's error was not logged:\n"
                           + cgi_launched.stderr_text())


def test_cgi_bare_cr_in_a_header_value_never_reaches_the_client(cgi):
    with cgi.connect() as conn:
        conn.send(build("/cgi-bin/bare-cr.py", headers={"Connection": "close"}))
        raw = conn.read_until_close(5)
    assert raw.startswith(b"HTTP/1.1 502 "), raw[:300]
    assert b"Injected" not in raw, f"the program's smuggled header reached the client: {raw!r}"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r" not in head.replace(b"\r\n", b""), f"a bare CR in the response head: {head!r}"


@pytest.mark.parametrize("how", ["close", "reset"])
def test_cgi_client_disconnect_kills_the_program(cgi_launched, cgi_site, how):
    """The client leaves (FIN, or RST) while its program sleeps: the program
    and its own child are killed, and the server reaps the program."""
    cgi = cgi_launched
    token = f"disconnect-{how}-{os.getpid()}-{time.monotonic_ns()}"
    conn = cgi.connect()
    try:
        conn.send(build(f"/cgi-bin/sleep.sh?{token}"))
        shell, child = cgi_site.wait_pids(token)
        assert os.getpgid(shell) == shell, "the program leads its own process group"
        assert not gone(shell)
    finally:
        if how == "reset":
            conn.abort()
        else:
            conn.close()
    wait_until(lambda: gone(shell), 5,
               message=f"program {shell} still exists 5 s after its client left")
    wait_until(lambda: not_running(child), 5, message=f"its child {child} survived")
    no_children_left(cgi)


def test_cgi_stop_with_a_program_running(cgi, cgi_site):
    """SIGTERM while a program sleeps: the server waits at most its grace for
    in-flight requests (5 s), then kills the program, reaps it and exits 0."""
    token = f"stop-{os.getpid()}-{time.monotonic_ns()}"
    with cgi.connect() as conn:
        conn.send(build(f"/cgi-bin/sleep.sh?{token}"))
        shell, child = cgi_site.wait_pids(token)
        start = time.monotonic()
        cgi.send_signal(signal.SIGTERM)
        try:
            cgi.proc.wait(STOP_GRACE + 3)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOP_GRACE + 3} s after SIGTERM with a program running")
        elapsed = time.monotonic() - start
        rc = cgi.terminate()  # it exited: mark it stopped, close its pipes
        assert rc == 0, f"exit status {rc}"
        assert conn.wait_closed(2), "the client's connection outlived the server"
    assert elapsed <= STOP_GRACE + 1, f"stop took {elapsed:.2f} s"
    assert gone(shell), f"program {shell} was not reaped before the server exited"
    wait_until(lambda: not_running(child), 3, message=f"its child {child} survived")


# --------------------------------------------------------------------------
# What runs, and what it inherits
# --------------------------------------------------------------------------

def test_cgi_program_sees_only_fds_0_1_2(cgi_launched):
    # A few open connections and a finished request, so the server holds
    # more descriptors than its listening socket when it forks.
    with cgi_launched.connect() as a, cgi_launched.connect() as b:
        assert a.request(build("/static.txt")).status == 200
        resp = b.request(build("/cgi-bin/fds.py"))
    assert resp.status == 200, resp
    fds = [int(line.split()[0]) for line in resp.text.splitlines()]
    assert fds == [0, 1, 2], f"open descriptors in the program:\n{resp.text}"


def test_cgi_program_runs_in_its_directory(cgi_launched, cgi_site):
    """The working directory is the program's (RFC 3875 §7.2)."""
    resp = cgi_launched.get("/cgi-bin/cwd.sh")
    assert resp.status == 200, resp
    assert resp.text == os.path.realpath(cgi_site.cgi_bin) + "\n", resp.text


def test_cgi_executable_outside_the_cgi_dir_is_served_as_a_file(cgi, cgi_site):
    """Tinyhttpd runs any file with execute bits; here only the CGI
    directory holds programs."""
    resp = cgi.get("/run-me.sh")
    assert resp.status == 200, resp
    assert resp.body == cgi_site.read("run-me.sh"), "not the file's content verbatim"
    assert not cgi_site.run_me_marker.exists(), "the file was run"


@pytest.mark.parametrize("raw,status", [
    (build("/cgi-bin/noexec.sh"), 403),
    (build("/cgi-bin/no-such-program"), 404),
    (build("/cgi-bin/"), 403),
    (build("/cgi-bin/x", method="PUT", headers={"Content-Length": 0}), 501),
    (build("/cgi-bin/hello.sh", method="DELETE"), 501),
], ids=["not-executable", "missing", "dir", "PUT", "DELETE"])
def test_cgi_refusals(cgi, raw, status):
    with cgi.connect() as conn:
        resp = conn.request(raw)
        assert resp.status == status, resp
        assert b"I must not run" not in resp.body
    assert not children_of(cgi.pid), "a refused request started a program"


def test_cgi_dir_option(start_cgi):
    """--cgi-dir alt-cgi: /cgi-bin/NAME runs NAME from <root>/alt-cgi, and
    the default directory holds no programs any more."""
    srv = start_cgi("--cgi-dir", "alt-cgi")
    resp = srv.get("/cgi-bin/alt.sh")
    assert resp.status == 200, resp
    assert resp.body == b"from the alt dir\n"
    assert srv.get("/cgi-bin/hello.sh").status == 404


# --------------------------------------------------------------------------
# Children are reaped; a program never blocks its worker
# --------------------------------------------------------------------------

def test_cgi_no_zombies_after_200_requests(cgi_launched):
    cgi = cgi_launched
    start = time.monotonic()
    with cgi.connect() as conn:
        for i in range(200):
            resp = conn.request(build("/cgi-bin/hello.sh"))
            assert resp.status == 200, (i, resp)
            assert resp.body == b"hello from cgi\n"
            if i % 50 == 49:
                zombies = zombies_of(cgi.pid)
                assert len(zombies) <= 4, f"{len(zombies)} zombies after {i + 1} requests"
    assert time.monotonic() - start < 30
    no_children_left(cgi)


def test_cgi_slow_program_does_not_block_its_worker(start_cgi, cgi_site):
    """--threads 1: while a program sleeps 2 s, the one worker serves a
    static request on another connection at once."""
    srv = start_cgi("--threads", 1)
    with srv.connect() as slow, srv.connect() as fast:
        start = time.monotonic()
        slow.send(build("/cgi-bin/slow.sh"))
        for _ in range(3):
            t0 = time.monotonic()
            resp = fast.request(build("/static.txt"), timeout=5)
            elapsed = time.monotonic() - t0
            assert resp.status == 200, resp
            assert resp.body == cgi_site.read("static.txt")
            assert elapsed < 0.5, f"a static request took {elapsed:.2f} s beside a CGI program"
        assert not slow.readable_within(0), "the slow program answered early"
        resp = slow.read_response(timeout=6)
        assert resp.status == 200, resp
        assert resp.body == b"slept 2 s\n"
        assert time.monotonic() - start >= 1.9


# --------------------------------------------------------------------------
# A real program: git's smart HTTP server
# --------------------------------------------------------------------------

def _git(args, env, cwd=None, timeout=60):
    proc = subprocess.run(["git", "-c", "protocol.version=2", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    assert proc.returncode == 0, (f"git {' '.join(args)} failed ({proc.returncode}):\n"
                                  f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return proc.stdout.decode().strip()


def test_cgi_git_push_and_clone_through_http_backend(cgi, cgi_site, tmp_path):
    if shutil.which("git") is None or not os.access(GIT_HTTP_BACKEND, os.X_OK):
        pytest.skip(f"needs git and {GIT_HTTP_BACKEND} (Debian: apt-get install git)")
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    name = f"repo-{os.getpid()}-{time.monotonic_ns()}.git"
    bare = cgi_site.git_root / name
    _git(["init", "--quiet", "--bare", "--initial-branch=main", str(bare)], env)
    _git(["config", "http.receivepack", "true"], env, cwd=bare)

    work = tmp_path / "work"
    _git(["init", "--quiet", "--initial-branch=main", str(work)], env)
    blob = os.urandom(3 * 1000 * 1000)  # random: the pack stays ~3 MB, sent chunked
    (work / "data.bin").write_bytes(blob)
    (work / "README").write_text("pushed through stephttpd's CGI\n")
    _git(["add", "data.bin", "README"], env, cwd=work)
    _git(["commit", "--quiet", "-m", "a commit with a 3 MB binary"], env, cwd=work)
    commit = _git(["rev-parse", "HEAD"], env, cwd=work)

    url = f"http://{cgi.host}:{cgi.port}/cgi-bin/git/{name}"
    _git(["push", "--quiet", url, "HEAD:refs/heads/main"], env, cwd=work)
    assert _git(["rev-parse", "refs/heads/main"], env, cwd=bare) == commit

    clone = tmp_path / "clone"
    _git(["clone", "--quiet", "-b", "main", url, str(clone)], env)
    assert _git(["rev-parse", "HEAD"], env, cwd=clone) == commit
    assert (clone / "data.bin").read_bytes() == blob
    assert (clone / "README").read_bytes() == (work / "README").read_bytes()
    no_children_left(cgi)
