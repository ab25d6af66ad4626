// run.js — ValueRank's browser tests: headless Debian Chromium driven by playwright-core.
// Each tests/browser/*.test.js exports { name, run(ctx) }. A fresh stack (real nginx, valuerank.fcgi,
// valuerankd, mock) is started per file through tests/integration/serve_stack.py. Screenshots go to
// $VR_SCREENSHOTS (default out/test/screenshots). Prints "N passed, N failed".
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const readline = require('readline');

const top = path.resolve(__dirname, '..', '..');
const shots = process.env.VR_SCREENSHOTS || path.join(top, 'out', 'test', 'screenshots');
fs.mkdirSync(shots, { recursive: true });

function startStack(options) {
  return new Promise((resolve, reject) => {
    const args = [path.join(top, 'tests', 'integration', 'serve_stack.py')];
    if (options.daemon) args.push('--daemon');
    if (options.importExamples) args.push('--import-examples');
    const child = spawn('python3', args, { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('stack did not start in 120 s')), 120000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line);
      info.stop = () => new Promise((done) => { child.on('exit', done); child.stdin.end(); });
      resolve(info);
    });
    child.on('exit', (code) => reject(new Error(`stack exited early (${code})`)));
  });
}

async function main() {
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  const only = process.argv[2];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
  });
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    if (only && !file.includes(only)) continue;
    const mod = require(path.join(__dirname, file));
    const stack = await startStack(mod.stack || { daemon: true, importExamples: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors = [];
    // Error statuses of pages under test are expected; anything else (CSP refusals, script errors) is not.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) consoleErrors.push(m.text());
    });
    const base = `http://127.0.0.1:${stack.port}`;
    const ctx = {
      page, base, stack, consoleErrors,
      async screenshot(name) {
        const file = path.join(shots, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        return file;
      },
      async login(email = 'demo@example.org', password = 'valuerank-demo') {
        await page.goto(`${base}/login`);
        await page.fill('#email', email);
        await page.fill('#password', password);
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      },
      expect(cond, message) { if (!cond) throw new Error(`expectation failed: ${message}`); },
    };
    const start = Date.now();
    try {
      await mod.run(ctx);
      if (consoleErrors.length) throw new Error(`console errors (CSP?): ${consoleErrors.join(' | ')}`);
      passed++;
      console.log(`ok - ${mod.name || file} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${mod.name || file}: ${e.stack || e}`);
      try { await ctx.screenshot(`FAILED-${path.basename(file, '.test.js')}`); } catch (_) { /* page gone */ }
    }
    await context.close();
    await stack.stop();
  }
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
