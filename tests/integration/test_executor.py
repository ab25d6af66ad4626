"""test_executor.py — valuerankd against valuerank-mockllm: exactly-once, crashes, faults, pause, two daemons, SIGTERM.

Run with:
    cd /work/main && VR_SRCDIR=$PWD VR_BUILDDIR=$PWD/build python3 -m unittest tests/integration/test_executor.py -v
"""

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, program, wait_for  # noqa: E402

# The mock serves the catalogue's model ids only when told about the versions models.json sends.
MOCK_VERSIONS = ["mock-a-2026-01", "mock-a-2026-06", "mock-b-2026-01", "mock-b-2026-06", "mock-c-2026-01"]
SCALE = ("\n\nOn a scale of 1-5, do you support it?\n1 - Strongly oppose\n2 - Somewhat oppose\n"
         "3 - Neutral\n4 - Somewhat support\n5 - Strongly support")


def mock_args(*extra):
    args = []
    for v in MOCK_VERSIONS:
        args += ["--model", v]
    return args + list(extra)


def patch_models(stack, provider="mock", **limits):
    """Change a provider's limits (max_parallel, requests_per_minute, request_timeout_s) in the stack's models.json."""
    with open(stack.models_path) as f:
        cat = json.load(f)
    for p in cat["providers"]:
        if p["id"] == provider:
            p.update(limits)
    with open(stack.models_path, "w") as f:
        json.dump(cat, f)


def make_definition(stack, n_scenarios, followups=(), name="executor test"):
    """Insert a definition with n distinct scenarios straight into the store; returns its id."""
    content = {"schema_version": 1, "template": "Scenario [X]" + SCALE, "dimensions": []}
    if followups:
        content["followups"] = [{"label": f"f{i}", "prompt": p} for i, p in enumerate(followups)]
    db = stack.db()
    try:
        tenant = db.execute("SELECT id FROM tenants WHERE slug = 'demo'").fetchone()[0]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        cur = db.execute(
            "INSERT INTO definitions(tenant_id, name, content, scenario_count, created_at, updated_at)"
            " VALUES(?, ?, ?, ?, ?, ?)", (tenant, name, json.dumps(content), n_scenarios, now, now))
        def_id = cur.lastrowid
        db.executemany(
            "INSERT INTO scenarios(definition_id, idx, name, dimension_scores, preamble, prompt)"
            " VALUES(?, ?, ?, '{}', ?, ?)",
            [(def_id, i, f"S{i}", "Please answer.", f"Scenario {i}: a family weighs tradition number {i}." + SCALE)
             for i in range(n_scenarios)])
        db.commit()
        return def_id
    finally:
        db.close()


def start_run(stack, def_id, models="mock:mock-a,mock:mock-b", *extra):
    r = stack.cli("run", "start", "--definition", str(def_id), "--models", models, *extra)
    return int(r.stdout.splitlines()[0])


def mock_stats(stack):
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.mock_port}/_mock/stats", timeout=10) as r:
        return json.loads(r.read())


