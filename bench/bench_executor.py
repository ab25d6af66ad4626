#!/usr/bin/env python3
"""bench_executor.py — valuerankd throughput against valuerank-mockllm (run on demand, not in CI).

Runs N single-turn jobs at mock latency L ms with concurrency C (the provider's max_parallel and
valuerankd's --max-in-flight) and prints wall time / (N*L/C), the ideal; the target is <= 1.10 at
N=5000, L=50, C=64 and C=256. Also prints valuerankd's CPU time per job and peak RSS.

    VR_SRCDIR=$PWD VR_BUILDDIR=$PWD/build python3 bench/bench_executor.py [--jobs N] [--latency L] [--concurrency C ...]

Use an optimised build (not --enable-asan) for meaningful numbers. Wall time is measured from the
daemon's launch until the run is completed in the database (every transcript committed).
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
from test_executor import make_definition, mock_args, patch_models, start_run  # noqa: E402

TARGET = 1.10


def bench_one(n_jobs, latency_ms, concurrency):
    stack = Stack(mock=True, daemon=False, nginx=False,
                  mock_args=mock_args("--latency-ms", str(latency_ms)))
    try:
        stack.start()
        patch_models(stack, max_parallel=concurrency, requests_per_minute=1_000_000)
        def_id = make_definition(stack, n_jobs, name="bench")
        run_id = start_run(stack, def_id, "mock:mock-a")
        db = sqlite3.connect(stack.db_path, timeout=30)
        t0 = time.monotonic()
        proc = stack.start_daemon("daemon", ["--max-in-flight", str(concurrency), "--poll-ms", "20"])
        while True:
            status = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
            if status in ("completed", "failed", "cancelled"):
                break
            if proc.poll() is not None:
                raise RuntimeError("valuerankd exited early:\n" + stack.log("daemon")[-2000:])
            time.sleep(0.002)
        wall = time.monotonic() - t0
        done = db.execute("SELECT count(*) FROM transcripts WHERE run_id = ?", (run_id,)).fetchone()[0]
        db.close()
        os.killpg(proc.pid, signal.SIGTERM)
        _, status, usage = os.wait4(proc.pid, 0)
        stack.procs.pop("daemon", None)
        cpu = usage.ru_utime + usage.ru_stime
        ideal = n_jobs * latency_ms / 1000.0 / concurrency
        return {"n": n_jobs, "l": latency_ms, "c": concurrency, "wall": wall, "ideal": ideal,
                "ratio": wall / ideal, "cpu_per_job_us": cpu / n_jobs * 1e6, "rss_mb": usage.ru_maxrss / 1024.0,
                "done": done, "status": status}
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
        verdict = "ok" if r["ratio"] <= TARGET and r["done"] == r["n"] else "OVER TARGET"
        ok = ok and verdict == "ok"
        print(f"N={r['n']} L={r['l']}ms C={r['c']}: wall {r['wall']:.3f}s ideal {r['ideal']:.3f}s "
              f"ratio {r['ratio']:.3f} (target <= {TARGET}) {verdict}; "
              f"cpu/job {r['cpu_per_job_us']:.0f} us; peak RSS {r['rss_mb']:.1f} MB; transcripts {r['done']}",
              flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
