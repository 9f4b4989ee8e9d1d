"""Static files: headers, content types, HEAD, redirects, index files, names,
symlinks, binary and large bodies, and the repository's own www/."""

import email.utils
import hashlib
import os
import re
import time
from datetime import datetime, timezone

import pytest

import httpclient

pytestmark = pytest.mark.cap("basic")

IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d{2}:\d{2}:\d{2} GMT$")


def media_type(value):
    return (value or "").split(";")[0].strip().lower()


# -- headers every response carries ---------------------------------------

@pytest.mark.parametrize("path,method,version,status", [
    ("/page.html", "GET", "HTTP/1.1", 200),
    ("/page.html", "HEAD", "HTTP/1.1", 200),
    ("/page.html", "GET", "HTTP/1.0", 200),
    ("/sub", "GET", "HTTP/1.1", 301),
    ("/empty-dir/", "GET", "HTTP/1.1", 403),
    ("/nope.html", "GET", "HTTP/1.1", 404),
    ("/%zz", "GET", "HTTP/1.1", 400),
    ("/page.html", "DELETE", "HTTP/1.1", 501),
    ("/page.html", "GET", "HTTP/2.0", 505),
], ids=["200", "200-head", "200-http10", "301", "403", "404", "400", "501", "505"])
def test_every_response_carries_the_contract_headers(server, target, path, method, version, status):
    resp = server.get(path, method=method, version=version)
    assert resp.status == status, resp
    assert resp.version == "HTTP/1.1", "all responses are HTTP/1.1"
    date = resp.header("Date")
    assert date is not None and IMF_FIXDATE.match(date), f"Date is not an IMF-fixdate: {date!r}"
    sent = email.utils.parsedate_to_datetime(date)
    assert abs((sent - datetime.now(timezone.utc)).total_seconds()) < 300, f"Date is off: {date}"
    server_hdr = resp.header("Server")
    if target.server_name:
        assert server_hdr == target.server_name
    else:
        assert server_hdr and re.match(r"^stephttpd/step\d\d$", server_hdr), server_hdr
    assert len(resp.header_all("Content-Length")) == 1 or resp.header("Transfer-Encoding"), resp
    assert len(resp.header_all("Date")) == 1 and len(resp.header_all("Server")) == 1


@pytest.mark.parametrize("path,types", [
    ("/index.html", {"text/html"}),
    ("/page.html", {"text/html"}),
    ("/style.css", {"text/css"}),
    ("/app.js", {"text/javascript", "application/javascript"}),
    ("/data.json", {"application/json"}),
    ("/image.png", {"image/png"}),
    ("/notes.txt", {"text/plain"}),
    ("/hello%20w%C3%B6rld.txt", {"text/plain"}),
    ("/README", {"application/octet-stream"}),
    ("/allbytes.bin", {"application/octet-stream"}),
    ("/", {"text/html"}),
    ("/sub/", {"text/html"}),
])
def test_content_type_from_extension(server, path, types):
    resp = server.get(path)
    assert resp.status == 200, resp
    assert media_type(resp.header("Content-Type")) in types, resp.header("Content-Type")


@pytest.mark.parametrize("rel", ["page.html", "empty.txt", "image.png", "allbytes.bin",
                                 "random-64k.bin", "sub/page.txt"])
def test_content_length_is_exact(server, docroot, rel):
    resp = server.get("/" + rel)
    assert resp.status == 200, resp
    data = docroot.read(rel)
    assert resp.header("Content-Length") == str(len(data))
    assert resp.body == data


@pytest.mark.parametrize("path", ["/page.html", "/image.png", "/big.bin", "/empty.txt",
                                  "/sub", "/nope.html", "/empty-dir/"])
