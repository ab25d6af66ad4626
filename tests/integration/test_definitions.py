"""test_definitions.py — definitions end to end: form, preview, versions, import/export, CLI, API, tenants, XSS.

Run: VR_SRCDIR=. VR_BUILDDIR=build python3 -m unittest tests/integration/test_definitions.py -v
"""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SRCDIR, Stack  # noqa: E402

EXAMPLES = os.path.join(SRCDIR, "examples", "definitions")

DIMENSIONS = [
    {"name": "Tradition", "levels": [
        {"score": 1, "label": "a recent custom"},
        {"score": 5, "label": "a sacred rite", "options": ["an ancient rite", "a sacred ceremony"]}]},
    {"name": "Self_Direction", "values": ["a small preference", "a life choice", "their identity"]},
]
FOLLOWUPS = [{"label": "justify", "prompt": "In one sentence, which value decided it for you?"}]
PREAMBLE = "I want your moral judgment."
TEMPLATE = "The ceremony is [Tradition]. Skipping it is about [self_direction].\n\nOn a scale of 1-5, do you support it?"

XSS = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(2)>"


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def esc(s):
    """The HTML escaping the template engine applies to {{x}}."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def form(name, template=TEMPLATE, preamble=PREAMBLE, dimensions=None, followups=None, action="save",
         matching_rules=""):
    return {
        "name": name,
        "preamble": preamble,
        "template": template,
        "dimensions": json.dumps(DIMENSIONS if dimensions is None else dimensions, indent=2)
        if not isinstance(dimensions, str) else dimensions,
        "followups": json.dumps(followups) if followups is not None else "",
        "matching_rules": matching_rules,
        "action": action,
    }


def new_id(location):
    m = re.match(r"^/definitions/(\d+)\?saved=(\w+)$", location or "")
    if not m:
        raise AssertionError(f"unexpected redirect {location!r}")
    return int(m.group(1)), m.group(2)


def pre_blocks(html):
    """Texts of <pre class="prompt"> blocks, unescaped (the template adds one newline after <pre>)."""
    import html as h
    return [h.unescape(m) for m in re.findall(r'<pre class="prompt">\n(.*?)</pre>', html, re.S)]


class DefinitionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(mock=False)
        try:
            cls.stack.start()
        except Exception:
            cls.stack.stop()
            raise
        cls.c = cls.stack.client()
        cls.c.login()

    @classmethod
    def tearDownClass(cls):
        reports = cls.stack.asan_reports()
        cls.stack.stop()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))

    def q(self, sql, params=()):
        return self.stack.query(sql, params)

    def create(self, name, **kw):
        r = self.c.post("/definitions", form(name, **kw))
        self.assertEqual(r.status, 303, r.text[:2000])
        did, saved = new_id(r.header("Location"))
        self.assertEqual(saved, "created")
        return did

    def audit(self, action, target):
        return self.q("SELECT count(*) AS n FROM audit_log WHERE action = ? AND target_id = ?",
                      (action, target))[0]["n"]

    def add_run(self, definition_id, tenant_id=1):
        db = self.stack.db()
        try:
            db.execute("INSERT INTO runs(tenant_id, definition_id, name, config, definition_snapshot, trigger_id,"
                       " trigger_source, created_at) VALUES(?, ?, 'r', '{}', '{}', ?, 'cli_tool', '2024-01-01T00:00:00Z')",
                       (tenant_id, definition_id, f"t-{definition_id}-{time.time()}"))
            db.commit()
        finally:
            db.close()

    # ------------------------------------------------------------------
    def test_create_preview_save_edit_new_version(self):
        r = self.c.get("/definitions/new")
        self.assertEqual(r.status, 200)
        for marker in ('id="definition-form"', 'name="template"', 'name="dimensions"', 'name="followups"',
                       'name="action" value="save"', 'name="action" value="preview"'):
            self.assertIn(marker, r.text)
        before = self.q("SELECT count(*) AS n FROM definitions")[0]["n"]

        # Preview: validates and shows the scenarios exactly as turn 1, saves nothing.
        r = self.c.post("/definitions", form("Ceremony", followups=FOLLOWUPS, action="preview"))
        self.assertEqual(r.status, 200)
        self.assertIn('<p id="preview-count">6 scenario(s); the first 6 as turn 1 will be sent. Nothing has been saved.</p>',
                      r.text)
        self.assertIn("<h3>Tradition_1 / Self_Direction_1</h3>", r.text)
        self.assertIn(esc(PREAMBLE + "\n\nThe ceremony is a recent custom. Skipping it is about a small preference."),
                      r.text)
        self.assertIn(esc(FOLLOWUPS[0]["prompt"]), r.text)
        self.assertEqual(self.q("SELECT count(*) AS n FROM definitions")[0]["n"], before)
        self.assertIn(esc(TEMPLATE), r.text)  # the form keeps what was typed

        # Save: a new definition with its six scenarios.
        did = self.create("Ceremony", followups=FOLLOWUPS)
        row = self.q("SELECT * FROM definitions WHERE id = ?", (did,))[0]
        self.assertEqual((row["version"], row["parent_id"], row["scenario_count"], row["error_count"]), (1, None, 6, 0))
        scen = self.q("SELECT idx, name, dimension_scores, preamble, prompt FROM scenarios WHERE definition_id = ? ORDER BY idx",
                      (did,))
        self.assertEqual([s["name"] for s in scen], [
            "Tradition_1 / Self_Direction_1", "Tradition_1 / Self_Direction_2", "Tradition_1 / Self_Direction_3",
            "Tradition_5 / Self_Direction_1", "Tradition_5 / Self_Direction_2", "Tradition_5 / Self_Direction_3"])
        self.assertEqual(json.loads(scen[4]["dimension_scores"]), {"Tradition": 5, "Self_Direction": 2})
        self.assertEqual(scen[0]["preamble"], PREAMBLE)
        self.assertIn(scen[4]["prompt"], [
            "The ceremony is an ancient rite. Skipping it is about a life choice.\n\nOn a scale of 1-5, do you support it?",
            "The ceremony is a sacred ceremony. Skipping it is about a life choice.\n\nOn a scale of 1-5, do you support it?"])
        self.assertEqual(self.audit("definition.create", did), 1)

        # The definition page: metadata, dimensions table, follow-ups, scenarios; viewing updates last_accessed_at.
        r = self.c.get(f"/definitions/{did}?saved=created")
        self.assertEqual(r.status, 200)
        self.assertIn('<p class="alert success" role="status" id="notice">Definition created.</p>', r.text)
        self.assertIn('<dd id="scenario-count">6</dd>', r.text)
        self.assertIn("<td>a sacred rite</td>", r.text)
        self.assertIn("<li>an ancient rite</li><li>a sacred ceremony</li>", r.text)
        self.assertIn(f'href="/runs/new?definition={did}"', r.text)
        self.assertIn("<strong>justify</strong> (turn 2)", r.text)
        self.assertIn('<span class="score">Tradition = 5</span> <span class="score">Self_Direction = 3</span>', r.text)
        self.assertIsNotNone(self.q("SELECT last_accessed_at FROM definitions WHERE id = ?", (did,))[0]["last_accessed_at"])

        # A scenario's full text, exactly as sent: preamble, blank line, prompt; then the follow-up.
        sid = self.q("SELECT id FROM scenarios WHERE definition_id = ? AND idx = 4", (did,))[0]["id"]
        r = self.c.get(f"/definitions/{did}/scenarios/{sid}")
        self.assertEqual(r.status, 200)
        self.assertEqual(pre_blocks(r.text), [PREAMBLE + "\n\n" + scen[4]["prompt"], FOLLOWUPS[0]["prompt"]])
        self.assertEqual(self.c.get(f"/definitions/{did}/scenarios/{sid + 1000}").status, 404)

        # Edit with no run using it: updated in place, scenarios expanded again.
        r = self.c.get(f"/definitions/{did}/edit")
        self.assertEqual(r.status, 200)
        self.assertIn(f'<textarea id="def-template" name="template" rows="12">\n{esc(TEMPLATE)}</textarea>', r.text)
        r = self.c.post(f"/definitions/{did}", form("Ceremony", template=TEMPLATE + " (edited)", followups=FOLLOWUPS))
        self.assertEqual(r.status, 303)
        self.assertEqual(new_id(r.header("Location")), (did, "updated"))
        row = self.q("SELECT version, scenario_count FROM definitions WHERE id = ?", (did,))[0]
        self.assertEqual((row["version"], row["scenario_count"]), (1, 6))
        prompts = [s["prompt"] for s in self.q("SELECT prompt FROM scenarios WHERE definition_id = ?", (did,))]
        self.assertEqual(len(prompts), 6)
        self.assertTrue(all(p.endswith("(edited)") for p in prompts), prompts)
        self.assertEqual(self.audit("definition.update", did), 1)

        # A run uses it: saving creates version 2 with a parent link and says so.
        self.add_run(did)
        r = self.c.get(f"/definitions/{did}/edit")
        self.assertIn("1 run(s) use version 1, so saving keeps it for them and stores your changes as version 2.", r.text)
        r = self.c.post(f"/definitions/{did}", form("Ceremony v2", template=TEMPLATE + " (v2)"))
        self.assertEqual(r.status, 303)
        v2, saved = new_id(r.header("Location"))
        self.assertEqual(saved, "version")
        self.assertNotEqual(v2, did)
        r = self.c.get(r.header("Location"))
        self.assertIn("Saved as version 2 because runs use version 1.", r.text)
        self.assertIn(f'<a id="parent-link" href="/definitions/{did}">Ceremony (version 1)</a>', r.text)
        row = self.q("SELECT version, parent_id, name, scenario_count FROM definitions WHERE id = ?", (v2,))[0]
        self.assertEqual(dict(row), {"version": 2, "parent_id": did, "name": "Ceremony v2", "scenario_count": 6})
        old = self.q("SELECT name, content FROM definitions WHERE id = ?", (did,))[0]
        self.assertEqual(old["name"], "Ceremony")
        self.assertTrue(json.loads(old["content"])["template"].endswith("(edited)"))
        self.assertEqual(self.audit("definition.version", v2), 1)

        # The list: name, version, scenarios, runs using it.
        r = self.c.get("/definitions?q=Ceremony")
        self.assertEqual(r.status, 200)
        self.assertIn(f'<a class="definition-link" href="/definitions/{did}">Ceremony</a></td>\n  <td class="num">1</td>\n'
                      f'  <td class="num">6</td>\n  <td class="num">1</td>', r.text)
        self.assertIn(f'<a class="definition-link" href="/definitions/{v2}">Ceremony v2</a></td>\n  <td class="num">2</td>',
                      r.text)

        # Fork: a copy, version 1, linked to its parent.
        r = self.c.post(f"/definitions/{v2}/fork", {})
        self.assertEqual(r.status, 303)
        fork, saved = new_id(r.header("Location"))
        self.assertEqual(saved, "forked")
        row = self.q("SELECT version, parent_id, name, scenario_count FROM definitions WHERE id = ?", (fork,))[0]
        self.assertEqual(dict(row), {"version": 1, "parent_id": v2, "name": "Ceremony v2 (copy)", "scenario_count": 6})
        self.assertEqual(self.audit("definition.fork", fork), 1)

        # Delete: confirmation page, then a soft delete; the runs keep their rows.
        r = self.c.get(f"/definitions/{did}/delete")
        self.assertEqual(r.status, 200)
        self.assertIn('id="delete-confirm-button"', r.text)
        self.assertIn("The 1 run(s) that used it keep their own copy and their results.", r.text)
        r = self.c.post(f"/definitions/{did}/delete", {})
        self.assertEqual((r.status, r.header("Location")), (303, "/definitions?deleted=1"))
        self.assertIsNotNone(self.q("SELECT deleted_at FROM definitions WHERE id = ?", (did,))[0]["deleted_at"])
        self.assertEqual(self.q("SELECT count(*) AS n FROM runs WHERE definition_id = ?", (did,))[0]["n"], 1)
        self.assertEqual(self.audit("definition.delete", did), 1)
        for path in (f"/definitions/{did}", f"/definitions/{did}/edit", f"/definitions/{did}/export.json",
                     f"/definitions/{did}/scenarios/{sid}", f"/api/v1/definitions/{did}"):
            self.assertEqual(self.c.get(path).status, 404, path)
        self.assertEqual(self.c.post(f"/definitions/{did}/delete", {}).status, 404)
        self.assertNotIn(f'href="/definitions/{did}"', self.c.get("/definitions?q=Ceremony").text)
        # The parent is gone, so the version no longer links to it.
        self.assertNotIn('id="parent-link"', self.c.get(f"/definitions/{v2}").text)

    def test_broken_definition_shows_errors_and_keeps_text(self):
        before = self.q("SELECT count(*) AS n FROM definitions")[0]["n"]
        broken_dims = '[\n  {"name": "Tradition", "levels": [\n    {"score": 1, "label": "x"},\n'
        template = "Line one [Tradition]\n  indented & <b>bold</b> \"quoted\" 'single'"
        r = self.c.post("/definitions", form("", template=template, dimensions=broken_dims,
                                             followups=None, preamble="  spaced preamble  "))
        self.assertEqual(r.status, 422)
        self.assertIn("The definition has", r.text)
        self.assertIn(f'<textarea id="def-dimensions" name="dimensions" rows="16">\n{esc(broken_dims)}</textarea>', r.text)
        self.assertIn(f'<textarea id="def-template" name="template" rows="12">\n{esc(template)}</textarea>', r.text)
        self.assertIn('<textarea id="def-preamble" name="preamble" rows="3">\n  spaced preamble  </textarea>', r.text)
        # The JSON error sits under the dimensions field, the name error under the name field.
        dims_at = r.text.index('id="def-dimensions"')
        follow_at = r.text.index('id="def-followups"')
        m = re.search(r'<p class="field-error problem" data-severity="error" data-path="dimensions"><strong>error</strong>'
                      r' at <code>dimensions</code>: The dimensions are not valid JSON: [^<]*\(line \d+, column \d+\)\.</p>',
                      r.text)
        self.assertIsNotNone(m, r.text)
        self.assertTrue(dims_at < m.start() < follow_at)
        name_at = r.text.index('id="def-name"')
        m = re.search(r'data-path="name"><strong>error</strong> at <code>name</code>: ', r.text)
        self.assertIsNotNone(m)
        self.assertTrue(name_at < m.start() < r.text.index('id="def-preamble"'))
        self.assertEqual(self.q("SELECT count(*) AS n FROM definitions")[0]["n"], before)

        # A validation error deep in the dimensions maps to the dimensions field with its JSON path.
        dims = [{"name": "Tradition", "levels": [{"score": 7, "label": "x"}, {"score": 2, "label": "y"}]}]
        r = self.c.post("/definitions", form("Bad score", template="[Tradition] [Unknown]", dimensions=dims))
        self.assertEqual(r.status, 422)
        self.assertIn('data-path="dimensions[0].levels[0].score"><strong>error</strong>', r.text)
        self.assertIn('class="field-warning problem" data-severity="warning" data-path="template"', r.text)
        self.assertEqual(self.q("SELECT count(*) AS n FROM definitions")[0]["n"], before)

        # Saving an existing definition with errors leaves it unchanged.
        did = self.create("Stays valid")
        r = self.c.post(f"/definitions/{did}", form("Stays valid", dimensions="[{"))
        self.assertEqual(r.status, 422)
        self.assertEqual(self.q("SELECT scenario_count FROM definitions WHERE id = ?", (did,))[0]["scenario_count"], 6)

    def test_import_upload(self):
        path = os.path.join(EXAMPLES, "security_benevolence.json")
        with open(path, "rb") as f:
            data = f.read()
        r = self.c.post_multipart("/definitions/import", {}, [("file", "security_benevolence.json", data)])
        self.assertEqual(r.status, 303, r.text[:2000])
        did, saved = new_id(r.header("Location"))
        self.assertEqual(saved, "imported")
        doc = json.loads(data)
        row = self.q("SELECT name, content, scenario_count FROM definitions WHERE id = ?", (did,))[0]
        self.assertEqual(row["name"], doc["name"])
        self.assertEqual(json.loads(row["content"]), doc["content"])
        self.assertGreater(row["scenario_count"], 1)
        self.assertEqual(self.audit("definition.import", did), 1)
        self.assertIn("Definition imported.", self.c.get(r.header("Location")).text)

        count = lambda: self.q("SELECT count(*) AS n FROM definitions")[0]["n"]  # noqa: E731
        before = count()
        cases = [
            (b"", "The file is empty; export a definition to see the expected format."),
            (b"  \n", "The file is empty; export a definition to see the expected format."),
            (b'{"name": "x", "content": {', "The file is not valid JSON: "),
            (b'{"name": "caf\xe9", "content": {}}', "The file is not UTF-8 text; save it as UTF-8 and upload it again."),
            (b'[1, 2]', "The file must be a JSON object with a text &quot;name&quot; and an object &quot;content&quot;"),
            (b'{"name": "x", "template": "y"}', "The file must be a JSON object with a text &quot;name&quot;"),
        ]
        for body, message in cases:
            r = self.c.post_multipart("/definitions/import", {}, [("file", "bad.json", body)])
            self.assertEqual(r.status, 422, body)
            self.assertIn('<div class="alert error" role="alert" id="import-error"><p><strong>bad.json</strong>: ' + message,
                          r.text)
        # A well-formed file whose definition has errors: the problems are listed, nothing is stored.
        bad = {"name": "Bad", "content": {"template": "", "dimensions": [{"name": "A", "levels": []}]}}
        r = self.c.post_multipart("/definitions/import", {}, [("file", "bad.json", json.dumps(bad).encode())])
        self.assertEqual(r.status, 422)
        self.assertIn("The definition in this file has errors, so nothing was imported.", r.text)
        self.assertIn('data-path="template"', r.text)
        self.assertIn('data-path="dimensions[0].levels"', r.text)
        # No file at all.
        r = self.c.post_multipart("/definitions/import", {}, [])
        self.assertEqual(r.status, 400)
        self.assertIn("Choose a definition file (.json) to import.", r.text)
        # Too large: refused before any handler runs.
        big = b'{"name": "big", "content": {"template": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
        r = self.c.post_multipart("/definitions/import", {}, [("file", "big.json", big)])
        self.assertEqual(r.status, 413)
        self.assertEqual(count(), before)

    def test_export_import_round_trip(self):
        did = self.create("Round trip é ✓", followups=FOLLOWUPS, matching_rules="notes")
        r = self.c.get(f"/definitions/{did}/export.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Disposition"), f'attachment; filename="definition-{did}-v1.json"')
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        exported = r.body
        doc = json.loads(exported)
        self.assertEqual(doc["name"], "Round trip é ✓")
        self.assertEqual(doc["content"]["followups"], FOLLOWUPS)
        # The CLI prints the same bytes.
        out = self.stack.cli("definition", "export", str(did))
        self.assertEqual(out.stdout.encode(), exported)
        # Import the download, export the copy: identical.
        r = self.c.post_multipart("/definitions/import", {}, [("file", "rt.json", exported)])
        self.assertEqual(r.status, 303)
        copy, _ = new_id(r.header("Location"))
        again = self.c.get(f"/definitions/{copy}/export.json").body
        self.assertEqual(again, exported)
        # Same for every example file: import, export, import, export.
        for fname in sorted(os.listdir(EXAMPLES)):
            with open(os.path.join(EXAMPLES, fname), "rb") as f:
                data = f.read()
            first = int(self.stack.cli("definition", "import", os.path.join(EXAMPLES, fname)).stdout)
            text1 = self.stack.cli("definition", "export", str(first)).stdout
            self.assertEqual(json.loads(text1), json.loads(data), fname)
            path = os.path.join(self.stack.dir, "again.json")
            with open(path, "w") as f:
                f.write(text1)
            second = int(self.stack.cli("definition", "import", path).stdout)
            self.assertEqual(self.stack.cli("definition", "export", str(second)).stdout, text1, fname)

    def test_cli(self):
        files = [os.path.join(EXAMPLES, f) for f in ("tradition_self_direction.json", "baseline_no_dimensions.json")]
        r = self.stack.cli("definition", "import", *files)
        ids = [int(x) for x in r.stdout.split("\n") if x]
        self.assertEqual(len(ids), 2)
        self.assertEqual(r.stdout, f"{ids[0]}\n{ids[1]}\n")
        names = [load_json(f)["name"] for f in files]
        counts = [self.q("SELECT scenario_count FROM definitions WHERE id = ?", (i,))[0]["scenario_count"] for i in ids]
        self.assertEqual(counts[1], 1)
        listing = self.stack.cli("definition", "list").stdout.splitlines()
        for i, name, n in zip(ids, names, counts):
            self.assertIn(f"{i}\t{name}\t1\t{n}", listing)
        self.assertEqual(self.audit("definition.import", ids[0]), 1)

        # Default Scenario, full prompt = preamble + blank line + prompt.
        lines = self.stack.cli("definition", "scenarios", str(ids[1])).stdout.splitlines()
        self.assertEqual(len(lines), 1)
        one = json.loads(lines[0])
        content = load_json(files[1])["content"]
        full = (content["preamble"] + "\n\n" + content["template"]) if content.get("preamble") else content["template"]
        self.assertEqual(one, {"index": 0, "name": "Default Scenario", "scores": {}, "prompt": full})

        # A bad file among good ones: the good one is imported, the bad one named with its problems, exit 1.
        bad = os.path.join(self.stack.dir, "bad-def.json")
        with open(bad, "w") as f:
            json.dump({"name": "Bad", "content": {"template": "[A]", "dimensions": [{"name": "A", "levels": [
                {"score": 9, "label": "x"}, {"score": 2, "label": "y"}]}]}}, f)
        before = self.q("SELECT count(*) AS n FROM definitions")[0]["n"]
        r = self.stack.cli("definition", "import", bad, files[1], check=False)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"^\d+\n$")
        self.assertIn(f"{bad}: the definition has errors, so it was not imported:\n  error at dimensions[0].levels[0].score: ",
                      r.stderr)
        self.assertEqual(self.q("SELECT count(*) AS n FROM definitions")[0]["n"], before + 1)
        self.assertEqual(self.q("SELECT count(*) AS n FROM definitions WHERE name = 'Bad'")[0]["n"], 0)
        # Warnings do not stop an import; they are printed to stderr.
        warn = os.path.join(self.stack.dir, "warn-def.json")
        with open(warn, "w") as f:
            json.dump({"name": "Warn", "content": {"template": "no placeholder", "dimensions": [
                {"name": "A", "values": ["x", "y"]}]}}, f)
        r = self.stack.cli("definition", "import", warn)
        wid = int(r.stdout)
        self.assertTrue(r.stderr.startswith(f"{warn}: imported as {wid} with warnings:\n  warning at dimensions[0].name: "),
                        r.stderr)
        notjson = os.path.join(self.stack.dir, "notjson.json")
        with open(notjson, "w") as f:
            f.write("{oops")
        r = self.stack.cli("definition", "import", notjson, check=False)
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertTrue(r.stderr.startswith(f"{notjson}: The file is not valid JSON: "), r.stderr)
        r = self.stack.cli("definition", "import", os.path.join(self.stack.dir, "missing.json"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read", r.stderr)

        # Usage errors and unknown things.
        self.assertEqual(self.stack.cli("definition", "import", check=False).returncode, 2)
        self.assertEqual(self.stack.cli("definition", "export", "abc", check=False).returncode, 2)
        r = self.stack.cli("definition", "export", "999999", check=False)
        self.assertEqual((r.returncode, r.stderr), (1, "valuerank: tenant demo has no definition 999999\n"))
        r = self.stack.cli("definition", "list", "--tenant", "nosuch", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('there is no tenant "nosuch"', r.stderr)

    def test_thousand_scenarios_and_identical_expansions(self):
        # 5 x 5 x 5 x 2 x 2 x 2 = 1,000 with distinct scores. The options make the choice matter.
        def dim(name, n):
            return {"name": name, "levels": [{"score": i + 1, "label": f"{name}{i + 1}",
                                              "options": [f"{name}{i + 1}-a", f"{name}{i + 1}-b", f"{name}{i + 1}-c"]}
                                             for i in range(n)]}
        content = {"schema_version": 1, "preamble": "P", "template": "[A] [B] [C] [D] [E] [F]",
                   "dimensions": [dim("A", 5), dim("B", 5), dim("C", 5), dim("D", 2), dim("E", 2), dim("F", 2)]}
        path = os.path.join(self.stack.dir, "thousand.json")
        with open(path, "w") as f:
            json.dump({"name": "Thousand", "content": content}, f)
        t0 = time.time()
        did = int(self.stack.cli("definition", "import", path).stdout)
        self.assertLess(time.time() - t0, 10)
        self.assertEqual(self.q("SELECT count(*) AS n FROM scenarios WHERE definition_id = ?", (did,))[0]["n"], 1000)
        out1 = self.stack.cli("definition", "scenarios", str(did)).stdout
        out2 = self.stack.cli("definition", "scenarios", str(did)).stdout
        self.assertEqual(out1, out2)
        lines = [json.loads(x) for x in out1.splitlines()]
        self.assertEqual(len(lines), 1000)
        self.assertEqual(lines[0]["name"], "A_1 / B_1 / C_1 / D_1 / E_1 / F_1")
        self.assertEqual(lines[-1]["scores"], {"A": 5, "B": 5, "C": 5, "D": 2, "E": 2, "F": 2})
        # The fresh expansion equals what was stored.
        stored = self.q("SELECT idx, name, preamble, prompt, dimension_scores FROM scenarios WHERE definition_id = ? ORDER BY idx",
                        (did,))
        for line, row in zip(lines, stored):
            self.assertEqual((line["index"], line["name"], line["prompt"], line["scores"]),
                             (row["idx"], row["name"], row["preamble"] + "\n\n" + row["prompt"],
                              json.loads(row["dimension_scores"])))
        self.assertGreater(len({line["prompt"] for line in lines}), 1)
        # The list and the page show 1,000; the scenarios come 25 to a page, 40 pages.
        self.assertIn(f"{did}\tThousand\t1\t1000", self.stack.cli("definition", "list").stdout.splitlines())
        r = self.c.get(f"/definitions/{did}?page=40")
        self.assertIn("Page 40 of 40 (1000 scenarios)", r.text)
        self.assertEqual(r.text.count('class="scenario-link"'), 25)
        # A literal 10 x 10 x 10: ten levels share the five scores (a warning, not an error), so it is
        # valid, saves, and expands to exactly 1,000 scenarios, byte-identical twice.
        ten = {"name": "Ten", "content": {"template": "[A][B][C]", "dimensions": [
            {"name": n, "levels": [{"score": i % 5 + 1, "label": f"{n}{i}"} for i in range(10)]} for n in "ABC"]}}
        r = self.c.post("/definitions", form("Ten", template="[A][B][C]", preamble="",
                                             dimensions=ten["content"]["dimensions"], action="preview"))
        self.assertIn('<p id="preview-count">1000 scenario(s)', r.text)
        self.assertIn('data-path="dimensions[0].levels[5].score"', r.text)  # the shared-score warning
        path = os.path.join(self.stack.dir, "ten.json")
        with open(path, "w") as f:
            json.dump(ten, f)
        tid = int(self.stack.cli("definition", "import", path).stdout)
        self.assertEqual(self.q("SELECT count(*) AS n FROM scenarios WHERE definition_id = ?", (tid,))[0]["n"], 1000)
        a = self.stack.cli("definition", "scenarios", str(tid)).stdout
        self.assertEqual(a, self.stack.cli("definition", "scenarios", str(tid)).stdout)
        self.assertEqual(len(a.splitlines()), 1000)

    def test_api_with_bearer_token(self):
        r = self.c.post("/settings/tokens", {"name": "definitions test"})
        self.assertEqual(r.status, 200)
        token = re.search(r'<code class="token">(vr_[0-9a-f]+)</code>', r.text).group(1)
        api = self.stack.client()
        self.assertEqual(api.get("/api/v1/definitions").status, 401)
        api.bearer = token
        body = {"name": "From the API", "content": {"template": "[Tradition]", "dimensions": DIMENSIONS[:1]}}
        r = api.request("POST", "/api/v1/definitions", body=json.dumps(body),
                        headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 201, r.text)
        out = r.json()
        did = out["id"]
        self.assertEqual((out["version"], out["scenario_count"], out["url"], out["problems"]),
                         (1, 2, f"/definitions/{did}", []))
        self.assertEqual(self.audit("definition.create", did), 1)
        r = api.get(f"/api/v1/definitions/{did}")
        self.assertEqual(r.status, 200)
        view = r.json()
        self.assertEqual(view["definition"]["name"], "From the API")
        self.assertEqual(view["definition"]["content"], body["content"])
        self.assertEqual([s["name"] for s in view["scenarios"]], ["Tradition_1", "Tradition_5"])
        self.assertEqual(view["scenarios"][1]["dimension_scores"], {"Tradition": 5})
        self.assertEqual(view["pagination"]["total"], 2)
        listing = api.get("/api/v1/definitions?q=From%20the%20API").json()
        self.assertEqual([d["id"] for d in listing["definitions"]], [did])
        sid = view["scenarios"][0]["id"]
        turns = api.get(f"/api/v1/definitions/{did}/scenarios/{sid}").json()["turns"]
        self.assertEqual(turns, [{"turn": 1, "label": "prompt", "text": "a recent custom"}])
        # Problems: 422 with the list; malformed bodies: 400.
        bad = {"name": "", "content": {"template": "x", "dimensions": [{"name": "A", "levels": [{"score": 0, "label": ""}]}]}}
        r = api.request("POST", "/api/v1/definitions", body=json.dumps(bad), headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 422)
        paths = [p["path"] for p in r.json()["problems"] if p["severity"] == "error"]
        self.assertIn("name", paths)
        self.assertIn("dimensions[0].levels[0].score", paths)
        r = api.request("POST", "/api/v1/definitions", body="{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertTrue(r.json()["message"].startswith("The file is not valid JSON"))
        self.assertEqual(api.get("/api/v1/definitions/999999").status, 404)

    def test_tenant_isolation(self):
        did = self.create("Tenant one only")
        sid = self.q("SELECT id FROM scenarios WHERE definition_id = ? ORDER BY idx LIMIT 1", (did,))[0]["id"]
        self.stack.cli("user", "add", "--email", "other@example.org", "--tenant", "other", "--role", "admin",
                       input="other-password\n")
        other = self.stack.client()
        other.login("other@example.org", "other-password")
        for path in (f"/definitions/{did}", f"/definitions/{did}/edit", f"/definitions/{did}/delete",
                     f"/definitions/{did}/export.json", f"/definitions/{did}/scenarios/{sid}",
                     f"/api/v1/definitions/{did}", f"/api/v1/definitions/{did}/scenarios/{sid}"):
            self.assertEqual(other.get(path).status, 404, path)
        for path in (f"/definitions/{did}", f"/definitions/{did}/fork", f"/definitions/{did}/delete"):
            self.assertEqual(other.post(path, form("Stolen")).status, 404, path)
        self.assertNotIn("Tenant one only", other.get("/definitions").text)
        self.assertEqual(other.get("/api/v1/definitions").json()["definitions"], [])
        row = self.q("SELECT name, deleted_at FROM definitions WHERE id = ?", (did,))[0]
        self.assertEqual((row["name"], row["deleted_at"]), ("Tenant one only", None))
        self.assertEqual(self.stack.cli("definition", "export", "--tenant", "other", str(did), check=False).returncode, 1)
        # The other tenant's own definition gets its own ids and stays invisible to demo.
        r = other.post("/definitions", form("Other tenant's"))
        oid, _ = new_id(r.header("Location"))
        self.assertEqual(self.c.get(f"/definitions/{oid}").status, 404)
        self.assertIn(f"{oid}\tOther tenant's\t1\t6", self.stack.cli("definition", "list", "--tenant", "other").stdout)

    def test_script_payloads_are_inert(self):
        dims = [{"name": "Tradition", "levels": [
            {"score": 1, "label": XSS, "options": [XSS_IMG]},
            {"score": 2, "label": "plain " + XSS}]}]
        followups = [{"label": XSS, "prompt": XSS_IMG}]
        name = "Name " + XSS
        template = "T " + XSS + " [Tradition] " + XSS_IMG
        did = self.create(name, template=template, preamble=XSS, dimensions=dims, followups=followups,
                          matching_rules=XSS)
        sid = self.q("SELECT id FROM scenarios WHERE definition_id = ? ORDER BY idx LIMIT 1", (did,))[0]["id"]
        pages = {
            "list": self.c.get("/definitions"),
            "search": self.c.get("/definitions?q=" + "%3Cscript%3E"),
            "view": self.c.get(f"/definitions/{did}"),
            "edit": self.c.get(f"/definitions/{did}/edit"),
            "scenario": self.c.get(f"/definitions/{did}/scenarios/{sid}"),
            "delete": self.c.get(f"/definitions/{did}/delete"),
            "preview": self.c.post("/definitions", form(name, template=template, preamble=XSS, dimensions=dims,
                                                        followups=followups, action="preview")),
            "errors": self.c.post("/definitions", form(name, template=template, dimensions=XSS)),
            "import": self.c.post_multipart("/definitions/import", {}, [("file", XSS + ".json", b"{")]),
        }
        for page, r in pages.items():
            self.assertIn(r.status, (200, 422), page)
            self.assertNotIn("<script>alert", r.text, page)
            self.assertNotIn("<img src=x", r.text, page)
            self.assertIn(esc(XSS), r.text, page)
        self.assertIn(f'<h1 id="definition-name">{esc(name)} <span class="muted">version 1</span></h1>', pages["view"].text)
        self.assertIn(f"<td>{esc(XSS)}</td>", pages["view"].text)
        self.assertIn(f"<li>{esc(XSS_IMG)}</li>", pages["view"].text)
        self.assertIn(esc(XSS_IMG), pages["scenario"].text)
        self.assertIn(f'<a class="definition-link" href="/definitions/{did}">{esc(name)}</a>', pages["list"].text)
        self.assertIn(f'<textarea id="def-matching-rules" name="matching_rules" rows="3">\n{esc(XSS)}</textarea>',
                      pages["edit"].text)
        self.assertEqual(pre_blocks(pages["scenario"].text),
                         [XSS + "\n\nT " + XSS + " " + XSS_IMG + " " + XSS_IMG, XSS_IMG])

    def test_list_search_and_pages(self):
        for i in range(27):
            self.stack.cli("definition", "import", os.path.join(EXAMPLES, "baseline_no_dimensions.json"))
        name = load_json(os.path.join(EXAMPLES, "baseline_no_dimensions.json"))["name"]
        total = self.q("SELECT count(*) AS n FROM definitions WHERE name = ? AND deleted_at IS NULL", (name,))[0]["n"]
        self.assertGreaterEqual(total, 27)
        r = self.c.get("/definitions?q=" + name.replace(" ", "+"))
        self.assertIn(f'<p class="muted" id="definition-total">{total} definition(s) matching “{esc(name)}”.</p>', r.text)
        self.assertEqual(r.text.count('class="definition-link"'), 25)
        self.assertIn("Page 1 of 2", r.text)
        m = re.search(r'<a href="([^"]+)" rel="next" id="next-page">', r.text)
        self.assertIsNotNone(m)
        r2 = self.c.get(m.group(1).replace("&amp;", "&"))
        self.assertEqual(r2.text.count('class="definition-link"'), total - 25)
        # Search treats % and _ literally.
        r = self.c.get("/definitions?q=%25")
        self.assertIn('0 definition(s) matching “%”.', r.text)
        self.assertIn("No definition matches", r.text)
        # The API gives the same list as JSON.
        api = self.c.get("/api/v1/definitions?q=" + name.replace(" ", "+")).json()
        self.assertEqual(api["pagination"]["total"], total)


if __name__ == "__main__":
    unittest.main()
