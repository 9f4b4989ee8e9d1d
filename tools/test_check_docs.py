"""Tests for tools/check-docs: links and code quotes on a fake tree, and the
pieces of the Try-it replay that need no server.

Run:  /usr/bin/python3 -m pytest tools/test_check_docs.py
"""

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent
CHECK_DOCS = TOOLS / "check-docs"


def load_module():
    loader = importlib.machinery.SourceFileLoader("check_docs", str(CHECK_DOCS))
    spec = importlib.util.spec_from_loader("check_docs", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


cd = load_module()


def write(root, relative, text):
    path = Path(root) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(repo, *args):
    return subprocess.run([sys.executable, str(CHECK_DOCS), "--repo", str(repo), *args],
                          capture_output=True, text=True)


GOOD_README = """\
# Demo

See [the primer](docs/http.md), [its methods](docs/http.md#methods--and-more),
[the second Notes](docs/http.md#notes-1), [step one](step01-demo/README.md),
[the step directory](step01-demo/), [a file with a space](www/hello%20w%C3%B6rld.txt),
[the top](#demo), [upstream](https://example.com/x.md#nothing) and
[a reference][ref].

`[not a link](nowhere.md)` is code, and so is this block:

```
[not a link either](nowhere.md)
```

[ref]: tests/README.md
"""

HTTP_MD = """\
# HTTP

## Methods — and more

## Notes

## Notes

<a id="custom-anchor"></a>

## `Content-Length` and **bold**
"""

SOURCE = """\
// worker.cpp
void Worker::run() {
    while (!stopping()) {
        poll_once();
    }
}
"""

CHAPTER = """\
# Step 01 — Demo

<!-- quote: step01-demo/src/worker.cpp -->
```cpp
void Worker::run() {
        poll_once();
    ...
}
```

## Try it

Nothing here.
"""


@pytest.fixture
def tree(tmp_path):
    write(tmp_path, "README.md", GOOD_README)
    write(tmp_path, "docs/http.md", HTTP_MD)
    write(tmp_path, "tests/README.md", "# Tests\n[back](../README.md#demo)\n")
    write(tmp_path, "tools/README.md", "# Tools\n[carry](../docs/http.md#custom-anchor)\n")
    write(tmp_path, "www/hello w\u00f6rld.txt", "hi\n")
    write(tmp_path, "step01-demo/src/worker.cpp", SOURCE)
    write(tmp_path, "step01-demo/README.md", CHAPTER)
    return tmp_path


def test_a_clean_tree_passes(tree):
    r = run(tree, "--no-replay")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "check-docs: ok" in r.stdout
    assert "quotes: 1 quoted blocks" in r.stdout


def test_broken_file_link_is_reported(tree):
    write(tree, "docs/extra.md", "# Extra\n\nSee [gone](missing.md) and [ok](http.md).\n")
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "docs/extra.md:3: broken link 'missing.md'" in r.stdout, r.stdout
    assert "http.md'" not in r.stdout.replace("missing.md'", "")


def test_a_link_whose_text_wraps_is_checked(tree):
    write(tree, "docs/extra.md", "# Extra\n\nSee [a link whose text\nwraps](gone.md) and\n"
                                 "[a good one that\nwraps too](http.md#notes).\n")
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "docs/extra.md:4: broken link 'gone.md'" in r.stdout, r.stdout
    assert r.stdout.count("error:") == 1, r.stdout


def test_broken_anchor_is_reported(tree):
    write(tree, "docs/extra.md", "# Extra\n[bad](http.md#no-such-heading)\n"
                                 "[good](http.md#content-length-and-bold)\n"
                                 "[self](#extra) [self bad](#nope)\n")
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "broken anchor 'http.md#no-such-heading'" in r.stdout, r.stdout
    assert "broken anchor '#nope'" in r.stdout, r.stdout
    assert "content-length-and-bold" not in r.stdout
    assert r.stdout.count("error:") == 2, r.stdout


def test_links_in_code_are_ignored_and_chapters_are_checked(tree):
    write(tree, "step01-demo/README.md", CHAPTER + "\n[broken](../docs/nothing.md)\n")
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "step01-demo/README.md:15: broken link '../docs/nothing.md'" in r.stdout, r.stdout
    assert "nowhere.md" not in r.stdout


def test_quote_with_a_line_not_in_the_source_is_reported(tree):
    write(tree, "step01-demo/README.md", CHAPTER.replace("poll_once();", "poll_twice();"))
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "not in step01-demo/src/worker.cpp: 'poll_twice();'" in r.stdout, r.stdout


def test_quote_of_a_missing_file_and_a_marker_without_a_block(tree):
    write(tree, "docs/q.md", "# Q\n\n<!-- quote: step01-demo/src/gone.cpp -->\n```\nx\n```\n\n"
                             "<!-- quote: step01-demo/src/worker.cpp -->\nprose, not a block\n")
    r = run(tree, "--no-replay")
    assert r.returncode == 1
    assert "quoted file step01-demo/src/gone.cpp does not exist" in r.stdout, r.stdout
    assert "docs/q.md:8: quote marker not followed by a fenced block" in r.stdout, r.stdout


def test_only_and_file_arguments(tree):
    write(tree, "docs/extra.md", "# Extra\n[gone](missing.md)\n")
    r = run(tree, "--only", "quotes", str(tree / "docs" / "extra.md"))
    assert r.returncode == 0, r.stdout
    r = run(tree, "--only", "links", str(tree / "docs" / "extra.md"))
    assert r.returncode == 1 and "missing.md" in r.stdout


def test_usage_errors_exit_2(tree, tmp_path):
    assert run(tree, "no-such-file.md").returncode == 2
    assert run(tmp_path / "nothing-here").returncode == 2


@pytest.mark.parametrize("heading, slug", [
    ("Step 03 — Poll pool", "step-03--poll-pool"),
    ("Try it", "try-it"),
    ("`tools/stepdiff`", "toolsstepdiff"),
    ("What the tests show", "what-the-tests-show"),
    ("Every Tinyhttpd pitfall this code avoids", "every-tinyhttpd-pitfall-this-code-avoids"),
    ("**Goal:** a [link](x.md)", "goal-a-link"),
    ("Größe & Co.", "größe--co"),
    ("snake_case_name", "snake_case_name"),
])
def test_github_slug(heading, slug):
    assert cd.github_slug(heading) == slug


def test_console_commands_join_continued_and_quoted_lines():
    body = ["$ curl -s http://127.0.0.1:8080/ \\", "    -o /dev/null", "$ python3 -c '",
            "import socket", "print(1)'", "1", "$ echo done", "done", ""]
    cmds = cd.console_commands(body)
    assert [c for c, _ in cmds] == ["curl -s http://127.0.0.1:8080/ \\\n    -o /dev/null",
                                    "python3 -c '\nimport socket\nprint(1)'", "echo done"]
    assert cmds[1][1] == ["1"] and cmds[2][1] == ["done", ""]


def test_start_spec_reads_the_chapters_server_options():
    line = ["listening on http://127.0.0.1:8080"]
    assert cd.start_spec("build/step02/httpd --root www --port 8080 --timeout 2 --trace", line) == \
        (2, [("root", "www"), ("arg", "--timeout"), ("arg", "2")], {})
    spec = cd.start_spec("SECRET=x build/default/step05-cgi/httpd --root www --port 8080 "
                         "--threads 1 --trace 2>trace.txt & PID=$!", line)
    assert spec == (5, [("root", "www"), ("arg", "--threads"), ("arg", "1")], {"SECRET": "x"})
    assert cd.start_spec("build/step01/httpd --timeout 5", ["httpd: --timeout is ..."]) is None


@pytest.mark.parametrize("cmd, replayed, taints", [
    ("curl -si http://127.0.0.1:8080/", True, False),
    ("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080 | tail -1", True, False),
    ("(printf 'GET / HTTP/1.1\\r\\n'; sleep 4) | nc 127.0.0.1 8080", True, False),
    ("curl -s -o /dev/null http://127.0.0.1:8080/ 2>&1 | grep x && echo ok", True, False),
    ("curl -s http://127.0.0.1:8080/api/wait &", False, True),
    ("kill -USR1 $PID", False, True),
    ("time nc 127.0.0.1 8080 < /dev/null", False, False),
    ("nc 127.0.0.1 8080", False, True),
    ("sudo ss -ltnp", False, False),
    ("git clone http://127.0.0.1:8080/cgi-bin/git/demo.git /tmp/demo", False, False),
    ("grep Threads /proc/$PID/status", False, False),
    ("curl -s https://example.com/", False, False),
])
def test_skip_rules(cmd, replayed, taints):
    reason, taint = cd.skip_reason(cmd, [])
    assert (reason is None) == replayed, reason
    assert bool(taint) == taints


def test_normalize_ignores_what_varies():
    doc = ["Date: Sun, 22 Nov 2026 05:27:13 GMT", "[trace] accept fd=4 peer=127.0.0.1:55494",
           "index.html: 200 in 0.000467s", "05:50:20.958  line 1", "PATH=/work/main/www/x",
           "HTTP_HOST=127.0.0.1:8080", ""]
    run = ["Date: Mon, 01 Jan 2024 00:00:00 GMT\r", "[trace] accept fd=4 peer=127.0.0.1:40001",
           "index.html: 200 in 0.1s", "11:02:03.004  line 1", "PATH=/home/me/src/www/x",
           "HTTP_HOST=127.0.0.1:39999"]
    assert cd.normalize(doc) == cd.normalize(run, "39999")
    assert cd.normalize(["Content-Length: 441"]) != cd.normalize(["Content-Length: 442"])


def test_try_it_section_stops_at_the_next_chapter_heading():
    lines = ["# T", "## Try it", "```console", "## not a heading", "```", "### Sub", "x",
             "## What the tests show", "y"]
    assert cd.try_it_section(lines) == (1, 7)