def test_head_has_the_get_headers_and_no_body(server, path):
    get = server.get(path)
    with server.connect() as conn:
        conn.send(httpclient.build_request(path, "HEAD", headers={"Connection": "close"}))
        head = conn.read_response("HEAD")
        rest = conn.read_until_close(10)
    assert rest == b"", f"HEAD {path}: bytes after the head: {rest[:100]!r}"
    assert head.status == get.status
    strip = lambda r: sorted((n.lower(), v) for n, v in r.headers if n.lower() != "date")
    assert strip(head) == strip(get), "HEAD and GET headers differ"


# -- directories and redirects ---------------------------------------------

@pytest.mark.parametrize("path,location", [
    ("/sub", "/sub/"),
    ("/sub?x=1&y=%20", "/sub/?x=1&y=%20"),
    ("/linkdir-inside", "/linkdir-inside/"),
])
def test_directory_without_slash_redirects(server, path, location):
    resp = server.get(path)
    assert resp.status == 301, resp
    assert resp.header("Location") == location


@pytest.mark.parametrize("path,rel", [
    ("/", "index.html"),
    ("/sub/", "sub/index.html"),
    ("/sub/?q=1", "sub/index.html"),
    ("/linkdir-inside/", "sub/index.html"),
])
def test_directory_with_slash_serves_index_html(server, docroot, path, rel):
    resp = server.get(path)
    assert resp.status == 200, resp
    assert resp.body == docroot.read(rel)


def test_directory_without_index_is_forbidden_not_listed(server):
    resp = server.get("/empty-dir/")
    assert resp.status == 403, resp


# -- names ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/hello%20w%C3%B6rld.txt", "/hello%20w%c3%b6rld.txt",
                                  "/hell%6f%20w%C3%B6rld.txt"])
def test_utf8_name_with_space_via_percent_encoding(server, docroot, path):
    resp = server.get(path)
    assert resp.status == 200, resp
    assert resp.body == docroot.read("hello w\u00f6rld.txt")


def test_target_is_decoded_exactly_once(server, docroot):
    once = server.get("/100%2525.txt")
    assert once.status == 200, once
    assert once.body == docroot.read("100%25.txt"), "decoded twice?"
    plain = server.get("/100%25.txt")
    assert plain.status == 200, plain
    assert plain.body == docroot.read("100%.txt")


def test_query_is_not_part_of_the_path(server, docroot):
    resp = server.get("/page.html?file=../../etc/passwd#frag")
    assert resp.status == 200, resp
    assert resp.body == docroot.read("page.html")


# -- staying inside the root -------------------------------------------------

def test_symlink_to_a_file_inside_is_served(server, docroot):
    resp = server.get("/link-inside.html")
    assert resp.status == 200, resp
    assert resp.body == docroot.read("page.html")


@pytest.mark.parametrize("path", ["/link-outside.txt", "/linkdir-outside/secret.txt",
                                  "/linkdir-outside/", "/linkdir-outside/index.html"])
def test_symlink_leading_outside_is_forbidden(server, path):
    resp = server.get(path)
    assert resp.status == 403, resp
    assert b"SECRET" not in resp.body


@pytest.mark.parametrize("path", [
    "/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd", "/sub/../../etc/passwd",
    "/sub/%2e%2e/%2e%2e/etc/passwd", "/./../etc/passwd", "/..", "/sub/..%2f..%2fetc/passwd",
    "//etc/passwd", "/%2fetc/passwd", "/../outside/secret.txt", "/linkdir-outside",
])
def test_nothing_outside_the_root_is_served(server, path):
    resp = server.get(path)
    assert resp.status != 200, f"{path} was served: {resp!r}"
    assert b"root:" not in resp.body and b"SECRET" not in resp.body


def test_fifo_is_forbidden_and_does_not_block(server):
    resp = server.get("/fifo", timeout=5)
    assert resp.status == 403, resp
    assert server.get("/page.html").status == 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a mode-000 file")
