"""The generated CGI site for test_cgi.py, and /proc helpers for children.

The site is written once per session into a temporary directory:

    <base>/root/                 the document root
        index.html, static.txt, target.txt
        run-me.sh                executable, but outside the CGI directory
        cgi-bin/                 the test programs (sh or /usr/bin/python3,
                                 standard library only, mode 755)
        cgi-bin/noexec.sh        mode 644: never run
        alt-cgi/alt.sh           for --cgi-dir alt-cgi
    <base>/state/                where programs leave their PIDs and markers
    <base>/git/                  GIT_PROJECT_ROOT of the cgi-bin/git wrapper

Programs that must be found again (to see that they were killed) write
"SHELL_PID CHILD_PID" into state/<QUERY_STRING> before they sleep.
"""

import os
import random
import textwrap
import time
from pathlib import Path

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
BIG_OUTPUT_SIZE = 10 * 1024 * 1024
BIG_OUTPUT_SEED = 20240501
NOLENGTH_BODY = b"".join(b"close-delimited line %05d\n" % i for i in range(4000))  # ~100 KB


def big_output():
    """The 10 MiB that cgi-bin/big.py writes (same seed, same generator)."""
    rng = random.Random(BIG_OUTPUT_SEED)
    return b"".join(rng.randbytes(65536) for _ in range(BIG_OUTPUT_SIZE // 65536))


def _scripts(state, git_root):
    """name -> (mode, text) of every program in cgi-bin/."""
    s = {}

    def add(name, text, mode=0o755):
        s[name] = (mode, textwrap.dedent(text).lstrip("\n"))

    add("env.py", """
        #!/usr/bin/python3
        # Dumps the environment it was given, as JSON. From /proc/self/environ,
        # not os.environ: Python adds LC_CTYPE to its own (PEP 538).
        import json, sys
        with open("/proc/self/environ", "rb") as f:
            items = [v.partition(b"=") for v in f.read().split(b"\\0") if v]
        env = {k.decode("latin-1"): v.decode("latin-1") for k, _, v in items}
        body = json.dumps(env, sort_keys=True).encode()
        sys.stdout.buffer.write(b"Content-Type: application/json\\r\\n\\r\\n" + body)
        """)
    add("echo.py", """
        #!/usr/bin/python3
        # Reads stdin to EOF and sends it back, with its length and checksum.
        import hashlib, os, sys
        data = sys.stdin.buffer.read()
        head = ("Content-Type: application/octet-stream\\r\\n"
                f"X-Body-Length: {len(data)}\\r\\n"
                f"X-Body-Sha256: {hashlib.sha256(data).hexdigest()}\\r\\n"
                f"X-Content-Length: {os.environ.get('CONTENT_LENGTH', '-')}\\r\\n"
                f"X-Request-Method: {os.environ.get('REQUEST_METHOD', '-')}\\r\\n"
                f"Content-Length: {len(data)}\\r\\n\\r\\n")
        sys.stdout.buffer.write(head.encode() + data)
        """)
    add("hello.sh", """
        #!/bin/sh
        printf 'Content-Type: text/plain\\n\\nhello from cgi\\n'
        """)
    add("status.sh", """
        #!/bin/sh
        printf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\ncustom not found\\n'
        """)
    add("local-redirect.sh", """
        #!/bin/sh
        printf 'Location: /target.txt\\n\\n'
        """)
    add("client-redirect.sh", """
        #!/bin/sh
        printf 'Location: http://example.com/elsewhere?x=1\\n\\n'
        """)
    add("noread.sh", """
        #!/bin/sh
        # Answers without reading its stdin, and stays a moment before exiting.
        printf 'Content-Type: text/plain\\n\\nI did not read the body\\n'
        sleep 0.3
        """)
    add("big.py", f"""
        #!/usr/bin/python3
        # Writes {BIG_OUTPUT_SIZE} pseudo-random bytes (no Content-Length).
        import random, sys
        out = sys.stdout.buffer
        out.write(b"Content-Type: application/octet-stream\\r\\n\\r\\n")
        rng = random.Random({BIG_OUTPUT_SEED})
        for _ in range({BIG_OUTPUT_SIZE // 65536}):
            out.write(rng.randbytes(65536))
        """)
    add("sleep.sh", f"""
        #!/bin/sh
        # Sends nothing, sleeps; leaves "its PID and the sleep's PID" in state/.
        sleep 30 &
        echo "$$ $!" > '{state}'/"$QUERY_STRING".tmp
        mv '{state}'/"$QUERY_STRING".tmp '{state}'/"$QUERY_STRING"
        wait
        """)
    add("head-then-sleep.sh", f"""
        #!/bin/sh
        # Sends its header section and a little body, then sleeps.
        printf 'Content-Type: text/plain\\n\\npartial body\\n'
        sleep 30 &
        echo "$$ $!" > '{state}'/"$QUERY_STRING".tmp
        mv '{state}'/"$QUERY_STRING".tmp '{state}'/"$QUERY_STRING"
        wait
        """)
    add("slow.sh", """
        #!/bin/sh
        sleep 2
        printf 'Content-Type: text/plain\\n\\nslept 2 s\\n'
        """)
    add("crash.sh", """
        #!/bin/sh
        # Dies of SIGSEGV before writing anything.
        kill -SEGV $$
        """)
    add("truncated.sh", """
        #!/bin/sh
        # Exits in the middle of its header section.
        printf 'Content-Type: text/pl'
        """)
    add("malformed.sh", """
        #!/bin/sh
        # A header line without a colon.
        printf 'Content-Type: text/plain\\nthis is not a header\\n\\nbody\\n'
        """)
    add("no-interpreter.sh", """
        #!/no/such/interpreter
        # Executable, but execve fails: its interpreter does not exist.
        printf 'Content-Type: text/plain\\n\\nI ran\\n'
        """)
    add("cwd.sh", """
        #!/bin/sh
        # Prints its working directory.
        printf 'Content-Type: text/plain\\n\\n%s\\n' "$(pwd -P)"
        """)
    add("bare-cr.py", """
        #!/usr/bin/python3
        # A header value holding a bare CR, followed by what would read as
        # a header of its own to a lenient client.
        import sys
        sys.stdout.buffer.write(b"Content-Type: text/plain\\r\\n"
                                b"X-Test: a\\rInjected: yes\\r\\n\\r\\nbody\\n")
        """)
    add("fds.py", """
        #!/usr/bin/python3
        # Lists its open file descriptors, one "N -> target" a line.
        import os, sys
        fds = []
        for name in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{name}")
            except OSError:
                continue  # the directory listdir() read, closed by now
            fds.append((int(name), target))
        body = "".join(f"{fd} -> {target}\\n" for fd, target in sorted(fds))
        sys.stdout.write("Content-Type: text/plain\\n\\n" + body)
        """)
    add("nolength.sh", """
        #!/bin/sh
        # A body without Content-Length: chunked for HTTP/1.1, until the
        # close for HTTP/1.0.
        printf 'Content-Type: text/plain\\n\\n'
        i=0
        while [ $i -lt 4000 ]; do
            printf 'close-delimited line %05d\\n' $i
            i=$((i + 1))
        done
        """)
    add("withlength.sh", """
        #!/bin/sh
        printf 'Content-Type: text/plain\\nContent-Length: 15\\n\\nexactly fifteen'
        """)
    add("git", f"""
        #!/bin/sh
        # git's smart HTTP server as a CGI program.
        GIT_PROJECT_ROOT='{git_root}'
        GIT_HTTP_EXPORT_ALL=1
        export GIT_PROJECT_ROOT GIT_HTTP_EXPORT_ALL
        exec {GIT_HTTP_BACKEND}
        """)
    add("noexec.sh", """
        #!/bin/sh
        printf 'Content-Type: text/plain\\n\\nI must not run\\n'
        """, mode=0o644)
    return s


class CgiSite:
    def __init__(self, base):
        self.base = base
        self.root = base / "root"
        self.cgi_bin = self.root / "cgi-bin"
        self.state = base / "state"
        self.git_root = base / "git"
        self.run_me_marker = self.state / "ran-outside"

    def read(self, rel):
        return (self.root / rel).read_bytes()

    def pid_file(self, token):
        return self.state / token

    def wait_pids(self, token, timeout=5.0):
        """(shell pid, child pid) a sleeping program left under token."""
        path = self.pid_file(token)
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() >= deadline:
                raise AssertionError(f"the program never wrote {path}")
            time.sleep(0.02)
        shell, child = path.read_text().split()
        return int(shell), int(child)


def make_cgi_site(base):
    base = Path(base)
    site = CgiSite(base)
    for d in (site.root, site.cgi_bin, site.state, site.git_root, site.root / "alt-cgi"):
        d.mkdir(parents=True, exist_ok=True)
    (site.root / "index.html").write_bytes(b"<!doctype html>\n<title>cgi site</title>\n")
    (site.root / "static.txt").write_bytes(b"a static file\n")
    (site.root / "target.txt").write_bytes(b"the local redirect's target\n")
    run_me = site.root / "run-me.sh"
    run_me.write_text(f"#!/bin/sh\ntouch '{site.run_me_marker}'\n"
                      "printf 'Content-Type: text/plain\\n\\nI ran\\n'\n")
    run_me.chmod(0o755)
    for name, (mode, text) in _scripts(site.state, site.git_root).items():
        path = site.cgi_bin / name
        path.write_text(text)
        path.chmod(mode)
    alt = site.root / "alt-cgi" / "alt.sh"
    alt.write_text("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nfrom the alt dir\\n'\n")
    alt.chmod(0o755)
    return site


# --------------------------------------------------------------------------
# Processes, from /proc
# --------------------------------------------------------------------------

def _stat(pid):
    """(state, ppid) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(")") + 2:].split()  # comm may hold spaces and ")"
    return fields[0], int(fields[1])


def children_of(ppid):
    """[(pid, state)] of every process whose parent is ppid."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(name)
        if st and st[1] == ppid:
            out.append((int(name), st[0]))
    return out


def zombies_of(ppid):
    return [pid for pid, state in children_of(ppid) if state == "Z"]


def gone(pid):
    """True once the process no longer exists (exited and reaped)."""
    return _stat(pid) is None


def not_running(pid):
    """True if the process is gone or a zombie (dead, waiting for a parent
    that is not ours to judge, e.g. an orphan under a PID 1 that does not reap)."""
    st = _stat(pid)
    return st is None or st[0] == "Z"
