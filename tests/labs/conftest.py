"""Lab checks: one test (or a few) per exercise of docs/labs.md.

Each lab test fails until a student has solved its exercise, so the normal
run skips them all:

    /usr/bin/python3 -m pytest tests --step 1          labs skipped
    STEPHTTPD_LABS=1 /usr/bin/python3 -m pytest tests/labs --step 1
    STEPHTTPD_LABS=step01-last-modified /usr/bin/python3 -m pytest tests/labs --step 1

A lab test is marked @pytest.mark.lab("stepNN-name"). It runs only when
STEPHTTPD_LABS is "1" (every lab) or a comma-separated list that names its
lab, and only against its own step (the NN of the id): a step01 lab says
nothing about step03. With --server and no --step, pass --step NN too, so the
suite knows which step your server stands for.

Why an environment variable and not a --labs option: pytest only takes
options from the conftest.py files it loads at start-up, and this one is
loaded during collection.
"""

import os
import re

import pytest

ENV = "STEPHTTPD_LABS"
LAB_ID = re.compile(r"^step(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*$")


def enabled_labs():
    """None: no lab enabled; "all"; or the set of lab ids named in $STEPHTTPD_LABS."""
    value = os.environ.get(ENV, "").strip()
    if value in ("", "0", "no", "false"):
        return None
    if value.lower() in ("1", "all", "yes", "true"):
        return "all"
    return {v.strip() for v in value.split(",") if v.strip()}


def lab_step(lab_id):
    """The step number of a lab id ("step03-epoll" -> 3)."""
    m = LAB_ID.match(lab_id)
    if not m:
        raise pytest.UsageError(f"lab id {lab_id!r} must look like 'step03-epoll'")
    return int(m.group(1))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "lab(id): a lab check (docs/labs.md); fails until the exercise "
                   f"is solved; skipped unless ${ENV} names it (or is 1)")


def pytest_collection_modifyitems(config, items):
    # This hook sees every item of the session, not only those under
    # tests/labs: act on lab-marked items only.
    wanted = enabled_labs()
    for item in items:
        marks = list(item.iter_markers("lab"))
        if not marks:
            continue
        if len(marks) != 1 or len(marks[0].args) != 1:
            raise pytest.UsageError(f"{item.nodeid}: exactly one @pytest.mark.lab('stepNN-name')")
        lab = marks[0].args[0]
        step = lab_step(lab)
        if wanted is None:
            item.add_marker(pytest.mark.skip(
                reason=f"lab {lab}: an exercise (docs/labs.md), fails until solved; "
                       f"run it with {ENV}=1 (or {ENV}={lab})"))
            continue
        if wanted != "all" and lab not in wanted:
            item.add_marker(pytest.mark.skip(reason=f"lab {lab}: not named in ${ENV}"))
            continue
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if target is None:
            continue  # no binary at all: the parent conftest already skips it
        if target.step is None:
            item.add_marker(pytest.mark.skip(
                reason=f"lab {lab} is a step{step:02d} lab: add --step {step} to say "
                       f"which step your --server stands for"))
        elif target.step != step:
            item.add_marker(pytest.mark.skip(
                reason=f"lab {lab} is a step{step:02d} lab, not one of step{target.step:02d}"))