def test_unreadable_file_is_forbidden(start_server, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    locked = root / "locked.txt"
    locked.write_bytes(b"locked\n")
    locked.chmod(0)
    srv = start_server(root=root)
    resp = srv.get("/locked.txt")
    assert resp.status == 403, resp


# -- bodies -----------------------------------------------------------------

@pytest.mark.parametrize("rel", ["image.png", "allbytes.bin", "random-64k.bin"])
def test_binary_file_is_byte_exact(server, docroot, rel):
    resp = server.get("/" + rel)
    assert resp.status == 200, resp
    assert resp.body == docroot.read(rel)


def test_big_file_through_a_slow_reader(server, docroot):
    """20 MiB through a small receive buffer, read with pauses: the server must
    resume partial writes and keep the bytes in order."""
    size = docroot.path.joinpath("big.bin").stat().st_size
    deadline = time.monotonic() + 40
    with server.connect(rcvbuf=16 * 1024, timeout=20) as conn:
        conn.send(httpclient.build_request("/big.bin", headers={"Connection": "close"}))
        while b"\r\n\r\n" not in conn.buf:
            assert conn._recv_some(deadline, 4096), "closed before the head"
        head, _, first = conn.buf.partition(b"\r\n\r\n")
        conn.buf = b""
        assert head.startswith(b"HTTP/1.1 200"), head
        assert f"content-length: {size}".encode() in head.lower(), head
        digest = hashlib.sha256(first)
        got, n = len(first), 0
        conn.sock.settimeout(20)
        while got < size:
            chunk = conn.sock.recv(16 * 1024)
            assert chunk, f"connection closed after {got} of {size} bytes"
            digest.update(chunk)
            got += len(chunk)
            n += 1
            if n % 8 == 0:
                time.sleep(0.002)  # a slow reader: let the server's send buffer fill
            assert time.monotonic() < deadline, f"too slow: {got} of {size} bytes in 40 s"
    assert got == size
    assert digest.hexdigest() == docroot.big_sha256


def test_head_of_big_file(server, docroot):
    resp = server.get("/big.bin", method="HEAD")
    assert resp.status == 200
    assert resp.header("Content-Length") == str(20 * 1024 * 1024)


def test_error_bodies_are_short_plain_text_naming_the_status(server):
    for raw, status in [
        (httpclient.build_request("/nope.html"), 404),
        (httpclient.build_request("/empty-dir/"), 403),
        (b"GET /page.html HTTP/1.1\r\n\r\n", 400),
        (httpclient.build_request("/page.html", "DELETE"), 501),
        (httpclient.build_request("/page.html", version="HTTP/2.0"), 505),
    ]:
        resp = server.request(raw)
        assert resp.status == status, resp
        assert resp.header("Content-Type", "").replace(" ", "").lower() == "text/plain;charset=utf-8"
        assert resp.text.startswith(f"{status} "), f"body should name the status: {resp.body!r}"
        assert 0 < len(resp.body) < 1024


# -- the repository's www/ ---------------------------------------------------

def _need(path):
    if not path.exists():
        pytest.skip(f"{path} is not there yet")


def test_repo_www_index(start_server, repo_www):
    _need(repo_www / "index.html")
    srv = start_server(root=repo_www)
    resp = srv.get("/")
    assert resp.status == 200, resp
    assert media_type(resp.header("Content-Type")) == "text/html"
    assert resp.body == (repo_www / "index.html").read_bytes()


@pytest.mark.parametrize("url,rel", [
    ("/images/logo.png", "images/logo.png"),
    ("/files/hello%20w%C3%B6rld.txt", "files/hello w\u00f6rld.txt"),
    ("/docs/", "docs/index.html"),
])
def test_repo_www_files(start_server, repo_www, url, rel):
    _need(repo_www / rel)
    srv = start_server(root=repo_www)
    resp = srv.get(url)
    assert resp.status == 200, resp
    assert resp.body == (repo_www / rel).read_bytes()


def test_repo_www_docs_redirects(start_server, repo_www):
    _need(repo_www / "docs")
    srv = start_server(root=repo_www)
    resp = srv.get("/docs")
    assert resp.status == 301, resp
    assert resp.header("Location") == "/docs/"
