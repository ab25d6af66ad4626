"""test_deploy.py — the production layout (issue 7): `make install` into a DESTDIR, the installed
programs behind the production nginx site over TLS, the systemd units, backups during a run and
restores, API keys kept out of logs, and refusal to start on a schema mismatch.

The module installs once (setUpModule) from VR_BUILDDIR's Makefile with the Debian layout
(prefix=/usr, sysconfdir=/etc, localstatedir=/var) into a temporary DESTDIR. The programs'
built-in default paths then point at the real /usr and /etc, so every program is started with
a valuerank.conf generated from the installed one, its paths moved into the DESTDIR.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import BUILDDIR, DEMO_EMAIL, MOCK_KEY, NGINX, SRCDIR, Client, Response, Stack, free_port, wait_for

LAYOUT = {"prefix": "/usr", "exec_prefix": "/usr", "sysconfdir": "/etc", "localstatedir": "/var"}
DEST = None          # the DESTDIR of this module's install
INSTALL_LOG = ""     # make's output, shown when a layout assertion fails


def dest_path(path):
    """The DESTDIR copy of an absolute installed path."""
    return DEST + path


def make_install(builddir, destdir, target="install", extra=None):
    """Run `make TARGET DESTDIR=destdir` in builddir with the Debian layout; returns the output."""
    args = ["make", "-C", builddir, "-s", target, f"DESTDIR={destdir}"]
    args += [f"{k}={v}" for k, v in (extra if extra is not None else LAYOUT).items()]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout + r.stderr


def setUpModule():
    global DEST, INSTALL_LOG
    if not os.path.exists(os.path.join(BUILDDIR, "Makefile")):
        raise unittest.SkipTest(f"{BUILDDIR} is not a configured build tree")
    DEST = tempfile.mkdtemp(prefix="vr-deploy-dest-")
    os.chmod(DEST, 0o755)  # nginx workers (nobody when the master is root) read static files here
    INSTALL_LOG = make_install(BUILDDIR, DEST)


def tearDownModule():
    if DEST and not os.environ.get("VR_KEEP_TEST_DIRS"):
        shutil.rmtree(DEST, ignore_errors=True)


def installed(name):
    """An installed program's path in the DESTDIR, or None when the build has no such program."""
    for d in ("/usr/bin", "/usr/sbin", "/usr/libexec"):
        p = dest_path(f"{d}/{name}")
        if os.path.exists(p):
            return p
    return None


def cli_has(*words):
    """True if the installed valuerank lists the subcommand `words` in its help."""
    r = subprocess.run([installed("valuerank"), "--help"], capture_output=True, text=True)
    return re.search(r"^\s+" + r"\s+".join(map(re.escape, words)) + r"\b", r.stdout, re.M) is not None


def self_signed_cert(directory):
    """A throwaway certificate and key for localhost made with openssl; returns (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    return cert, key


def render_site(text, *, root, cert, key, pkgdatadir, http_port=None, https_port=None, socket=None):
    """The production site file with its machine-specific lines replaced for a test.

    Every replaced line must be present, so a change to the site file cannot make the
    substitution (and the test) silently miss."""
    subs = [
        ("ssl_certificate     /etc/ssl/certs/valuerank.pem;", f"ssl_certificate     {cert};"),
        ("ssl_certificate_key /etc/ssl/private/valuerank.key;", f"ssl_certificate_key {key};"),
        ("/var/log/nginx/", root + "/"),
        ("root /var/www/html;", f"root {root};"),
        ("/usr/share/valuerank/", pkgdatadir + "/"),
    ]
    if http_port:
        subs += [("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
                 ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                 ("listen [::]:443 ssl http2;", "")]
    if socket:
        subs.append(("unix:/run/valuerank/web.sock;", f"unix:{socket};"))
    for old, new in subs:
        if old not in text:
            raise AssertionError(f"the production site file no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def nginx_wrapper(directory, site_path, daemon=False):
    """A top-level nginx.conf in directory that includes the site file; returns its path."""
    mime = "include /etc/nginx/mime.types;" if os.path.exists("/etc/nginx/mime.types") else \
        "types { text/html html; text/css css; image/svg+xml svg; text/csv csv; }"
    conf = f"""
{'' if daemon else 'daemon off;'}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  {mime}
  default_type application/octet-stream;
  access_log {directory}/nginx-access.log;
  client_body_temp_path {directory}/nginx-body;
  fastcgi_temp_path {directory}/nginx-fastcgi;
  proxy_temp_path {directory}/nginx-proxy;
  uwsgi_temp_path {directory}/nginx-uwsgi;
  scgi_temp_path {directory}/nginx-scgi;
  include {site_path};
}}
"""
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


class TlsClient(Client):
    """harness.Client over HTTPS (the production site), trusting the test's self-signed certificate."""

    def __init__(self, port, host="127.0.0.1"):
        super().__init__(port, host)
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    @property
    def origin(self):
        return f"https://{self.host}:{self.port}"

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ctx)
        hdrs = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if headers:
            hdrs.update(headers)
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        for v in resp.headers_all("Set-Cookie"):
            k, _, val = v.split(";", 1)[0].partition("=")
            if "Max-Age=0" in v or val == "":
                self.cookies.pop(k.strip(), None)
            else:
                self.cookies[k.strip()] = val.strip()
        if "html" in (resp.header("Content-Type") or ""):
            token = resp.csrf()
            if token:
                self.csrf_token = token
        return resp


