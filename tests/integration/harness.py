"""harness.py — start real nginx, valuerank.fcgi, valuerankd and valuerank-mockllm on loopback for tests.

Every integration test builds a Stack in a fresh temporary directory:

    stack = Stack(mock=True, daemon=True)   # nginx + fcgi always
    stack.start()
    client = stack.client()                  # an HTTP client with a cookie jar
    client.login()                           # the demo admin account
    ...
    stack.stop()                             # also on failure (use addCleanup)

Paths come from the environment that scripts/test and `make check` set:
VR_SRCDIR (source tree) and VR_BUILDDIR (build tree with the programs).
"""

import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

SRCDIR = os.path.abspath(os.environ.get("VR_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..")))
BUILDDIR = os.path.abspath(os.environ.get("VR_BUILDDIR", os.path.join(SRCDIR, "build")))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "valuerank-demo"
MOCK_KEY = "mock-key"


def nginx_user_line():
    """nginx's `user` line for a master started as root: its workers read static files straight
    from the source tree, which may sit in a directory only its owner can enter (a clone in
    /root or in a mktemp -d directory), so they run as the tree's owner. Empty otherwise."""
    if os.geteuid() != 0:
        return ""
    st = os.stat(SRCDIR)
    return f"user {pwd.getpwuid(st.st_uid).pw_name} {grp.getgrgid(st.st_gid).gr_name};"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; raise after timeout seconds."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 — keep polling through start-up errors
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what} (last: {last!r})")


def program(name):
    """Path of a built program in the build tree."""
    path = os.path.join(BUILDDIR, name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is not built")
    return path


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body        # bytes

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def headers_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def csrf(self):
        """The csrf_token hidden field of the page, or None."""
        m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', self.text)
        return m.group(1) if m else None


class Client:
    """A small HTTP/1.1 client with a cookie jar, talking to the stack's nginx."""

    def __init__(self, port, host="127.0.0.1"):
        self.port = port
        self.host = host
        self.cookies = {}
        self.csrf_token = None
        self.bearer = None

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        hdrs = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.bearer:
            hdrs["Authorization"] = f"Bearer {self.bearer}"
        if headers:
            hdrs.update(headers)
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        resp = Response(r.status, r.getheaders(), data)
        conn.close()
        for v in resp.headers_all("Set-Cookie"):
            pair = v.split(";", 1)[0]
            k, _, val = pair.partition("=")
            if "Max-Age=0" in v or val == "":
                self.cookies.pop(k.strip(), None)
            else:
                self.cookies[k.strip()] = val.strip()
        token = resp.csrf() if resp.header("Content-Type", ) and "html" in (resp.header("Content-Type") or "") else None
        if token:
            self.csrf_token = token
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields=None, csrf=True, origin=True, headers=None, **kw):
        """POST a urlencoded form; adds csrf_token and a same-origin Origin by default.

        fields may be a dict or a list of (name, value) pairs (for repeated fields)."""
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        if isinstance(fields, (str, bytes)):  # a raw body, sent as it is
            if origin:
                hdrs["Origin"] = self.origin
            hdrs.update(headers or {})
            return self.request("POST", path, body=fields, headers=hdrs, **kw)
        items = list(fields.items()) if isinstance(fields, dict) else list(fields or [])
        if csrf and self.csrf_token and not any(k == "csrf_token" for k, _ in items):
            items.append(("csrf_token", self.csrf_token))
        if origin:
            hdrs["Origin"] = self.origin
        if headers:
            hdrs.update(headers)
        return self.request("POST", path, body=urllib.parse.urlencode(items), headers=hdrs, **kw)

    def post_multipart(self, path, fields, files, origin=True):
        """POST multipart/form-data; files is a list of (field, filename, bytes)."""
        boundary = "----valuerank-test-boundary-7d1f"
        parts = []
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if self.csrf_token and not any(k == "csrf_token" for k, _ in items):
            items.append(("csrf_token", self.csrf_token))
        for k, v in items:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for field, filename, data in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: application/json\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        hdrs = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if origin:
            hdrs["Origin"] = self.origin
        return self.request("POST", path, body=b"".join(parts), headers=hdrs)

    def login(self, email=DEMO_EMAIL, password=DEMO_PASSWORD):
        self.get("/login")
        r = self.post("/login", {"email": email, "password": password}, csrf=False)
        if r.status != 303:
            raise AssertionError(f"login as {email} failed: {r.status} {r.text[:300]}")
        self.get("/runs")  # picks up the session's csrf_token
        return r


