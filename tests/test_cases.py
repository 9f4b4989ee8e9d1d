"""Replay every raw request in tests/cases/*.http and check the status.

A case file starts with comment lines, then the request bytes exactly as sent:

    # expect: 400
    # why: a header line without a colon
    # header: Location: /sub/       (optional: a response header to check)
    # unless: cgi                   (optional: skip against steps with this cap)
    GET /page.html HTTP/1.1<CR><LF>
    ...

Replay one by hand:  grep -av '^#' tests/cases/NAME.http | nc -N 127.0.0.1 8080
"""

from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "cases"
# Statuses after which the server cannot know where the next request starts,
# so it must close the connection (docs/contract.md).
CLOSING_STATUSES = {400, 413, 414, 431}


class Case:
    def __init__(self, path):
        self.path = path
        self.name = path.stem
        self.expect = None
        self.why = ""
        self.headers = []  # (name, value) the response must carry
        self.unless = []
        self.needs = []
        data = path.read_bytes()
        while data.startswith(b"#"):
            line, _, data = data.partition(b"\n")
            text = line[1:].decode("utf-8").strip()
            key, _, value = text.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "expect":
                self.expect = int(value)
            elif key == "why":
                self.why = value
            elif key == "header":
                name, _, hvalue = value.partition(":")
                self.headers.append((name.strip(), hvalue.strip()))
            elif key == "unless":
                self.unless.append(value)
            elif key == "needs":
                self.needs.append(value)
            else:
                raise ValueError(f"{path.name}: unknown directive {text!r}")
        if self.expect is None:
            raise ValueError(f"{path.name}: no '# expect: STATUS' line")
        self.raw = data
        self.method = data.split(b" ", 1)[0].decode("latin-1")


def load_cases():
    return [Case(p) for p in sorted(CASES_DIR.glob("*.http"))]


def _params():
    out = []
    for case in load_cases():
        marks = [pytest.mark.cap("basic", *case.needs)]
        marks += [pytest.mark.without_cap(c) for c in case.unless]
        out.append(pytest.param(case, marks=marks, id=case.name))
    return out


@pytest.mark.parametrize("case", _params())
def test_case(server, case):
    with server.connect() as conn:
        conn.send(case.raw)
        resp = conn.read_response(case.method)
        assert resp.status == case.expect, (
            f"{case.name}: expected {case.expect} ({case.why}), got {resp!r}")
        assert resp.version == "HTTP/1.1", f"responses are HTTP/1.1: {resp.raw_head[:60]!r}"
        for name, value in case.headers:
            assert resp.header(name) == value, f"{name}: {resp.header(name)!r}, want {value!r}"
        if case.expect in CLOSING_STATUSES:
            assert resp.has_token("Connection", "close"), (
                f"a {case.expect} for a malformed message must say Connection: close: {resp!r}")
            assert conn.wait_closed(5), f"the server kept the connection open after a {case.expect}"
    if case.expect >= 400:
        after = server.get("/page.html")
        assert after.status == 200, f"after {case.name} the server no longer serves: {after!r}"


def test_cases_are_well_formed():
    """The data itself: enough cases, every status of the contract, nothing a
    'grep -v ^#' replay would eat."""
    cases = load_cases()
    assert len(cases) >= 40
    statuses = {c.expect for c in cases}
    assert {200, 301, 400, 403, 404, 413, 414, 431, 501, 505} <= statuses
    for c in cases:
        assert c.raw, c.name
        assert not any(line.startswith(b"#") for line in c.raw.split(b"\n")), c.name
        assert c.raw.endswith(b"\n") or b"Content-Length" in c.raw or b"chunked" in c.raw, c.name
