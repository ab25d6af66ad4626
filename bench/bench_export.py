#!/usr/bin/env python3
"""bench_export.py — the CSV export of 100,000 transcripts: rows per second and peak resident memory.

Builds a database with one run of N transcripts (default 100,000: 1,000 scenarios × 2 models × 50
samples, each transcript with a realistic turns JSON), then exports it
  1. with `valuerank run export ID` (peak RSS of the process from getrusage), and
  2. through nginx + valuerank.fcgi as a streamed download (peak RSS of the FastCGI worker, VmHWM),
with and without the text columns. Targets (issue 6): well under 2 s, under 32 MB for the standard
export; the memory target also holds with ?text=1 (about ten times the bytes), whose time is reported.

Usage: VR_BUILDDIR=build-release python3 bench/bench_export.py [--rows N]
Use a build without --enable-asan for meaningful numbers.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import Stack, program  # noqa: E402

TARGET_S = 2.0
TARGET_MB = 32.0


def build(stack, n_rows):
    """One run of n_rows transcripts; returns the run id."""
    c = stack.db()
    content = {"schema_version": 1, "template": "[Care] vs [Order]", "dimensions": [
        {"name": "Care", "levels": [{"score": s, "label": f"c{s}"} for s in range(1, 6)]},
        {"name": "Order", "levels": [{"score": s, "label": f"o{s}"} for s in range(1, 6)]}]}
    tid = c.execute("SELECT id FROM tenants WHERE slug = 'demo'").fetchone()[0]
    did = c.execute("INSERT INTO definitions(tenant_id, name, content, scenario_count, created_at, updated_at)"
                    " VALUES(?, 'bench', ?, 1000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                    (tid, json.dumps(content))).lastrowid
    n_scen = 1000
    c.executemany("INSERT INTO scenarios(definition_id, idx, name, dimension_scores, prompt) VALUES(?,?,?,?,?)",
                  [(did, i, f"Care_{i % 5 + 1} / Order_{i // 5 % 5 + 1} #{i}",
                    json.dumps({"Care": i % 5 + 1, "Order": i // 5 % 5 + 1}), "prompt") for i in range(n_scen)])
    first_sid = c.execute("SELECT min(id) FROM scenarios WHERE definition_id = ?", (did,)).fetchone()[0]
    rid = c.execute("INSERT INTO runs(tenant_id, definition_id, name, status, config, definition_snapshot,"
                    " trigger_id, trigger_source, total_jobs, completed_jobs, created_at)"
                    " VALUES(?, ?, 'bench', 'completed', '{\"models\":[]}', ?, 'bench', 'cli_tool', ?, ?,"
                    " '2026-01-01T00:00:00Z')", (tid, did, json.dumps(content), n_rows, n_rows)).lastrowid
    prompt = ("I want your moral judgment. " * 12) + "On a scale of 1-5, do you support it?"
    answer = ("Weighing autonomy against tradition, the decision turns on how central the choice is. " * 8) + "Rating: 4"
    turns = json.dumps([{"turn": 1, "prompt": prompt, "response": answer, "input_tokens": 120,
                         "output_tokens": 200, "finish_reason": "stop"}])
    models = ["mock-a", "mock-b"]
    samples = max(1, n_rows // (n_scen * len(models)))
    jobs, rows, n = [], [], 0
    job_id = (c.execute("SELECT coalesce(max(id), 0) FROM jobs").fetchone()[0] or 0) + 1
    for m in models:
        for s in range(n_scen):
            for k in range(samples):
                if n >= n_rows:
                    break
                jobs.append((job_id, rid, first_sid + s, "mock", m, m + "-v1", k))
                rows.append((rid, job_id, first_sid + s, "mock", m, m + "-v1", k, turns, 1, 150 + n % 50, 120,
                             200 + n % 17, 0.00012 + (n % 7) * 0.000031, str(n % 5 + 1), n % 5 + 1, "exact",
                             800 + n % 300, "2026-01-02T03:04:05Z"))
                job_id += 1
                n += 1
    c.executemany("INSERT INTO jobs(id, run_id, scenario_id, provider, model_id, model_version, sample_index, state)"
                  " VALUES(?,?,?,?,?,?,?,'done')", jobs)
    c.executemany("INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version,"
                  " sample_index, turns, turn_count, word_count, input_tokens, output_tokens, cost_usd, decision,"
                  " decision_value, decision_class, duration_ms, created_at)"
                  " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return rid, n


def cli_export(stack, rid, text):
    """Run the CLI export into a file; returns (seconds, bytes, peak RSS MB of that process alone)."""
    # GNU time reports the peak RSS of valuerank itself (ru_maxrss of a child forked from this
    # Python process would include the parent's pages copied before exec).
    args = ["/usr/bin/time", "-f", "%e %M", program("valuerank"), "run", "export", str(rid)] + \
        (["--text"] if text else [])
    out_path = os.path.join(stack.dir, "export.csv")
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, env=stack.env, check=True)
        dt = time.perf_counter() - t0
    seconds, kb = p.stderr.decode().strip().splitlines()[-1].split()
    nbytes = os.path.getsize(out_path)
    os.unlink(out_path)
    return float(seconds), nbytes, int(kb) / 1024.0


def bearer_token(stack):
    """An API token for the demo user, stored directly (no sign-in, so the worker never runs argon2)."""
    token = "vr_" + "ab" * 32
    c = stack.db()
    uid = c.execute("SELECT id FROM users WHERE email = 'demo@example.org'").fetchone()[0]
    c.execute("INSERT INTO api_tokens(user_id, name, token_hash, token_prefix, created_at)"
              " VALUES(?, 'bench', ?, 'vr_abababab', '2026-01-01T00:00:00Z')",
              (uid, hashlib.sha256(token.encode()).hexdigest()))
    c.commit()
    c.close()
    return token


def worker_hwm_mb(stack):
    """Largest VmHWM (peak RSS) among the FastCGI worker processes, in MB."""
    web = stack.procs["web"].pid
    out = subprocess.run(["pgrep", "-P", str(web)], capture_output=True, text=True).stdout.split()
    best = 0
    for pid in out:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]))
        except FileNotFoundError:
            pass
    return best / 1024.0


def web_export(stack, client, rid, text):
    """Download through nginx; returns (seconds, bytes)."""
    path = f"/api/v1/runs/{rid}/export.csv" + ("?text=1" if text else "")
    t0 = time.perf_counter()
    r = client.get(path, timeout=300)
    dt = time.perf_counter() - t0
    assert r.status == 200, r.status
    return dt, len(r.body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    args = ap.parse_args()
    stack = Stack(mock=False, daemon=False, workers=1).start()
    try:
        t0 = time.perf_counter()
        rid, n = build(stack, args.rows)
        size = os.path.getsize(stack.db_path) / 1e6
        print(f"built run {rid}: {n} transcripts, database {size:.0f} MB, in {time.perf_counter() - t0:.1f} s")
        client = stack.client()
        client.bearer = bearer_token(stack)
        hwm0 = worker_hwm_mb(stack)
        ok = True
        for text in (False, True):
            label = "with text" if text else "plain    "
            dt, nbytes, rss = cli_export(stack, rid, text)
            print(f"cli {label}: {n / dt:10.0f} rows/s  {dt:5.2f} s  {nbytes / 1e6:6.1f} MB out  peak RSS {rss:5.1f} MB"
                  f"  (targets < {TARGET_S} s, < {TARGET_MB} MB)")
            # the targets are for the standard export; ?text=1 adds ~10x the bytes and is reported only
            ok = ok and (text or (dt < TARGET_S and rss < TARGET_MB))
            dt, nbytes = web_export(stack, client, rid, text)
            hwm = worker_hwm_mb(stack)
            print(f"web {label}: {n / dt:10.0f} rows/s  {dt:5.2f} s  {nbytes / 1e6:6.1f} MB out  worker peak RSS"
                  f" {hwm:5.1f} MB (was {hwm0:.1f} MB before any export)")
            ok = ok and (text or (dt < TARGET_S and hwm < TARGET_MB)) and (hwm < TARGET_MB)
        print("PASS" if ok else "FAIL: a target was missed")
        return 0 if ok else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