class DeployStack(Stack):
    """harness.Stack run from the DESTDIR install: installed programs, a configuration made from
    the installed valuerank.conf, and nginx with the installed production site file over TLS.

    State (database, socket, logs) lives in the stack's own temporary directory, so each test
    starts fresh; everything read-only comes from the DESTDIR."""

    def __init__(self, models_edit=None, **kw):
        kw.setdefault("daemon", installed("valuerankd") is not None)
        super().__init__(**kw)
        self.https_port = self.port
        self.http_port = free_port()
        self.models_edit = models_edit
        self.state = os.path.join(self.dir, "state")
        self.socket_path = os.path.join(self.dir, "web.sock")
        self.db_path = os.path.join(self.state, "valuerank.db")
        self.conf_path = os.path.join(self.dir, "valuerank.conf")
        self.env["VALUERANK_CONFIG"] = self.conf_path

    def write_config(self):
        os.makedirs(self.state, exist_ok=True)
        with open(dest_path("/etc/valuerank/models.json")) as f:
            models = f.read()
        if self.mock_port:
            models = models.replace("127.0.0.1:8091", f"127.0.0.1:{self.mock_port}")
        if self.models_edit:
            models = json.dumps(self.models_edit(json.loads(models)), indent=1)
        with open(self.models_path, "w") as f:
            f.write(models)
        # The installed valuerank.conf with its paths moved: read-only ones into the DESTDIR,
        # state into this stack's directory.
        lines = []
        with open(dest_path("/etc/valuerank/valuerank.conf")) as f:
            for line in f:
                m = re.match(r"^(\w+)\s*=\s*(.*?)\s*$", line)
                if not m:
                    lines.append(line)
                    continue
                key, value = m.groups()
                if key == "database":
                    value = self.db_path
                elif key == "web_socket":
                    value = self.socket_path
                elif key == "models":
                    value = self.models_path
                elif key in ("templates", "static", "key_file"):
                    value = dest_path(value)
                elif key == "web_workers":
                    value = str(self.workers)
                lines.append(f"{key} = {value}\n")
        with open(self.conf_path, "w") as f:
            f.writelines(lines)
            f.write(self.conf_extra)
        cert, key = self_signed_cert(self.dir)
        with open(dest_path("/usr/share/valuerank/nginx/valuerank.site")) as f:
            site = render_site(f.read(), root=self.dir, cert=cert, key=key,
                               pkgdatadir=dest_path("/usr/share/valuerank"), http_port=self.http_port,
                               https_port=self.https_port, socket=self.socket_path)
        site_path = os.path.join(self.dir, "valuerank.site")
        with open(site_path, "w") as f:
            f.write(site)
        nginx_wrapper(self.dir, site_path)

    def cli(self, *args, input=None, check=True, timeout=120, env=None):
        r = subprocess.run([installed("valuerank"), "--config", self.conf_path, *args], input=input,
                           capture_output=True, text=True, env=env or self.env, timeout=timeout)
        self.cli_output = getattr(self, "cli_output", "") + r.stdout + r.stderr
        if check and r.returncode != 0:
            raise AssertionError(f"valuerank {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def start_mock(self):
        # The mock serves mock-a etc.; models.json names dated versions of them.
        with open(self.models_path) as f:
            versions = [v for m in json.load(f)["models"] if m["provider"].startswith("mock")
                        for v in m["versions"]]
        self.spawn("mock", [installed("valuerank-mockllm"), "--port", str(self.mock_port),
                            "--api-key", MOCK_KEY, *[a for v in versions for a in ("--model", v)],
                            *self.mock_args])
        wait_for(lambda: self.http_ok(self.mock_port, "/_mock/stats"), what="valuerank-mockllm")

    def start_web(self):
        # The unit uses --socket-mode 0660 with Group=www-data; here nginx's workers run as
        # nobody, so the test socket is 0666 (it lives in a private temporary directory).
        self.spawn("web", [installed("valuerank.fcgi"), "--config", self.conf_path, "--socket",
                           self.socket_path, "--socket-mode", "0666", "--workers", str(self.workers)])
        wait_for(lambda: os.path.exists(self.socket_path), what="the FastCGI socket")

    def start_daemon(self, name="daemon", extra=()):
        return self.spawn(name, [installed("valuerankd"), "--config", self.conf_path, *self.daemon_args, *extra])

    def start_nginx(self):
        self.spawn("nginx", [NGINX, "-c", os.path.join(self.dir, "nginx.conf")])
        wait_for(lambda: self.client().get("/healthz", timeout=2).status == 200, what="nginx (TLS) + valuerank.fcgi")

    def client(self):
        return TlsClient(self.https_port)

    def all_logs(self):
        """Every log file of the stack (processes, nginx) as one text, plus the CLI's output."""
        text = ["--- valuerank CLI output\n" + getattr(self, "cli_output", "")]
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log"):
                with open(os.path.join(self.dir, name), "rb") as f:
                    text.append(f"--- {name}\n" + f.read().decode("utf-8", "replace"))
        return "\n".join(text)


def seed_history(db_path, n, text_bytes):
    """Insert a finished synthetic run with n transcripts of about text_bytes each (a database
    that has been in use for a while, big enough that a backup needs many steps). The first
    tenant and scenario must exist already. Returns (tenant_id, definition_id, scenario_id)."""
    c = sqlite3.connect(db_path, timeout=30)
    try:
        tenant, = c.execute("SELECT id FROM tenants ORDER BY id LIMIT 1").fetchone()
        definition, scenario = c.execute(
            "SELECT definition_id, id FROM scenarios ORDER BY id LIMIT 1").fetchone()
        run = insert_run(c, tenant, definition, "history")
        for i in range(n):
            insert_transcript(c, run, scenario, i, "history " + ("lorem ipsum " * (text_bytes // 12)))
        c.commit()
        return tenant, definition, scenario
    finally:
        c.close()


def insert_run(c, tenant, definition, name):
    """Insert a running run (no jobs yet) and return its id; the caller commits."""
    cur = c.execute(
        "INSERT INTO runs(tenant_id, definition_id, name, status, config, definition_snapshot, trigger_id,"
        " trigger_source, created_at) VALUES(?, ?, ?, 'running', '{}', '{}', ?, 'cli_tool',"
        " strftime('%Y-%m-%dT%H:%M:%SZ','now'))", (tenant, definition, name, f"test-{name}-{time.time_ns()}"))
    return cur.lastrowid


def insert_transcript(c, run, scenario, sample, text):
    """Insert a done job and its transcript with response text; returns the transcript id."""
    job = c.execute(
        "INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version, sample_index, state)"
        " VALUES(?, ?, 'mock', 'mock-a', 'mock-a', ?, 'done')", (run, scenario, sample)).lastrowid
    return c.execute(
        "INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version, sample_index,"
        " turns, response, created_at) VALUES(?, ?, ?, 'mock', 'mock-a', 'mock-a', ?, '[]', ?,"
        " strftime('%Y-%m-%dT%H:%M:%SZ','now'))", (run, job, scenario, sample, text)).lastrowid


class InstallLayoutTest(unittest.TestCase):
    def test_layout_of_make_install(self):
        """Programs, data, configuration and the state directory land where docs/deploy.md says."""
        for path in ("/usr/bin/valuerank", "/usr/bin/valuerank-mockllm", "/usr/libexec/valuerank.fcgi"):
            self.assertTrue(os.access(dest_path(path), os.X_OK), f"{path} not installed\n{INSTALL_LOG}")
        if os.path.exists(os.path.join(BUILDDIR, "valuerankd")):
            self.assertTrue(os.access(dest_path("/usr/sbin/valuerankd"), os.X_OK), "valuerankd not in sbindir")
        for path in ("/usr/share/valuerank/templates/header.mustache", "/usr/share/valuerank/static/style.css",
                     "/usr/share/valuerank/nginx/valuerank.site",
                     "/usr/share/valuerank/nginx/valuerank_fastcgi_params",
                     "/usr/share/valuerank/etc/valuerank.conf", "/usr/share/valuerank/etc/models.json",
                     "/usr/lib/systemd/system/valuerank-web.service",
                     "/usr/lib/systemd/system/valuerankd.service",
                     "/usr/share/doc/valuerank/deploy.md"):
            self.assertTrue(os.path.isfile(dest_path(path)), f"{path} not installed")
        templates = sorted(f for f in os.listdir(os.path.join(SRCDIR, "templates")) if f.endswith(".mustache"))
        self.assertEqual(sorted(os.listdir(dest_path("/usr/share/valuerank/templates"))), templates)
        self.assertTrue(os.path.isdir(dest_path("/var/lib/valuerank")))
        self.assertEqual(os.stat(dest_path("/etc/valuerank/keys.env")).st_mode & 0o777, 0o600)
        with open(dest_path("/etc/valuerank/models.json")) as f, open(os.path.join(SRCDIR, "etc/models.json")) as g:
            self.assertEqual(f.read(), g.read())
        with open(dest_path("/etc/valuerank/valuerank.conf")) as f:
            conf = dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))
        self.assertEqual(conf["database"], "/var/lib/valuerank/valuerank.db")
        self.assertEqual(conf["models"], "/etc/valuerank/models.json")
        self.assertEqual(conf["templates"], "/usr/share/valuerank/templates")
        self.assertEqual(conf["static"], "/usr/share/valuerank/static")
        self.assertEqual(conf["key_file"], "/etc/valuerank/keys.env")
        self.assertEqual(conf["web_socket"], "/run/valuerank/web.sock")
        with open(dest_path("/usr/lib/systemd/system/valuerank-web.service")) as f:
            self.assertIn("ExecStart=/usr/libexec/valuerank.fcgi --config /etc/valuerank/valuerank.conf "
                          "--socket /run/valuerank/web.sock --socket-mode 0660\n", f.read())
        with open(dest_path("/usr/share/valuerank/nginx/valuerank.site")) as f:
            site = f.read()
        self.assertIn("alias /usr/share/valuerank/static/$1;", site)
        self.assertIn("include /usr/share/valuerank/nginx/valuerank_fastcgi_params;", site)
        self.assertNotRegex(site, r"@\w+@")

    def test_reinstall_keeps_edited_configuration(self):
        """An administrator's valuerank.conf survives `make install`; the new default goes beside it."""
        conf = dest_path("/etc/valuerank/valuerank.conf")
        with open(conf) as f:
            original = f.read()
        try:
            with open(conf, "a") as f:
                f.write("web_workers = 7\n")
            out = make_install(BUILDDIR, DEST, target="install-data")
            with open(conf) as f:
                self.assertTrue(f.read().endswith("web_workers = 7\n"))
            self.assertIn(f"keeping existing {conf}", out)
            with open(dest_path("/usr/share/valuerank/etc/valuerank.conf")) as f:
                self.assertEqual(f.read(), original)
        finally:
            with open(conf, "w") as f:
                f.write(original)

    def test_prefix_and_sysconfdir_are_honoured(self):
        """A tree configured with other directories installs its data, configuration and units there."""
        if os.path.exists(os.path.join(SRCDIR, "config.status")):
            self.skipTest("the source tree is configured in place; configure needs a clean tree")
        build = tempfile.mkdtemp(prefix="vr-deploy-build-")
        dest = tempfile.mkdtemp(prefix="vr-deploy-opt-")
        try:
            subprocess.run([os.path.join(SRCDIR, "configure"), "-q", "--prefix=/opt/vr",
                            "--sysconfdir=/etc/opt/vr", "--localstatedir=/var/opt/vr"],
                           cwd=build, check=True, capture_output=True, timeout=300)
            make_install(build, dest, target="install-data", extra={})
            with open(dest + "/etc/opt/vr/valuerank/valuerank.conf") as f:
                conf = dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))
            self.assertEqual(conf["database"], "/var/opt/vr/lib/valuerank/valuerank.db")
            self.assertEqual(conf["models"], "/etc/opt/vr/valuerank/models.json")
            self.assertEqual(conf["templates"], "/opt/vr/share/valuerank/templates")
            self.assertTrue(os.path.isfile(dest + "/opt/vr/share/valuerank/static/style.css"))
            self.assertTrue(os.path.isdir(dest + "/var/opt/vr/lib/valuerank"))
            with open(dest + "/opt/vr/lib/systemd/system/valuerankd.service") as f:
                unit = f.read()
            self.assertIn("ExecStart=/opt/vr/sbin/valuerankd --config /etc/opt/vr/valuerank/valuerank.conf\n", unit)
            self.assertIn("ReadWritePaths=/var/opt/vr/lib/valuerank\n", unit)
            with open(dest + "/opt/vr/share/valuerank/nginx/valuerank.site") as f:
                self.assertIn("alias /opt/vr/share/valuerank/static/$1;", f.read())
            # The data half of `make uninstall` (the programs were not installed here).
            subprocess.run(["make", "-C", build, "-s", "uninstall-local", "uninstall-dist_templatesDATA",
                            "uninstall-dist_staticDATA", "uninstall-docDATA", f"DESTDIR={dest}"],
                           check=True, capture_output=True, timeout=300)
            left = [os.path.join(d, f) for d, _, files in os.walk(dest) for f in files]
            self.assertEqual(left, [], "make uninstall left files behind")
        finally:
            shutil.rmtree(build, ignore_errors=True)
            shutil.rmtree(dest, ignore_errors=True)


