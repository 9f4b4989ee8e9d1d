"""Labs of step01 (docs/labs.md): conditional GET, and a directory listing.

Each test fails until its exercise is solved; the normal run skips it
(tests/labs/conftest.py). Check one lab:

    STEPHTTPD_LABS=step01-last-modified /usr/bin/python3 -m pytest tests/labs --step 1
"""

import email.utils
import html.parser
import os
import urllib.parse

import pytest

import httpclient

build = httpclient.build_request

# A fixed modification time, so the expected Last-Modified is known:
# Tue, 14 Nov 2023 22:13:20 GMT.
MTIME = 1_700_000_000
PAGE = b"<!doctype html>\n<title>dated</title>\n<p>a page with a known date</p>\n"


def http_date(seconds):
    return email.utils.formatdate(seconds, usegmt=True)


# --------------------------------------------------------------------------
# step01-last-modified: Last-Modified, If-Modified-Since, 304 Not Modified
# --------------------------------------------------------------------------

@pytest.fixture
def dated(start_server, tmp_path):
    root = tmp_path / "dated"
    root.mkdir()
    (root / "page.html").write_bytes(PAGE)
    os.utime(root / "page.html", (MTIME, MTIME))
    return start_server(root=root)


def conditional_get(srv, since, method="GET"):
    headers = [] if since is None else [("If-Modified-Since", since)]
    return srv.get("/page.html", method=method, headers=headers)


@pytest.mark.lab("step01-last-modified")
def test_last_modified_is_the_files_mtime(dated):
    resp = conditional_get(dated, None)
    assert resp.status == 200, resp
    assert resp.header("Last-Modified") == http_date(MTIME), (
        f"Last-Modified must be the file's mtime as an HTTP-date (RFC 9110 §8.8.2): {resp!r}")
    assert resp.body == PAGE


@pytest.mark.lab("step01-last-modified")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("offset", [0, 3600], ids=["same-date", "later-date"])
def test_not_modified_since_gives_304_without_a_body(dated, method, offset):
    with dated.connect() as conn:
        conn.send(build("/page.html", method=method,
                        headers=[("If-Modified-Since", http_date(MTIME + offset)),
                                 ("Connection", "close")]))
        resp = conn.read_response(method)
        assert resp.status == 304, f"the file is not newer than If-Modified-Since: {resp!r}"
        assert resp.header("Date") and resp.header("Server"), resp
        length = resp.header("Content-Length")
        assert length in (None, str(len(PAGE))), (
            f"a 304 must not announce Content-Length {length} for a {len(PAGE)}-byte file "
            f"(RFC 9110 §8.6): leave it out or send the file's length")
        assert conn.wait_closed(5), "the request said Connection: close"
        assert conn.buf == b"", f"a 304 has no body, got {conn.buf[:200]!r}"


@pytest.mark.lab("step01-last-modified")
@pytest.mark.parametrize("since", [http_date(MTIME - 1), "not a date", "Sat, 01 Jan 2000 00:00:00 GMT"],
                         ids=["one-second-older", "garbage", "year-2000"])
def test_modified_since_or_bad_date_gives_the_file(dated, since):
    resp = conditional_get(dated, since)
    assert resp.status == 200, f"If-Modified-Since: {since!r} must give the whole file: {resp!r}"
    assert resp.body == PAGE
    assert resp.header("Last-Modified") == http_date(MTIME), resp


# --------------------------------------------------------------------------
# step01-listing: --listing serves an HTML list of a directory without index.html
# --------------------------------------------------------------------------

LISTED = {
    "plain.txt": b"plain\n",
    "a b#c.txt": b"space and hash\n",
    '<x>&"y".txt': b"markup characters\n",
    "100%.txt": b"a percent sign\n",
    "\u00f6l.txt": "UTF-8 name \u00f6\n".encode(),
}


class Anchors(html.parser.HTMLParser):
    """(href, text) of every <a href> in a page; entities already decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self._href = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href") is not None:
            self._href = dict(attrs)["href"]
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


@pytest.fixture
def listing_root(tmp_path):
    root = tmp_path / "listing"
    (root / "listed" / "inner").mkdir(parents=True)
    for name, data in LISTED.items():
        (root / "listed" / name).write_bytes(data)
    (root / "listed" / "inner" / "deep.txt").write_bytes(b"deep\n")
    (root / "with-index").mkdir()
    (root / "with-index" / "index.html").write_bytes(b"<p>the index wins</p>\n")
    (root / "with-index" / "other.txt").write_bytes(b"other\n")
    return root


def fetch_listing(srv, path):
    resp = srv.get(path)
    assert resp.status == 200, f"--listing: {path} has no index.html, so list it: {resp!r}"
    ctype = resp.header("Content-Type", "")
    assert ctype.startswith("text/html"), f"a listing is HTML: Content-Type {ctype!r}"
    return resp


@pytest.mark.lab("step01-listing")
def test_listing_links_every_entry_and_each_link_works(start_server, listing_root):
    srv = start_server(root=listing_root, extra_args=["--listing"])
    resp = fetch_listing(srv, "/listed/")
    page = resp.body.decode("utf-8")
    parser = Anchors()
    parser.feed(page)
    by_text = {text.rstrip("/"): href for href, text in parser.links}
    for name, data in LISTED.items():
        assert name in by_text, (f"no <a> whose text is the name {name!r} "
                                 f"(HTML-escaped in the page); links: {parser.links}")
        href = by_text[name]
        assert all(33 <= ord(c) < 127 for c in href) and "#" not in href and '"' not in href, (
            f"percent-encode the href of {name!r}: {href!r}")
        url = urllib.parse.urljoin("/listed/", href)
        got = srv.get(url)
        assert got.status == 200 and got.body == data, f"link {href!r} of {name!r} -> {got!r}"
    assert "inner" in by_text, f"subdirectories are listed too: {parser.links}"
    got = srv.get(urllib.parse.urljoin("/listed/", by_text["inner"]))
    assert got.status in (200, 301), got
    assert "<x>" not in page, "escape < > & \" in the names shown (the page has a raw <x>)"


@pytest.mark.lab("step01-listing")
def test_listing_keeps_index_html_and_the_403_without_the_flag(start_server, listing_root):
    srv = start_server(root=listing_root, extra_args=["--listing"])
    resp = srv.get("/with-index/")
    assert resp.status == 200 and resp.body == b"<p>the index wins</p>\n", resp
    redirect = srv.get("/listed")
    assert redirect.status == 301 and redirect.header("Location") == "/listed/", redirect
    plain = start_server(root=listing_root)
    refused = plain.get("/listed/")
    assert refused.status == 403, f"without --listing the contract still says 403: {refused!r}"
