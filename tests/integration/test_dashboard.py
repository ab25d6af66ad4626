"""test_dashboard.py — the dashboard, CSV export, settings (system health), notifications, admin and audit pages.

Runs, jobs and transcripts are written with SQL (schema in src/store/schema.c) so every value is
known; the executor is started only where the test needs it (executor offline, test run, check now).
"""
import csv
import datetime
import io
import json
import math
import re
import signal
import time
import unittest
import urllib.parse

from harness import DEMO_EMAIL, Stack, wait_for

BOM = b"\xef\xbb\xbf"
OTHER_EMAIL = "other-admin@example.org"
OTHER_PASSWORD = "other-password-123"
VIEWER_EMAIL = "viewer@example.org"
VIEWER_PASSWORD = "viewer-password-123"
LEAD_COLUMNS = ["run_id", "scenario_id", "scenario_name", "model_id", "model_version", "provider", "sample_index"]
TAIL_COLUMNS = ["decision", "decision_value", "decision_class", "turn_count", "word_count", "input_tokens",
                "output_tokens", "cost_usd", "duration_ms", "created_at", "transcript_id"]
INT_COLUMNS = {"run_id", "scenario_id", "sample_index", "decision_value", "turn_count", "word_count",
               "input_tokens", "output_tokens", "duration_ms", "transcript_id"}
TEXT_COLUMNS = {"scenario_name", "model_id", "model_version", "provider", "decision", "decision_class"}
# Scenario names that a spreadsheet would run as formulas, and ones that need RFC 4180 quoting.
HOSTILE_NAMES = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "\tTabbed", "plain, with comma",
                 'say "hi"', "two\nlines"]


def ids_in(html):
    """Run ids of the dashboard table rows, in order."""
    return [int(x) for x in re.findall(r'<td><a href="/runs/(\d+)">', html)]


class Fixture:
    """Rows written straight into the stack's database."""

    def __init__(self, stack):
        self.stack = stack
        self.n_trigger = 0

    def one(self, sql, params=()):
        c = self.stack.db()
        try:
            cur = c.execute(sql, params)
            c.commit()
            return cur.lastrowid
        finally:
            c.close()

    def tenant_id(self, slug):
        return self.stack.query("SELECT id FROM tenants WHERE slug = ?", (slug,))[0]["id"]

    def user_id(self, email):
        return self.stack.query("SELECT id FROM users WHERE email = ?", (email,))[0]["id"]

    def definition(self, tenant_id, name, dims=("Alpha", "Beta"), scenario_names=None):
        content = {"schema_version": 1, "preamble": "Think.", "template": "Dilemma [Alpha] [Beta]",
                   "dimensions": [{"name": d, "levels": [{"score": 1, "label": "low"}, {"score": 5, "label": "high"}]}
                                  for d in dims]}
        names = scenario_names or ["Alpha_1 / Beta_1", "Alpha_1 / Beta_5", "Alpha_5 / Beta_1"]
        did = self.one("INSERT INTO definitions(tenant_id, name, version, content, scenario_count, created_at,"
                       " updated_at) VALUES(?, ?, 1, ?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                       (tenant_id, name, json.dumps(content), len(names)))
        sids = []
        for i, n in enumerate(names):
            scores = {d: (1 + 4 * ((i >> k) & 1)) for k, d in enumerate(dims)}
            sids.append(self.one("INSERT INTO scenarios(definition_id, idx, name, dimension_scores, preamble, prompt)"
                                 " VALUES(?, ?, ?, ?, 'Think.', ?)", (did, i, n, json.dumps(scores), f"Prompt {i}")))
        return did, sids

    def run(self, tenant_id, definition_id, name, status="completed", created_at="2026-01-01T10:00:00Z",
            started_at=None, completed_at=None, total=0, completed=0, failed=0, cancelled=0, created_by=None,
            models=(("mock", "mock-a", "mock-a-2026-06"),)):
        self.n_trigger += 1
        config = {"models": [{"provider": p, "model": m, "version": v} for p, m, v in models], "sample_pct": 100,
                  "sample_seed": 0, "samples": 1, "temperature": None, "max_tokens": None, "cache": False,
                  "max_attempts": 5}
        snapshot = self.stack.query("SELECT content FROM definitions WHERE id = ?", (definition_id,))[0]["content"]
        return self.one(
            "INSERT INTO runs(tenant_id, definition_id, name, status, config, definition_snapshot, trigger_id,"
            " trigger_source, created_by, total_jobs, completed_jobs, failed_jobs, cancelled_jobs, created_at,"
            " started_at, completed_at) VALUES(?, ?, ?, ?, ?, ?, ?, 'cli_tool', ?, ?, ?, ?, ?, ?, ?, ?)",
            (tenant_id, definition_id, name, status, json.dumps(config), snapshot, f"fixture-{self.n_trigger}",
             created_by, total, completed, failed, cancelled, created_at, started_at, completed_at))

    def transcript(self, run_id, scenario_id, provider, model_id, model_version, sample, **kw):
        job = self.one("INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version, sample_index, state)"
                       " VALUES(?, ?, ?, ?, ?, ?, 'done')",
                       (run_id, scenario_id, provider, model_id, model_version or "v?", sample))
        turns = kw.get("turns", [{"prompt": "Prompt", "response": "Rating: 4"}])
        return self.one(
            "INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version, sample_index,"
            " turns, turn_count, word_count, input_tokens, output_tokens, cost_usd, decision, decision_value,"
            " decision_class, duration_ms, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, job, scenario_id, provider, model_id, model_version, sample, json.dumps(turns), len(turns),
             kw.get("words", 12), kw.get("input_tokens", 100), kw.get("output_tokens", 50), kw.get("cost"),
             kw.get("decision", "4"), kw.get("value", 4), kw.get("klass", "exact"), kw.get("duration", 1234),
             kw.get("created_at", "2026-01-02T03:04:05Z")))


