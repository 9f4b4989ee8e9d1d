"""Tests for tools/handout.

The step sources hold no SOLUTION markers today, so each test copies
step01-socket to a temporary directory and adds a scratch source file with
a marked region. The last test builds the handout (the httpd target only,
-j2: about half a minute).

Run:  /usr/bin/python3 -m pytest tools/test_handout.py
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
HANDOUT = TOOLS / "handout"
STEP = "step01-socket"

SCRATCH = """\
// Scratch file for tools/test_handout.py: one solution region.
#include "lab_scratch.hpp"

namespace lab_scratch {

int answer(int x) {
    int base = 40;
    // SOLUTION BEGIN: step01-last-modified: add two to the base
    int solution_only = x + 2;
    return base + solution_only - x;
    // SOLUTION STUB
    // (void)x;
    // return base;
    // SOLUTION END
}

}  // namespace lab_scratch
"""

SCRATCH_HPP = """\
// Scratch header for tools/test_handout.py.
#pragma once
namespace lab_scratch {
int answer(int x);
}
"""


def copy_step(tmp_path):
    dest = tmp_path / "src-tree" / STEP
    shutil.copytree(REPO / STEP, dest, ignore=shutil.ignore_patterns("build*", "__pycache__"))
    (dest / "src" / "lab_scratch.cpp").write_text(SCRATCH)
    (dest / "src" / "lab_scratch.hpp").write_text(SCRATCH_HPP)
    return dest


def run_handout(*args):
    return subprocess.run([sys.executable, str(HANDOUT), *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handout")
    step = copy_step(tmp)
    out = tmp / "out"
    r = run_handout(step, out)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_solution_region_becomes_a_todo_with_the_hint_and_the_stub(handout):
    text = (handout / STEP / "src" / "lab_scratch.cpp").read_text()
    assert "    // TODO(step01-last-modified): add two to the base\n" in text
    assert "    (void)x;\n    return base;\n" in text
    assert "solution_only" not in text
    assert "SOLUTION" not in text
    assert text.startswith("// Scratch file") and text.endswith("}  // namespace lab_scratch\n")


def test_the_tree_holds_the_suite_the_site_and_a_readme(handout):
    assert (handout / STEP / "CMakeLists.txt").is_file()
    assert sorted(p.name for p in (handout / STEP / "test").glob("*_test.cpp"))
    assert (handout / "tests" / "conftest.py").is_file()
    assert (handout / "tests" / "labs" / "conftest.py").is_file()
    assert (handout / "docs" / "labs.md").is_file()
    assert not list(handout.rglob("__pycache__"))
    cgi = handout / "www" / "cgi-bin"
    for script in cgi.iterdir():
        assert script.stat().st_mode & 0o111, f"{script} lost its execute bits"
    readme = (handout / "README.md").read_text()
    assert f"cmake -S {STEP} -B build" in readme
    assert ("STEPHTTPD_LABS=step01-last-modified /usr/bin/python3 -m pytest tests/labs "
            "--server build/httpd --step 1") in readme
    assert f"{STEP}/src/lab_scratch.cpp:8" in readme


def test_the_original_step_is_untouched(handout):
    assert "SOLUTION" not in (REPO / STEP / "src" / "server.cpp").read_text()


@pytest.mark.parametrize("bad, message", [
    ("// SOLUTION BEGIN: step01-x\nint a;\n", "SOLUTION BEGIN without an END"),
    ("int a;\n// SOLUTION END\n", "SOLUTION END without a BEGIN"),
    ("// SOLUTION BEGIN: step01-x\n// SOLUTION BEGIN: step01-y\n// SOLUTION END\n",
     "SOLUTION BEGIN inside the region"),
    ("// SOLUTION BEGIN: Not_An_Id\n// SOLUTION END\n", "needs a lab id"),
    ("// SOLUTION BEGIN: step01-x\n// SOLUTION STUB\nreturn 0;\n// SOLUTION END\n",
     "a STUB line must be commented out"),
])
def test_marker_errors_write_nothing(tmp_path, bad, message):
    step = copy_step(tmp_path)
    (step / "src" / "broken.cpp").write_text(bad)
    out = tmp_path / "out"
    r = run_handout(step, out)
    assert r.returncode == 1, r.stdout + r.stderr
    assert message in r.stderr and "broken.cpp" in r.stderr, r.stderr
    assert not out.exists()


def test_usage_errors(tmp_path):
    assert run_handout(tmp_path / "no-such-step", tmp_path / "out").returncode == 2
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert run_handout(REPO / STEP, tmp_path / "full").returncode == 2


def test_the_handout_builds(handout):
    if not shutil.which("cmake"):
        pytest.skip("cmake is not installed")
    build = handout / "build"
    r = subprocess.run(["cmake", "-S", handout / STEP, "-B", build],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r = subprocess.run(["cmake", "--build", build, "--target", f"{STEP}-httpd", "-j2"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    r = subprocess.run([build / "httpd", "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "usage: httpd" in r.stdout, r