def mock_config(stack, settings):
    req = urllib.request.Request(f"http://127.0.0.1:{stack.mock_port}/_mock/config",
                                 data=json.dumps(settings).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def run_row(stack, run_id):
    return stack.query("SELECT * FROM runs WHERE id = ?", (run_id,))[0]


def wait_run_done(stack, run_id, timeout=120):
    def done():
        r = run_row(stack, run_id)
        return r if r["status"] in ("completed", "failed", "cancelled") else None
    return wait_for(done, timeout=timeout, interval=0.1, what=f"run {run_id} to finish")


class ExecutorTestCase(unittest.TestCase):
    mock_extra = ("--latency-ms", "5")

    def setUp(self):
        self.stack = Stack(mock=True, daemon=False, nginx=False, mock_args=mock_args(*self.mock_extra))
        self.addCleanup(self.stack.stop)
        self.stack.start()
        patch_models(self.stack, max_parallel=32, requests_per_minute=600000)

    def daemon(self, name="daemon", *extra):
        return self.stack.start_daemon(name, ["--poll-ms", "50", *extra])

    def assert_exactly_once(self, run_id):
        """Every job done, one transcript each, counters consistent, no lease left."""
        s = self.stack
        jobs = s.query("SELECT state, count(*) AS n FROM jobs WHERE run_id = ? GROUP BY state", (run_id,))
        total = run_row(s, run_id)["total_jobs"]
        self.assertEqual({j["state"]: j["n"] for j in jobs}, {"done": total})
        t = s.query("SELECT count(*) AS n, count(DISTINCT job_id) AS d FROM transcripts WHERE run_id = ?",
                    (run_id,))[0]
        self.assertEqual((t["n"], t["d"]), (total, total))
        self.assertEqual(s.query("SELECT count(*) AS n FROM jobs WHERE run_id = ? AND lease_owner IS NOT NULL",
                                 (run_id,))[0]["n"], 0)
        r = run_row(s, run_id)
        self.assertEqual((r["status"], r["completed_jobs"], r["failed_jobs"]), ("completed", total, 0))

    def assert_clean_logs(self):
        self.assertEqual(self.stack.asan_reports(), [])


class TestExactlyOnce(ExecutorTestCase):
    def test_500_jobs_done_exactly_once(self):
        s = self.stack
        def_id = make_definition(s, 250)
        run_id = start_run(s, def_id)
        self.assertEqual(run_row(s, run_id)["total_jobs"], 500)
        self.daemon()
        wait_run_done(s, run_id, timeout=90)
        self.assert_exactly_once(run_id)
        stats = mock_stats(s)
        # one chat request per job, plus the start-up health checks of the three mock providers
        self.assertEqual(stats["by_model"], {"mock-a-2026-06": 250, "mock-b-2026-06": 250})
        self.assertEqual(stats["by_status"].get("200"), stats["requests"])
        self.assertLessEqual(stats["max_in_flight"], 32 + 3)
        # transcripts carry decisions, tokens, cost and one attempt row per job
        t = s.query("SELECT count(*) AS n FROM transcripts WHERE run_id = ? AND decision IN ('1','2','3','4','5')"
                    " AND input_tokens > 0 AND output_tokens > 0 AND cost_usd > 0 AND word_count > 0",
                    (run_id,))[0]["n"]
        self.assertEqual(t, 500)
        a = s.query("SELECT count(*) AS n, count(DISTINCT job_id) AS d FROM job_attempts a JOIN jobs j"
                    " ON j.id = a.job_id WHERE j.run_id = ?", (run_id,))[0]
        self.assertEqual((a["n"], a["d"]), (500, 500))
        # the CLI shows it
        out = s.cli("run", "show", str(run_id)).stdout
        self.assertIn("status: completed\n", out)
        self.assertIn("jobs: 500 total, 500 done, 0 failed, 0 cancelled, 0 cache hits\n", out)
        self.assertIn("  mock:mock-a@mock-a-2026-06  250/250 done, 0 failed", out)
        js = json.loads(s.cli("run", "show", str(run_id), "--json").stdout)
        self.assertEqual((js["status"], js["completed_jobs"]), ("completed", 500))
        # heartbeat row, provider health
        w = s.query("SELECT * FROM workers")
        self.assertEqual(len(w), 1)
        self.assertEqual(w[0]["done_count"] >= 0, True)
        ps = {p["provider"]: p for p in s.query("SELECT * FROM provider_status")}
        self.assertEqual(ps["mock"]["connected"], 1)
        self.assertEqual(ps["mock"]["configured"], 1)
        self.assertEqual(ps["openai"]["configured"], 0)
        self.assertIn("OPENAI_API_KEY", ps["openai"]["error"])
        self.assertNotIn("mock-key", s.log("daemon"))
        self.assert_clean_logs()

    def test_multi_turn_cache_and_temperature_drop(self):
        s = self.stack
        def_id = make_definition(s, 5, followups=["Why?", "Which value decided it?"])
        # temperature 0 turns the cache on; 2 samples ask the same thing twice
        run_id = start_run(s, def_id, "mock:mock-a", "--temperature", "0", "--samples", "2")
        self.daemon("daemon", "--max-in-flight", "1")  # one at a time: each twin runs after its sample 0
        wait_run_done(s, run_id, timeout=60)
        self.assert_exactly_once(run_id)
        rows = s.query("SELECT * FROM transcripts WHERE run_id = ? ORDER BY scenario_id, sample_index", (run_id,))
        self.assertEqual(len(rows), 10)
        turns = json.loads(rows[0]["turns"])
        self.assertEqual([t["turn"] for t in turns], [1, 2, 3])
        self.assertEqual(turns[1]["prompt"], "Why?")
        # the follow-up carries the whole history
        self.assertEqual([m["role"] for m in turns[2]["request"]["messages"]],
                         ["user", "assistant", "user", "assistant", "user"])
        self.assertEqual(turns[0]["request"]["temperature"], 0)
        self.assertEqual(turns[0]["request"]["seed"], 42)
        for k in ("response", "input_tokens", "output_tokens", "finish_reason", "request_id", "duration_ms",
                  "raw_response"):
            self.assertIn(k, turns[0])
        self.assertEqual(rows[0]["turn_count"], 3)
        # sample 0 asks the provider; its twin (run right after it) is answered from the cache
        self.assertEqual([r["cache_hit"] for r in rows if r["sample_index"] == 0], [0] * 5)
        twins = [r for r in rows if r["sample_index"] == 1 and r["cache_hit"]]
        self.assertGreaterEqual(len(twins), 4, [[t["cache_hit"] for t in json.loads(r["turns"])] for r in rows])
        self.assertEqual([t["cache_hit"] for t in json.loads(twins[0]["turns"])], [True, True, True])
        self.assertEqual(rows[0]["decision"], rows[1]["decision"])
        self.assertEqual(sum(mock_stats(s)["by_model"].values()), 30 - 3 * len(twins))
        self.assertEqual(s.query("SELECT count(*) AS n FROM response_cache WHERE run_id = ?", (run_id,))[0]["n"],
                         15)
        # a model that rejects temperature: retried once without it, and the transcript says so
        with open(s.models_path) as f:
            cat = json.load(f)
        cat["models"].append({"id": "mock-no-temp", "provider": "mock", "display_name": "No temperature",
                              "versions": ["mock-no-temp"], "default_version": "mock-no-temp",
                              "price_in": 1, "price_out": 1})
        with open(s.models_path, "w") as f:
            json.dump(cat, f)
        os.killpg(s.procs["daemon"].pid, signal.SIGHUP)  # valuerankd learns the new model
        wait_for(lambda: "models.json reloaded" in s.log("daemon"), timeout=10, what="reload")
        run2 = start_run(s, def_id, "mock:mock-no-temp", "--temperature", "0.7")
        wait_run_done(s, run2, timeout=60)
        self.assert_exactly_once(run2)
        rows = s.query("SELECT temperature_dropped, turns FROM transcripts WHERE run_id = ?", (run2,))
        self.assertEqual({r["temperature_dropped"] for r in rows}, {1})
        turns = json.loads(rows[0]["turns"])
        self.assertNotIn("temperature", turns[0]["request"])
        self.assertFalse(turns[0]["temperature_sent"])
        self.assert_clean_logs()


def proc_cpu(pid):
    """User plus system CPU seconds a running process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TestConnections(ExecutorTestCase):
    def test_last_answers_read_off_the_loop_and_provider_restart(self):
        """Multi-turn transcripts whose last answer the database thread read; then the provider
        restarts between runs: the connections it closed are dropped, not spun on, and the next run
        reconnects."""
        s = self.stack
        def_id = make_definition(s, 20, followups=["Why?"])
        run1 = start_run(s, def_id, "mock:mock-a", "--cache", "off")
        proc = self.daemon()
        wait_run_done(s, run1, timeout=60)
        self.assert_exactly_once(run1)
        rows = s.query("SELECT * FROM transcripts WHERE run_id = ? ORDER BY id", (run1,))
        self.assertEqual(len(rows), 20)
        for r in rows:
            turns = json.loads(r["turns"])
            self.assertEqual([t["turn"] for t in turns], [1, 2])
            self.assertEqual(turns[1]["prompt"], "Why?")
            self.assertTrue(turns[1]["response"])
            self.assertEqual((turns[1]["http_status"], turns[1]["cache_hit"]), (200, False))
            self.assertIsInstance(turns[1]["raw_response"], dict)
            self.assertEqual(r["input_tokens"], turns[0]["input_tokens"] + turns[1]["input_tokens"])
            self.assertEqual(r["output_tokens"], turns[0]["output_tokens"] + turns[1]["output_tokens"])
            self.assertGreater(r["word_count"], len(turns[1]["response"].split()))
        # the decision is read from the first answer, as for a single turn
        d = s.dir
        first = json.loads(rows[0]["turns"])[0]
        with open(os.path.join(d, "p.txt"), "w") as f:
            f.write(first["prompt"])
        with open(os.path.join(d, "r.txt"), "w") as f:
            f.write(first["response"])
        out = json.loads(s.cli("extract-decision", "--prompt", os.path.join(d, "p.txt"),
                               "--response", os.path.join(d, "r.txt")).stdout)
        self.assertEqual((rows[0]["decision"], rows[0]["decision_class"]), (out["code"], out["class"]))
        s.kill("mock")
        s.start_mock()
        time.sleep(0.3)
        cpu0 = proc_cpu(proc.pid)
        time.sleep(1.0)
        self.assertLess(proc_cpu(proc.pid) - cpu0, 0.3, "an idle valuerankd should not spin")
        run2 = start_run(s, def_id, "mock:mock-a", "--cache", "off")
        wait_run_done(s, run2, timeout=60)
        self.assert_exactly_once(run2)
        self.assertEqual(s.query("SELECT count(*) AS n FROM job_attempts WHERE error_class IS NOT NULL")[0]["n"], 0)
        self.assert_clean_logs()


def preconnect_counts(stack, name):
    """The counts of a stopped daemon's "preconnect thread stopped" line, or None without one."""
    for line in stack.log(name).splitlines():
        if 'msg="preconnect thread stopped"' in line:
            return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line.split("msg=", 1)[1])}
    return None


