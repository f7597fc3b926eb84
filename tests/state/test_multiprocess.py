"""Four worker processes on one account (benchmarks/multi_worker.py at a small size): one poll budget across
all of them, one killed with SIGKILL, its jobs finished by the others and its live session reaped once its
lease ran out. The full-size run (10,000 jobs, 2,000 polls/s) is in benchmarks/RESULTS.md."""

from __future__ import annotations

from benchmarks import multi_worker
from benchmarks._redis_server import redis_server


def test_four_workers_share_the_budget_and_survive_a_sigkill(redis_url: str) -> None:
    del redis_url  # the fixture proves redis-server is installed; the scenario starts its own
    r = multi_worker.measure(
        jobs=400, workers=4, budget=100, render_seconds=4, lease_ttl=1.5, adopt_every=0.5, kill_after=1.0, limit=180
    )
    detail = {key: value for key, value in r.items() if key != "reports"}
    # One budget for the account: never more than 100 status polls in any second at the emulator, all workers
    # together (each worker alone was allowed 100).
    assert r["server_max_window"] <= 100, detail
    assert r["polls"] >= 400, ("every job was polled at least once", detail)
    # Nothing submitted went unrecorded, and every job reached a terminal status in the ledger.
    assert r["ledger_jobs"] == r["emulator_videos"] == 400, detail
    assert r["ledger_done"] == 400, detail
    # The killed worker had unfinished jobs; every one of them was seen to the end by another worker.
    assert r["victim_open_at_kill"] > 0, detail
    assert r["victim_done_by_others"] == r["victim_open_at_kill"], detail
    assert r["adopted"] >= r["victim_open_at_kill"], detail
    # Its live session was stopped after its lease ran out, by exactly one other worker.
    assert r["victim_session_reaped"], detail
    assert r["session_reaped_after_kill"] >= r["lease_ran_out_after_kill"], detail
    assert r["session_reapers"] == 1, detail
    assert {report["worker"] for report in r["reports"]} == {0, 1, 2}


def test_the_launcher_starts_and_stops_a_real_redis_server() -> None:
    import socket

    with redis_server() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"INFO server\r\n")
            assert b"redis_version" in connection.recv(4096)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server is stopped afterwards"
