"""test_runs.py — the run workflow over real nginx + FastCGI + valuerankd + mock: start with the
advisor, double submit, API start, controls, retry, results, transcripts, tasks, tenant isolation."""

import html
import json
import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SRCDIR, Stack, wait_for  # noqa: E402

# The catalogue's versions are the model names the executor sends; the mock serves them too.
MOCK_VERSIONS = ["mock-a-2026-01", "mock-a-2026-06", "mock-b-2026-01", "mock-b-2026-06", "mock-c-2026-01"]
EXAMPLES = os.path.join(SRCDIR, "examples", "definitions")


def mock_args():
    args = []
    for v in MOCK_VERSIONS:
        args += ["--model", v]
    return args


def mock_config(stack, settings):
    req = urllib.request.Request(f"http://127.0.0.1:{stack.mock_port}/_mock/config",
                                 data=json.dumps(settings).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def hidden(page, name):
    """The value of a hidden form field, unescaped, or None."""
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page.text)
    return html.unescape(m.group(1)) if m else None


class RunsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(mock=True, daemon=True, mock_args=mock_args())
        try:
            cls.stack.start()
            out = cls.stack.cli("definition", "import", "--tenant", "demo",
                                os.path.join(EXAMPLES, "conformity_stimulation.json"),
                                os.path.join(EXAMPLES, "baseline_no_dimensions.json")).stdout.split()
            cls.def_small, cls.def_one = int(out[0]), int(out[1])
            wait_for(lambda: cls.stack.query(
                "SELECT count(*) AS n FROM provider_status WHERE provider = 'mock' AND configured = 1")[0]["n"],
                timeout=30, what="valuerankd to report the mock provider")
        except Exception:
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        reports = cls.stack.asan_reports()
        cls.stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def setUp(self):
        mock_config(self.stack, {"latency-ms": 0, "rate-500": 0, "rate-malformed": 0})
        self.client = self.stack.client()
        self.client.login()

    # -- helpers ------------------------------------------------------------
    def form_fields(self, def_id, models, trigger, **extra):
        fields = [("definition_id", str(def_id)), ("trigger_id", trigger)]
        for m in models:
            fields.append(("models", m))
        fields += [("sample_pct", "100"), ("sample_seed", "7"), ("samples", "1"), ("cache", "off")]
        fields += list(extra.items())
        return fields

    def start(self, def_id, models, **extra):
        page = self.client.get(f"/runs/new?definition={def_id}")
        self.assertEqual(page.status, 200)
        trigger = hidden(page, "trigger_id")
        self.assertRegex(trigger, r"^[0-9a-f]{32}$")
        fields = self.form_fields(def_id, models, trigger, **extra)
        check = self.client.post("/runs/preflight", fields)
        self.assertEqual(check.status, 200, check.text[:2000])
        self.assertIn('id="advisor-ok"', check.text)
        fields.append(("advisor_json", hidden(check, "advisor_json")))
        r = self.client.post("/runs", fields)
        self.assertEqual(r.status, 303, r.text[:2000])
        m = re.match(r"^/runs/(\d+)\?done=started$", r.header("Location"))
        self.assertIsNotNone(m, r.header("Location"))
        return int(m.group(1)), fields

    def wait_status(self, run_id, statuses, timeout=60):
        return wait_for(lambda: self.stack.query("SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"]
                        in statuses, timeout=timeout, what=f"run {run_id} to reach {statuses}")

    # -- tests --------------------------------------------------------------
    def test_start_twice_creates_one_run_and_records_everything(self):
        run_id, fields = self.start(self.def_small, ["mock:mock-a", "mock:mock-b"], name="Twice")
        again = self.client.post("/runs", fields)
        self.assertEqual(again.status, 303)
        self.assertEqual(again.header("Location"), f"/runs/{run_id}?done=existing")
        trigger = dict(fields)["trigger_id"]
        rows = self.stack.query("SELECT * FROM runs WHERE trigger_id = ?", (trigger,))
        self.assertEqual(len(rows), 1)
        run = rows[0]
        self.assertEqual(run["trigger_source"], "web_form")
        self.assertEqual(run["name"], "Twice")
        self.assertEqual(run["total_jobs"], 18)  # 9 scenarios x 2 models
        user_id = self.stack.query("SELECT id FROM users WHERE email = 'demo@example.org'")[0]["id"]
        self.assertEqual(run["created_by"], user_id)
        snapshot = json.loads(run["advisor_snapshot"])
        self.assertTrue(snapshot["shown_in_form"])
        self.assertEqual(snapshot["advisor"]["estimate"]["jobs"], 18)
        self.assertTrue(snapshot["advisor"]["ok"])
        audits = self.stack.query("SELECT details FROM audit_log WHERE action = 'run.start' AND target_id = ?",
                                  (run_id,))
        self.assertEqual(len(audits), 1)
        details = json.loads(audits[0]["details"])
        self.assertEqual(details["trigger_id"], trigger)
        self.assertEqual(details["source"], "web_form")
        self.assertIsNotNone(self.stack.query("SELECT last_accessed_at FROM definitions WHERE id = ?",
                                              (self.def_small,))[0]["last_accessed_at"])

        page = self.client.get(f"/runs/{run_id}?done=started")
        self.assertIn("Run started.", page.text)
        self.wait_status(run_id, ("completed",))
        page = self.client.get(f"/runs/{run_id}")
        self.assertEqual(page.status, 200)
        self.assertNotIn('http-equiv="refresh"', page.text)
        self.assertIn('id="run-status">Completed</span>', page.text)
        self.assertIn('<table id="results-models">', page.text)
        self.assertIn('<svg class="chart"', page.text)
        self.assertIn('<td class="model-versions">mock-a-2026-06</td>', page.text)
        self.assertIn("mock-a 9/9", page.text)
        self.assertIsNotNone(self.stack.query("SELECT last_accessed_at FROM runs WHERE id = ?",
                                              (run_id,))[0]["last_accessed_at"])
        api = self.client.get(f"/api/v1/runs/{run_id}").json()
        self.assertEqual(api["run"]["status"], "completed")
        self.assertEqual(api["progress"]["completed"], 18)
        self.assertEqual(len(api["results"]["models"]), 2)
        self.assertEqual(sum(m["n"] for m in api["results"]["models"]), 18)

        t = self.stack.query("SELECT id, job_id, model_version FROM transcripts WHERE run_id = ? ORDER BY id LIMIT 1",
                             (run_id,))[0]
        tp = self.client.get(f"/transcripts/{t['id']}")
        self.assertEqual(tp.status, 200)
        self.assertIn(f'<dd id="model-version">{t["model_version"]}</dd>', tp.text)
        self.assertIn('<h2>Turn 1</h2>', tp.text)
        self.assertNotIn("<script", tp.text)
        self.assertIsNotNone(self.stack.query("SELECT last_accessed_at FROM transcripts WHERE id = ?",
                                              (t["id"],))[0]["last_accessed_at"])
        tasks = self.client.get(f"/runs/{run_id}/tasks?state=done&model=mock-b")
        self.assertEqual(tasks.status, 200)
        self.assertIn("9 task(s) · page 1 of 1", tasks.text)
        task = self.client.get(f"/runs/{run_id}/tasks/{t['job_id']}")
        self.assertEqual(task.status, 200)
        self.assertIn(f'href="/transcripts/{t["id"]}" id="transcript-link"', task.text)
        self.assertIn('<pre class="json request-json">{\n  &quot;', task.text)
        api_task = self.client.get(f"/api/v1/runs/{run_id}/tasks/{t['job_id']}").json()
        self.assertEqual(api_task["task"]["state"], "done")
        self.assertGreaterEqual(len(api_task["task"]["attempts_list"]), 1)

    def test_refused_with_reason_on_the_form(self):
        page = self.client.get(f"/runs/new?definition={self.def_one}")
        trigger = hidden(page, "trigger_id")
        r = self.client.post("/runs", self.form_fields(self.def_one, [], trigger))
        self.assertEqual(r.status, 422)
        self.assertIn("The run was not started: Select at least one model.", r.text)
        r = self.client.post("/runs", self.form_fields(self.def_one, ["openai:gpt-5-mini"], trigger))
        self.assertEqual(r.status, 422)
        self.assertIn("Provider openai has no API key configured for valuerankd", r.text)
        self.assertIn('id="start-button" disabled', r.text)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM runs WHERE trigger_id = ?", (trigger,))[0]["n"], 0)
        r = self.client.get("/runs/new?definition=99999")
        self.assertEqual(r.status, 404)

    def test_api_client_start_is_idempotent(self):
        page = self.client.post("/settings/tokens", {"name": "runs-test"})
        token = re.search(r'<code class="token">(vr_[0-9a-f]+)</code>', page.text).group(1)
        api = self.stack.client()
        api.bearer = token
        body = json.dumps({"definition_id": self.def_one, "models": ["mock:mock-c"], "trigger_id": "api-run-1",
                           "temperature": 0})
        r = api.request("POST", "/api/v1/runs", body=body, headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 201, r.text)
        first = r.json()
        self.assertFalse(first["existing"])
        r = api.request("POST", "/api/v1/runs", body=body, headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {**first, "existing": True})
        run = self.stack.query("SELECT trigger_source, config FROM runs WHERE id = ?", (first["id"],))[0]
        self.assertEqual(run["trigger_source"], "api_client")
        self.assertEqual(json.loads(run["config"])["temperature"], 0)
        bad = api.request("POST", "/api/v1/runs", body=json.dumps({"definition_id": self.def_one, "models": [],
                                                                    "trigger_id": "api-run-2"}),
                          headers={"Content-Type": "application/json"})
        self.assertEqual(bad.status, 422)
        self.assertEqual(bad.json()["error"], "The run was not started: Select at least one model.")

    def test_pause_resume_cancel_and_isolation(self):
        mock_config(self.stack, {"latency-ms": 400})
        run_id, _ = self.start(self.def_small, ["mock:mock-a", "mock:mock-b"])
        page = self.client.get(f"/runs/{run_id}")
        self.assertIn('<meta http-equiv="refresh" content="5">', page.text)
        r = self.client.post(f"/runs/{run_id}/pause")
        self.assertEqual(r.header("Location"), f"/runs/{run_id}?done=paused")
        self.assertEqual(self.stack.query("SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"], "paused")
        r = self.client.post(f"/runs/{run_id}/pause")
        self.assertEqual(r.header("Location"), f"/runs/{run_id}?done=already_paused")
        page = self.client.get(f"/runs/{run_id}?done=paused")
        self.assertIn("Run paused.", page.text)
        self.assertIn('id="resume-button"', page.text)
        r = self.client.post(f"/runs/{run_id}/resume")
        self.assertEqual(r.header("Location"), f"/runs/{run_id}?done=resumed")
        confirm = self.client.get(f"/runs/{run_id}/cancel")
        self.assertIn('id="confirm-cancel"', confirm.text)
        r = self.client.post(f"/runs/{run_id}/cancel")
        self.assertEqual(r.header("Location"), f"/runs/{run_id}?done=cancelled")
        self.assertEqual(self.stack.query("SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"], "cancelled")
        page = self.client.get(f"/runs/{run_id}")
        self.assertNotIn('http-equiv="refresh"', page.text)
        self.assertNotIn('id="pause-button"', page.text)
        self.assertNotIn('id="cancel-link"', page.text)
        actions = [r["action"] for r in self.stack.query(
            "SELECT action FROM audit_log WHERE target_type = 'run' AND target_id = ? ORDER BY id", (run_id,))]
        self.assertEqual(actions, ["run.start", "run.pause", "run.pause", "run.resume", "run.cancel"])
        # Without the CSRF token nothing changes.
        r = self.client.post(f"/runs/{run_id}/resume", csrf=False)
        self.assertEqual(r.status, 403)

        self.stack.cli("user", "add", "--email", "other@example.org", "--tenant", "other", "--role", "researcher",
                       input="other-password\n")
        other = self.stack.client()
        other.login("other@example.org", "other-password")
        tid = self.stack.query("SELECT id, job_id FROM transcripts WHERE run_id = ? LIMIT 1", (run_id,))
        for path in [f"/runs/{run_id}", f"/runs/{run_id}/tasks", f"/runs/{run_id}/rerun",
                     f"/api/v1/runs/{run_id}"] + ([f"/transcripts/{tid[0]['id']}",
                                                   f"/runs/{run_id}/tasks/{tid[0]['job_id']}"] if tid else []):
            self.assertEqual(other.get(path).status, 404, path)
        self.assertEqual(other.post(f"/runs/{run_id}/retry-failed").status, 404)

    def test_retry_failed_and_rerun(self):
        mock_config(self.stack, {"rate-malformed": 1})
        run_id, _ = self.start(self.def_one, ["mock:mock-a", "mock:mock-b"])
        self.wait_status(run_id, ("failed",))
        page = self.client.get(f"/runs/{run_id}")
        self.assertIn('id="retry-button"', page.text)
        self.assertIn("mock-a 0/1, 1 failed", page.text)
        mock_config(self.stack, {"rate-malformed": 0})
        attempts_before = self.stack.query("SELECT count(*) AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                                           " WHERE j.run_id = ?", (run_id,))[0]["n"]
        r = self.client.post(f"/runs/{run_id}/retry-failed")
        self.assertEqual(r.header("Location"), f"/runs/{run_id}?done=retried")
        self.wait_status(run_id, ("completed",))
        attempts_after = self.stack.query("SELECT count(*) AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                                          " WHERE j.run_id = ?", (run_id,))[0]["n"]
        self.assertEqual(attempts_after, attempts_before + 2)  # history kept, one new attempt per job
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM audit_log WHERE action = 'run.retry'"
                                          " AND target_id = ?", (run_id,))[0]["n"], 1)

        form = self.client.get(f"/runs/{run_id}/rerun")
        self.assertEqual(form.status, 200)
        self.assertEqual(hidden(form, "parent_run_id"), str(run_id))
        trigger = hidden(form, "trigger_id")
        fields = [("definition_id", str(self.def_one)), ("parent_run_id", str(run_id)), ("trigger_id", trigger),
                  ("models", "mock:mock-a"), ("version.mock:mock-a", "mock-a-2026-01"), ("models", "mock:mock-b")]
        r = self.client.post("/runs", fields)
        self.assertEqual(r.status, 303, r.text[:1500])
        child = int(re.match(r"^/runs/(\d+)\?", r.header("Location")).group(1))
        row = self.stack.query("SELECT parent_run_id, config FROM runs WHERE id = ?", (child,))[0]
        self.assertEqual(row["parent_run_id"], run_id)
        versions = sorted(m["version"] for m in json.loads(row["config"])["models"])
        self.assertEqual(versions, ["mock-a-2026-01", "mock-b-2026-06"])
        self.assertIn(f'<a id="parent-link" href="/runs/{run_id}">', self.client.get(f"/runs/{child}").text)
        self.assertIn(f'<a class="child-link" href="/runs/{child}">', self.client.get(f"/runs/{run_id}").text)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM audit_log WHERE action = 'run.rerun'"
                                          " AND target_id = ?", (child,))[0]["n"], 1)


if __name__ == "__main__":
    unittest.main()