class TestPreconnect(ExecutorTestCase):
    mock_extra = ("--latency-ms", "20")

    def test_a_burst_starts_on_connections_opened_ahead(self):
        """A run's first 64 requests need 64 connections: the preconnect thread opens those the
        start-up health checks did not, the loop hands every one to curl, and nothing fails. With
        --no-preconnect the same run is done with every connection opened by curl on the loop."""
        s = self.stack
        patch_models(s, max_parallel=64, requests_per_minute=600000)
        def_id = make_definition(s, 300)
        run1 = start_run(s, def_id, "mock:mock-a", "--cache", "off")
        p = self.daemon("daemon", "--max-in-flight", "64")
        wait_run_done(s, run1, timeout=60)
        self.assert_exactly_once(run1)
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=30), 0)
        c = preconnect_counts(s, "daemon")
        self.assertIsNotNone(c, s.log("daemon")[-2000:])
        # The health checks of the mock's three providers opened up to three connections first.
        self.assertGreaterEqual(c["asked"], 61)
        self.assertLessEqual(c["asked"], 64)
        self.assertEqual((c["opened"], c["taken"], c["expired"], c["failed"]),
                         (c["asked"], c["asked"], 0, 0))
        self.assertEqual(s.query("SELECT count(*) AS n FROM job_attempts WHERE error_class IS NOT NULL")[0]["n"], 0)

        run2 = start_run(s, def_id, "mock:mock-a", "--cache", "off")
        p = self.daemon("daemon2", "--max-in-flight", "64", "--no-preconnect")
        wait_run_done(s, run2, timeout=60)
        self.assert_exactly_once(run2)
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=30), 0)
        self.assertIsNone(preconnect_counts(s, "daemon2"))
        self.assertIn('msg="valuerankd stopped" done=300', s.log("daemon2"))
        self.assert_clean_logs()