class Stack:
    """A whole ValueRank stack in a temporary directory on loopback ports."""

    def __init__(self, mock=True, daemon=False, workers=2, mock_args=(), daemon_args=(),
                 conf_extra="", demo_user=True, nginx=True):
        self.dir = tempfile.mkdtemp(prefix="vr-test-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.mock_port = free_port() if mock else None
        self.want_mock = mock
        self.want_daemon = daemon
        self.want_nginx = nginx
        self.workers = workers
        self.mock_args = list(mock_args)
        self.daemon_args = list(daemon_args)
        self.conf_extra = conf_extra
        self.demo_user = demo_user
        self.procs = {}
        self.db_path = os.path.join(self.dir, "valuerank.db")
        self.conf_path = os.path.join(self.dir, "valuerank.conf")
        self.socket_path = os.path.join(self.dir, "web.sock")
        self.models_path = os.path.join(self.dir, "models.json")
        self.env = dict(os.environ)
        self.env["VALUERANK_CONFIG"] = self.conf_path
        self.env["MOCK_API_KEY"] = MOCK_KEY
        self.env.pop("VALUERANK_DB", None)

    # -- files -----------------------------------------------------------
    def write_config(self):
        with open(os.path.join(SRCDIR, "etc", "models.json")) as f:
            models = f.read()
        if self.mock_port:
            models = models.replace("127.0.0.1:8091", f"127.0.0.1:{self.mock_port}")
        with open(self.models_path, "w") as f:
            f.write(models)
        with open(self.conf_path, "w") as f:
            f.write(f"database = {self.db_path}\n"
                    f"models = {self.models_path}\n"
                    f"templates = {os.path.join(SRCDIR, 'templates')}\n"
                    f"static = {os.path.join(SRCDIR, 'static')}\n"
                    f"web_socket = {self.socket_path}\n"
                    f"web_workers = {self.workers}\n"
                    f"{self.conf_extra}")
        nginx_conf = f"""
daemon off;
{nginx_user_line()}
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir}/nginx-access.log;
  client_body_temp_path {self.dir}/nginx-body;
  fastcgi_temp_path {self.dir}/nginx-fastcgi;
  proxy_temp_path {self.dir}/nginx-proxy;
  uwsgi_temp_path {self.dir}/nginx-uwsgi;
  scgi_temp_path {self.dir}/nginx-scgi;
  types {{ text/css css; image/svg+xml svg; }}
  client_max_body_size 4m;
  large_client_header_buffers 4 16k;
  server {{
    listen 127.0.0.1:{self.port};
    location ~ "^/static/v[0-9A-Za-z._-]+/(.+)$" {{ alias {SRCDIR}/static/$1; }}
    location /static/ {{ alias {SRCDIR}/static/; }}
    location / {{
      include {SRCDIR}/etc/nginx/valuerank_fastcgi_params;
      fastcgi_pass unix:{self.socket_path};
      fastcgi_buffering off;
      fastcgi_read_timeout 300s;
    }}
  }}
}}
"""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(nginx_conf)

    # -- processes -------------------------------------------------------
    def spawn(self, name, argv, env=None):
        with open(os.path.join(self.dir, f"{name}.log"), "ab") as log:
            p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or self.env,
                                 cwd=self.dir, start_new_session=True)
        self.procs[name] = p
        return p

    def cli(self, *args, input=None, check=True, timeout=120):
        """Run the valuerank command against this stack; returns CompletedProcess (text)."""
        r = subprocess.run([program("valuerank"), *args], input=input, capture_output=True,
                           text=True, env=self.env, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"valuerank {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def start_mock(self):
        self.spawn("mock", [program("valuerank-mockllm"), "--port", str(self.mock_port),
                            "--api-key", MOCK_KEY, *self.mock_args])
        wait_for(lambda: self.http_ok(self.mock_port, "/_mock/stats"), what="valuerank-mockllm")

    def start_daemon(self, name="daemon", extra=()):
        p = self.spawn(name, [program("valuerankd"), *self.daemon_args, *extra])
        return p

    def start_web(self):
        self.spawn("web", [program("cgi-bin/valuerank.fcgi"), "--socket", self.socket_path,
                           "--socket-mode", "0666", "--workers", str(self.workers)])
        wait_for(lambda: os.path.exists(self.socket_path), what="the FastCGI socket")

    def start_nginx(self):
        self.spawn("nginx", [NGINX, "-c", os.path.join(self.dir, "nginx.conf")])
        wait_for(lambda: self.http_ok(self.port, "/healthz"), what="nginx + valuerank.fcgi")

    def start(self):
        self.write_config()
        self.cli("init")
        if self.demo_user:
            self.cli("user", "add", "--email", DEMO_EMAIL, "--tenant", "demo", "--role", "admin",
                     "--superadmin", input=DEMO_PASSWORD + "\n")
        if self.want_mock:
            self.start_mock()
        if self.want_nginx:
            self.start_web()
            self.start_nginx()
        if self.want_daemon:
            self.start_daemon()
        return self

    def http_ok(self, port, path):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def client(self):
        return Client(self.port)

    def db(self):
        """A read-write sqlite3 connection to the stack's database (close it when done)."""
        c = sqlite3.connect(self.db_path, timeout=30)
        c.row_factory = sqlite3.Row
        return c

    def query(self, sql, params=()):
        c = self.db()
        try:
            return [dict(r) for r in c.execute(sql, params).fetchall()]
        finally:
            c.close()

    def log(self, name):
        try:
            with open(os.path.join(self.dir, f"{name}.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def kill(self, name, sig=signal.SIGTERM, wait=True):
        p = self.procs.get(name)
        if not p or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        if wait:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def stop(self):
        for name in list(self.procs):
            self.kill(name)
        self.procs.clear()
        if os.environ.get("VR_KEEP_TEST_DIRS"):
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def asan_reports(self):
        """Sanitizer reports found in any process log (should be empty)."""
        out = []
        for name in os.listdir(self.dir):
            if name.endswith(".log"):
                text = self.log(name[:-4])
                if "ERROR: AddressSanitizer" in text or "runtime error:" in text or "ERROR: LeakSanitizer" in text:
                    out.append(f"{name}:\n{text[-4000:]}")
        return out
