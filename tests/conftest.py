"""Fixtures of the black-box suite: which server to test, a generated document
root, and a factory that starts a server and always stops it by PID.

    python3 -m pytest tests                  every step whose binary is built
    python3 -m pytest tests --step 2         one step
    python3 -m pytest tests --server ./httpd --caps basic,keepalive
"""

import glob
import hashlib
import os
import struct
import zlib
from pathlib import Path

import pytest

import serverproc
import steps

REPO = Path(__file__).resolve().parent.parent
BIG_SIZE = 20 * 1024 * 1024
PARALLEL_FILES = 50


# --------------------------------------------------------------------------
# Command-line options and the targets (servers) they select
# --------------------------------------------------------------------------

def pytest_addoption(parser):
    g = parser.getgroup("httpd", "which httpd the black-box suite tests")
    g.addoption("--step", default=None, metavar="N[,N...]",
                help="test this step (its binary and its capability set)")
    g.addoption("--build-dir", default=None, metavar="DIR",
                help="where the steps are built (default: $HTTPD_BUILD_DIR, "
                     "else build/default in the repository)")
    g.addoption("--server", default=None, metavar="PATH",
                help="test this binary instead (it must follow docs/contract.md)")
    g.addoption("--caps", default=None, metavar="a,b,c",
                help="capabilities of the --server binary (default: those of "
                     "--step if given, else just 'basic')")


class Target:
    """One server under test: a binary, its step number (or None) and caps."""

    def __init__(self, ident, binary, step, caps):
        self.id = ident
        self.binary = Path(binary)
        self.step = step
        self.caps = frozenset(caps)

    @property
    def server_name(self):
        """The expected Server header, or None when the step is unknown."""
        return None if self.step is None else f"stephttpd/step{self.step:02d}"

    def has(self, cap):
        return cap in self.caps

    def __repr__(self):
        return f"<Target {self.id} {self.binary}>"


def _parse_steps(text):
    out = []
    for part in text.split(","):
        part = part.strip().lower().removeprefix("step")
        if not part.isdigit() or int(part) not in steps.STEPS:
            raise pytest.UsageError(f"--step: unknown step {part!r}; known: "
                                    f"{', '.join(map(str, sorted(steps.STEPS)))}")
        out.append(int(part))
    return out


def _parse_caps(text):
    caps = {c.strip() for c in text.split(",") if c.strip()}
    unknown = caps - steps.ALL_CAPS
    if unknown:
        raise pytest.UsageError(f"--caps: unknown capability {', '.join(sorted(unknown))}; "
                                f"known: {', '.join(sorted(steps.ALL_CAPS))}")
    return caps


def _build_dir(config):
    value = (config.getoption("--build-dir") or os.environ.get("HTTPD_BUILD_DIR")
             or str(REPO / "build" / "default"))
    # Absolute: some tests start the server from another working directory.
    return Path(value).resolve()


def _step_binary(build_dir, n):
    exact = build_dir / steps.STEPS[n]["dir"] / "httpd"
    if exact.is_file():
        return exact
    found = sorted(glob.glob(str(build_dir / f"step{n:02d}-*" / "httpd")))
    return Path(found[0]) if found else None


def _select_targets(config):
    step_opt = config.getoption("--step")
    server = config.getoption("--server")
    caps_opt = config.getoption("--caps")
    build_dir = _build_dir(config)
    wanted = _parse_steps(step_opt) if step_opt else None

    if server:
        path = Path(server).resolve()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise pytest.UsageError(f"--server: {server} is not an executable file")
        if wanted and len(wanted) > 1:
            raise pytest.UsageError("--server takes at most one --step")
        step = wanted[0] if wanted else None
        if caps_opt:
            caps = _parse_caps(caps_opt)
        elif step:
            caps = steps.caps_of(step)
        else:
            caps = {"basic"}
        ident = f"step{step:02d}" if step else "server"
        return [Target(ident, path.resolve(), step, caps)], None

    if caps_opt:
        raise pytest.UsageError("--caps goes with --server (a step's caps are in tests/steps.py)")
    targets = []
    for n in (wanted or sorted(steps.STEPS)):
        binary = _step_binary(build_dir, n)
        if binary is None:
            if wanted:
                raise pytest.UsageError(
                    f"--step {n}: no binary {build_dir}/{steps.STEPS[n]['dir']}/httpd "
                    f"(build first: cmake --preset default && cmake --build --preset default)")
            continue
        targets.append(Target(f"step{n:02d}", binary, n, steps.caps_of(n)))
    why_none = None if targets else f"no httpd binary under {build_dir} (build the steps, or pass --server)"
    return targets, why_none


def pytest_configure(config):
    config.addinivalue_line("markers",
                            "cap(name, ...): the capabilities a test needs (tests/steps.py)")
    config.addinivalue_line("markers",
                            "without_cap(name): skip against servers that have this capability")
    config.httpd_targets = _select_targets(config)


def pytest_report_header(config):
    targets, why_none = config.httpd_targets
    if not targets:
        return [f"httpd: {why_none}"]
    return [f"httpd: {t.id}: {t.binary} caps={','.join(sorted(t.caps))}" for t in targets]


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    targets, why_none = metafunc.config.httpd_targets
    if targets:
        metafunc.parametrize("target", targets, ids=[t.id for t in targets])
    else:
        metafunc.parametrize("target", [pytest.param(None, marks=pytest.mark.skip(reason=why_none),
                                                     id="no-binary")])


