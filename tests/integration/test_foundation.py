"""test_foundation.py — the stack end to end: real nginx, valuerank.fcgi workers, SQLite, accounts and security."""
import os
import re
import shutil
import socket
import subprocess
import time
import unittest

from harness import DEMO_EMAIL, Stack, program, wait_for

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def raw_request(port, data, timeout=10):
    """Send raw bytes to nginx and return the status line's code."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
    return int(m.group(1)) if m else None


class FoundationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(mock=False, daemon=False, workers=1).start()

    @classmethod
    def tearDownClass(cls):
        reports = cls.stack.asan_reports()
        cls.stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.stack.procs["web"].pid)], capture_output=True, text=True)
        return sorted(out.stdout.split())

    def test_login_page_and_security_headers(self):
        c = self.stack.client()
        r = c.get("/login")
        self.assertEqual(r.status, 200)
        self.assertIn("<h1>Sign in</h1>", r.text)
        for k, v in SECURITY_HEADERS.items():
            self.assertEqual(r.header(k), v)
        csp = r.header("Content-Security-Policy")
        self.assertIn("default-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        r = c.get("/no/such/page")
        self.assertEqual(r.status, 404)
        self.assertIn('<header class="site">', r.text)
        self.assertEqual(r.header("X-Frame-Options"), "DENY")

    def test_sign_in_sets_a_safe_cookie_and_a_fresh_session(self):
        c = self.stack.client()
        c.get("/login")
        r = c.post("/login", {"email": DEMO_EMAIL, "password": "valuerank-demo"}, csrf=False)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/runs")
        cookie = r.header("Set-Cookie")
        self.assertRegex(cookie, r"^vr_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\d+$")
        first = c.cookies["vr_session"]
        # Only the hash of the token is stored.
        rows = self.stack.query("SELECT token_hash FROM sessions")
        self.assertTrue(rows)
        self.assertNotIn(first, [x["token_hash"] for x in rows])
        r = c.get("/runs")
        self.assertEqual(r.status, 200)
        self.assertIn(DEMO_EMAIL, r.text)
        # Signing in again replaces the session.
        c.post("/login", {"email": DEMO_EMAIL, "password": "valuerank-demo"})
        self.assertNotEqual(first, c.cookies["vr_session"])
        audit = [x["action"] for x in self.stack.query("SELECT action FROM audit_log")]
        self.assertIn("login", audit)

    def test_wrong_password_and_unknown_email_look_the_same(self):
        c = self.stack.client()
        a = c.post("/login", {"email": DEMO_EMAIL, "password": "nope"}, csrf=False)
        b = c.post("/login", {"email": "nobody@example.org", "password": "nope"}, csrf=False)
        self.assertEqual(a.status, 401)
        self.assertEqual(b.status, 401)
        self.assertIn("The email address or password is not right.", a.text)
        self.assertIn("The email address or password is not right.", b.text)
        self.assertIn("login.failed", [x["action"] for x in self.stack.query("SELECT action FROM audit_log")])

    def test_post_without_csrf_token_is_403_and_changes_nothing(self):
        c = self.stack.client()
        c.login()
        before = self.stack.query("SELECT count(*) AS n FROM api_tokens")[0]["n"]
        r = c.post("/settings/tokens", {"name": "x"}, csrf=False)
        self.assertEqual(r.status, 403)
        r = c.post("/settings/tokens", {"name": "x", "csrf_token": "0" * 64})
        self.assertEqual(r.status, 403)
        r = c.post("/settings/tokens", {"name": "x"}, origin=False)
        self.assertEqual(r.status, 403)
        r = c.post("/settings/tokens", {"name": "x"}, headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM api_tokens")[0]["n"], before)
        r = c.post("/settings/tokens", {"name": "ok"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.stack.query("SELECT count(*) AS n FROM api_tokens")[0]["n"], before + 1)

    def test_api_token_bearer_and_revoke(self):
        c = self.stack.client()
        c.login()
        r = c.post("/settings/tokens", {"name": "script"})
        token = re.search(r'<code class="token">(vr_[0-9a-f]{64})</code>', r.text).group(1)
        api = self.stack.client()
        api.bearer = token
        r = api.get("/api/v1/me")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["email"], DEMO_EMAIL)
        self.assertEqual(r.json()["auth"], "token")
        # A Bearer token does not work on HTML pages, and the token is stored hashed.
        self.assertNotIn(token, str(self.stack.query("SELECT * FROM api_tokens")))
        tid = self.stack.query("SELECT id FROM api_tokens WHERE name='script'")[0]["id"]
        r = c.post(f"/settings/tokens/{tid}/revoke", {})
        self.assertEqual(r.status, 303)
        r = api.get("/api/v1/me")
        self.assertEqual(r.status, 401)
        actions = [x["action"] for x in self.stack.query("SELECT action FROM audit_log")]
        self.assertIn("token.create", actions)
        self.assertIn("token.revoke", actions)

    def test_healthz(self):
        c = self.stack.client()
        r = c.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"], "ok")
        self.assertEqual(c.get("/api/v1/healthz").json()["database"], "reachable")

    def test_static_files_are_served_by_nginx(self):
        r = self.stack.client().get("/static/style.css")
        self.assertEqual(r.status, 200)
        self.assertIn("--badge-running", r.text)

    def test_malformed_input_gets_4xx_and_the_same_worker_keeps_serving(self):
        pids = self.worker_pids()
        self.assertEqual(len(pids), 1)
        c = self.stack.client()
        port = self.stack.port
        self.assertEqual(c.get("/login?next=%zz").status, 400)
        self.assertEqual(c.get("/runs/%00").status, 400)
        self.assertEqual(c.get("/login?x=a%00b").status, 400)
        r = c.post("/login", "email=a%2", csrf=False)
        self.assertEqual(r.status, 400)
        # A 10 MB body: refused (nginx's 4 MB limit answers before the app reads it).
        status = raw_request(port, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                   b"Content-Length: 10485760\r\n\r\n" + b"a" * 65536)
        self.assertIn(status, (413, 400))
        # 2,000 cookies.
        cookies = "; ".join(f"c{i}=v" for i in range(2000))
        r = c.request("GET", "/login", headers={"Cookie": cookies})
        self.assertTrue(400 <= r.status < 500, r.status)
        # A 64 KB URL.
        r = c.get("/login?q=" + "a" * 65536)
        self.assertTrue(400 <= r.status < 500, r.status)
        # A body just above the app's own 1 MB form limit, under nginx's limit.
        r = c.request("POST", "/login", body=b"a=" + b"b" * (1024 * 1024 + 10),
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": c.origin})
        self.assertEqual(r.status, 413)
        self.assertIn("larger than the limit", r.text)
        # Still the same single worker, still serving.
        self.assertEqual(c.get("/login").status, 200)
        self.assertEqual(self.worker_pids(), pids)

    def test_a_dead_worker_is_restarted(self):
        pids = self.worker_pids()
        os.kill(int(pids[0]), 9)
        wait_for(lambda: self.worker_pids() and self.worker_pids() != pids, what="a new worker")
        wait_for(lambda: self.stack.client().get("/login").status == 200, what="serving again")

    def test_init_twice_leaves_a_working_database(self):
        out = self.stack.cli("init").stdout
        self.assertIn("ready at schema", out)
        self.stack.cli("migrate")
        self.assertEqual(self.stack.client().get("/healthz").status, 200)
        rows = self.stack.query("SELECT count(*) AS n FROM users")
        self.assertGreaterEqual(rows[0]["n"], 1)

    def test_user_commands(self):
        r = self.stack.cli("user", "add", "--email", "viewer@example.org", "--tenant", "other", "--role", "viewer",
                           input="")
        self.assertRegex(r.stdout, r"password: \S{20}")
        r = self.stack.cli("user", "add", "--email", "viewer@example.org", "--tenant", "other", "--role", "viewer",
                           input="a-good-password\n", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        r = self.stack.cli("user", "add", "--email", "x@example.org", "--tenant", "other", "--role", "root",
                           check=False)
        self.assertEqual(r.returncode, 2)
        self.stack.cli("user", "passwd", "--email", "viewer@example.org", input="another-password\n")
        c = self.stack.client()
        c.login("viewer@example.org", "another-password")
        self.assertEqual(c.get("/api/v1/me").json()["role"], "viewer")
        self.assertNotIn('href="/admin"', c.get("/runs").text)

    def test_web_refuses_a_database_without_schema(self):
        empty = os.path.join(self.stack.dir, "empty.db")
        r = subprocess.run([program("cgi-bin/valuerank.fcgi"), "--db", empty, "--socket",
                            os.path.join(self.stack.dir, "x.sock")], capture_output=True, text=True,
                           env=self.stack.env, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("valuerank init", r.stderr)

    @unittest.skipUnless(shutil.which("spawn-fcgi"), "spawn-fcgi is not installed")
    def test_runs_under_spawn_fcgi(self):
        sock = os.path.join(self.stack.dir, "spawn.sock")
        r = subprocess.run(["spawn-fcgi", "-s", sock, "-M", "0666", "-P", os.path.join(self.stack.dir, "spawn.pid"),
                            "--", program("cgi-bin/valuerank.fcgi"), "--workers", "1"],
                           capture_output=True, text=True, env=self.stack.env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        pid = int(open(os.path.join(self.stack.dir, "spawn.pid")).read())
        try:
            # Speak FastCGI directly: one GET /healthz.
            def rec(t, rid, content):
                return bytes([1, t, rid >> 8, rid & 255, len(content) >> 8, len(content) & 255, 0, 0]) + content

            def nv(k, v):
                return bytes([len(k), len(v)]) + k + v
            params = nv(b"REQUEST_METHOD", b"GET") + nv(b"REQUEST_URI", b"/healthz")
            msg = rec(1, 1, bytes([0, 1, 0, 0, 0, 0, 0, 0])) + rec(4, 1, params) + rec(4, 1, b"") + rec(5, 1, b"")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            wait_for(lambda: s.connect(sock) is None, what="spawn-fcgi socket")
            s.sendall(msg)
            data = b""
            deadline = time.time() + 10
            while time.time() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            self.assertIn(b"Status: 200 OK", data)
            self.assertIn(b'"status": "ok"', data)
        finally:
            os.kill(pid, 15)


if __name__ == "__main__":
    unittest.main()
