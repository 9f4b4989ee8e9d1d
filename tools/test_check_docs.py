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


@pytest.mark.parametrize("cmd, why", [
    ("curl -si http://127.0.0.1:8080/", None),
    ("kill -USR1 $PID", None),
    ("time { kill -TERM $PID; wait $PID; }", None),
    ("curl -s -o /dev/null http://127.0.0.1:8080/ 2>&1 | grep x && echo ok", None),
    ("for i in 1 2 3; do sleep 10 | nc 127.0.0.1 8080 & done; sleep 1", None),
    ("cat > www/x <<'EOF'\nno-such-program here\nEOF", None),
    ("sudo ss -ltnp", "needs root"),
    ("no-such-program-here --version | head -1", "no-such-program-here is not installed"),
])
def test_skip_rules(cmd, why):
    assert cd.skip_reason(cmd, []) == why


def test_a_shell_function_of_the_chapter_is_not_a_missing_program():
    assert cd.skip_reason("a=$(ctx); echo $a", [], {"ctx"}) is None
    assert cd.skip_reason("a=$(ctx); echo $a", []) == "ctx is not installed"


def test_console_commands_read_a_here_document():
    body = ["$ cat > f <<'EOF'", "line", "$ not a command", "EOF", "$ cat f", "line"]
    assert cd.console_commands(body) == [("cat > f <<'EOF'\nline\n$ not a command\nEOF", []),
                                         ("cat f", ["line"])]


def test_what_the_reader_types_into_nc():
    lines = ["httpd: quiesced", "HEAD / HTTP/1.1", "Host: x", "", "HTTP/1.1 200 OK", ""]
    assert cd.split_typed(lines) == [("out", ["httpd: quiesced"]),
                                     ("typed", ["HEAD / HTTP/1.1", "Host: x", ""]),
                                     ("out", ["HTTP/1.1 200 OK", ""])]


def test_directives_loosen_only_what_they_name():
    loose = cd.Loose(varies=["VmRSS"], drops=["] poll"])
    assert loose(["VmRSS:\t    3052 kB", "[trace] poll w0", "1001"]) == \
        loose(["VmRSS:   7808 kB", "1001"])
    assert loose(["1001"]) != loose(["1000"])


def test_normalize_ignores_what_varies():
    doc = ["Date: Sun, 22 Nov 2026 05:27:13 GMT", "[trace] accept fd=4 peer=127.0.0.1:55494",
           "index.html: 200 in 0.000467s", "05:50:20.958  line 1", "PATH=/work/main/www/x",
           "HTTP_HOST=127.0.0.1:8080", ""]
    run = ["Date: Mon, 01 Jan 2024 00:00:00 GMT\r", "[trace] accept fd=4 peer=127.0.0.1:40001",
           "index.html: 200 in 0.1s", "11:02:03.004  line 1", "PATH=/home/me/src/www/x",
           "HTTP_HOST=127.0.0.1:39999"]
    assert cd.normalize(doc) == cd.normalize(run, "39999")
    assert cd.normalize(["Content-Length: 441"]) != cd.normalize(["Content-Length: 442"])


# A tiny server with the command-line contract, for replaying a chapter
# without building anything.
FAKE_HTTPD = """\
#!/usr/bin/env python3
import http.server, signal, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=args["--root"], **k)
    def log_message(self, fmt, *a):
        print("[trace] " + self.requestline, file=sys.stderr, flush=True)
server = http.server.HTTPServer(("127.0.0.1", int(args["--port"])), Handler)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.signal(signal.SIGINT, lambda *a: sys.exit(0))
print("listening on http://127.0.0.1:%d" % server.server_port, flush=True)
server.serve_forever()
"""

REPLAY_CHAPTER = """\
# Step 01 — Demo

## Try it

In a first terminal:

```console
$ build/step01/httpd --root www --port 8080
listening on http://127.0.0.1:8080
```

In a second one:

```console
$ curl -s http://127.0.0.1:8080/hello.txt
hello
$ printf 'GET /hello.txt HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080 | head -1
HTTP/1.0 200 OK
```

The first terminal shows:

<!-- check-docs: terminal 1 -->
```
[trace] GET /hello.txt HTTP/1.1
[trace] GET /hello.txt HTTP/1.0
```

### In the background

```console
$ build/step01/httpd --root www --port 8080 2>trace.txt & PID=$!
listening on http://127.0.0.1:8080
$ echo "8080 is the port" > /tmp/note.txt; cat /tmp/note.txt
8080 is the port
$ kill $PID; wait $PID; echo "exit status $?"
exit status 0
$ cat trace.txt
$ date
Sun Nov 22 05:27:13 UTC 2026
```
"""


@pytest.fixture
def replay_tree(tmp_path):
    repo = tmp_path / "repo"
    write(repo, "www/hello.txt", "hello\n")
    write(repo, "step01-demo/README.md", REPLAY_CHAPTER)
    httpd = write(tmp_path, "build/step01-demo/httpd", FAKE_HTTPD)
    httpd.chmod(0o755)
    return repo, tmp_path / "build"


def test_a_chapter_replays_for_real(replay_tree):
    repo, build = replay_tree
    chapter = (repo / "step01-demo/README.md").read_text()
    write(repo, "step01-demo/README.md",
          chapter.replace("$ date\nSun Nov 22 05:27:13 UTC 2026\n", ""))
    r = run(repo, "--only", "replay", "--build-dir", str(build), "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5 commands replayed, 2 server starts, 1 terminal outputs, 0 skipped" in r.stdout
    assert not (repo / "trace.txt").exists()  # it ran in a scratch directory


def test_a_replay_that_differs_fails_with_a_diff(replay_tree):
    repo, build = replay_tree
    chapter = (repo / "step01-demo/README.md").read_text()
    write(repo, "step01-demo/README.md", chapter.replace("hello\n$ printf", "goodbye\n$ printf"))
    r = run(repo, "--only", "replay", "--build-dir", str(build))
    assert r.returncode == 1
    assert "-goodbye\n+hello" in r.stdout, r.stdout
    assert "$ date" in r.stdout  # the date differs too: a clock time is not a Date: header
    assert r.stdout.count("Try it output differs") == 2, r.stdout


def test_a_missing_program_is_skipped_with_its_reason(replay_tree):
    repo, build = replay_tree
    write(repo, "step01-demo/README.md", "# S\n\n## Try it\n\n```console\n"
                                         "$ no-such-tool-here -x\n42\n```\n")
    r = run(repo, "--only", "replay", "--build-dir", str(build), "-v")
    assert r.returncode == 0, r.stdout
    assert "skipped (no-such-tool-here is not installed)" in r.stdout


def test_try_it_section_stops_at_the_next_chapter_heading():
    lines = ["# T", "## Try it", "```console", "## not a heading", "```", "### Sub", "x",
             "## What the tests show", "y"]
    assert cd.try_it_section(lines) == (1, 7)
