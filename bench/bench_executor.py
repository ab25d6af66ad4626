#!/usr/bin/env python3
"""bench_executor.py — valuerankd throughput against valuerank-mockllm (run on demand, not in CI).

Runs N single-turn jobs at mock latency L ms with concurrency C (the provider's max_parallel and
valuerankd's --max-in-flight) and prints wall time / (N*L/C), the ideal; the target is <= 1.10 at
N=5000, L=50, C=64 and C=256. Also prints valuerankd's CPU time per job and peak RSS, and the
mock's CPU time per job (the two share the machine's cores).

    VR_SRCDIR=$PWD VR_BUILDDIR=$PWD/build python3 bench/bench_executor.py [--jobs N] [--latency L] [--concurrency C ...]

Use an optimised build (not --enable-asan) for meaningful numbers. valuerankd runs as a daemon with
its default settings (--poll-ms included: a resumed run is seen through data_version), so the run
is created paused, the daemon is started and waited for (its first heartbeat; this cold
start is printed separately), and wall time is measured from resuming the run until the run is
completed in the database (every transcript committed). The resume is the statement `valuerank
run resume` runs, on a connection set up as the product's are (synchronous=NORMAL). CPU figures
cover that same interval. The floor printed beside the ratio is the best any executor could do:
some slot must make ceil(N/C) requests in turn, so the wall time is at least ceil(N/C)*L.
Two runs are timed on the same daemon: the first opens its connections to the provider, the
next reuses them (as a daemon that has been working does); both must meet the target.
"""

import argparse
import os
import signal
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import Stack, program  # noqa: E402
from test_executor import make_definition, mock_args, patch_models, proc_cpu, start_run  # noqa: E402

TARGET = 1.10


def resume_and_time(stack, db, proc, run_id, ideal):
    """Resume a paused run on the running daemon; wall seconds until the run ends, with CPU used."""
    mock_cpu0 = proc_cpu(stack.procs["mock"].pid)
    daemon_cpu0 = proc_cpu(proc.pid)
    t0 = time.monotonic()
    # The statement `valuerank run resume` runs (store_run_resume).
    db.execute("UPDATE runs SET status = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END"
               " WHERE id = ? AND status = 'paused'", (run_id,))
    while True:
        status = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        if status in ("completed", "failed", "cancelled"):
            break
        if proc.poll() is not None:
            raise RuntimeError("valuerankd exited early:\n" + stack.log("daemon")[-2000:])
        # Look rarely while the run cannot be over yet: this process shares the cores.
        time.sleep(0.002 if time.monotonic() - t0 > 0.9 * ideal else 0.02)
    wall = time.monotonic() - t0
    done = db.execute("SELECT count(*) FROM transcripts WHERE run_id = ?", (run_id,)).fetchone()[0]
    return wall, proc_cpu(proc.pid) - daemon_cpu0, proc_cpu(stack.procs["mock"].pid) - mock_cpu0, done


def bench_one(n_jobs, latency_ms, concurrency):
    """Two runs of n_jobs on one daemon: the first opens its connections, the next reuses them."""
    stack = Stack(mock=True, daemon=False, nginx=False,
                  mock_args=mock_args("--latency-ms", str(latency_ms)))
    try:
        stack.start()
        patch_models(stack, max_parallel=concurrency, requests_per_minute=1_000_000)
        run_ids = []
        for name in ("bench", "bench again"):
            run_ids.append(start_run(stack, make_definition(stack, n_jobs, name=name), "mock:mock-a"))
            stack.cli("run", "pause", str(run_ids[-1]))
        # valuerankd is a long-running daemon: start it with the runs paused, wait until it is up
        # (its first heartbeat), then resume each run and time it to completion. The cold start
        # (process launch to heartbeat) is reported on its own.
        db = sqlite3.connect(stack.db_path, timeout=30, isolation_level=None)
        # As the product's own connections are set up (src/store/db.c): with Python's default,
        # synchronous=FULL, the resume would hold the write lock through an fsync of the WAL.
        db.execute("PRAGMA synchronous=NORMAL")
        launch = time.monotonic()
        proc = stack.start_daemon("daemon", ["--max-in-flight", str(concurrency)])
        while db.execute("SELECT count(*) FROM workers WHERE pid = ?", (proc.pid,)).fetchone()[0] == 0:
            if proc.poll() is not None:
                raise RuntimeError("valuerankd exited early:\n" + stack.log("daemon")[-2000:])
            time.sleep(0.001)
        cold_start = time.monotonic() - launch
        ideal = n_jobs * latency_ms / 1000.0 / concurrency
        runs = []
        for run_id in run_ids:
            time.sleep(0.2)
            wall, daemon_cpu, mock_cpu, done = resume_and_time(stack, db, proc, run_id, ideal)
            runs.append({"wall": wall, "ratio": wall / ideal, "done": done,
                         "cpu_per_job_us": daemon_cpu / n_jobs * 1e6,
                         "mock_cpu_per_job_us": mock_cpu / n_jobs * 1e6})
        db.close()
        os.killpg(proc.pid, signal.SIGTERM)
        _, status, usage = os.wait4(proc.pid, 0)
        stack.procs.pop("daemon", None)
        return {"n": n_jobs, "l": latency_ms, "c": concurrency, "ideal": ideal, "runs": runs,
                "cold_start_ms": cold_start * 1000, "rss_mb": usage.ru_maxrss / 1024.0, "status": status}
    finally:
        stack.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=5000)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    args = ap.parse_args()
    program("valuerankd")
    ok = True
    for c in args.concurrency:
        r = bench_one(args.jobs, args.latency, c)
        for label, run in zip(("first run", "next run"), r["runs"]):
            verdict = "ok" if run["ratio"] <= TARGET and run["done"] == r["n"] else "OVER TARGET"
            ok = ok and verdict == "ok"
            floor = -(-r["n"] // r["c"]) * r["l"] / 1000.0 / r["ideal"]
            print(f"N={r['n']} L={r['l']}ms C={r['c']} {label}: wall {run['wall']:.3f}s ideal {r['ideal']:.3f}s "
                  f"ratio {run['ratio']:.3f} (target <= {TARGET}, floor {floor:.3f}) {verdict}; "
                  f"cpu/job {run['cpu_per_job_us']:.0f} us (mock {run['mock_cpu_per_job_us']:.0f} us); "
                  f"transcripts {run['done']}", flush=True)
        print(f"N={r['n']} L={r['l']}ms C={r['c']}: cold start {r['cold_start_ms']:.0f} ms; "
              f"peak RSS {r['rss_mb']:.1f} MB", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
