"""Labs of step02 (docs/labs.md): a fixed pool of threads fed by a queue, and
the memory an idle connection costs.

    STEPHTTPD_LABS=step02-fixed-pool /usr/bin/python3 -m pytest tests/labs --step 2
"""

import re
import socket
from pathlib import Path

import pytest

import httpclient
from serverproc import proc_status_field, wait_until

build = httpclient.build_request
REPO = Path(__file__).resolve().parents[2]
ANSWERS = REPO / "answers"


# --------------------------------------------------------------------------
# step02-fixed-pool: --pool-threads N starts N threads once; a queue feeds them
# --------------------------------------------------------------------------

@pytest.mark.lab("step02-fixed-pool")
def test_fixed_pool_thread_count_stays_n_plus_one_with_50_clients(start_server, docroot):
    n = 4
    srv = start_server(extra_args=["--pool-threads", n, "--timeout", 5])
    wait_until(lambda: srv.threads() == n + 1, 3,
               message=f"--pool-threads {n}: want {n} threads started at once, plus "
                       f"main; have {srv.threads()}")
    conns = [srv.connect() for _ in range(50)]
    try:
        for i, conn in enumerate(conns):
            conn.send(build(f"/par/f{i:02d}.txt", headers=[("Connection", "close")]))
        for i, conn in enumerate(conns):
            resp = conn.read_response()
            assert resp.status == 200 and resp.body == docroot.read(f"par/f{i:02d}.txt"), (i, resp)
            assert srv.threads() == n + 1, (
                f"{srv.threads()} threads while 50 clients are served: a pool never grows")
    finally:
        for conn in conns:
            conn.close()
    assert srv.threads() == n + 1


@pytest.mark.lab("step02-fixed-pool")
def test_fixed_pool_a_client_waits_for_a_free_thread(start_server):
    """--pool-threads 2: two keep-alive clients hold both threads, so a third
    waits in the queue until one of them leaves. (This is the limit that
    step03 removes.)"""
    srv = start_server(extra_args=["--pool-threads", 2, "--timeout", 30])
    holders = [srv.connect(), srv.connect()]
    waiting = srv.connect()
    try:
        for conn in holders:
            assert conn.get("/page.html").status == 200
        waiting.send(build("/page.html"))
        assert not waiting.readable_within(0.7), (
            "a third client was answered while two keep-alive clients held both threads: "
            "is the pool really fixed at 2?")
        holders[0].close()
        resp = waiting.read_response(timeout=5)
        assert resp.status == 200, resp
    finally:
        for conn in holders + [waiting]:
            conn.close()


# --------------------------------------------------------------------------
# step02-idle-rss: measure what an idle connection costs, write it down
# --------------------------------------------------------------------------

IDLE = 200


def read_answers(path):
    if not path.is_file():
        pytest.fail(f"measure, then write your figures into {path.relative_to(REPO)}, e.g.\n"
                    f"    vmsize_kib_per_connection: 123\n"
                    f"    rss_kib_per_connection: 456\n"
                    f"(see docs/labs.md, step02-idle-rss)", pytrace=False)
    values = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*([a-z_]+)\s*[:=]\s*([0-9.]+)", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    for key in ("vmsize_kib_per_connection", "rss_kib_per_connection"):
        if key not in values:
            pytest.fail(f"{path.relative_to(REPO)}: no line '{key}: NUMBER'", pytrace=False)
    return values


@pytest.mark.lab("step02-idle-rss")
def test_idle_connection_cost_matches_your_measurement(start_server):
    claimed = read_answers(ANSWERS / "step02-idle-rss.txt")
    srv = start_server(extra_args=["--timeout", 600])
    assert srv.get("/page.html").status == 200  # warm up: the first request's allocations
    wait_until(lambda: srv.threads() == 1, 5, message="threads did not go back to 1")
    vm0, rss0 = proc_status_field(srv.pid, "VmSize"), proc_status_field(srv.pid, "VmRSS")
    socks = []
    try:
        for _ in range(IDLE):
            socks.append(socket.create_connection((srv.host, srv.port), timeout=10))
        wait_until(lambda: srv.threads() >= IDLE + 1, 10,
                   message=f"{IDLE} idle clients: want {IDLE} connection threads")
        vm1, rss1 = proc_status_field(srv.pid, "VmSize"), proc_status_field(srv.pid, "VmRSS")
    finally:
        for s in socks:
            s.close()
    vm = (vm1 - vm0) / IDLE
    rss = (rss1 - rss0) / IDLE
    report = (f"measured here: VmSize +{vm:.0f} KiB and VmRSS +{rss:.1f} KiB per idle "
              f"connection; you wrote {claimed['vmsize_kib_per_connection']:g} and "
              f"{claimed['rss_kib_per_connection']:g}")
    assert abs(claimed["vmsize_kib_per_connection"] - vm) <= 0.25 * vm, report
    assert rss / 2 - 2 <= claimed["rss_kib_per_connection"] <= rss * 2 + 4, report