class DashboardTest(unittest.TestCase):
    """One stack (nginx + fcgi, no executor) shared by the page tests; each test makes its own rows."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(mock=False, daemon=False, workers=2).start()
        cls.fx = Fixture(cls.stack)
        cls.stack.cli("user", "add", "--email", OTHER_EMAIL, "--tenant", "other", "--role", "admin",
                      input=OTHER_PASSWORD + "\n")
        cls.stack.cli("user", "add", "--email", VIEWER_EMAIL, "--tenant", "demo", "--role", "viewer",
                      input=VIEWER_PASSWORD + "\n")
        cls.demo = cls.fx.tenant_id("demo")
        cls.other = cls.fx.tenant_id("other")
        cls.demo_user = cls.fx.user_id(DEMO_EMAIL)

    @classmethod
    def tearDownClass(cls):
        reports = cls.stack.asan_reports()
        cls.stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def client(self, email=DEMO_EMAIL, password=None):
        c = self.stack.client()
        if password:
            c.login(email, password)
        else:
            c.login()
        return c

    # -- dashboard -----------------------------------------------------------
    def make_dashboard_runs(self):
        """30 runs in a fresh tenant 'dash': every status, two definitions, one run a day in January."""
        self.stack.cli("user", "add", "--email", "dash@example.org", "--tenant", "dash", "--role", "researcher",
                       input="dash-password-123\n")
        tid = self.fx.tenant_id("dash")
        d1, _ = self.fx.definition(tid, "Alpha definition")
        d2, _ = self.fx.definition(tid, "Beta definition")
        statuses = ["completed", "completed_err", "failed", "cancelled", "paused", "completed"]
        runs = []
        for i in range(30):
            st = statuses[i % len(statuses)]
            day = f"2026-01-{i + 1:02d}"
            total, done, failed = 10, 10, 0
            status = st
            if st == "completed_err":
                status, done, failed = "completed", 8, 2
            elif st == "failed":
                done, failed = 0, 10
            elif st in ("cancelled", "paused"):
                done = 4
            duration = 60 * (i % 7) + i  # distinct durations
            started = f"{day}T10:00:00Z"
            completed = None if status == "paused" else \
                (datetime.datetime(2026, 1, i + 1, 10) + datetime.timedelta(seconds=duration)).strftime("%Y-%m-%dT%H:%M:%SZ")
            rid = self.fx.run(tid, d1 if i % 3 else d2, f"{'Beta' if i % 3 == 0 else 'Alpha'} run {i + 1}",
                              status=status, created_at=f"{day}T09:00:00Z", started_at=started,
                              completed_at=completed, total=total, completed=done, failed=failed)
            runs.append({"id": rid, "status": st, "def": d1 if i % 3 else d2, "day": day, "duration": duration,
                         "name": f"{'Beta' if i % 3 == 0 else 'Alpha'} run {i + 1}"})
        return tid, d1, d2, runs

    def test_dashboard_filters_search_sort_pagination(self):
        tid, d1, d2, runs = self.make_dashboard_runs()
        c = self.client("dash@example.org", "dash-password-123")
        newest_first = [r["id"] for r in sorted(runs, key=lambda r: r["day"], reverse=True)]
        r = c.get("/runs")
        self.assertEqual(r.status, 200)
        self.assertIn("30 runs.", r.text)
        self.assertEqual(ids_in(r.text), newest_first[:25])
        self.assertIn("Page 1 of 2", r.text)
        self.assertNotIn('http-equiv="refresh"', r.text)  # paused is not active
        # each row: name, definition link, badge, progress x/y with <progress>, models, created, duration
        row = re.search(r'<tr>\s*<td><a href="/runs/%d">.*?</tr>' % runs[25]["id"], r.text, re.S).group(0)
        self.assertIn(f'<a href="/definitions/{d1}">Alpha definition</a>', row)
        self.assertIn('<span class="badge badge-completed_with_errors">Completed with errors</span>', row)
        self.assertIn("10/10", row)
        self.assertIn('<progress value="10" max="10">100%</progress>', row)
        self.assertIn("(2 failed)", row)
        self.assertIn("mock:mock-a", row)
        self.assertIn('<time datetime="2026-01-26T09:00:00Z" title="2026-01-26T09:00:00Z">2026-01-26 09:00</time>', row)
        self.assertIn("4m 25s", row)  # duration 265 s
        # status filters, including "completed with errors" and "completed" (without failures)
        for status in ("completed", "completed_err", "failed", "cancelled", "paused"):
            key = "completed_with_errors" if status == "completed_err" else status
            r = c.get(f"/runs?status={key}")
            want = sorted([x["id"] for x in runs if x["status"] == status], reverse=True)
            self.assertEqual(ids_in(r.text), want, key)
            self.assertIn(f'<option value="{key}" selected>', r.text)
        r = c.get("/runs?status=bogus")
        self.assertIn("Unknown status", r.text)
        self.assertEqual(len(ids_in(r.text)), 25)
        # definition filter
        r = c.get(f"/runs?definition={d2}")
        self.assertEqual(ids_in(r.text), sorted([x["id"] for x in runs if x["def"] == d2], reverse=True))
        # created date range (inclusive)
        r = c.get("/runs?from=2026-01-10&to=2026-01-12")
        self.assertEqual(ids_in(r.text), [runs[11]["id"], runs[10]["id"], runs[9]["id"]])
        self.assertIn("3 runs match the filters.", r.text)
        r = c.get("/runs?from=2026-02-31")
        self.assertIn("The &quot;from&quot; date must be a date", r.text)
        # search by id and by name
        # a number matches that run id, and names that contain it
        target = runs[7]["id"]
        r = c.get(f"/runs?q={target}")
        self.assertEqual(ids_in(r.text), sorted([target] + [x["id"] for x in runs if str(target) in x["name"]
                                                            and x["id"] != target], reverse=True))
        self.assertIn(target, ids_in(r.text))
        r = c.get(f"/runs?q={runs[0]['id']}&definition={runs[0]['def']}")
        self.assertIn(runs[0]["id"], ids_in(r.text))
        r = c.get("/runs?q=beta+RUN")
        self.assertEqual(ids_in(r.text), sorted([x["id"] for x in runs if x["name"].startswith("Beta")], reverse=True))
        r = c.get("/runs?q=%25")  # a LIKE wildcard is searched literally
        self.assertEqual(ids_in(r.text), [])
        self.assertIn("No runs match these filters.", r.text)
        # sort by duration and status, both directions
        with_duration = [x for x in runs if x["status"] != "paused"]
        r = c.get("/runs?sort=duration&dir=asc&per_page=100")
        got = ids_in(r.text)
        self.assertEqual(got[:len(with_duration)], [x["id"] for x in sorted(with_duration, key=lambda x: x["duration"])])
        r = c.get("/runs?sort=duration&dir=desc&status=failed")
        self.assertEqual(ids_in(r.text), [x["id"] for x in sorted([x for x in runs if x["status"] == "failed"],
                                                                      key=lambda x: -x["duration"])])
        r = c.get("/runs?sort=status&dir=asc&per_page=100")
        labels = re.findall(r'badge badge-([a-z_]+)"', r.text)
        self.assertEqual(labels, sorted(labels))
        r = c.get("/runs?sort=created&dir=asc&per_page=5")
        self.assertEqual(ids_in(r.text), [x["id"] for x in runs[:5]])
        # pagination keeps the filters in its links
        r = c.get(f"/runs?definition={d1}&per_page=7&sort=created&dir=desc")
        self.assertIn(f"Page 1 of 3", r.text)
        nxt = re.search(r'<a href="([^"]+)" rel="next">', r.text).group(1).replace("&amp;", "&")
        q = urllib.parse.parse_qs(urllib.parse.urlparse(nxt).query)
        self.assertEqual(q, {"definition": [str(d1)], "per_page": ["7"], "sort": ["created"], "dir": ["desc"],
                             "page": ["2"]})
        r2 = c.get(nxt)
        d1_ids = sorted([x["id"] for x in runs if x["def"] == d1], reverse=True)
        self.assertEqual(ids_in(r2.text), d1_ids[7:14])
        prev = re.search(r'<a href="([^"]+)" rel="prev">', r2.text).group(1).replace("&amp;", "&")
        self.assertNotRegex(prev, r"[?&]page=")
        self.assertIn("per_page=7", prev)
        # the JSON API gives the same view model
        c2 = self.client("dash@example.org", "dash-password-123")
        api = c2.get("/api/v1/runs?status=failed").json()
        self.assertEqual(api["total"], len([x for x in runs if x["status"] == "failed"]))
        self.assertEqual([x["id"] for x in api["runs"]], sorted([x["id"] for x in runs if x["status"] == "failed"], reverse=True))
        # refresh only while a run on the page is active
        active = self.fx.run(tid, d1, "Active one", status="running", created_at="2026-02-01T00:00:00Z",
                             started_at="2026-02-01T00:00:00Z", total=10, completed=3)
        r = c.get("/runs")
        self.assertIn('<meta http-equiv="refresh" content="5">', r.text)
        r = c.get("/runs?status=completed")
        self.assertNotIn('http-equiv="refresh"', r.text)
        self.assertEqual(ids_in(c.get("/runs?q=Active").text), [active])

    def test_dashboard_empty_state_and_tenant_isolation(self):
        self.stack.cli("user", "add", "--email", "empty@example.org", "--tenant", "empty", "--role", "researcher",
                       input="empty-password-123\n")
        c = self.client("empty@example.org", "empty-password-123")
        r = c.get("/runs")
        self.assertIn('No runs yet. <a href="/definitions">Pick a definition</a>', r.text)
        # another tenant's runs never show
        did, _ = self.fx.definition(self.demo, "Demo only")
        rid = self.fx.run(self.demo, did, "Demo secret run")
        self.assertEqual(ids_in(c.get(f"/runs?q={rid}").text), [])
        self.assertEqual(ids_in(c.get("/runs?q=secret").text), [])

    # -- CSV export ------------------------------------------------------------
    def make_export_run(self, status="completed"):
        did, sids = self.fx.definition(self.demo, "Export definition", scenario_names=HOSTILE_NAMES[:4])
        rid = self.fx.run(self.demo, did, "Export run", status=status, total=24, completed=15,
                          created_by=self.demo_user)
        costs = [0.00042, None, 0.0015, 12.5, 0.000123456789]
        decisions = [("4", 4, "exact"), ("refusal", None, "none"), ("1", 1, "fallback"), ("unknown", None, "ambiguous")]
        n = 0
        # inserted out of order: the export orders by model, scenario, sample
        for model, version in (("mock-b", "mock-b-2026-06"), ("=cmd|' /C calc'!A0", None), ("mock-a", "mock-a-2026-06")):
            for sid in reversed(sids):
                for sample in (1, 0):
                    if model == "mock-a" and sample == 1 and sid == sids[0]:
                        continue  # a job without a transcript
                    dec = decisions[n % len(decisions)]
                    self.fx.transcript(rid, sid, "mock", model, version, sample, cost=costs[n % len(costs)],
                                       decision=dec[0], value=dec[1], klass=dec[2], words=10 + n,
                                       input_tokens=100 + n, output_tokens=None if n == 3 else 40 + n,
                                       duration=1000 + n,
                                       turns=[{"prompt": f"Prompt {n}", "response": f"=Answer {n}, \"quoted\""},
                                              {"prompt": "-Why?", "response": "Because\nof reasons"}])
                    n += 1
        return rid, sids

    def db_rows(self, rid):
        return self.stack.query(
            "SELECT t.run_id, t.scenario_id, s.name AS scenario_name, t.model_id, t.model_version, t.provider,"
            " t.sample_index, s.dimension_scores, t.decision, t.decision_value, t.decision_class, t.turn_count,"
            " t.word_count, t.input_tokens, t.output_tokens, t.cost_usd, t.duration_ms, t.created_at,"
            " t.id AS transcript_id, t.turns FROM transcripts t JOIN scenarios s ON s.id = t.scenario_id"
            " WHERE t.run_id = ? ORDER BY t.model_id, t.model_version, t.provider, t.scenario_id, t.sample_index",
            (rid,))

    def check_cell(self, column, cell, value):
        """One exported cell against the database value, with DOMAIN.md's rules."""
        if value is None:
            self.assertEqual(cell, "", column)
        elif column in INT_COLUMNS:
            self.assertRegex(cell, r"^-?\d+$", column)
            self.assertEqual(int(cell), value, column)
        elif column == "cost_usd":
            self.assertRegex(cell, r"^\d+(\.\d+)?$", column)  # a bare number, never 1e-05
            self.assertEqual(float(cell), value)  # reads back as exactly the stored double
        elif column == "created_at":
            self.assertRegex(cell, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual(cell, value)
        else:
            guarded = value[:1] in ("=", "+", "-", "@", "\t", "\r")
            self.assertEqual(cell, ("'" + value) if guarded else value, column)

    def parse_csv(self, body):
        self.assertTrue(body.startswith(BOM), body[:10])
        text = body[len(BOM):].decode("utf-8")
        # every line ends with CRLF; a bare LF appears only inside quoted cells
        self.assertTrue(text.endswith("\r\n"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return rows

    def test_export_equals_database(self):
        rid, sids = self.make_export_run()
        c = self.client()
        r = c.get(f"/runs/{rid}/export.csv")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        self.assertEqual(r.header("Content-Disposition"), f'attachment; filename="run_{rid}_{today}.csv"')
        self.assertEqual(r.header("X-ValueRank-Partial"), "false")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        rows = self.parse_csv(r.body)
        header = rows[0]
        self.assertEqual(header, LEAD_COLUMNS + ["dim_Alpha", "dim_Beta"] + TAIL_COLUMNS)
        db = self.db_rows(rid)
        self.assertEqual(len(rows) - 1, len(db))
        self.assertEqual(len(db), 23)
        for cells, want in zip(rows[1:], db):
            self.assertEqual(len(cells), len(header))
            got = dict(zip(header, cells))
            for col in LEAD_COLUMNS + TAIL_COLUMNS:
                self.check_cell(col, got[col], want[col])
            scores = json.loads(want["dimension_scores"])
            self.assertEqual(int(got["dim_Alpha"]), scores["Alpha"])
            self.assertEqual(int(got["dim_Beta"]), scores["Beta"])
        # formula-like and quoted cells as they are on the wire
        self.assertIn(b"\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"", r.body)
        self.assertIn(b",'+1+1,", r.body)
        self.assertIn(b",'-2,", r.body)
        self.assertIn(b",'=cmd|' /C calc'!A0,", r.body)
        self.assertIn(b",0.00042,", r.body)
        self.assertNotIn(b"e-0", r.body)
        # line ends: CRLF after every row
        self.assertEqual(r.body.count(b"\r\n"), len(rows))
        # the export is audited
        audit = self.stack.query("SELECT details FROM audit_log WHERE action = 'run.export' AND target_id = ?", (rid,))
        self.assertEqual(json.loads(audit[-1]["details"]), {"text": False, "partial": False})
        # text columns
        r = c.get(f"/runs/{rid}/export.csv?text=1")
        rows = self.parse_csv(r.body)
        self.assertEqual(rows[0][-2:], ["prompt", "response"])
        for cells, want in zip(rows[1:], db):
            turns = json.loads(want["turns"])
            self.assertEqual(cells[-2], "\n\n---\n\n".join(t["prompt"] for t in turns))
            self.assertEqual(cells[-1], "'" + "\n\n---\n\n".join(t["response"] for t in turns))
        # the CLI writes the same bytes
        for args, path in ((["run", "export", str(rid)], f"/runs/{rid}/export.csv"),
                           (["run", "export", str(rid), "--text"], f"/runs/{rid}/export.csv?text=1")):
            cli = __import__("subprocess").run([__import__("harness").program("valuerank"), *args],
                                               capture_output=True, env=self.stack.env, timeout=60)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            self.assertEqual(cli.stdout, c.get(path).body)
        bad = self.stack.cli("run", "export", "999999", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("there is no run 999999", bad.stderr)
        self.assertEqual(self.stack.cli("run", "export", check=False).returncode, 2)

    def test_export_partial_header_only_api_and_isolation(self):
        did, sids = self.fx.definition(self.demo, "Partial definition")
        running = self.fx.run(self.demo, did, "Running run", status="running", total=3, completed=1)
        self.fx.transcript(running, sids[0], "mock", "mock-a", "v1", 0, cost=0.001)
        empty = self.fx.run(self.demo, did, "Empty run", status="pending", total=3)
        c = self.client()
        r = c.get(f"/runs/{running}/export.csv")
        self.assertEqual(r.header("X-ValueRank-Partial"), "true")
        self.assertEqual(len(self.parse_csv(r.body)), 2)
        r = c.get(f"/runs/{empty}/export.csv")
        self.assertEqual(r.body, BOM + (",".join(LEAD_COLUMNS + ["dim_Alpha", "dim_Beta"] + TAIL_COLUMNS) + "\r\n").encode())
        # Bearer token on the API path
        page = c.post("/settings/tokens", {"name": "export script"})
        token = re.search(r'<code class="token">(vr_[0-9a-f]+)</code>', page.text).group(1)
        api = self.stack.client()
        api.bearer = token
        r = api.get(f"/api/v1/runs/{running}/export.csv")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, c.get(f"/runs/{running}/export.csv").body)
        api.bearer = "vr_" + "0" * 64
        self.assertEqual(api.get(f"/api/v1/runs/{running}/export.csv").status, 401)
        self.assertEqual(self.stack.client().get(f"/runs/{running}/export.csv").status, 303)  # to /login
        # another tenant gets 404, on the page and in the API
        other = self.client(OTHER_EMAIL, OTHER_PASSWORD)
        self.assertEqual(other.get(f"/runs/{running}/export.csv").status, 404)
        self.assertEqual(other.get(f"/api/v1/runs/{running}/export.csv").status, 404)
        self.assertEqual(c.get("/runs/99999999/export.csv").status, 404)

    # -- notifications -----------------------------------------------------------
    def test_notification_exactly_once_banner_and_dismiss(self):
        did, sids = self.fx.definition(self.demo, "Notify definition")
        rid = self.fx.run(self.demo, did, "Notify run", status="running", total=4, completed=3, failed=1,
                          started_at="2026-01-05T10:00:00Z", created_by=self.demo_user,
                          models=(("mock", "mock-a", "a1"), ("mock", "mock-b", "b1")))
        self.fx.transcript(rid, sids[0], "mock", "mock-a", "a1", 0, value=4, decision="4", cost=0.5)
        self.fx.transcript(rid, sids[1], "mock", "mock-a", "a1", 0, value=2, decision="2", cost=0.25)
        self.fx.transcript(rid, sids[0], "mock", "mock-b", "b1", 0, value=None, decision="refusal", cost=None)
        db = self.stack.db()
        try:
            # a status change that rolls back leaves no notification (same transaction)
            db.execute("BEGIN")
            db.execute("UPDATE runs SET status = 'completed' WHERE id = ?", (rid,))
            db.rollback()
            self.assertEqual(self.stack.query("SELECT count(*) AS n FROM notifications WHERE run_id = ?", (rid,))[0]["n"], 0)
            db.execute("UPDATE runs SET status = 'completed', completed_at = '2026-01-05T10:02:03Z' WHERE id = ?", (rid,))
            db.commit()
            first = self.stack.query("SELECT id FROM notifications WHERE run_id = ?", (rid,))
            # ends again after a retry: still one summary, now describing the latest outcome
            db.execute("UPDATE runs SET status = 'running', completed_at = NULL WHERE id = ?", (rid,))
            db.execute("UPDATE runs SET status = 'completed', completed_at = '2026-01-05T10:03:03Z' WHERE id = ?", (rid,))
            db.execute("UPDATE runs SET status = 'completed' WHERE id = ?", (rid,))
            db.commit()
        finally:
            db.close()
        notes = self.stack.query("SELECT * FROM notifications WHERE run_id = ?", (rid,))
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes[0]["id"], first[0]["id"])
        note = notes[0]
        self.assertEqual(note["user_id"], self.demo_user)
        self.assertEqual(note["tenant_id"], self.demo)
        self.assertIsNone(note["webhook_state"])  # the tenant has no webhook URL
        s = json.loads(note["summary"])
        self.assertEqual(s["run_id"], rid)
        self.assertEqual(s["status"], "completed")
        self.assertEqual(s["display_status"], "completed_with_errors")
        self.assertEqual(s["counts"], {"total": 4, "completed": 3, "failed": 1, "cancelled": 0})
        self.assertEqual(s["duration_s"], 183)
        self.assertEqual(s["cost_usd"], 0.75)
        self.assertEqual(s["link"], f"/runs/{rid}")
        self.assertEqual(s["models"], [
            {"provider": "mock", "model_id": "mock-a", "model_version": "a1", "transcripts": 2, "decisions": 2,
             "mean_decision": 3.0},
            {"provider": "mock", "model_id": "mock-b", "model_version": "b1", "transcripts": 1, "decisions": 0,
             "mean_decision": None}])
        # the banner on the starter's pages, not on other users'
        c = self.client()
        text = f'Run {rid} &quot;Notify run&quot; completed with errors: 3/4 done, 1 failed.'
        self.assertIn(text, c.get("/runs").text)
        self.assertIn(text, c.get("/definitions").text)
        viewer = self.client(VIEWER_EMAIL, VIEWER_PASSWORD)
        self.assertNotIn(text, viewer.get("/runs").text)
        page = viewer.get("/notifications").text  # same tenant: listed, but not theirs to dismiss
        self.assertIn(text, page)
        self.assertNotIn(f'/notifications/{note["id"]}/dismiss', page)
        self.assertEqual(viewer.post(f"/notifications/{note['id']}/dismiss", {}).status, 404)
        other = self.client(OTHER_EMAIL, OTHER_PASSWORD)
        self.assertNotIn(text, other.get("/notifications").text)
        page = c.get("/notifications").text
        self.assertIn("Webhook: <span class=\"webhook-state webhook-\">no webhook</span>", page)
        self.assertIn("<td class=\"num\">3.00</td>", page)
        r = c.post(f"/notifications/{note['id']}/dismiss", {})
        self.assertEqual(r.status, 303)
        self.assertNotIn(text, c.get("/runs").text)
        self.assertIsNotNone(self.stack.query("SELECT dismissed_at FROM notifications WHERE id = ?", (note["id"],))[0]["dismissed_at"])
        # a webhook URL set by the tenant admin makes the next summary pending delivery
        self.assertEqual(c.post("/settings/webhook", {"webhook_url": "ftp://x"}).status, 400)
        self.assertEqual(c.post("/settings/webhook", {"webhook_url": "https://hooks.example.org/vr x"}).status, 400)
        self.assertEqual(viewer.post("/settings/webhook", {"webhook_url": "https://hooks.example.org/vr"}).status, 403)
        self.assertEqual(c.post("/settings/webhook", {"webhook_url": "https://hooks.example.org/vr"}).status, 303)
        rid2 = self.fx.run(self.demo, did, "Hooked run", status="running", total=1, created_by=self.demo_user)
        self.fx.one("UPDATE runs SET status = 'cancelled' WHERE id = ?", (rid2,))
        note2 = self.stack.query("SELECT webhook_state, summary FROM notifications WHERE run_id = ?", (rid2,))
        self.assertEqual(note2[0]["webhook_state"], "pending")
        self.assertEqual(json.loads(note2[0]["summary"])["status"], "cancelled")
        self.assertEqual(c.post("/settings/webhook", {"webhook_url": ""}).status, 303)
        self.assertIsNone(self.stack.query("SELECT webhook_url FROM tenants WHERE id = ?", (self.demo,))[0]["webhook_url"])

    # -- settings ----------------------------------------------------------------
    def test_settings_executors_queue_database(self):
        now_ms = int(time.time() * 1000)
        self.fx.one("INSERT INTO workers(id, host, pid, version, started_at, heartbeat_at, heartbeat_ms, in_flight)"
                    " VALUES('old-worker', 'oldhost', 4242, '0.1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, 3)",
                    (now_ms - 45000,))
        c = self.client()
        r = c.get("/settings")
        self.assertEqual(r.status, 200)
        self.assertIn("OFFLINE: no executor has sent a heartbeat in the last 30 seconds.", r.text)
        self.assertIn("<code>systemctl start valuerankd</code>", r.text)
        self.assertIn(f"<code>valuerankd --config {self.stack.conf_path}</code>", r.text)
        self.assertRegex(r.text, r"(?s)oldhost</td><td class=\"num\">4242</td>.*OFFLINE")
        self.fx.one("UPDATE workers SET heartbeat_ms = ? WHERE id = 'old-worker'", (int(time.time() * 1000),))
        r = c.get("/settings")
        self.assertNotIn("OFFLINE", r.text)
        self.assertIn('<span class="health health-connected">online</span>', r.text)
        # database file and WAL
        self.assertIn(f"<code>{self.stack.db_path}</code>", r.text)
        self.assertIn("wal (write-ahead log", r.text)
        # models with prices, "price unknown" never $0
        self.assertIn("Mock A", r.text)
        self.assertNotIn(">$0.00<", r.text.replace("$0.00</td><td class=\"num\">$0.00", ""))
        # providers without a report yet say what to do
        self.assertIn("Not checked yet: start valuerankd", r.text)
        api = c.get("/api/v1/settings").json()
        self.assertIn("database", api)
        self.assertEqual(api["database"]["journal_mode"], "wal")
        # queue depth per provider
        did, sids = self.fx.definition(self.demo, "Queue definition")
        rid = self.fx.run(self.demo, did, "Queued run", status="pending", total=3)
        for i, sid in enumerate(sids):
            self.fx.one("INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version) VALUES(?, ?, 'mock-anthropic', 'm', 'v')", (rid, sid))
        self.assertRegex(c.get("/settings").text, r"<code>mock-anthropic</code></td><td class=\"num\">3</td>")
        # provider advice from provider_status
        self.fx.one("INSERT INTO provider_status(provider, configured, connected, checked_at, latency_ms, error)"
                    " VALUES('mock-gemini', 1, 0, '2026-01-01T00:00:00Z', 12, 'HTTP 401: API key not valid')")
        self.fx.one("INSERT INTO provider_status(provider, configured, connected, checked_at, latency_ms, error)"
                    " VALUES('mock-anthropic', 1, 0, '2026-01-01T00:00:00Z', NULL, 'Could not connect to server')")
        r = c.get("/settings").text
        self.assertIn("HTTP 401: API key not valid", r)
        self.assertIn("refused the key", r)
        self.assertIn("could not reach Mock LLM (Anthropic style)", r)
        # Check now asks valuerankd (sets check_requested_at) and the page refreshes
        r = c.post("/settings/check", {})
        self.assertEqual(r.status, 303)
        rows = self.stack.query("SELECT provider FROM provider_status WHERE check_requested_at IS NOT NULL ORDER BY provider")
        catalog = json.load(open(self.stack.models_path))["providers"]
        self.assertEqual([x["provider"] for x in rows], sorted(p["id"] for p in catalog))
        r = c.get("/settings?done=check")
        self.assertIn('<meta http-equiv="refresh" content="5">', r.text)
        self.assertIn("check requested", r.text)
        self.assertEqual(self.client(VIEWER_EMAIL, VIEWER_PASSWORD).post("/settings/check", {}).status, 403)

    # -- admin and audit -----------------------------------------------------------
    def test_admin_forbidden_for_non_superadmin(self):
        other = self.client(OTHER_EMAIL, OTHER_PASSWORD)  # a tenant admin, not a superadmin
        self.assertEqual(other.get("/admin").status, 403)
        self.assertEqual(other.get("/api/v1/admin").status, 403)
        before = self.stack.query("SELECT count(*) AS n FROM tenants")[0]["n"]
        self.assertEqual(other.post("/admin/tenants", {"slug": "sneaky"}).status, 403)
        self.assertEqual(other.post("/admin/users", {"email": "x@y.z", "tenant": "other", "role": "admin"}).status, 403)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM tenants")[0]["n"], before)
        self.assertEqual(self.client(VIEWER_EMAIL, VIEWER_PASSWORD).get("/audit").status, 403)

    def test_admin_stats_runs_and_accounts(self):
        did, sids = self.fx.definition(self.other, "Other tenant definition")
        now = datetime.datetime.now(datetime.timezone.utc)
        iso = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        durations = [10, 20, 30, 40, 1000]
        for i, d in enumerate(durations):
            start = now - datetime.timedelta(hours=2 + i)
            rid = self.fx.run(self.other, did, f"Admin stat run {i}", status="failed" if i == 4 else "completed",
                              created_at=iso(start), started_at=iso(start),
                              completed_at=iso(start + datetime.timedelta(seconds=d)), total=1,
                              completed=0 if i == 4 else 1, failed=1 if i == 4 else 0)
            self.fx.transcript(rid, sids[0], "mock-gemini", "g", "v", 0, cost=0.25, created_at=iso(start))
        c = self.client()
        r = c.get("/admin")
        self.assertEqual(r.status, 200)
        self.assertIn('<svg class="chart"', r.text)
        self.assertIn("Runs of every tenant", r.text)
        r = c.get("/admin?tenant=other&q=Admin+stat")
        self.assertEqual(len(ids_in(r.text)), 5)
        self.assertIn("<td>other</td>", r.text)
        api = c.get("/api/v1/admin?window=24h").json()
        st = api["stats"]
        self.assertGreaterEqual(st["runs_total"], 5)
        cost = [x for x in st["cost_by_provider"] if x["provider"] == "mock-gemini"][0]
        self.assertEqual(cost["transcripts"], 5)
        self.assertEqual(cost["cost_usd"], 1.25)
        self.assertIsNotNone(st["p95_duration_s"])
        self.assertIn("jobs_per_hour", st)
        # accounts: create tenant, create user (password shown once), reset, disable — each audited
        r = c.post("/admin/tenants", {"slug": "newco", "name": "New Co"})
        self.assertEqual(r.status, 200)
        self.assertEqual(c.post("/admin/tenants", {"slug": "newco"}).status, 409)
        self.assertEqual(c.post("/admin/tenants", {"slug": "Bad Slug"}).status, 400)
        r = c.post("/admin/users", {"email": "newbie@example.org", "tenant": "newco", "role": "researcher"})
        self.assertEqual(r.status, 200)
        pw = re.search(r'<code class="token new-password">([^<]+)</code>', r.text).group(1)
        newbie = self.stack.client()
        newbie.login("newbie@example.org", pw)
        self.assertEqual(newbie.get("/runs").status, 200)
        uid = self.fx.user_id("newbie@example.org")
        r = c.post(f"/admin/users/{uid}/reset-password", {})
        pw2 = re.search(r'<code class="token new-password">([^<]+)</code>', r.text).group(1)
        self.assertNotEqual(pw, pw2)
        self.assertEqual(newbie.get("/runs").status, 303)  # sessions ended by the reset
        newbie.login("newbie@example.org", pw2)
        self.assertEqual(c.post(f"/admin/users/{uid}/disable", {}).status, 303)
        self.assertEqual(newbie.get("/runs").status, 303)
        tid = self.fx.tenant_id("newco")
        self.assertEqual(c.post(f"/admin/tenants/{tid}/disable", {}).status, 303)
        self.assertEqual(c.post("/admin/users/99999/disable", {}).status, 404)
        actions = [x["action"] for x in self.stack.query(
            "SELECT action FROM audit_log WHERE action IN ('tenant.create','user.create','user.password_reset',"
            "'user.disable','tenant.disable') AND actor_email = ? ORDER BY id", (DEMO_EMAIL,))]
        self.assertEqual(actions, ["tenant.create", "user.create", "user.password_reset", "user.disable", "tenant.disable"])

    def test_audit_page_filters_and_scope(self):
        did, _ = self.fx.definition(self.other, "Audit def")
        rid = self.fx.run(self.other, did, "Audited run")
        other = self.client(OTHER_EMAIL, OTHER_PASSWORD)
        self.assertEqual(other.get(f"/runs/{rid}/export.csv").status, 200)
        r = other.get("/audit")
        self.assertEqual(r.status, 200)
        self.assertIn("<code>run.export</code>", r.text)
        self.assertNotIn(DEMO_EMAIL, r.text)  # only their tenant
        r = other.get("/audit?action=run.export")
        actions = re.findall(r"<td><code>([a-z_.]+)</code></td>", r.text)
        self.assertTrue(actions and set(actions) == {"run.export"}, actions)
        r = other.get("/audit?action=login&user=" + urllib.parse.quote(OTHER_EMAIL))
        self.assertEqual(set(re.findall(r"<td><code>([a-z_.]+)</code></td>", r.text)), {"login"})
        tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        self.assertIn("Nothing matches.", other.get(f"/audit?from={tomorrow}").text)
        self.assertIn("<code>run.export</code>", other.get(f"/audit?from={today}&to={today}").text)
        self.assertIn("must be a date", other.get("/audit?to=yesterday").text)
        # the superadmin sees every tenant
        r = self.client().get(f"/audit?user={urllib.parse.quote(OTHER_EMAIL)}")
        self.assertIn("<td>other</td>", r.text)


class ExecutorHealthTest(unittest.TestCase):
    """With valuerankd and the mock: executor offline after it stops, Check now answered, a test run."""

    @classmethod
    def setUpClass(cls):
        # the mock serves the model versions etc/models.json names
        versions = ["mock-a-2026-01", "mock-a-2026-06", "mock-b-2026-01", "mock-b-2026-06", "mock-c-2026-01"]
        cls.stack = Stack(mock=True, daemon=False, workers=2, conf_extra="executor_offline_after_s = 5\n",
                          mock_args=[a for v in versions for a in ("--model", v)]).start()
        cls.fx = Fixture(cls.stack)

    @classmethod
    def tearDownClass(cls):
        reports = cls.stack.asan_reports()
        cls.stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def test_offline_check_now_and_test_run(self):
        c = self.stack.client()
        c.login()
        self.assertIn("OFFLINE", c.get("/settings").text)
        self.stack.start_daemon()
        wait_for(lambda: "OFFLINE" not in c.get("/settings").text, timeout=20, what="the executor online")
        page = c.get("/settings").text
        self.assertRegex(page, r"health-connected\">online")
        wait_for(lambda: self.stack.query("SELECT connected FROM provider_status WHERE provider = 'mock' AND connected = 1"),
                 timeout=20, what="the start-up health check")
        # Check now: valuerankd answers and clears the request
        self.assertEqual(c.post("/settings/check", {"provider": "mock"}).status, 303)
        wait_for(lambda: self.stack.query("SELECT 1 FROM provider_status WHERE provider = 'mock'"
                                          " AND check_requested_at IS NULL"), timeout=30, what="the check answered")
        self.assertNotIn("check requested", c.get("/settings").text)
        # a test run: one scenario × one model, source test_run, the transcript shown
        tid = self.fx.tenant_id("demo")
        did, sids = self.fx.definition(tid, "Test run definition")
        page = c.get("/settings").text
        trigger = re.search(r'name="trigger_id" value="([0-9a-f]+)"', page).group(1)
        r = c.post("/settings/test-run", {"definition_id": did, "model": "mock:mock-a", "trigger_id": trigger})
        self.assertEqual(r.status, 303)
        c.post("/settings/test-run", {"definition_id": did, "model": "mock:mock-a", "trigger_id": trigger})  # double submit
        runs = self.stack.query("SELECT id, trigger_source, total_jobs FROM runs WHERE trigger_source = 'test_run'")
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["total_jobs"], 1)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM jobs WHERE run_id = ?", (runs[0]["id"],))[0]["n"], 1)
        wait_for(lambda: self.stack.query("SELECT 1 FROM transcripts WHERE run_id = ?", (runs[0]["id"],)),
                 timeout=30, what="the test run's transcript")
        page = c.get("/settings").text
        self.assertIn('<pre class="test-response">', page)
        self.assertRegex(page, r'<a href="/transcripts/\d+">transcript \d+</a>')
        audit = self.stack.query("SELECT details FROM audit_log WHERE action = 'run.start' AND target_id = ?", (runs[0]["id"],))
        self.assertEqual(json.loads(audit[0]["details"])["source"], "test_run")
        self.assertEqual(c.post("/settings/test-run", {"definition_id": did, "model": "nope:x"}).status, 400)
        # the run ended: exactly one notification, written by the trigger in valuerankd's transaction
        wait_for(lambda: self.stack.query("SELECT 1 FROM notifications WHERE run_id = ?", (runs[0]["id"],)),
                 timeout=30, what="the notification")
        # kill -9: no graceful stop, so only the missing heartbeat tells; offline after 5 s here (30 s default)
        self.stack.kill("daemon", sig=signal.SIGKILL)
        t0 = time.time()
        wait_for(lambda: "OFFLINE" in c.get("/settings").text, timeout=30, interval=0.5, what="the executor offline")
        self.assertLess(time.time() - t0, 30)


if __name__ == "__main__":
    unittest.main()
