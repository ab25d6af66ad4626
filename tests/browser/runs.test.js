// runs.test.js — the run workflow in a browser: start with the advisor, watch the refresh, pause, resume,
// cancel, retry failed tasks after injected faults, re-run with another version, open a transcript and a task.
'use strict';

const MOCK_VERSIONS = ['mock-a-2026-01', 'mock-a-2026-06', 'mock-b-2026-01', 'mock-b-2026-06', 'mock-c-2026-01'];

// POST settings to the mock's /_mock/config (latency, injected faults).
async function mockConfig(stack, settings) {
  const r = await fetch(`http://127.0.0.1:${stack.mock_port}/_mock/config`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings),
  });
  if (!r.ok) throw new Error(`mock config ${JSON.stringify(settings)}: ${r.status} ${await r.text()}`);
}

// The run id of the run page the browser is on.
function runIdOf(url) {
  const m = /\/runs\/(\d+)/.exec(url);
  if (!m) throw new Error(`not a run page: ${url}`);
  return Number(m[1]);
}

// Reload the run page until its status badge reads one of `labels`.
async function waitForStatus(page, base, runId, labels, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(`${base}/runs/${runId}`);
    const status = (await page.textContent('#run-status')).trim();
    if (labels.includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`run ${runId} stayed "${status}", wanted ${labels.join(' or ')}`);
    await page.waitForTimeout(1000);
  }
}

// Open a definition by (part of) its name and press Start run.
async function openRunForm(page, base, namePart) {
  await page.goto(`${base}/definitions`);
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${namePart}")`)]);
  await Promise.all([page.waitForNavigation(), page.click('#start-run-link')]);
}

// Tick models, fill settings, press Check, and return the advisor panel's text.
async function checkForm(page, models, settings = {}) {
  for (const m of models) await page.check(`input[name=models][value="${m}"]`);
  for (const [field, value] of Object.entries(settings)) await page.fill(`[name=${field}]`, String(value));
  await Promise.all([page.waitForNavigation(), page.click('#check-button')]);
  return page.textContent('#advisor');
}

async function startRun(page) {
  await Promise.all([page.waitForNavigation(), page.click('#start-button')]);
  return runIdOf(page.url());
}