class NginxSiteTest(unittest.TestCase):
    def check(self, site_text):
        d = tempfile.mkdtemp(prefix="vr-deploy-nginx-")
        self.addCleanup(shutil.rmtree, d, True)
        site = os.path.join(d, "valuerank.site")
        with open(site, "w") as f:
            f.write(site_text)
        conf = nginx_wrapper(d, site, daemon=True)
        return subprocess.run([NGINX, "-t", "-c", conf, "-p", d], capture_output=True, text=True)

    def test_nginx_accepts_the_production_site(self):
        """`nginx -t` accepts the installed site file with a self-signed certificate filled in."""
        d = tempfile.mkdtemp(prefix="vr-deploy-cert-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = self_signed_cert(d)
        with open(dest_path("/usr/share/valuerank/nginx/valuerank.site")) as f:
            text = f.read()
        site = render_site(text, root=d, cert=cert, key=key, pkgdatadir=dest_path("/usr/share/valuerank"))
        r = self.check(site)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test is successful", r.stderr)
        # The check can fail: without the certificate nginx refuses the site.
        os.unlink(cert)
        r = self.check(site)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cert.pem", r.stderr)


class SystemdUnitTest(unittest.TestCase):
    def test_units_verify_and_are_hardened(self):
        """`systemd-analyze verify` accepts both units without a warning; both carry the hardening."""
        units = {}
        for name in ("valuerank-web", "valuerankd"):
            with open(dest_path(f"/usr/lib/systemd/system/{name}.service")) as f:
                units[name] = f.read()
        for name, text in units.items():
            with self.subTest(unit=name):
                for line in ("User=valuerank", "NoNewPrivileges=yes", "ProtectSystem=strict",
                             "ReadWritePaths=/var/lib/valuerank", "PrivateTmp=yes", "ProtectHome=yes",
                             "KillSignal=SIGTERM"):
                    self.assertIn(line + "\n", text)
        self.assertIn("RestrictAddressFamilies=AF_UNIX\n", units["valuerank-web"])
        self.assertIn("Group=www-data\n", units["valuerank-web"])
        self.assertIn("RuntimeDirectory=valuerank\n", units["valuerank-web"])
        self.assertIn("SystemCallFilter=@system-service\n", units["valuerankd"])
        self.assertIn("EnvironmentFile=-/etc/valuerank/keys.env\n", units["valuerankd"])
        self.assertIn("Restart=on-failure\n", units["valuerankd"])
        stop = int(re.search(r"^TimeoutStopSec=(\d+)s$", units["valuerankd"], re.M).group(1))
        self.assertGreater(stop, 30, "TimeoutStopSec must outlast valuerankd's grace period")

        tool = shutil.which("systemd-analyze")
        if not tool:
            self.skipTest("systemd-analyze is not installed")
        d = tempfile.mkdtemp(prefix="vr-deploy-units-")
        self.addCleanup(shutil.rmtree, d, True)
        # verify checks that ExecStart exists: point it at the DESTDIR copies (valuerankd at the
        # CLI while the build has no valuerankd; the unit's other lines are what is verified).
        daemon = installed("valuerankd") or installed("valuerank")
        paths = []
        for name, text in units.items():
            text = text.replace("/usr/libexec/valuerank.fcgi", installed("valuerank.fcgi"))
            text = text.replace("/usr/sbin/valuerankd", daemon)
            path = os.path.join(d, f"{name}.service")
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        r = subprocess.run([tool, "verify", *paths], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((r.stdout + r.stderr).strip(), "", "systemd-analyze verify warned")
        bad = os.path.join(d, "broken.service")
        with open(bad, "w") as f:
            f.write(units["valuerankd"].replace("ExecStart=/usr/sbin/valuerankd", "ExecStart=/nonexistent/valuerankd"))
        r = subprocess.run([tool, "verify", bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, "verify should reject a unit whose program is missing")


class InstalledStackTest(unittest.TestCase):
    def start(self, **kw):
        stack = DeployStack(**kw)
        self.addCleanup(self.stop, stack)
        stack.start()
        return stack

    def stop(self, stack):
        reports = stack.asan_reports()
        stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def import_definition(self, stack, name):
        if not cli_has("definition", "import"):
            self.skipTest("valuerank definition import does not exist yet")
        out = stack.cli("definition", "import", "--tenant", "demo",
                        os.path.join(SRCDIR, "examples", "definitions", name)).stdout
        return int(out.split()[0])

    def need_runs(self, stack):
        if not stack.want_daemon:
            self.skipTest("valuerankd is not built yet: no run can execute")
        if not cli_has("run", "start"):
            self.skipTest("valuerank run start does not exist yet")

    def wait_run_end(self, stack, run_id, timeout=90):
        return wait_for(lambda: stack.query("SELECT status FROM runs WHERE id = ? AND status IN "
                                            "('completed','failed','cancelled')", (run_id,)),
                        timeout=timeout, interval=0.2, what=f"run {run_id} to end")[0]["status"]

    def test_smoke_run_over_tls(self):
        """The installed programs behind the production site: HTTPS, static files, sign in, a run, export."""
        stack = self.start(mock=True, mock_args=("--latency-ms", "20"))
        # HTTP only redirects.
        conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
        conn.request("GET", "/runs?x=1", headers={"Host": "valuerank.test"})
        r = conn.getresponse()
        self.assertEqual((r.status, r.getheader("Location")), (301, "https://valuerank.test/runs?x=1"))
        conn.close()
        c = stack.client()
        r = c.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Strict-Transport-Security"), "max-age=63072000")
        self.assertEqual(r.header("X-Frame-Options"), "DENY")  # the application's own headers pass through
        # Static files come from nginx: versioned URLs for a year, plain ones for an hour, gzip.
        with open(dest_path("/usr/share/valuerank/static/style.css"), "rb") as f:
            css = f.read()
        r = c.get("/static/v0.1.0/style.css")
        self.assertEqual((r.status, r.body), (200, css))
        self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable")
        self.assertTrue(r.header("Content-Type").startswith("text/css"))
        r = c.get("/static/style.css")
        self.assertEqual((r.status, r.body, r.header("Cache-Control")), (200, css, "max-age=3600"))
        r = c.get("/static/v0.1.0/style.css", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        # Sign in over HTTPS: the session cookie is Secure.
        c.get("/login")
        r = c.post("/login", {"email": DEMO_EMAIL, "password": harness.DEMO_PASSWORD}, csrf=False)
        self.assertEqual(r.status, 303, r.text[:300])
        cookie = r.header("Set-Cookie")
        self.assertIn("Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        me = c.get("/api/v1/me")
        self.assertEqual(me.status, 200)
        self.assertIn(DEMO_EMAIL, me.text)
        # One log line per request: method, path, status, duration, user.
        wait_for(lambda: re.search(r'level=info component=web msg="request" method=GET path="/api/v1/me" '
                                   r'status=200 duration_ms=\d+ user=' + re.escape(DEMO_EMAIL), stack.log("web")),
                 what="the request log line")
        # A run on the mock, then its export.
        definition = self.import_definition(stack, "baseline_no_dimensions.json")
        self.need_runs(stack)
        stack.cli("run", "start", "--definition", str(definition), "--models", "mock:mock-a", "--wait",
                  timeout=120)
        run_id = stack.query("SELECT max(id) AS id FROM runs")[0]["id"]
        self.assertEqual(self.wait_run_end(stack, run_id), "completed")
        n = stack.query("SELECT count(*) AS n FROM transcripts WHERE run_id = ?", (run_id,))[0]["n"]
        self.assertGreater(n, 0)
        # One log line per job attempt: run, job, provider, model, HTTP status, error class, duration.
        self.assertRegex(stack.log("daemon"), rf'level=info component=valuerankd msg="job attempt" run={run_id} '
                         r'job=\d+ attempt=1 provider=mock model="?mock-a-2026-06"? http=200 error=none '
                         r'outcome=done duration_ms=\d+')
        if not cli_has("run", "export"):
            self.skipTest("valuerank run export does not exist yet")
        cli_csv = subprocess.run([installed("valuerank"), "--config", stack.conf_path, "run", "export", str(run_id)],
                                 capture_output=True, env=stack.env, timeout=60)
        self.assertEqual(cli_csv.returncode, 0, cli_csv.stderr)
        r = c.get(f"/runs/{run_id}/export.csv")
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertEqual(r.body, cli_csv.stdout)
        self.assertEqual(len(r.body.decode("utf-8-sig").strip().splitlines()), n + 1)

    def test_backup_during_a_run_then_restore(self):
        """`valuerank backup` while transcripts are being written: consistent, complete, restorable."""
        stack = self.start(mock=True, mock_args=("--latency-ms", "150", "--jitter-ms", "50"))
        small = self.import_definition(stack, "baseline_no_dimensions.json")
        big = self.import_definition(stack, "achievement_universalism.json")
        # A database in use for a while: several MB, so the backup copies it in many steps.
        tenant, _, scenario = seed_history(stack.db_path, 10000, 4000)
        writer_stop = threading.Event()
        writer_error = []
        run_id = None
        if stack.want_daemon and cli_has("run", "start"):
            stack.cli("run", "start", "--definition", str(big), "--models", "mock:mock-a")
            run_id = stack.query("SELECT max(id) AS id FROM runs")[0]["id"]

        # Another writer committing a transcript every few milliseconds, as a busy site with
        # several valuerankd processes does (and the whole load while there is no executor).
        def write():
            c = sqlite3.connect(stack.db_path, timeout=30)
            try:
                run = insert_run(c, tenant, small, "live")
                c.commit()
                i = 0
                while not writer_stop.is_set():
                    insert_transcript(c, run, scenario, i, "live " * 200)
                    c.commit()
                    i += 1
                    time.sleep(0.003)
            except Exception as e:  # noqa: BLE001 — reported by the test
                writer_error.append(e)
            finally:
                c.close()
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        live = "SELECT count(*) AS n FROM transcripts t JOIN runs r ON r.id = t.run_id WHERE r.name <> 'history'"
        wait_for(lambda: stack.query(live)[0]["n"] >= 30, timeout=60, what="transcripts being written")
        if run_id is not None:
            wait_for(lambda: stack.query("SELECT count(*) AS n FROM transcripts WHERE run_id = ?", (run_id,))[0]["n"]
                     >= 20, timeout=60, what="valuerankd writing transcripts")
        before = {r["id"] for r in stack.query("SELECT id FROM transcripts")}
        backup = os.path.join(stack.dir, "backup.db")
        try:
            r = stack.cli("backup", "--to", backup, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("valuerank backup did not finish within 30 s while transcripts were being written "
                      "(an incremental sqlite3_backup_step restarts whenever another connection writes)")
        finally:
            writer_stop.set()
            writer.join(10)
        self.assertEqual(writer_error, [])
        self.assertEqual(r.stdout, f"backup written to {backup}\n")
        # Still being written after the backup finished (the backup really ran during activity).
        if run_id is not None:
            self.assertNotIn(stack.query("SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"],
                             ("completed", "failed", "cancelled"))
        b = sqlite3.connect(backup)
        try:
            self.assertEqual(b.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            after = {row[0] for row in b.execute("SELECT id FROM transcripts")}
            version = b.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            users = b.execute("SELECT email FROM users").fetchall()
        finally:
            b.close()
        self.assertEqual(before - after, set(), "transcripts committed before the backup are missing from it")
        self.assertEqual(users, [(DEMO_EMAIL,)])

        # Restore as docs/deploy.md says: stop both services, replace the database (and drop its
        # -wal/-shm), `valuerank migrate`, start again.
        stack.kill("daemon")
        stack.kill("web")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(stack.db_path + suffix):
                os.unlink(stack.db_path + suffix)
        shutil.copyfile(backup, stack.db_path)
        self.assertEqual(stack.cli("migrate").stdout, f"database {stack.db_path} already at schema {version}\n")
        stack.start_web()
        c = stack.client()
        wait_for(lambda: c.get("/healthz", timeout=2).status == 200, what="the restored web app")
        c.login()
        self.assertEqual(c.get("/api/v1/me").status, 200)
        self.assertEqual({r["id"] for r in stack.query("SELECT id FROM transcripts")}, after)

    def test_provider_error_does_not_leak_the_key(self):
        """A provider answering 401 with the API key in its body: the key reaches no log and no column."""
        if installed("valuerankd") is None:
            self.skipTest("valuerankd is not built yet")
        key = "sk-leaktest-" + os.urandom(12).hex()
        seen = []

        class Leaky(http.server.BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen.append((self.command, self.path, self.headers.get("Authorization")))
                body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}. You can find "
                                             "your API key at https://example.invalid/keys.",
                                             "type": "invalid_request_error", "param": None,
                                             "code": "invalid_api_key"}}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Leaky)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)

        def add_leaky(models):
            models["providers"].append({
                "id": "leaky", "name": "Leaky test provider", "api_style": "openai",
                "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1", "key_env": "LEAKY_API_KEY",
                "max_parallel": 2, "requests_per_minute": 600, "request_timeout_s": 10})
            models["models"].append({
                "id": "leaky-model", "provider": "leaky", "display_name": "Leaky model",
                "versions": ["leaky-model-1"], "default_version": "leaky-model-1"})
            return models

        stack = DeployStack(mock=True, models_edit=add_leaky, conf_extra="log_level = debug\n")
        stack.env["LEAKY_API_KEY"] = key
        self.addCleanup(self.stop, stack)
        stack.start()
        definition = self.import_definition(stack, "baseline_no_dimensions.json")
        self.need_runs(stack)
        stack.cli("run", "start", "--definition", str(definition), "--models", "leaky:leaky-model", check=False)
        run_id = stack.query("SELECT max(id) AS id FROM runs")[0]["id"]
        self.assertIsNotNone(run_id, "the run was not created:\n" + stack.cli_output)
        self.wait_run_end(stack, run_id)
        # The error path really ran: the key was sent, echoed back, and the failure recorded.
        self.assertTrue(any(auth == f"Bearer {key}" for _, _, auth in seen), seen)
        self.assertTrue(stack.query("SELECT 1 FROM job_attempts a JOIN jobs j ON j.id = a.job_id "
                                    "WHERE j.run_id = ? AND a.http_status = 401", (run_id,)))
        c = stack.client()
        c.login()
        leaks = []
        settings = c.get("/settings")
        self.assertEqual(settings.status, 200)
        if key in settings.text:
            leaks.append("the /settings page")
        stack.kill("daemon")
        logs = stack.all_logs()
        self.assertIn("http=401", logs)
        leaks += [f"log {block.split(chr(10), 1)[0]}" for block in logs.split("--- ") if key in block]
        db = sqlite3.connect(stack.db_path)
        try:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                for col in db.execute(f'PRAGMA table_info("{table}")').fetchall():
                    n = db.execute(f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{col[1]}" AS TEXT), ?) > 0',
                                   (key,)).fetchone()[0]
                    if n:
                        leaks.append(f"column {table}.{col[1]} ({n} rows)")
        finally:
            db.close()
        self.assertEqual(leaks, [], "the API key leaked into these places")

    def test_schema_mismatch_refuses_to_start(self):
        """valuerank.fcgi and valuerankd exit at once on an older or newer schema, naming the fix."""
        stack = self.start(mock=False, nginx=False, daemon=False, demo_user=False)
        latest = stack.query("SELECT max(version) AS v FROM schema_migrations")[0]["v"]
        programs = {"valuerank.fcgi": [installed("valuerank.fcgi"), "--config", stack.conf_path, "--socket",
                                       stack.socket_path, "--workers", "1"]}
        if installed("valuerankd"):
            programs["valuerankd"] = [installed("valuerankd"), "--config", stack.conf_path]
        cases = {
            "older": ("DELETE FROM schema_migrations WHERE version = ?", (latest,), "valuerank migrate"),
            "newer": ("INSERT INTO schema_migrations(version, name, applied_at) VALUES(?, 'future', 'now')",
                      (latest + 1,), "newer"),
        }
        for case, (sql, args, expect) in cases.items():
            shutil.copyfile(stack.db_path, stack.db_path + ".orig")
            c = sqlite3.connect(stack.db_path)
            c.execute(sql, args)
            c.commit()
            c.close()
            try:
                for name, argv in programs.items():
                    with self.subTest(case=case, program=name):
                        r = subprocess.run(argv, capture_output=True, text=True, env=stack.env, timeout=20)
                        self.assertNotEqual(r.returncode, 0)
                        self.assertIn(expect, r.stderr)
                        self.assertIn(stack.db_path, r.stderr)
                        self.assertFalse(os.path.exists(stack.socket_path))
            finally:
                shutil.move(stack.db_path + ".orig", stack.db_path)
                for suffix in ("-wal", "-shm"):
                    if os.path.exists(stack.db_path + suffix):
                        os.unlink(stack.db_path + suffix)
        if not installed("valuerankd"):
            self.skipTest("valuerankd is not built yet: only valuerank.fcgi was checked")


if __name__ == "__main__":
    unittest.main()