def pytest_collection_modifyitems(config, items):
    for item in items:
        needed = [c for m in item.iter_markers("cap") for c in m.args]
        refused = [c for m in item.iter_markers("without_cap") for c in m.args]
        for cap in needed + refused:
            if cap not in steps.ALL_CAPS:
                raise pytest.UsageError(f"{item.nodeid}: unknown capability {cap!r} "
                                        f"(add it to tests/steps.py)")
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if target is None:
            continue
        missing = [c for c in needed if c not in target.caps]
        if missing:
            item.add_marker(pytest.mark.skip(reason=steps.skip_reason(missing[0], target.step)))
            continue
        present = [c for c in refused if c in target.caps]
        if present:
            item.add_marker(pytest.mark.skip(reason=f"does not apply with: {present[0]}"))


# --------------------------------------------------------------------------
# The generated document root
# --------------------------------------------------------------------------

def _png(width=4, height=4):
    """A small valid RGB PNG (real bytes, including NULs)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"".join(bytes((x * 60, y * 60, 128)) for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


class Docroot:
    """The generated site. .path is the root; .outside is a sibling directory
    that symlinks point into; .files maps URL-less relative paths to bytes."""

    def __init__(self, path, outside, files, big_sha256):
        self.path = path
        self.outside = outside
        self.files = files
        self.big_sha256 = big_sha256

    def read(self, rel):
        return (self.path / rel).read_bytes()


@pytest.fixture(scope="session")
def docroot(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    root = base / "root"
    outside = base / "outside"
    root.mkdir()
    outside.mkdir()
    files = {
        "index.html": b"<!doctype html>\n<title>test root</title>\n<p>root index</p>\n",
        "page.html": b"<!doctype html>\n<title>page</title>\n<p>a page</p>\n",
        "style.css": b"body { color: #333; }\n",
        "app.js": b"console.log('app');\n",
        "data.json": b'{"ok": true, "n": 42}\n',
        "image.png": _png(),
        "notes.txt": b"plain text notes\n",
        "README": b"a file with no extension\n",
        "empty.txt": b"",
        "hello w\u00f6rld.txt": "hello w\u00f6rld \u2014 UTF-8 name with a space\n".encode(),
        "100%25.txt": b"the file named 100%25.txt\n",
        "100%.txt": b"the file named 100%.txt\n",
        "sub/index.html": b"<!doctype html>\n<title>sub</title>\n<p>sub index</p>\n",
        "sub/page.txt": b"sub page\n",
        "allbytes.bin": bytes(range(256)) * 64,
        "random-64k.bin": os.urandom(64 * 1024),
    }
    for i in range(PARALLEL_FILES):
        files[f"par/f{i:02d}.txt"] = (f"parallel file {i:02d}\n" * (1 + i * 37)).encode()
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root / "empty-dir").mkdir()
    (root / "cgi-bin").mkdir()
    (outside / "secret.txt").write_bytes(b"SECRET outside the root\n")
    (outside / "index.html").write_bytes(b"<p>SECRET index outside the root</p>\n")
    os.symlink("page.html", root / "link-inside.html")
    os.symlink("sub", root / "linkdir-inside")
    os.symlink(outside / "secret.txt", root / "link-outside.txt")
    os.symlink(outside, root / "linkdir-outside")
    os.mkfifo(root / "fifo")
    big = os.urandom(BIG_SIZE)
    (root / "big.bin").write_bytes(big)
    return Docroot(root, outside, files, hashlib.sha256(big).hexdigest())


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

_reaper = serverproc.Reaper()


def pytest_sessionfinish(session):
    _reaper.reap(block=True)


@pytest.fixture
def start_server(target, docroot, tmp_path):
    """Factory: start_server(root=..., extra_args=[...]) -> ServerProcess.

    root=None uses the generated docroot; root=False passes no --root;
    host=None passes no --host. Every server started here is stopped at
    teardown by its PID: SIGTERM now, then (in a Reaper, so the next test need
    not wait) a bounded wait and SIGKILL. A server that exited on its own
    during the test is reported as an error."""
    started = []

    def start(root=None, extra_args=(), host="127.0.0.1", port=0, cwd=None, nofile=None):
        args = ["--port", str(port)]
        if host is not None:
            args += ["--host", host]
        if root is not False:
            args += ["--root", str(docroot.path if root is None else root)]
        args += [str(a) for a in extra_args]
        stderr_path = tmp_path / f"server{len(started)}.stderr"
        try:
            srv = serverproc.launch(target.binary, args, stderr_path, cwd=cwd, nofile=nofile)
        except serverproc.StartError as e:
            failure = str(e)
        else:
            failure = None
        if failure:
            pytest.fail(failure, pytrace=False)
        started.append(srv)
        return srv

    yield start

    problems = []
    for srv in started:
        if srv.stopped:
            continue
        rc = srv.proc.poll()
        if rc is not None:
            problems.append(f"server pid {srv.pid} ({' '.join(srv.args)}) ended on its own "
                            f"during the test: {serverproc.describe_status(rc)}\n"
                            f"stderr:\n{srv.stderr_text()[-2000:]}")
            srv.stopped = True
            srv._close_pipes()
        else:
            _reaper.add(srv)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(start_server):
    """A server on the generated docroot."""
    return start_server()


@pytest.fixture
def run_cli(target):
    """run_cli(*args, timeout=3, cwd=None) -> CliResult: runs the binary to exit."""
    def run(*args, timeout=3.0, cwd=None):
        return serverproc.run_cli(target.binary, [str(a) for a in args], timeout, cwd)
    return run


@pytest.fixture
def repo_www():
    return REPO / "www"