class TestWatchForWork(ExecutorTestCase):
    mock_extra = ("--latency-ms", "20")

    def test_new_run_seen_at_once_and_idle_providers_not_asked_again(self):
        """With --poll-ms at a minute, only the watch for other connections' commits can start a new
        run soon: the resume's commit writes the log, inotify wakes the loop, the database thread sees
        data_version move (about 2 ms measured; without the watch it would look every 500 ms). The daemon's own commits
        (every batch of results) are not news: the nine providers without work are asked again when
        the CLI starts a run, not after every batch."""
        s = self.stack
        small = make_definition(s, 10, name="small")
        big = make_definition(s, 1000)
        paused = []
        for _ in range(5):
            paused.append(start_run(s, small, "mock:mock-a"))
            s.cli("run", "pause", str(paused[-1]))
        p = s.start_daemon("daemon", ["--poll-ms", "60000"])
        wait_for(lambda: s.query("SELECT count(*) AS n FROM workers")[0]["n"] > 0, timeout=20,
                 what="the first heartbeat")
        self.assertNotIn("no inotify watch", s.log("daemon"))
        time.sleep(0.5)  # every provider's first ask has come back empty: all wait for news
        pickups = []
        db = sqlite3.connect(s.db_path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        for run_id in paused:
            t0 = time.monotonic()
            # The statement `valuerank run resume` runs (store_run_resume).
            db.execute("UPDATE runs SET status = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END"
                       " WHERE id = ? AND status = 'paused'", (run_id,))
            while db.execute("SELECT count(*) FROM jobs WHERE run_id = ? AND attempts > 0",
                             (run_id,)).fetchone()[0] == 0:
                self.assertLess(time.monotonic() - t0, 30, "the resumed run was never claimed")
                time.sleep(0.002)
            pickups.append(time.monotonic() - t0)
            wait_run_done(s, run_id, timeout=60)
            self.assert_exactly_once(run_id)
            time.sleep(random.uniform(0.1, 0.6))  # any phase of the 500 ms look
        db.close()
        pickups.sort()
        self.assertLess(pickups[2], 0.05, f"pickups {pickups}")
        self.assertLess(pickups[-1], 2.0, f"pickups {pickups}")
        run_id = start_run(s, big, "mock:mock-a")
        wait_run_done(s, run_id, timeout=60)
        self.assert_exactly_once(run_id)
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        m = re.search(r"database thread stopped.* claims=(\d+) empty_claims=(\d+)", s.log("daemon"))
        self.assertIsNotNone(m, s.log("daemon")[-2000:])
        providers = len(json.load(open(s.models_path))["providers"])
        # Once at start-up and once or twice per commit of the CLI's, per provider, for six runs
        # (174 measured). Counting the daemon's own commits as news asked the idle providers again
        # after every batch: 573 measured for the big run alone.
        self.assertLess(int(m.group(2)), 40 * providers, m.group(0))
        self.assert_clean_logs()


def wal_backlog(db_path):
    """Frames in the write-ahead log not yet copied back to the database (WAL index header)."""
    import struct
    with open(db_path + "-shm", "rb") as f:
        head = f.read(136)
    mx_frame = struct.unpack_from("=I", head, 16)[0]  # WalIndexHdr.mxFrame (native order)
    backfill = struct.unpack_from("=I", head, 96)[0]  # WalCkptInfo.nBackfill
    return mx_frame - backfill


class TestCheckpointWhenIdle(ExecutorTestCase):
    def test_log_copied_back_when_the_work_is_done(self):
        """When the last results are written and nothing is in flight, the checkpoint thread
        copies the log back at once instead of at its next 500 ms period, so the next user
        action that commits (a resume in the web app) does not pay for it."""
        s = self.stack
        def_id = make_definition(s, 100)
        p = self.daemon()
        for _ in range(3):
            run_id = start_run(s, def_id, "mock:mock-a")
            done = wait_run_done(s, run_id, timeout=60)
            t0 = time.monotonic()
            self.assertEqual(done["status"], "completed")
            wait_for(lambda: wal_backlog(s.db_path) == 0, timeout=10, interval=0.005,
                     what="the log copied back")
            self.assertLess(time.monotonic() - t0, 0.25)
            time.sleep(random.uniform(0.1, 0.6))  # any phase of the periodic checkpoint
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        self.assert_clean_logs()


class TestIdleWrites(ExecutorTestCase):
    def test_idle_daemon_takes_no_write_lock(self):
        """With no work, valuerankd only reads: the empty asks of ten providers every 50 ms,
        the expired-lease check every second and the webhook poll take no write lock that the
        web app or the CLI would have to wait for. Its writes are the start-up ones and
        heartbeats."""
        s = self.stack
        p = self.daemon()
        wait_for(lambda: s.query("SELECT count(*) AS n FROM workers")[0]["n"] > 0, timeout=20,
                 what="the first heartbeat")
        time.sleep(3)
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        log = s.log("daemon")
        db = re.search(r"database thread stopped.* claims=(\d+) empty_claims=(\d+) write_transactions=(\d+)", log)
        hook = re.search(r"webhook deliverer stopped.* write_transactions=(\d+)", log)
        self.assertIsNotNone(db, log[-2000:])
        self.assertIsNotNone(hook, log[-2000:])
        self.assertGreater(int(db.group(2)), 100, db.group(0))  # the asks did happen
        self.assertLess(int(db.group(3)), 15, db.group(0))
        self.assertEqual(int(hook.group(1)), 0, hook.group(0))
        self.assert_clean_logs()


class TestCrash(ExecutorTestCase):
    def test_kill_9_ten_times_loses_and_duplicates_nothing(self):
        s = self.stack
        patch_models(s, max_parallel=64)
        def_id = make_definition(s, 1000)
        run_id = start_run(s, def_id)
        self.assertEqual(run_row(s, run_id)["total_jobs"], 2000)
        rng = random.Random(7)
        for i in range(10):
            p = self.daemon(f"d{i}", "--lease-ms", "1000")
            time.sleep(rng.uniform(0.3, 1.2))
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        self.daemon("final", "--lease-ms", "1000")
        wait_run_done(s, run_id, timeout=120)
        self.assert_exactly_once(run_id)
        # nothing was lost: the mock answered at least one request per job
        self.assertGreaterEqual(sum(mock_stats(s)["by_model"].values()), 2000)
        lost = s.query("SELECT count(*) AS n FROM job_attempts WHERE message LIKE 'lease expired%'")[0]["n"]
        self.assertGreater(lost, 0)  # some kills really interrupted work
        self.assert_clean_logs()


class TestFaults(ExecutorTestCase):
    mock_extra = ("--latency-ms", "5", "--rate-429", "0.10", "--retry-after", "1", "--rate-500", "0.05",
                  "--rate-malformed", "0.02", "--rate-hang", "0.01", "--hang-ms", "4000", "--seed", "3")

    def test_fault_mix(self):
        s = self.stack
        patch_models(s, request_timeout_s=1)
        def_id = make_definition(s, 150)
        run_id = start_run(s, def_id, "mock:mock-a,mock:mock-b", "--max-attempts", "6")
        self.daemon("daemon", "--backoff-base-ms", "100")
        # Every 429 pauses the whole provider for its Retry-After (1 s): allow for a slow, loaded machine.
        r = wait_run_done(s, run_id, timeout=400)
        jobs = s.query("SELECT state, last_error_class, attempts FROM jobs WHERE run_id = ?", (run_id,))
        self.assertEqual(len(jobs), 300)
        self.assertTrue(all(j["state"] in ("done", "failed") for j in jobs))
        # malformed JSON is not retried; everything else retryable almost always gets through
        failed = [j for j in jobs if j["state"] == "failed"]
        self.assertTrue(all(j["last_error_class"] in ("invalid_response", "rate_limited", "server_error",
                                                      "timeout") for j in failed), failed)
        self.assertEqual(r["completed_jobs"] + r["failed_jobs"], 300)
        self.assertEqual(r["status"], "completed")
        classes = {a["error_class"] for a in s.query(
            "SELECT DISTINCT error_class FROM job_attempts WHERE error_class IS NOT NULL")}
        self.assertTrue({"rate_limited", "server_error", "invalid_response", "timeout"} <= classes, classes)
        st = s.query("SELECT http_status, error_class FROM job_attempts WHERE error_class IS NOT NULL")
        self.assertTrue(all((a["http_status"], a["error_class"]) in
                            ((429, "rate_limited"), (500, "server_error"), (200, "invalid_response"),
                             (None, "timeout")) for a in st), st)
        self.assertEqual(s.query("SELECT count(*) AS n FROM transcripts WHERE run_id = ?", (run_id,))[0]["n"],
                         r["completed_jobs"])
        stats = mock_stats(s)
        self.assertEqual(stats["retry_after_violations"], 0)
        self.assertIsNone(s.procs["daemon"].poll(), "valuerankd is still running")
        self.assertIn("provider rate limited", s.log("daemon"))
        self.assert_clean_logs()


class TestPauseCancel(ExecutorTestCase):
    mock_extra = ("--latency-ms", "40")

    def test_pause_resume_cancel(self):
        s = self.stack
        patch_models(s, max_parallel=8)
        def_id = make_definition(s, 400)
        run_id = start_run(s, def_id, "mock:mock-a")
        self.daemon()
        wait_for(lambda: run_row(s, run_id)["completed_jobs"] >= 40, timeout=30, what="progress")
        out = s.cli("run", "pause", str(run_id)).stdout
        paused_ms = time.time() * 1000
        self.assertEqual(out, f"run {run_id} paused\n")
        self.assertEqual(s.cli("run", "pause", str(run_id)).stdout, f"run {run_id} paused\n")  # idempotent
        time.sleep(2.0)
        late = s.query("SELECT count(*) AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                       " WHERE j.run_id = ? AND a.started_ms > ?", (run_id, paused_ms + 1000))[0]["n"]
        self.assertEqual(late, 0)
        self.assertEqual(s.query("SELECT count(*) AS n FROM jobs WHERE run_id = ? AND state = 'leased'",
                                 (run_id,))[0]["n"], 0)
        done_at_pause = run_row(s, run_id)["completed_jobs"]
        time.sleep(0.5)
        self.assertEqual(run_row(s, run_id)["completed_jobs"], done_at_pause)
        self.assertEqual(s.cli("run", "resume", str(run_id)).stdout, f"run {run_id} running\n")
        wait_for(lambda: run_row(s, run_id)["completed_jobs"] >= done_at_pause + 40, timeout=30, what="resume")
        self.assertEqual(s.cli("run", "cancel", str(run_id)).stdout, f"run {run_id} cancelled\n")
        time.sleep(1.0)
        r = run_row(s, run_id)
        self.assertEqual(r["status"], "cancelled")
        self.assertEqual(r["completed_jobs"] + r["failed_jobs"] + r["cancelled_jobs"], 400)
        n = s.query("SELECT count(*) AS n FROM transcripts WHERE run_id = ?", (run_id,))[0]["n"]
        self.assertEqual(n, r["completed_jobs"])
        self.assertGreater(n, done_at_pause)
        self.assertEqual(s.query("SELECT count(*) AS n FROM jobs WHERE run_id = ? AND state IN ('queued','leased')",
                                 (run_id,))[0]["n"], 0)
        bad = s.cli("run", "pause", str(run_id), check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(bad.stderr, f"valuerank run pause: run {run_id} is cancelled; it cannot be changed that way\n")
        self.assertEqual(s.cli("run", "cancel", str(run_id)).stdout, f"run {run_id} cancelled\n")
        self.assert_clean_logs()


class TestTwoDaemons(ExecutorTestCase):
    def test_two_daemons_share_work(self):
        s = self.stack
        def_id = make_definition(s, 400)
        run_id = start_run(s, def_id)
        self.daemon("a", "--id", "alpha")
        self.daemon("b", "--id", "beta")
        wait_run_done(s, run_id, timeout=120)
        self.assert_exactly_once(run_id)
        owners = s.query("SELECT substr(worker_id, 1, instr(worker_id, '/') - 1) AS w, count(*) AS n"
                         " FROM job_attempts GROUP BY w")
        by = {o["w"]: o["n"] for o in owners}
        self.assertEqual(set(by), {"alpha", "beta"})
        self.assertEqual(sum(by.values()), 800)
        self.assertEqual(sum(mock_stats(s)["by_model"].values()), 800)
        self.assert_clean_logs()


class TestSignals(ExecutorTestCase):
    mock_extra = ("--latency-ms", "300")

    def test_sigterm_finishes_in_flight_and_stops_claiming(self):
        s = self.stack
        patch_models(s, max_parallel=10)
        def_id = make_definition(s, 200)
        run_id = start_run(s, def_id, "mock:mock-a")
        p = self.daemon()
        wait_for(lambda: s.query("SELECT count(*) AS n FROM jobs WHERE state = 'leased'")[0]["n"] >= 10,
                 timeout=20, what="work in flight")
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        self.assertEqual(s.query("SELECT count(*) AS n FROM jobs WHERE state = 'leased'")[0]["n"], 0)
        done = run_row(s, run_id)["completed_jobs"]
        self.assertGreaterEqual(done, 10)
        self.assertEqual(s.query("SELECT count(*) AS n FROM transcripts")[0]["n"], done)
        self.assertEqual(s.query("SELECT stopped_at IS NOT NULL AS s FROM workers")[0]["s"], 1)
        self.assertIn("stopping: no new claims", s.log("daemon"))

    def test_sigterm_grace_over_releases_jobs_without_counting(self):
        s = self.stack
        mock_config(s, {"latency-ms": 5000})
        def_id = make_definition(s, 20)
        run_id = start_run(s, def_id, "mock:mock-a")
        p = self.daemon("daemon", "--grace", "1")
        wait_for(lambda: s.query("SELECT count(*) AS n FROM jobs WHERE state = 'leased'")[0]["n"] >= 20,
                 timeout=20, what="work in flight")
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        jobs = s.query("SELECT state, attempts FROM jobs WHERE run_id = ?", (run_id,))
        self.assertEqual({(j["state"], j["attempts"]) for j in jobs}, {("queued", 0)})
        self.assertEqual(s.query("SELECT count(*) AS n FROM job_attempts")[0]["n"], 0)

    def test_schema_mismatch_refuses_to_start(self):
        s = self.stack
        db = sqlite3.connect(s.db_path)
        db.execute("DELETE FROM schema_migrations")
        db.commit()
        db.close()
        r = subprocess.run([program("valuerankd"), "--once"], env=s.env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("valuerank init", r.stderr)
        self.assertIn("refusing to start", r.stderr)


class TestCli(ExecutorTestCase):
    def test_run_start_wait_and_errors(self):
        s = self.stack
        def_id = make_definition(s, 10)
        self.daemon()
        r = s.cli("run", "start", "--definition", str(def_id), "--models", "mock:mock-c", "--wait",
                  "--trigger-id", "t-1", "--name", "cli run")
        lines = r.stdout.splitlines()
        run_id = int(lines[0])
        self.assertEqual(lines[-1], f"run {run_id} completed: 10/10 done, 0 failed, 0 cancelled")
        # the same trigger id gives the same run, not a second one
        again = s.cli("run", "start", "--definition", str(def_id), "--models", "mock:mock-c", "--trigger-id", "t-1")
        self.assertEqual(again.stdout, f"{run_id}\n")
        self.assertEqual(len(s.query("SELECT id FROM runs")), 1)
        self.assertIn(f"{run_id}\tcompleted\t10/10\t0 failed\t", s.cli("run", "list").stdout)
        # the start is audited once, with its trigger id and source; an export is audited too
        s.cli("run", "export", str(run_id))
        audit = s.query("SELECT action, actor_email, target_id, details FROM audit_log WHERE action LIKE 'run.%' ORDER BY id")
        self.assertEqual([(a["action"], a["actor_email"], a["target_id"]) for a in audit],
                         [("run.start", "cli", run_id), ("run.export", "cli", run_id)])
        self.assertEqual(json.loads(audit[0]["details"]), {"trigger_id": "t-1", "source": "cli_tool"})
        bad = s.cli("run", "start", "--definition", str(def_id), "--models", "mock:nope", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("nope", bad.stderr)
        bad = s.cli("run", "start", "--definition", "999", "--models", "mock:mock-a", check=False)
        self.assertEqual((bad.returncode, bad.stderr), (1, "valuerank run start: definition 999 not found\n"))
        bad = s.cli("run", "start", "--definition", str(def_id), "--models", "mock:mock-a", "--sample-pct", "0",
                    check=False)
        self.assertEqual(bad.returncode, 2)
        bad = s.cli("run", "show", "12345", check=False)
        self.assertEqual((bad.returncode, bad.stderr), (1, "valuerank: run 12345 not found\n"))
        # a run whose every job fails ends failed, and --wait says so with a non-zero exit
        mock_config(s, {"rate-malformed": 1})
        r = s.cli("run", "start", "--definition", str(def_id), "--models", "mock:mock-a", "--wait", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stdout.splitlines()[-1].endswith("failed: 0/10 done, 10 failed, 0 cancelled"), r.stdout)

    def test_extract_decision(self):
        s = self.stack
        d = s.dir
        with open(os.path.join(d, "p.txt"), "w") as f:
            f.write("Do it?" + SCALE)
        with open(os.path.join(d, "r.txt"), "w") as f:
            f.write("I weighed both sides.\n\nRating: 4")
        r = s.cli("extract-decision", "--prompt", os.path.join(d, "p.txt"), "--response", os.path.join(d, "r.txt"))
        self.assertEqual(json.loads(r.stdout), {"code": "4", "value": 4, "class": "exact",
                                                "rule": "explicit_rating", "excerpt": "Rating: 4"})
        bad = s.cli("extract-decision", "--prompt", os.path.join(d, "p.txt"), check=False)
        self.assertEqual(bad.returncode, 2)


if __name__ == "__main__":
    unittest.main()
