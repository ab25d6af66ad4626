#!/usr/bin/env python3
"""bench_web.py — wrk with 32 connections on the dashboard and on a run page while valuerankd works at full speed.

Starts nginx + valuerank.fcgi + valuerank-mockllm + valuerankd, imports the example definitions, creates
60 finished runs (so the dashboard has full pages) and one large run that valuerankd processes against
the mock (no added latency: full speed) during the measurement. Then, for each URL, `wrk -c32` for
DURATION seconds: /runs (the dashboard), /runs/ID (the active run's page), and /static/style.css served
by nginx itself as the baseline. Prints p50/p99 latency, requests per second, errors (non-2xx/3xx and
socket errors, which must be zero) and the ratio of each page to the static file.

Usage: VR_BUILDDIR=build-release python3 bench/bench_web.py [DURATION_S]   (a non-ASan build)
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import SRCDIR, Stack  # noqa: E402

DURATION = int(sys.argv[1]) if len(sys.argv) > 1 else 10
VERSIONS = ["mock-a-2026-01", "mock-a-2026-06", "mock-b-2026-01", "mock-b-2026-06", "mock-c-2026-01"]


def wrk(url, cookie):
    """Run wrk; returns {rps, p50_ms, p99_ms, requests, errors}."""
    out = subprocess.run(["wrk", "-t4", "-c32", f"-d{DURATION}s", "--latency", "-H", f"Cookie: {cookie}", url],
                         capture_output=True, text=True, check=True).stdout
    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"), "requests": requests, "errors": errors}


def main():
    stack = Stack(mock=True, daemon=False, workers=4,
                  mock_args=[a for v in VERSIONS for a in ("--model", v)])
    stack.start()
    try:
        examples = os.path.join(SRCDIR, "examples", "definitions")
        files = sorted(os.path.join(examples, f) for f in os.listdir(examples) if f.endswith(".json"))
        ids = [int(x) for x in stack.cli("definition", "import", *files).stdout.split()]
        sizes = stack.query("SELECT id, scenario_count FROM definitions ORDER BY scenario_count DESC")
        big = sizes[0]["id"]
        small = sizes[-1]["id"]
        # history for the dashboard: finished runs with their transcripts, made by valuerankd --once
        for i in range(60):
            stack.cli("run", "start", "--definition", str(ids[i % len(ids)]), "--models", "mock:mock-a",
                      "--sample-pct", "1", "--name", f"History {i + 1}")
        stack.start_daemon("history", ["--once"])
        stack.procs["history"].wait(timeout=300)
        # the active run: about 9,000 jobs (three models × 3 samples of the largest example) that valuerankd works through during the measurement
        out = stack.cli("run", "start", "--definition", str(big), "--models", "mock:mock-a,mock:mock-b,mock:mock-c",
                        "--samples", "3", "--name", "Under load").stdout
        active = int(out.split()[0])
        total = stack.query("SELECT total_jobs FROM runs WHERE id = ?", (active,))[0]["total_jobs"]
        del small
        stack.start_daemon()
        c = stack.client()
        c.login()
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        base = f"http://127.0.0.1:{stack.port}"
        assert c.get("/runs").status == 200 and c.get(f"/runs/{active}").status == 200
        time.sleep(1)
        done0 = stack.query("SELECT completed_jobs FROM runs WHERE id = ?", (active,))[0]["completed_jobs"]
        t0 = time.time()
        results = {}
        for label, path in (("static file (nginx)", "/static/style.css"), ("dashboard /runs", "/runs"),
                            (f"run page /runs/{active}", f"/runs/{active}")):
            results[label] = wrk(base + path, cookie)
        done1 = stack.query("SELECT completed_jobs FROM runs WHERE id = ?", (active,))[0]["completed_jobs"]
        jobs_per_s = (done1 - done0) / (time.time() - t0)
        static = results["static file (nginx)"]
        print(f"valuerankd meanwhile: {jobs_per_s:.0f} jobs/s on run {active} ({done1}/{total} done)")
        print(f"{'URL':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs static':>16}"
              f" {'p50 vs static':>14}")
        ok = True
        for label, r in results.items():
            print(f"{label:28} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7d}"
                  f" {r['rps'] / static['rps']:15.3f}x {r['p50_ms'] / static['p50_ms']:13.1f}x")
            ok = ok and r["errors"] == 0
        print(json.dumps({k: v for k, v in results.items()}, indent=None))
        print("PASS: zero errors" if ok else "FAIL: errors under load")
        return 0 if ok else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
