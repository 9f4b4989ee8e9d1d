"""The command line (docs/contract.md, "Command line"): help, refused options,
bad configuration, --trace, and which options each step has."""

import errno
import os
import signal
import socket

import pytest

import steps
from serverproc import wait_until

pytestmark = pytest.mark.cap("basic")

BASE_OPTIONS = ["--host", "--port", "--root", "--trace", "--help"]
# A valid value for each later-step option.
LATER_OPTIONS = {"--timeout": "1", "--max-connections": "100", "--threads": "2",
                 "--pool-size": "65536", "--cgi-dir": "cgi-bin", "--cgi-timeout": "5",
                 "--cgi-launch": "spawn"}


def one_clear_line(result):
    lines = result.stderr_lines
    assert len(lines) == 1 and lines[0].strip(), f"want one stderr line: {result!r}"
    return lines[0]


def test_help_prints_usage_and_exits_0(run_cli, target):
    result = run_cli("--help")
    assert result.returncode == 0, result
    out = result.stdout.decode("utf-8", "replace")
    assert "usage" in out.lower(), out
    for option in BASE_OPTIONS + sorted(steps.options_of(target.caps)):
        assert option in out, f"--help does not mention {option}:\n{out}"


def test_unknown_option_exits_2_with_one_line(run_cli, docroot):
    result = run_cli("--port", "0", "--root", docroot.path, "--no-such-option")
    assert result.returncode == 2, result
    assert "--no-such-option" in one_clear_line(result)
    assert result.stdout == b""


def test_unexpected_argument_exits_2(run_cli, docroot):
    result = run_cli("--port", "0", "--root", docroot.path, "stray")
    assert result.returncode == 2, result
    one_clear_line(result)


def test_option_without_its_value_exits_2(run_cli, docroot):
    result = run_cli("--root", docroot.path, "--port")
    assert result.returncode == 2, result
    one_clear_line(result)


@pytest.mark.parametrize("value", ["abc", "70000", "80x", ""])
def test_malformed_port_exits_2(run_cli, docroot, value):
    result = run_cli("--root", docroot.path, "--port", value)
    assert result.returncode == 2, result
    assert "--port" in one_clear_line(result)


@pytest.mark.parametrize("option", sorted(LATER_OPTIONS))
def test_later_step_options(run_cli, start_server, target, docroot, option):
    """A step accepts exactly the options its capabilities bring; an option of a
    later step is refused with one line naming it and exit status 2."""
    value = LATER_OPTIONS[option]
    if option in steps.options_of(target.caps):
        srv = start_server(extra_args=[option, value])
        assert srv.get("/page.html").status == 200
    else:
        result = run_cli("--port", "0", "--root", docroot.path, option, value)
        assert not result.timed_out, f"{option} was accepted (the server started): {result!r}"
        assert result.returncode == 2, result
        assert option in one_clear_line(result)


@pytest.mark.cap("timeout")
@pytest.mark.parametrize("value", ["abc", "-1", ""])
def test_malformed_timeout_exits_2(run_cli, docroot, value):
    result = run_cli("--port", "0", "--root", docroot.path, "--timeout", value)
    assert result.returncode == 2, result
    assert "--timeout" in one_clear_line(result)


@pytest.mark.cap("cgi")
@pytest.mark.parametrize("value", ["vfork", "SPAWN", ""])
def test_bad_cgi_launch_exits_2(run_cli, docroot, value):
    """--cgi-launch takes fork or spawn, nothing else."""
    result = run_cli("--port", "0", "--root", docroot.path, "--cgi-launch", value)
    assert not result.timed_out, f"started with --cgi-launch {value!r}: {result!r}"
    assert result.returncode == 2, result
    assert "--cgi-launch" in one_clear_line(result)


def test_missing_root_exits_1_with_errno_text(run_cli, tmp_path):
    missing = tmp_path / "no-such-dir"
    result = run_cli("--port", "0", "--root", missing)
    assert not result.timed_out, f"started without a root: {result!r}"
    assert result.returncode == 1, result
    line = one_clear_line(result)
    assert os.strerror(errno.ENOENT) in line, f"want the errno text: {line!r}"
    assert result.stdout == b""


def test_root_that_is_a_file_exits_1(run_cli, docroot):
    result = run_cli("--port", "0", "--root", docroot.path / "page.html")
    assert not result.timed_out, f"started with a file as root: {result!r}"
    assert result.returncode == 1, result
    assert "not a directory" in one_clear_line(result).lower()


def test_port_in_use_exits_1_with_errno_text(run_cli, docroot):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli("--port", port, "--root", docroot.path)
    assert not result.timed_out, f"started on a busy port: {result!r}"
    assert result.returncode == 1, result
    assert os.strerror(errno.EADDRINUSE) in one_clear_line(result)


@pytest.mark.parametrize("host", ["300.1.2.3", "not-an-address"])
def test_bad_host_exits_1(run_cli, docroot, host):
    result = run_cli("--port", "0", "--root", docroot.path, "--host", host)
    assert not result.timed_out, f"started on {host}: {result!r}"
    assert result.returncode == 1, result
    one_clear_line(result)


def test_trace_names_events_on_stderr_only(start_server):
    srv = start_server(extra_args=["--trace"])
    assert srv.get("/page.html").status == 200
    wait_until(lambda: "accept" in srv.stderr_text() and "close" in srv.stderr_text(), 5,
               message=f"--trace did not print accept and close:\n{srv.stderr_text()}")
    srv.terminate(signal.SIGTERM)
    assert srv.read_stdout_rest() == b"", "trace lines belong on stderr"


def test_no_trace_without_the_flag(server):
    assert server.get("/page.html").status == 200
    assert server.get("/nope.html").status == 404
    server.terminate(signal.SIGTERM)
    assert "accept" not in server.stderr_text(), server.stderr_text()