module.exports = {
  name: 'runs: start with the advisor, progress, controls, retry, re-run, transcript, task',
  stack: { daemon: true, importExamples: true, mockModels: MOCK_VERSIONS },
  async run({ page, base, stack, screenshot, login, expect }) {
    await login();
    await mockConfig(stack, { latency_ms: 300 });

    // 1. A two-model run: the advisor, Start, the refreshing progress page, the refresh stopping.
    await openRunForm(page, base, 'stable career');
    expect(await page.isDisabled('#start-button'), 'Start is disabled before a check');
    await screenshot('runs-01-form');
    const advisor = await checkForm(page, ['mock:mock-a', 'mock:mock-b']);
    expect(advisor.includes('No blockers'), `the advisor finds no blockers: ${advisor}`);
    expect((await page.textContent('#estimate-jobs')).trim() === '18', 'the estimate counts 9 scenarios × 2 models');
    expect(!(await page.isDisabled('#start-button')), 'Start is enabled after a clean check');
    await screenshot('runs-02-advisor');
    await Promise.all([page.waitForNavigation(), page.click('#use-recommendation')]);
    expect(await page.isVisible('#advisor-suggested'), '"Use these settings" marks the form advisor-suggested');
    const first = await startRun(page);
    expect((await page.textContent('#notice')).includes('Run started.'), 'the run page says the run started');
    const refresh = await page.$('meta[http-equiv="refresh"]');
    expect(refresh && (await refresh.getAttribute('content')) === '5', 'an active run refreshes every 5 s');
    await screenshot('runs-03-progress');
    await waitForStatus(page, base, first, ['Completed']);
    expect((await page.$('meta[http-equiv="refresh"]')) === null, 'a completed run stops refreshing');
    expect(await page.isVisible('#results-models svg.chart'), 'the per-model table draws the distribution');
    expect((await page.textContent('#model-progress')).includes('mock-a 9/9'), 'per-model progress');
    await screenshot('runs-04-completed');

    // 2. Pause, resume, and cancel through the confirmation page (a slower run on a sample).
    await mockConfig(stack, { latency_ms: 2000 });
    await openRunForm(page, base, 'harms a river');
    await checkForm(page, ['mock:mock-a', 'mock:mock-b'], { sample_pct: 5 });
    const second = await startRun(page);
    await Promise.all([page.waitForNavigation(), page.click('#pause-button')]);
    expect((await page.textContent('#notice')).includes('Run paused.'), 'pausing says so');
    expect((await page.textContent('#run-status')).trim() === 'Paused', 'the badge says Paused');
    expect((await page.$('meta[http-equiv="refresh"]')) !== null, 'a paused run keeps refreshing');
    await screenshot('runs-05-paused');
    await Promise.all([page.waitForNavigation(), page.click('#resume-button')]);
    expect((await page.textContent('#notice')).includes('Run resumed.'), 'resuming says so');
    await Promise.all([page.waitForNavigation(), page.click('#cancel-link')]);
    expect(page.url() === `${base}/runs/${second}/cancel`, 'cancel asks for confirmation first');
    await screenshot('runs-06-cancel-confirm');
    await Promise.all([page.waitForNavigation(), page.click('#confirm-cancel')]);
    expect((await page.textContent('#run-status')).trim() === 'Cancelled', 'the run is cancelled');
    expect(!(await page.isVisible('#run-controls button')), 'no controls after cancelling');
    expect((await page.$('meta[http-equiv="refresh"]')) === null, 'a cancelled run does not refresh');
    await screenshot('runs-07-cancelled');

    // 3. Injected faults: every request fails with 500; the run fails; retry after the faults stop.
    await mockConfig(stack, { latency_ms: 0, rate_500: 1 });
    await openRunForm(page, base, 'Whistleblowing baseline');
    await checkForm(page, ['mock:mock-a', 'mock:mock-b']);
    const third = await startRun(page);
    await waitForStatus(page, base, third, ['Failed'], 120000);
    expect(await page.isVisible('#retry-button'), 'a failed run offers Retry failed tasks');
    await screenshot('runs-08-failed');
    await page.goto(`${base}/runs/${third}/tasks?state=failed`);
    expect((await page.textContent('#tasks-table')).includes('server_error'), 'the task list shows the last error');
    await screenshot('runs-09-failed-tasks');
    await mockConfig(stack, { rate_500: 0 });
    await page.goto(`${base}/runs/${third}`);
    await Promise.all([page.waitForNavigation(), page.click('#retry-button')]);
    expect((await page.textContent('#notice')).includes('queued again'), 'retrying says so');
    await waitForStatus(page, base, third, ['Completed']);
    await screenshot('runs-10-retried');

    // 4. Re-run with another version: parent and child link each other.
    await Promise.all([page.waitForNavigation(), page.click('#rerun-link')]);
    await page.selectOption('select[name="version.mock:mock-a"]', 'mock-a-2026-01');
    await screenshot('runs-11-rerun-form');
    const child = await startRun(page);
    expect(child !== third, 'the re-run is a new run');
    expect((await page.getAttribute('#parent-link', 'href')) === `/runs/${third}`, 'the re-run links to its parent');
    await waitForStatus(page, base, child, ['Completed']);
    expect((await page.textContent('#results-models')).includes('mock-a-2026-01'), 'the re-run used the other version');
    await screenshot('runs-12-child');
    await page.goto(`${base}/runs/${third}`);
    expect((await page.getAttribute('a.child-link', 'href')) === `/runs/${child}`, 'the parent links to the re-run');

    // 5. A transcript and a task.
    await Promise.all([page.waitForNavigation(), page.click('#results-scenarios a')]);
    expect(page.url().includes('/transcripts/'), 'a scenario cell opens a transcript');
    expect((await page.textContent('#model-version')).startsWith('mock-'), 'the transcript names the exact version');
    expect(await page.isVisible('.turn .markdown.response'), 'the response is rendered');
    await screenshot('runs-13-transcript');
    await Promise.all([page.waitForNavigation(), page.click('#task-link')]);
    expect(await page.isVisible('#attempts-table'), 'the task shows its attempts');
    expect((await page.textContent('pre.request-json')).includes('"messages"'), 'the request JSON is shown');
    await screenshot('runs-14-task');
  },
};
